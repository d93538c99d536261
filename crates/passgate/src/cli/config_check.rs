//! `passgate config check`: loads the configuration file and the environment exactly as
//! `serve` does, then opens what `serve` would open at start (TLS certificate and key, logo,
//! breached-password index, mail templates, the database), without starting anything.
//! Prints the effective settings (secrets redacted by their `Debug`) and every problem with
//! its source; exit code 2 when there is any, so an operator learns of a typo before a
//! restart instead of after it.

use std::path::Path;

use passgate_store::Backend;

use crate::config::{Overrides, Settings};

/// One problem found, and where it comes from.
struct Problem {
    source: &'static str,
    message: String,
}

/// Runs the check; returns the process exit code (0: fine, 2: problems).
pub async fn check(config: Option<&Path>, overrides: &Overrides) -> u8 {
    let mut problems = Vec::new();
    for name in crate::config::unknown_env() {
        problems.push(Problem {
            source: "environment",
            message: format!("{name} is not a passgate setting (see docs/configuration.md)"),
        });
    }
    let source = match config {
        Some(_) => "config file or environment",
        None => "environment",
    };
    match Settings::load(config, overrides) {
        Ok(settings) => {
            check_files(&settings, &mut problems);
            check_database(&settings, &mut problems).await;
            println!("{settings:#?}");
        }
        Err(e) => problems.push(Problem {
            source,
            message: e.to_string(),
        }),
    }
    if problems.is_empty() {
        eprintln!("configuration OK");
        return 0;
    }
    for p in &problems {
        eprintln!("error ({}): {}", p.source, p.message);
    }
    eprintln!("{} problem(s) found", problems.len());
    2
}

fn check_files(settings: &Settings, problems: &mut Vec<Problem>) {
    if let Some(tls) = &settings.tls {
        if let Err(e) = crate::tls::load(&tls.files, std::time::SystemTime::now()) {
            problems.push(Problem {
                source: "tls",
                message: e.to_string(),
            });
        }
    }
    if let Some(logo) = &settings.web.logo_file {
        if let Err(e) = crate::config::read_logo(logo) {
            problems.push(Problem {
                source: "web.logo_file",
                message: e.to_string(),
            });
        }
    }
    if let Some(path) = &settings.breach_index {
        if let Err(e) = passgate_core::credential::breach::BreachIndex::open(path) {
            problems.push(Problem {
                source: "breach.index",
                message: format!("cannot open the breach index {}: {e}", path.display()),
            });
        }
    }
    if let Some(mail) = &settings.mail {
        if let Err(e) =
            passgate_mail::Templates::load(mail.templates_dir.as_deref(), &settings.system_name)
        {
            problems.push(Problem {
                source: "mail.templates_dir",
                message: e.to_string(),
            });
        }
    }
}

/// SQLite: the file exists, or its directory does (it would be created); nothing is
/// created here. PostgreSQL: a connection is made and closed (no migration).
async fn check_database(settings: &Settings, problems: &mut Vec<Problem>) {
    let url = settings.database_url.expose();
    match Backend::of(url) {
        Ok(Backend::Sqlite) => {
            let path = passgate_store::sqlite_file(url);
            let dir_ok = path
                .as_deref()
                .map(|p| {
                    p.parent()
                        .filter(|d| !d.as_os_str().is_empty())
                        .unwrap_or(Path::new("."))
                })
                .is_some_and(Path::is_dir);
            if !path.as_deref().is_some_and(Path::exists) && !dir_ok {
                problems.push(Problem {
                    source: "database_url",
                    message: format!(
                        "{}: neither the file nor its directory exists",
                        settings.database_url
                    ),
                });
            }
        }
        Ok(Backend::Postgres) => {
            if let Err(e) =
                passgate_store::postgres::PgStore::connect(url, &settings.database).await
            {
                problems.push(Problem {
                    source: "database_url",
                    message: e.to_string(),
                });
            }
        }
        Err(e) => problems.push(Problem {
            source: "database_url",
            message: e.to_string(),
        }),
    }
}
