//! Mail templates: a subject, a plain-text body and an HTML body per [`MailKind`], built in
//! and overridable one file at a time from a directory (`mail.templates_dir`).
//!
//! Templates use minijinja (Jinja2 syntax). HTML bodies are auto-escaped, so a user name
//! with markup in it cannot inject any; plain-text bodies and subjects are not escaped.
//! Templates are read and compiled once at start, so a broken override stops the server
//! with the file's name instead of failing each mail.

use std::collections::BTreeMap;
use std::path::Path;

use passgate_core::outbox::{MailKind, MailParams};

/// Largest template file read from the overrides directory.
pub const MAX_TEMPLATE_BYTES: u64 = 64 * 1024;

/// Longest subject line sent (longer ones are cut at a character boundary).
pub const MAX_SUBJECT_CHARS: usize = 200;

/// The three parts of one kind's mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Subject,
    Text,
    Html,
}

impl Part {
    const ALL: [Part; 3] = [Part::Subject, Part::Text, Part::Html];

    fn extension(self) -> &'static str {
        match self {
            Part::Subject => "subject",
            Part::Text => "txt",
            Part::Html => "html",
        }
    }
}

/// A template set failed to load.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// An override file could not be read or is too large.
    #[error("mail template {file}: {message}")]
    Read {
        /// File name.
        file: String,
        /// Why.
        message: String,
    },
    /// A template does not compile, or does not render with sample values.
    #[error("mail template {file}: {message}")]
    Syntax {
        /// File name.
        file: String,
        /// minijinja's message.
        message: String,
    },
}

/// A rendered mail.
#[derive(Clone)]
pub struct Rendered {
    /// One line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// The template sources of every kind, checked.
#[derive(Debug, Clone)]
pub struct Templates {
    sources: BTreeMap<String, String>,
    system_name: String,
}

fn builtin(kind: MailKind, part: Part) -> &'static str {
    use MailKind::*;
    use Part::*;
    match (kind, part) {
        (ResetLink, Subject) => include_str!("../templates/reset_link.subject"),
        (ResetLink, Text) => include_str!("../templates/reset_link.txt"),
        (ResetLink, Html) => include_str!("../templates/reset_link.html"),
        (PasswordChanged, Subject) => include_str!("../templates/password_changed.subject"),
        (PasswordChanged, Text) => include_str!("../templates/password_changed.txt"),
        (PasswordChanged, Html) => include_str!("../templates/password_changed.html"),
        (PasswordReset, Subject) => include_str!("../templates/password_reset.subject"),
        (PasswordReset, Text) => include_str!("../templates/password_reset.txt"),
        (PasswordReset, Html) => include_str!("../templates/password_reset.html"),
        (PasswordSet, Subject) => include_str!("../templates/password_set.subject"),
        (PasswordSet, Text) => include_str!("../templates/password_set.txt"),
        (PasswordSet, Html) => include_str!("../templates/password_set.html"),
        (AccountLocked, Subject) => include_str!("../templates/account_locked.subject"),
        (AccountLocked, Text) => include_str!("../templates/account_locked.txt"),
        (AccountLocked, Html) => include_str!("../templates/account_locked.html"),
    }
}

fn file_name(kind: MailKind, part: Part) -> String {
    format!("{}.{}", kind.as_str(), part.extension())
}

impl Templates {
    /// The built-in templates, with files of `dir` (named `{kind}.subject`, `{kind}.txt`,
    /// `{kind}.html`, e.g. `reset_link.html`) replacing the ones they name. Every template
    /// is compiled and rendered once with sample values here.
    pub fn load(dir: Option<&Path>, system_name: &str) -> Result<Self, TemplateError> {
        let mut sources = BTreeMap::new();
        for kind in MailKind::ALL {
            for part in Part::ALL {
                let name = file_name(kind, part);
                let source = match dir.map(|d| d.join(&name)).filter(|p| p.exists()) {
                    Some(path) => read_override(&path)?,
                    None => builtin(kind, part).to_owned(),
                };
                sources.insert(name, source);
            }
        }
        let templates = Templates {
            sources,
            system_name: system_name.to_owned(),
        };
        let sample = MailParams::default()
            .with("username", "sample")
            .with("display_name", "Sample User")
            .with("at", "2026-01-01T00:00:00Z")
            .with("front_end", "soap")
            .with("client_addr", "192.0.2.1")
            .with("link", "https://example.com/reset?token=0")
            .with("expires_minutes", "30");
        for kind in MailKind::ALL {
            templates.render(kind, &sample)?;
        }
        Ok(templates)
    }

