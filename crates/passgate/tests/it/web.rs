//! The self-service pages over plain HTTP (the browser test is `web_browser`): headers,
//! cookies, CSRF refusals that change nothing, sessions of other users out of reach, the
//! live policy check, and `web.enabled = false`.

use passgate_core::audit::FrontEnd;
use passgate_core::domain::{Password, SessionKind};
use passgate_core::RequestContext;

use crate::harness::*;

const OLD: &str = "correct horse battery staple";
const NEW: &str = "velvet orbit canyon tulip 42";
const TEMP: &str = "temporary passphrase words 9";

/// A cookie-keeping client that does not follow redirects.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The CSRF token in the page's first form.
    fn csrf(&self) -> String {
        let at = self.body.find(r#"name="csrf" value=""#).map(|i| i + 19);
        at.and_then(|i| self.body[i..].split('"').next())
            .unwrap_or("")
            .to_owned()
    }
}

impl Browser {
    fn new(s: &TestServer) -> Result<Self, reqwest::Error> {
        Ok(Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            base: s.url(""),
            cookies: Vec::new(),
        })
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Result<Answer, reqwest::Error> {
        let r = req.header("Cookie", self.cookie_header()).send().await?;
        for set in r.headers().get_all("set-cookie") {
            let text = set.to_str().unwrap_or("");
            let pair = text.split(';').next().unwrap_or("");
            if let Some((n, v)) = pair.split_once('=') {
                self.cookies.retain(|(name, _)| name != n);
                if !text.contains("Max-Age=0") {
                    self.cookies.push((n.to_owned(), v.to_owned()));
                }
            }
        }
        Ok(Answer {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.text().await?,
        })
    }

    async fn get(&mut self, path: &str) -> Result<Answer, reqwest::Error> {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Result<Answer, reqwest::Error> {
        let req = self.http.post(format!("{}{path}", self.base)).form(form);
        self.send(req).await
    }

    async fn sign_in(&mut self, login: &str, pw: &str) -> Result<Answer, reqwest::Error> {
        let csrf = self.get("/account/signin").await?.csrf();
        self.post(
            "/account/signin",
            &[("login", login), ("password", pw), ("csrf", &csrf)],
        )
        .await
    }
}

async fn ticket(s: &TestServer, name: &str) -> Result<String, Box<dyn std::error::Error>> {
    let login = s
        .core
        .authenticate(
            &RequestContext::new(FrontEnd::Soap),
            name,
            Password::new(OLD),
            SessionKind::SoapTicket,
        )
        .await?;
    Ok(login.token.expose().to_owned())
}

async fn pages_headers_and_sign_in() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("ann", OLD).await?;
    let mut b = Browser::new(&s)?;
    let page = b.get("/account/signin").await?;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-security-policy")
        .contains("script-src 'self'"));
    assert_eq!(page.header("x-frame-options"), "DENY");
    assert_eq!(page.header("referrer-policy"), "no-referrer");
    assert_eq!(page.header("cache-control"), "no-store");
    assert!(page.body.contains(r#"autocomplete="current-password""#));
    assert!(!page.body.contains("<script>") && !page.body.contains("style="));
    let form_cookie = page.header("set-cookie").to_owned();
    assert!(
        form_cookie.starts_with("passgate-form=")
            && form_cookie.contains("HttpOnly")
            && form_cookie.contains("SameSite=Strict"),
        "{form_cookie}"
    );

    let bad = b.sign_in("ann", "wrong password here").await?;
    let unknown = b.sign_in("nobody", "wrong password here").await?;
    assert_eq!((bad.status, unknown.status), (401, 401));
    assert!(bad.body.contains("The user name or password is incorrect."));
    assert!(unknown
        .body
        .contains("The user name or password is incorrect."));

    let ok = b.sign_in("ann", OLD).await?;
    assert_eq!((ok.status, ok.header("location")), (303, "/account/"));
    let set = ok
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("passgate="))
        .unwrap_or("")
        .to_owned();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && !set.contains("Secure"));
    let listed = s.core.list_sessions(Some("ann"), false).await?;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].session.kind,
        SessionKind::Web,
        "a row of the session table"
    );
    let home = b.get("/account/").await?;
    assert!(home.status == 200 && home.body.contains("ann"));

    let wk = b.get("/.well-known/change-password").await?;
    assert_eq!(
        (wk.status, wk.header("location")),
        (303, "/account/password")
    );
    let css = b.get("/account/static/app.css").await?;
    assert_eq!(css.header("content-type"), "text/css; charset=utf-8");
    assert_eq!(css.header("x-content-type-options"), "nosniff");
    assert_eq!(b.get("/account/static/nope").await?.status, 404);
    assert_eq!(b.get("/account/nowhere").await?.status, 404);

    // Revoked from the CLI: the cookie no longer signs in.
    s.core
        .revoke_sessions(&RequestContext::new(FrontEnd::Cli), None, Some("ann"))
        .await?;
    let after = b.get("/account/sessions").await?;
    assert_eq!(
        (after.status, after.header("location")),
        (303, "/account/signin")
    );
    Ok(())
}
both_backends!(pages_headers_and_sign_in);

