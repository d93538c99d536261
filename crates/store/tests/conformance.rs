//! The store conformance suite: every method of the `Store` trait, exercised through the
//! trait object, once per backend (`sqlite::*` and `postgres::*` run the same bodies).
//!
//! PostgreSQL tests create a fresh database on the server named by
//! `PASSGATE_TEST_POSTGRES_URL` and drop it afterwards; see `passgate_store::testing`.

use std::sync::Arc;
use std::time::Duration;

use passgate_core::audit::{AuditEvent, AuditKind, FrontEnd};
use passgate_core::domain::{Email, FullName, Role, SessionKind, TokenHash, UserId, Username};
use passgate_core::outbox::{
    MailKind, MailParams, MailResult, MailState, NewResetToken, OutboxMail,
};
use passgate_core::store::OwnSessions;
use passgate_core::store::{
    AppTokenRecord, AuditFilter, ImportedUser, NewSession, NewUser, PasswordChange, RevokeScope,
    Store, ThrottleRow, UserChange, UserLookup, UserRecord,
};
use passgate_core::{CoreError, Timestamp};

type TestResult = Result<(), Box<dyn std::error::Error>>;
type Shared = Arc<dyn Store>;

const T0: Timestamp = Timestamp(1_800_000_000_000);

fn at(secs: i64) -> Timestamp {
    Timestamp(T0.0 + secs * 1000)
}

fn event(kind: AuditKind, user: Option<UserId>, when: Timestamp) -> AuditEvent {
    AuditEvent {
        at: when,
        user_id: user,
        username: None,
        kind,
        front_end: FrontEnd::Cli,
        client_addr: Some("192.0.2.1".into()),
        reason: None,
        actor: Some("cli:conformance".into()),
    }
}

fn new_user(name: &str) -> Result<NewUser, CoreError> {
    Ok(NewUser {
        id: UserId::new_random(),
        username: Username::parse(name)?,
        email: Some(Email::parse(&format!("{name}@Example.com"))?),
        full_name: Some(FullName::parse("Test User")?),
        role: Role::User,
        password_hash: format!("$argon2id$hash-of-{name}"),
        created_at: T0,
    })
}

async fn add(store: &Shared, name: &str) -> Result<UserRecord, CoreError> {
    let u = new_user(name)?;
    store
        .create_user(&u, &event(AuditKind::UserCreated, Some(u.id), T0))
        .await
}

fn session(user: UserId, token: &str, created: Timestamp) -> NewSession {
    NewSession {
        id: uuid::Uuid::new_v4(),
        user_id: user,
        token_hash: TokenHash::of(token),
        kind: SessionKind::SoapTicket,
        created_at: created,
        expires_at: created.plus(Duration::from_secs(3600)),
        client_addr: Some("192.0.2.7".into()),
        user_agent: Some("conformance".into()),
        credential_version: 1,
    }
}

async fn add_session(
    store: &Shared,
    user: UserId,
    token: &str,
    created: Timestamp,
) -> Result<NewSession, CoreError> {
    let s = session(user, token, created);
    let stored = store
        .insert_session(&s, &event(AuditKind::LoginOk, Some(user), created))
        .await?;
    if !stored {
        return Err(CoreError::Internal(format!(
            "session {token} was not stored"
        )));
    }
    Ok(s)
}

async fn audit_count(store: &Shared, user: Option<UserId>) -> Result<usize, CoreError> {
    Ok(store
        .list_audit(&AuditFilter {
            user_id: user,
            ..AuditFilter::default()
        })
        .await?
        .len())
}

fn change(user: &UserRecord, new_hash: &str, keep: Option<uuid::Uuid>) -> PasswordChange {
    PasswordChange {
        user_id: user.id,
        expected_version: user.credential_version,
        new_hash: new_hash.into(),
        at: at(100),
        keep_session: keep,
        must_change: false,
        audit: event(AuditKind::PasswordChanged, Some(user.id), at(100)),
        mail: Vec::new(),
    }
}

async fn is_revoked(store: &Shared, token: &str) -> Result<bool, Box<dyn std::error::Error>> {
    Ok(store
        .find_session(&TokenHash::of(token))
        .await?
        .ok_or("session vanished")?
        .revoked_at
        .is_some())
}

// ---- the bodies, one per behaviour ------------------------------------------------------

async fn ping_answers(store: Shared) -> TestResult {
    store.ping().await?;
    Ok(())
}

async fn create_user_assigns_consecutive_associate_ids(store: Shared) -> TestResult {
    let a = add(&store, "Alice").await?;
    let b = add(&store, "bob").await?;
    assert_eq!((a.associate_id.get(), b.associate_id.get()), (1, 2));
    assert_eq!(a.username.as_str(), "Alice");
    assert_eq!(
        a.email.as_ref().map(Email::as_str),
        Some("Alice@Example.com")
    );
    assert_eq!(
        a.full_name.as_ref().map(FullName::as_str),
        Some("Test User")
    );
    assert_eq!(a.role, Role::User);
    assert_eq!(a.credential_version, 1);
    assert!(!a.must_change_password);
    assert_eq!(a.locked_until, None);
    assert_eq!((a.created_at, a.password_changed_at), (T0, T0));
    assert_eq!(a.password_hash, "$argon2id$hash-of-Alice");
    assert_eq!(audit_count(&store, Some(a.id)).await?, 1);
    Ok(())
}

async fn create_user_refuses_taken_names_case_insensitively(store: Shared) -> TestResult {
    add(&store, "carol").await?;
    match add(&store, "CAROL").await {
        Err(CoreError::Conflict(m)) => assert!(m.contains("name"), "{m}"),
        other => return Err(format!("expected Conflict, got {other:?}").into()),
    }
    // A refused user uses up no associate id and writes no audit row.
    assert_eq!(add(&store, "dave").await?.associate_id.get(), 2);
    assert_eq!(audit_count(&store, None).await?, 2);
    Ok(())
}

async fn concurrent_user_creation_never_fails(store: Shared) -> TestResult {
    let mut tasks = Vec::new();
    for i in 0..16 {
        let s = Arc::clone(&store);
        tasks.push(tokio::spawn(
            async move { add(&s, &format!("user{i}")).await },
        ));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await??.associate_id.get());
    }
    ids.sort_unstable();
    assert_eq!(ids, (1..=16).collect::<Vec<_>>());
    Ok(())
}

