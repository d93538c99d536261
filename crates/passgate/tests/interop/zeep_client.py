"""Real-client interop: zeep builds every call from passgate's served WSDLs.

usage: zeep_client.py BASE_URL USER OLD_PASSWORD NEW_PASSWORD
Prints "ZEEP OK" and exits 0 when login, a wrong-password change, a real change and the
SOAP 1.2 binding all behave as the contract says.
"""
import sys

from zeep import Client


def main():
    base, user, old, new = sys.argv[1:5]
    principal = Client(f"{base}/Remote/Services84/SoPrincipal.svc?wsdl")
    users = Client(f"{base}/Remote/Services84/User.svc?wsdl")

    info = principal.service.GetSystemInfo(_soapheaders={"ApplicationToken": "app"})
    assert info.body.SystemInfo.BranchName == "passgate", info

    bad = principal.service.AuthenticateUsernamePassword(UserName=user, Password="wrong password!!")
    assert bad.body.AuthenticationSucceeded is False, bad
    assert bad.header.Succeeded is True, bad

    auth = principal.service.AuthenticateUsernamePassword(
        UserName=user, Password=old, _soapheaders={"ApplicationToken": "app"}
    )
    assert auth.body.AuthenticationSucceeded is True, auth
    assert auth.body.Response.Associate == user, auth
    ticket = auth.body.Credentials.Ticket
    assert ticket.startswith("7T:"), ticket

    creds = {"Credentials": {"Ticket": ticket}}
    wrong = users.service.ChangeOwnPassword(OldPassword="not the password", NewPassword=new, _soapheaders=creds)
    assert wrong.body.Response is False, wrong
    assert wrong.header.Succeeded is True, wrong

    bad_ticket = users.service.ChangeOwnPassword(
        OldPassword=old, NewPassword=new, _soapheaders={"Credentials": {"Ticket": "7T:bogus"}}
    )
    assert bad_ticket.header.Succeeded is False, bad_ticket
    assert bad_ticket.header.ExceptionInfo.ExceptionType == "SoTicketInvalidException", bad_ticket

    # The SOAP 1.2 binding of the same WSDL.
    users12 = users.bind("WcfUserService", "Soap12Binding_User")
    weak = users12.ChangeOwnPassword(OldPassword=old, NewPassword="short", _soapheaders=creds)
    assert weak.header.Succeeded is False, weak
    assert weak.header.ExceptionInfo.ExceptionType == "PasswordPolicyException", weak

    done = users.service.ChangeOwnPassword(OldPassword=old, NewPassword=new, _soapheaders=creds)
    assert done.body.Response is True, done
    assert done.header.Succeeded is True, done

    again = principal.service.AuthenticateUsernamePassword(UserName=user, Password=new)
    assert again.body.AuthenticationSucceeded is True, again
    print("ZEEP OK")


if __name__ == "__main__":
    main()
