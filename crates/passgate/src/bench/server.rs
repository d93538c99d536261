//! The server under test: a `passgate serve` child process on a temporary SQLite database
//! (so its memory can be read from `/proc`), or an external server given by URL. Also reads
//! the server's resident set size and its Prometheus counters.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use passgate_core::credential::HASH_THREAD_NAME_PREFIX;

use super::client::{Conn, Endpoint};
use super::protocol::{self, FORWARDED_HEADER};
use super::BenchError;

/// How long the child may take to start listening (migrations and the dummy hash included).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `passgate serve` started by the benchmark; killed when dropped.
pub struct ServerProcess {
    child: Child,
    log: PathBuf,
}

impl ServerProcess {
    /// Starts the current executable as `passgate --database DB [--config FILE] serve` on an
    /// ephemeral port of 127.0.0.1, trusting `X-Forwarded-For` for client addresses (the
    /// `attack` scenario needs distinct addresses), and waits until it listens.
    pub async fn start(
        dir: &Path,
        database_url: &str,
        config: Option<&Path>,
    ) -> Result<(Self, Endpoint), BenchError> {
        let exe = std::env::current_exe()
            .map_err(|e| BenchError::Server(format!("cannot find the passgate executable: {e}")))?;
        let ready = dir.join("server.addr");
        let log = dir.join("server.log");
        let log_file = std::fs::File::create(&log)?;
        let mut cmd = Command::new(exe);
        cmd.arg("--database").arg(database_url);
        if let Some(c) = config {
            cmd.arg("--config").arg(c);
        }
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--ready-file"])
            .arg(&ready)
            .env("PASSGATE_TRUSTED_PROXY_HEADER", FORWARDED_HEADER)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file));
        let child = cmd
            .spawn()
            .map_err(|e| BenchError::Server(format!("cannot start the server: {e}")))?;
        let mut server = ServerProcess { child, log };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(text) = std::fs::read_to_string(&ready) {
                if let Ok(addr) = text.trim().parse() {
                    return Ok((server, Endpoint::new(addr)?));
                }
            }
            if let Some(status) = server.child.try_wait()? {
                return Err(BenchError::Server(format!(
                    "the server exited ({status}) before listening:\n{}",
                    server.log_tail()
                )));
            }
            if Instant::now() > deadline {
                return Err(BenchError::Server(format!(
                    "the server did not listen within {} s:\n{}",
                    START_TIMEOUT.as_secs(),
                    server.log_tail()
                )));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last lines the server logged (for error messages).
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resident set sizes of a process, in KiB: current (`VmRSS`) and peak (`VmHWM`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Rss {
    /// Current resident set.
    pub current_kib: u64,
    /// Peak resident set since the process started.
    pub peak_kib: u64,
}

/// Reads `/proc/<pid>/status` (None when the process is gone or not on Linux).
pub fn read_rss(pid: u32) -> Option<Rss> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some(Rss {
        current_kib: field("VmRSS:")?,
        peak_kib: field("VmHWM:")?,
    })
}

/// CPU time (user + system, all threads) process `pid` has used so far, from
/// `/proc/<pid>/stat` (Linux reports it in USER_HZ ticks, 100 per second).
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat_cpu_time(&text)
}

/// utime + stime of one `stat` line (of a process or a thread).
fn stat_cpu_time(stat: &str) -> Option<Duration> {
    // Fields after the command name (which may contain spaces) start at the state, field 3;
    // utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// Whether a thread's `stat` line (`tid (name) state ...`) is a hashing thread's (named
/// [`HASH_THREAD_NAME_PREFIX`] and its index by the server's hashing pool).
fn is_hashing_thread(stat: &str) -> bool {
    stat.find(" (")
        .is_some_and(|i| stat[i + 2..].starts_with(HASH_THREAD_NAME_PREFIX))
}

/// CPU time the hashing threads of process `pid` have used so far, from
/// `/proc/<pid>/task/*/stat` (None when none can be read, e.g. not on Linux).
pub fn hashing_cpu_time(pid: u32) -> Option<Duration> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = None;
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        if is_hashing_thread(&stat) {
            if let Some(t) = stat_cpu_time(&stat) {
                total = Some(total.unwrap_or(Duration::ZERO) + t);
            }
        }
    }
    total
}

/// CPU used by the server and by this benchmark process over a phase.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuUse {
    /// The server's CPU time (None when it cannot be read).
    pub server: Option<Duration>,
    /// This process's CPU time (the load generator).
    pub client: Option<Duration>,
    /// The CPU time of the server's hashing threads (None when it cannot be read).
    pub hashing: Option<Duration>,
}

/// Measures [`CpuUse`] from its start to [`CpuMeter::stop`].
pub struct CpuMeter {
    server_pid: Option<u32>,
    start: CpuUse,
}

impl CpuMeter {
    /// Starts measuring (the server's CPU only when `server_pid` is known).
    pub fn start(server_pid: Option<u32>) -> Self {
        CpuMeter {
            server_pid,
            start: Self::now(server_pid),
        }
    }

    fn now(server_pid: Option<u32>) -> CpuUse {
        CpuUse {
            server: server_pid.and_then(cpu_time),
            client: cpu_time(std::process::id()),
            hashing: server_pid.and_then(hashing_cpu_time),
        }
    }

    /// CPU used since the start.
    pub fn stop(&self) -> CpuUse {
        let end = Self::now(self.server_pid);
        let delta = |a: Option<Duration>, b: Option<Duration>| Some(b?.saturating_sub(a?));
        CpuUse {
            server: delta(self.start.server, end.server),
            client: delta(self.start.client, end.client),
            hashing: delta(self.start.hashing, end.hashing),
        }
    }
}