async fn find_user_by_id_associate_and_name(store: Shared) -> TestResult {
    let a = add(&store, "Erin").await?;
    let by_id = store
        .find_user(UserLookup::Id(a.id))
        .await?
        .ok_or("by id")?;
    let by_assoc = store
        .find_user(UserLookup::Associate(a.associate_id))
        .await?
        .ok_or("by associate")?;
    let name = Username::parse("eRIN")?;
    let by_name = store
        .find_user(UserLookup::Name(&name))
        .await?
        .ok_or("by name")?;
    for u in [&by_id, &by_assoc, &by_name] {
        assert_eq!(u.id, a.id);
        assert_eq!(u.username.as_str(), "Erin");
    }
    let missing = Username::parse("nobody")?;
    assert!(store.find_user(UserLookup::Name(&missing)).await?.is_none());
    assert!(store
        .find_user(UserLookup::Id(UserId::new_random()))
        .await?
        .is_none());
    let unused = passgate_core::domain::AssociateId::new(999)?;
    assert!(store
        .find_user(UserLookup::Associate(unused))
        .await?
        .is_none());
    Ok(())
}

async fn find_users_by_email_folds_case_and_stops_at_two(store: Shared) -> TestResult {
    for name in ["frank", "grace", "heidi"] {
        let mut u = new_user(name)?;
        u.email = Some(Email::parse("Shared@Example.COM")?);
        store
            .create_user(&u, &event(AuditKind::UserCreated, Some(u.id), T0))
            .await?;
    }
    add(&store, "ivan").await?;
    let shared = store
        .find_users_by_email(&Email::parse("shared@example.com")?)
        .await?;
    let names: Vec<_> = shared.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["frank", "grace"]);
    let one = store
        .find_users_by_email(&Email::parse("IVAN@example.com")?)
        .await?;
    assert_eq!(one.len(), 1);
    assert!(store
        .find_users_by_email(&Email::parse("none@example.com")?)
        .await?
        .is_empty());
    Ok(())
}

async fn list_users_orders_by_associate_id(store: Shared) -> TestResult {
    for name in ["zed", "amy", "mia"] {
        add(&store, name).await?;
    }
    let users = store.list_users().await?;
    let names: Vec<_> = users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["zed", "amy", "mia"]);
    Ok(())
}

async fn rehash_is_conditional_on_the_version(store: Shared) -> TestResult {
    let u = add(&store, "judy").await?;
    let audit = event(AuditKind::PasswordRehashed, Some(u.id), at(1));
    assert!(!store.rehash_password(u.id, 7, "$stale", &audit).await?);
    assert_eq!(audit_count(&store, Some(u.id)).await?, 1);
    assert!(store.rehash_password(u.id, 1, "$rehashed", &audit).await?);
    let now = store.find_user(UserLookup::Id(u.id)).await?.ok_or("user")?;
    assert_eq!(now.password_hash, "$rehashed");
    assert_eq!(
        now.credential_version, 1,
        "a rehash is not a password change"
    );
    assert_eq!(now.password_changed_at, T0);
    assert_eq!(audit_count(&store, Some(u.id)).await?, 2);
    Ok(())
}

async fn password_change_swaps_keeps_own_session_and_revokes_others(store: Shared) -> TestResult {
    let u = add(&store, "ken").await?;
    let other_user = add(&store, "leo").await?;
    let mine = add_session(&store, u.id, "mine", at(1)).await?;
    add_session(&store, u.id, "other", at(2)).await?;
    add_session(&store, other_user.id, "leos", at(3)).await?;
    assert!(
        store
            .commit_password_change(&change(&u, "$new", Some(mine.id)))
            .await?
    );
    let now = store.find_user(UserLookup::Id(u.id)).await?.ok_or("user")?;
    assert_eq!(now.password_hash, "$new");
    assert_eq!(now.credential_version, 2);
    assert_eq!(now.password_changed_at, at(100));
    assert!(!is_revoked(&store, "mine").await?);
    assert!(is_revoked(&store, "other").await?);
    assert!(!is_revoked(&store, "leos").await?, "other users untouched");
    let revoked = store
        .find_session(&TokenHash::of("other"))
        .await?
        .ok_or("session")?;
    assert_eq!(revoked.revoked_at, Some(at(100)));
    let events = store
        .list_audit(&AuditFilter {
            user_id: Some(u.id),
            ..AuditFilter::default()
        })
        .await?;
    assert_eq!(
        events.last().map(|e| e.event.as_str()),
        Some("password_changed")
    );
    Ok(())
}

async fn password_change_without_keep_revokes_all(store: Shared) -> TestResult {
    let u = add(&store, "liam").await?;
    add_session(&store, u.id, "one", at(1)).await?;
    add_session(&store, u.id, "two", at(2)).await?;
    assert!(
        store
            .commit_password_change(&change(&u, "$n", None))
            .await?
    );
    assert!(is_revoked(&store, "one").await?);
    assert!(is_revoked(&store, "two").await?);
    Ok(())
}

async fn stale_password_change_changes_nothing(store: Shared) -> TestResult {
    let u = add(&store, "mallory").await?;
    add_session(&store, u.id, "live", at(1)).await?;
    assert!(
        store
            .commit_password_change(&change(&u, "$first", None))
            .await?
    );
    let mut after = session(u.id, "after", at(150));
    after.credential_version = 2;
    let login = event(AuditKind::LoginOk, Some(u.id), at(150));
    assert!(store.insert_session(&after, &login).await?);
    let audits = audit_count(&store, Some(u.id)).await?;
    // Same expected version again: the credential moved on, so nothing happens.
    assert!(
        !store
            .commit_password_change(&change(&u, "$second", None))
            .await?
    );
    let now = store.find_user(UserLookup::Id(u.id)).await?.ok_or("user")?;
    assert_eq!(now.password_hash, "$first");
    assert_eq!(now.credential_version, 2);
    assert!(!is_revoked(&store, "after").await?);
    assert_eq!(audit_count(&store, Some(u.id)).await?, audits);
    Ok(())
}

