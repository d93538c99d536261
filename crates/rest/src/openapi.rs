//! The OpenAPI 3.0 document (`/openapi.json`), generated from the operation table and the
//! DTO definitions that also drive binding and serialisation, so it cannot drift from them.
//!
//! Request schemas describe what the binder accepts (nulls, empty values, `"1"`/`"0"` for
//! booleans, numbers and booleans for strings, every `Guid` form); response schemas what
//! the serialisers write. XML names, namespaces and member order follow the
//! DataContractSerializer layout the server reads and writes.

use serde_json::{json, Map, Value};

use crate::dto::{Ty, TypeDef, ERROR_RESPONSE};
use crate::ops::{OpDef, OPS};

/// A `Guid` in any form the binder accepts (`N`, `D`, `B`, `P`), or empty for "none".
pub const GUID_PATTERN: &str = concat!(
    r"^\s*(",
    r"[0-9A-Fa-f]{32}",
    r"|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}",
    r"|\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}",
    r"|\([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\)",
    r")?\s*$"
);

/// The spellings of a boolean the binder accepts in a string (any case, surrounding spaces).
const BOOL_PATTERN: &str = r"^\s*([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|1|0)?\s*$";

fn camel(name: &str) -> String {
    let mut c = name.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

fn schema_ref(ty: &TypeDef) -> Value {
    json!({"$ref": format!("#/components/schemas/{}", ty.name)})
}

/// A member as the serialisers write it.
fn output_schema(ty: Ty) -> Value {
    match ty {
        Ty::String | Ty::Exception => json!({"type": "string"}),
        Ty::Guid => json!({"type": "string", "pattern": "^[0-9a-f]{32}$"}),
        Ty::Bool => json!({"type": "boolean"}),
        Ty::Enum(e) => json!({"type": "string", "enum": e.values}),
        Ty::Obj(t) => schema_ref(t),
        Ty::List(t) => json!({"type": "array", "items": schema_ref(t)}),
        Ty::StringMap => json!({"type": "object", "additionalProperties": {"type": "string"}}),
    }
}

/// How a request body carries its members.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Carrier {
    /// JSON: `null` is a value (the member's default).
    Json,
    /// XML elements and form fields: text only.
    Text,
}

/// Request members the operation cannot do without (absent or empty: 400).
const REQUIRED: &[(&str, &str)] = &[
    ("ChangePasswordWithToken", "authToken"),
    ("ForgotPassword", "changePwdUrl"),
    ("ForgotPassword", "email"),
];

/// Characters the server refuses inside an address or URL (whitespace, controls).
const NOT_SPACE: &str = r"[^\s\x00-\x1f\x7f-\x9f]";

/// What `email` must look like (the core's e-mail rule; surrounding spaces are trimmed).
fn email_schema() -> Value {
    let part = format!("[^@{}]", &NOT_SPACE[2..NOT_SPACE.len() - 1]);
    json!({"type": "string", "maxLength": 254,
        "pattern": format!(r"^[ \t\r\n]*{part}+@{part}+[ \t\r\n]*$")})
}

