//! Times the fork against upstream zxcvbn 3.1.1 on random passwords of several lengths and on
//! crafted inputs: `cargo run --release -p passgate-zxcvbn --example vs_upstream`.
//!
//! Each figure is the median (and the 99th percentile) over 200 inputs × 3 rounds, in
//! microseconds; upstream is only timed where it finishes in reasonable time.

use std::time::Instant;

/// (p50, p99) of `f` over every input, three rounds, in microseconds.
fn time(f: impl Fn(&str) -> u64, inputs: &[String]) -> (f64, f64) {
    let mut samples = Vec::new();
    for _ in 0..3 {
        for p in inputs {
            let t = Instant::now();
            std::hint::black_box(f(p));
            samples.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    samples.sort_by(f64::total_cmp);
    (
        samples[samples.len() / 2],
        samples[samples.len() * 99 / 100],
    )
}

fn main() {
    let alphabet: Vec<char> = "abcdefghkmnprstwxyABQZ0179 -#!éß日ж".chars().collect();
    let mut state: u64 = 7;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let context = ["benchmark.user", "bench mark", "passgate"];
    println!("random inputs      fork p50    p99 µs   upstream p50    p99 µs");
    for len in [15usize, 24, 32, 64, 100] {
        let inputs: Vec<String> = (0..200)
            .map(|_| {
                (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect()
            })
            .collect();
        let (f50, f99) = time(|p| passgate_zxcvbn::zxcvbn(p, &context).guesses(), &inputs);
        print!("{len:>4} characters {f50:>12.1} {f99:>9.1}");
        if len <= 32 {
            let (u50, u99) = time(|p| zxcvbn::zxcvbn(p, &context).guesses(), &inputs);
            println!(" {u50:>14.1} {u99:>9.1}");
        } else {
            println!("        (not timed)");
        }
    }
    println!("crafted inputs (one run each)        fork µs   upstream µs");
    let flood = "4@8({[</369&#!1/|0$5+7%2/";
    for (name, len, upstream_too) in [("l33t symbols", 24, true), ("l33t symbols", 64, false)] {
        let input: String = flood.chars().cycle().take(len).collect();
        let t = Instant::now();
        std::hint::black_box(passgate_zxcvbn::zxcvbn(&input, &[]));
        let ours = t.elapsed().as_secs_f64() * 1e6;
        print!("{name:>12}, {len:>3} characters {ours:>17.1}");
        if upstream_too {
            let t = Instant::now();
            std::hint::black_box(zxcvbn::zxcvbn(&input, &[]));
            println!(" {:>13.1}", t.elapsed().as_secs_f64() * 1e6);
        } else {
            println!("   (not timed)");
        }
    }
}