async fn concurrent_password_changes_exactly_one_wins(store: Shared) -> TestResult {
    for round in 0..4 {
        let u = add(&store, &format!("racer{round}")).await?;
        let mut tasks = Vec::new();
        for i in 0..6 {
            let s = Arc::clone(&store);
            let c = change(&u, &format!("$racer-{i}"), None);
            tasks.push(tokio::spawn(
                async move { s.commit_password_change(&c).await },
            ));
        }
        let mut winners = Vec::new();
        for (i, t) in tasks.into_iter().enumerate() {
            if t.await?? {
                winners.push(i);
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
        let now = store.find_user(UserLookup::Id(u.id)).await?.ok_or("user")?;
        assert_eq!(now.password_hash, format!("$racer-{}", winners[0]));
        assert_eq!(now.credential_version, 2);
    }
    Ok(())
}

async fn sessions_round_trip_and_tokens_are_unique(store: Shared) -> TestResult {
    let u = add(&store, "nina").await?;
    let s = add_session(&store, u.id, "tok", at(5)).await?;
    let got = store
        .find_session(&TokenHash::of("tok"))
        .await?
        .ok_or("session")?;
    assert_eq!(got.id, s.id);
    assert_eq!(got.user_id, u.id);
    assert_eq!(got.kind, SessionKind::SoapTicket);
    assert_eq!((got.created_at, got.last_seen_at), (at(5), at(5)));
    assert_eq!(got.expires_at, s.expires_at);
    assert_eq!(got.revoked_at, None);
    assert!(store.find_session(&TokenHash::of("nope")).await?.is_none());
    let mut dup = session(u.id, "tok", at(6));
    dup.kind = SessionKind::RestSession;
    let r = store
        .insert_session(&dup, &event(AuditKind::LoginOk, Some(u.id), at(6)))
        .await;
    assert!(matches!(r, Err(CoreError::Conflict(_))), "{r:?}");
    // Every kind is stored and read back as itself.
    for (kind, token) in [
        (SessionKind::RestSession, "rest"),
        (SessionKind::Web, "web"),
    ] {
        let mut s = session(u.id, token, at(7));
        s.kind = kind;
        store
            .insert_session(&s, &event(AuditKind::LoginOk, Some(u.id), at(7)))
            .await?;
        let got = store
            .find_session(&TokenHash::of(token))
            .await?
            .ok_or("session")?;
        assert_eq!(got.kind, kind);
    }
    Ok(())
}

async fn session_of_unknown_user_is_refused(store: Shared) -> TestResult {
    let orphan = session(UserId::new_random(), "orphan", at(1));
    let r = store
        .insert_session(&orphan, &event(AuditKind::LoginOk, None, at(1)))
        .await;
    assert!(matches!(r, Ok(false)), "no user, no session: {r:?}");
    assert!(store
        .find_session(&TokenHash::of("orphan"))
        .await?
        .is_none());
    assert_eq!(audit_count(&store, None).await?, 0, "rolled back with it");
    Ok(())
}

/// A session is stored only while the credential the login verified is current: after a
/// change (version 2) a session for version 1 is refused, writing neither row.
async fn session_insert_is_a_compare_and_swap_on_the_credential(store: Shared) -> TestResult {
    let u = add(&store, "vera").await?;
    assert!(
        store
            .commit_password_change(&change(&u, "$new", None))
            .await?
    );
    let before = audit_count(&store, Some(u.id)).await?;
    let stale = session(u.id, "stale", at(200));
    let login = event(AuditKind::LoginOk, Some(u.id), at(200));
    assert!(!store.insert_session(&stale, &login).await?);
    assert!(store.find_session(&TokenHash::of("stale")).await?.is_none());
    assert_eq!(
        audit_count(&store, Some(u.id)).await?,
        before,
        "no audit row"
    );
    let mut fresh = session(u.id, "fresh", at(201));
    fresh.credential_version = 2;
    assert!(store.insert_session(&fresh, &login).await?);
    assert_eq!(audit_count(&store, Some(u.id)).await?, before + 1);
    Ok(())
}

/// Logins that verified the old credential race a change: whatever the interleaving, no
/// session of the old credential is live once the change has committed.
async fn logins_racing_a_change_never_outlive_it(store: Shared) -> TestResult {
    for round in 0..4 {
        let u = add(&store, &format!("race{round}")).await?;
        let mut tasks = Vec::new();
        for i in 0..12 {
            let s = Arc::clone(&store);
            let new = session(u.id, &format!("r{round}-{i}"), at(150));
            let login = event(AuditKind::LoginOk, Some(u.id), at(150));
            tasks.push(tokio::spawn(async move {
                s.insert_session(&new, &login).await.map(|_| ())
            }));
            if i == 6 {
                let s = Arc::clone(&store);
                let c = change(&u, "$changed", None);
                tasks.push(tokio::spawn(async move {
                    s.commit_password_change(&c).await.map(|_| ())
                }));
            }
        }
        for t in tasks {
            t.await??;
        }
        let live = store.list_sessions(Some(u.id), false, at(160)).await?;
        assert!(live.is_empty(), "round {round}: {} live", live.len());
    }
    Ok(())
}

async fn touch_slides_expiry_forward_only(store: Shared) -> TestResult {
    let u = add(&store, "olivia").await?;
    let s = add_session(&store, u.id, "t", at(0)).await?;
    store.touch_session(s.id, at(60), at(7200)).await?;
    let got = store
        .find_session(&TokenHash::of("t"))
        .await?
        .ok_or("session")?;
    assert_eq!((got.last_seen_at, got.expires_at), (at(60), at(7200)));
    store.touch_session(s.id, at(90), at(10)).await?;
    let got = store
        .find_session(&TokenHash::of("t"))
        .await?
        .ok_or("session")?;
    assert_eq!((got.last_seen_at, got.expires_at), (at(90), at(7200)));
    // A revoked session is not touched.
    store
        .revoke_session(
            s.id,
            at(100),
            &event(AuditKind::SessionRevoked, Some(u.id), at(100)),
        )
        .await?;
    store.touch_session(s.id, at(200), at(9000)).await?;
    let got = store
        .find_session(&TokenHash::of("t"))
        .await?
        .ok_or("session")?;
    assert_eq!((got.last_seen_at, got.expires_at), (at(90), at(7200)));
    Ok(())
}

async fn revoke_session_once(store: Shared) -> TestResult {
    let u = add(&store, "peggy").await?;
    let s = add_session(&store, u.id, "r", at(0)).await?;
    let audit = event(AuditKind::SessionRevoked, Some(u.id), at(9));
    let before = audit_count(&store, Some(u.id)).await?;
    assert!(store.revoke_session(s.id, at(9), &audit).await?);
    assert!(!store.revoke_session(s.id, at(10), &audit).await?);
    assert!(
        !store
            .revoke_session(uuid::Uuid::new_v4(), at(10), &audit)
            .await?
    );
    let got = store
        .find_session(&TokenHash::of("r"))
        .await?
        .ok_or("session")?;
    assert_eq!(got.revoked_at, Some(at(9)));
    assert_eq!(audit_count(&store, Some(u.id)).await?, before + 1);
    Ok(())
}

async fn throttle_rows_bump_and_clear(store: Shared) -> TestResult {
    let keys = vec!["acct:x".to_owned(), "addr:192.0.2.1".to_owned()];
    assert!(store.throttle_rows(&keys).await?.is_empty());
    let first = store
        .bump_throttle(
            "addr:192.0.2.1",
            Box::new(|r: ThrottleRow| {
                assert_eq!(
                    (r.failures, r.window_start, r.blocked_until),
                    (0, Timestamp(0), None)
                );
                ThrottleRow {
                    failures: r.failures + 1,
                    window_start: at(1),
                    blocked_until: None,
                }
            }),
        )
        .await?;
    assert_eq!(first.failures, 1);
    let second = store
        .bump_throttle(
            "addr:192.0.2.1",
            Box::new(|r: ThrottleRow| ThrottleRow {
                failures: r.failures + 1,
                window_start: r.window_start,
                blocked_until: Some(at(60)),
            }),
        )
        .await?;
    assert_eq!(
        second,
        ThrottleRow {
            failures: 2,
            window_start: at(1),
            blocked_until: Some(at(60))
        }
    );
    store
        .bump_throttle(
            "acct:x",
            Box::new(|r: ThrottleRow| ThrottleRow {
                failures: r.failures + 1,
                ..r
            }),
        )
        .await?;
    let rows = store.throttle_rows(&keys).await?;
    let got: Vec<_> = rows.iter().map(|(k, r)| (k.as_str(), r.failures)).collect();
    assert_eq!(
        got,
        [("acct:x", 1), ("addr:192.0.2.1", 2)],
        "in the order asked"
    );
    assert_eq!(rows[1].1, second);
    store.clear_throttle("addr:192.0.2.1").await?;
    store.clear_throttle("never-set").await?;
    let rows = store.throttle_rows(&keys).await?;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, "acct:x");
    Ok(())
}

async fn concurrent_throttle_bumps_are_not_lost(store: Shared) -> TestResult {
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let s = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            s.bump_throttle(
                "acct:target",
                Box::new(|r: ThrottleRow| ThrottleRow {
                    failures: r.failures + 1,
                    ..r
                }),
            )
            .await
        }));
    }
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await??.failures);
    }
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=24).collect::<Vec<_>>(),
        "each bump saw its predecessor"
    );
    let rows = store.throttle_rows(&["acct:target".to_owned()]).await?;
    assert_eq!(rows.first().map(|(_, r)| r.failures), Some(24));
    Ok(())
}

