"""Real-client interop for the admin operations: zeep calls SetPassword, SetGeneratedPassword
and IsPasswordValidWithReason from passgate's served User.svc WSDL.

usage: zeep_admin.py BASE_URL ADMIN ADMIN_PASSWORD TARGET_ASSOCIATE_ID NEW_PASSWORD
Prints "GENERATED <password>" and "ZEEP ADMIN OK" and exits 0 on success.
"""
import sys

from zeep import Client


def main():
    base, admin, admin_pw, target, new = sys.argv[1:6]
    target = int(target)
    principal = Client(f"{base}/Remote/Services84/SoPrincipal.svc?wsdl")
    users = Client(f"{base}/Remote/Services84/User.svc?wsdl")
    auth = principal.service.AuthenticateUsernamePassword(UserName=admin, Password=admin_pw)
    assert auth.body.AuthenticationSucceeded is True, auth
    creds = {"Credentials": {"Ticket": auth.body.Credentials.Ticket}}

    valid = users.service.IsPasswordValidWithReason(
        AssociateId=target, Type="InternalAssociate", PersonId=0, Password="short", _soapheaders=creds
    )
    assert valid.body.Response.Result is False, valid
    assert "at least" in valid.body.Response.Reason, valid

    done = users.service.SetPassword(AssociateId=target, Password=new, _soapheaders=creds)
    assert done.header.Succeeded is True, done
    assert done.body.Response is True, done

    generated = users.service.SetGeneratedPassword(AssociateId=target, _soapheaders=creds)
    assert generated.header.Succeeded is True, generated
    assert len(generated.body.Response) >= 24, generated
    print("GENERATED " + generated.body.Response)

    denied = users.service.SetPassword(AssociateId=999999, Password=new, _soapheaders=creds)
    assert denied.header.Succeeded is False, denied
    print("ZEEP ADMIN OK")


if __name__ == "__main__":
    main()
