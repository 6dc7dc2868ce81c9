//! API tokens for machine clients (SCIM provisioning from Microsoft Entra ID or Okta, scripts):
//! a bearer token acts as the user it was made for, with that user's permissions. A token is
//! `ust_<id>_<secret>`: the id is public (lists, revocation, audit) and finds the row; only a
//! BLAKE2b digest of the 256-bit secret is stored, and it is compared in constant time, so
//! neither the database nor the time a check takes gives the secret away.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use subtle::ConstantTimeEq as _;

use super::{StoreResult, UserName};

/// What every token starts with, so that a leaked one is recognisable (secret scanners).
pub const TOKEN_PREFIX: &str = "ust_";
/// Longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 100;

/// A token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// The public id (16 hex digits).
    pub id: String,
    /// The user it acts as.
    pub user: String,
    /// The operator's name for it (unique), named in audit events.
    pub label: String,
    /// When it was made (ms since the epoch).
    pub created_at_ms: i64,
    /// When it stops working, if ever.
    pub expires_at_ms: Option<i64>,
    /// When it was revoked, if it was.
    pub revoked_at_ms: Option<i64>,
}

impl ApiToken {
    /// Whether it is accepted at `now_ms`: not revoked, not expired.
    pub fn is_live(&self, now_ms: i64) -> bool {
        self.revoked_at_ms.is_none() && self.expires_at_ms.is_none_or(|at| at > now_ms)
    }
}

/// A token just made: its record and the bearer string, shown once and stored nowhere.
#[derive(Debug)]
pub struct IssuedToken {
    /// What is stored.
    pub record: ApiToken,
    /// `ust_<id>_<secret>`.
    pub bearer: String,
}

/// A fresh id and secret, and the secret's digest to store.
pub(crate) struct NewSecret {
    pub id: String,
    pub bearer: String,
    pub digest: String,
}

impl NewSecret {
    /// 64 random bits of id, 256 of secret, from the operating system.
    pub fn generate() -> Self {
        use rand::RngCore as _;
        let mut id = [0u8; 8];
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut id);
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
        let secret = URL_SAFE_NO_PAD.encode(secret);
        Self {
            bearer: format!("{TOKEN_PREFIX}{id}_{secret}"),
            digest: digest(&secret),
            id,
        }
    }
}

/// The stored form of a secret: BLAKE2b-256, hex. A secret of 256 random bits needs no slow
/// hash; a fast one keeps every request's check cheap.
pub(crate) fn digest(secret: &str) -> String {
    use blake2::digest::consts::U32;
    use blake2::{Blake2b, Digest as _};
    Blake2b::<U32>::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A bearer string split into its id and secret; `None` when it is not one of ours.
pub(crate) fn parse_bearer(bearer: &str) -> Option<(&str, &str)> {
    let rest = bearer.strip_prefix(TOKEN_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let well_formed = id.len() == 16
        && id.bytes().all(|b| b.is_ascii_hexdigit())
        && !secret.is_empty()
        && secret.len() <= 64;
    well_formed.then_some((id, secret))
}

/// Whether `secret` is the one whose digest is `stored`, in time independent of where they
/// differ.
pub(crate) fn secret_matches(secret: &str, stored: &str) -> bool {
    digest(secret).as_bytes().ct_eq(stored.as_bytes()).into()
}

/// What a token store does.
pub trait TokenBackend {
    /// Make a token for `user`, labelled `label` (unique), expiring at `expires_at_ms`.
    fn create_token(
        &self,
        user: &UserName,
        label: &str,
        expires_at_ms: Option<i64>,
    ) -> StoreResult<IssuedToken>;
    /// Every token (of `user`, when given), newest first.
    fn list_tokens(&self, user: Option<&UserName>) -> StoreResult<Vec<ApiToken>>;
    /// Revoke the token with this id or label; `None` when there is none.
    fn revoke_token(&self, id_or_label: &str) -> StoreResult<Option<ApiToken>>;
    /// The live token a bearer string is, with the user it acts as; `None` for an unknown,
    /// malformed, wrong, revoked or expired one.
    fn token_owner(&self, bearer: &str) -> StoreResult<Option<ApiToken>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearers_parse_and_only_the_right_secret_matches() {
        let new = NewSecret::generate();
        let (id, secret) = parse_bearer(&new.bearer).unwrap();
        assert_eq!(id, new.id);
        assert!(secret_matches(secret, &new.digest));
        assert!(!secret_matches("x", &new.digest));
        assert!(parse_bearer("ust_short_x").is_none());
        assert!(parse_bearer("Basic abc").is_none());
        assert!(parse_bearer(&format!("ust_{}_", new.id)).is_none());
        assert_ne!(NewSecret::generate().bearer, new.bearer);
    }
}
