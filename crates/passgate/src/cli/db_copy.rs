//! `passgate db copy`: moves an installation between databases of either backend (users,
//! hashes, password history, sessions, throttle counters, audit trail), verified by row
//! counts and by reading every user back. The copying itself is
//! [`passgate_store::transfer`]; this module is its command line.

use clap::Args;
use passgate_core::CoreError;
use passgate_store::transfer::{copy_database, CopyReport, CopyRequest};
use passgate_store::DatabaseUrl;

/// Arguments of `db copy`.
#[derive(Debug, Args)]
pub struct CopyArgs {
    /// Source database URL (sqlite://FILE or postgres://...). Stop the nodes writing to it
    /// first, or verification will see rows that arrived during the copy.
    #[arg(long)]
    pub from: DatabaseUrl,
    /// Target database URL. Must be empty unless --force.
    #[arg(long)]
    pub to: DatabaseUrl,
    /// Replace the target's existing rows.
    #[arg(long)]
    pub force: bool,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// Runs the copy and prints its report. Errors map to the CLI's exit codes: a non-empty
/// target is a conflict (4), a bad URL a usage error (2), anything else a failure (1).
pub async fn run(args: &CopyArgs) -> Result<(), CoreError> {
    let report = copy_database(&CopyRequest {
        from: &args.from,
        to: &args.to,
        force: args.force,
    })
    .await?;
    if args.json {
        println!("{}", to_json(&report));
    } else {
        println!("copied {} -> {}", report.from, report.to);
        if report.replaced_existing {
            println!("(the target's previous rows were replaced)");
        }
        for t in &report.tables {
            println!("{:>10}  {}", t.rows, t.table);
        }
        println!("verified: row counts match and every user reads back unchanged");
    }
    Ok(())
}

/// The report as one JSON object: `{"from", "to", "replacedExisting", "verified",
/// "tables": {"users": n, ...}}`.
fn to_json(report: &CopyReport) -> serde_json::Value {
    let tables: serde_json::Map<String, serde_json::Value> = report
        .tables
        .iter()
        .map(|t| (t.table.to_owned(), serde_json::Value::from(t.rows)))
        .collect();
    serde_json::json!({
        "from": report.from,
        "to": report.to,
        "replacedExisting": report.replaced_existing,
        "verified": true,
        "tables": tables,
    })
}
