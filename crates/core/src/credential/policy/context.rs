//! Context words: the user's own name, e-mail and the service's name must not carry a password.

/// Words shorter than this are ignored (they would match inside ordinary words).
const MIN_WORD_CHARS: usize = 3;

/// The lower-cased context words for one evaluation: each input whole and split into its
/// alphanumeric parts (`alice.smith` gives `alice.smith`, `alice`, `smith`), longest first.
pub fn words<'a>(inputs: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for input in inputs {
        let lower = input.to_lowercase();
        let parts = lower
            .split(|c: char| !c.is_alphanumeric())
            .map(str::to_owned)
            .collect::<Vec<_>>();
        for w in std::iter::once(lower.clone()).chain(parts) {
            if w.chars().count() >= MIN_WORD_CHARS && !out.contains(&w) {
                out.push(w);
            }
        }
    }
    out.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
    out
}

/// Characters of `password` left once every occurrence of every context word is removed
/// (case-insensitively). Position does not matter: a word at the start, middle or end is
/// removed alike.
pub fn remaining_chars(password: &str, words: &[String]) -> usize {
    let mut rest = password.to_lowercase();
    for w in words {
        if rest.contains(w.as_str()) {
            rest = rest.replace(w.as_str(), "");
        }
    }
    rest.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_orders_words() {
        let w = words(["Alice.Smith", "alice@example.com", "passgate", "al"]);
        assert_eq!(w[0], "alice@example.com");
        assert!(w.contains(&"alice.smith".to_owned()));
        assert!(w.contains(&"smith".to_owned()));
        assert!(w.contains(&"example".to_owned()));
        assert!(!w.contains(&"al".to_owned()));
    }

    #[test]
    fn removal_is_case_insensitive_and_positional_free() {
        let w = words(["alice"]);
        assert_eq!(remaining_chars("ALICEalice123", &w), 3);
        assert_eq!(remaining_chars("123alice", &w), 3);
        assert_eq!(remaining_chars("1alice23", &w), 3);
    }
}
