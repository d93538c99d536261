//! `passgate user import FILE [--format csv|jsonl] [--dry-run] [--json]`: users with the
//! password hashes of another system (docs/migration.md). Each line is validated whole by the
//! core ([`passgate_core::Core::prepare_import`]); refused lines are reported with their
//! number and nothing of them is stored; the rest is stored in batches (of [`BATCH`] users by
//! default), one transaction each. A progress bar is drawn on a terminal only.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufReader, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use passgate_core::credential::legacy::StoredFormat;
use passgate_core::service::{BatchResult, ImportRefusal};
use passgate_core::store::{ImportedUser, UserLookup};
use passgate_core::{Core, CoreError, RequestContext};

use crate::import_file::{too_long, ImportFormat, Line, LineReader, RowParser};

/// Users per transaction by default. Large, because each commit writes every index page its
/// users touched (the name and e-mail indexes are hit at random places), and fewer commits
/// write each page fewer times.
pub const BATCH: u32 = 50_000;

/// The largest `--batch-size`.
pub const MAX_BATCH: u32 = 100_000;

/// At most this many refused lines are listed (all are counted).
pub const MAX_LISTED_ERRORS: usize = 1000;

/// `user import` arguments.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The file: one user per line (see docs/migration.md).
    pub file: PathBuf,
    /// csv or jsonl (default: from the file's extension).
    #[arg(long, value_enum)]
    pub format: Option<ImportFormat>,
    /// Validate every line (and look for names already taken) without storing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// JSON output (one object).
    #[arg(long)]
    pub json: bool,
    /// Users per transaction (1 to 100000).
    #[arg(long, default_value_t = BATCH, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_BATCH)))]
    pub batch_size: u32,
}

/// Why the import stopped or did not import every line.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be used at all (no format, unusable header).
    #[error("{0}")]
    Usage(String),
    /// Reading the file failed.
    #[error("cannot read the import file: {0}")]
    Io(#[from] std::io::Error),
    /// The database failed.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// Some lines were refused; the others were imported (or, with --dry-run, would be).
    #[error("{0} line(s) refused")]
    Refused(u64),
}

/// One refused line.
#[derive(Debug, Clone)]
struct Refused {
    line: u64,
    username: Option<String>,
    error: String,
}

/// The running totals.
struct Report {
    imported: u64,
    refused: u64,
    errors: Vec<Refused>,
    formats: BTreeMap<&'static str, u64>,
    json: bool,
}

impl Report {
    fn refuse(&mut self, line: u64, username: Option<String>, error: String) {
        self.refused += 1;
        if !self.json && self.errors.len() < MAX_LISTED_ERRORS {
            match &username {
                Some(u) => eprintln!("line {line}: {u}: {error}"),
                None => eprintln!("line {line}: {error}"),
            }
        }
        if self.errors.len() < MAX_LISTED_ERRORS {
            self.errors.push(Refused {
                line,
                username,
                error,
            });
        }
    }
}

/// Prepared users and the lines they came from.
#[derive(Default)]
struct Batch {
    lines: Vec<u64>,
    users: Vec<ImportedUser>,
}

/// A batch being stored by a task of its own while the next one is read.
type InFlight = tokio::task::JoinHandle<(Batch, Result<BatchResult, CoreError>)>;