async fn lock_revokes_sessions_and_unlock_does_not(store: Shared) -> TestResult {
    let u = add(&store, "quinn").await?;
    add_session(&store, u.id, "q1", at(0)).await?;
    let lock = event(AuditKind::Locked, Some(u.id), at(5));
    assert!(
        store
            .set_lock(u.id, Some(at(500)), at(5), &lock, &[])
            .await?
    );
    let now = store.find_user(UserLookup::Id(u.id)).await?.ok_or("user")?;
    assert_eq!(now.locked_until, Some(at(500)));
    assert!(is_revoked(&store, "q1").await?);
    // No session is issued while the lock lasts.
    let during = session(u.id, "q-locked", at(6));
    let login = event(AuditKind::LoginOk, Some(u.id), at(6));
    assert!(!store.insert_session(&during, &login).await?);
    let unlock = event(AuditKind::Unlocked, Some(u.id), at(7));
    assert!(store.set_lock(u.id, None, at(7), &unlock, &[]).await?);
    let now = store.find_user(UserLookup::Id(u.id)).await?.ok_or("user")?;
    assert_eq!(now.locked_until, None);
    add_session(&store, u.id, "q2", at(8)).await?;
    let unlock_again = event(AuditKind::Unlocked, Some(u.id), at(9));
    assert!(
        store
            .set_lock(u.id, None, at(9), &unlock_again, &[])
            .await?
    );
    assert!(!is_revoked(&store, "q2").await?);
    assert!(store
        .find_session(&TokenHash::of("q-locked"))
        .await?
        .is_none());
    let before = audit_count(&store, None).await?;
    assert!(
        !store
            .set_lock(UserId::new_random(), None, at(8), &unlock, &[])
            .await?
    );
    assert_eq!(audit_count(&store, None).await?, before);
    Ok(())
}

async fn list_sessions_filters_and_orders(store: Shared) -> TestResult {
    let a = add(&store, "rita").await?;
    let b = add(&store, "sam").await?;
    add_session(&store, a.id, "a1", at(1)).await?;
    let a2 = add_session(&store, a.id, "a2", at(2)).await?;
    add_session(&store, b.id, "b1", at(3)).await?;
    let expired = add_session(&store, b.id, "b-old", at(-7200)).await?;
    store
        .revoke_session(
            a2.id,
            at(4),
            &event(AuditKind::SessionRevoked, Some(a.id), at(4)),
        )
        .await?;
    let live = store.list_sessions(None, false, at(10)).await?;
    let tokens: Vec<_> = live.iter().map(|l| l.username.as_str()).collect();
    assert_eq!(tokens, ["sam", "rita"], "newest first, live only");
    assert_eq!(live[0].client_addr.as_deref(), Some("192.0.2.7"));
    let all = store.list_sessions(None, true, at(10)).await?;
    assert_eq!(all.len(), 4);
    assert_eq!(all.last().map(|l| l.session.id), Some(expired.id));
    let only_a = store.list_sessions(Some(a.id), true, at(10)).await?;
    assert!(only_a.iter().all(|l| l.session.user_id == a.id));
    assert_eq!(only_a.len(), 2);
    assert_eq!(only_a[0].session.id, a2.id);
    assert_eq!(only_a[0].session.revoked_at, Some(at(4)));
    Ok(())
}

