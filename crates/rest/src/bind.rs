//! Request binding as ServiceStack does it: the body (by its Content-Type), then path, query
//! and form values on top; names matched case-insensitively except in XML, which is
//! case-sensitive but, unlike DataContractSerializer, accepts members in any order
//! (documented deviation: DCS silently drops out-of-order members).

use passgate_limits::json::check_json;
use passgate_limits::xml::check_xml;
use passgate_limits::{Kind, LimitError};

use crate::dto::{Ty, TypeDef};
use crate::value::{Obj, Val};

/// One binding failure, reported as a `ResponseError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindError {
    /// Member name ("" for the whole body).
    pub field: String,
    /// Message (never contains the offending value: it may be a password).
    pub message: String,
}

/// The body formats ServiceStack parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// `application/json`.
    Json,
    /// `application/xml` / `text/xml`.
    Xml,
    /// `application/x-www-form-urlencoded` (values go to the form layer).
    Form,
    /// Anything else, or no body: ignored.
    None,
}

impl BindError {
    /// A failure of the whole body (no member name).
    fn whole(message: impl Into<String>) -> Self {
        BindError {
            field: String::new(),
            message: message.into(),
        }
    }

    /// A parser limit hit before binding, as a sentence ("The JSON nests deeper than ...").
    pub fn limit(e: &LimitError) -> Self {
        let text = e.to_string();
        let mut chars = text.chars();
        let sentence = match chars.next() {
            Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
            None => text,
        };
        BindError::whole(sentence)
    }
}

impl BodyFormat {
    /// From a Content-Type header value.
    pub fn from_content_type(ct: Option<&str>) -> Self {
        let Some(ct) = ct else {
            return BodyFormat::None;
        };
        let mime = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match mime.as_str() {
            "application/json" | "text/json" => BodyFormat::Json,
            "application/xml" | "text/xml" => BodyFormat::Xml,
            "application/x-www-form-urlencoded" => BodyFormat::Form,
            _ => BodyFormat::None,
        }
    }
}

fn scalar(ty: Ty, field: &str, text: &str) -> Result<Val, BindError> {
    let bad = |what: &str| BindError {
        field: field.to_owned(),
        message: format!("'{field}' is not a valid {what}"),
    };
    match ty {
        Ty::String => Ok(Val::Str(text.to_owned())),
        Ty::Guid => {
            let t = text.trim();
            if t.is_empty() {
                Ok(Val::Null)
            } else {
                uuid::Uuid::try_parse(t)
                    .map(Val::Guid)
                    .map_err(|_| bad("Guid"))
            }
        }
        Ty::Bool => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Val::Bool(true)),
            "false" | "0" | "" => Ok(Val::Bool(false)),
            _ => Err(bad("Boolean")),
        },
        Ty::Enum(e) => e
            .values
            .iter()
            .find(|v| v.eq_ignore_ascii_case(text.trim()))
            .map(|v| Val::Enum(v))
            .ok_or_else(|| bad(e.name)),
        Ty::Obj(_) | Ty::List(_) | Ty::StringMap | Ty::Exception => {
            Err(bad("value for this member"))
        }
    }
}

/// Applies name/value pairs (query string or form) over `obj`; duplicates are comma-joined;
/// unknown names are ignored.
pub fn apply_pairs(obj: &mut Obj, pairs: &[(String, String)], errors: &mut Vec<BindError>) {
    let mut merged: Vec<(&'static str, Ty, String)> = Vec::new();
    for (k, v) in pairs {
        let Some(f) = obj.ty.field_ci(k) else {
            continue;
        };
        if let Some(slot) = merged.iter_mut().find(|(n, _, _)| *n == f.name) {
            slot.2.push(',');
            slot.2.push_str(v);
        } else {
            merged.push((f.name, f.ty, v.clone()));
        }
    }
    for (name, ty, text) in merged {
        match scalar(ty, name, &text) {
            Ok(v) => obj.set(name, v),
            Err(e) => errors.push(e),
        }
    }
}

/// Parses a JSON body into `obj`.
pub fn apply_json(obj: &mut Obj, body: &[u8], errors: &mut Vec<BindError>) {
    let whole = |m: &str| BindError::whole(m);
    if let Err(e) = check_json(body) {
        errors.push(BindError::limit(&e));
        return;
    }
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            errors.push(whole(&format!(
                "The request body is not valid JSON (line {}, column {}).",
                e.line(),
                e.column()
            )));
            return;
        }
    };
    let serde_json::Value::Object(map) = value else {
        errors.push(whole("The request body must be a JSON object."));
        return;
    };
    apply_json_object(obj, map, errors);
}

