//! The password schemes of the systems users move in from, beside argon2id: WSO2 Identity
//! Server's (its JDBC store's salted or unsalted SHA-256, SHA-512, SHA-1 and MD5 digests, its
//! PBKDF2 and bcrypt hash providers) and Keycloak's (PBKDF2 with SHA-1, SHA-256 or SHA-512;
//! its argon2 hashes are argon2 PHC strings and need nothing here).
//!
//! A migrated user's credential is stored in one of three forms (the `password_hash` column):
//! - an argon2 PHC string: native, or once the user has logged in;
//! - `$wrapped$<scheme>$<params>$<salt>$<argon2id PHC>`: argon2id over the legacy hash, the
//!   default at import (OWASP's layered upgrade), so no legacy hash is ever at rest; verified
//!   as argon2id(legacy(password));
//! - `$legacy$<scheme>$<params>$<salt>$<hash>`: the legacy hash itself, tagged (`import
//!   --no-wrap`: a fast import, documented as weaker until each user's first login).
//!
//! The first successful login replaces either by a native argon2id hash.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use subtle::ConstantTimeEq as _;

use super::{Password, StoreError};

/// The tag of a legacy hash stored as it came.
const LEGACY_TAG: &str = "legacy";
/// The tag of a legacy hash stored under argon2id.
const WRAPPED_TAG: &str = "wrapped";

/// Java's and most exporters' Base64, accepting input with or without padding.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A message digest WSO2's JDBC store can be configured with (`PasswordDigest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    /// SHA-256 (WSO2's default).
    Sha256,
    /// SHA-512.
    Sha512,
    /// SHA-1.
    Sha1,
    /// MD5.
    Md5,
}

impl Digest {
    fn name(self) -> &'static str {
        match self {
            Digest::Sha256 => "sha256",
            Digest::Sha512 => "sha512",
            Digest::Sha1 => "sha1",
            Digest::Md5 => "md5",
        }
    }

    /// From WSO2's `PasswordDigest` (`SHA-256`, `SHA256`, `sha-512`, `MD5`, …).
    pub fn parse(name: &str) -> Option<Digest> {
        let folded = name.replace('-', "").to_ascii_lowercase();
        [Digest::Sha256, Digest::Sha512, Digest::Sha1, Digest::Md5]
            .into_iter()
            .find(|d| d.name() == folded)
    }

    fn digest(self, input: &[u8]) -> Vec<u8> {
        use sha2::Digest as _;
        match self {
            Digest::Sha256 => sha2::Sha256::digest(input).to_vec(),
            Digest::Sha512 => sha2::Sha512::digest(input).to_vec(),
            Digest::Sha1 => sha1::Sha1::digest(input).to_vec(),
            Digest::Md5 => md5::Md5::digest(input).to_vec(),
        }
    }
}

/// PBKDF2's pseudo-random function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prf {
    /// HMAC-SHA1 (Keycloak's `pbkdf2`).
    Sha1,
    /// HMAC-SHA256 (WSO2's PBKDF2 provider; Keycloak's `pbkdf2-sha256`).
    Sha256,
    /// HMAC-SHA512 (Keycloak's `pbkdf2-sha512`).
    Sha512,
}

impl Prf {
    fn name(self) -> &'static str {
        match self {
            Prf::Sha1 => "sha1",
            Prf::Sha256 => "sha256",
            Prf::Sha512 => "sha512",
        }
    }

    /// From Java's `PBKDF2WithHmacSHA256` or Keycloak's `pbkdf2-sha256` (`pbkdf2`: SHA-1).
    pub fn parse(name: &str) -> Option<Prf> {
        let lower = name.to_ascii_lowercase();
        let tail = lower
            .strip_prefix("pbkdf2withhmac")
            .or_else(|| lower.strip_prefix("pbkdf2-"))
            .or_else(|| lower.strip_prefix("pbkdf2"))
            .unwrap_or(&lower);
        match tail.replace('-', "").as_str() {
            "" | "sha1" => Some(Prf::Sha1),
            "sha256" => Some(Prf::Sha256),
            "sha512" => Some(Prf::Sha512),
            _ => None,
        }
    }

    fn derive(self, password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8]) {
        match self {
            Prf::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, iterations, out),
            Prf::Sha256 => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, out),
            Prf::Sha512 => pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password, salt, iterations, out),
        }
    }
}

/// Most PBKDF2 iterations a stored hash may ask for: bounds what one login costs.
const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;