    /// Renders `kind`'s mail with `params` plus `system_name`.
    pub fn render(&self, kind: MailKind, params: &MailParams) -> Result<Rendered, TemplateError> {
        let mut ctx = params.0.clone();
        ctx.insert("system_name".into(), self.system_name.clone());
        let render = |part: Part| -> Result<String, TemplateError> {
            let name = file_name(kind, part);
            let source = self.sources.get(&name).map_or("", String::as_str);
            let mut env = minijinja::Environment::new();
            // Undefined variables render empty in text, but a typo in an override should
            // be found at start: `load` renders with every parameter a mail can have.
            env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
            let syntax = |e: minijinja::Error| TemplateError::Syntax {
                file: name.clone(),
                message: e.to_string(),
            };
            let template = env.template_from_named_str(&name, source).map_err(syntax)?;
            template.render(&ctx).map_err(syntax)
        };
        let subject: String = render(Part::Subject)?
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(MAX_SUBJECT_CHARS)
            .collect();
        Ok(Rendered {
            subject,
            text: render(Part::Text)?,
            html: render(Part::Html)?,
        })
    }
}

fn read_override(path: &Path) -> Result<String, TemplateError> {
    let read = |message: String| TemplateError::Read {
        file: path.display().to_string(),
        message,
    };
    let len = std::fs::metadata(path)
        .map_err(|e| read(e.to_string()))?
        .len();
    if len > MAX_TEMPLATE_BYTES {
        return Err(read(format!(
            "larger than {MAX_TEMPLATE_BYTES} bytes ({len})"
        )));
    }
    std::fs::read_to_string(path).map_err(|e| read(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> MailParams {
        MailParams::default()
            .with("username", "ann")
            .with("display_name", "Ann <b>Bold</b> & Co")
            .with("at", "2026-12-04T20:00:00Z")
            .with("front_end", "rest")
            .with("client_addr", "198.51.100.4")
            .with("link", "https://portal.example/reset?token=abc&x=1")
            .with("expires_minutes", "30")
    }

    #[test]
    fn builtins_render_and_html_is_escaped() -> Result<(), TemplateError> {
        let t = Templates::load(None, "Acme CRM")?;
        let m = t.render(MailKind::ResetLink, &params())?;
        assert_eq!(m.subject, "Acme CRM: reset your password");
        assert!(m
            .text
            .contains("https://portal.example/reset?token=abc&x=1"));
        assert!(m.text.contains("Ann <b>Bold</b> & Co"));
        assert!(
            m.html.contains("Ann &lt;b&gt;Bold&lt;&#x2f;b&gt; &amp; Co"),
            "{}",
            m.html
        );
        assert!(m.html.contains("token=abc&amp;x=1"));
        for kind in MailKind::ALL {
            let m = t.render(kind, &params())?;
            assert!(m.subject.starts_with("Acme CRM:"), "{}", m.subject);
            assert!(m.text.contains("ann"));
        }
        Ok(())
    }

    #[test]
    fn overrides_replace_single_files_and_are_checked_at_load(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        std::fs::write(
            dir.path().join("password_changed.subject"),
            "Changed for {{ username }}\nsecond line",
        )?;
        let t = Templates::load(Some(dir.path()), "Acme")?;
        let m = t.render(MailKind::PasswordChanged, &params())?;
        assert_eq!(m.subject, "Changed for ann second line");
        assert!(
            m.text.contains("was changed"),
            "the text part stays built in"
        );
        std::fs::write(dir.path().join("reset_link.txt"), "{{ link ")?;
        let err = Templates::load(Some(dir.path()), "Acme")
            .err()
            .ok_or("accepted")?;
        assert!(err.to_string().contains("reset_link.txt"), "{err}");
        std::fs::write(dir.path().join("reset_link.txt"), "{{ lnk }}")?;
        let err = Templates::load(Some(dir.path()), "Acme")
            .err()
            .ok_or("accepted")?;
        assert!(err.to_string().contains("reset_link.txt"), "{err}");
        std::fs::write(dir.path().join("reset_link.txt"), "x".repeat(70_000))?;
        assert!(Templates::load(Some(dir.path()), "Acme").is_err());
        Ok(())
    }
}