/// Binds the members of one parsed JSON object onto `obj` (keys matched without regard to
/// case; unknown keys ignored, as ServiceStack does). The caller has bounded the input.
pub fn apply_json_object(
    obj: &mut Obj,
    map: serde_json::Map<String, serde_json::Value>,
    errors: &mut Vec<BindError>,
) {
    for (k, v) in map {
        let Some(f) = obj.ty.field_ci(&k) else {
            continue;
        };
        let text = match v {
            serde_json::Value::Null => {
                obj.set(f.name, Val::Null);
                continue;
            }
            serde_json::Value::String(s) => s,
            serde_json::Value::Bool(b) if matches!(f.ty, Ty::Bool | Ty::String) => b.to_string(),
            serde_json::Value::Number(n) if matches!(f.ty, Ty::String) => n.to_string(),
            _ => {
                errors.push(BindError {
                    field: f.name.to_owned(),
                    message: format!("'{}' has the wrong JSON type", f.name),
                });
                continue;
            }
        };
        match scalar(f.ty, f.name, &text) {
            Ok(val) => obj.set(f.name, val),
            Err(e) => errors.push(e),
        }
    }
}

/// Parses an XML body (root = the contract name in its namespace) into `obj`. DTDs are
/// refused, and the body passes the linear depth and attribute pre-check
/// ([`passgate_limits::xml`]) before roxmltree, which recurses per level, builds a tree.
pub fn apply_xml(obj: &mut Obj, body: &[u8], errors: &mut Vec<BindError>) {
    let ty: &'static TypeDef = obj.ty;
    let whole = |m: String| BindError::whole(m);
    let Ok(text) = std::str::from_utf8(body) else {
        errors.push(whole("The request body is not valid UTF-8.".into()));
        return;
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match check_xml(text) {
        Ok(()) => {}
        Err(LimitError::MalformedXml(at)) => {
            errors.push(whole(format!(
                "The request body is not well-formed XML (at byte {at})."
            )));
            return;
        }
        Err(e) => {
            errors.push(BindError::limit(&e));
            return;
        }
    }
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: 20_000,
    };
    let doc = match roxmltree::Document::parse_with_options(text, options) {
        Ok(d) => d,
        Err(roxmltree::Error::DtdDetected) => {
            errors.push(whole(
                "DTDs and entity declarations are not allowed.".into(),
            ));
            return;
        }
        Err(e) => {
            errors.push(whole(format!(
                "The request body is not well-formed XML: {e}"
            )));
            return;
        }
    };
    let root = doc.root_element();
    if root.tag_name().name() != ty.name || root.tag_name().namespace() != Some(ty.ns) {
        errors.push(whole(format!(
            "Expecting element '{}' from namespace '{}'.",
            ty.name, ty.ns
        )));
        return;
    }
    for child in root.children().filter(roxmltree::Node::is_element) {
        let name = child.tag_name().name();
        let Some((_, f)) = ty.all_fields().into_iter().find(|(_, f)| f.name == name) else {
            continue;
        };
        let nil = matches!(
            child.attribute(("http://www.w3.org/2001/XMLSchema-instance", "nil")),
            Some("true" | "1")
        );
        if nil {
            obj.set(f.name, Val::Null);
            continue;
        }
        let text: String = child
            .descendants()
            .filter(roxmltree::Node::is_text)
            .filter_map(|t| t.text())
            .collect();
        match scalar(f.ty, f.name, &text) {
            Ok(v) => obj.set(f.name, v),
            Err(e) => errors.push(e),
        }
    }
}

