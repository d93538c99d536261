//! Strength estimate: zxcvbn (Dropbox's guess-counting estimator), fed with context words.

/// zxcvbn's matching is super-linear in the input length; past this many characters a
/// password's strength is judged on its first `MAX_SCORED_CHARS` only, which bounds the cost
/// of a 256-character input. A prefix this long that scores weak makes the whole weak
/// (repeats and sequences), and one that scores strong is already beyond guessing.
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
    let entropy = zxcvbn::zxcvbn(scored, &inputs);
    Strength {
        score: u8::from(entropy.score()),
        warning: entropy
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| w.to_string()),
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
    }

    #[test]
    fn long_input_is_bounded() {
        let s = "x".repeat(10_000);
        assert!(estimate(&s, &[]).score <= 2);
    }
}
