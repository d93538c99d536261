//! Argon2id hashing into PHC strings, with a per-worker preallocated memory buffer.
//!
//! The `_with_memory` API avoids a fresh 19 MiB allocation (and its page faults, ~20% of the
//! cost) on every hash; see PERFORMANCE-NOTES.md. The buffer is a `BlockMemory` from passgate's
//! argon2 fork: on Linux it asks for transparent huge pages, which makes each hash 5–9% faster
//! (vendor/argon2/README.md). The buffer is reused across requests and is
//! not zeroized between them: it never leaves the process, and anyone able to read process
//! memory could read the plaintext passwords as they arrive anyway.

use passgate_argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use passgate_argon2::{Algorithm, Argon2, Block, BlockMemory, Params, Version};
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::metrics::CoreMetrics;
use crate::CoreError;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// Memory in KiB (default 19456, the OWASP floor for t=2).
    pub m_kib: u32,
    /// Iterations (default 2).
    pub t: u32,
    /// Lanes (default 1).
    pub p: u32,
}

impl Default for HashParams {
    fn default() -> Self {
        HashParams {
            m_kib: 19_456,
            t: 2,
            p: 1,
        }
    }
}

impl HashParams {
    fn to_argon2(self) -> Result<Params, CoreError> {
        Params::new(self.m_kib, self.t, self.p, Some(32))
            .map_err(|e| CoreError::InvalidInput(format!("invalid Argon2id parameters: {e}")))
    }

    /// Checks the parameters are acceptable to Argon2.
    pub fn validate(self) -> Result<(), CoreError> {
        self.to_argon2().map(|_| ())
    }
}

/// One hashing worker: the configured parameters and a memory buffer sized for them.
pub struct Argon2Worker {
    params: Params,
    memory: BlockMemory,
    metrics: Arc<CoreMetrics>,
    /// Hashes and verifications this worker has run (the pool's cost per operation).
    operations: u64,
}

impl Argon2Worker {
    /// A worker for `params`, allocating its buffer once.
    pub fn new(params: HashParams) -> Result<Self, CoreError> {
        Self::with_metrics(params, Arc::new(CoreMetrics::default()))
    }

    /// A worker that counts its hashes and verifications in `metrics`.
    pub fn with_metrics(params: HashParams, metrics: Arc<CoreMetrics>) -> Result<Self, CoreError> {
        let params = params.to_argon2()?;
        let memory = BlockMemory::new(params.block_count());
        Ok(Argon2Worker {
            params,
            memory,
            metrics,
            operations: 0,
        })
    }

    /// Hashes and verifications run by this worker so far.
    pub fn operations(&self) -> u64 {
        self.operations
    }

