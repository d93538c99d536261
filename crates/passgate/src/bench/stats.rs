//! Latency samples and their summary: counts by outcome kind and nearest-rank percentiles.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// One finished request: when it started (relative to the phase start), how long it took and
/// how it ended.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Start time, relative to the start of the phase.
    pub started: Duration,
    /// Time from sending the request to the end of the response body.
    pub latency: Duration,
    /// Outcome kind (`ok`, `overloaded`, `timeout`, ...).
    pub kind: &'static str,
}

/// The samples of one worker (or of several, merged).
#[derive(Debug, Default, Clone)]
pub struct Recorder {
    samples: Vec<Sample>,
}

impl Recorder {
    /// An empty recorder with room for `n` samples.
    pub fn with_capacity(n: usize) -> Self {
        Recorder {
            samples: Vec::with_capacity(n),
        }
    }

    /// Records a request that started at `started` (an instant after `phase_start`).
    pub fn record(
        &mut self,
        phase_start: Instant,
        started: Instant,
        latency: Duration,
        kind: &'static str,
    ) {
        self.samples.push(Sample {
            started: started.saturating_duration_since(phase_start),
            latency,
            kind,
        });
    }

    /// Moves every sample of `other` into this recorder.
    pub fn merge(&mut self, other: Recorder) {
        self.samples.extend(other.samples);
    }

    /// All samples, in recording order.
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Count of samples by kind.
    pub fn counts(&self) -> BTreeMap<&'static str, u64> {
        let mut out = BTreeMap::new();
        for s in &self.samples {
            *out.entry(s.kind).or_insert(0) += 1;
        }
        out
    }

    /// Latency summary of the samples `keep` selects.
    pub fn summary(&self, keep: impl Fn(&Sample) -> bool) -> Summary {
        Summary::of(
            self.samples
                .iter()
                .filter(|s| keep(s))
                .map(|s| s.latency)
                .collect(),
        )
    }

    /// Latency summary of the samples of one kind.
    pub fn summary_of(&self, kind: &str) -> Summary {
        self.summary(|s| s.kind == kind)
    }
}

/// Latency percentiles of a set of samples (nearest rank; all zero when empty).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    /// Number of samples.
    pub count: usize,
    /// Median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest.
    pub max: Duration,
}

impl Summary {
    /// Summarises `latencies` (in any order).
    pub fn of(mut latencies: Vec<Duration>) -> Self {
        latencies.sort_unstable();
        Summary {
            count: latencies.len(),
            p50: percentile(&latencies, 50.0),
            p99: percentile(&latencies, 99.0),
            max: latencies.last().copied().unwrap_or_default(),
        }
    }
}

/// The nearest-rank `p`-th percentile (0 < p ≤ 100) of `sorted` (ascending): the smallest
/// value such that at least p % of the values are at or below it. Zero when empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let n = sorted.len();
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    sorted[rank.clamp(1, n) - 1]
}

/// The median of `values` (upper median for an even count); None when empty.
pub fn median(mut values: Vec<Duration>) -> Option<Duration> {
    values.sort_unstable();
    values.get(values.len() / 2).copied()
}

/// Milliseconds as a float, for reports.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let sorted = millis(&(1..=100).collect::<Vec<_>>());
        assert_eq!(percentile(&sorted, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&sorted, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&sorted, 100.0), Duration::from_millis(100));
        assert_eq!(percentile(&sorted, 0.1), Duration::from_millis(1));
        // Ten values: p99 is the largest, p50 the fifth.
        let ten = millis(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(percentile(&ten, 99.0), Duration::from_millis(10));
        assert_eq!(percentile(&ten, 50.0), Duration::from_millis(5));
        assert_eq!(percentile(&[], 99.0), Duration::ZERO);
        assert_eq!(percentile(&millis(&[7]), 50.0), Duration::from_millis(7));
    }

    #[test]
    fn summary_sorts_and_counts() {
        let s = Summary::of(millis(&[30, 10, 20, 1000, 40]));
        assert_eq!(s.count, 5);
        assert_eq!(s.p50, Duration::from_millis(30));
        assert_eq!(s.p99, Duration::from_millis(1000));
        assert_eq!(s.max, Duration::from_millis(1000));
        assert_eq!(Summary::of(Vec::new()), Summary::default());
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(millis(&[3, 1, 2])), Some(Duration::from_millis(2)));
        assert_eq!(
            median(millis(&[4, 1, 3, 2])),
            Some(Duration::from_millis(3))
        );
        assert_eq!(median(Vec::new()), None);
    }

    #[test]
    fn recorder_counts_and_filters_by_kind() {
        let t0 = Instant::now();
        let mut a = Recorder::default();
        a.record(t0, t0, Duration::from_millis(10), "ok");
        a.record(t0, t0, Duration::from_millis(2), "overloaded");
        let mut b = Recorder::with_capacity(2);
        b.record(t0, t0, Duration::from_millis(30), "ok");
        a.merge(b);
        assert_eq!(a.len(), 3);
        let counts = a.counts();
        assert_eq!(counts.get("ok"), Some(&2));
        assert_eq!(counts.get("overloaded"), Some(&1));
        let ok = a.summary_of("ok");
        assert_eq!(ok.count, 2);
        assert_eq!(ok.max, Duration::from_millis(30));
        assert_eq!(a.summary_of("overloaded").p99, Duration::from_millis(2));
        assert!(a.summary_of("timeout").count == 0);
    }
}
