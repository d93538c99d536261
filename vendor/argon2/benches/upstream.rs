//! passgate: times the fork against the unmodified argon2 0.5.3 with the same parameters,
//! on one core and with every core hashing at once, in one run.
//!
//! `cargo bench -p passgate-argon2 [-- M_KIB T HASHES]` (defaults 19456 2 40). Each thread
//! alternates fork and upstream hashes, so drift in the machine's speed weighs on both alike;
//! it prints medians and the ratios that matter (fork ÷ upstream, one core ÷ all cores).

use std::time::Instant;

use upstream_argon2 as upstream;

fn fork_hash(m_kib: u32, t: u32, password: &[u8], memory: &mut [argon2::Block]) {
    let params = argon2::Params::new(m_kib, t, 1, Some(32)).expect("params");
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = [0u8; 32];
    argon
        .hash_password_into_with_memory(password, b"benchmark salt..", &mut out, memory)
        .expect("fork hash");
}

fn upstream_hash(m_kib: u32, t: u32, password: &[u8], memory: &mut [upstream::Block]) {
    let params = upstream::Params::new(m_kib, t, 1, Some(32)).expect("params");
    let argon = upstream::Argon2::new(
        upstream::Algorithm::Argon2id,
        upstream::Version::V0x13,
        params,
    );
    let mut out = [0u8; 32];
    argon
        .hash_password_into_with_memory(password, b"benchmark salt..", &mut out, memory)
        .expect("upstream hash");
}

/// Milliseconds per hash for (fork, upstream), alternating which goes first.
fn alternate(m_kib: u32, t: u32, hashes: usize) -> (Vec<f64>, Vec<f64>) {
    let mut fork_memory = vec![argon2::Block::default(); m_kib as usize];
    let mut upstream_memory = vec![upstream::Block::default(); m_kib as usize];
    fork_hash(m_kib, t, b"warm-up", &mut fork_memory);
    upstream_hash(m_kib, t, b"warm-up", &mut upstream_memory);
    let (mut fork, mut up) = (Vec::new(), Vec::new());
    for i in 0..hashes {
        let password = format!("password {i}");
        let mut time_fork = || {
            let t0 = Instant::now();
            fork_hash(m_kib, t, password.as_bytes(), &mut fork_memory);
            t0.elapsed().as_secs_f64() * 1e3
        };
        let mut time_up = || {
            let t0 = Instant::now();
            upstream_hash(m_kib, t, password.as_bytes(), &mut upstream_memory);
            t0.elapsed().as_secs_f64() * 1e3
        };
        if i % 2 == 0 {
            fork.push(time_fork());
            up.push(time_up());
        } else {
            up.push(time_up());
            fork.push(time_fork());
        }
    }
    (fork, up)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let m_kib = args.first().map_or(19_456, |&m| m as u32);
    let t = args.get(1).map_or(2, |&t| t as u32);
    let hashes = args.get(2).map_or(40, |&n| n as usize);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    let (fork_one, up_one) = alternate(m_kib, t, hashes);
    let threads: Vec<_> = (0..cores)
        .map(|_| std::thread::spawn(move || alternate(m_kib, t, hashes)))
        .collect();
    let (mut fork_all, mut up_all) = (Vec::new(), Vec::new());
    for thread in threads {
        let (fork, up) = thread.join().expect("bench thread");
        fork_all.extend(fork);
        up_all.extend(up);
    }
    let (fork_one, up_one) = (median(fork_one), median(up_one));
    let (fork_all, up_all) = (median(fork_all), median(up_all));
    println!("Argon2id m={m_kib} KiB t={t} p=1, {hashes} hashes per thread, median ms per hash");
    println!("             one core   all {cores} cores   one ÷ all");
    println!(
        "upstream     {up_one:8.2}   {up_all:11.2}   {:9.3}",
        up_one / up_all
    );
    println!(
        "fork         {fork_one:8.2}   {fork_all:11.2}   {:9.3}",
        fork_one / fork_all
    );
    println!(
        "fork ÷ upstream time: one core {:.3}, all cores {:.3}",
        fork_one / up_one,
        fork_all / up_all
    );
}
