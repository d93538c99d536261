//! The Net3/ServiceStack REST front end: every outcome row, negotiation, binding, sessions.

use crate::harness::*;

const OLD: &str = "correct horse battery staple";
const NEW: &str = "a brand new passphrase, long";

pub async fn rest_login(
    s: &TestServer,
    user: &str,
    pw: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let r = s
        .http
        .post(s.url("/security/credentials"))
        .json(&serde_json::json!({"username": user, "password": pw}))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    let v: serde_json::Value = r.json().await?;
    Ok(v["sessionId"].as_str().ok_or("no sessionId")?.to_owned())
}

pub async fn put_json(
    s: &TestServer,
    path: &str,
    body: serde_json::Value,
) -> Result<(u16, serde_json::Value), Box<dyn std::error::Error>> {
    let r = s.http.put(s.url(path)).json(&body).send().await?;
    let status = r.status().as_u16();
    let text = r.text().await?;
    Ok((
        status,
        serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?,
    ))
}

async fn json_change_password_outcomes() -> TestResult {
    let s = TestServer::start().await?;
    let alice = s.add_user("alice", OLD).await?;
    s.add_user("bob", OLD).await?;
    let sid = rest_login(&s, "alice", OLD).await?;

    // Wrong current password: 200 Fail.
    let (st, v) = put_json(
        &s,
        "/logins/ChangePassword",
        serde_json::json!({"sessionId": sid, "password": "wrong one entirely", "newPassword": NEW}),
    )
    .await?;
    assert_eq!(st, 200);
    assert_eq!(v["result"]["result"], "Fail");
    assert_eq!(v["result"]["hasError"], false);
    assert!(v.get("responseStatus").is_none(), "nulls are omitted: {v}");

    // Policy rejection: 200 Fail + errors[] on newPassword.
    let (st, v) = put_json(
        &s,
        "/logins/ChangePassword",
        serde_json::json!({"sessionId": sid, "password": OLD, "newPassword": "short"}),
    )
    .await?;
    assert_eq!(st, 200);
    assert_eq!(v["result"]["result"], "Fail");
    assert_eq!(v["responseStatus"]["errors"][0]["fieldName"], "newPassword");
    assert_eq!(v["responseStatus"]["errors"][0]["errorCode"], "too_short");

    // Another user's id, not admin: 403, nothing changed.
    let bob = s
        .core
        .list_users()
        .await?
        .into_iter()
        .find(|u| u.username.as_str() == "bob")
        .ok_or("bob")?;
    let (st, v) = put_json(&s, "/logins/ChangePassword", serde_json::json!({"sessionId": sid, "userId": bob.id.0.to_string(), "password": OLD, "newPassword": NEW})).await?;
    assert_eq!(st, 403);
    assert_eq!(v["responseStatus"]["errorCode"], "Forbidden");
    assert!(s.login("bob", OLD).await?.is_some());

    // No session: 401 with the ServiceStack challenge.
    let r = s
        .http
        .put(s.url("/logins/ChangePassword"))
        .json(&serde_json::json!({"password": OLD, "newPassword": NEW}))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(
        r.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("credentials realm=\"/auth/credentials\"")
    );
    let v: serde_json::Value = r.json().await?;
    assert_eq!(v["responseStatus"]["errorCode"], "Unauthorized");

    // Success with the user's own id in N form (empty/zero id means self too).
    let (st, v) = put_json(&s, "/logins/ChangePassword", serde_json::json!({"sessionId": sid, "userId": alice.id.0.simple().to_string(), "password": OLD, "newPassword": NEW})).await?;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["result"]["result"], "Success");
    assert_eq!(s.login("alice", OLD).await?, None);
    assert!(s.login("alice", NEW).await?.is_some());
    Ok(())
}
both_backends!(json_change_password_outcomes);

