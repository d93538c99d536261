//! passgate: differential tests of the fork against the unmodified argon2 0.5.3.
//!
//! The fork moves the reference-index computation into a function, adds prefetch hints and
//! writes each new block in place (`compress_into`), so every output must be bit-identical to
//! upstream's, for every variant, version, memory size, pass count and lane count, whatever the
//! memory held before. (Whether each prefetch predicts the right block is checked by a debug
//! assertion inside the fork, which these tests run with.)
// passgate: upstream's tests, kept as upstream wrote them (they unwrap freely).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rand::{rngs::StdRng, Rng, SeedableRng};
use upstream_argon2 as upstream;

/// One set of inputs for both implementations.
struct Case {
    algorithm: u8,
    version: u8,
    m_kib: u32,
    t: u32,
    p: u32,
    password: Vec<u8>,
    salt: Vec<u8>,
    secret: Vec<u8>,
    associated_data: Vec<u8>,
    out_len: usize,
}

/// The fork's output, computed in `memory`, which may hold anything beforehand and be longer
/// than the parameters need.
fn fork_hash(case: &Case, memory: &mut [argon2::Block]) -> Vec<u8> {
    let algorithm = match case.algorithm {
        0 => argon2::Algorithm::Argon2d,
        1 => argon2::Algorithm::Argon2i,
        _ => argon2::Algorithm::Argon2id,
    };
    let version = if case.version == 0 {
        argon2::Version::V0x10
    } else {
        argon2::Version::V0x13
    };
    let mut builder = argon2::ParamsBuilder::new();
    builder
        .m_cost(case.m_kib)
        .t_cost(case.t)
        .p_cost(case.p)
        .output_len(case.out_len);
    if !case.associated_data.is_empty() {
        builder.data(argon2::AssociatedData::new(&case.associated_data).expect("data"));
    }
    let params = builder.build().expect("params");
    let argon = if case.secret.is_empty() {
        argon2::Argon2::new(algorithm, version, params)
    } else {
        argon2::Argon2::new_with_secret(&case.secret, algorithm, version, params).expect("secret")
    };
    let mut out = vec![0u8; case.out_len];
    argon
        .hash_password_into_with_memory(&case.password, &case.salt, &mut out, memory)
        .expect("fork hash");
    out
}

fn upstream_hash(case: &Case) -> Vec<u8> {
    let algorithm = match case.algorithm {
        0 => upstream::Algorithm::Argon2d,
        1 => upstream::Algorithm::Argon2i,
        _ => upstream::Algorithm::Argon2id,
    };
    let version = if case.version == 0 {
        upstream::Version::V0x10
    } else {
        upstream::Version::V0x13
    };
    let mut builder = upstream::ParamsBuilder::new();
    builder
        .m_cost(case.m_kib)
        .t_cost(case.t)
        .p_cost(case.p)
        .output_len(case.out_len);
    if !case.associated_data.is_empty() {
        builder.data(upstream::AssociatedData::new(&case.associated_data).expect("data"));
    }
    let params = builder.build().expect("params");
    let argon = if case.secret.is_empty() {
        upstream::Argon2::new(algorithm, version, params)
    } else {
        upstream::Argon2::new_with_secret(&case.secret, algorithm, version, params).expect("secret")
    };
    let mut out = vec![0u8; case.out_len];
    argon
        .hash_password_into(&case.password, &case.salt, &mut out)
        .expect("upstream hash");
    out
}

/// A memory for `case` filled with random words, sometimes longer than needed: the fork must
/// not depend on what it held (pass 0 overwrites, later passes XOR into what pass 0 wrote).
fn dirty_memory(rng: &mut StdRng, case: &Case) -> Vec<argon2::Block> {
    let blocks = (case.m_kib / (4 * case.p) * 4 * case.p) as usize + rng.gen_range(0..3);
    let mut memory = vec![argon2::Block::default(); blocks];
    for block in &mut memory {
        for word in block.as_mut() {
            *word = rng.gen();
        }
    }
    memory
}

fn assert_same(rng: &mut StdRng, case: &Case) {
    let mut memory = dirty_memory(rng, case);
    assert_eq!(
        fork_hash(case, &mut memory),
        upstream_hash(case),
        "algorithm {} version {} m {} t {} p {} secret {} data {}",
        case.algorithm,
        case.version,
        case.m_kib,
        case.t,
        case.p,
        case.secret.len(),
        case.associated_data.len()
    );
}