async fn forged_forms_change_nothing() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("ben", OLD).await?;
    let t = ticket(&s, "ben").await?;
    let mut b = Browser::new(&s)?;
    b.sign_in("ben", OLD).await?;
    let change = [("current", OLD), ("new", NEW), ("confirm", NEW)];
    assert_eq!(b.post("/account/password", &change).await?.status, 403);
    let mut forged = change.to_vec();
    forged.push(("csrf", "x"));
    assert_eq!(b.post("/account/password", &forged).await?.status, 403);
    assert_eq!(
        b.post("/account/sessions", &[("action", "others"), ("csrf", "x")])
            .await?
            .status,
        403
    );
    assert_eq!(b.post("/account/signout", &[]).await?.status, 403);
    // A token of another browser's session does not fit this one.
    let mut other = Browser::new(&s)?;
    other.sign_in("ben", OLD).await?;
    let foreign = other.get("/account/password").await?.csrf();
    let mut crossed = change.to_vec();
    crossed.push(("csrf", &foreign));
    assert_eq!(b.post("/account/password", &crossed).await?.status, 403);
    // Duplicated fields are refused as malformed.
    let mine = b.get("/account/password").await?.csrf();
    let dup = [("csrf", mine.as_str()), ("csrf", mine.as_str())];
    assert_eq!(b.post("/account/password", &dup).await?.status, 400);
    assert!(
        s.core.resolve_session(Some(&t)).await.is_ok(),
        "nothing ended"
    );
    assert!(
        s.login("ben", OLD).await?.is_some(),
        "the password is unchanged"
    );
    // With the right token, the change works and ends the ticket.
    let mut right = change.to_vec();
    right.push(("csrf", &mine));
    let done = b.post("/account/password", &right).await?;
    assert_eq!(
        (done.status, done.header("location")),
        (303, "/account/?notice=changed")
    );
    assert!(s.core.resolve_session(Some(&t)).await.is_err());
    assert_eq!(
        b.get("/account/sessions").await?.status,
        200,
        "this session kept"
    );
    Ok(())
}
both_backends!(forged_forms_change_nothing);

async fn sessions_of_others_are_out_of_reach() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("cat", OLD).await?;
    s.add_user("dan", OLD).await?;
    let dans = ticket(&s, "dan").await?;
    let dan_id = s.core.list_sessions(Some("dan"), false).await?[0]
        .session
        .id;
    let mut b = Browser::new(&s)?;
    b.sign_in("cat", OLD).await?;
    let csrf = b.get("/account/sessions").await?.csrf();
    let id = dan_id.to_string();
    let r = b
        .post(
            "/account/sessions",
            &[("action", "one"), ("id", &id), ("csrf", &csrf)],
        )
        .await?;
    assert_eq!(r.header("location"), "/account/sessions?notice=ended_none");
    assert!(s.core.resolve_session(Some(&dans)).await.is_ok());
    let r = b
        .post(
            "/account/sessions",
            &[("action", "others"), ("csrf", &csrf)],
        )
        .await?;
    assert_eq!(
        r.header("location"),
        "/account/sessions?notice=ended_others"
    );
    assert!(
        s.core.resolve_session(Some(&dans)).await.is_ok(),
        "dan untouched"
    );
    Ok(())
}
both_backends!(sessions_of_others_are_out_of_reach);

async fn policy_check_runs_the_servers_policy() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("eve", OLD).await?;
    let mut b = Browser::new(&s)?;
    let anon = b.get("/account/signin").await?.csrf();
    let r = b
        .post(
            "/account/password/check",
            &[("password", "x"), ("csrf", &anon)],
        )
        .await?;
    assert_eq!(r.status, 401, "signed in only");
    b.sign_in("eve", OLD).await?;
    let csrf = b.get("/account/password").await?.csrf();
    let weak = b
        .post(
            "/account/password/check",
            &[("password", "eve12345"), ("csrf", &csrf)],
        )
        .await?;
    let v: serde_json::Value = serde_json::from_str(&weak.body)?;
    assert_eq!(v["acceptable"], false);
    let failed: Vec<&str> = v["rules"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|r| r["state"] == "fail")
                .filter_map(|r| r["code"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        failed.contains(&"too_short") && failed.contains(&"context_word"),
        "{v}"
    );
    // The same verdict as the SOAP IsPasswordValid path (one policy).
    let user = s
        .core
        .user_by_id(
            s.core.list_sessions(Some("eve"), false).await?[0]
                .session
                .user_id,
        )
        .await?;
    let direct = s
        .core
        .password_feedback(user.as_ref(), &Password::new("eve12345"))
        .await?;
    assert_eq!(direct.failures.len(), failed.len());
    let strong = b
        .post(
            "/account/password/check",
            &[("password", NEW), ("csrf", &csrf)],
        )
        .await?;
    let v: serde_json::Value = serde_json::from_str(&strong.body)?;
    assert_eq!(v["acceptable"], true, "{v}");
    assert!(v["score"].as_u64().unwrap_or(0) >= 3);
    let no_token = b
        .post("/account/password/check", &[("password", NEW)])
        .await?;
    assert_eq!(no_token.status, 403);
    Ok(())
}
both_backends!(policy_check_runs_the_servers_policy);

