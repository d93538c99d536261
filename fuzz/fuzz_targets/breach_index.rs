//! The breached-password files: the Pwned Passwords text reader (`import`), then the index
//! reader (`BreachIndex::open` and lookups) on the index it wrote and on corrupted copies.
//!
//! Input: text lines for `import`, then after a NUL byte, corruption commands of 9 bytes
//! each (little-endian u64 offset, one byte to XOR in); an offset past the end truncates.
//! An odd number of bytes after the NUL writes the full-hash layout (which also answers
//! ranges), an even number the compact one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passgate_core::credential::breach::{import_as, BreachIndex, Layout};

fuzz_target!(|data: &[u8]| {
    let (text, commands) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join("breach.idx");
    let layout = if commands.len() % 2 == 1 {
        Layout::Full
    } else {
        Layout::Compact
    };
    if import_as(text, &path, layout).is_err() {
        return;
    }
    let Ok(mut bytes) = std::fs::read(&path) else {
        return;
    };
    for c in commands.chunks_exact(9) {
        let mut off = [0u8; 8];
        off.copy_from_slice(&c[..8]);
        let off = u64::from_le_bytes(off);
        match usize::try_from(off).ok().filter(|o| *o < bytes.len()) {
            Some(o) => bytes[o] ^= c[8],
            None => bytes.truncate(usize::try_from(off % 600_000).unwrap_or(0)),
        }
    }
    if std::fs::write(&path, &bytes).is_err() {
        return;
    }
    let Ok(index) = BreachIndex::open(&path) else {
        return;
    };
    // Look up every hash of the input text, and a few fixed ones, in the (possibly corrupt)
    // index; a lookup may fail but must not panic or loop.
    for line in text.split(|b| *b == b'\n') {
        let mut hash = [0u8; 20];
        for (h, b) in hash.iter_mut().zip(line.iter().cycle().take(20)) {
            *h = *b;
        }
        let _ = index.count_sha1(&hash);
        let prefix = u32::from_be_bytes([0, hash[0], hash[1], hash[2]]) >> 4;
        if let Ok(range) = index.range(prefix) {
            assert!(range.len() as u64 <= index.len());
        }
    }
    let _ = index.count("password");
    let _ = index.count_sha1(&[0xff; 20]);
});