/// How a legacy hash is computed from a password; its salt and parameters, not the hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegacyScheme {
    /// WSO2's JDBC store: `digest(UTF-8(password + salt))`, the salt a string (or none).
    Wso2Digest {
        /// The digest.
        digest: Digest,
        /// UM_SALT_VALUE, appended to the password as text.
        salt: Option<String>,
    },
    /// PBKDF2-HMAC over the password's UTF-8 bytes; the key length is the stored hash's.
    Pbkdf2 {
        /// The PRF.
        prf: Prf,
        /// Iterations.
        iterations: u32,
        /// The salt's bytes (for WSO2, its salt string's UTF-8 bytes).
        salt: Vec<u8>,
        /// Derived key length in bytes.
        key_len: usize,
    },
    /// bcrypt, as OpenBSD writes it.
    Bcrypt {
        /// `2a`, `2b`, `2x` or `2y`.
        version: String,
        /// The cost (log2 of the rounds).
        cost: u32,
        /// The 16 salt bytes.
        salt: [u8; 16],
    },
}

/// A hash another system stored: how it is computed, and its canonical text (base64 of the
/// digest or derived key; bcrypt's whole string), which a password must reproduce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyHash {
    /// How it is computed.
    pub scheme: LegacyScheme,
    /// What it is.
    pub canonical: String,
}

fn invalid(detail: impl Into<String>) -> StoreError {
    StoreError::InvalidInput(detail.into())
}

fn decode(what: &str, text: &str) -> Result<Vec<u8>, StoreError> {
    BASE64
        .decode(text.trim())
        .map_err(|_| invalid(format!("{what} is not base64")))
}

impl LegacyHash {
    /// A WSO2 JDBC digest: `hash` is UM_USER_PASSWORD (base64), `salt` UM_SALT_VALUE.
    pub fn wso2_digest(digest: Digest, salt: Option<&str>, hash: &str) -> Result<Self, StoreError> {
        let bytes = decode("the password hash", hash)?;
        if bytes.len() != digest.digest(b"").len() {
            return Err(invalid(format!(
                "the password hash is {} bytes, not a {} digest",
                bytes.len(),
                digest.name()
            )));
        }
        Ok(Self {
            scheme: LegacyScheme::Wso2Digest {
                digest,
                salt: salt.filter(|s| !s.is_empty()).map(str::to_string),
            },
            canonical: STANDARD.encode(bytes),
        })
    }

    /// A PBKDF2 hash: `hash` base64, `salt` raw bytes.
    pub fn pbkdf2(
        prf: Prf,
        iterations: u32,
        salt: Vec<u8>,
        hash: &str,
    ) -> Result<Self, StoreError> {
        let bytes = decode("the password hash", hash)?;
        if iterations == 0 || iterations > MAX_PBKDF2_ITERATIONS {
            return Err(invalid(format!(
                "PBKDF2 with {iterations} iterations (1 to {MAX_PBKDF2_ITERATIONS} are taken)"
            )));
        }
        if bytes.len() < 16 || bytes.len() > 128 {
            return Err(invalid("a PBKDF2 hash of 16 to 128 bytes is needed"));
        }
        Ok(Self {
            scheme: LegacyScheme::Pbkdf2 {
                prf,
                iterations,
                salt,
                key_len: bytes.len(),
            },
            canonical: STANDARD.encode(bytes),
        })
    }

    /// A bcrypt string (`$2b$10$…`), or its base64 (as WSO2's JDBC store keeps a hash
    /// provider's bytes).
    pub fn bcrypt(stored: &str) -> Result<Self, StoreError> {
        let text = if stored.starts_with("$2") {
            stored.to_string()
        } else {
            String::from_utf8(decode("the bcrypt hash", stored)?)
                .map_err(|_| invalid("the bcrypt hash is not text"))?
        };
        let parts: bcrypt::HashParts = text
            .parse()
            .map_err(|_| invalid("not a bcrypt hash ($2a$, $2b$, $2y$)"))?;
        Ok(Self {
            scheme: LegacyScheme::Bcrypt {
                version: text[1..3].to_string(),
                cost: parts.get_cost(),
                salt: parts.get_salt_raw(),
            },
            canonical: text,
        })
    }

    /// Whether `password` reproduces this hash (constant time in the comparison).
    pub fn matches(&self, password: &Password) -> bool {
        self.scheme
            .compute(password)
            .is_some_and(|out| bool::from(out.as_bytes().ct_eq(self.canonical.as_bytes())))
    }

    /// The tagged form stored with `import --no-wrap`.
    pub fn to_stored(&self) -> String {
        format!(
            "${LEGACY_TAG}${}${}",
            self.scheme.descriptor(),
            self.canonical
        )
    }
}

