//! The offline breached-password index: built once from the Pwned Passwords corpus
//! (`SHA1HEX:COUNT` lines sorted by hash), then looked up without loading it into memory.
//!
//! File layout (all integers little-endian):
//!
//! | offset | size | content |
//! |---|---|---|
//! | 0 | 8 | magic `PGBRIDX1` (compact) or `PGBRIDX2` (full hashes) |
//! | 8 | 8 | number of records `n` |
//! | 16 | 8 × 65,537 | fan-out: index of the first record whose hash starts with each 16-bit prefix, then `n` |
//! | 524,312 | 10 × `n` or 22 × `n` | records: bytes 2–7 (compact) or 2–19 (full) of the SHA-1, then the count (u32, saturating) |
//!
//! The full layout keeps whole hashes, which the range API (`GET /range/{prefix}`, answering
//! with every hash suffix under a 5-hex-digit prefix) needs; the compact one is for lookups
//! only.
//!
//! A lookup reads the fan-out bounds from memory (512 KiB, loaded at open) and binary-searches
//! its bucket with positioned reads (`pread`), about 14 reads of 10 bytes for the full
//! billion-entry corpus, all from the page cache once warm. Positioned reads stand in for a
//! memory map because the workspace forbids `unsafe` and mapping a file is unsafe in Rust.
//! Keeping 64 bits of each SHA-1 makes the file 10 bytes per entry (about 10 GB for the full
//! corpus, a quarter of the text); a false match needs a 64-bit collision, about 1 in 2×10^10
//! per lookup at a billion entries.

use std::fs::File;
use std::io::{BufRead, BufWriter, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use sha1::{Digest, Sha1};

const BUCKETS: usize = 1 << 16;
const FANOUT_ENTRIES: usize = BUCKETS + 1;
const HEADER_BYTES: u64 = 16 + 8 * FANOUT_ENTRIES as u64;
/// Most records read for one range: a bucket this large means a corrupt or hostile file
/// (the full billion-entry corpus has about 15,000 per bucket).
const MAX_BUCKET_RECORDS: u64 = 1 << 20;

/// The two record layouts of the index file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// 64 bits of each hash: 10 bytes per entry; lookups only.
    Compact,
    /// Whole hashes: 22 bytes per entry; lookups and ranges.
    Full,
}

impl Layout {
    fn magic(self) -> &'static [u8; 8] {
        match self {
            Layout::Compact => b"PGBRIDX1",
            Layout::Full => b"PGBRIDX2",
        }
    }

    /// Hash bytes stored per record (the first two are the bucket).
    fn key_bytes(self) -> usize {
        match self {
            Layout::Compact => 6,
            Layout::Full => 18,
        }
    }

    fn record_bytes(self) -> usize {
        self.key_bytes() + 4
    }

    /// Hash bytes that identify a record (bucket included).
    fn identity(self) -> usize {
        self.key_bytes() + 2
    }
}

/// Errors building or opening an index. Messages name files and line numbers, never contents.
#[derive(Debug, thiserror::Error)]
pub enum BreachError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A line of the input is not `SHA1HEX:COUNT`.
    #[error("line {line}: expected SHA1HEX:COUNT (40 hex digits, a colon, a count)")]
    BadLine {
        /// 1-based line number.
        line: u64,
    },
    /// The input is not sorted by hash.
    #[error("line {line}: the input is not sorted by hash (sort it, e.g. `LC_ALL=C sort`)")]
    Unsorted {
        /// 1-based line number.
        line: u64,
    },
    /// The file is not an index, or is truncated.
    #[error("{path}: not a passgate breach index, or truncated ({reason})")]
    Corrupt {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong.
        reason: &'static str,
    },
}

/// What an import produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    /// Input lines read (blank lines excluded).
    pub lines: u64,
    /// Records written (lines whose 64-bit keys collide are merged).
    pub records: u64,
    /// Size of the index file in bytes.
    pub bytes: u64,
}

