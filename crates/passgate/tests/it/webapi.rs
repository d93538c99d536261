//! The SuperOffice WebAPI front end (`/api/v1/Agents/User/*`) through the real server:
//! authentication (SOTicket, Basic, SO-AppToken), every operation's outcomes, revocation
//! across front ends, throttling, enumeration resistance, hostile bodies, and the routing
//! it shares with ServiceStack's `/api/{Request}`.

use crate::harness::*;
use crate::rest::{put_json, rest_login};

const OLD: &str = "correct horse battery staple";
const NEW: &str = "a brand new passphrase, long";
const NEWER: &str = "yet another long passphrase 7";
const VERIFY: &str = "passgate_argon2_operations_total{op=\"verify\"}";
const AGENT: &str = "/api/v1/Agents/User/";

/// How a call authenticates.
enum Auth<'a> {
    None,
    Ticket(&'a str),
    Basic(&'a str, &'a str),
}

struct Reply {
    status: u16,
    www_authenticate: Option<String>,
    content_type: String,
    body: String,
}

impl Reply {
    fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(&self.body)
    }
}

async fn call(
    s: &TestServer,
    path: &str,
    auth: Auth<'_>,
    body: &str,
    extra: &[(&str, &str)],
) -> Result<Reply, Box<dyn std::error::Error>> {
    let mut rb = s
        .http
        .post(s.url(path))
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    rb = match auth {
        Auth::None => rb,
        Auth::Ticket(t) => rb.header("Authorization", format!("soticket {t}")),
        Auth::Basic(u, p) => rb.basic_auth(u, Some(p)),
    };
    for (k, v) in extra {
        rb = rb.header(*k, *v);
    }
    let r = rb.send().await?;
    let header = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    Ok(Reply {
        status: r.status().as_u16(),
        www_authenticate: header("www-authenticate"),
        content_type: header("content-type").unwrap_or_default(),
        body: r.text().await?,
    })
}

async fn op(
    s: &TestServer,
    name: &str,
    auth: Auth<'_>,
    body: serde_json::Value,
) -> Result<Reply, Box<dyn std::error::Error>> {
    call(s, &format!("{AGENT}{name}"), auth, &body.to_string(), &[]).await
}

async fn change_own_password_with_ticket_and_basic() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("alice", OLD).await?;
    let ticket = s.login("alice", OLD).await?.ok_or("login failed")?;

    // The official TS client's camelCase body, a SOAP ticket, the scheme in any case.
    let r = op(
        &s,
        "ChangeOwnPassword",
        Auth::Ticket(&ticket),
        serde_json::json!({"oldPassword": OLD, "newPassword": NEW}),
    )
    .await?;
    assert_eq!((r.status, r.body.as_str()), (200, "true"));
    assert_eq!(r.content_type, "application/json; charset=utf-8");

    // Basic with the new password; PascalCase body as in the documentation.
    let r = op(
        &s,
        "ChangeOwnPassword",
        Auth::Basic("alice", NEW),
        serde_json::json!({"OldPassword": NEW, "NewPassword": NEWER}),
    )
    .await?;
    assert_eq!((r.status, r.body.as_str()), (200, "true"));

    // Wrong old password: a bare false, nothing changed.
    let r = op(
        &s,
        "ChangeOwnPassword",
        Auth::Basic("alice", NEWER),
        serde_json::json!({"OldPassword": "not the password at all", "NewPassword": NEW}),
    )
    .await?;
    assert_eq!((r.status, r.body.as_str()), (200, "false"));

    // A weak new password: 400 and the reason.
    let r = op(
        &s,
        "ChangeOwnPassword",
        Auth::Basic("alice", NEWER),
        serde_json::json!({"OldPassword": NEWER, "NewPassword": "short"}),
    )
    .await?;
    assert_eq!(r.status, 400, "{}", r.body);
    let v = r.json()?;
    assert_eq!(v["Error"], true);
    assert_eq!(v["ErrorType"], "PasswordPolicyException");
    assert!(
        v["ErrorMessage"].as_str().is_some_and(|m| !m.is_empty()),
        "{v}"
    );
    assert!(
        s.login("alice", NEWER).await?.is_some(),
        "the password is unchanged"
    );

    // Metrics carry the front end's label.
    let ok = s
        .metric("passgate_requests_total{front_end=\"webapi\",operation=\"ChangeOwnPassword\",outcome=\"ok\"}")
        .await?;
    assert_eq!(ok, 2.0);
    Ok(())
}
both_backends!(change_own_password_with_ticket_and_basic);