async fn revoke_sessions_by_scope(store: Shared) -> TestResult {
    let u = add(&store, "tina").await?;
    let s1 = add_session(&store, u.id, "s1", at(1)).await?;
    add_session(&store, u.id, "s2", at(2)).await?;
    add_session(&store, u.id, "s3", at(3)).await?;
    let audit = event(AuditKind::SessionRevoked, Some(u.id), at(5));
    assert_eq!(
        store
            .revoke_sessions(RevokeScope::Session(s1.id), at(5), &audit)
            .await?,
        1
    );
    assert_eq!(
        store
            .revoke_sessions(RevokeScope::User(u.id), at(6), &audit)
            .await?,
        2
    );
    let before = audit_count(&store, Some(u.id)).await?;
    assert_eq!(
        store
            .revoke_sessions(RevokeScope::User(u.id), at(7), &audit)
            .await?,
        0
    );
    assert_eq!(
        audit_count(&store, Some(u.id)).await?,
        before,
        "no audit row when nothing was revoked"
    );
    for t in ["s1", "s2", "s3"] {
        assert!(is_revoked(&store, t).await?);
    }
    Ok(())
}

async fn audit_filters_limit_and_order(store: Shared) -> TestResult {
    let u = add(&store, "uma").await?;
    for i in 1..=5 {
        let mut e = event(AuditKind::LoginFailed, Some(u.id), at(i));
        e.username = Some("uma".into());
        e.reason = Some(format!("bad_password_{i}"));
        e.front_end = FrontEnd::Soap;
        store.append_audit(&e).await?;
    }
    let mut anonymous = event(AuditKind::LoginFailed, None, at(6));
    anonymous.username = Some("ghost".into());
    anonymous.client_addr = None;
    store.append_audit(&anonymous).await?;

    let all = store.list_audit(&AuditFilter::default()).await?;
    assert_eq!(all.len(), 7);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id), "oldest first");
    let last = all.last().ok_or("rows")?;
    assert_eq!(last.user_id, None);
    assert_eq!(last.username.as_deref(), Some("ghost"));
    assert_eq!(last.client_addr, None);
    assert_eq!(last.at, at(6).to_rfc3339());

    let mine = store
        .list_audit(&AuditFilter {
            user_id: Some(u.id),
            since: Some(at(2)),
            limit: Some(2),
        })
        .await?;
    let reasons: Vec<_> = mine.iter().filter_map(|e| e.reason.as_deref()).collect();
    assert_eq!(
        reasons,
        ["bad_password_4", "bad_password_5"],
        "the newest, in order"
    );
    assert!(mine
        .iter()
        .all(|e| e.event == "login_failed" && e.front_end == "soap"));
    assert_eq!(mine[0].user_id, Some(u.id.to_string()));

    let since = store
        .list_audit(&AuditFilter {
            since: Some(at(5)),
            ..AuditFilter::default()
        })
        .await?;
    assert_eq!(since.len(), 2);
    let negative = store
        .list_audit(&AuditFilter {
            limit: Some(-1),
            ..AuditFilter::default()
        })
        .await?;
    assert_eq!(negative.len(), 7, "a negative limit means no limit");
    let zero = store
        .list_audit(&AuditFilter {
            limit: Some(0),
            ..AuditFilter::default()
        })
        .await?;
    assert!(zero.is_empty());
    Ok(())
}

async fn password_history_is_newest_first_pruned_and_must_change_is_stored(
    store: Shared,
) -> TestResult {
    let mut u = add(&store, "historian").await?;
    for i in 0..30 {
        let mut c = change(&u, &format!("hash-{i}"), None);
        c.at = at(100 + i);
        c.must_change = i == 29;
        assert!(store.commit_password_change(&c).await?);
        u = store.find_user(UserLookup::Id(u.id)).await?.ok_or("gone")?;
    }
    assert!(
        u.must_change_password,
        "the last change asked for a change at next login"
    );
    assert_eq!(u.password_hash, "hash-29");
    let h = store.password_history(u.id, 3).await?;
    assert_eq!(h, vec!["hash-28", "hash-27", "hash-26"]);
    let all = store.password_history(u.id, 100).await?;
    assert_eq!(
        all.len(),
        passgate_core::credential::policy::MAX_HISTORY,
        "pruned"
    );
    assert_eq!(all.last().map(String::as_str), Some("hash-5"));
    Ok(())
}

async fn user_changes_rename_expire_delete(store: Shared) -> TestResult {
    let a = add(&store, "anna").await?;
    add(&store, "berta").await?;
    add_session(&store, a.id, "anna-1", at(1)).await?;
    let ev = |k| event(k, Some(a.id), at(5));
    let taken = store
        .change_user(
            &UserChange::Rename(a.id, Username::parse("BERTA")?),
            &ev(AuditKind::UserRenamed),
        )
        .await;
    assert!(matches!(taken, Err(CoreError::Conflict(_))), "{taken:?}");
    assert!(
        store
            .change_user(
                &UserChange::Rename(a.id, Username::parse("Annabel")?),
                &ev(AuditKind::UserRenamed)
            )
            .await?
    );
    let name = Username::parse("annabel")?;
    assert_eq!(
        store
            .find_user(UserLookup::Name(&name))
            .await?
            .ok_or("renamed")?
            .id,
        a.id
    );
    assert!(
        store
            .change_user(
                &UserChange::Expire(a.id, at(6)),
                &ev(AuditKind::PasswordExpired)
            )
            .await?
    );
    assert!(
        store
            .find_user(UserLookup::Id(a.id))
            .await?
            .ok_or("gone")?
            .must_change_password
    );
    assert!(is_revoked(&store, "anna-1").await?, "expire ends sessions");
    let before = audit_count(&store, Some(a.id)).await?;
    assert!(
        store
            .change_user(&UserChange::Delete(a.id), &ev(AuditKind::UserDeleted))
            .await?
    );
    assert!(store.find_user(UserLookup::Id(a.id)).await?.is_none());
    assert!(
        store
            .find_session(&TokenHash::of("anna-1"))
            .await?
            .is_none(),
        "sessions cascade"
    );
    assert_eq!(
        audit_count(&store, Some(a.id)).await?,
        before + 1,
        "audit stays"
    );
    assert!(
        !store
            .change_user(&UserChange::Delete(a.id), &ev(AuditKind::UserDeleted))
            .await?
    );
    let rows = store.list_audit(&AuditFilter::default()).await?;
    assert!(rows
        .iter()
        .all(|r| r.actor.as_deref() == Some("cli:conformance")));
    Ok(())
}

