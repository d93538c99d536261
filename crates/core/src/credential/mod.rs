//! Credential mechanics: Argon2id hashing and the bounded pool it runs on.

mod hasher;
mod pool;

pub use hasher::{Argon2Worker, HashParams};
pub use pool::HashPool;
