//! Differential tests: the fork against the unmodified upstream crate (zxcvbn 3.1.1).
//!
//! Without l33t symbols both must agree exactly on the number of guesses. With them the fork
//! may find extra l33t readings (see `L33tMatch`), so it may only estimate fewer guesses
//! (never more), and its score may only be lower or equal.

use passgate_zxcvbn::zxcvbn as fork;
use zxcvbn::zxcvbn as upstream;

const L33T_SYMBOLS: &str = "4@8({[<3691!|70$5+%2";

/// Passwords people choose, patterns zxcvbn knows, and strings from password generators.
const CORPUS: &[&str] = &[
    "password",
    "Password123!",
    "P@ssw0rd",
    "p4ssw0rd1",
    "correcthorsebatterystaple",
    "correct horse battery staple jumps",
    "Tr0ub4dour&3",
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn",
    "zxcvbn",
    "aaaaaaaaaaaaaaa",
    "abcabcabcabcabc",
    "abcdefghijklmnop",
    "9876543210",
    "01/02/1987",
    "1987-02-01",
    "19870201",
    "summer2024summer",
    "alicealice2024",
    "m0th3rb0ard",
    "1l0v3y0u",
    "iloveyou",
    "dragon!dragon",
    "$up3rm@n",
    "j3nn!f3r",
    "w1nt3r1sc0m1ng",
    "blue elephant cardboard quietly",
    "MyDogHasFleas",
    "hunter2",
    "trustno1",
    "letmein",
    "Zaphod42Beeblebrox",
    "xkcd936xkcd936",
    "kD8#mQ2!vL9@pW4$",
    "r7Vq-2pLk-9XwZ-4mTn",
    "日本語のパスワードです",
    "пароль12345",
    "Straße-Bäume-Füße",
    "passgate-benchmark.user",
    "benchmark.user2024",
];

fn check(password: &str, inputs: &[&str]) -> (u8, u8) {
    let ours = fork(password, inputs);
    let theirs = upstream(password, inputs);
    if password.chars().any(|c| L33T_SYMBOLS.contains(c)) {
        assert!(
            ours.guesses() <= theirs.guesses(),
            "{password:?}: fork {} > upstream {} guesses",
            ours.guesses(),
            theirs.guesses()
        );
    } else {
        assert_eq!(
            ours.guesses(),
            theirs.guesses(),
            "{password:?}: guesses differ without l33t symbols"
        );
    }
    let (a, b) = (u8::from(ours.score()), u8::from(theirs.score()));
    assert!(a <= b, "{password:?}: fork scores {a} > upstream {b}");
    (a, b)
}

#[test]
fn corpus_agrees_with_upstream() {
    let inputs = ["benchmark.user", "alice", "passgate"];
    let mut differing = 0;
    for password in CORPUS {
        let (a, b) = check(password, &inputs);
        differing += usize::from(a != b);
        check(password, &[]);
    }
    assert!(differing <= 2, "{differing} scores differ from upstream");
}

/// A small deterministic generator (xorshift), so the test needs no extra dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

#[test]
fn generated_passwords_agree_with_upstream() {
    let alphabets: [&[char]; 4] = [
        &['a', 'b', 'c', 'e', 'k', 'm', 'r', 's', 't', 'w', 'x', 'y'],
        &[
            'a', 'e', 'o', 's', 't', 'Q', 'Z', '0', '1', '7', '9', ' ', '-', '#', '!', 'é',
        ],
        &[
            '4', '@', '8', '(', '{', '3', '6', '1', '!', '|', '0', '$', '5', '+', '%', 'a', 'p',
        ],
        &[
            'q', 'w', 'e', 'r', 't', 'y', 'a', 's', 'd', 'f', '1', '2', '3', 'z', 'x', 'c',
        ],
    ];
    let words = [
        "love", "monkey", "dragon", "shadow", "summer", "master", "secret", "sunshine", "alice",
        "2019", "1987", "qwerty", "!", "@", "123",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut differing = 0;
    let total = 400;
    for round in 0..total {
        let password: String = if round % 2 == 0 {
            let alphabet = rng.pick(&alphabets);
            let len = 6 + (rng.next() % 14) as usize;
            (0..len).map(|_| *rng.pick(alphabet)).collect()
        } else {
            (0..2 + rng.next() % 3).map(|_| *rng.pick(&words)).collect()
        };
        let (a, b) = check(&password, &["alice"]);
        differing += usize::from(a != b);
    }
    // Extra l33t readings change a score only occasionally.
    assert!(
        differing * 20 <= total,
        "{differing} of {total} scores differ from upstream"
    );
}

#[test]
fn l33t_symbol_floods_finish() {
    // Upstream needs seconds for these (its l33t matcher enumerates every substitution set);
    // the fork walks them once per start position. The test only checks the results.
    let flood = "4@8({[</369&#!1/|0$5+7%2/".repeat(4);
    let estimate = fork(&flood, &[]);
    assert!(u8::from(estimate.score()) >= 3);
    let ones = "1|!7".repeat(25);
    assert!(u8::from(fork(&ones, &[]).score()) <= 4);
}
