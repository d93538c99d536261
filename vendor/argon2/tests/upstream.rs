//! passgate: differential tests of the fork against the unmodified argon2 0.5.3.
//!
//! The fork only moves the reference-index computation into a function and adds prefetch
//! hints, so every output must be bit-identical to upstream's, for every variant, version,
//! memory size (including lane and segment boundaries), pass count and lane count.

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
    out_len: usize,
}

fn fork_hash(case: &Case) -> Vec<u8> {
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
    let params =
        argon2::Params::new(case.m_kib, case.t, case.p, Some(case.out_len)).expect("params");
    let argon = if case.secret.is_empty() {
        argon2::Argon2::new(algorithm, version, params)
    } else {
        argon2::Argon2::new_with_secret(&case.secret, algorithm, version, params).expect("secret")
    };
    let mut out = vec![0u8; case.out_len];
    argon
        .hash_password_into(&case.password, &case.salt, &mut out)
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
    let params =
        upstream::Params::new(case.m_kib, case.t, case.p, Some(case.out_len)).expect("params");
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

fn bytes(rng: &mut StdRng, min: usize, max: usize) -> Vec<u8> {
    let len = rng.gen_range(min..=max);
    (0..len).map(|_| rng.gen()).collect()
}

#[test]
fn random_inputs_give_upstreams_output() {
    let mut rng = StdRng::seed_from_u64(0x5eed_a260);
    for _ in 0..300 {
        let p = rng.gen_range(1..=4);
        // From the minimum (8 blocks per lane) to a few hundred blocks, with sizes that are
        // not multiples of 4 × lanes, so segments are uneven and cross the 128-address block.
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
            out_len: rng.gen_range(4..=64),
        };
        assert_eq!(
            fork_hash(&case),
            upstream_hash(&case),
            "algorithm {} version {} m {} t {} p {}",
            case.algorithm,
            case.version,
            case.m_kib,
            case.t,
            case.p
        );
    }
}

#[test]
fn passgates_parameters_give_upstreams_output() {
    // The parameters passgate uses by default (and a pass count above it), on Argon2id v1.3.
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
            out_len: 32,
        };
        assert_eq!(fork_hash(&case), upstream_hash(&case), "t {t}");
    }
}

#[test]
fn reused_memory_gives_upstreams_output() {
    // passgate hashes into one buffer per worker, reused across hashes.
    let params = argon2::Params::new(1024, 2, 1, Some(32)).expect("params");
    let fork = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        params.clone(),
    );
    let up = upstream::Argon2::new(
        upstream::Algorithm::Argon2id,
        upstream::Version::V0x13,
        upstream::Params::new(1024, 2, 1, Some(32)).expect("params"),
    );
    let mut memory = vec![argon2::Block::default(); params.block_count()];
    for i in 0..5 {
        let password = format!("password {i}");
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        fork.hash_password_into_with_memory(
            password.as_bytes(),
            b"somesaltsomesalt",
            &mut a,
            &mut memory,
        )
        .expect("fork hash");
        up.hash_password_into(password.as_bytes(), b"somesaltsomesalt", &mut b)
            .expect("upstream hash");
        assert_eq!(a, b, "hash {i}");
    }
}
