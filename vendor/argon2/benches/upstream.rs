//! passgate: times the fork against the unmodified argon2 0.5.3 with the same parameters,
//! on one core and with every core hashing at once, in one run.
//!
//! `cargo bench -p passgate-argon2 [-- M_KIB T HASHES]` (defaults 19456 2 40). Each thread
//! takes turns among upstream (heap memory), the fork with heap memory, and the fork with a
//! `BlockMemory` (huge pages on Linux, as passgate uses), rotating which goes first, so drift
//! in the machine's speed weighs on all alike. It prints medians and the ratios that matter.
// passgate: a benchmark program, not a request path; failures should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

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

/// Milliseconds per hash for [upstream, fork on the heap, fork in a `BlockMemory`].
fn take_turns(m_kib: u32, t: u32, hashes: usize) -> [Vec<f64>; 3] {
    let blocks = m_kib as usize;
    let mut upstream_memory = vec![upstream::Block::default(); blocks];
    let mut heap_memory = argon2::BlockMemory::on_heap(blocks);
    let mut block_memory = argon2::BlockMemory::new(blocks);
    let mut run = |variant: usize, password: &[u8]| {
        let t0 = Instant::now();
        match variant {
            0 => upstream_hash(m_kib, t, password, &mut upstream_memory),
            1 => fork_hash(m_kib, t, password, &mut heap_memory),
            _ => fork_hash(m_kib, t, password, &mut block_memory),
        }
        t0.elapsed().as_secs_f64() * 1e3
    };
    for variant in 0..3 {
        run(variant, b"warm-up");
    }
    let mut times = [Vec::new(), Vec::new(), Vec::new()];
    for i in 0..hashes {
        let password = format!("password {i}");
        for k in 0..3 {
            let variant = (i + k) % 3;
            times[variant].push(run(variant, password.as_bytes()));
        }
    }
    times
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

    let one = take_turns(m_kib, t, hashes).map(median);
    let threads: Vec<_> = (0..cores)
        .map(|_| std::thread::spawn(move || take_turns(m_kib, t, hashes)))
        .collect();
    let mut all: [Vec<f64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for thread in threads {
        let times = thread.join().expect("bench thread");
        for (into, from) in all.iter_mut().zip(times) {
            into.extend(from);
        }
    }
    let all = all.map(median);
    println!("Argon2id m={m_kib} KiB t={t} p=1, {hashes} hashes per thread, median ms per hash");
    println!("                        one core   all {cores} cores   one ÷ all");
    let names = ["upstream", "fork, heap", "fork, BlockMemory"];
    for (i, name) in names.iter().enumerate() {
        println!(
            "{name:<22} {:9.2}   {:11.2}   {:9.3}",
            one[i],
            all[i],
            one[i] / all[i]
        );
    }
    for (i, name) in names.iter().enumerate().skip(1) {
        println!(
            "{name} ÷ upstream time: one core {:.3}, all cores {:.3}",
            one[i] / one[0],
            all[i] / all[0]
        );
    }
}