#[tokio::test]
async fn admin_may_change_another_users_password() -> TestResult {
    let s = TestServer::start().await?;
    s.core
        .create_user(
            &passgate_core::RequestContext::new(passgate_core::audit::FrontEnd::Cli),
            passgate_core::service::NewUserInput {
                username: passgate_core::domain::Username::parse("root")?,
                email: None,
                full_name: None,
                role: passgate_core::domain::Role::Admin,
                password: passgate_core::domain::Password::new(OLD),
            },
        )
        .await?;
    let target = s.add_user("target", OLD).await?;
    let target_ticket = s.login("target", OLD).await?.ok_or("login")?;
    let sid = rest_login(&s, "root", OLD).await?;
    let (st, v) = put_json(&s, "/logins/ChangePassword", serde_json::json!({"sessionId": sid, "userId": target.id.0.to_string(), "password": OLD, "newPassword": NEW})).await?;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["result"]["result"], "Success");
    assert!(s.login("target", NEW).await?.is_some());
    // All of the target's sessions ended.
    let (_, body) = s
        .soap12(
            USER,
            change_envelope(SOAP12, Some(&target_ticket), NEW, OLD),
        )
        .await?;
    assert_eq!(
        first_text(&body, "ExceptionType").as_deref(),
        Some("SoTicketInvalidException")
    );
    Ok(())
}

#[tokio::test]
async fn xml_request_and_response_in_dcs_layout() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("xmluser", OLD).await?;
    let sid = rest_login(&s, "xmluser", OLD).await?;
    // Members deliberately out of contract order (accepted: documented deviation).
    let body = format!(
        r#"<ChangePassword xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/N3TAPI.Services"><userId>00000000-0000-0000-0000-000000000000</userId><password>{OLD}</password><newPassword>{NEW}</newPassword><sessionId>{sid}</sessionId></ChangePassword>"#
    );
    let r = s
        .http
        .put(s.url("/logins/ChangePassword"))
        .header("Content-Type", "application/xml")
        .header("Accept", "application/xml")
        .body(body)
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/xml")
    );
    let text = r.text().await?;
    assert!(text.starts_with(r#"<?xml version="1.0" encoding="utf-8"?><ChangePasswordResponse xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/N3TAPI.Services"><ResponseStatus xmlns:d2p1="http://schemas.servicestack.net/types" i:nil="true" /><Result xmlns:d2p1="http://schemas.datacontract.org/2004/07/N3TEntities.Common"><d2p1:Exception xmlns:d3p1="http://schemas.datacontract.org/2004/07/System" i:nil="true" /><d2p1:HasError>false</d2p1:HasError>"#), "{text}");
    assert!(text.contains("<d2p1:Result>Success</d2p1:Result>"));
    assert!(s.login("xmluser", NEW).await?.is_some());
    Ok(())
}

/// (depth, namespace, name) of every element in document order, skipping the content of
/// `Exception` (the .NET ISerializable blob in the seed).
type Shape = Vec<(usize, String, String)>;

fn shape(xml: &str) -> Result<Shape, Box<dyn std::error::Error>> {
    let doc = roxmltree::Document::parse(xml)?;
    let mut out = Vec::new();
    fn walk(n: roxmltree::Node<'_, '_>, depth: usize, out: &mut Vec<(usize, String, String)>) {
        for c in n.children().filter(roxmltree::Node::is_element) {
            let name = c.tag_name().name().to_owned();
            out.push((
                depth,
                c.tag_name().namespace().unwrap_or("").to_owned(),
                name.clone(),
            ));
            if name != "Exception" {
                walk(c, depth + 1, out);
            }
        }
    }
    let root = doc.root_element();
    out.push((
        0,
        root.tag_name().namespace().unwrap_or("").to_owned(),
        root.tag_name().name().to_owned(),
    ));
    walk(root, 1, &mut out);
    Ok(out)
}

fn unescape_html(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = text.find(start)?;
    let j = text[i..].find(end)? + i + end.len();
    Some(&text[i..j])
}

#[tokio::test]
async fn seed_samples_match_passgates_own_metadata_samples() -> TestResult {
    let seed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/seeds/net3-changepassword.txt"
    ))?;
    let seed_req = between(&seed, "<ChangePassword ", "</ChangePassword>").ok_or("seed request")?;
    let seed_resp = between(
        &seed,
        "<ChangePasswordResponse ",
        "</ChangePasswordResponse>",
    )
    .ok_or("seed response")?;

    let s = TestServer::start().await?;
    let page = s
        .http
        .get(s.url("/xml/metadata?op=ChangePassword"))
        .send()
        .await?
        .text()
        .await?;
    assert!(page.contains("Requires Authentication"));
    assert!(page.contains("/logins/ChangePassword"));
    for row in [
        "userId",
        "newPassword",
        "sessionId",
        "ExecuteResult&lt;T&gt;",
        "Fail",
        "Success",
        "Error",
    ] {
        assert!(page.contains(row), "metadata page lacks {row}");
    }
    let ours = unescape_html(&page);
    let our_req = between(&ours, "<ChangePassword ", "</ChangePassword>").ok_or("our request")?;
    let our_resp = between(
        &ours,
        "<ChangePasswordResponse ",
        "</ChangePasswordResponse>",
    )
    .ok_or("our response")?;
    assert_eq!(shape(our_req)?, shape(seed_req)?);
    assert_eq!(shape(our_resp)?, shape(seed_resp)?);

    // The seed's request body, with real values, changes a password.
    s.add_user("seeduser", OLD).await?;
    let sid = rest_login(&s, "seeduser", OLD).await?;
    let body = seed_req
        .replace(
            "<sessionId>String</sessionId>",
            &format!("<sessionId>{sid}</sessionId>"),
        )
        .replace(
            "<newPassword>String</newPassword>",
            &format!("<newPassword>{NEW}</newPassword>"),
        )
        .replace(
            "<password>String</password>",
            &format!("<password>{OLD}</password>"),
        );
    let r = s
        .http
        .put(s.url("/logins/ChangePassword"))
        .header("Accept", "application/xml")
        .header("Content-Type", "application/xml")
        .body(body)
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(first_text(&r.text().await?, "Result").as_deref(), Some("")); // the outer Result element
    assert!(s.login("seeduser", NEW).await?.is_some());
    Ok(())
}