async fn app_tokens_register_find_list_revoke(store: Shared) -> TestResult {
    let t = AppTokenRecord {
        name: "crm".into(),
        token_hash: TokenHash::of("pgat_secret"),
        created_at: at(1),
        revoked_at: None,
    };
    let ev = event(AuditKind::AppTokenAdded, None, at(1));
    store.insert_app_token(&t, &ev).await?;
    let dup = store.insert_app_token(&t, &ev).await;
    assert!(matches!(dup, Err(CoreError::Conflict(_))), "{dup:?}");
    let found = store
        .find_app_token(&TokenHash::of("pgat_secret"))
        .await?
        .ok_or("missing")?;
    assert_eq!(
        (found.name.as_str(), found.created_at, found.revoked_at),
        ("crm", at(1), None)
    );
    assert!(store
        .find_app_token(&TokenHash::of("other"))
        .await?
        .is_none());
    let rev = event(AuditKind::AppTokenRevoked, None, at(2));
    assert!(store.revoke_app_token("crm", at(2), &rev).await?);
    assert!(
        !store.revoke_app_token("crm", at(3), &rev).await?,
        "already revoked"
    );
    let list = store.list_app_tokens().await?;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].revoked_at, Some(at(2)));
    Ok(())
}

// ---- one module per backend -------------------------------------------------------------

fn mail_for(user: &UserRecord, kind: MailKind, when: Timestamp) -> Result<OutboxMail, CoreError> {
    Ok(OutboxMail {
        id: uuid::Uuid::new_v4(),
        user_id: Some(user.id),
        recipient: user
            .email
            .clone()
            .ok_or(CoreError::Internal("no e-mail".into()))?,
        kind,
        params: MailParams::default()
            .with("username", user.username.as_str())
            .with("link", "https://portal.example/reset?token=secret"),
        created_at: when,
    })
}

fn token_row(user: &UserRecord, text: &str, when: Timestamp) -> NewResetToken {
    NewResetToken {
        token_hash: TokenHash::of(text),
        user_id: user.id,
        credential_version: user.credential_version,
        created_at: when,
        expires_at: when.plus(Duration::from_secs(1800)),
    }
}

async fn reset_tokens_supersede_and_are_spent_by_a_change(store: Shared) -> TestResult {
    let u = add(&store, "resetter").await?;
    let ev = |t| event(AuditKind::ResetRequested, Some(u.id), t);
    let mail_a = mail_for(&u, MailKind::ResetLink, at(1))?;
    assert!(
        store
            .insert_reset_token(&token_row(&u, "a", at(1)), Some(&mail_a), &ev(at(1)))
            .await?
    );
    let a = store
        .find_reset_token(&TokenHash::of("a"))
        .await?
        .ok_or("a missing")?;
    assert_eq!(
        (a.user_id, a.credential_version, a.spent_at),
        (u.id, 1, None)
    );
    assert_eq!(a.expires_at, at(1).plus(Duration::from_secs(1800)));
    // A newer token spends the older one; operator links carry no mail.
    assert!(
        store
            .insert_reset_token(&token_row(&u, "b", at(2)), None, &ev(at(2)))
            .await?
    );
    let a = store
        .find_reset_token(&TokenHash::of("a"))
        .await?
        .ok_or("a missing")?;
    assert_eq!(a.spent_at, Some(at(2)));
    assert_eq!(store.list_mail(None, 10).await?.len(), 1);
    // Any password change spends every outstanding token, and queues its notification.
    let mut c = change(&u, "$argon2id$new", None);
    c.mail = vec![mail_for(&u, MailKind::PasswordChanged, at(100))?];
    assert!(store.commit_password_change(&c).await?);
    let b = store
        .find_reset_token(&TokenHash::of("b"))
        .await?
        .ok_or("b missing")?;
    assert_eq!(b.spent_at, Some(at(100)));
    assert_eq!(store.list_mail(None, 10).await?.len(), 2);
    // A token for a version that moved on is refused and writes nothing.
    let audits = audit_count(&store, Some(u.id)).await?;
    let stale = token_row(&u, "c", at(101));
    let mail_c = mail_for(&u, MailKind::ResetLink, at(101))?;
    assert!(
        !store
            .insert_reset_token(&stale, Some(&mail_c), &ev(at(101)))
            .await?
    );
    assert!(store.find_reset_token(&TokenHash::of("c")).await?.is_none());
    assert_eq!(store.list_mail(None, 10).await?.len(), 2);
    assert_eq!(audit_count(&store, Some(u.id)).await?, audits);
    assert!(store
        .find_reset_token(&TokenHash::of("nope"))
        .await?
        .is_none());
    // A failed compare-and-swap queues no mail either.
    let mut stale_change = change(&u, "$argon2id$other", None);
    stale_change.mail = vec![mail_for(&u, MailKind::PasswordChanged, at(102))?];
    assert!(!store.commit_password_change(&stale_change).await?);
    assert_eq!(store.list_mail(None, 10).await?.len(), 2);
    // Deleting the user deletes its tokens but keeps its mails.
    let del = event(AuditKind::UserDeleted, Some(u.id), at(103));
    assert!(store.change_user(&UserChange::Delete(u.id), &del).await?);
    assert!(store.find_reset_token(&TokenHash::of("b")).await?.is_none());
    assert_eq!(store.list_mail(None, 10).await?.len(), 2);
    Ok(())
}

