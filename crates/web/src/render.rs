//! Templates (compiled into the binary, HTML auto-escaped) and the responses built from
//! them.

use std::collections::BTreeMap;

use axum::http::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::{context, Environment, Value};

use crate::visit::Visit;
use crate::WebConfig;

/// The templates, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("signin.html", include_str!("../templates/signin.html")),
    ("password.html", include_str!("../templates/password.html")),
    ("sessions.html", include_str!("../templates/sessions.html")),
    ("forgot.html", include_str!("../templates/forgot.html")),
    ("reset.html", include_str!("../templates/reset.html")),
    ("message.html", include_str!("../templates/message.html")),
];

/// The compiled templates and what every page shows.
pub(crate) struct Pages {
    env: Environment<'static>,
    texts: Value,
    system_name: String,
}

impl Pages {
    /// Compiles every template (a broken one fails the server's start, not a request).
    pub fn new(config: &WebConfig) -> Result<Self, minijinja::Error> {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)?;
        }
        let texts: BTreeMap<&str, &str> = crate::text::EN.iter().copied().collect();
        Ok(Pages {
            env,
            texts: Value::from_serialize(&texts),
            system_name: config.system_name.clone(),
        })
    }

    /// Renders `template` with `vars` plus the shared values (texts, system name, the
    /// signed-in user, the CSRF token) as an HTML response with `status`.
    pub fn render(
        &self,
        visit: &Visit,
        status: StatusCode,
        template: &str,
        vars: Value,
    ) -> Response {
        let all = context! {
            t => &self.texts,
            system_name => &self.system_name,
            user => visit.username(),
            csrf => visit.csrf_token(),
            ..vars
        };
        let html = match self.env.get_template(template).and_then(|t| t.render(all)) {
            Ok(html) => html,
            Err(e) => {
                tracing::error!(template, error = %e, "a page template failed to render");
                return (StatusCode::INTERNAL_SERVER_ERROR, "page rendering failed")
                    .into_response();
            }
        };
        let mut res = (status, html).into_response();
        res.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        with_form_cookie(res, visit)
    }
}

/// Adds the visit's new form cookie, if it needs one.
pub(crate) fn with_form_cookie(mut res: Response, visit: &Visit) -> Response {
    if let Some(c) = &visit.set_form_cookie {
        res.headers_mut().append(SET_COOKIE, c.clone());
    }
    res
}

/// A 303 redirect to `location` (a path of this server).
pub(crate) fn see_other(location: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(LOCATION, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let config = WebConfig {
            system_name: "Acme".into(),
            secure: false,
            reset_url: None,
            logo: None,
        };
        let pages = Pages::new(&config);
        assert!(pages.is_ok(), "{:?}", pages.err());
    }
}