/// What `changePwdUrl` must look like: one of the allowed prefixes, at a boundary.
fn change_url_schema(allowed: &[String]) -> Value {
    if allowed.is_empty() {
        return json!({"type": "string", "description":
            "No page is allowed on this server (reset.allowed_urls is empty): every value is refused"});
    }
    let alternatives: Vec<String> = allowed.iter().map(|p| regex_escape(p)).collect();
    let boundary = if allowed.iter().all(|p| p.ends_with(['/', '?', '&', '#'])) {
        format!("{NOT_SPACE}*")
    } else {
        format!("([/?#]{NOT_SPACE}*)?")
    };
    json!({"type": "string", "maxLength": 2048,
        "pattern": format!(r"^[ \t\r\n]*({}){boundary}[ \t\r\n]*$", alternatives.join("|"))})
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if "\\^$.|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A request member as the binder accepts it.
fn input_schema(ty: Ty, carrier: Carrier, required: bool) -> Value {
    let mut v = match ty {
        Ty::String => json!({"oneOf": [
            {"type": "string"}, {"type": "number"}, {"type": "boolean"}]}),
        Ty::Guid if required => {
            json!({"type": "string", "pattern": GUID_PATTERN.replace(")?\\s*$", ")\\s*$")})
        }
        Ty::Guid => json!({"type": "string", "pattern": GUID_PATTERN}),
        Ty::Bool => json!({"oneOf": [
            {"type": "boolean"}, {"type": "string", "pattern": BOOL_PATTERN}]}),
        Ty::Enum(e) => json!({"type": "string", "enum": e.values}),
        other => output_schema(other),
    };
    if carrier == Carrier::Json && !required {
        if let Value::Object(m) = &mut v {
            m.insert("nullable".into(), json!(true));
        }
    }
    v
}

/// Members in XML order: the base contract's first, then the type's own.
fn xml_members(ty: &'static TypeDef) -> Vec<(&'static TypeDef, &'static crate::dto::FieldDef)> {
    let mut out = Vec::new();
    if let Some(base) = ty.base {
        out.extend(xml_members(base));
    }
    out.extend(ty.xml_fields().into_iter().map(|f| (ty, f)));
    out
}

/// The schema name of a request contract for `carrier`.
fn request_name(ty: &TypeDef, carrier: Carrier) -> String {
    match carrier {
        Carrier::Json => ty.name.to_owned(),
        Carrier::Text => format!("{}.text", ty.name),
    }
}

/// Adds the schema of `ty` (and of the contracts it contains): a response contract when
/// `request` is None, else a request contract as `carrier` carries it.
fn add_schema(
    schemas: &mut Map<String, Value>,
    ty: &'static TypeDef,
    request: Option<(&str, Carrier)>,
    allowed: &[String],
) {
    let key = match request {
        Some((_, carrier)) => request_name(ty, carrier),
        None => ty.name.to_owned(),
    };
    if schemas.contains_key(&key) {
        return;
    }
    let mut props = Map::new();
    let mut required = Vec::new();
    for (owner, f) in xml_members(ty) {
        let mut sch = match request {
            Some((op, carrier)) => {
                let must = REQUIRED.contains(&(op, f.name));
                if must {
                    required.push(camel(f.name));
                }
                match (op, f.name) {
                    ("ForgotPassword", "email") => email_schema(),
                    ("ForgotPassword", "changePwdUrl") => change_url_schema(allowed),
                    _ => input_schema(f.ty, carrier, must),
                }
            }
            None => output_schema(f.ty),
        };
        let xml = json!({"name": f.name, "namespace": owner.ns});
        if sch.get("$ref").is_some() {
            // A reference cannot carry siblings in OpenAPI 3.0: wrap it to name the element.
            sch = json!({"allOf": [sch]});
        }
        if let Value::Object(m) = &mut sch {
            m.insert("xml".into(), xml);
            if !f.description.is_empty() {
                m.insert("description".into(), json!(f.description));
            }
        }
        props.insert(camel(f.name), sch);
    }
    let mut schema = json!({"type": "object", "properties": props, "xml": {"name": ty.name, "namespace": ty.ns}});
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schemas.insert(key, schema);
    for (_, f) in xml_members(ty) {
        if let Ty::Obj(t) | Ty::List(t) = f.ty {
            add_schema(schemas, t, None, allowed);
        }
    }
}

/// The statuses `op` can answer with, besides 200.
fn statuses(op: &OpDef) -> Vec<(&'static str, &'static str)> {
    let mut v = vec![
        ("400", "Unparseable body or field (SerializationException), or invalid input (ArgumentException)"),
        ("408", "The request took longer than the request timeout (empty body)"),
        ("413", "Request body over 64 KiB"),
        ("500", "Server-side failure (message carries a correlation id)"),
    ];
    let hashes = matches!(
        op.name,
        "ChangePassword" | "Security" | "Authenticate" | "ChangePasswordWithToken"
    );
    if hashes {
        v.push(("503", "Server busy (Retry-After)"));
    }
    v.push(("429", "Too many attempts (Retry-After)"));
    match op.name {
        "ChangePassword" => {
            v.push(("401", "No valid session"));
            v.push(("403", "Acting on another user without the admin role, or a password change is required first"));
            v.push(("404", "An admin named a userId that does not exist"));
        }
        "Security" => v.push(("401", "Invalid user name or password")),
        "Authenticate" => {
            v.push(("401", "Invalid credentials, or no valid session"));
            v.push(("404", "Unknown provider, or credentials in a GET"));
        }
        "ForgotPassword" => v.push(("501", "No mail server is configured")),
        _ => {}
    }
    v
}

/// `Authenticate` on `/auth/{provider}` → `AuthenticateWithProvider`; plus the verb when a
/// route has several, so every operationId is unique.
fn operation_id(op: &OpDef, path: &str, verb: &str, verbs: usize) -> String {
    let mut id = op.name.to_owned();
    for seg in path.split('/') {
        if let Some(var) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            id.push_str("With");
            let mut c = var.chars();
            if let Some(f) = c.next() {
                id.extend(f.to_uppercase());
                id.push_str(c.as_str());
            }
        }
    }
    if verbs > 1 {
        let lower = verb.to_ascii_lowercase();
        let mut c = lower.chars();
        if let Some(f) = c.next() {
            id.extend(f.to_uppercase());
            id.push_str(c.as_str());
        }
    }
    id
}