async fn outbox_claims_leases_finishes_and_retries(store: Shared) -> TestResult {
    let u = add(&store, "mailee").await?;
    let lock = event(AuditKind::Locked, Some(u.id), at(1));
    let locked = mail_for(&u, MailKind::AccountLocked, at(1))?;
    assert!(
        store
            .set_lock(
                u.id,
                Some(at(500)),
                at(1),
                &lock,
                std::slice::from_ref(&locked)
            )
            .await?
    );
    let link = mail_for(&u, MailKind::ResetLink, at(2))?;
    let ev = event(AuditKind::ResetRequested, Some(u.id), at(2));
    // Locked accounts still take tokens at the store level; the core decides.
    assert!(
        store
            .insert_reset_token(&token_row(&u, "t", at(2)), Some(&link), &ev)
            .await?
    );
    // A lock on an unknown user queues nothing.
    let ghost = mail_for(&u, MailKind::AccountLocked, at(3))?;
    assert!(
        !store
            .set_lock(UserId::new_random(), Some(at(500)), at(3), &lock, &[ghost])
            .await?
    );

    let claimed = store.claim_mail(at(10), at(70), 10).await?;
    assert_eq!(claimed.len(), 2);
    assert!(claimed
        .iter()
        .all(|r| r.attempts == 1 && r.state == MailState::Pending));
    assert_eq!(claimed[0].mail.id, locked.id, "oldest first");
    assert_eq!(claimed[1].mail.params, link.params);
    assert_eq!(claimed[1].mail.recipient.as_str(), "mailee@Example.com");
    // Leased: nobody else gets them until the lease ends.
    assert!(store.claim_mail(at(20), at(80), 10).await?.is_empty());
    let again = store.claim_mail(at(70), at(130), 10).await?;
    assert_eq!(again.len(), 2);
    assert!(again.iter().all(|r| r.attempts == 2));

    store
        .finish_mail(link.id, &MailResult::Sent(at(71)))
        .await?;
    store
        .finish_mail(
            locked.id,
            &MailResult::Retry {
                at: at(71),
                retry_at: at(200),
                error: "451 try later".into(),
            },
        )
        .await?;
    assert!(
        store.claim_mail(at(150), at(210), 10).await?.is_empty(),
        "not due yet"
    );
    let sent = store.list_mail(Some(MailState::Sent), 10).await?;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].sent_at, Some(at(71)));
    assert!(
        sent[0].mail.params.0.is_empty(),
        "the link is erased once sent"
    );
    let pending = store.list_mail(Some(MailState::Pending), 10).await?;
    assert_eq!(pending[0].last_error.as_deref(), Some("451 try later"));
    assert_eq!(pending[0].next_attempt_at, at(200));
    assert!(
        !pending[0].mail.params.0.is_empty(),
        "notifications keep their parameters"
    );

    let third = store.claim_mail(at(200), at(260), 10).await?;
    assert_eq!(third.len(), 1);
    assert_eq!(third[0].attempts, 3);
    store
        .finish_mail(
            locked.id,
            &MailResult::Dead {
                at: at(201),
                error: "550 no such user".into(),
            },
        )
        .await?;
    assert!(
        store.claim_mail(at(300), at(360), 10).await?.is_empty(),
        "dead is not retried"
    );
    let mut counts = store.mail_counts().await?;
    counts.sort_by_key(|(s, _)| s.as_str());
    assert_eq!(counts, vec![(MailState::Dead, 1), (MailState::Sent, 1)]);
    assert_eq!(
        store
            .retry_mail(Some(uuid::Uuid::new_v4()), at(300))
            .await?,
        0
    );
    assert_eq!(store.retry_mail(None, at(300)).await?, 1);
    let revived = store.claim_mail(at(300), at(360), 10).await?;
    assert_eq!(revived.len(), 1);
    assert_eq!(
        revived[0].attempts, 1,
        "a retried dead letter starts counting again"
    );
    Ok(())
}

async fn concurrent_mail_claims_never_share_a_row(store: Shared) -> TestResult {
    let u = add(&store, "bulk").await?;
    for i in 0..40 {
        let mut c = change(&u, &format!("$argon2id${i}"), None);
        c.expected_version = 1 + i64::from(i);
        c.at = at(i64::from(i) + 1);
        c.mail = vec![mail_for(
            &u,
            MailKind::PasswordChanged,
            at(i64::from(i) + 1),
        )?];
        assert!(store.commit_password_change(&c).await?);
    }
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store.claim_mail(at(1000), at(2000), 3).await?;
                if got.is_empty() {
                    return Ok::<_, CoreError>(mine);
                }
                mine.extend(got.into_iter().map(|r| r.mail.id));
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!((n, all.len()), (40, 40), "every mail claimed exactly once");
    Ok(())
}

async fn own_sessions_list_and_end_only_the_users_own(store: Shared) -> TestResult {
    let u = add(&store, "olga").await?;
    let other = add(&store, "oscar").await?;
    let s1 = add_session(&store, u.id, "o1", at(1)).await?;
    let s2 = add_session(&store, u.id, "o2", at(2)).await?;
    let s3 = add_session(&store, u.id, "o3", at(3)).await?;
    let theirs = add_session(&store, other.id, "x1", at(4)).await?;
    let mut expired = session(u.id, "o4", at(5));
    expired.expires_at = at(6);
    store
        .insert_session(&expired, &event(AuditKind::LoginOk, Some(u.id), at(5)))
        .await?;
    let listed = store.user_sessions(u.id, at(10), 100).await?;
    let ids: Vec<uuid::Uuid> = listed.iter().map(|l| l.session.id).collect();
    assert_eq!(ids, vec![s3.id, s2.id, s1.id], "live only, newest first");
    assert_eq!(listed[0].user_agent.as_deref(), Some("conformance"));
    assert_eq!(listed[0].client_addr.as_deref(), Some("192.0.2.7"));
    assert_eq!(store.user_sessions(u.id, at(10), 2).await?.len(), 2);
    let audit = event(AuditKind::SessionRevoked, Some(u.id), at(11));
    assert_eq!(
        store
            .revoke_own_sessions(u.id, OwnSessions::One(theirs.id), at(11), &audit)
            .await?,
        0,
        "another user's session is not found"
    );
    assert!(!is_revoked(&store, "x1").await?);
    assert_eq!(
        store
            .revoke_own_sessions(u.id, OwnSessions::One(s1.id), at(11), &audit)
            .await?,
        1
    );
    assert!(is_revoked(&store, "o1").await?);
    let before = audit_count(&store, Some(u.id)).await?;
    assert_eq!(
        store
            .revoke_own_sessions(u.id, OwnSessions::AllBut(s3.id), at(12), &audit)
            .await?,
        2,
        "o2 and the expired o4 (still unrevoked)"
    );
    assert_eq!(audit_count(&store, Some(u.id)).await?, before + 1);
    assert!(is_revoked(&store, "o2").await?);
    assert!(!is_revoked(&store, "o3").await?, "the kept session lives");
    assert!(!is_revoked(&store, "x1").await?, "other users untouched");
    assert_eq!(
        store
            .revoke_own_sessions(u.id, OwnSessions::AllBut(s3.id), at(13), &audit)
            .await?,
        0
    );
    assert_eq!(audit_count(&store, Some(u.id)).await?, before + 1);
    Ok(())
}

