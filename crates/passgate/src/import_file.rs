//! Reading an import file (`passgate user import`): bounded lines, then one user per line as
//! JSONL (one JSON object per line) or CSV (a header row naming the columns, then one record
//! per line). Field names are those of `user list --json`. Nothing here touches the
//! database; the fuzz target `import_file` drives it directly.

use std::io::{self, BufRead, Read};

use passgate_core::service::ImportRow;
use serde::Deserialize;

/// Longest line accepted, in bytes (a line over it is refused whole, the next one read).
pub const MAX_LINE: usize = 8192;

/// Most columns a CSV header may have.
pub const MAX_COLUMNS: usize = 32;

/// The layout of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    /// A header row, then one comma-separated record per line (quoted fields may not span
    /// lines).
    Csv,
    /// One JSON object per line.
    Jsonl,
}

impl ImportFormat {
    /// The format a file name suggests (`.csv`; `.jsonl`, `.ndjson`, `.json`).
    pub fn from_path(path: &std::path::Path) -> Option<ImportFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(ImportFormat::Csv),
            "jsonl" | "ndjson" | "json" => Some(ImportFormat::Jsonl),
            _ => None,
        }
    }
}

/// One line as read.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// The line's bytes without its end (`\n` or `\r\n`), with its number (from 1).
    Text(u64, &'a [u8]),
    /// A line longer than [`MAX_LINE`] (its rest was skipped unread into memory).
    TooLong(u64),
}

/// Reads lines of at most [`MAX_LINE`] bytes, never holding more than that in memory.
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    line_no: u64,
    bytes_read: u64,
}

impl<R: BufRead> LineReader<R> {
    /// A reader over `inner`.
    pub fn new(inner: R) -> Self {
        LineReader {
            inner,
            buf: Vec::with_capacity(1024),
            line_no: 0,
            bytes_read: 0,
        }
    }

    /// Bytes consumed so far (for progress).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// The next line, or None at the end.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.buf.clear();
        let limit = u64::try_from(MAX_LINE).unwrap_or(u64::MAX) + 1;
        let n = Read::take(&mut self.inner, limit).read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(None);
        }
        self.bytes_read += u64::try_from(n).unwrap_or(0);
        self.line_no += 1;
        if self.buf.last() != Some(&b'\n') && self.buf.len() > MAX_LINE {
            // Skip the rest of the line in bounded chunks.
            loop {
                let available = self.inner.fill_buf()?;
                if available.is_empty() {
                    break;
                }
                match available.iter().position(|&b| b == b'\n') {
                    Some(at) => {
                        self.inner.consume(at + 1);
                        self.bytes_read += u64::try_from(at + 1).unwrap_or(0);
                        break;
                    }
                    None => {
                        let len = available.len();
                        self.inner.consume(len);
                        self.bytes_read += u64::try_from(len).unwrap_or(0);
                    }
                }
            }
            return Ok(Some(Line::TooLong(self.line_no)));
        }
        let mut line: &[u8] = &self.buf;
        if let Some(rest) = line.strip_suffix(b"\n") {
            line = rest;
        }
        if let Some(rest) = line.strip_suffix(b"\r") {
            line = rest;
        }
        if line.len() > MAX_LINE {
            return Ok(Some(Line::TooLong(self.line_no)));
        }
        Ok(Some(Line::Text(self.line_no, line)))
    }
}

/// A file-level problem: the header is unusable, so no line can be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HeaderError(pub String);

/// The columns an import file may have; the other fields of `user list --json` are accepted
/// and ignored, so its output (with hashes added) can be imported elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Username,
    Email,
    FullName,
    Role,
    PasswordHash,
    HashFormat,
    Salt,
    PasswordChangedAt,
    Ignored,
}

fn column(name: &str) -> Option<Column> {
    Some(match name {
        "username" => Column::Username,
        "email" => Column::Email,
        "fullName" => Column::FullName,
        "role" => Column::Role,
        "passwordHash" => Column::PasswordHash,
        "hashFormat" => Column::HashFormat,
        "salt" => Column::Salt,
        "passwordChangedAt" => Column::PasswordChangedAt,
        "userId" | "associateId" | "lockedUntil" | "mustChangePassword" | "passwordFormat"
        | "createdAt" => Column::Ignored,
        _ => return None,
    })
}