/// Samples a process's RSS every 50 ms in the background, keeping the largest value seen.
pub struct RssSampler {
    pid: u32,
    max_kib: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    /// Starts sampling `pid`.
    pub fn start(pid: u32) -> Self {
        let max_kib = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let task = {
            let (max_kib, stop) = (Arc::clone(&max_kib), Arc::clone(&stop));
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    if let Some(r) = read_rss(pid) {
                        max_kib.fetch_max(r.current_kib, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        };
        RssSampler {
            pid,
            max_kib,
            stop,
            task,
        }
    }

    /// Stops sampling; returns the current RSS and the peak (the larger of `VmHWM` and the
    /// largest sample), or None when the process could not be read.
    pub async fn finish(self) -> Option<Rss> {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        let now = read_rss(self.pid)?;
        Some(Rss {
            current_kib: now.current_kib,
            peak_kib: now.peak_kib.max(self.max_kib.load(Ordering::Relaxed)),
        })
    }
}

/// The server's Argon2id operation count (hashes plus verifications) from `/metrics`.
pub async fn argon2_operations(endpoint: &Endpoint) -> Result<u64, BenchError> {
    let mut conn = Conn::open(endpoint).await?;
    let resp = conn.send(&protocol::get("/metrics")).await?;
    if !resp.status.is_success() {
        return Err(BenchError::Server(format!(
            "GET /metrics answered {}",
            resp.status
        )));
    }
    Ok(sum_series(&resp.text(), "passgate_argon2_operations_total"))
}

/// Sums every sample of `series` (all label sets) in a Prometheus/OpenMetrics text.
pub fn sum_series(text: &str, series: &str) -> u64 {
    text.lines()
        .filter(|l| {
            l.strip_prefix(series)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter_map(|l| l.rsplit(' ').next())
        .filter_map(|v| v.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_labelled_series_only() {
        let text = "# TYPE passgate_argon2_operations counter\n\
            passgate_argon2_operations_total{op=\"hash\"} 3\n\
            passgate_argon2_operations_total{op=\"verify\"} 40\n\
            passgate_argon2_operations_total_other 7\n\
            passgate_hash_workers 2\n";
        assert_eq!(sum_series(text, "passgate_argon2_operations_total"), 43);
        assert_eq!(sum_series(text, "passgate_hash_workers"), 2);
        assert_eq!(sum_series(text, "absent"), 0);
    }

    #[test]
    fn reads_own_cpu_time() {
        let meter = CpuMeter::start(Some(std::process::id()));
        let t0 = std::time::Instant::now();
        let mut x = 0u64;
        while t0.elapsed() < Duration::from_millis(60) {
            x = x.wrapping_mul(31).wrapping_add(7);
        }
        assert!(x != 1);
        let used = meter.stop();
        assert!(used.client.is_some() && used.server.is_some());
        assert!(cpu_time(std::process::id()).is_some());
        assert!(cpu_time(u32::MAX).is_none());
    }

    #[test]
    fn recognises_hashing_threads_by_name() {
        assert!(is_hashing_thread("4242 (argon2-0) R 1 2 3"));
        assert!(is_hashing_thread("4243 (argon2-11) S 1 2 3"));
        assert!(!is_hashing_thread("4244 (tokio-runtime-w) S 1 2 3"));
        assert!(!is_hashing_thread("4245 (passgate) S 1 2 3"));
        assert!(!is_hashing_thread("(argon2-0)"));
    }

    /// The calling thread's user + system CPU time in clock ticks (1/100 s on Linux).
    fn own_cpu_ticks() -> Option<u64> {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
        let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
        // Fields 14 and 15 (utime, stime); the first after the name is field 3.
        let utime: u64 = fields.nth(14 - 3)?.parse().ok()?;
        let stime: u64 = fields.next()?.parse().ok()?;
        Some(utime + stime)
    }

    #[test]
    fn reads_the_hashing_threads_cpu_time() {
        let (done, wait) = std::sync::mpsc::channel::<()>();
        let (burnt, burning) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("{HASH_THREAD_NAME_PREFIX}test"))
            .spawn(move || {
                // Burns 200 ms of this thread's own CPU time (not wall time, which a loaded
                // machine would stretch with other threads' turns).
                let mut x = 0u64;
                while own_cpu_ticks().is_some_and(|t| t < 20) {
                    for _ in 0..100_000 {
                        x = x.wrapping_mul(31).wrapping_add(7);
                    }
                }
                let _ = burnt.send(());
                // Stay alive until read: an exited thread leaves /proc/<pid>/task.
                let _ = wait.recv();
                x
            });
        let Ok(thread) = thread else {
            panic!("could not start the test thread");
        };
        let _ = burning.recv();
        let after = hashing_cpu_time(std::process::id());
        let _ = done.send(());
        let _ = thread.join();
        // At least the test thread's 200 ms (other tests' hashing threads may add to it).
        assert!(
            after.is_some_and(|u| u >= Duration::from_millis(150)),
            "hashing threads' CPU: {after:?}"
        );
        assert!(hashing_cpu_time(u32::MAX).is_none());
    }

    #[test]
    fn reads_own_rss() {
        let r = read_rss(std::process::id());
        assert!(r.is_some_and(|r| r.current_kib > 0 && r.peak_kib >= r.current_kib));
    }
}