#[tokio::test]
async fn validity_checks_and_admin_operations() -> TestResult {
    let s = TestServer::start().await?;
    s.add_admin("root", OLD).await?;
    let bob = s.add_user("bob", OLD).await?;
    s.add_user("carol", OLD).await?;
    let bob_id = bob.associate_id.get();

    let r = op(
        &s,
        "IsPasswordValidWithReason",
        Auth::Basic("bob", OLD),
        serde_json::json!({"associateId": 0, "password": "short"}),
    )
    .await?;
    assert_eq!(r.status, 200);
    let v = r.json()?;
    assert_eq!(v["Result"], false);
    assert!(v["Reason"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    assert!(v.get("TableRight").is_some() && v.get("FieldProperties").is_some());
    let r = op(
        &s,
        "IsPasswordValidWithReason",
        Auth::Basic("bob", OLD),
        serde_json::json!({"password": NEW}),
    )
    .await?;
    assert_eq!(
        r.json()?,
        serde_json::json!({"Reason":"","Result":true,"TableRight":null,"FieldProperties":{}})
    );
    let r = op(
        &s,
        "IsPasswordValid",
        Auth::Basic("bob", OLD),
        serde_json::json!({"Password": "short"}),
    )
    .await?;
    assert_eq!((r.status, r.body.as_str()), (200, "false"));

    // A non-admin acting on someone else: 403, nothing changed.
    let r = op(
        &s,
        "SetPasswordFromName",
        Auth::Basic("carol", OLD),
        serde_json::json!({"AssociateName": "bob", "Password": NEW}),
    )
    .await?;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.json()?["ErrorType"], "SoAccessDeniedException");
    assert!(s.login("bob", OLD).await?.is_some());
    let r = op(
        &s,
        "CanChangePassword",
        Auth::Basic("carol", OLD),
        serde_json::json!({"AssociateId": bob_id}),
    )
    .await?;
    assert_eq!(r.body, "false");
    let r = op(
        &s,
        "GetSupportedChangePasswordTypes",
        Auth::Basic("carol", OLD),
        serde_json::json!({"AssociateId": 0}),
    )
    .await?;
    assert_eq!(r.body, r#"["Password"]"#);

    // The administrator sets bob's password by id; bob must change it at next login.
    let r = op(
        &s,
        "CanChangePassword",
        Auth::Basic("root", OLD),
        serde_json::json!({"AssociateId": bob_id}),
    )
    .await?;
    assert_eq!(r.body, "true");
    let r = op(
        &s,
        "SetPassword",
        Auth::Basic("root", OLD),
        serde_json::json!({"AssociateId": bob_id, "Password": NEW}),
    )
    .await?;
    assert_eq!((r.status, r.body.as_str()), (200, "true"), "{}", r.body);
    assert!(s.login("bob", OLD).await?.is_none());
    assert!(s.login("bob", NEW).await?.is_some());
    let r = op(
        &s,
        "SetPassword",
        Auth::Basic("root", OLD),
        serde_json::json!({"AssociateId": 99999, "Password": NEW}),
    )
    .await?;
    assert_eq!(r.status, 404);

    // A generated password is returned once, as a bare JSON string, and works.
    let r = op(
        &s,
        "SetGeneratedPasswordFromName",
        Auth::Basic("root", OLD),
        serde_json::json!({"associateName": "carol"}),
    )
    .await?;
    assert_eq!(r.status, 200);
    let generated: String = serde_json::from_str(&r.body)?;
    assert!(s.login("carol", &generated).await?.is_some());

    // No mail server: SendChangePasswordEMail says so.
    let r = op(
        &s,
        "SendChangePasswordEMail",
        Auth::Basic("root", OLD),
        serde_json::json!({"AssociateId": 0}),
    )
    .await?;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()?,
        serde_json::json!({"Success": false, "Message": "E-mail is not configured on this server."})
    );
    Ok(())
}

#[tokio::test]
async fn online_mode_needs_the_app_token_and_refuses_basic() -> TestResult {
    let s = TestServer::start_with(|c| {
        c.core.hash = fast_params();
        c.online = true;
    })
    .await?;
    s.add_user("alice", OLD).await?;
    let token = s
        .core
        .add_app_token(
            &passgate_core::RequestContext::new(passgate_core::audit::FrontEnd::Cli),
            "crm",
        )
        .await?;
    let login =
        auth_envelope(SOAP12, "alice", OLD).replace(">app<", &format!(">{}<", token.expose()));
    let (_, reply) = s.soap12(PRINCIPAL, login).await?;
    let ticket = first_text(&reply, "Ticket").ok_or("online login failed")?;
    let body = serde_json::json!({"OldPassword": OLD, "NewPassword": NEW}).to_string();
    let path = format!("{AGENT}ChangeOwnPassword");

    let r = call(&s, &path, Auth::Ticket(&ticket), &body, &[]).await?;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()?["ErrorType"], "InvalidApplicationTokenException");
    assert_eq!(
        r.www_authenticate.as_deref(),
        Some("SOTicket realm=\"passgate\"")
    );
    let r = call(
        &s,
        &path,
        Auth::Ticket(&ticket),
        &body,
        &[("SO-AppToken", "pgat_not_registered")],
    )
    .await?;
    assert_eq!(r.status, 401);
    let r = call(
        &s,
        &path,
        Auth::Basic("alice", OLD),
        &body,
        &[("SO-AppToken", token.expose())],
    )
    .await?;
    assert_eq!(r.status, 401, "Basic is onsite only");
    let r = call(
        &s,
        &path,
        Auth::Ticket(&ticket),
        &body,
        &[("SO-AppToken", token.expose())],
    )
    .await?;
    assert_eq!((r.status, r.body.as_str()), (200, "true"));
    Ok(())
}