/// A JSONL line.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonRow {
    username: Option<String>,
    email: Option<String>,
    full_name: Option<String>,
    role: Option<String>,
    password_hash: Option<String>,
    hash_format: Option<String>,
    salt: Option<String>,
    password_changed_at: Option<String>,
}

/// Turns lines into rows.
pub struct RowParser {
    format: ImportFormat,
    header: Option<Vec<Column>>,
    record: csv::ByteRecord,
}

impl RowParser {
    /// A parser for `format`.
    pub fn new(format: ImportFormat) -> Self {
        RowParser {
            format,
            header: None,
            record: csv::ByteRecord::new(),
        }
    }

    /// Parses one line: `Ok(None)` for a blank line or the CSV header, `Ok(Some(row))` for
    /// a user, `Err` (a message without any field's value) for a line to refuse. A CSV
    /// header that cannot be used is a [`HeaderError`] in the outer result.
    pub fn parse(&mut self, line: &[u8]) -> Result<Result<Option<ImportRow>, String>, HeaderError> {
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(Ok(None));
        }
        match self.format {
            ImportFormat::Jsonl => Ok(parse_json(line).map(Some)),
            ImportFormat::Csv => match &self.header {
                None => {
                    self.header = Some(parse_header(line)?);
                    Ok(Ok(None))
                }
                Some(_) => Ok(self.parse_csv(line).map(Some)),
            },
        }
    }

    fn parse_csv(&mut self, line: &[u8]) -> Result<ImportRow, String> {
        let header = self.header.as_deref().unwrap_or_default();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(line);
        match reader.read_byte_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => return Err("empty record".into()),
            Err(_) => return Err("not a valid CSV record".into()),
        }
        if self.record.len() != header.len() {
            return Err(format!(
                "{} fields where the header has {}",
                self.record.len(),
                header.len()
            ));
        }
        let mut row = ImportRow::default();
        for (col, value) in header.iter().zip(self.record.iter()) {
            let text = std::str::from_utf8(value).map_err(|_| "a field is not UTF-8")?;
            let text = (!text.is_empty()).then(|| text.to_owned());
            match col {
                Column::Username => row.username = text,
                Column::Email => row.email = text,
                Column::FullName => row.full_name = text,
                Column::Role => row.role = text,
                Column::PasswordHash => row.password_hash = text,
                Column::HashFormat => row.hash_format = text,
                Column::Salt => row.salt = text,
                Column::PasswordChangedAt => row.password_changed_at = text,
                Column::Ignored => {}
            }
        }
        Ok(row)
    }
}

fn parse_header(line: &[u8]) -> Result<Vec<Column>, HeaderError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line);
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => {}
        _ => return Err(HeaderError("line 1 is not a CSV header row".into())),
    }
    if record.len() > MAX_COLUMNS {
        return Err(HeaderError(format!(
            "the header has more than {MAX_COLUMNS} columns"
        )));
    }
    let mut columns = Vec::with_capacity(record.len());
    for name in record.iter() {
        let name = name.trim().trim_start_matches('\u{feff}');
        let c = column(name).ok_or_else(|| {
            HeaderError(format!(
                "unknown column {:?} in the header (see docs/migration.md)",
                name.chars().take(40).collect::<String>()
            ))
        })?;
        if c != Column::Ignored && columns.contains(&c) {
            return Err(HeaderError(format!("column {name:?} appears twice")));
        }
        columns.push(c);
    }
    if !columns.contains(&Column::Username) {
        return Err(HeaderError("the header has no username column".into()));
    }
    Ok(columns)
}

fn parse_json(line: &[u8]) -> Result<ImportRow, String> {
    // serde_json's messages can quote a value; only the position and kind are kept.
    let r: JsonRow = serde_json::from_slice(line).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                "not valid JSON"
            }
            _ => "not a JSON object with string fields",
        };
        format!("{what} (column {})", e.column())
    })?;
    Ok(ImportRow {
        username: r.username,
        email: r.email,
        full_name: r.full_name,
        role: r.role,
        password_hash: r.password_hash,
        hash_format: r.hash_format,
        salt: r.salt,
        password_changed_at: r.password_changed_at,
    })
}

