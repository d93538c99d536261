//! Request binding as ServiceStack does it: the body (by its Content-Type), then path, query
//! and form values on top; names matched case-insensitively except in XML, which is
//! case-sensitive but, unlike DataContractSerializer, accepts members in any order
//! (documented deviation: DCS silently drops out-of-order members).

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
    let whole = |m: &str| BindError {
        field: String::new(),
        message: m.to_owned(),
    };
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
/// refused.
pub fn apply_xml(obj: &mut Obj, body: &[u8], errors: &mut Vec<BindError>) {
    let ty: &'static TypeDef = obj.ty;
    let whole = |m: String| BindError {
        field: String::new(),
        message: m,
    };
    let Ok(text) = std::str::from_utf8(body) else {
        errors.push(whole("The request body is not valid UTF-8.".into()));
        return;
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
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

/// Splits `a=1&b=2` into decoded pairs.
pub fn parse_pairs(s: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(s.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
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
    fn query_overrides_body_and_duplicates_join() {
        let mut o = Obj::new(&CHANGE_PASSWORD);
        let mut e = Vec::new();
        apply_json(&mut o, br#"{"password":"body","sessionId":"s1"}"#, &mut e);
        apply_pairs(
            &mut o,
            &parse_pairs("password=query&SESSIONID=s2&sessionid=s3"),
            &mut e,
        );
        assert_eq!(o.str("password"), "query");
        assert_eq!(o.str("sessionId"), "s2,s3");
    }

    #[test]
    fn bad_values_are_errors_without_the_value() {
        let mut o = Obj::new(&CHANGE_PASSWORD);
        let mut e = Vec::new();
        apply_pairs(&mut o, &parse_pairs("userId=not-a-guid-secret"), &mut e);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].field, "userId");
        assert!(!e[0].message.contains("secret"));
        let mut e = Vec::new();
        apply_json(&mut o, b"[1,2]", &mut e);
        apply_json(&mut o, b"{\"userId\": 1e400}", &mut e);
        apply_json(&mut o, b"{\"password\": {\"a\":1}}", &mut e);
        assert_eq!(e.len(), 3);
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
            apply_pairs(&mut o, &parse_pairs(&q), &mut e);
        }
    }
}