/// Splits `a=1&b=2` (a query string or form body, named by `kind`) into decoded pairs; more
/// than [`passgate_limits::MAX_PAIRS`] pairs, or a value that is not UTF-8 once
/// percent-decoded, is a binding error.
pub fn parse_pairs(s: &[u8], kind: Kind) -> Result<Vec<(String, String)>, BindError> {
    passgate_limits::pairs::parse_pairs(s, kind).map_err(|e| match e {
        LimitError::PercentUtf8(Kind::Form) => {
            BindError::whole("The form body is not valid UTF-8.")
        }
        LimitError::PercentUtf8(_) => BindError::whole("The query string is not valid UTF-8."),
        other => BindError::limit(&other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::CHANGE_PASSWORD;

    #[test]
    fn json_is_case_insensitive_and_guids_take_any_form() {
        let mut o = Obj::new(&CHANGE_PASSWORD);
        let mut e = Vec::new();
        apply_json(
            &mut o,
            br#"{"UserID":"{6F9619FF-8B86-D011-B42D-00CF4FC964FF}","PASSWORD":"a","newpassword":"b","x":1}"#,
            &mut e,
        );
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(o.str("password"), "a");
        assert!(matches!(o.get("userId"), Val::Guid(_)));
    }

    #[test]
    fn query_overrides_body_and_duplicates_join() -> Result<(), BindError> {
        let mut o = Obj::new(&CHANGE_PASSWORD);
        let mut e = Vec::new();
        apply_json(&mut o, br#"{"password":"body","sessionId":"s1"}"#, &mut e);
        apply_pairs(
            &mut o,
            &parse_pairs(b"password=query&SESSIONID=s2&sessionid=s3", Kind::Query)?,
            &mut e,
        );
        assert_eq!(o.str("password"), "query");
        assert_eq!(o.str("sessionId"), "s2,s3");
        Ok(())
    }

    #[test]
    fn bad_values_are_errors_without_the_value() -> Result<(), BindError> {
        let mut o = Obj::new(&CHANGE_PASSWORD);
        let mut e = Vec::new();
        apply_pairs(
            &mut o,
            &parse_pairs(b"userId=not-a-guid-secret", Kind::Query)?,
            &mut e,
        );
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].field, "userId");
        assert!(!e[0].message.contains("secret"));
        let mut e = Vec::new();
        apply_json(&mut o, b"[1,2]", &mut e);
        apply_json(&mut o, b"{\"userId\": 1e400}", &mut e);
        apply_json(&mut o, b"{\"password\": {\"a\":1}}", &mut e);
        assert_eq!(e.len(), 3);
        Ok(())
    }

    #[test]
    fn limits_are_binding_errors_naming_the_limit() {
        let mut o = Obj::new(&CHANGE_PASSWORD);
        let mut e = Vec::new();
        apply_json(&mut o, "[".repeat(4000).as_bytes(), &mut e);
        let deep_xml = format!(
            r#"<ChangePassword xmlns="{}">{}"#,
            CHANGE_PASSWORD.ns,
            "<password>".repeat(20_000)
        );
        apply_xml(&mut o, deep_xml.as_bytes(), &mut e);
        let flood = format!(
            r#"<ChangePassword xmlns="{}"{}/>"#,
            CHANGE_PASSWORD.ns,
            " a=\"secret\"".repeat(9000)
        );
        apply_xml(&mut o, flood.as_bytes(), &mut e);
        let messages: Vec<&str> = e.iter().map(|b| b.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "The JSON nests deeper than the limit of 64 levels.",
                "The XML nests deeper than the limit of 64 levels.",
                "An XML element has more than the limit of 32 attributes (namespace declarations included).",
            ]
        );
        assert!(e.iter().all(|b| b.field.is_empty()));
    }

    #[test]
    fn invalid_percent_encoded_utf8_is_an_error_not_u_fffd() {
        for (kind, message) in [
            (Kind::Query, "The query string is not valid UTF-8."),
            (Kind::Form, "The form body is not valid UTF-8."),
        ] {
            let e = parse_pairs(b"password=%FF%FE", kind).err();
            assert_eq!(e.map(|e| e.message), Some(message.to_owned()));
        }
    }

    #[test]
    fn xml_members_in_any_order() {
        let mut o = Obj::new(&CHANGE_PASSWORD);
        let mut e = Vec::new();
        let xml = r#"<ChangePassword xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/N3TAPI.Services"><userId>00000000-0000-0000-0000-000000000000</userId><password>p</password><sessionId i:nil="true"/><newPassword>n</newPassword></ChangePassword>"#;
        apply_xml(&mut o, xml.as_bytes(), &mut e);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(o.str("newPassword"), "n");
        assert_eq!(o.get("sessionId"), &Val::Null);
        let mut e = Vec::new();
        apply_xml(&mut o, b"<Wrong xmlns='x'/>", &mut e);
        apply_xml(&mut o, b"<!DOCTYPE a [<!ENTITY b 'c'>]><a/>", &mut e);
        assert_eq!(e.len(), 2);
    }

    proptest::proptest! {
        #[test]
        fn binders_never_panic(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256), q in ".{0,64}") {
            let mut o = Obj::new(&CHANGE_PASSWORD);
            let mut e = Vec::new();
            apply_json(&mut o, &body, &mut e);
            apply_xml(&mut o, &body, &mut e);
            if let Ok(pairs) = parse_pairs(q.as_bytes(), Kind::Query) {
                apply_pairs(&mut o, &pairs, &mut e);
            }
        }
    }
}
