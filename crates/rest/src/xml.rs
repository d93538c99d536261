//! XML as DataContractSerializer writes it: root in the contract's namespace, members of a
//! type in the namespace of the type that declares them, `d{depth}p1` prefixes declared on
//! the member whose type lives in another namespace, `i:nil` for nulls, base members first
//! and POCO members in ordinal order.

use quick_xml::escape::escape;

use crate::dto::{Ty, TypeDef, NS_ARRAYS, NS_SYSTEM};
use crate::value::{Obj, Val};

const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Serialises `obj` as a root element, with the XML declaration.
pub fn to_xml(obj: &Obj) -> String {
    let mut out = String::with_capacity(512);
    out.push_str(r#"<?xml version="1.0" encoding="utf-8"?>"#);
    out.push_str(&root_xml(obj));
    out
}

/// The root element alone (no declaration); used by the metadata samples too.
pub fn root_xml(obj: &Obj) -> String {
    let mut out = String::new();
    out.push('<');
    out.push_str(obj.ty.name);
    out.push_str(&format!(r#" xmlns:i="{XSI}" xmlns="{}">"#, obj.ty.ns));
    write_members(&mut out, obj, obj.ty, "", 2);
    out.push_str("</");
    out.push_str(obj.ty.name);
    out.push('>');
    out
}

fn qname(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}:{name}")
    }
}

/// Members of `obj` (typed `ty`, whose namespace is bound to `prefix`), at `depth`.
fn write_members(out: &mut String, obj: &Obj, ty: &'static TypeDef, prefix: &str, depth: usize) {
    if let Some(base) = ty.base {
        write_members(out, obj, base, prefix, depth);
    }
    for f in ty.xml_fields() {
        write_member(
            out,
            &qname(prefix, f.name),
            f.ty,
            obj.get(f.name),
            ty.ns,
            prefix,
            depth,
        );
    }
}

fn write_member(
    out: &mut String,
    qn: &str,
    ty: Ty,
    v: &Val,
    elem_ns: &str,
    prefix: &str,
    depth: usize,
) {
    let nil = |out: &mut String, decl: &str| {
        out.push_str(&format!("<{qn}{decl} i:nil=\"true\" />"));
    };
    match ty {
        Ty::String | Ty::Guid | Ty::Bool | Ty::Enum(_) => match v {
            Val::Null => nil(out, ""),
            Val::Str(s) => out.push_str(&format!("<{qn}>{}</{qn}>", escape(s.as_str()))),
            Val::Bool(b) => out.push_str(&format!("<{qn}>{b}</{qn}>")),
            Val::Guid(g) => out.push_str(&format!("<{qn}>{}</{qn}>", g.hyphenated())),
            Val::Enum(e) => out.push_str(&format!("<{qn}>{e}</{qn}>")),
            _ => nil(out, ""),
        },
        Ty::Exception => nil(out, &format!(r#" xmlns:d{depth}p1="{NS_SYSTEM}""#)),
        Ty::Obj(t) | Ty::List(t) => {
            let (decl, child_prefix) = if t.ns == elem_ns {
                (String::new(), prefix.to_owned())
            } else {
                let p = format!("d{depth}p1");
                (format!(r#" xmlns:{p}="{}""#, t.ns), p)
            };
            match v {
                Val::Obj(o) => {
                    out.push_str(&format!("<{qn}{decl}>"));
                    write_members(out, o, t, &child_prefix, depth + 1);
                    out.push_str(&format!("</{qn}>"));
                }
                Val::List(items) if items.is_empty() => out.push_str(&format!("<{qn}{decl} />")),
                Val::List(items) => {
                    out.push_str(&format!("<{qn}{decl}>"));
                    let item = qname(&child_prefix, t.name);
                    for o in items {
                        out.push_str(&format!("<{item}>"));
                        write_members(out, o, t, &child_prefix, depth + 2);
                        out.push_str(&format!("</{item}>"));
                    }
                    out.push_str(&format!("</{qn}>"));
                }
                _ => nil(out, &decl),
            }
        }
        Ty::StringMap => {
            let p = format!("d{depth}p1");
            let decl = format!(r#" xmlns:{p}="{NS_ARRAYS}""#);
            match v {
                Val::Map(pairs) => {
                    out.push_str(&format!("<{qn}{decl}>"));
                    for (k, val) in pairs {
                        out.push_str(&format!(
                            "<{p}:KeyValueOfstringstring><{p}:Key>{}</{p}:Key><{p}:Value>{}</{p}:Value></{p}:KeyValueOfstringstring>",
                            escape(k.as_str()),
                            escape(val.as_str())
                        ));
                    }
                    out.push_str(&format!("</{qn}>"));
                }
                _ => nil(out, &decl),
            }
        }
    }
}