/// Builds an index at `output` from Pwned Passwords lines read from `input`. Streams: memory
/// use is the fan-out table, whatever the input size. The index is written to a temporary file
/// beside `output` and renamed into place, so a server never sees a half-written index.
pub fn import(input: impl BufRead, output: &Path) -> Result<ImportSummary, BreachError> {
    import_as(input, output, Layout::Compact)
}

/// Like [`import`], writing the given record layout.
pub fn import_as(
    input: impl BufRead,
    output: &Path,
    layout: Layout,
) -> Result<ImportSummary, BreachError> {
    let io = |source| BreachError::Io {
        path: output.to_path_buf(),
        source,
    };
    let tmp = temp_path(output);
    let file = File::create(&tmp).map_err(io)?;
    let result = write_index(input, file, &tmp, layout);
    match result {
        Ok(summary) => {
            std::fs::rename(&tmp, output).map_err(io)?;
            Ok(summary)
        }
        Err(e) => {
            // Best effort: the temporary file is useless after a failed import.
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn temp_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    output.with_file_name(name)
}

fn write_index(
    input: impl BufRead,
    file: File,
    path: &Path,
    layout: Layout,
) -> Result<ImportSummary, BreachError> {
    let io = |source| BreachError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut out = BufWriter::with_capacity(1 << 20, file);
    out.write_all(&[0u8; HEADER_BYTES as usize]).map_err(io)?;
    let mut fanout = vec![UNSET; FANOUT_ENTRIES];
    let mut records: u64 = 0;
    let mut lines: u64 = 0;
    let mut line_no: u64 = 0;
    let mut prev_full: Option<[u8; 20]> = None;
    let mut pending: Option<([u8; 20], u32)> = None;
    let mut buf = Vec::with_capacity(64);
    let mut input = input;
    loop {
        buf.clear();
        let n = input.read_until(b'\n', &mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let line = trim_line(&buf);
        if line.is_empty() {
            continue;
        }
        lines += 1;
        let (hash, count) = parse_line(line).ok_or(BreachError::BadLine { line: line_no })?;
        if prev_full.is_some_and(|p| p >= hash) {
            return Err(BreachError::Unsorted { line: line_no });
        }
        prev_full = Some(hash);
        // Hashes that agree on every stored byte are one record (only in the compact layout).
        let id = layout.identity();
        match &mut pending {
            Some((k, c)) if k[..id] == hash[..id] => *c = (*c).max(count),
            _ => {
                if let Some((k, c)) = pending.take() {
                    write_record(&mut out, &mut fanout, records, &k[..id], c).map_err(io)?;
                    records += 1;
                }
                pending = Some((hash, count));
            }
        }
    }
    if let Some((k, c)) = pending.take() {
        write_record(&mut out, &mut fanout, records, &k[..layout.identity()], c).map_err(io)?;
        records += 1;
    }
    // Buckets after the last written prefix (and empty ones) start where the next one does.
    fill_fanout(&mut fanout, records);
    let mut file = out.into_inner().map_err(|e| io(e.into_error()))?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut header = Vec::with_capacity(HEADER_BYTES as usize);
    header.extend_from_slice(layout.magic());
    header.extend_from_slice(&records.to_le_bytes());
    for f in &fanout {
        header.extend_from_slice(&f.to_le_bytes());
    }
    file.write_all(&header).map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok(ImportSummary {
        lines,
        records,
        bytes: HEADER_BYTES + records * layout.record_bytes() as u64,
    })
}

/// Sentinel for "no record seen yet with this prefix"; replaced by [`fill_fanout`].
const UNSET: u64 = u64::MAX;

fn write_record(
    out: &mut impl Write,
    fanout: &mut [u64],
    index: u64,
    key: &[u8],
    count: u32,
) -> std::io::Result<()> {
    let bucket = usize::from(u16::from_be_bytes([key[0], key[1]]));
    if fanout[bucket] == UNSET {
        fanout[bucket] = index;
    }
    out.write_all(&key[2..])?;
    out.write_all(&count.to_le_bytes())
}

fn fill_fanout(fanout: &mut [u64], records: u64) {
    let mut next = records;
    for f in fanout.iter_mut().rev() {
        if *f == UNSET {
            *f = next;
        } else {
            next = *f;
        }
    }
}

fn trim_line(buf: &[u8]) -> &[u8] {
    let mut end = buf.len();
    while end > 0 && matches!(buf[end - 1], b'\n' | b'\r' | b' ' | b'\t') {
        end -= 1;
    }
    let mut start = 0;
    // A UTF-8 byte-order mark at the start of the file.
    if buf[..end].starts_with(&[0xEF, 0xBB, 0xBF]) {
        start = 3;
    }
    &buf[start..end]
}

/// Parses `SHA1HEX:COUNT` (hex in either case; a missing count means 1).
fn parse_line(line: &[u8]) -> Option<([u8; 20], u32)> {
    let (hex, count) = match line.iter().position(|b| *b == b':') {
        Some(i) => (&line[..i], Some(&line[i + 1..])),
        None => (line, None),
    };
    if hex.len() != 40 {
        return None;
    }
    let mut hash = [0u8; 20];
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        hash[i] = (hex_digit(pair[0])? << 4) | hex_digit(pair[1])?;
    }
    let count = match count {
        None => 1,
        Some(c) => {
            let s = std::str::from_utf8(c).ok()?;
            let n: u64 = s.trim().parse().ok()?;
            u32::try_from(n).unwrap_or(u32::MAX)
        }
    };
    Some((hash, count))
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// An open index. Lookups take `&self` and may run on many threads at once.
pub struct BreachIndex {
    file: File,
    path: PathBuf,
    layout: Layout,
    records: u64,
    fanout: Box<[u64]>,
}

impl std::fmt::Debug for BreachIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BreachIndex")
            .field("path", &self.path)
            .field("records", &self.records)
            .finish()
    }
}

impl BreachIndex {
    /// Opens and checks an index built by [`import`].
    pub fn open(path: &Path) -> Result<Self, BreachError> {
        let io = |source| BreachError::Io {
            path: path.to_path_buf(),
            source,
        };
        let corrupt = |reason| BreachError::Corrupt {
            path: path.to_path_buf(),
            reason,
        };
        let file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len < HEADER_BYTES {
            return Err(corrupt("shorter than the header"));
        }
        let mut header = vec![0u8; HEADER_BYTES as usize];
        file.read_exact_at(&mut header, 0).map_err(io)?;
        let layout = if &header[..8] == Layout::Compact.magic() {
            Layout::Compact
        } else if &header[..8] == Layout::Full.magic() {
            Layout::Full
        } else {
            return Err(corrupt("bad magic"));
        };
        let records = le_u64(&header[8..16]);
        let expected = records
            .checked_mul(layout.record_bytes() as u64)
            .and_then(|b| b.checked_add(HEADER_BYTES));
        if expected != Some(len) {
            return Err(corrupt("size does not match the record count"));
        }
        let fanout: Box<[u64]> = header[16..].chunks_exact(8).map(le_u64).collect();
        let ordered = fanout.windows(2).all(|w| w[0] <= w[1]);
        if !ordered || fanout.last() != Some(&records) {
            return Err(corrupt("fan-out table out of order"));
        }
        Ok(BreachIndex {
            file,
            path: path.to_path_buf(),
            layout,
            records,
            fanout,
        })
    }

    /// The record layout (only [`Layout::Full`] can answer ranges).
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Every hash whose first 20 bits are `prefix` (a value below 2^20, the first five hex
    /// digits), with its count, in hash order. One positioned read of the 16-bit bucket,
    /// bounded by `MAX_BUCKET_RECORDS`. Needs the full layout.
    pub fn range(&self, prefix: u32) -> Result<Vec<([u8; 20], u32)>, BreachError> {
        let corrupt = |reason| BreachError::Corrupt {
            path: self.path.clone(),
            reason,
        };
        if self.layout != Layout::Full {
            return Err(corrupt(
                "built without full hashes (passgate breach import --full-hashes)",
            ));
        }
        let prefix = prefix & 0xF_FFFF;
        let bucket = (prefix >> 4) as usize;
        let nibble = (prefix & 0xF) as u8;
        let (lo, hi) = (self.fanout[bucket], self.fanout[bucket + 1]);
        if hi - lo > MAX_BUCKET_RECORDS {
            return Err(corrupt("a bucket is implausibly large"));
        }
        let rb = self.layout.record_bytes();
        let mut buf = vec![0u8; (hi - lo) as usize * rb];
        self.file
            .read_exact_at(&mut buf, HEADER_BYTES + lo * rb as u64)
            .map_err(|source| BreachError::Io {
                path: self.path.clone(),
                source,
            })?;
        let [b0, b1] = (bucket as u16).to_be_bytes();
        Ok(buf
            .chunks_exact(rb)
            .filter(|rec| rec[0] >> 4 == nibble)
            .map(|rec| {
                let mut hash = [0u8; 20];
                hash[0] = b0;
                hash[1] = b1;
                hash[2..].copy_from_slice(&rec[..18]);
                let c = [rec[18], rec[19], rec[20], rec[21]];
                (hash, u32::from_le_bytes(c))
            })
            .collect())
    }

    /// Number of records.
    pub fn len(&self) -> u64 {
        self.records
    }

    /// True when the index holds no record.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// How often `password` (exactly as given; callers pass the NFKC form) appears in the
    /// corpus, or None when it is absent.
    pub fn count(&self, password: &str) -> Result<Option<u32>, BreachError> {
        let digest = Sha1::digest(password.as_bytes());
        let mut hash = [0u8; 20];
        hash.copy_from_slice(&digest);
        self.count_sha1(&hash)
    }

    /// Like [`BreachIndex::count`] for an already computed SHA-1.
    pub fn count_sha1(&self, hash: &[u8; 20]) -> Result<Option<u32>, BreachError> {
        let bucket = usize::from(u16::from_be_bytes([hash[0], hash[1]]));
        let (mut lo, mut hi) = (self.fanout[bucket], self.fanout[bucket + 1]);
        let kb = self.layout.key_bytes();
        let rb = self.layout.record_bytes();
        let want = &hash[2..2 + kb];
        let mut record = [0u8; 22];
        let rec = &mut record[..rb];
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            self.file
                .read_exact_at(rec, HEADER_BYTES + mid * rb as u64)
                .map_err(|source| BreachError::Io {
                    path: self.path.clone(),
                    source,
                })?;
            match rec[..kb].cmp(want) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    let c = [rec[kb], rec[kb + 1], rec[kb + 2], rec[kb + 3]];
                    return Ok(Some(u32::from_le_bytes(c)));
                }
            }
        }
        Ok(None)
    }
}

