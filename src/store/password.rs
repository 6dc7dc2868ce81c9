//! Password hashing with argon2id PHC strings.

use std::fmt;

use argon2::password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;

use super::schemes::{self, LegacyHash, StoredCredential};
use super::StoreError;

/// Longest password accepted, in bytes: bounds the hashing cost of one request.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// A random 24-character password (letters and digits without look-alikes), for a first admin
/// and for accounts provisioned without one.
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..24)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A plaintext password. It cannot be printed or logged: `Debug` is redacted and there is no
/// `Display`; the buffer is wiped when dropped.
pub struct Password(String);

impl Password {
    /// Wrap a password received in a request.
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// Empty or only whitespace (Carbon refuses such a login without checking it).
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// Check the length bound before any hashing work is spent on it.
    pub fn check_length(&self) -> Result<(), StoreError> {
        if self.0.is_empty() {
            return Err(StoreError::InvalidInput(
                "a non-empty credential is required".to_string(),
            ));
        }
        if self.0.len() > MAX_PASSWORD_BYTES {
            return Err(StoreError::InvalidInput(format!(
                "the credential is longer than {MAX_PASSWORD_BYTES} bytes"
            )));
        }
        Ok(())
    }

    pub(super) fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// A keyed BLAKE2b-256 MAC of `context` and the password: lets a cache recognise a password
    /// it verified before without keeping the password or a reusable hash of it.
    pub fn keyed_digest(&self, key: &[u8; 32], context: &[u8]) -> [u8; 32] {
        use blake2::digest::consts::U32;
        use blake2::digest::{FixedOutput, KeyInit, Update};
        let mut mac =
            blake2::Blake2bMac::<U32>::new_from_slice(key).expect("32-byte keys are valid");
        mac.update(&(context.len() as u64).to_le_bytes());
        mac.update(context);
        mac.update(self.bytes());
        mac.finalize_fixed().into()
    }

    /// Whether the password matches a policy pattern (keeps the text inside this type).
    pub fn matches(&self, pattern: &regex::Regex) -> bool {
        pattern.is_match(&self.0)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Drop for Password {
    fn drop(&mut self) {
        // Overwrite the plaintext so it does not linger in freed memory.
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        for byte in bytes.iter_mut() {
            // SAFETY: `byte` is a valid, exclusive reference into the vector.
            unsafe { std::ptr::write_volatile(byte, 0) };
        }
    }
}

/// Argon2id cost parameters, from config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for HashParams {
    /// OWASP's recommended minimum for argon2id.
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Hashes and verifies passwords; holds a decoy hash so unknown users cost the same as real ones.
pub struct PasswordHasher {
    argon2: Argon2<'static>,
    params: HashParams,
    argon2_params: Params,
    decoy_hash: String,
    workers: HashWorkers,
}

/// One argon2 computation, owning everything it reads so a hashing thread can run it.
struct HashJob {
    argon2: Argon2<'static>,
    password: Password,
    salt: Vec<u8>,
    output_len: usize,
    reply: std::sync::mpsc::SyncSender<Result<Vec<u8>, argon2::Error>>,
}

/// Dedicated hashing threads, one per core, each with one argon2 working memory allocated once
/// and reused: at most that many computations run at once (more would only thrash the caches).
/// They run at a lower OS priority for their whole life, so threads answering reads preempt
/// them; the threads that call in keep their normal priority for the database work around a
/// hash, so a lock they hold is never stuck behind a deprioritised thread.
struct HashWorkers {
    jobs: std::sync::mpsc::Sender<HashJob>,
}

impl HashWorkers {
    fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (jobs, queue) = std::sync::mpsc::channel::<HashJob>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for i in 0..cores {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    lower_thread_priority();
                    let mut memory: Vec<Block> = Vec::new();
                    loop {
                        let next = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        // The hasher was dropped: no more jobs will come.
                        let Ok(job) = next else { return };
                        let blocks = job.argon2.params().block_count();
                        memory.resize(blocks, Block::default());
                        let mut output = vec![0u8; job.output_len];
                        let result = job
                            .argon2
                            .hash_password_into_with_memory(
                                job.password.bytes(),
                                &job.salt,
                                &mut output,
                                &mut memory[..blocks],
                            )
                            .map(|()| output);
                        let _ = job.reply.send(result);
                    }
                })
                .expect("spawn a hashing thread");
        }
        Self { jobs }
    }

    /// Hash on a hashing thread and wait for the result.
    fn run(
        &self,
        argon2: Argon2<'static>,
        password: &Password,
        salt: &[u8],
        output_len: usize,
    ) -> Result<Vec<u8>, StoreError> {
        let (reply, result) = std::sync::mpsc::sync_channel(1);
        let job = HashJob {
            argon2,
            password: Password::new(password.0.clone()),
            salt: salt.to_vec(),
            output_len,
            reply,
        };
        self.jobs.send(job).map_err(|_| StoreError::Hashing)?;
        result
            .recv()
            .map_err(|_| StoreError::Hashing)?
            .map_err(|_| StoreError::Hashing)
    }
}

/// Hashing threads run at a lower OS priority (nice 10): threads answering reads preempt them,
/// yet under a saturating read load logins still get a share of the CPU instead of none.
fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid and setpriority only read their arguments; on Linux a thread id addresses
    // exactly this thread, and a failure leaves the priority unchanged.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
}