    /// Hashes `password` with a fresh 16-byte salt, returning a PHC string.
    pub fn hash(&mut self, password: &str) -> Result<String, CoreError> {
        let mut salt_bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt_bytes);
        let salt = SaltString::encode_b64(&salt_bytes)
            .map_err(|e| CoreError::Internal(format!("salt encoding: {e}")))?;
        let mut out = [0u8; 32];
        self.metrics.argon2_hash.fetch_add(1, Ordering::Relaxed);
        self.operations += 1;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone());
        argon
            .hash_password_into_with_memory(
                password.as_bytes(),
                &salt_bytes,
                &mut out,
                &mut self.memory,
            )
            .map_err(|e| CoreError::Internal(format!("argon2: {e}")))?;
        let output =
            Output::new(&out).map_err(|e| CoreError::Internal(format!("argon2 output: {e}")))?;
        let params = ParamsString::try_from(&self.params)
            .map_err(|e| CoreError::Internal(format!("argon2 params: {e}")))?;
        let phc = PasswordHash {
            algorithm: passgate_argon2::ARGON2ID_IDENT,
            version: Some(Version::V0x13.into()),
            params,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        };
        Ok(phc.to_string())
    }

    /// Verifies `password` against a stored hash in constant time: an Argon2 PHC string, or an
    /// imported legacy hash (see [`super::legacy`]). A legacy verification that fails is
    /// followed by one Argon2id run with the configured parameters, so a wrong password costs
    /// at least what it costs for an Argon2id user or an unknown one; the value that no
    /// password matches ([`super::legacy::NO_PASSWORD`]) costs that one run too. A stored
    /// string that cannot be parsed is an internal error (without the string), never a panic.
    pub fn verify(&mut self, password: &str, stored: &str) -> Result<bool, CoreError> {
        if stored.starts_with("$argon2") {
            return self.verify_argon2(password, stored);
        }
        let ok = if stored == super::legacy::NO_PASSWORD {
            false
        } else {
            let legacy = super::legacy::LegacyHash::parse_stored(stored)
                .map_err(|e| CoreError::Internal(format!("stored legacy hash unreadable: {e}")))?;
            self.metrics.legacy_verify.fetch_add(1, Ordering::Relaxed);
            self.operations += 1;
            legacy.verify(password)
        };
        if !ok {
            self.burn(password)?;
        }
        Ok(ok)
    }

    /// One Argon2id run with the configured parameters whose result is thrown away: the cost
    /// of a verification, for paths that must not be cheaper than one.
    fn burn(&mut self, password: &str) -> Result<(), CoreError> {
        let mut out = [0u8; 32];
        self.metrics.argon2_verify.fetch_add(1, Ordering::Relaxed);
        self.operations += 1;
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
            .hash_password_into_with_memory(
                password.as_bytes(),
                b"passgate-equal-cost",
                &mut out,
                &mut self.memory,
            )
            .map_err(|e| CoreError::Internal(format!("argon2: {e}")))
    }

    /// Verifies against an Argon2 PHC string.
    fn verify_argon2(&mut self, password: &str, phc: &str) -> Result<bool, CoreError> {
        let parsed = PasswordHash::new(phc)
            .map_err(|e| CoreError::Internal(format!("stored hash unreadable: {e}")))?;
        let algorithm = Algorithm::try_from(parsed.algorithm)
            .map_err(|e| CoreError::Internal(format!("stored hash algorithm: {e}")))?;
        let version = parsed
            .version
            .map(Version::try_from)
            .transpose()
            .map_err(|e| CoreError::Internal(format!("stored hash version: {e}")))?
            .unwrap_or(Version::V0x13);
        let params = Params::try_from(&parsed)
            .map_err(|e| CoreError::Internal(format!("stored hash params: {e}")))?;
        let expected = parsed
            .hash
            .ok_or_else(|| CoreError::Internal("stored hash has no output".into()))?;
        let salt = parsed
            .salt
            .ok_or_else(|| CoreError::Internal("stored hash has no salt".into()))?;
        let mut salt_buf = [0u8; 64];
        let salt_bytes = salt
            .decode_b64(&mut salt_buf)
            .map_err(|e| CoreError::Internal(format!("stored hash salt: {e}")))?;
        let mut out = vec![0u8; expected.len()];
        self.metrics.argon2_verify.fetch_add(1, Ordering::Relaxed);
        self.operations += 1;
        let argon = Argon2::new(algorithm, version, params.clone());
        let result = if params.block_count() == self.memory.len() {
            argon.hash_password_into_with_memory(
                password.as_bytes(),
                salt_bytes,
                &mut out,
                &mut self.memory,
            )
        } else {
            // A hash made with other parameters (before a configuration change): use a
            // temporary buffer of its own size; the login will rehash it.
            let mut tmp = vec![Block::default(); params.block_count()];
            argon.hash_password_into_with_memory(
                password.as_bytes(),
                salt_bytes,
                &mut out,
                &mut tmp,
            )
        };
        result.map_err(|e| CoreError::Internal(format!("argon2: {e}")))?;
        Ok(bool::from(out.as_slice().ct_eq(expected.as_bytes())))
    }

    /// True when a stored hash was made with another algorithm or other parameters than the
    /// configured ones, so a successful login should replace it.
    pub fn needs_rehash(&self, phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return true;
        };
        if parsed.algorithm != passgate_argon2::ARGON2ID_IDENT || parsed.version != Some(0x13) {
            return true;
        }
        match Params::try_from(&parsed) {
            Ok(p) => {
                p.m_cost() != self.params.m_cost()
                    || p.t_cost() != self.params.t_cost()
                    || p.p_cost() != self.params.p_cost()
            }
            Err(_) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> HashParams {
        HashParams {
            m_kib: 64,
            t: 1,
            p: 1,
        }
    }

    #[test]
    fn hash_then_verify() -> Result<(), CoreError> {
        let mut w = Argon2Worker::new(small())?;
        let phc = w.hash("correct horse battery staple")?;
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(w.verify("correct horse battery staple", &phc)?);
        assert!(!w.verify("correct horse battery stapl", &phc)?);
        assert!(!w.needs_rehash(&phc));
        Ok(())
    }

    #[test]
    fn other_params_verify_and_need_rehash() -> Result<(), CoreError> {
        let mut old = Argon2Worker::new(HashParams {
            m_kib: 128,
            t: 1,
            p: 1,
        })?;
        let phc = old.hash("pw")?;
        let mut w = Argon2Worker::new(small())?;
        assert!(w.verify("pw", &phc)?);
        assert!(w.needs_rehash(&phc));
        Ok(())
    }

    #[test]
    fn interoperates_with_the_reference_api() -> Result<(), CoreError> {
        use passgate_argon2::PasswordVerifier;
        let mut w = Argon2Worker::new(small())?;
        let phc = w.hash("interop")?;
        let parsed = PasswordHash::new(&phc).map_err(|e| CoreError::Internal(e.to_string()))?;
        assert!(Argon2::default()
            .verify_password(b"interop", &parsed)
            .is_ok());
        Ok(())
    }

    #[test]
    fn legacy_hashes_verify_and_a_failure_costs_an_argon2_run() -> Result<(), CoreError> {
        let metrics = Arc::new(CoreMetrics::default());
        let mut w = Argon2Worker::with_metrics(small(), Arc::clone(&metrics))?;
        // bcrypt (cost 4) of "correct horse battery staple", made by Python's bcrypt.
        let bcrypt = "$2b$04$DQq86ed2gbjTPGmJxNUHU.KXJgCGIZ7IrbuMxP79HtWfjYdFbuq5W";
        assert!(w.verify("correct horse battery staple", bcrypt)?);
        assert_eq!(w.operations(), 1);
        assert!(w.needs_rehash(bcrypt));
        assert!(!w.verify("wrong", bcrypt)?);
        // The failure ran the legacy check and one Argon2id pass.
        assert_eq!(w.operations(), 3);
        assert_eq!(metrics.legacy_verify.load(Ordering::Relaxed), 2);
        assert_eq!(metrics.argon2_verify.load(Ordering::Relaxed), 1);
        // No password: nothing matches, and it still costs one Argon2id pass.
        assert!(!w.verify("", super::super::legacy::NO_PASSWORD)?);
        assert!(!w.verify("!", super::super::legacy::NO_PASSWORD)?);
        assert_eq!(metrics.argon2_verify.load(Ordering::Relaxed), 3);
        // A stored value that is no hash is an error without the value in it.
        let e = w.verify("x", "$6$broken").err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| !e.contains("broken")));
        Ok(())
    }

    #[test]
    fn garbage_hash_is_an_error_not_a_panic() -> Result<(), CoreError> {
        let mut w = Argon2Worker::new(small())?;
        assert!(w.verify("x", "not a hash").is_err());
        assert!(w
            .verify("x", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ")
            .is_err());
        assert!(w.needs_rehash("nonsense"));
        Ok(())
    }
}