#[tokio::test]
async fn negotiation_paths() -> TestResult {
    let s = TestServer::start().await?;
    let ct = |r: &reqwest::Response| {
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        ("/logins/ChangePassword", vec![], "application/json"),
        (
            "/logins/ChangePassword",
            vec![("Accept", "application/xml")],
            "application/xml",
        ),
        (
            "/logins/ChangePassword",
            vec![
                ("Accept", "application/json, application/xml"),
                ("Content-Type", "application/xml"),
            ],
            "application/xml",
        ),
        (
            "/logins/ChangePassword",
            vec![("Accept", "application/json, application/xml")],
            "application/json",
        ),
        (
            "/logins/ChangePassword",
            vec![("Accept", "*/*"), ("Content-Type", "application/xml")],
            "application/xml",
        ),
        (
            "/logins/ChangePassword",
            vec![("Accept", "*/*")],
            "application/json",
        ),
        (
            "/logins/ChangePassword.xml",
            vec![("Accept", "application/json")],
            "application/xml",
        ),
        (
            "/LOGINS/changepassword.json",
            vec![("Accept", "application/xml")],
            "application/json",
        ),
        (
            "/logins/ChangePassword?format=xml",
            vec![("Accept", "application/json")],
            "application/xml",
        ),
        (
            "/logins/ChangePassword.json?format=xml",
            vec![],
            "application/json",
        ),
        (
            "/xml/reply/ChangePassword",
            vec![("Accept", "application/json")],
            "application/xml",
        ),
        (
            "/json/reply/changepassword",
            vec![("Accept", "application/xml")],
            "application/json",
        ),
    ];
    for (path, headers, want) in cases {
        let mut req = s.http.put(s.url(path));
        for (k, v) in &headers {
            req = req.header(*k, *v);
        }
        let r = req.send().await?;
        assert_eq!(r.status().as_u16(), 401, "{path} {headers:?}");
        assert!(ct(&r).starts_with(want), "{path} {headers:?}: {}", ct(&r));
    }
    // Predefined routes accept any verb; custom routes do not (404, plain text).
    assert_eq!(
        s.http
            .post(s.url("/json/reply/ChangePassword"))
            .send()
            .await?
            .status()
            .as_u16(),
        401
    );
    let r = s.http.post(s.url("/logins/ChangePassword")).send().await?;
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(r.text().await?, "404");
    assert_eq!(
        s.http
            .get(s.url("/json/reply/NoSuchOp"))
            .send()
            .await?
            .status()
            .as_u16(),
        404
    );
    Ok(())
}

