//! The password policy against a table of accepted and rejected passwords (default settings
//! unless a row says otherwise). Rejections name the rule codes that must be among the
//! failures; acceptances must fail nothing.

use passgate_core::credential::policy::codes::*;
use passgate_core::credential::{PasswordPolicy, PolicyConfig, PolicySubject};
use passgate_core::domain::Password;

/// Expected verdict.
enum V {
    Accept,
    Reject(&'static [&'static str]),
}

struct Row {
    password: String,
    username: &'static str,
    min: usize,
    expect: V,
    why: &'static str,
}

fn row(p: &str, expect: V, why: &'static str) -> Row {
    Row {
        password: p.to_owned(),
        username: "jdoe",
        min: 15,
        expect,
        why,
    }
}

fn table() -> Vec<Row> {
    use V::*;
    let passphrase_200: String = "the quiet harbour kept its lanterns lit while seven \
        copper gulls argued over a loaf of rye bread near the old customs house and nobody \
        minded the tide coming in slowly across the flats of the estuary at dusk yes"
        .to_owned();
    let mut rows = vec![
        row("x7#Kq9!vLm2@Pz", Reject(&[TOO_SHORT]), "14 characters"),
        row("x7#Kq9!vLm2@Pz4", Accept, "15 random characters"),
        row("correct horse battery staple", Accept, "classic passphrase"),
        row(&passphrase_200, Accept, "200-character passphrase"),
        row("Tr0ub4dor&3 lighthouse keeper", Accept, "mixed passphrase"),
        row("vermilion-ostrich-quantum-4417", Accept, "generated style"),
        row(
            "glaciers melt; orchids bloom!",
            Accept,
            "sentence with punctuation",
        ),
        row(
            "日本語のパスワードはとても長いです",
            Accept,
            "Japanese, 17 characters",
        ),
        row("Ünïcödé-mäkes-lïfe-interesting", Accept, "accented Latin"),
        row(
            "ｃｏｒｒｅｃｔ ｈｏｒｓｅ ｂａｔｔｅｒｙ ｓｔａｐｌｅ",
            Accept,
            "full-width form, NFKC folds it",
        ),
        row(
            "ﬁnancial ﬂowers ﬂoat downstream",
            Accept,
            "ligatures, NFKC folds them",
        ),
        row(
            "Password123!",
            Reject(&[TOO_SHORT, COMMON_PASSWORD]),
            "classic",
        ),
        row(
            "Password123!Password123!",
            Reject(&[TOO_WEAK]),
            "repeated common password",
        ),
        row(
            "passwordpassword",
            Reject(&[TOO_WEAK]),
            "doubled common word",
        ),
        row(
            "password12345678",
            Reject(&[COMMON_PASSWORD]),
            "blocklisted word + digits",
        ),
        row(
            "monkey1234567890",
            Reject(&[COMMON_PASSWORD]),
            "blocklisted word + trailing digits",
        ),
        row(
            "sunshine!!!!!!!!",
            Reject(&[COMMON_PASSWORD]),
            "blocklisted word + trailing symbols",
        ),
        row(
            "qwertyuiopasdfghjkl",
            Reject(&[TOO_WEAK]),
            "keyboard row walk",
        ),
        row(
            "1qaz2wsx3edc4rfv5tgb",
            Reject(&[TOO_WEAK]),
            "keyboard column walk",
        ),
        row(
            "qwertyuiopasdfghjklzxcvbnm",
            Reject(&[TOO_WEAK]),
            "three rows in order",
        ),
        row(
            "aaaaaaaaaaaaaaaaaaaa",
            Reject(&[TOO_WEAK]),
            "one character repeated",
        ),
        row(
            "abcdefghijklmnopqrstuvwxyz",
            Reject(&[TOO_WEAK]),
            "alphabet",
        ),
        row("12345678901234567890", Reject(&[TOO_WEAK]), "digit run"),
        row("1111111111111111", Reject(&[TOO_WEAK]), "repeated digit"),
        row(
            "abcabcabcabcabcabc",
            Reject(&[TOO_WEAK]),
            "repeated pattern",
        ),
        row(
            "jdoejdoejdoejdoe",
            Reject(&[CONTEXT_WORD, TOO_WEAK]),
            "username repeated",
        ),
        row(
            "jdoe2024jdoe2024",
            Reject(&[CONTEXT_WORD]),
            "username + year",
        ),
        row("passgate-passgate", Reject(&[CONTEXT_WORD]), "service name"),
        row(
            "iloveyouiloveyou",
            Reject(&[TOO_WEAK]),
            "common phrase doubled",
        ),
        row("", Reject(&[TOO_SHORT]), "empty"),
        row(" ", Reject(&[TOO_SHORT]), "one space"),
        row(&"a".repeat(257), Reject(&[TOO_LONG]), "257 characters"),
        row(
            &"é".repeat(300),
            Reject(&[TOO_LONG]),
            "300 two-byte characters",
        ),
        row(
            "January2024!!!!!",
            Reject(&[COMMON_PASSWORD]),
            "month + year + symbols",
        ),
        row(
            "P@ssw0rdP@ssw0rd",
            Reject(&[TOO_WEAK]),
            "l33t common doubled",
        ),
        row(
            "letmeinletmein12",
            Reject(&[TOO_WEAK]),
            "doubled common + digits",
        ),
    ];
    rows.push(Row {
        password: "alice.smith2024!!".into(),
        username: "alice.smith",
        min: 15,
        expect: V::Reject(&[CONTEXT_WORD]),
        why: "username embedded",
    });
    rows.push(Row {
        password: "Smith-Alice-Smith".into(),
        username: "alice.smith",
        min: 15,
        expect: V::Reject(&[CONTEXT_WORD]),
        why: "username parts reordered",
    });
    rows.push(Row {
        password: "alice.smith watches cormorants dive".into(),
        username: "alice.smith",
        min: 15,
        expect: V::Accept,
        why: "username inside a long passphrase",
    });
    for (p, expect, why) in [
        (
            "iloveyou1",
            V::Reject(&[COMMON_PASSWORD]),
            "min 8: blocklisted + digit",
        ),
        (
            "dragon2024",
            V::Reject(&[COMMON_PASSWORD]),
            "min 8: blocklisted + year",
        ),
        ("Qx7#vL2m9$kT", V::Accept, "min 8: 12 random characters"),
        (
            "Qx7#vL2m",
            V::Reject(&[TOO_WEAK]),
            "min 8: 8 random characters guessable offline",
        ),
        (
            "abc12345",
            V::Reject(&[COMMON_PASSWORD]),
            "min 8: blocklisted",
        ),
    ] {
        rows.push(Row {
            password: p.into(),
            username: "jdoe",
            min: 8,
            expect,
            why,
        });
    }
    rows
}

