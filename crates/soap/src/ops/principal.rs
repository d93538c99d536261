//! `SoPrincipal.svc`: AuthenticateUsernamePassword and GetSystemInfo.

use passgate_core::domain::{Password, Role, SessionKind};
use passgate_core::store::UserRecord;
use passgate_core::{Core, CoreError, RequestContext};

use super::OpResult;
use crate::envelope::Envelope;
use crate::reply::{element, opt_element};
use crate::TNS;

/// Logs in and returns a ticket. A wrong user name or password is not an exception in
/// NetServer: the reply says `AuthenticationSucceeded` false.
pub async fn authenticate_username_password(
    core: &Core,
    env: &Envelope,
    ctx: &RequestContext,
) -> Result<OpResult, CoreError> {
    let login = env.string("UserName");
    let password = Password::new(env.string("Password"));
    match core
        .authenticate(ctx, &login, password, SessionKind::SoapTicket)
        .await
    {
        Ok(l) => {
            let mut body = format!(r#"<AuthenticateResponse xmlns="{TNS}">"#);
            principal_carrier(&mut body, &l.user);
            body.push_str("<Credentials>");
            element(&mut body, "Ticket", l.token.expose());
            body.push_str("</Credentials><AuthenticationSucceeded>true</AuthenticationSucceeded></AuthenticateResponse>");
            Ok(OpResult {
                body,
                outcome: "ok",
            })
        }
        Err(CoreError::InvalidCredentials) => {
            let mut body = format!(r#"<AuthenticateResponse xmlns="{TNS}">"#);
            opt_element(&mut body, "Response", None);
            opt_element(&mut body, "Credentials", None);
            body.push_str(
                "<AuthenticationSucceeded>false</AuthenticationSucceeded></AuthenticateResponse>",
            );
            Ok(OpResult {
                body,
                outcome: "false",
            })
        }
        Err(e) => Err(e),
    }
}

/// `SoPrincipalCarrier`, every member in WSDL order.
fn principal_carrier(out: &mut String, u: &UserRecord) {
    let (role_id, role_name, role_desc) = match u.role {
        Role::Admin => ("1", "Administrator", "passgate administrator"),
        Role::User => ("2", "User", "passgate user"),
    };
    out.push_str("<Response>");
    element(out, "UserType", "InternalAssociate");
    element(out, "Associate", u.username.as_str());
    element(out, "AssociateId", &u.associate_id.to_string());
    element(out, "IsPerson", "true");
    for zero in [
        "PersonId",
        "CountryId",
        "HomeCountryId",
        "ContactId",
        "GroupId",
        "BusinessId",
        "CategoryId",
        "ContactOwner",
    ] {
        element(out, zero, "0");
    }
    element(out, "RoleId", role_id);
    element(out, "RoleName", role_name);
    element(out, "RoleDescription", role_desc);
    element(out, "RoleType", "Employee");
    out.push_str("<Licenses/>");
    opt_element(out, "FullName", u.full_name.as_ref().map(|n| n.as_str()));
    opt_element(out, "EMailAddress", u.email.as_ref().map(|e| e.as_str()));
    out.push_str("<FunctionRights/>");
    element(out, "EjUserId", "0");
    element(out, "EjAccessLevel", "0");
    element(out, "EjUserStatus", "StatusNone");
    out.push_str("<ProvidedCredentials/>");
    out.push_str("<SecondaryGroups/>");
    opt_element(out, "DatabaseContextIdentifier", None);
    out.push_str("</Response>");
}

/// Information about the running server (no ticket needed, as in NetServer).
pub fn get_system_info(system_name: &str) -> OpResult {
    let version = env!("CARGO_PKG_VERSION");
    let mut body = format!(r#"<GetSystemInfoResponse xmlns="{TNS}"><SystemInfo>"#);
    element(&mut body, "BranchName", "passgate");
    element(&mut body, "BuildLabel", &format!("passgate {version}"));
    element(&mut body, "AssemblyVersion", version);
    element(&mut body, "FileVersion", version);
    element(
        &mut body,
        "Description",
        "passgate credential service (SuperOffice Services84 compatible)",
    );
    element(&mut body, "BuildType", "Release");
    element(&mut body, "IsUnicode", "true");
    element(&mut body, "CompanyName", system_name);
    element(&mut body, "IsOnTravel", "false");
    element(&mut body, "IsSatellite", "false");
    body.push_str("</SystemInfo></GetSystemInfoResponse>");
    OpResult {
        body,
        outcome: "ok",
    }
}
