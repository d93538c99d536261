//! Operation tables: every operation of the original contracts, and the ones passgate advertises.

/// One operation passgate can advertise in a WSDL.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Operation {
    /// Operation name; also the request wrapper element and the `<name>Request` message prefix.
    pub(crate) name: &'static str,
    /// Response wrapper element, which is also the output message name
    /// (`<name>Response`, except the shared `AuthenticateResponse` of SoPrincipal).
    pub(crate) response: &'static str,
}

/// Operations of the original Services84 `User.svc` WSDL, in WSDL (portType) order.
pub const USER_ORIGINAL_OPERATIONS: &[&str] = &[
    "CreateDefaultServiceAuth",
    "SaveServiceAuth",
    "DeleteServiceAuth",
    "CreateDefaultRoleEntity",
    "SaveRoleEntity",
    "CreateDefaultUntrustedCredentials",
    "CreateDefaultUser",
    "SaveUser",
    "DeleteUser",
    "SaveCredential",
    "DeleteCredential",
    "FindCredentialsGroups",
    "FindCredentialUsers",
    "GetCredentialUsersInGroup",
    "GetServiceAuth",
    "GetRole",
    "GetRoleEntity",
    "DeleteRole",
    "GetAllRoles",
    "GetAllFunctionalRights",
    "GetFunctionalRights",
    "SetFunctionalRights",
    "SetDataRight",
    "GetDataRight",
    "GetDataRights",
    "CreateDefaultRoleEntityFromType",
    "FindRolesWithFunctionalRight",
    "FindRolesWithFunctionalRights",
    "FindRolesWithoutFunctionalRights",
    "GetUser",
    "GetUserFromName",
    "SaveUserFromName",
    "DeleteUserFromName",
    "GetCredentialTypes",
    "SaveUntrustedCredentials",
    "GetUntrustedCredentials",
    "GetUntrustedCredentialsForAssociate",
    "SaveUntrustedCredentialsForAssociate",
    "RemoveUntrustedCredentials",
    "RemoveUntrustedCredentialsForAssociate",
    "CreateExternalUser",
    "DeleteExternalUser",
    "SetExternalUserInfo",
    "GenerateNewPasswordForExternalUser",
    "ChangePassword",
    "GetUserFromPersonId",
    "CreateDefaultUserFromUserTypeAndPersonId",
    "CreateDefaultUserFromUserType",
    "GetUserFromEjUserId",
    "SetPasswordFromName",
    "SetPassword",
    "ChangeOwnPassword",
    "ChangePasswordFromName",
    "IsUserNameValid",
    "IsPasswordValid",
    "SetGeneratedPassword",
    "SetGeneratedPasswordFromName",
    "IsPasswordValidWithReason",
    "IsUserNameValidWithReason",
    "ChangeUserType",
    "CreateDefaultUserFromUserTypeAndCredential",
    "GetValidUserName",
    "RemoveLicenses",
    "MakeRetired",
    "AddOwnerContact",
    "RemoveOwnerContact",
    "ResolveUserFromInfo",
    "GetUserGroup",
    "SaveUserGroup",
    "GetAllUserGroups",
    "CreateUserGroup",
    "DeleteUserGroup",
    "GetUserGroupList",
    "GetUserInfo",
    "GetUserInfoList",
];

/// Operations of the original Services84 `SoPrincipal.svc` WSDL, in WSDL (portType) order.
pub const SOPRINCIPAL_ORIGINAL_OPERATIONS: &[&str] = &[
    "GetSystemInfo",
    "AuthenticateImplicit",
    "AuthenticateUsernamePassword",
    "AuthenticateGeneric",
];

/// `User.svc` operations passgate can advertise, in the original WSDL order.
pub(crate) const USER_SUPPORTED: &[Operation] = &[
    op(
        "GenerateNewPasswordForExternalUser",
        "GenerateNewPasswordForExternalUserResponse",
    ),
    op("ChangePassword", "ChangePasswordResponse"),
    op("SetPasswordFromName", "SetPasswordFromNameResponse"),
    op("SetPassword", "SetPasswordResponse"),
    op("ChangeOwnPassword", "ChangeOwnPasswordResponse"),
    op("ChangePasswordFromName", "ChangePasswordFromNameResponse"),
    op("IsPasswordValid", "IsPasswordValidResponse"),
    op("SetGeneratedPassword", "SetGeneratedPasswordResponse"),
    op(
        "SetGeneratedPasswordFromName",
        "SetGeneratedPasswordFromNameResponse",
    ),
    op(
        "IsPasswordValidWithReason",
        "IsPasswordValidWithReasonResponse",
    ),
];

/// `SoPrincipal.svc` operations passgate can advertise, in the original WSDL order.
pub(crate) const SOPRINCIPAL_SUPPORTED: &[Operation] = &[
    op("GetSystemInfo", "GetSystemInfoResponse"),
    op("AuthenticateUsernamePassword", "AuthenticateResponse"),
];

const fn op(name: &'static str, response: &'static str) -> Operation {
    Operation { name, response }
}