fn content(schema: &Value) -> Value {
    json!({
        "application/json": {"schema": schema},
        "application/xml": {"schema": schema}})
}

/// The OpenAPI 3.0 document; `allowed` is the server's `reset.allowed_urls` (the pages a
/// `ForgotPassword` link may open), described as a pattern.
pub fn document(allowed: &[String]) -> Value {
    let mut schemas = Map::new();
    add_schema(&mut schemas, &ERROR_RESPONSE, None, allowed);
    let mut paths = Map::new();
    let error = schema_ref(&ERROR_RESPONSE);
    for op in OPS {
        add_schema(
            &mut schemas,
            op.request,
            Some((op.name, Carrier::Json)),
            allowed,
        );
        add_schema(
            &mut schemas,
            op.request,
            Some((op.name, Carrier::Text)),
            allowed,
        );
        add_schema(&mut schemas, op.response, None, allowed);
        for (verbs, path) in op.routes {
            let entry = paths.entry((*path).to_owned()).or_insert_with(|| json!({}));
            for verb in *verbs {
                let mut responses = Map::new();
                responses.insert(
                    "200".into(),
                    json!({"description": "Success (the business outcome is in the body)",
                           "content": content(&schema_ref(op.response))}),
                );
                for (code, description) in statuses(op) {
                    let mut body = if code == "408" {
                        json!({"description": description})
                    } else {
                        json!({"description": description, "content": content(&error)})
                    };
                    if code == "404" && op.name == "Authenticate" {
                        // A login attempted with GET is refused like an unknown route.
                        body["content"]["text/plain"] = json!({"schema": {"type": "string"}});
                    }
                    responses.insert(code.into(), body);
                }
                let mut o = json!({
                    "operationId": operation_id(op, path, verb, verbs.len()),
                    "summary": op.summary,
                    "responses": responses,
                });
                if op.requires_auth {
                    o["security"] = json!([{"ssId": []}, {"ssIdCookie": []}]);
                }
                if path.contains("{provider}") {
                    o["parameters"] = json!([{"name": "provider", "in": "path", "required": true,
                        "schema": {"type": "string", "enum": ["credentials", "login", "logout"]}}]);
                }
                if *verb != "GET" {
                    let json_body = schema_ref(op.request);
                    let text_body = json!({"$ref": format!(
                        "#/components/schemas/{}",
                        request_name(op.request, Carrier::Text)
                    )});
                    o["requestBody"] = json!({"required": REQUIRED.iter().any(|(n, _)| *n == op.name), "content": {
                        "application/json": {"schema": json_body},
                        "application/xml": {"schema": text_body},
                        "application/x-www-form-urlencoded": {"schema": text_body}}});
                }
                if let Value::Object(m) = entry {
                    m.insert(verb.to_ascii_lowercase(), o);
                }
            }
        }
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "passgate: Net3 API Interface for Customer Portal (compatible)",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Also served: the predefined routes /json/reply/{Op}, /xml/reply/{Op} and /api/{Op} for every operation, and batches /api/{Op}[] (see docs/rest.md)."
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "ssId": {"type": "apiKey", "in": "header", "name": "X-ss-id"},
                "ssIdCookie": {"type": "apiKey", "in": "cookie", "name": "ss-id"}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_are_unique() {
        let doc = document(&[]);
        let mut ids = Vec::new();
        for (_, item) in doc["paths"].as_object().into_iter().flatten() {
            for (_, op) in item.as_object().into_iter().flatten() {
                ids.push(op["operationId"].as_str().unwrap_or("").to_owned());
            }
        }
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "{ids:?}");
        assert!(ids.contains(&"AuthenticateWithProviderPost".to_owned()));
    }

    #[test]
    fn xml_names_and_namespaces_follow_the_contracts() {
        let doc = document(&[]);
        let auth = &doc["components"]["schemas"]["Authenticate"];
        assert_eq!(auth["xml"]["name"], "Authenticate");
        assert_eq!(auth["properties"]["userName"]["xml"]["name"], "UserName");
        assert!(auth["properties"]["userName"]["xml"]["namespace"].is_string());
        let resp = &doc["components"]["schemas"]["ChangePasswordResponse"];
        assert_eq!(resp["properties"]["result"]["xml"]["name"], "Result");
        assert!(resp["properties"]["result"]["allOf"][0]["$ref"].is_string());
    }

    #[test]
    fn the_guid_pattern_matches_what_the_binder_accepts() {
        let id = uuid::Uuid::new_v4();
        // The same forms the binder parses (see bind.rs).
        for form in [
            id.simple().to_string(),
            id.hyphenated().to_string(),
            id.braced().to_string(),
            format!("({})", id.hyphenated()),
            String::new(),
        ] {
            assert!(crate::bind::parse_guid(&form).is_ok(), "{form}");
        }
    }
}
