//! `passgate user import FILE [--format csv|jsonl] [--dry-run] [--json]`: users with the
//! password hashes of another system (docs/migration.md). Each line is validated whole by the
//! core ([`passgate_core::Core::prepare_import`]); refused lines are reported with their
//! number and nothing of them is stored; the rest is stored in batches of [`BATCH`] users,
//! one transaction each. A progress bar is drawn on a terminal only.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufReader, IsTerminal};
use std::path::PathBuf;
use std::time::Instant;

use passgate_core::credential::legacy::StoredFormat;
use passgate_core::service::ImportRefusal;
use passgate_core::store::{ImportedUser, UserLookup};
use passgate_core::{Core, CoreError, RequestContext};

use crate::import_file::{too_long, ImportFormat, Line, LineReader, RowParser};

/// Users per transaction.
pub const BATCH: usize = 5000;

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

/// A prepared user and the line it came from.
struct Pending {
    line: u64,
    user: ImportedUser,
}

/// Runs the import.
pub async fn run(core: &Core, ctx: &RequestContext, args: &ImportArgs) -> Result<(), ImportError> {
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
    let mut batch: Vec<Pending> = Vec::with_capacity(BATCH);
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
            batch.push(Pending { line: n, user });
            if batch.len() >= BATCH {
                store_batch(core, ctx, &mut batch, &mut report).await?;
            }
        }
        if let Some(bar) = &progress {
            if n % 4096 == 0 {
                bar.set_position(lines.bytes_read());
                bar.set_message(format!("{} users", report.imported));
            }
        }
    }
    store_batch(core, ctx, &mut batch, &mut report).await?;
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

/// Stores `batch` (one transaction) and empties it; names already taken are refused lines.
async fn store_batch(
    core: &Core,
    ctx: &RequestContext,
    batch: &mut Vec<Pending>,
    report: &mut Report,
) -> Result<(), ImportError> {
    if batch.is_empty() {
        return Ok(());
    }
    let users: Vec<ImportedUser> = batch.iter().map(|p| p.user.clone()).collect();
    let inserted = core.import_batch(ctx, &users).await?;
    for (p, ok) in batch.iter().zip(inserted) {
        if ok {
            report.imported += 1;
            *report
                .formats
                .entry(StoredFormat::of(&p.user.user.password_hash).name())
                .or_default() += 1;
        } else {
            report.refuse(
                p.line,
                Some(p.user.user.username.to_string()),
                ImportRefusal::Duplicate.to_string(),
            );
        }
    }
    batch.clear();
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
