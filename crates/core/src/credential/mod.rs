//! Credential mechanics: Argon2id hashing and the bounded pool it runs on, the verifiers of
//! imported legacy hashes, the password policy, and the breached-password index.

pub mod admission;
pub mod breach;
mod hasher;
pub mod legacy;
pub mod policy;
mod pool;

pub use hasher::{Argon2Worker, HashParams};
pub use policy::{nfkc, PasswordPolicy, PolicyConfig, PolicySubject};
pub use pool::{HashPool, HashThreadPolicy, HASH_THREAD_NAME_PREFIX};
