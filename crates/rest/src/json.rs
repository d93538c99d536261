//! JSON as ServiceStack.Text writes it for Net3: camelCase keys, nulls omitted, Guids in
//! `N` format, enums by name, derived members before base members.

use crate::dto::{FieldDef, TypeDef};
use crate::value::{Obj, Val};

fn camel(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(first) => first.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

fn push_str(out: &mut String, s: &str) {
    out.push_str(&serde_json::Value::String(s.to_owned()).to_string());
}

/// Members in JSON order: own members in declaration order, then the base's.
fn json_fields(ty: &'static TypeDef) -> Vec<&'static FieldDef> {
    let mut v: Vec<&'static FieldDef> = ty.fields.iter().collect();
    if let Some(b) = ty.base {
        v.extend(json_fields(b));
    }
    v
}

/// Serialises an object.
pub fn to_json(obj: &Obj) -> String {
    let mut out = String::with_capacity(256);
    write_obj(&mut out, obj);
    out
}

fn write_obj(out: &mut String, obj: &Obj) {
    out.push('{');
    let mut first = true;
    for f in json_fields(obj.ty) {
        let v = obj.get(f.name);
        if matches!(v, Val::Null) {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        push_str(out, &camel(f.name));
        out.push(':');
        write_val(out, v);
    }
    out.push('}');
}

fn write_val(out: &mut String, v: &Val) {
    match v {
        Val::Null => out.push_str("null"),
        Val::Str(s) => push_str(out, s),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Guid(g) => push_str(out, &g.simple().to_string()),
        Val::Enum(e) => push_str(out, e),
        Val::Obj(o) => write_obj(out, o),
        Val::List(items) => {
            out.push('[');
            for (i, o) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_obj(out, o);
            }
            out.push(']');
        }
        Val::Map(pairs) => {
            out.push('{');
            for (i, (k, val)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_str(out, k);
                out.push(':');
                push_str(out, val);
            }
            out.push('}');
        }
    }
}
