//! A DTO instance: values keyed by the member names of its [`TypeDef`].

use crate::dto::TypeDef;

/// A member value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// Null / absent (JSON omits it; XML writes `i:nil`).
    Null,
    /// A string.
    Str(String),
    /// A boolean.
    Bool(bool),
    /// A Guid.
    Guid(uuid::Uuid),
    /// An enum member name.
    Enum(&'static str),
    /// A nested object.
    Obj(Obj),
    /// A list of objects.
    List(Vec<Obj>),
    /// A string dictionary.
    Map(Vec<(String, String)>),
}

/// An instance of a data contract.
#[derive(Debug, Clone)]
pub struct Obj {
    /// Its contract.
    pub ty: &'static TypeDef,
    /// Values by member name; members not listed are null.
    pub values: Vec<(&'static str, Val)>,
}

static NULL: Val = Val::Null;

impl PartialEq for Obj {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.ty, other.ty) && self.values == other.values
    }
}

impl Obj {
    /// An instance with every member null.
    pub fn new(ty: &'static TypeDef) -> Self {
        Obj {
            ty,
            values: Vec::new(),
        }
    }

    /// Sets a member (replacing an earlier value).
    pub fn set(&mut self, name: &'static str, v: Val) {
        if let Some(slot) = self.values.iter_mut().find(|(n, _)| *n == name) {
            slot.1 = v;
        } else {
            self.values.push((name, v));
        }
    }

    /// Builder form of [`Obj::set`].
    pub fn with(mut self, name: &'static str, v: Val) -> Self {
        self.set(name, v);
        self
    }

    /// A member's value (`Null` when unset).
    pub fn get(&self, name: &str) -> &Val {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(&NULL, |(_, v)| v)
    }

    /// A string member, empty when null.
    pub fn str(&self, name: &str) -> String {
        match self.get(name) {
            Val::Str(s) => s.clone(),
            _ => String::new(),
        }
    }
}

/// `Val::Str` from anything string-like.
pub fn s(v: impl Into<String>) -> Val {
    Val::Str(v.into())
}
