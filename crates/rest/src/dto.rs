//! The DTO definitions: one description per type drives JSON and XML serialisation,
//! request binding, the metadata pages and OpenAPI, so they cannot drift apart.

/// `N3TAPI.Services` data-contract namespace (Net3 request/response DTOs).
pub const NS_SERVICES: &str = "http://schemas.datacontract.org/2004/07/N3TAPI.Services";
/// `N3TEntities.Common` namespace (`ExecuteResult<T>`).
pub const NS_COMMON: &str = "http://schemas.datacontract.org/2004/07/N3TEntities.Common";
/// ServiceStack's own types.
pub const NS_SERVICESTACK: &str = "http://schemas.servicestack.net/types";
/// `System` namespace (`Exception`).
pub const NS_SYSTEM: &str = "http://schemas.datacontract.org/2004/07/System";
/// WCF arrays namespace (dictionaries).
pub const NS_ARRAYS: &str = "http://schemas.microsoft.com/2003/10/Serialization/Arrays";

/// The type of a member.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    /// `string`.
    String,
    /// `Guid`.
    Guid,
    /// `bool`.
    Bool,
    /// An enum, written by member name.
    Enum(&'static EnumDef),
    /// A nested data contract.
    Obj(&'static TypeDef),
    /// `List<T>` of a data contract.
    List(&'static TypeDef),
    /// `Dictionary<string,string>`.
    StringMap,
    /// `System.Exception` (JSON: its message; XML: always nil).
    Exception,
}

impl Ty {
    /// The C#-style name shown on metadata pages.
    pub fn display(self) -> String {
        match self {
            Ty::String => "string".into(),
            Ty::Guid => "Guid".into(),
            Ty::Bool => "bool".into(),
            Ty::Enum(e) => e.name.into(),
            Ty::Obj(t) => t.display.into(),
            Ty::List(t) => format!("List<{}>", t.display),
            Ty::StringMap => "Dictionary<String,String>".into(),
            Ty::Exception => "Exception".into(),
        }
    }
}

/// A member of a data contract.
#[derive(Debug)]
pub struct FieldDef {
    /// Wire name, exactly as declared in C# (JSON output camelCases it).
    pub name: &'static str,
    /// Type.
    pub ty: Ty,
    /// Shown on the metadata page.
    pub description: &'static str,
}

/// A data contract.
#[derive(Debug)]
pub struct TypeDef {
    /// Contract name (XML element name for roots and list items).
    pub name: &'static str,
    /// Name shown on metadata pages (e.g. `ExecuteResult<T>`).
    pub display: &'static str,
    /// XML namespace.
    pub ns: &'static str,
    /// Base contract, whose members come first in XML and last in JSON.
    pub base: Option<&'static TypeDef>,
    /// Own members in declaration order.
    pub fields: &'static [FieldDef],
    /// True when members carry explicit `DataMember(Order)` (XML keeps declaration order);
    /// false for plain POCOs (XML sorts members ordinally, as DataContractSerializer does).
    pub ordered: bool,
}

/// An enum contract.
#[derive(Debug)]
pub struct EnumDef {
    /// Name.
    pub name: &'static str,
    /// Members; the first is the default.
    pub values: &'static [&'static str],
}

impl TypeDef {
    /// Own members in XML order.
    pub fn xml_fields(&self) -> Vec<&'static FieldDef> {
        let mut own: Vec<&'static FieldDef> = self.fields.iter().collect();
        if !self.ordered {
            own.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        }
        own
    }

    /// Every member (base included) for lookups.
    pub fn all_fields(&'static self) -> Vec<(&'static TypeDef, &'static FieldDef)> {
        let mut v: Vec<(&'static TypeDef, &'static FieldDef)> =
            self.fields.iter().map(|f| (self, f)).collect();
        if let Some(b) = self.base {
            v.extend(b.all_fields());
        }
        v
    }

    /// The member called `name`, matched case-insensitively (JSON, query, form binding).
    pub fn field_ci(&'static self, name: &str) -> Option<&'static FieldDef> {
        self.all_fields()
            .into_iter()
            .map(|(_, f)| f)
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }
}

/// `Result` enum of Net3 (`Fail` is the default).
pub static RESULT_ENUM: EnumDef = EnumDef {
    name: "Result",
    values: &["Fail", "Success", "Error"],
};

/// ServiceStack `ResponseError`.
pub static RESPONSE_ERROR: TypeDef = TypeDef {
    name: "ResponseError",
    display: "ResponseError",
    ns: NS_SERVICESTACK,
    base: None,
    ordered: true,
    fields: &[
        FieldDef {
            name: "ErrorCode",
            ty: Ty::String,
            description: "Machine-readable code of this error",
        },
        FieldDef {
            name: "FieldName",
            ty: Ty::String,
            description: "The request member the error is about",
        },
        FieldDef {
            name: "Message",
            ty: Ty::String,
            description: "Human-readable message",
        },
        FieldDef {
            name: "Meta",
            ty: Ty::StringMap,
            description: "",
        },
    ],
};

/// ServiceStack `ResponseStatus`.
pub static RESPONSE_STATUS: TypeDef = TypeDef {
    name: "ResponseStatus",
    display: "ResponseStatus",
    ns: NS_SERVICESTACK,
    base: None,
    ordered: true,
    fields: &[
        FieldDef {
            name: "ErrorCode",
            ty: Ty::String,
            description: "Machine-readable error code",
        },
        FieldDef {
            name: "Message",
            ty: Ty::String,
            description: "Human-readable message",
        },
        FieldDef {
            name: "StackTrace",
            ty: Ty::String,
            description: "Never sent by passgate",
        },
        FieldDef {
            name: "Errors",
            ty: Ty::List(&RESPONSE_ERROR),
            description: "One entry per failed field or rule",
        },
        FieldDef {
            name: "Meta",
            ty: Ty::StringMap,
            description: "",
        },
    ],
};

/// ServiceStack `ErrorResponse` (errors raised before the service runs).
pub static ERROR_RESPONSE: TypeDef = TypeDef {
    name: "ErrorResponse",
    display: "ErrorResponse",
    ns: NS_SERVICESTACK,
    base: None,
    ordered: true,
    fields: &[FieldDef {
        name: "ResponseStatus",
        ty: Ty::Obj(&RESPONSE_STATUS),
        description: "",
    }],
};

/// Net3 `DTOBase`.
pub static DTO_BASE: TypeDef = TypeDef {
    name: "DTOBase",
    display: "DTOBase",
    ns: NS_SERVICES,
    base: None,
    ordered: false,
    fields: &[FieldDef {
        name: "sessionId",
        ty: Ty::String,
        description: "Session id from /security/credentials or /auth/credentials",
    }],
};

/// Net3 `ChangePassword` request.
pub static CHANGE_PASSWORD: TypeDef = TypeDef {
    name: "ChangePassword",
    display: "ChangePassword",
    ns: NS_SERVICES,
    base: Some(&DTO_BASE),
    ordered: false,
    fields: &[
        FieldDef {
            name: "userId",
            ty: Ty::Guid,
            description: "User whose password changes; empty means the session's user",
        },
        FieldDef {
            name: "password",
            ty: Ty::String,
            description: "Current password",
        },
        FieldDef {
            name: "newPassword",
            ty: Ty::String,
            description: "New password",
        },
    ],
};

/// `ExecuteResult<Result>`.
pub static EXECUTE_RESULT: TypeDef = TypeDef {
    name: "ExecuteResultOfResult",
    display: "ExecuteResult<T>",
    ns: NS_COMMON,
    base: None,
    ordered: false,
    fields: &[
        FieldDef {
            name: "HasError",
            ty: Ty::Bool,
            description: "True when the operation failed unexpectedly",
        },
        FieldDef {
            name: "Message",
            ty: Ty::String,
            description: "What happened",
        },
        FieldDef {
            name: "Result",
            ty: Ty::Enum(&RESULT_ENUM),
            description: "Fail, Success or Error",
        },
        FieldDef {
            name: "Exception",
            ty: Ty::Exception,
            description: "Error message with a correlation id (never a stack trace)",
        },
    ],
};

/// Net3 `ChangePasswordResponse`.
pub static CHANGE_PASSWORD_RESPONSE: TypeDef = TypeDef {
    name: "ChangePasswordResponse",
    display: "ChangePasswordResponse",
    ns: NS_SERVICES,
    base: None,
    ordered: false,
    fields: &[
        FieldDef {
            name: "Result",
            ty: Ty::Obj(&EXECUTE_RESULT),
            description: "",
        },
        FieldDef {
            name: "ResponseStatus",
            ty: Ty::Obj(&RESPONSE_STATUS),
            description: "",
        },
    ],
};

/// Net3 `Security` request (obtains a session id).
pub static SECURITY: TypeDef = TypeDef {
    name: "Security",
    display: "Security",
    ns: NS_SERVICES,
    base: None,
    ordered: false,
    fields: &[
        FieldDef {
            name: "username",
            ty: Ty::String,
            description: "User name (or the user's unique e-mail address)",
        },
        FieldDef {
            name: "password",
            ty: Ty::String,
            description: "Password",
        },
    ],
};

/// Net3 `SecurityResponse`.
pub static SECURITY_RESPONSE: TypeDef = TypeDef {
    name: "SecurityResponse",
    display: "SecurityResponse",
    ns: NS_SERVICES,
    base: None,
    ordered: false,
    fields: &[
        FieldDef {
            name: "sessionId",
            ty: Ty::String,
            description: "Session id to send as sessionId, X-ss-id or the ss-id cookie",
        },
        FieldDef {
            name: "ResponseStatus",
            ty: Ty::Obj(&RESPONSE_STATUS),
            description: "",
        },
    ],
};

/// ServiceStack `Authenticate` request.
pub static AUTHENTICATE: TypeDef = TypeDef {
    name: "Authenticate",
    display: "Authenticate",
    ns: NS_SERVICESTACK,
    base: None,
    ordered: true,
    fields: &[
        FieldDef {
            name: "provider",
            ty: Ty::String,
            description: "credentials (alias login) or logout",
        },
        FieldDef {
            name: "UserName",
            ty: Ty::String,
            description: "User name",
        },
        FieldDef {
            name: "Password",
            ty: Ty::String,
            description: "Password",
        },
        FieldDef {
            name: "RememberMe",
            ty: Ty::Bool,
            description: "Permanent session cookie (ss-pid, ss-opt=perm)",
        },
    ],
};

/// ServiceStack `AuthenticateResponse`.
pub static AUTHENTICATE_RESPONSE: TypeDef = TypeDef {
    name: "AuthenticateResponse",
    display: "AuthenticateResponse",
    ns: NS_SERVICESTACK,
    base: None,
    ordered: true,
    fields: &[
        FieldDef {
            name: "UserId",
            ty: Ty::String,
            description: "The user's id",
        },
        FieldDef {
            name: "SessionId",
            ty: Ty::String,
            description: "The session id (also set as ss-id/ss-pid cookies)",
        },
        FieldDef {
            name: "UserName",
            ty: Ty::String,
            description: "User name",
        },
        FieldDef {
            name: "DisplayName",
            ty: Ty::String,
            description: "Display name",
        },
        FieldDef {
            name: "ResponseStatus",
            ty: Ty::Obj(&RESPONSE_STATUS),
            description: "",
        },
    ],
};

/// Net3 `ForgotPassword` request (no session: the person has forgotten the password).
pub static FORGOT_PASSWORD: TypeDef = TypeDef {
    name: "ForgotPassword",
    display: "ForgotPassword",
    ns: NS_SERVICES,
    base: None,
    ordered: false,
    fields: &[
        FieldDef {
            name: "changePwdUrl",
            ty: Ty::String,
            description: "Page the reset link opens; must start with an allowed prefix (reset.allowed_urls). The token is appended as ?token= or replaces {token}",
        },
        FieldDef {
            name: "email",
            ty: Ty::String,
            description: "E-mail address of the account",
        },
    ],
};

/// `ExecuteResult<string>`.
pub static EXECUTE_RESULT_STRING: TypeDef = TypeDef {
    name: "ExecuteResultOfstring",
    display: "ExecuteResult<String>",
    ns: NS_COMMON,
    base: None,
    ordered: false,
    fields: &[
        FieldDef {
            name: "HasError",
            ty: Ty::Bool,
            description: "True when the operation failed unexpectedly",
        },
        FieldDef {
            name: "Message",
            ty: Ty::String,
            description: "What happened",
        },
        FieldDef {
            name: "Result",
            ty: Ty::String,
            description: "Unused (always omitted)",
        },
        FieldDef {
            name: "Exception",
            ty: Ty::Exception,
            description: "Error message with a correlation id (never a stack trace)",
        },
    ],
};

/// Net3 `ForgotPasswordResponse`.
pub static FORGOT_PASSWORD_RESPONSE: TypeDef = TypeDef {
    name: "ForgotPasswordResponse",
    display: "ForgotPasswordResponse",
    ns: NS_SERVICES,
    base: None,
    ordered: false,
    fields: &[
        FieldDef {
            name: "Result",
            ty: Ty::Obj(&EXECUTE_RESULT_STRING),
            description: "",
        },
        FieldDef {
            name: "ResponseStatus",
            ty: Ty::Obj(&RESPONSE_STATUS),
            description: "",
        },
    ],
};

/// Net3 `ChangePasswordWithToken` request.
pub static CHANGE_PASSWORD_WITH_TOKEN: TypeDef = TypeDef {
    name: "ChangePasswordWithToken",
    display: "ChangePasswordWithToken",
    ns: NS_SERVICES,
    base: None,
    ordered: false,
    fields: &[
        FieldDef {
            name: "authToken",
            ty: Ty::Guid,
            description: "The token from the reset link",
        },
        FieldDef {
            name: "newPassword",
            ty: Ty::String,
            description: "New password",
        },
    ],
};

/// `ChangePasswordWithTokenResponse`: the Net3 page names no response type; passgate answers
/// in the shape of `ChangePasswordResponse` (see docs/rest.md).
pub static CHANGE_PASSWORD_WITH_TOKEN_RESPONSE: TypeDef = TypeDef {
    name: "ChangePasswordWithTokenResponse",
    display: "ChangePasswordWithTokenResponse",
    ns: NS_SERVICES,
    base: None,
    ordered: false,
    fields: &[
        FieldDef {
            name: "Result",
            ty: Ty::Obj(&EXECUTE_RESULT),
            description: "",
        },
        FieldDef {
            name: "ResponseStatus",
            ty: Ty::Obj(&RESPONSE_STATUS),
            description: "",
        },
    ],
};