async fn changes_revoke_sessions_of_every_front_end() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("alice", OLD).await?;
    let ticket = s.login("alice", OLD).await?.ok_or("login")?;
    let sid = rest_login(&s, "alice", OLD).await?;
    // A change here (Basic: no session of its own) ends the SOAP ticket and the REST session.
    let r = op(
        &s,
        "ChangeOwnPassword",
        Auth::Basic("alice", OLD),
        serde_json::json!({"OldPassword": OLD, "NewPassword": NEW}),
    )
    .await?;
    assert_eq!(r.body, "true");
    let (status, body) = s
        .soap12(USER, change_envelope(SOAP12, Some(&ticket), NEW, NEWER))
        .await?;
    assert_eq!(status, 200);
    assert_eq!(
        first_text(&body, "ExceptionType").as_deref(),
        Some("SoTicketInvalidException")
    );
    let (status, _) = put_json(
        &s,
        "/logins/ChangePassword",
        serde_json::json!({"sessionId": sid, "password": NEW, "newPassword": NEWER}),
    )
    .await?;
    assert_eq!(status, 401);

    // And the reverse: a change over REST ends the ticket used here; Basic needs the new password.
    let ticket = s.login("alice", NEW).await?.ok_or("login")?;
    let sid = rest_login(&s, "alice", NEW).await?;
    let (status, v) = put_json(
        &s,
        "/logins/ChangePassword",
        serde_json::json!({"sessionId": sid, "password": NEW, "newPassword": NEWER}),
    )
    .await?;
    assert_eq!(
        (status, v["result"]["result"].as_str()),
        (200, Some("Success"))
    );
    let r = op(
        &s,
        "IsPasswordValid",
        Auth::Ticket(&ticket),
        serde_json::json!({"Password": NEW}),
    )
    .await?;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()?["ErrorType"], "SoTicketInvalidException");
    let r = op(
        &s,
        "IsPasswordValid",
        Auth::Basic("alice", NEW),
        serde_json::json!({"Password": NEW}),
    )
    .await?;
    assert_eq!(r.status, 401);
    let r = op(
        &s,
        "IsPasswordValid",
        Auth::Basic("alice", NEWER),
        serde_json::json!({"Password": NEW}),
    )
    .await?;
    assert_eq!(r.status, 200);
    Ok(())
}
both_backends!(changes_revoke_sessions_of_every_front_end);

