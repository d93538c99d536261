use std::time::Instant;
fn main() {
    let patterns = [
        "4@8({[</369&#!1/|0$5+7%2/",
        "1|!7",
        "p@$$w0rd",
        "qwertyuiop[]asdfghjkl;'zxcvbnm,./",
        "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/-['=]",
        "01/02/1987-19870201-",
        "abcabcabcabd",
        "aaaaaaaaaaaaaaab",
        "m0th3rb0@rd!",
        "%$#@!)(*&^",
    ];
    let mut inputs: Vec<String> = patterns
        .iter()
        .map(|p| p.chars().cycle().take(64).collect())
        .collect();
    inputs.push(patterns.concat().chars().take(64).collect());
    for p in &inputs {
        let m = (0..9)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(passgate_zxcvbn::zxcvbn(p, &["benchmark.user"]));
                t.elapsed().as_secs_f64() * 1e6
            })
            .fold(f64::MAX, f64::min);
        println!("{m:8.0} µs  {}", &p[..20.min(p.len())]);
    }
}