#[tokio::test]
async fn must_change_sessions_only_reach_the_change_page() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("fin", OLD).await?;
    s.core
        .admin_set_password(
            &RequestContext::new(FrontEnd::Cli),
            "fin",
            Password::new(TEMP),
            true,
        )
        .await?;
    let mut b = Browser::new(&s)?;
    let r = b.sign_in("fin", TEMP).await?;
    assert_eq!(r.header("location"), "/account/password");
    for path in ["/account/", "/account/sessions"] {
        let r = b.get(path).await?;
        assert_eq!(
            (r.status, r.header("location")),
            (303, "/account/password"),
            "{path}"
        );
    }
    let page = b.get("/account/password").await?;
    assert!(page.body.contains("requires a new password"));
    Ok(())
}

#[tokio::test]
async fn https_deployments_use_host_prefixed_secure_cookies() -> TestResult {
    let s = TestServer::start_with(|st| {
        st.core.hash = fast_params();
        st.public_url = Some("https://id.example".into());
    })
    .await?;
    s.add_user("gus", OLD).await?;
    let mut b = Browser::new(&s)?;
    let page = b.get("/account/signin").await?;
    let set = page.header("set-cookie");
    assert!(
        set.starts_with("__Host-passgate-form=")
            && set.contains("; Secure")
            && set.contains("Path=/")
            && !set.contains("Domain"),
        "{set}"
    );
    let ok = b.sign_in("gus", OLD).await?;
    let session = ok
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("__Host-passgate="))
        .unwrap_or("")
        .to_owned();
    assert!(
        session.contains("; Secure") && session.contains("HttpOnly"),
        "{session}"
    );
    Ok(())
}

#[tokio::test]
async fn pages_can_be_turned_off() -> TestResult {
    let s = TestServer::start_with(|st| {
        st.core.hash = fast_params();
        st.web.enabled = false;
    })
    .await?;
    let r = s.http.get(s.url("/account/signin")).send().await?;
    assert_eq!(r.status().as_u16(), 404);
    assert!(r.headers().get("content-security-policy").is_none());
    Ok(())
}

#[tokio::test]
async fn the_reset_page_judges_with_the_users_context_words_and_spends_nothing() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("margaret", OLD).await?;
    let issued = s
        .core
        .operator_reset_link(
            &passgate_core::RequestContext::new(passgate_core::audit::FrontEnd::Cli),
            "margaret",
            &s.url("/account/reset"),
        )
        .await?;
    let link = secrecy::ExposeSecret::expose_secret(&issued.link).to_owned();
    let token = link
        .split("token=")
        .nth(1)
        .ok_or("no token in the link")?
        .to_owned();
    let mut b = Browser::new(&s)?;
    let csrf = b
        .get(&format!("/account/reset?token={token}"))
        .await?
        .csrf();
    let candidate = "Margaret.Margaret.2026";
    let failed = |body: &str| -> Result<Vec<String>, serde_json::Error> {
        let v: serde_json::Value = serde_json::from_str(body)?;
        Ok(v["rules"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|r| r["state"] == "fail")
                    .filter_map(|r| r["code"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    };
    let with_link = b
        .post(
            "/account/reset/check",
            &[("password", candidate), ("csrf", &csrf), ("token", &token)],
        )
        .await?;
    assert!(
        failed(&with_link.body)?.contains(&"context_word".to_owned()),
        "{}",
        with_link.body
    );
    let without = b
        .post(
            "/account/reset/check",
            &[("password", candidate), ("csrf", &csrf)],
        )
        .await?;
    assert!(!failed(&without.body)?.contains(&"context_word".to_owned()));
    // The check spent nothing: the link still sets a password.
    let done = b
        .post(
            "/account/reset",
            &[
                ("token", &token),
                ("csrf", &csrf),
                ("new", NEW),
                ("confirm", NEW),
            ],
        )
        .await?;
    assert!(done.status < 400, "{} {}", done.status, done.body);
    assert!(s.login("margaret", NEW).await?.is_some());
    Ok(())
}
