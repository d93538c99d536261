//! Compare-and-swap: of two concurrent changes with the same old password exactly one wins.

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
