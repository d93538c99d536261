//! Compare-and-swap: of two concurrent changes with the same old password exactly one wins.

use std::time::Duration;

use crate::harness::*;

const OLD: &str = "correct horse battery staple";

async fn two_concurrent_changes_exactly_one_wins() -> TestResult {
    let s = TestServer::start().await?;
    for round in 0..5 {
        let name = format!("racer{round}");
        s.add_user(&name, OLD).await?;
        let t1 = s.login(&name, OLD).await?.ok_or("login")?;
        let t2 = s.login(&name, OLD).await?.ok_or("login")?;
        let (a, b) = (
            "first racer passphrase, long",
            "second racer passphrase, long",
        );
        let (r1, r2) = tokio::join!(
            s.soap12(USER, change_envelope(SOAP12, Some(&t1), OLD, a)),
            s.soap12(USER, change_envelope(SOAP12, Some(&t2), OLD, b)),
        );
        let (r1, r2) = (r1?.1, r2?.1);
        let won1 = first_text(&r1, "Response").as_deref() == Some("true");
        let won2 = first_text(&r2, "Response").as_deref() == Some("true");
        assert!(won1 ^ won2, "exactly one must win: {r1} / {r2}");
        let (winner, loser) = if won1 { (a, b) } else { (b, a) };
        assert!(
            s.login(&name, winner).await?.is_some(),
            "stored hash is the winner's"
        );
        assert_eq!(s.login(&name, loser).await?, None);
        assert_eq!(s.login(&name, OLD).await?, None);
    }
    Ok(())
}
both_backends!(two_concurrent_changes_exactly_one_wins);

/// An attacker who knows the old password logs in in a tight loop while the victim changes
/// it: every ticket the attacker got is dead once the change is acknowledged (the victim's
/// own stays valid), because a session commits only while the verified credential is current.
async fn logins_racing_a_change_never_outlive_it() -> TestResult {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let s = std::sync::Arc::new(TestServer::start().await?);
    for round in 0..5 {
        let name = format!("victim{round}");
        s.add_user(&name, OLD).await?;
        let own = s.login(&name, OLD).await?.ok_or("login")?;
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let issued = std::sync::Arc::new(AtomicUsize::new(0));
        let mut attackers = Vec::new();
        for _ in 0..4 {
            let (s, name, stop, issued) = (
                std::sync::Arc::clone(&s),
                name.clone(),
                std::sync::Arc::clone(&stop),
                std::sync::Arc::clone(&issued),
            );
            attackers.push(tokio::spawn(async move {
                let mut tickets = Vec::new();
                // Keeps going a little after the change, so logins straddle its commit.
                let mut after = 0;
                while after < 3 {
                    if stop.load(Ordering::Acquire) {
                        after += 1;
                    }
                    let (_, body) = s
                        .soap12(PRINCIPAL, auth_envelope(SOAP12, &name, OLD))
                        .await?;
                    if let Some(t) = first_text(&body, "Ticket") {
                        issued.fetch_add(1, Ordering::Relaxed);
                        tickets.push(t);
                    }
                }
                Ok::<_, reqwest::Error>(tickets)
            }));
        }
        while issued.load(Ordering::Relaxed) < 4 {
            tokio::task::yield_now().await;
        }
        // Retried while the server answers "busy": the attackers keep the hashing pool full.
        let reply = loop {
            let (_, reply) = s
                .soap12(
                    USER,
                    change_envelope(SOAP12, Some(&own), OLD, "the victim's new passphrase"),
                )
                .await?;
            if !reply.contains("The server is busy") {
                break reply;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        assert_eq!(
            first_text(&reply, "Response").as_deref(),
            Some("true"),
            "{reply}"
        );
        stop.store(true, Ordering::Release);
        let mut stolen = Vec::new();
        for a in attackers {
            stolen.extend(a.await??);
        }
        assert!(!stolen.is_empty());
        let mut alive = 0;
        for t in &stolen {
            if s.core.resolve_session(Some(t)).await.is_ok() {
                alive += 1;
            }
        }
        assert_eq!(
            alive,
            0,
            "round {round}: {alive} of {} attacker tickets survived",
            stolen.len()
        );
        assert!(
            s.core.resolve_session(Some(&own)).await.is_ok(),
            "own ticket kept"
        );
        // The attackers' failed logins after the change must not throttle the next round.
        s.advance(Duration::from_secs(700));
    }
    Ok(())
}
both_backends!(logins_racing_a_change_never_outlive_it);