fn bcrypt_version(version: &str) -> Option<bcrypt::Version> {
    match version {
        "2a" => Some(bcrypt::Version::TwoA),
        "2b" => Some(bcrypt::Version::TwoB),
        "2x" => Some(bcrypt::Version::TwoX),
        "2y" => Some(bcrypt::Version::TwoY),
        _ => None,
    }
}

impl LegacyScheme {
    /// The scheme's name, as `userstore user show` and the credential counts give it.
    pub fn name(&self) -> String {
        match self {
            LegacyScheme::Wso2Digest { digest, salt } => format!(
                "wso2-{}{}",
                digest.name(),
                if salt.is_some() { "-salted" } else { "" }
            ),
            LegacyScheme::Pbkdf2 { prf, .. } => format!("pbkdf2-{}", prf.name()),
            LegacyScheme::Bcrypt { .. } => "bcrypt".to_string(),
        }
    }

    /// The hash's canonical text for `password`; `None` where the scheme cannot compute it.
    pub fn compute(&self, password: &Password) -> Option<String> {
        let bytes = password.bytes();
        match self {
            LegacyScheme::Wso2Digest { digest, salt } => {
                let mut input = bytes.to_vec();
                input.extend_from_slice(salt.as_deref().unwrap_or("").as_bytes());
                Some(STANDARD.encode(digest.digest(&input)))
            }
            LegacyScheme::Pbkdf2 {
                prf,
                iterations,
                salt,
                key_len,
            } => {
                let mut out = vec![0u8; *key_len];
                prf.derive(bytes, salt, *iterations, &mut out);
                Some(STANDARD.encode(out))
            }
            LegacyScheme::Bcrypt {
                version,
                cost,
                salt,
            } => {
                let parts = bcrypt::hash_with_salt(bytes, *cost, *salt).ok()?;
                Some(parts.format_for_version(bcrypt_version(version)?))
            }
        }
    }

    /// `<scheme>$<params>$<salt>`, every field free of `$`.
    fn descriptor(&self) -> String {
        match self {
            LegacyScheme::Wso2Digest { digest, salt } => format!(
                "wso2-{}$-${}",
                digest.name(),
                salt.as_ref()
                    .map_or("-".to_string(), |s| STANDARD.encode(s.as_bytes()))
            ),
            LegacyScheme::Pbkdf2 {
                prf,
                iterations,
                salt,
                key_len,
            } => format!(
                "pbkdf2-{}$i={iterations},l={key_len}${}",
                prf.name(),
                STANDARD.encode(salt)
            ),
            LegacyScheme::Bcrypt {
                version,
                cost,
                salt,
            } => format!("bcrypt$v={version},c={cost}${}", STANDARD.encode(salt)),
        }
    }

    /// The scheme a descriptor names (the inverse of [`LegacyScheme::descriptor`]).
    fn from_descriptor(scheme: &str, params: &str, salt: &str) -> Option<LegacyScheme> {
        let param = |name: &str| {
            params
                .split(',')
                .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
        };
        let salt_bytes = || (salt != "-").then(|| STANDARD.decode(salt).ok()).flatten();
        if let Some(digest) = scheme.strip_prefix("wso2-") {
            let salt = match salt {
                "-" => None,
                _ => Some(String::from_utf8(salt_bytes()?).ok()?),
            };
            return Some(LegacyScheme::Wso2Digest {
                digest: Digest::parse(digest)?,
                salt,
            });
        }
        if let Some(prf) = scheme.strip_prefix("pbkdf2-") {
            return Some(LegacyScheme::Pbkdf2 {
                prf: Prf::parse(prf)?,
                iterations: param("i")?
                    .parse()
                    .ok()
                    .filter(|i| (1..=MAX_PBKDF2_ITERATIONS).contains(i))?,
                salt: salt_bytes()?,
                key_len: param("l")?
                    .parse()
                    .ok()
                    .filter(|l| (16..=128).contains(l))?,
            });
        }
        if scheme == "bcrypt" {
            let version = param("v")?;
            bcrypt_version(version)?;
            return Some(LegacyScheme::Bcrypt {
                version: version.to_string(),
                cost: param("c")?.parse().ok().filter(|c| (4..=31).contains(c))?,
                salt: salt_bytes()?.try_into().ok()?,
            });
        }
        None
    }
}

/// What a stored credential is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredCredential<'a> {
    /// An argon2 PHC string (userstore's own, or Keycloak's argon2).
    Argon2(&'a str),
    /// argon2id over a legacy hash: verify as `argon2id(scheme(password))`.
    Wrapped {
        /// How the legacy hash is computed.
        scheme: LegacyScheme,
        /// The argon2id PHC string over its canonical text.
        phc: &'a str,
    },
    /// A legacy hash stored as it came (`--no-wrap`).
    Legacy(LegacyHash),
}