fn le_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

/// The SHA-1 of `password` as upper-case hex, the Pwned Passwords line format (for tools and
/// tests that generate corpora).
pub fn sha1_hex(password: &str) -> String {
    Sha1::digest(password.as_bytes())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn corpus(passwords: &[&str]) -> String {
        let mut lines: Vec<String> = passwords
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{}:{}", sha1_hex(p), i + 1))
            .collect();
        lines.sort();
        lines.join("\r\n")
    }

    fn build(text: &str) -> Result<(tempfile::TempDir, BreachIndex), BreachError> {
        let dir = tempfile::tempdir().map_err(|source| BreachError::Io {
            path: PathBuf::from("tempdir"),
            source,
        })?;
        let path = dir.path().join("pwned.idx");
        import(text.as_bytes(), &path)?;
        let idx = BreachIndex::open(&path)?;
        Ok((dir, idx))
    }

    #[test]
    fn finds_present_and_misses_absent() -> Result<(), BreachError> {
        let pw: Vec<String> = (0..5000).map(|i| format!("breached-{i}")).collect();
        let refs: Vec<&str> = pw.iter().map(String::as_str).collect();
        let (_dir, idx) = build(&corpus(&refs))?;
        assert_eq!(idx.len(), 5000);
        for p in &refs {
            assert!(idx.count(p)?.is_some(), "missing {p}");
        }
        for i in 0..5000 {
            assert_eq!(idx.count(&format!("not-breached-{i}"))?, None);
        }
        Ok(())
    }

    #[test]
    fn empty_corpus_is_a_valid_index() -> Result<(), BreachError> {
        let (_dir, idx) = build("")?;
        assert!(idx.is_empty());
        assert_eq!(idx.count("anything")?, None);
        Ok(())
    }

    #[test]
    fn refuses_unsorted_and_malformed_input() {
        let a = format!("{}:1", sha1_hex("a"));
        let b = format!("{}:1", sha1_hex("b"));
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        assert!(matches!(
            build(&format!("{hi}\n{lo}\n")),
            Err(BreachError::Unsorted { line: 2 })
        ));
        assert!(matches!(
            build("NOTHEX:3\n"),
            Err(BreachError::BadLine { line: 1 })
        ));
        assert!(matches!(
            build(&format!("{lo}\n{lo}\n")),
            Err(BreachError::Unsorted { line: 2 })
        ));
    }

    #[test]
    fn counts_are_kept_and_lowercase_hex_accepted() -> Result<(), BreachError> {
        let line = format!("{}:42", sha1_hex("hunter2").to_lowercase());
        let (_dir, idx) = build(&line)?;
        assert_eq!(idx.count("hunter2")?, Some(42));
        Ok(())
    }

    #[test]
    fn full_hashes_answer_ranges_exactly() -> Result<(), Box<dyn std::error::Error>> {
        let pw: Vec<String> = (0..3000).map(|i| format!("range-{i}")).collect();
        let refs: Vec<&str> = pw.iter().map(String::as_str).collect();
        let text = corpus(&refs);
        let dir = tempfile::tempdir()?;
        let full = dir.path().join("full.idx");
        let summary = import_as(text.as_bytes(), &full, Layout::Full)?;
        assert_eq!(summary.bytes, HEADER_BYTES + 3000 * 22);
        let idx = BreachIndex::open(&full)?;
        assert_eq!(idx.layout(), Layout::Full);
        for (i, p) in refs.iter().enumerate() {
            assert_eq!(idx.count(p)?, Some(u32::try_from(i + 1)?));
        }
        // Every line of the corpus is in the range of its first five hex digits, and a range
        // holds nothing else.
        let mut seen = 0;
        for line in text.lines() {
            let hex = &line[..40];
            let prefix = u32::from_str_radix(&hex[..5], 16)?;
            let range = idx.range(prefix)?;
            let hexes: Vec<String> = range
                .iter()
                .map(|(h, _)| h.iter().map(|b| format!("{b:02X}")).collect())
                .collect();
            assert!(hexes.iter().any(|h| h == hex), "{hex} not in its range");
            assert!(hexes.iter().all(|h| h.starts_with(&hex[..5])));
            seen += 1;
        }
        assert_eq!(seen, 3000);
        // The compact layout cannot answer ranges.
        let compact = dir.path().join("compact.idx");
        import(text.as_bytes(), &compact)?;
        let idx = BreachIndex::open(&compact)?;
        assert!(matches!(idx.range(0), Err(BreachError::Corrupt { .. })));
        Ok(())
    }

    #[test]
    fn open_rejects_garbage() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("junk");
        std::fs::write(&path, b"not an index")?;
        assert!(matches!(
            BreachIndex::open(&path),
            Err(BreachError::Corrupt { .. })
        ));
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        #[test]
        fn parse_line_never_panics(s in any::<Vec<u8>>()) {
            let _ = parse_line(&s);
        }

        #[test]
        fn every_imported_hash_is_found(mut keys in proptest::collection::vec(any::<[u8; 20]>(), 0..300)) {
            keys.sort();
            keys.dedup();
            let text: String = keys
                .iter()
                .map(|k| k.iter().map(|b| format!("{b:02X}")).collect::<String>() + ":7\n")
                .collect();
            let (_dir, idx) = build(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            for k in &keys {
                prop_assert_eq!(idx.count_sha1(k).map_err(|e| TestCaseError::fail(e.to_string()))?, Some(7));
            }
        }
    }
}
