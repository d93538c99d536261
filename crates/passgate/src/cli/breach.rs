//! `passgate breach import|check`: building and querying the offline breached-password index.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Subcommand;
use passgate_core::credential::breach::{self, BreachIndex};

use crate::config::Settings;

/// `breach` subcommands.
#[derive(Debug, Subcommand)]
pub enum BreachCommand {
    /// Build the index from a Pwned Passwords file (`SHA1HEX:COUNT` lines sorted by hash;
    /// `-` reads standard input). Written beside the target and renamed into place.
    Import {
        /// The Pwned Passwords file.
        file: PathBuf,
        /// Where to write the index (default: the configured `breach.index`).
        #[arg(long)]
        output: Option<PathBuf>,
        /// Keep whole hashes (22 bytes per entry instead of 10), as the range API
        /// (`breach.range_api`) needs.
        #[arg(long)]
        full_hashes: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Look up the password given on standard input in the configured index and print how
    /// often it was seen (0 when absent).
    Check {
        /// The index to read (default: the configured `breach.index`).
        #[arg(long)]
        index: Option<PathBuf>,
    },
}

/// Errors of the breach commands.
#[derive(Debug, thiserror::Error)]
pub enum BreachCmdError {
    /// No index path given or configured.
    #[error("no index path: pass --output/--index or set breach.index (PASSGATE_BREACH_INDEX)")]
    NoPath,
    /// Building, opening or reading failed.
    #[error("{0}")]
    Index(#[from] breach::BreachError),
    /// Reading the input failed.
    #[error("{path}: {source}")]
    Input {
        /// The input file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

fn target(given: Option<PathBuf>, settings: &Settings) -> Result<PathBuf, BreachCmdError> {
    given
        .or_else(|| settings.breach_index.clone())
        .ok_or(BreachCmdError::NoPath)
}

/// Runs `breach import`.
pub fn import(
    settings: &Settings,
    file: &Path,
    output: Option<PathBuf>,
    full_hashes: bool,
    json: bool,
) -> Result<(), BreachCmdError> {
    let output = target(output, settings)?;
    let layout = if full_hashes {
        breach::Layout::Full
    } else {
        breach::Layout::Compact
    };
    let started = Instant::now();
    let summary = if file == Path::new("-") {
        breach::import_as(std::io::stdin().lock(), &output, layout)?
    } else {
        let f = std::fs::File::open(file).map_err(|source| BreachCmdError::Input {
            path: file.to_path_buf(),
            source,
        })?;
        breach::import_as(BufReader::with_capacity(1 << 20, f), &output, layout)?
    };
    let secs = started.elapsed().as_secs_f64();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "index": output.display().to_string(),
                "lines": summary.lines,
                "records": summary.records,
                "bytes": summary.bytes,
                "seconds": secs,
            })
        );
    } else {
        println!(
            "imported {} lines into {} records ({:.1} MiB) in {:.1} s: {}",
            summary.lines,
            summary.records,
            summary.bytes as f64 / (1024.0 * 1024.0),
            secs,
            output.display()
        );
    }
    Ok(())
}

/// Runs `breach check` for `password` (already NFKC, as the server checks it).
pub fn check(
    settings: &Settings,
    index: Option<PathBuf>,
    password: &passgate_core::domain::Password,
) -> Result<u32, BreachCmdError> {
    let path = target(index, settings)?;
    let idx = BreachIndex::open(&path)?;
    Ok(idx.count(password.expose())?.unwrap_or(0))
}
