//! Generated passwords: OS randomness, shaped to satisfy the configured policy.

use rand::seq::SliceRandom;
use rand::Rng;

use super::PolicyConfig;
use crate::domain::Password;

const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS: &[u8] = b"23456789";
const SPECIAL: &[u8] = b"!#%+-=?@_";

/// A random password from the OS random source: at least 24 characters (about 139 bits from
/// the 56-symbol alphabet without look-alikes), or the minimum length if longer, with the
/// composition rules' minimum counts of each class when those rules are on. The caller still
/// checks it against the whole policy (context words, breach index).
pub fn generate(config: &PolicyConfig) -> Password {
    let mut rng = rand::rngs::OsRng;
    let c = &config.composition;
    let len = config
        .min_chars
        .max(24)
        .max(c.min_digits + c.min_lowercase + c.min_uppercase + c.min_special);
    let mut chars: Vec<u8> = Vec::with_capacity(len);
    for (class, n) in [
        (DIGITS, c.min_digits),
        (LOWER, c.min_lowercase),
        (UPPER, c.min_uppercase),
        (SPECIAL, c.min_special),
    ] {
        chars.extend((0..n).map(|_| class[rng.gen_range(0..class.len())]));
    }
    let mut all: Vec<u8> = [LOWER, UPPER, DIGITS].concat();
    if c.min_special > 0 {
        all.extend_from_slice(SPECIAL);
    }
    while chars.len() < len {
        chars.push(all[rng.gen_range(0..all.len())]);
    }
    chars.shuffle(&mut rng);
    Password::new(chars.into_iter().map(char::from).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::policy::{Composition, PasswordPolicy, PolicySubject};

    #[test]
    fn generated_passwords_satisfy_the_policy() {
        let strict = PolicyConfig {
            min_chars: 30,
            composition: Composition {
                min_digits: 3,
                min_lowercase: 3,
                min_uppercase: 3,
                min_special: 3,
            },
            ..PolicyConfig::default()
        };
        for config in [PolicyConfig::default(), strict] {
            let policy = PasswordPolicy::new(config.clone());
            for _ in 0..50 {
                let p = generate(&config);
                assert!(p.expose().chars().count() >= config.min_chars.max(24));
                assert_eq!(policy.check(&p, &PolicySubject::default()), vec![]);
            }
        }
    }
}