#[test]
fn table_of_passwords() {
    let rows = table();
    assert!(rows.len() >= 40, "table has {} rows", rows.len());
    let mut wrong = Vec::new();
    for r in &rows {
        let policy = PasswordPolicy::new(PolicyConfig {
            min_chars: r.min,
            ..PolicyConfig::default()
        });
        let subject = PolicySubject {
            username: Some(r.username),
            email: Some("someone@example.org"),
            full_name: Some("Jane Doe"),
        };
        let got = policy.check(&Password::new(r.password.clone()), &subject);
        let codes: Vec<&str> = got.iter().map(|f| f.code).collect();
        let ok = match r.expect {
            V::Accept => codes.is_empty(),
            V::Reject(need) => need.iter().all(|c| codes.contains(c)),
        };
        if !ok {
            wrong.push(format!(
                "{} ({:?}): got {:?}",
                r.why,
                r.password.chars().take(40).collect::<String>(),
                got
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} rows wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn strict_policy() -> PasswordPolicy {
        PasswordPolicy::new(PolicyConfig {
            composition: passgate_core::credential::policy::Composition {
                min_digits: 2,
                min_lowercase: 2,
                min_uppercase: 2,
                min_special: 2,
            },
            ..PolicyConfig::default()
        })
    }

    fn codes(policy: &PasswordPolicy, p: &str, user: &str) -> Vec<&'static str> {
        let subject = PolicySubject {
            username: Some(user),
            ..PolicySubject::default()
        };
        let mut c: Vec<&str> = policy
            .check(&Password::new(p), &subject)
            .iter()
            .map(|f| f.code)
            .collect();
        c.sort_unstable();
        c
    }

    /// Rules that look at the whole password regardless of order.
    fn order_free(c: &[&'static str]) -> Vec<&'static str> {
        c.iter()
            .copied()
            .filter(|c| {
                [
                    TOO_SHORT,
                    TOO_LONG,
                    NEEDS_DIGIT,
                    NEEDS_LOWERCASE,
                    NEEDS_UPPERCASE,
                    NEEDS_SPECIAL,
                ]
                .contains(c)
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn no_input_panics(s in any::<String>()) {
            let _ = strict_policy().check(&Password::new(s), &PolicySubject::default());
        }

        #[test]
        fn no_long_input_panics(s in "\\PC{200,400}") {
            let _ = strict_policy().check(&Password::new(s), &PolicySubject::default());
        }

        #[test]
        fn length_and_composition_ignore_position(s in "[\\p{Latin}\\p{N}\\p{P}\\p{S} ]{0,40}", k in 0usize..40) {
            let p = strict_policy();
            let chars: Vec<char> = Password::new(s.clone()).expose().chars().collect();
            let k = if chars.is_empty() { 0 } else { k % chars.len() };
            let rotated: String = chars[k..].iter().chain(chars[..k].iter()).collect();
            prop_assert_eq!(
                order_free(&codes(&p, &s, "nobody")),
                order_free(&codes(&p, &rotated, "nobody"))
            );
        }

        #[test]
        fn context_word_verdict_ignores_position(at in 0usize..=16, filler in "[a-z0-9#%]{6,16}") {
            let p = PasswordPolicy::new(PolicyConfig::default());
            let at = at.min(filler.len());
            let with_name = format!("{}{}{}", &filler[..at], "margarethe", &filler[at..]);
            let at_start = format!("margarethe{filler}");
            let has = |s: &str| codes(&p, s, "margarethe").contains(&CONTEXT_WORD);
            prop_assert_eq!(has(&with_name), has(&at_start));
        }

        #[test]
        fn normalisation_is_idempotent(s in any::<String>()) {
            let once = Password::new(s);
            let twice = Password::new(once.expose().to_owned());
            prop_assert_eq!(once.expose(), twice.expose());
        }
    }
}