#[tokio::test]
async fn every_session_id_source_works() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("sess", OLD).await?;
    let wrong = serde_json::json!({"password": "not the password!", "newPassword": NEW});
    for source in [
        "body",
        "query",
        "form",
        "x-ss-id",
        "x-ss-pid",
        "cookie-id",
        "cookie-pid",
    ] {
        let sid = rest_login(&s, "sess", OLD).await?;
        let url = s.url("/logins/ChangePassword");
        let req = match source {
            "body" => s.http.put(&url).json(&serde_json::json!({"sessionId": sid, "password": "not the password!", "newPassword": NEW})),
            "query" => s.http.put(format!("{url}?sessionId={sid}")).json(&wrong),
            "form" => s.http.put(&url).form(&[("sessionId", sid.as_str()), ("password", "not the password!"), ("newPassword", NEW)]),
            "x-ss-id" => s.http.put(&url).header("X-ss-id", &sid).json(&wrong),
            "x-ss-pid" => s.http.put(&url).header("X-ss-pid", &sid).json(&wrong),
            "cookie-id" => s.http.put(&url).header("Cookie", format!("ss-id={sid}")).json(&wrong),
            _ => s.http.put(&url).header("Cookie", format!("ss-opt=perm; ss-pid={sid}; ss-id=stale")).json(&wrong),
        };
        let r = req.send().await?;
        assert_eq!(r.status().as_u16(), 200, "{source}");
        let v: serde_json::Value = r.json().await?;
        assert_eq!(v["result"]["result"], "Fail", "{source}: {v}");
    }
    // The DTO's sessionId wins over a bad header.
    let sid = rest_login(&s, "sess", OLD).await?;
    let r = s
        .http
        .put(s.url("/logins/ChangePassword"))
        .header("X-ss-id", "bogus")
        .json(&serde_json::json!({"sessionId": sid, "password": "x", "newPassword": NEW}))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    Ok(())
}

#[tokio::test]
async fn binding_precedence_body_then_query_then_form() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("prec", OLD).await?;
    let sid = rest_login(&s, "prec", OLD).await?;
    // Body says wrong password, query overrides with the right one.
    let url = format!(
        "{}?password={}",
        s.url("/logins/ChangePassword"),
        "correct%20horse%20battery%20staple"
    );
    let (st, v) = {
        let r = s
            .http
            .put(url)
            .json(&serde_json::json!({"sessionId": sid, "password": "wrong", "newPassword": NEW}))
            .send()
            .await?;
        (r.status().as_u16(), r.json::<serde_json::Value>().await?)
    };
    assert_eq!(st, 200);
    assert_eq!(v["result"]["result"], "Success", "{v}");
    // Form overrides query.
    let url = format!(
        "{}?newPassword=query-value-is-long-enough",
        s.url("/logins/ChangePassword")
    );
    let r = s
        .http
        .put(url)
        .form(&[
            ("sessionId", sid.as_str()),
            ("password", NEW),
            ("newPassword", "form value is the one that wins"),
        ])
        .send()
        .await?;
    let v: serde_json::Value = r.json().await?;
    assert_eq!(v["result"]["result"], "Success", "{v}");
    assert!(s
        .login("prec", "form value is the one that wins")
        .await?
        .is_some());
    Ok(())
}