/// A line number with the row read from it, or why the line was refused.
pub type NumberedRow = (u64, Result<ImportRow, String>);

/// Every row of `data` with its line number, or the line's error: for tests and fuzzing.
pub fn parse_all(format: ImportFormat, data: &[u8]) -> Result<Vec<NumberedRow>, HeaderError> {
    let mut lines = LineReader::new(data);
    let mut parser = RowParser::new(format);
    let mut out = Vec::new();
    while let Some(line) = lines.next_line().map_err(|e| HeaderError(e.to_string()))? {
        match line {
            Line::TooLong(n) => out.push((n, Err(too_long()))),
            Line::Text(n, text) => match parser.parse(text)? {
                Ok(None) => {}
                Ok(Some(row)) => out.push((n, Ok(row))),
                Err(e) => out.push((n, Err(e))),
            },
        }
    }
    Ok(out)
}

/// The message for a line over [`MAX_LINE`].
pub fn too_long() -> String {
    format!("line longer than {MAX_LINE} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_rows_and_errors_by_line() -> Result<(), HeaderError> {
        let data = b"{\"username\":\"ann\",\"passwordHash\":\"$2b$04$x\"}\n\n{\"username\": 5}\nnot json\r\n{\"username\":\"bob\",\"userId\":\"u\",\"associateId\":3}";
        let rows = parse_all(ImportFormat::Jsonl, data)?;
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].0, 1);
        assert!(matches!(&rows[0].1, Ok(r) if r.username.as_deref() == Some("ann")));
        assert_eq!(rows[1].0, 3);
        assert!(matches!(&rows[1].1, Err(e) if e.starts_with("not a JSON object")));
        assert!(matches!(&rows[2].1, Err(e) if e.starts_with("not valid JSON")));
        assert!(matches!(&rows[3].1, Ok(r) if r.username.as_deref() == Some("bob")));
        Ok(())
    }

    #[test]
    fn csv_header_and_records() -> Result<(), HeaderError> {
        let data = b"username,email,passwordHash,hashFormat,salt\nann,ann@example.com,abc=,servicestack-saltedhash,c2FsdA==\nbob,,,,\n\"quoted, name\",x\nx,y,z\n";
        let rows = parse_all(ImportFormat::Csv, data)?;
        assert_eq!(rows.len(), 4);
        assert!(
            matches!(&rows[0].1, Ok(r) if r.salt.as_deref() == Some("c2FsdA==") && r.email.is_some())
        );
        assert!(matches!(&rows[1].1, Ok(r) if r.email.is_none() && r.password_hash.is_none()));
        assert!(matches!(&rows[2].1, Err(e) if e.contains("2 fields")));
        assert_eq!(rows[3].0, 5);
        Ok(())
    }

    #[test]
    fn bad_headers_refuse_the_file() {
        assert!(parse_all(ImportFormat::Csv, b"name,email\n").is_err());
        assert!(parse_all(ImportFormat::Csv, b"username,username\n").is_err());
        assert!(parse_all(ImportFormat::Csv, b"email\n").is_err());
        let wide = vec!["userId"; MAX_COLUMNS + 1].join(",");
        assert!(parse_all(ImportFormat::Csv, format!("username,{wide}\n").as_bytes()).is_err());
    }

    #[test]
    fn long_lines_are_refused_and_skipped() -> Result<(), HeaderError> {
        let mut data = vec![b'x'; MAX_LINE * 3];
        data.extend_from_slice(b"\n{\"username\":\"ann\"}\n");
        let rows = parse_all(ImportFormat::Jsonl, &data)?;
        assert_eq!(rows.len(), 2);
        assert!(matches!(&rows[0], (1, Err(e)) if *e == too_long()));
        assert!(matches!(&rows[1], (2, Ok(_))));
        Ok(())
    }
}