impl<'a> StoredCredential<'a> {
    /// Read the `password_hash` column; `None` for something no scheme reads.
    pub fn parse(stored: &'a str) -> Option<StoredCredential<'a>> {
        let rest = stored.strip_prefix('$')?;
        let mut fields = rest.splitn(5, '$');
        let tag = fields.next()?;
        if tag != LEGACY_TAG && tag != WRAPPED_TAG {
            return Some(StoredCredential::Argon2(stored)).filter(|_| tag.starts_with("argon2"));
        }
        let (scheme, params, salt, last) = (
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
        );
        let scheme = LegacyScheme::from_descriptor(scheme, params, salt)?;
        if tag == WRAPPED_TAG {
            return last
                .starts_with("$argon2id$")
                .then_some(StoredCredential::Wrapped { scheme, phc: last });
        }
        Some(StoredCredential::Legacy(LegacyHash {
            scheme,
            canonical: last.to_string(),
        }))
    }

    /// How operators see it: `argon2id`, `wrapped wso2-sha256-salted`, `legacy bcrypt`.
    pub fn describe(&self) -> String {
        match self {
            StoredCredential::Argon2(phc) => phc
                .trim_start_matches('$')
                .split('$')
                .next()
                .unwrap_or("argon2")
                .to_string(),
            StoredCredential::Wrapped { scheme, .. } => format!("{WRAPPED_TAG} {}", scheme.name()),
            StoredCredential::Legacy(hash) => format!("{LEGACY_TAG} {}", hash.scheme.name()),
        }
    }
}

/// The wrapped form of `hash`, given the argon2id PHC string of its canonical text.
pub fn wrapped(hash: &LegacyHash, phc: &str) -> String {
    format!("${WRAPPED_TAG}${}${phc}", hash.scheme.descriptor())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(text: &str) -> Password {
        Password::new(text.to_string())
    }

    #[test]
    fn wso2_digests_match_known_values() {
        // base64(SHA-256("admin")), WSO2's unsalted default for admin/admin.
        let h = LegacyHash::wso2_digest(
            Digest::Sha256,
            None,
            "jGl25bVBBBW96Qi9Te4V37Fnqchz/Eu4qB9vKrRIqRg=",
        )
        .unwrap();
        assert!(h.matches(&pw("admin")));
        assert!(!h.matches(&pw("Admin")));
        // Salted: the salt is appended as text.
        let salted = LegacyHash {
            scheme: LegacyScheme::Wso2Digest {
                digest: Digest::Sha256,
                salt: Some("c2FsdA==".into()),
            },
            canonical: String::new(),
        };
        let canonical = salted.scheme.compute(&pw("pw")).unwrap();
        assert_eq!(
            canonical,
            LegacyScheme::Wso2Digest {
                digest: Digest::Sha256,
                salt: None
            }
            .compute(&pw("pwc2FsdA=="))
            .unwrap()
        );
        assert!(LegacyHash::wso2_digest(Digest::Sha512, None, "AAAA").is_err());
    }

    #[test]
    fn stored_forms_round_trip() {
        let hashes = [
            LegacyHash::wso2_digest(
                Digest::Md5,
                Some("s+l/t=="),
                &STANDARD.encode(Digest::Md5.digest(b"pws+l/t==")),
            )
            .unwrap(),
            LegacyHash::pbkdf2(Prf::Sha512, 1000, b"salty".to_vec(), &{
                let mut out = [0u8; 64];
                Prf::Sha512.derive(b"pw", b"salty", 1000, &mut out);
                STANDARD.encode(out)
            })
            .unwrap(),
            LegacyHash::bcrypt(&bcrypt::hash("pw", 4).unwrap()).unwrap(),
        ];
        for hash in hashes {
            let stored = hash.to_stored();
            let StoredCredential::Legacy(back) = StoredCredential::parse(&stored).unwrap() else {
                panic!("{stored}")
            };
            assert_eq!(back, hash);
            assert!(back.matches(&pw("pw")));
            assert!(!back.matches(&pw("wrong")));
            let wrapped = wrapped(&hash, "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA");
            let StoredCredential::Wrapped { scheme, phc } =
                StoredCredential::parse(&wrapped).unwrap()
            else {
                panic!("{wrapped}")
            };
            assert_eq!(scheme, hash.scheme);
            assert!(phc.starts_with("$argon2id$"));
        }
        assert_eq!(
            StoredCredential::parse("$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA")
                .unwrap()
                .describe(),
            "argon2id"
        );
        assert!(StoredCredential::parse("plain").is_none());
        assert!(StoredCredential::parse("$legacy$nope$-$-$x").is_none());
    }
}
