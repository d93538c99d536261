//! Strength estimate: zxcvbn (Dropbox's guess-counting estimator), fed with context words.
//!
//! passgate uses its own fork of zxcvbn-rs (`vendor/zxcvbn`, crate `passgate-zxcvbn`): the same
//! dictionaries, guess estimates and scoring, with dictionary and l33t matching rewritten as
//! trie walks, because upstream's l33t matcher is exponential in the number of l33t symbols
//! (seconds for a crafted input) and a server scores untrusted input.

/// zxcvbn's search over match sequences is quadratic in the input length; past this many
/// characters a password's strength is judged on its first `MAX_SCORED_CHARS` only, which
/// bounds the cost of long input (about 0.2 ms for 64 characters in the fork, whatever they
/// are). Upstream zxcvbn itself stops at 100. The truncation can only make a verdict stricter:
/// a prefix that scores strong is already beyond guessing, and the rest only adds to it.
pub const MAX_SCORED_CHARS: usize = 64;

/// A zxcvbn verdict: score 0–4 and the estimator's warning, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strength {
    /// 0 (too guessable) to 4 (very unguessable).
    pub score: u8,
    /// zxcvbn's explanation ("This is a top-10 common password."), safe to show.
    pub warning: Option<String>,
}

/// Estimates the strength of `password` given the context words the user is known by.
pub fn estimate(password: &str, context: &[String]) -> Strength {
    let scored: &str = match password.char_indices().nth(MAX_SCORED_CHARS) {
        Some((cut, _)) => &password[..cut],
        None => password,
    };
    let inputs: Vec<&str> = context.iter().map(String::as_str).collect();
    let entropy = passgate_zxcvbn::zxcvbn(scored, &inputs);
    // zxcvbn prices a long keyboard walk (`qwertyuiopasdfghjklzxcvbnm`) by its turns and
    // length and may rate it strong; guessing tools enumerate walks, repeats and runs first,
    // so a password made of nothing else is weak however long it is.
    if !entropy.sequence().is_empty() && entropy.sequence().iter().all(is_mechanical) {
        return Strength {
            score: u8::from(entropy.score()).min(1),
            warning: Some(
                "Keyboard patterns, repeated characters and sequences are easy to guess.".into(),
            ),
        };
    }
    Strength {
        score: u8::from(entropy.score()),
        warning: entropy
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| w.to_string()),
    }
}

/// Builds the estimator's dictionaries (a trie over about 94,000 words, tens of milliseconds)
/// so that the first request does not pay for it.
pub fn warm_up() {
    std::hint::black_box(estimate("warm-up", &[]));
}

/// Rank below which an entry of zxcvbn's common-password dictionary counts as mechanical.
const COMMON_FRAGMENT_RANK: usize = 10_000;

/// Keyboard walks, repeats, character runs and very common passwords (which zxcvbn finds for
/// walks such as `qwertyuiop` or `1qaz2wsx`): fragments a guessing tool chains first.
fn is_mechanical(m: &passgate_zxcvbn::Match) -> bool {
    use passgate_zxcvbn::matching::patterns::MatchPattern;
    match &m.pattern {
        MatchPattern::Spatial(_) | MatchPattern::Repeat(_) | MatchPattern::Sequence(_) => true,
        MatchPattern::Dictionary(d) => {
            d.dictionary_name == passgate_zxcvbn::DictionaryType::Passwords
                && d.rank <= COMMON_FRAGMENT_RANK
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_and_strong() {
        assert!(estimate("password", &[]).score <= 1);
        assert!(estimate("correct horse battery staple jumps", &[]).score >= 3);
        let ctx = vec!["alice".to_owned()];
        assert!(estimate("alicealice2024", &ctx).score < 3);
        assert!(estimate("qwertyuiopasdfghjklzxcvbnm", &[]).score <= 1);
        assert!(estimate("1qaz2wsx3edc4rfv5tgb6yhn", &[]).score <= 1);
    }

    #[test]
    fn long_input_is_bounded() {
        let s = "x".repeat(10_000);
        assert!(estimate(&s, &[]).score <= 2);
    }

    /// Found by the `password_strength` fuzz target: a shifted keyboard walk with many turns
    /// overflowed the fork's guess arithmetic (a panic in debug builds, a wrapped, too-low
    /// count in release). The arithmetic now saturates and the password gets a verdict.
    #[test]
    fn long_shifted_keyboard_walk_gets_a_verdict() {
        let verdict = estimate("%$%4q%$%$$p4p%$%$p4p%$%4p%$%$p4p%$%$p4p%$%", &[]);
        assert!(verdict.score <= 4, "{verdict:?}");
    }
}