fn imported(name: &str, hash: &str, must_change: bool) -> Result<ImportedUser, CoreError> {
    let mut user = new_user(name)?;
    user.password_hash = hash.to_owned();
    Ok(ImportedUser {
        user,
        password_changed_at: at(-86_400),
        must_change,
    })
}

async fn import_skips_taken_names_and_keeps_order(store: Shared) -> TestResult {
    add(&store, "existing").await?;
    let batch = vec![
        imported("imp1", "$2b$04$aaaa", false)?,
        imported("EXISTING", "$2b$04$bbbb", false)?,
        imported("imp2", "pbkdf2_sha256$1$s$h", true)?,
        imported("Imp1", "$6$salt$hash", false)?,
        imported("imp3", "!", false)?,
    ];
    let audit = event(AuditKind::UsersImported, None, at(1));
    let inserted = store.import_users(&batch, &audit).await?;
    assert_eq!(inserted, [true, false, true, false, true]);
    let users = store.list_users().await?;
    let names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["existing", "imp1", "imp2", "imp3"]);
    // Associate ids are unique and follow the existing ones.
    let ids: Vec<i32> = users.iter().map(|u| u.associate_id.get()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let imp2 = &users[2];
    assert_eq!(imp2.password_hash, "pbkdf2_sha256$1$s$h");
    assert!(imp2.must_change_password);
    assert_eq!(imp2.password_changed_at, at(-86_400));
    assert_eq!(imp2.credential_version, 1);
    assert_eq!(
        imp2.email.as_ref().map(|e| e.as_str()),
        Some("imp2@Example.com")
    );
    // One audit row for the batch.
    let rows = store.list_audit(&AuditFilter::default()).await?;
    assert_eq!(
        rows.iter().filter(|r| r.event == "users_imported").count(),
        1
    );
    // A later user gets the next associate id.
    let later = add(&store, "later").await?;
    assert!(later.associate_id.get() > ids[ids.len() - 1]);
    // An empty batch stores nothing but its audit row.
    assert!(store.import_users(&[], &audit).await?.is_empty());
    Ok(())
}

async fn password_schemes_are_counted_by_prefix(store: Shared) -> TestResult {
    add(&store, "current").await?;
    let batch = vec![
        imported("b1", "$2b$04$aaaa", false)?,
        imported("b2", "$2b$12$bbbb", false)?,
        imported("d1", "pbkdf2_sha256$1$s$h", false)?,
        imported("a1", "aspnet-identity-v3$AQAAAA==", false)?,
        imported("n1", "!", false)?,
    ];
    store
        .import_users(&batch, &event(AuditKind::UsersImported, None, at(1)))
        .await?;
    let mut counts = store.password_scheme_counts().await?;
    counts.sort();
    assert_eq!(
        counts,
        [
            (String::new(), 1),
            ("$2b$".to_owned(), 2),
            ("$argon2id$".to_owned(), 1),
            ("aspnet-identity-v3$".to_owned(), 1),
            ("pbkdf2_sha256$".to_owned(), 1),
        ]
    );
    Ok(())
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        /// The suite on a temporary SQLite file.
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() -> super::TestResult {
                    let dir = tempfile::tempdir()?;
                    let url = format!("sqlite://{}", dir.path().join("c.db").display());
                    let store = passgate_store::open(&url).await?;
                    super::$name(store).await
                }
            )*
        }

        /// The suite on a fresh PostgreSQL database (skipped with a notice when
        /// PASSGATE_TEST_POSTGRES_URL is unset outside CI).
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() -> super::TestResult {
                    let Some(db) = passgate_store::testing::TestDatabase::create().await? else {
                        return Ok(());
                    };
                    let store = passgate_store::open(db.url()).await?;
                    let result = super::$name(Arc::clone(&store)).await;
                    drop(store);
                    drop(db);
                    result
                }
            )*
            use std::sync::Arc;
        }
    };
}

conformance!(
    ping_answers,
    create_user_assigns_consecutive_associate_ids,
    create_user_refuses_taken_names_case_insensitively,
    concurrent_user_creation_never_fails,
    find_user_by_id_associate_and_name,
    find_users_by_email_folds_case_and_stops_at_two,
    list_users_orders_by_associate_id,
    rehash_is_conditional_on_the_version,
    password_change_swaps_keeps_own_session_and_revokes_others,
    password_change_without_keep_revokes_all,
    stale_password_change_changes_nothing,
    concurrent_password_changes_exactly_one_wins,
    sessions_round_trip_and_tokens_are_unique,
    session_of_unknown_user_is_refused,
    session_insert_is_a_compare_and_swap_on_the_credential,
    logins_racing_a_change_never_outlive_it,
    touch_slides_expiry_forward_only,
    revoke_session_once,
    throttle_rows_bump_and_clear,
    concurrent_throttle_bumps_are_not_lost,
    lock_revokes_sessions_and_unlock_does_not,
    list_sessions_filters_and_orders,
    revoke_sessions_by_scope,
    audit_filters_limit_and_order,
    password_history_is_newest_first_pruned_and_must_change_is_stored,
    user_changes_rename_expire_delete,
    app_tokens_register_find_list_revoke,
    reset_tokens_supersede_and_are_spent_by_a_change,
    outbox_claims_leases_finishes_and_retries,
    concurrent_mail_claims_never_share_a_row,
    own_sessions_list_and_end_only_the_users_own,
    import_skips_taken_names_and_keeps_order,
    password_schemes_are_counted_by_prefix,
);
