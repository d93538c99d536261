use std::time::Instant;
fn time(f: impl Fn(&str) -> u64, inputs: &[String]) -> (f64, f64) {
    let mut v = Vec::new();
    for _ in 0..3 {
        for p in inputs {
            let t = Instant::now();
            std::hint::black_box(f(p));
            v.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (v[v.len() / 2], v[v.len() * 99 / 100])
}
fn main() {
    let alphabet: Vec<char> = "abcdefghkmnprstwxyABQZ0179 -#!éß日ж".chars().collect();
    let mut x: u64 = 7;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for len in [15usize, 24, 32, 48, 64, 100] {
        let inputs: Vec<String> = (0..200)
            .map(|_| {
                (0..len)
                    .map(|_| alphabet[(rnd() % alphabet.len() as u64) as usize])
                    .collect()
            })
            .collect();
        let ctx = ["benchmark.user", "benchmark", "bench mark", "passgate"];
        let (f50, f99) = time(|p| passgate_zxcvbn::zxcvbn(p, &ctx).guesses(), &inputs);
        let (u50, u99) = if len <= 32 {
            time(|p| zxcvbn::zxcvbn(p, &ctx).guesses(), &inputs)
        } else {
            (0.0, 0.0)
        };
        println!("len {len:3}: fork p50 {f50:8.1} p99 {f99:8.1} µs | upstream p50 {u50:8.1} p99 {u99:8.1} µs");
    }
    let flood = "4@8({[</369&#!1/|0$5+7%2/";
    for n in [24usize, 51, 100] {
        let s: String = flood.chars().cycle().take(n).collect();
        let t = Instant::now();
        passgate_zxcvbn::zxcvbn(&s, &[]);
        let f = t.elapsed();
        let u = if n <= 24 {
            let t = Instant::now();
            zxcvbn::zxcvbn(&s, &[]);
            t.elapsed()
        } else {
            Default::default()
        };
        println!("flood {n}: fork {f:?} upstream {u:?}");
    }
}
#[allow(dead_code)]
fn prof() {}
