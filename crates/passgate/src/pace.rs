//! Short, precise waits for pacing overload refusals.
//!
//! tokio's timer counts whole milliseconds and rounds twice (the deadline up to the next
//! tick, the park timeout from a truncated "now"), so a 1 ms sleep ends 1 to 3 ms later. A
//! refusal must be answered in a few milliseconds, so on Linux the wait is a `timerfd`
//! (nanosecond resolution, through the `tokio-timerfd` crate) registered with tokio's own
//! reactor: no extra thread, and the tokio timer only as a fallback.

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
    use std::time::Duration;

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