/// Runs the import. While one batch is stored (on the database's side: SQLite's writer
/// thread, or PostgreSQL), the next one is read and validated.
pub async fn run(
    core: Arc<Core>,
    ctx: &RequestContext,
    args: &ImportArgs,
) -> Result<(), ImportError> {
    let format = args
        .format
        .or_else(|| ImportFormat::from_path(&args.file))
        .ok_or_else(|| {
            ImportError::Usage(
                "say --format csv or --format jsonl (the file name does not tell)".into(),
            )
        })?;
    let file = std::fs::File::open(&args.file)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut lines = LineReader::new(BufReader::with_capacity(1 << 16, file));
    let mut parser = RowParser::new(format);
    let progress = (!args.json && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(size);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:40}] {bytes}/{total_bytes} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar
    });
    let started = Instant::now();
    let mut report = Report {
        imported: 0,
        refused: 0,
        errors: Vec::new(),
        formats: BTreeMap::new(),
        json: args.json,
    };
    // --dry-run: names seen so far in the file (the database catches these otherwise).
    let mut seen: HashSet<String> = HashSet::new();
    let batch_size = usize::try_from(args.batch_size).unwrap_or(1).max(1);
    let mut batch = Batch::default();
    let mut in_flight: Option<InFlight> = None;
    while let Some(line) = lines.next_line()? {
        let (n, text) = match line {
            Line::TooLong(n) => {
                report.refuse(n, None, too_long());
                continue;
            }
            Line::Text(n, text) => (n, text),
        };
        let row = match parser.parse(text).map_err(|e| ImportError::Usage(e.0))? {
            Ok(None) => continue,
            Ok(Some(row)) => row,
            Err(e) => {
                report.refuse(n, None, e);
                continue;
            }
        };
        let user = match core.prepare_import(&row) {
            Ok(u) => u,
            Err(e) => {
                let name = row
                    .username
                    .as_deref()
                    .map(|u| u.chars().take(64).collect());
                report.refuse(n, name, e.to_string());
                continue;
            }
        };
        if args.dry_run {
            let name = user.user.username.clone();
            let taken = !seen.insert(name.folded())
                || core
                    .store()
                    .find_user(UserLookup::Name(&name))
                    .await?
                    .is_some();
            if taken {
                report.refuse(
                    n,
                    Some(name.to_string()),
                    ImportRefusal::Duplicate.to_string(),
                );
            } else {
                report.imported += 1;
                *report
                    .formats
                    .entry(StoredFormat::of(&user.user.password_hash).name())
                    .or_default() += 1;
            }
        } else {
            batch.lines.push(n);
            batch.users.push(user);
            if batch.users.len() >= batch_size {
                if let Some(previous) = in_flight.take() {
                    finish(previous, &mut report).await?;
                }
                let full = std::mem::take(&mut batch);
                let (core, ctx) = (Arc::clone(&core), ctx.clone());
                in_flight = Some(tokio::spawn(async move {
                    let result = core.import_batch(&ctx, &full.users).await;
                    (full, result)
                }));
            }
        }
        if let Some(bar) = &progress {
            if n % 4096 == 0 {
                bar.set_position(lines.bytes_read());
                bar.set_message(format!("{} users", report.imported));
            }
        }
    }
    if let Some(previous) = in_flight.take() {
        finish(previous, &mut report).await?;
    }
    if !batch.users.is_empty() {
        let result = core.import_batch(ctx, &batch.users).await;
        record(batch, result, &mut report)?;
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let seconds = started.elapsed().as_secs_f64();
    print_summary(&report, args.dry_run, seconds);
    if report.refused > 0 {
        return Err(ImportError::Refused(report.refused));
    }
    Ok(())
}

/// Waits for a batch being stored and records its outcome.
async fn finish(task: InFlight, report: &mut Report) -> Result<(), ImportError> {
    let (batch, result) = task
        .await
        .map_err(|e| CoreError::Internal(format!("import task: {e}")))?;
    record(batch, result, report)
}

/// Counts a stored batch: names already taken are refused lines.
fn record(
    batch: Batch,
    result: Result<BatchResult, CoreError>,
    report: &mut Report,
) -> Result<(), ImportError> {
    let inserted = result?;
    for ((line, user), ok) in batch.lines.into_iter().zip(batch.users).zip(inserted) {
        if ok {
            report.imported += 1;
            *report
                .formats
                .entry(StoredFormat::of(&user.user.password_hash).name())
                .or_default() += 1;
        } else {
            report.refuse(
                line,
                Some(user.user.username.to_string()),
                ImportRefusal::Duplicate.to_string(),
            );
        }
    }
    Ok(())
}

fn print_summary(report: &Report, dry_run: bool, seconds: f64) {
    let rate = if seconds > 0.0 {
        report.imported as f64 / seconds
    } else {
        0.0
    };
    if report.json {
        let errors: Vec<_> = report
            .errors
            .iter()
            .map(|e| serde_json::json!({"line": e.line, "username": e.username, "error": e.error}))
            .collect();
        let omitted = report.refused - u64::try_from(report.errors.len()).unwrap_or(0);
        println!(
            "{}",
            serde_json::json!({
                "dryRun": dry_run,
                "imported": report.imported,
                "refused": report.refused,
                "formats": report.formats,
                "seconds": (seconds * 1000.0).round() / 1000.0,
                "usersPerSecond": rate.round(),
                "errors": errors,
                "errorsOmitted": omitted,
            })
        );
    } else {
        let verb = if dry_run { "would import" } else { "imported" };
        println!(
            "{verb} {} user(s), refused {} line(s), in {seconds:.2} s ({rate:.0} users/s)",
            report.imported, report.refused
        );
        if !report.formats.is_empty() {
            let formats: Vec<String> = report
                .formats
                .iter()
                .map(|(f, n)| format!("{f} {n}"))
                .collect();
            println!("password formats: {}", formats.join(", "));
        }
        if report.refused > u64::try_from(MAX_LISTED_ERRORS).unwrap_or(u64::MAX) {
            eprintln!("(only the first {MAX_LISTED_ERRORS} refused lines were listed)");
        }
    }
}
