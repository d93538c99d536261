//! Short, precise waits for pacing overload refusals.
//!
//! tokio's timer counts whole milliseconds and rounds twice (the deadline up to the next
//! tick, the park timeout from a truncated "now"), so a 1 ms sleep ends 1 to 3 ms later. A
//! refusal must be answered in a few milliseconds, so on Linux the wait is a `timerfd`
//! (nanosecond resolution, through the `tokio-timerfd` crate) registered with tokio's own
//! reactor: no extra thread, and the tokio timer only as a fallback.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Spacing of held refusals: with `n` refusals already being held, the next is held at least
/// `n` × this, so clients that retry a refusal at once, however many, get about 1000
/// refusals per second in total (about 8 % of one core at ~80 µs each) instead of taking the
/// CPUs admitted requests hash on.
pub const REFUSAL_SPACING: Duration = Duration::from_millis(1);

/// Longest hold of a refusal: as long as the `Retry-After` it carries, so a client that
/// retries at once behaves as one that honours it.
pub const MAX_REFUSAL_HOLD: Duration = Duration::from_secs(1);

/// How long to hold an overload refusal when `held` others are being held: at least `base`
/// (`argon2.refusal_pace_ms`), at least `held` × [`REFUSAL_SPACING`], at most
/// [`MAX_REFUSAL_HOLD`]. A few refusals at a time are answered after `base`; only a crowd that
/// retries at once is slowed down.
pub fn refusal_hold(base: Duration, held: usize) -> Duration {
    let spaced = REFUSAL_SPACING.saturating_mul(u32::try_from(held).unwrap_or(u32::MAX));
    base.max(spaced).min(MAX_REFUSAL_HOLD.max(base))
}

/// The refusals being held right now (shared by every connection of the server).
#[derive(Debug, Clone, Default)]
pub struct HeldRefusals(Arc<AtomicUsize>);

impl HeldRefusals {
    /// Holds one refusal that arrived at `arrived` for [`refusal_hold`] of `base`.
    pub async fn hold(&self, arrived: tokio::time::Instant, base: Duration) {
        let others = self.0.fetch_add(1, Ordering::AcqRel);
        sleep_until(arrived + refusal_hold(base, others)).await;
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Waits until `deadline`, to within the kernel's timer slack on Linux.
pub async fn sleep_until(deadline: tokio::time::Instant) {
    #[cfg(target_os = "linux")]
    if let Ok(delay) = tokio_timerfd::Delay::new(deadline.into_std()) {
        if delay.await.is_ok() {
            return;
        }
    }
    tokio::time::sleep_until(deadline).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crowd_of_refusals_is_spaced_out() {
        let base = Duration::from_millis(2);
        assert_eq!(refusal_hold(base, 0), base);
        assert_eq!(refusal_hold(base, 2), base);
        assert_eq!(refusal_hold(base, 400), Duration::from_millis(400));
        assert_eq!(refusal_hold(base, 1_000_000), MAX_REFUSAL_HOLD);
        assert_eq!(refusal_hold(Duration::ZERO, 5), Duration::from_millis(5));
    }

    #[tokio::test]
    async fn waits_at_least_until_the_deadline_and_not_much_longer() {
        for micros in [0u64, 300, 1_000, 2_500] {
            let start = tokio::time::Instant::now();
            let deadline = start + Duration::from_micros(micros);
            sleep_until(deadline).await;
            let waited = start.elapsed();
            assert!(
                waited >= Duration::from_micros(micros),
                "{micros} µs: {waited:?}"
            );
            // Generous bound for a loaded CI machine; the point is "not tokio's extra ms".
            assert!(waited < Duration::from_micros(micros) + Duration::from_millis(50));
        }
    }
}