impl PasswordHasher {
    /// Build a hasher; fails when the parameters are outside argon2's bounds.
    pub fn new(params: HashParams) -> Result<Self, String> {
        let argon2_params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| e.to_string())?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon2_params.clone());
        let mut hasher = Self {
            argon2,
            params,
            argon2_params,
            decoy_hash: String::new(),
            workers: HashWorkers::new(),
        };
        hasher.decoy_hash = hasher
            .hash(&Password::new("decoy password for unknown users".into()))
            .map_err(|e| e.to_string())?;
        Ok(hasher)
    }

    /// A PHC string with a fresh random salt.
    pub fn hash(&self, password: &Password) -> Result<String, StoreError> {
        let salt = SaltString::generate(&mut OsRng);
        let mut salt_bytes = [0u8; 64];
        let raw_salt = salt
            .as_salt()
            .decode_b64(&mut salt_bytes)
            .map_err(|_| StoreError::Hashing)?;
        let output = self.workers.run(
            self.argon2.clone(),
            password,
            raw_salt,
            Params::DEFAULT_OUTPUT_LEN,
        )?;
        let phc = PasswordHash {
            algorithm: argon2::ARGON2ID_IDENT,
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&self.argon2_params).map_err(|_| StoreError::Hashing)?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&output).map_err(|_| StoreError::Hashing)?),
        };
        Ok(phc.to_string())
    }

    /// Whether a stored hash was made with other parameters (or another algorithm) than the
    /// configured ones, so a successful login should replace it.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return true;
        };
        let param = |name: &str| parsed.params.get_decimal(name);
        parsed.algorithm.as_str() != "argon2id"
            || param("m") != Some(self.params.memory_kib)
            || param("t") != Some(self.params.iterations)
            || param("p") != Some(self.params.parallelism)
    }

    /// Constant-time check of `password` against a stored credential: an argon2 PHC string
    /// (any variant and parameters), a wrapped legacy hash (argon2id over it) or a bare legacy
    /// one (see [`super::schemes`]). Every path costs one argon2 computation, whatever is
    /// stored: `None` (unknown user), an unreadable value and a bare legacy hash verify against
    /// the decoy too, so the time spent does not tell what the account holds.
    pub fn verify(&self, password: &Password, stored: Option<&str>) -> bool {
        let decoy = |hasher: &Self| {
            let _ = hasher.recompute_matches(password, &hasher.decoy_hash);
        };
        match stored.and_then(StoredCredential::parse) {
            Some(StoredCredential::Argon2(phc)) => {
                self.recompute_matches(password, phc).unwrap_or(false)
            }
            Some(StoredCredential::Wrapped { scheme, phc }) => match scheme.compute(password) {
                Some(inner) => self
                    .recompute_matches(&Password::new(inner), phc)
                    .unwrap_or(false),
                None => {
                    decoy(self);
                    false
                }
            },
            Some(StoredCredential::Legacy(hash)) => {
                let matches = hash.matches(password);
                decoy(self);
                matches
            }
            None => {
                decoy(self);
                false
            }
        }
    }

    /// The wrapped form of a legacy hash: argon2id, with the configured parameters, over its
    /// canonical text.
    pub fn wrap(&self, hash: &LegacyHash) -> Result<String, StoreError> {
        let phc = self.hash(&Password::new(hash.canonical.clone()))?;
        Ok(schemes::wrapped(hash, &phc))
    }

    fn recompute_matches(&self, password: &Password, phc: &str) -> Option<bool> {
        let parsed = PasswordHash::new(phc).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = match parsed.version {
            Some(v) => Version::try_from(v).ok()?,
            None => Version::default(),
        };
        let params = Params::try_from(&parsed).ok()?;
        let expected = parsed.hash?;
        let mut salt_bytes = [0u8; 64];
        let raw_salt = parsed.salt?.decode_b64(&mut salt_bytes).ok()?;
        let argon2 = Argon2::new(algorithm, version, params);
        let output = self
            .workers
            .run(argon2, password, raw_salt, expected.len())
            .ok()?;
        Some(output.ct_eq(expected.as_bytes()).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(HashParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[test]
    fn hashes_are_salted_argon2id_and_verify() {
        let hasher = cheap();
        let pw = Password::new("s3cret!".into());
        let a = hasher.hash(&pw).unwrap();
        let b = hasher.hash(&pw).unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert_ne!(a, b, "salts must differ");
        assert!(hasher.verify(&pw, Some(&a)));
        assert!(!hasher.verify(&Password::new("wrong".into()), Some(&a)));
        assert!(!hasher.verify(&pw, None));
        assert!(!hasher.needs_rehash(&a));
        let stronger = PasswordHasher::new(HashParams {
            memory_kib: 128,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap();
        assert!(stronger.needs_rehash(&a));
        assert!(stronger.verify(&pw, Some(&a)), "old hashes still verify");
    }

    #[test]
    fn debug_does_not_reveal_the_password() {
        let pw = Password::new("hunter2".into());
        assert!(!format!("{pw:?}").contains("hunter2"));
    }
}