#[tokio::test]
async fn malformed_input_gives_400_and_changes_nothing() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("mal", OLD).await?;
    let sid = rest_login(&s, "mal", OLD).await?;
    let url = s.url("/logins/ChangePassword");
    let cases: Vec<(Option<&str>, String, &str)> = vec![
        (Some("application/json"), "{not json".into(), "json"),
        (Some("application/json"), "[1,2,3]".into(), "json"),
        (Some("application/json"), format!(r#"{{"sessionId":"{sid}","userId":12345678901234567890123,"password":"{OLD}","newPassword":"{NEW}"}}"#), "json"),
        (Some("application/json"), format!(r#"{{"sessionId":"{sid}","userId":"not-a-guid","password":"{OLD}","newPassword":"{NEW}"}}"#), "json"),
        (Some("application/json"), format!(r#"{{"sessionId":"{sid}","password":{{"a":1}},"newPassword":"{NEW}"}}"#), "json"),
        (Some("application/xml"), "<ChangePassword><unclosed>".into(), "xml"),
        (Some("application/xml"), "<Wrong xmlns=\"urn:x\"/>".into(), "xml"),
        (Some("application/xml"), r#"<!DOCTYPE a [<!ENTITY b "c">]><ChangePassword xmlns="http://schemas.datacontract.org/2004/07/N3TAPI.Services"/>"#.into(), "xml"),
    ];
    for (ct, body, kind) in cases {
        let mut req = s.http.put(&url).body(body.clone());
        if let Some(ct) = ct {
            req = req.header("Content-Type", ct);
        }
        let r = req.send().await?;
        assert_eq!(r.status().as_u16(), 400, "{body}");
        let text = r.text().await?;
        if kind == "xml" {
            assert!(
                text.contains("<ErrorResponse ")
                    && text.contains("<ErrorCode>SerializationException</ErrorCode>"),
                "{text}"
            );
        } else {
            let v: serde_json::Value = serde_json::from_str(&text)?;
            assert_eq!(v["responseStatus"]["errorCode"], "SerializationException");
        }
    }
    for q in ["userId=xyz", "userId=99999999999999999999999999999999999"] {
        let r = s
            .http
            .put(format!("{url}?{q}&sessionId={sid}"))
            .json(&serde_json::json!({"password": OLD, "newPassword": NEW}))
            .send()
            .await?;
        assert_eq!(r.status().as_u16(), 400, "{q}");
        let v: serde_json::Value = r.json().await?;
        assert_eq!(v["responseStatus"]["errors"][0]["fieldName"], "userId");
    }
    // Invalid UTF-8 once percent-decoded is refused as a whole, never bound as U+FFFD.
    let r = s
        .http
        .put(format!("{url}?userId=%FF%FE&sessionId={sid}"))
        .json(&serde_json::json!({"password": OLD, "newPassword": NEW}))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 400);
    let v: serde_json::Value = r.json().await?;
    assert_eq!(v["responseStatus"]["errors"][0]["fieldName"], "");
    assert_eq!(
        v["responseStatus"]["errors"][0]["message"],
        "The query string is not valid UTF-8."
    );
    let r = s
        .http
        .put(&url)
        .header("Content-Type", "application/json")
        .body(vec![b' '; 100 * 1024])
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 413);
    assert!(s.login("mal", OLD).await?.is_some(), "nothing changed");
    Ok(())
}

#[tokio::test]
async fn auth_credentials_cookies_and_logout() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("cookie", OLD).await?;
    // Wrong password: 401 Unauthorized, identical for unknown users.
    let mut bodies = Vec::new();
    for user in ["cookie", "nobody-at-all"] {
        let r = s
            .http
            .post(s.url("/auth/credentials"))
            .json(&serde_json::json!({"UserName": user, "Password": "wrong password!"}))
            .send()
            .await?;
        assert_eq!(r.status().as_u16(), 401);
        bodies.push(r.text().await?);
    }
    assert_eq!(bodies[0], bodies[1]);
    let v: serde_json::Value = serde_json::from_str(&bodies[0])?;
    assert_eq!(
        v["responseStatus"]["message"],
        "Invalid Username or Password"
    );

    let r = s
        .http
        .post(s.url("/auth/credentials"))
        .json(&serde_json::json!({"userName": "cookie", "password": OLD, "rememberMe": true}))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    let v: serde_json::Value = r.json().await?;
    let sid = v["sessionId"].as_str().ok_or("sessionId")?.to_owned();
    assert_eq!(v["userName"], "cookie");
    assert!(cookies
        .iter()
        .any(|c| c.starts_with(&format!("ss-id={sid};")) && c.contains("HttpOnly")));
    assert!(cookies
        .iter()
        .any(|c| c.starts_with(&format!("ss-pid={sid};")) && c.contains("Expires=")));
    assert!(cookies.iter().any(|c| c.starts_with("ss-opt=perm")));

    // GET /auth shows the session; logout ends it.
    let r = s
        .http
        .get(s.url("/auth"))
        .header("Cookie", format!("ss-id={sid}"))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    let r = s
        .http
        .post(s.url("/auth/logout"))
        .header("X-ss-id", &sid)
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    assert!(r
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().is_ok_and(|c| c.starts_with("ss-id=;"))));
    let r = s
        .http
        .get(s.url("/auth"))
        .header("Cookie", format!("ss-id={sid}"))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 401);
    Ok(())
}

async fn one_sessions_table_across_front_ends() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("cross", OLD).await?;
    // REST change ends the SOAP ticket and the other REST session.
    let ticket = s.login("cross", OLD).await?.ok_or("login")?;
    let s1 = rest_login(&s, "cross", OLD).await?;
    let s2 = rest_login(&s, "cross", OLD).await?;
    let (st, v) = put_json(
        &s,
        "/logins/ChangePassword",
        serde_json::json!({"sessionId": s2, "password": OLD, "newPassword": NEW}),
    )
    .await?;
    assert_eq!((st, v["result"]["result"].as_str()), (200, Some("Success")));
    let (_, body) = s
        .soap12(USER, change_envelope(SOAP12, Some(&ticket), NEW, OLD))
        .await?;
    assert_eq!(
        first_text(&body, "ExceptionType").as_deref(),
        Some("SoTicketInvalidException")
    );
    let (st, _) = put_json(
        &s,
        "/logins/ChangePassword",
        serde_json::json!({"sessionId": s1, "password": NEW, "newPassword": OLD}),
    )
    .await?;
    assert_eq!(st, 401);
    let (st, v) = put_json(
        &s,
        "/logins/ChangePassword",
        serde_json::json!({"sessionId": s2, "password": "wrong password!!", "newPassword": OLD}),
    )
    .await?;
    assert_eq!(
        (st, v["result"]["result"].as_str()),
        (200, Some("Fail")),
        "the caller's session survives"
    );

    // SOAP change ends the REST sessions.
    let ticket = s.login("cross", NEW).await?.ok_or("login")?;
    let s3 = rest_login(&s, "cross", NEW).await?;
    let (_, body) = s
        .soap12(USER, change_envelope(SOAP12, Some(&ticket), NEW, OLD))
        .await?;
    assert_eq!(first_text(&body, "Response").as_deref(), Some("true"));
    let (st, _) = put_json(
        &s,
        "/logins/ChangePassword",
        serde_json::json!({"sessionId": s3, "password": OLD, "newPassword": NEW}),
    )
    .await?;
    assert_eq!(st, 401);

    // REST sessions expire like tickets.
    let s4 = rest_login(&s, "cross", OLD).await?;
    s.advance(std::time::Duration::from_secs(6 * 3600 + 1));
    let (st, _) = put_json(
        &s,
        "/logins/ChangePassword",
        serde_json::json!({"sessionId": s4, "password": OLD, "newPassword": NEW}),
    )
    .await?;
    assert_eq!(st, 401);
    Ok(())
}
both_backends!(one_sessions_table_across_front_ends);

