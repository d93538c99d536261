//! Optional composition rules (SuperOffice-style MinNum/MinLC/MinUC/MinSpec). Off by default:
//! NIST SP 800-63B and ASVS 5 forbid them; sites that must keep them can turn them on.

/// Minimum counts of character classes; 0 disables a rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Composition {
    /// Decimal digits.
    pub min_digits: usize,
    /// Lower-case letters.
    pub min_lowercase: usize,
    /// Upper-case letters.
    pub min_uppercase: usize,
    /// Characters that are neither letters, digits nor white space.
    pub min_special: usize,
}

/// Counts of each class in one password.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Digits.
    pub digits: usize,
    /// Lower-case letters.
    pub lowercase: usize,
    /// Upper-case letters.
    pub uppercase: usize,
    /// Special characters.
    pub special: usize,
}

/// Counts the character classes of `password` (Unicode-aware).
pub fn count(password: &str) -> Counts {
    let mut c = Counts::default();
    for ch in password.chars() {
        if ch.is_numeric() {
            c.digits += 1;
        } else if ch.is_lowercase() {
            c.lowercase += 1;
        } else if ch.is_uppercase() {
            c.uppercase += 1;
        } else if !ch.is_alphabetic() && !ch.is_whitespace() {
            c.special += 1;
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_classes() {
        assert_eq!(
            count("aB3$ é9Ж"),
            Counts {
                digits: 2,
                lowercase: 2,
                uppercase: 2,
                special: 1
            }
        );
    }
}