async fn basic_guessing_is_throttled_without_hashing() -> TestResult {
    let s = TestServer::start_with(|c| {
        c.core.hash = fast_params();
        c.trusted_proxy_header = Some("x-forwarded-for".into());
    })
    .await?;
    s.add_user("victim", OLD).await?;
    let body = serde_json::json!({"Password": NEW}).to_string();
    let path = format!("{AGENT}IsPasswordValid");
    let from = [("X-Forwarded-For", "10.0.0.9")];
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            call(
                &s,
                &path,
                Auth::Basic("victim", "a wrong guess"),
                &body,
                &from,
            )
            .await?
            .status,
        );
    }
    assert_eq!(statuses, vec![401; 5]);
    // Throttled now: even the right password is refused, with zero Argon2id work.
    let before = s.metric(VERIFY).await?;
    let r = call(&s, &path, Auth::Basic("victim", OLD), &body, &from).await?;
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(r.json()?["ErrorType"], "TooManyAttemptsException");
    let r = call(
        &s,
        &path,
        Auth::Basic("victim", "another guess"),
        &body,
        &from,
    )
    .await?;
    assert_eq!(r.status, 429);
    assert_eq!(
        s.metric(VERIFY).await?,
        before,
        "a throttled Basic call must not hash"
    );
    // No session is stored for Basic calls.
    assert!(s.core.list_sessions(Some("victim"), true).await?.is_empty());
    Ok(())
}
both_backends!(basic_guessing_is_throttled_without_hashing);

#[tokio::test]
async fn unknown_user_and_wrong_password_are_byte_identical() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("alice", OLD).await?;
    let body = serde_json::json!({"OldPassword": OLD, "NewPassword": NEW}).to_string();
    let path = format!("{AGENT}ChangeOwnPassword");
    let before = s.metric(VERIFY).await?;
    let wrong = call(
        &s,
        &path,
        Auth::Basic("alice", "wrong password"),
        &body,
        &[],
    )
    .await?;
    let unknown = call(
        &s,
        &path,
        Auth::Basic("nobody-here", "wrong password"),
        &body,
        &[],
    )
    .await?;
    assert_eq!(
        s.metric(VERIFY).await? - before,
        2.0,
        "one verification each"
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(
        (
            wrong.status,
            &wrong.www_authenticate,
            &wrong.content_type,
            &wrong.body
        ),
        (
            unknown.status,
            &unknown.www_authenticate,
            &unknown.content_type,
            &unknown.body
        )
    );
    assert_eq!(
        wrong.www_authenticate.as_deref(),
        Some("Basic realm=\"passgate\", SOTicket realm=\"passgate\"")
    );
    let none = call(&s, &path, Auth::None, &body, &[]).await?;
    assert_eq!(none.status, 401);
    assert!(none.www_authenticate.is_some());
    Ok(())
}