#[tokio::test]
async fn overload_is_503_with_retry_after() -> TestResult {
    let s = TestServer::start_with(|c| {
        c.core.hash_workers = 1;
        c.core.hash_max_wait = std::time::Duration::from_millis(1);
    })
    .await?;
    s.add_user("busy", OLD).await?;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let http = s.http.clone();
        let url = s.url("/security/credentials");
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .json(&serde_json::json!({"username": "busy", "password": OLD}))
                .send()
                .await?;
            Ok::<_, reqwest::Error>((
                r.status().as_u16(),
                r.headers().contains_key("retry-after"),
                r.text().await?,
            ))
        }));
    }
    let mut refused = 0;
    for t in tasks {
        let (st, retry, body) = t.await??;
        if st == 503 {
            refused += 1;
            assert!(retry);
            assert!(body.contains("ServiceUnavailable"));
        } else {
            assert_eq!(st, 200, "{body}");
        }
    }
    assert!(refused >= 1);
    Ok(())
}

#[tokio::test]
async fn metadata_index_and_openapi() -> TestResult {
    let s = TestServer::start().await?;
    let index = s.http.get(s.url("/metadata")).send().await?.text().await?;
    for op in ["ChangePassword", "Security", "Authenticate"] {
        assert!(index.contains(op));
    }
    let page = s
        .http
        .get(s.url("/json/metadata?op=ChangePassword"))
        .send()
        .await?
        .text()
        .await?;
    assert!(page.contains("?format=json"));
    let sample = unescape_html(&page);
    let json_start = sample.find("{\"userId\"").ok_or("json sample")?;
    let v: serde_json::Value = serde_json::Deserializer::from_str(&sample[json_start..])
        .into_iter()
        .next()
        .ok_or("sample")??;
    assert_eq!(v["userId"], "00000000000000000000000000000000");
    let spec: serde_json::Value = s
        .http
        .get(s.url("/openapi.json"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(spec["openapi"], "3.0.3");
    assert!(spec["paths"]["/logins/ChangePassword"]["put"].is_object());
    assert!(spec["paths"]["/security/credentials"]["post"].is_object());
    assert!(
        spec["components"]["schemas"]["ChangePassword"]["properties"]["newPassword"].is_object()
    );
    assert_eq!(
        spec["components"]["schemas"]["ExecuteResultOfResult"]["properties"]["result"]["enum"][1],
        "Success"
    );
    Ok(())
}

async fn unexpected_failure_is_error_with_a_correlation_id_on_both_front_ends() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("broken", OLD).await?;
    let sid = rest_login(&s, "broken", OLD).await?;
    let ticket = s.login("broken", OLD).await?.ok_or("login")?;
    // The change's transaction writes password history first: make that fail.
    s.sql("DROP TABLE password_history").await?;
    let (st, v) = put_json(
        &s,
        "/logins/ChangePassword",
        serde_json::json!({"sessionId": sid, "password": OLD, "newPassword": NEW}),
    )
    .await?;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["result"]["result"], "Error");
    assert_eq!(v["result"]["hasError"], true);
    let exception = v["result"]["exception"].as_str().ok_or("exception")?;
    assert!(exception.contains("correlation id"), "{exception}");
    assert!(
        !exception.contains("password_history"),
        "no internals: {exception}"
    );

    let (status, body) = s
        .soap11(
            USER,
            "User/ChangeOwnPassword",
            change_envelope(SOAP11, Some(&ticket), OLD, NEW),
        )
        .await?;
    assert_eq!(status, 500);
    assert_eq!(first_text(&body, "faultcode").as_deref(), Some("s:Server"));
    let msg = first_text(&body, "faultstring").ok_or("faultstring")?;
    assert!(
        msg.contains("correlation id") && !msg.contains("password_history"),
        "{msg}"
    );
    assert!(s.login("broken", OLD).await?.is_some(), "nothing changed");
    Ok(())
}
both_backends!(unexpected_failure_is_error_with_a_correlation_id_on_both_front_ends);

#[tokio::test]
async fn credentials_are_never_accepted_in_a_get_url() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("getter", OLD).await?;
    let r = s
        .http
        .get(s.url(&format!(
            "/auth/credentials?UserName=getter&Password={}",
            OLD.replace(' ', "%20")
        )))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 404);
    assert!(r.headers().get("set-cookie").is_none());
    let r = s
        .http
        .get(s.url("/auth/login?UserName=getter"))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 404);
    Ok(())
}
