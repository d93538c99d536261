//! The import file reader (`passgate user import`): bounded lines, JSONL objects and CSV
//! records into rows, and each row's hash through the legacy parsers. Never a panic, never a
//! line held beyond its limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passgate::import_file::{parse_all, ImportFormat};
use passgate_core::credential::legacy::LegacyHash;

fuzz_target!(|data: &[u8]| {
    for format in [ImportFormat::Jsonl, ImportFormat::Csv] {
        let Ok(rows) = parse_all(format, data) else {
            continue;
        };
        for (_, row) in rows {
            if let Ok(row) = row {
                if let Some(hash) = row.password_hash.as_deref() {
                    let _ = LegacyHash::parse_import(
                        hash,
                        row.hash_format.as_deref(),
                        row.salt.as_deref(),
                    );
                }
            }
        }
    }
});