#[tokio::test]
async fn hostile_bodies_are_refused_and_change_nothing() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("alice", OLD).await?;
    let path = format!("{AGENT}ChangeOwnPassword");
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let many = format!(
        "{{{}}}",
        (0..1000)
            .map(|i| format!("\"k{i}\":1"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let huge = format!("{{\"OldPassword\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));
    for (body, status) in [
        (deep.as_str(), 400),
        (many.as_str(), 400),
        ("{\"OldPassword\":", 400),
        ("[1,2,3]", 400),
        ("\"just a string\"", 400),
        ("{\"OldPassword\":5,\"NewPassword\":\"x\"}", 400),
        ("\u{0}\u{1}garbage", 400),
        (huge.as_str(), 413),
    ] {
        let r = call(&s, &path, Auth::Basic("alice", OLD), body, &[]).await?;
        assert_eq!(r.status, status, "{}", &r.body[..r.body.len().min(200)]);
        let v = r.json()?;
        assert_eq!(v["Message"], "The request is invalid.", "{v}");
    }
    let r = s
        .http
        .post(s.url(&path))
        .header("Content-Type", "application/xml")
        .basic_auth("alice", Some(OLD))
        .body("<ChangeOwnPassword/>")
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 415);
    let r = op(
        &s,
        "SetPassword",
        Auth::Basic("alice", OLD),
        serde_json::json!({"AssociateId": -4, "Password": NEW}),
    )
    .await?;
    assert_eq!(r.status, 400);
    assert!(s.login("alice", OLD).await?.is_some(), "nothing changed");
    Ok(())
}

#[tokio::test]
async fn routes_are_shared_with_servicestack_without_shadowing() -> TestResult {
    let s = TestServer::start().await?;
    // Ours: an agent operation (401 JSON with a challenge), in any case.
    for path in [
        "/api/v1/Agents/User/ChangeOwnPassword",
        "/API/V1/agents/user/changeownpassword",
    ] {
        let r = call(&s, path, Auth::None, "{}", &[]).await?;
        assert_eq!(r.status, 401, "{path}");
        assert!(r.www_authenticate.is_some());
    }
    // Ours: unknown agents and operations get the WebAPI's 404 object.
    for path in [
        "/api/v1/Agents/User/NoSuchOp",
        "/api/v1/Agents/Contact/GetContact",
        "/api/v1/Agents/User",
    ] {
        let r = call(&s, path, Auth::None, "{}", &[]).await?;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.json()?["ErrorType"], "SoNotFoundException");
    }
    // Ours: discovery and descriptions.
    let v: serde_json::Value = s.http.get(s.url("/api")).send().await?.json().await?;
    assert_eq!(v["v1"], format!("http://{}/api/v1", s.addr));
    let v: serde_json::Value = s.http.get(s.url("/api/v1")).send().await?.json().await?;
    let key = format!("http://{}/api/v1/Agents/User/ChangeOwnPassword", s.addr);
    assert!(v[&key]["POST"].is_string(), "{v}");
    let r = s
        .http
        .get(s.url("/api/v1/Agents/User/ChangeOwnPassword"))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    let v: serde_json::Value = r.json().await?;
    assert_eq!(v["Parameters"], "OldPassword, NewPassword");
    let r = s
        .http
        .get(s.url("/api/v1/Agents/User/ChangeOwnPassword"))
        .header("Accept", "text/xml")
        .send()
        .await?;
    assert!(r
        .text()
        .await?
        .starts_with("<OperationDescription><Name>ChangeOwnPassword</Name>"));

    // REST's: ServiceStack's /api/{Request} and everything else under /api. Each request
    // is counted once under front_end="rest" and never under "webapi".
    for (method, path) in [
        ("POST", "/api/ChangePassword"),
        ("GET", "/api/Security"),
        ("POST", "/api"),
        ("POST", "/api/v1"),
        ("GET", "/api/v1/contact/2"),
        ("POST", "/api/v1/Agent/User/ChangeOwnPassword"),
    ] {
        let (rest_before, webapi_before) = (
            requests_of(&s, "rest").await?,
            requests_of(&s, "webapi").await?,
        );
        let m = reqwest::Method::from_bytes(method.as_bytes())?;
        let r = s
            .http
            .request(m, s.url(path))
            .header("Content-Type", "application/json")
            .body("{}")
            .send()
            .await?;
        let text = r.text().await?;
        assert!(!text.contains("\"ErrorSource\""), "{method} {path}: {text}");
        assert_eq!(
            requests_of(&s, "rest").await?,
            rest_before + 1.0,
            "{method} {path} reached REST"
        );
        assert_eq!(
            requests_of(&s, "webapi").await?,
            webapi_before,
            "{method} {path}"
        );
    }
    // And ours is counted as ours.
    let webapi_before = requests_of(&s, "webapi").await?;
    let _ = call(
        &s,
        "/api/v1/Agents/User/ChangeOwnPassword",
        Auth::None,
        "{}",
        &[],
    )
    .await?;
    assert_eq!(requests_of(&s, "webapi").await?, webapi_before + 1.0);
    Ok(())
}

/// Every request counted for `front_end` so far.
async fn requests_of(s: &TestServer, front_end: &str) -> Result<f64, Box<dyn std::error::Error>> {
    let text = s.http.get(s.url("/metrics")).send().await?.text().await?;
    let prefix = format!("passgate_requests_total{{front_end=\"{front_end}\"");
    Ok(text
        .lines()
        .filter(|l| l.starts_with(&prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum())
}

#[tokio::test]
async fn base_path_is_configurable() -> TestResult {
    let s = TestServer::start_with(|c| {
        c.core.hash = fast_params();
        c.webapi_base = "/Cust12345/api".into();
    })
    .await?;
    s.add_user("alice", OLD).await?;
    let body = serde_json::json!({"Password": NEW}).to_string();
    let r = call(
        &s,
        "/Cust12345/api/v1/Agents/User/IsPasswordValid",
        Auth::Basic("alice", OLD),
        &body,
        &[],
    )
    .await?;
    assert_eq!((r.status, r.body.as_str()), (200, "true"));
    let r = call(
        &s,
        "/api/v1/Agents/User/IsPasswordValid",
        Auth::Basic("alice", OLD),
        &body,
        &[],
    )
    .await?;
    assert!(
        r.www_authenticate.is_none() && r.status != 200,
        "the default base is not served"
    );
    Ok(())
}

#[tokio::test]
async fn no_webapi_password_or_ticket_reaches_the_logs() -> TestResult {
    let s = TestServer::start().await?;
    let old = "Sekrit-WebApi-Old-Passphrase-444";
    let new = "Sekrit-WebApi-New-Passphrase-555";
    let wrong = "Sekrit-WebApi-Wrong-Passphrase-666";
    s.add_user("webapi-logcheck", old).await?;
    let ticket = s.login("webapi-logcheck", old).await?.ok_or("login")?;
    let _ = op(
        &s,
        "ChangeOwnPassword",
        Auth::Basic("webapi-logcheck", wrong),
        serde_json::json!({"OldPassword": old, "NewPassword": new}),
    )
    .await?;
    let _ = op(
        &s,
        "ChangeOwnPassword",
        Auth::Basic("nobody-webapi", wrong),
        serde_json::json!({"OldPassword": old, "NewPassword": new}),
    )
    .await?;
    let _ = op(
        &s,
        "ChangeOwnPassword",
        Auth::Ticket(&ticket),
        serde_json::json!({"OldPassword": wrong, "NewPassword": new}),
    )
    .await?;
    let _ = call(
        &s,
        &format!("{AGENT}ChangeOwnPassword"),
        Auth::Ticket(&ticket),
        &format!("{{\"OldPassword\":\"{old}\",\"NewPassword\":"),
        &[],
    )
    .await?;
    let r = op(
        &s,
        "ChangeOwnPassword",
        Auth::Ticket(&ticket),
        serde_json::json!({"OldPassword": old, "NewPassword": new}),
    )
    .await?;
    assert_eq!(r.body, "true");
    let r = op(
        &s,
        "SetGeneratedPassword",
        Auth::Basic("webapi-logcheck", new),
        serde_json::json!({}),
    )
    .await?;
    let generated: String = serde_json::from_str(&r.body)?;
    let logs = captured_logs();
    for secret in [old, new, wrong, ticket.as_str(), generated.as_str()] {
        assert!(!logs.contains(secret), "a secret reached the logs");
    }
    Ok(())
}

#[tokio::test]
async fn send_change_password_email_sends_a_reset_link_to_the_first_allowed_page() -> TestResult {
    let Some(py) = crate::smtp::python("WebAPI SendChangePasswordEMail test") else {
        return Ok(());
    };
    let smtp = crate::smtp::SmtpSink::start(&py).await?;
    let s = TestServer::start_with(|c| crate::reset::use_mail(c, smtp.port)).await?;
    s.add_user("alice", OLD).await?;
    let bob = s.add_user("bob", OLD).await?;

    let r = op(
        &s,
        "GetSupportedChangePasswordTypes",
        Auth::Basic("alice", OLD),
        serde_json::json!({}),
    )
    .await?;
    assert_eq!(r.body, r#"["Password","Email"]"#);
    // Someone else's mail needs the admin role.
    let r = op(
        &s,
        "SendChangePasswordEMail",
        Auth::Basic("alice", OLD),
        serde_json::json!({"AssociateId": bob.associate_id.get()}),
    )
    .await?;
    assert_eq!(r.status, 403);
    let r = op(
        &s,
        "SendChangePasswordEMail",
        Auth::Basic("alice", OLD),
        serde_json::json!({"associateId": 0}),
    )
    .await?;
    assert_eq!(
        r.json()?,
        serde_json::json!({"Success": true, "Message": ""})
    );

    let mails = smtp.wait_for(1, std::time::Duration::from_secs(30)).await?;
    assert_eq!(mails[0].rcpt_tos, vec!["alice@example.com".to_owned()]);
    assert!(
        mails[0]
            .text()
            .contains("https://portal.example/reset?token="),
        "{}",
        mails[0].text()
    );
    let token = mails[0].token().ok_or("no token in the mail")?;
    let (status, v) = put_json(
        &s,
        "/logins/ChangePasswordWithToken",
        serde_json::json!({"authToken": token, "newPassword": NEW}),
    )
    .await?;
    assert_eq!(
        (status, v["result"]["result"].as_str()),
        (200, Some("Success")),
        "{v}"
    );
    assert!(s.login("alice", NEW).await?.is_some());
    Ok(())
}