fn bytes(rng: &mut StdRng, min: usize, max: usize) -> Vec<u8> {
    let len = rng.gen_range(min..=max);
    (0..len).map(|_| rng.gen()).collect()
}

#[test]
fn random_inputs_give_upstreams_output() {
    let mut rng = StdRng::seed_from_u64(0x5eed_a260);
    for _ in 0..300 {
        let p = rng.gen_range(1..=4);
        // From the minimum (8 blocks per lane) to a few hundred blocks; the memory is rounded
        // down to a multiple of 4 × lanes, as upstream does.
        let m_kib = rng.gen_range(8 * p..=600);
        let case = Case {
            algorithm: rng.gen_range(0..3),
            version: rng.gen_range(0..2),
            m_kib,
            t: rng.gen_range(1..=4),
            p,
            password: bytes(&mut rng, 0, 64),
            salt: bytes(&mut rng, 8, 32),
            secret: if rng.gen_bool(0.2) {
                bytes(&mut rng, 1, 32)
            } else {
                Vec::new()
            },
            associated_data: if rng.gen_bool(0.2) {
                bytes(&mut rng, 1, 32)
            } else {
                Vec::new()
            },
            out_len: rng.gen_range(4..=64),
        };
        assert_same(&mut rng, &case);
    }
}

#[test]
fn every_variant_version_pass_and_lane_count_gives_upstreams_output() {
    // A fixed grid, so no combination is left to chance: the smallest memory per lane count,
    // one block more (rounded away), and enough that every lane's segments cross the
    // 128-address block of data-independent addressing.
    let mut rng = StdRng::seed_from_u64(0x6e1d);
    for algorithm in 0..3 {
        for version in 0..2 {
            for t in 1..=4 {
                for p in 1..=5 {
                    for m_kib in [8 * p, 8 * p + 1, 520 * p] {
                        let case = Case {
                            algorithm,
                            version,
                            m_kib,
                            t,
                            p,
                            password: bytes(&mut rng, 1, 16),
                            salt: bytes(&mut rng, 16, 16),
                            secret: Vec::new(),
                            associated_data: Vec::new(),
                            out_len: 32,
                        };
                        assert_same(&mut rng, &case);
                    }
                }
            }
        }
    }
}

#[test]
fn passgates_parameters_give_upstreams_output() {
    // The parameters passgate uses by default (and a pass count either side), on Argon2id v1.3.
    let mut rng = StdRng::seed_from_u64(19_456);
    for t in [1, 2, 3] {
        let case = Case {
            algorithm: 2,
            version: 1,
            m_kib: 19_456,
            t,
            p: 1,
            password: bytes(&mut rng, 1, 64),
            salt: bytes(&mut rng, 16, 16),
            secret: Vec::new(),
            associated_data: Vec::new(),
            out_len: 32,
        };
        assert_same(&mut rng, &case);
    }
}

#[test]
fn block_memory_gives_upstreams_output() {
    // `BlockMemory` (huge pages on Linux) and its heap fallback, reused across hashes.
    for mut memory in [
        argon2::BlockMemory::new(19_456),
        argon2::BlockMemory::on_heap(19_456),
    ] {
        for i in 0..2 {
            let case = Case {
                algorithm: 2,
                version: 1,
                m_kib: 19_456,
                t: 2,
                p: 1,
                password: format!("password {i}").into_bytes(),
                salt: b"somesaltsomesalt".to_vec(),
                secret: Vec::new(),
                associated_data: Vec::new(),
                out_len: 32,
            };
            assert_eq!(
                fork_hash(&case, &mut memory),
                upstream_hash(&case),
                "hash {i}"
            );
        }
    }
}

#[test]
fn reused_memory_gives_upstreams_output() {
    // passgate hashes into one buffer per worker, reused across hashes.
    let mut memory = vec![argon2::Block::default(); 1024];
    for i in 0..5 {
        let case = Case {
            algorithm: 2,
            version: 1,
            m_kib: 1024,
            t: 2,
            p: 1,
            password: format!("password {i}").into_bytes(),
            salt: b"somesaltsomesalt".to_vec(),
            secret: Vec::new(),
            associated_data: Vec::new(),
            out_len: 32,
        };
        assert_eq!(
            fork_hash(&case, &mut memory),
            upstream_hash(&case),
            "hash {i}"
        );
    }
}
