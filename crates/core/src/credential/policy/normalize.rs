//! Unicode normalisation of passwords (NFKC), applied once when a password enters the core.
//!
//! NIST SP 800-63B asks verifiers to normalise before hashing so that the same password typed
//! on different keyboards (full-width forms, ligatures, composed or decomposed accents) is the
//! same password. NFKC is the compatibility form: `ｐａｓｓ` → `pass`, `ﬁ` → `fi`.

use std::borrow::Cow;

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// The NFKC form of `s`, borrowed when `s` already is in NFKC (the common, ASCII case).
pub fn nfkc(s: &str) -> Cow<'_, str> {
    if is_nfkc_quick(s.chars()) == IsNormalized::Yes {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.nfkc().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn compatibility_forms_fold() {
        assert_eq!(nfkc("ｃｏｒｒｅｃｔ"), "correct");
        assert_eq!(nfkc("ﬁne"), "fine");
        assert_eq!(nfkc("e\u{301}"), "\u{e9}");
        assert!(matches!(nfkc("plain ascii"), Cow::Borrowed(_)));
    }

    proptest! {
        #[test]
        fn idempotent(s in "\\PC{0,64}") {
            let once = nfkc(&s).into_owned();
            prop_assert_eq!(nfkc(&once).into_owned(), once);
        }

        #[test]
        fn idempotent_on_any_string(s in any::<String>()) {
            let once = nfkc(&s).into_owned();
            prop_assert_eq!(nfkc(&once).into_owned(), once);
        }
    }
}
