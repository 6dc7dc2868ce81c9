//! Validated names for users, roles, profiles and claims.
//!
//! Rules (documented in README "Names"):
//! - Surrounding whitespace is trimmed: SOAP clients and copy-pasted samples often carry it.
//! - A leading `PRIMARY/` domain (any case) is dropped: WSO2 clients qualify names with it and
//!   this product has exactly one user store, the primary one.
//! - Names are case-preserving and case-insensitive: `Alice` and `alice` are the same account,
//!   as in WSO2's JDBC store with `CaseInsensitiveUsername=true`.
//! - A new user or role name is 1 to [`MAX_NAME_CHARS`] characters with no whitespace, no control
//!   characters and no `/` (a role may carry one `Internal/` or `Application/` domain prefix).
//!   A role name may hold spaces between words ("Sales Team", as SCIM clients name groups);
//!   whether it may is then `realm.rolename_regex`'s to say.
//!   Lookups accept any trimmed, non-empty name and simply find nothing when it is not a valid name.

use std::fmt;

use super::StoreError;

/// Longest user or role name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest claim URI or profile name accepted, in characters.
pub const MAX_KEY_CHARS: usize = 255;
/// Longest claim value accepted, in characters.
pub const MAX_CLAIM_VALUE_CHARS: usize = 4096;
/// The role every user belongs to implicitly, as WSO2 names it.
pub const EVERYONE_ROLE: &str = "Internal/everyone";
/// The profile used when a request names none (absent, empty, `?` or `null`).
pub const DEFAULT_PROFILE: &str = "default";

/// The primary user store's domain (`PRIMARY/alice` is `alice`).
pub const PRIMARY_DOMAIN_NAME: &str = "PRIMARY";
const PRIMARY_DOMAIN: &str = "primary/";
const ROLE_DOMAINS: [&str; 2] = ["Internal/", "Application/"];

/// Which kind of name failed validation; names the thing in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A user name.
    User,
    /// A role name.
    Role,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::User => "user name",
            NameKind::Role => "role name",
        })
    }
}

fn strip_primary(raw: &str) -> &str {
    let trimmed = raw.trim();
    match trimmed.get(..PRIMARY_DOMAIN.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(PRIMARY_DOMAIN) => {
            trimmed[PRIMARY_DOMAIN.len()..].trim()
        }
        _ => trimmed,
    }
}

fn lookup_form(kind: NameKind, raw: &str) -> Result<String, StoreError> {
    let name = strip_primary(raw);
    if name.is_empty() {
        return Err(StoreError::MissingName(kind));
    }
    Ok(name.to_string())
}

fn check_plain_segment(kind: NameKind, whole: &str, segment: &str) -> Result<(), StoreError> {
    let invalid = |rule: &'static str| StoreError::InvalidName {
        kind,
        name: whole.to_string(),
        rule,
    };
    let chars = segment.chars().count();
    if chars == 0 || whole.chars().count() > MAX_NAME_CHARS {
        return Err(invalid("it must be 1 to 100 characters long"));
    }
    let inner_space = |c: char| kind == NameKind::Role && c == ' ';
    if segment
        .chars()
        .any(|c| (c.is_whitespace() && !inner_space(c)) || c.is_control())
    {
        return Err(invalid(
            "it must not contain whitespace or control characters",
        ));
    }
    if segment.contains('/') {
        return Err(invalid("'/' is reserved for a domain prefix"));
    }
    Ok(())
}

fn key_of(name: &str) -> String {
    name.to_lowercase()
}

macro_rules! name_type {
    ($(#[$doc:meta])* $ty:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $ty {
            name: String,
            key: String,
        }

        impl $ty {
            /// The name as the caller spelled it (case preserved).
            pub fn as_str(&self) -> &str {
                &self.name
            }

            /// The case-folded form that identifies the entry in the store.
            pub fn key(&self) -> &str {
                &self.key
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.name)
            }
        }
    };
}

name_type!(
    /// A user name: trimmed, `PRIMARY/`-free, compared case-insensitively.
    UserName
);
name_type!(
    /// A role name: trimmed, `PRIMARY/`-free, compared case-insensitively.
    RoleName
);

impl UserName {
    /// A name to look up: any non-empty name is accepted; invalid ones just match nothing.
    pub fn lookup(raw: &str) -> Result<Self, StoreError> {
        let name = lookup_form(NameKind::User, raw)?;
        Ok(Self {
            key: key_of(&name),
            name,
        })
    }

    /// A name for a new account: must satisfy the naming rules.
    pub fn new_account(raw: &str) -> Result<Self, StoreError> {
        let name = Self::lookup(raw)?;
        check_plain_segment(NameKind::User, &name.name, &name.name)?;
        Ok(name)
    }

    /// A name for an account moved in from another system: the rules of
    /// [`UserName::new_account`], and a WSO2 secondary user store's `DOMAIN/` prefix besides
    /// (written in capitals, as WSO2 writes it). Only importers make such names.
    pub fn moved_in(raw: &str) -> Result<Self, StoreError> {
        let name = Self::lookup(raw)?;
        match name.name.split_once('/') {
            Some((domain, rest)) if is_user_store_domain(domain) => {
                let whole = format!("{}/{rest}", domain.to_ascii_uppercase());
                check_plain_segment(NameKind::User, &whole, rest)?;
                Ok(Self {
                    key: key_of(&whole),
                    name: whole,
                })
            }
            _ => {
                check_plain_segment(NameKind::User, &name.name, &name.name)?;
                Ok(name)
            }
        }
    }

    /// The name without its secondary user store's domain (`EXT/alice`: `alice`); a name
    /// whose prefix is not such a domain, in capitals as [`UserName::moved_in`] writes it, is
    /// whole.
    pub fn local_part(&self) -> &str {
        match self.name.split_once('/') {
            Some((domain, rest))
                if is_user_store_domain(domain) && !domain.chars().any(|c| c.is_lowercase()) =>
            {
                rest
            }
            _ => &self.name,
        }
    }
}

/// Whether `domain` can name a secondary user store: letters, digits, `_`, `-` and `.`, and
/// neither a role domain (`Internal`, `Application`) nor `PRIMARY`.
pub fn is_user_store_domain(domain: &str) -> bool {
    !domain.is_empty()
        && domain.len() <= 50
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !ROLE_DOMAINS
            .iter()
            .any(|d| d.trim_end_matches('/').eq_ignore_ascii_case(domain))
        && !domain.eq_ignore_ascii_case(PRIMARY_DOMAIN_NAME)
}

impl RoleName {
    /// A name to look up: any non-empty name is accepted; invalid ones just match nothing.
    pub fn lookup(raw: &str) -> Result<Self, StoreError> {
        let name = lookup_form(NameKind::Role, raw)?;
        let name = canonical_domain(&name);
        Ok(Self {
            key: key_of(&name),
            name,
        })
    }

    /// A name for a new role: must satisfy the naming rules. A role of a secondary user store
    /// moved in from WSO2 is `DOMAIN/role`, as its users are `DOMAIN/name`.
    pub fn new_role(raw: &str) -> Result<Self, StoreError> {
        let mut role = Self::lookup(raw)?;
        if let Some((domain, rest)) = role.name.split_once('/') {
            if is_user_store_domain(domain) {
                role.name = format!("{}/{rest}", domain.to_ascii_uppercase());
                role.key = key_of(&role.name);
            }
        }
        let segment = ROLE_DOMAINS
            .iter()
            .find_map(|d| role.name.strip_prefix(d))
            .or_else(|| {
                let (domain, rest) = role.name.split_once('/')?;
                is_user_store_domain(domain).then_some(rest)
            })
            .unwrap_or(&role.name);
        check_plain_segment(NameKind::Role, &role.name, segment)?;
        Ok(role)
    }

    /// The implicit role of every user.
    pub fn everyone() -> Self {
        Self::lookup(EVERYONE_ROLE).expect("constant role name is valid")
    }

    /// True for `Internal/` (hybrid) roles, the ones getHybridRoles lists.
    pub fn is_hybrid(&self) -> bool {
        self.key.starts_with("internal/")
    }

    /// True for roles of WSO2's hybrid role manager (`Internal/`, `Application/`).
    pub fn is_hybrid_domain(&self) -> bool {
        ROLE_DOMAINS.iter().any(|d| self.name.starts_with(d))
    }
}

/// Spell a domain prefix the way WSO2 does (`internal/x` becomes `Internal/x`).
fn canonical_domain(name: &str) -> String {
    for domain in ROLE_DOMAINS {
        if let Some(prefix) = name.get(..domain.len()) {
            if prefix.eq_ignore_ascii_case(domain) {
                return format!("{domain}{}", &name[domain.len()..]);
            }
        }
    }
    name.to_string()
}

/// A profile name; absent, empty, `?` and `null` all mean [`DEFAULT_PROFILE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileName(String);

impl ProfileName {
    /// Resolve what a request sent into a profile, applying WSO2's "null means default" rule.
    pub fn from_request(raw: Option<&str>) -> Result<Self, StoreError> {
        let value = raw.map(str::trim).unwrap_or("");
        if value.is_empty() || value == "?" || value.eq_ignore_ascii_case("null") {
            return Ok(Self::default());
        }
        if value.chars().count() > MAX_KEY_CHARS {
            return Err(StoreError::InvalidInput(format!(
                "profile name is longer than {MAX_KEY_CHARS} characters"
            )));
        }
        Ok(Self(value.to_string()))
    }

    /// The profile name as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ProfileName {
    fn default() -> Self {
        Self(DEFAULT_PROFILE.to_string())
    }
}

/// A claim URI such as `http://wso2.org/claims/email`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClaimUri(String);

impl ClaimUri {
    /// Accept a trimmed, non-empty URI of bounded length.
    pub fn parse(raw: &str) -> Result<Self, StoreError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(StoreError::InvalidInput(
                "a claim URI is required".to_string(),
            ));
        }
        if value.chars().count() > MAX_KEY_CHARS || value.chars().any(char::is_control) {
            return Err(StoreError::InvalidInput(format!(
                "claim URI '{}' is not valid: it must be at most {MAX_KEY_CHARS} characters without control characters",
                truncate_for_message(value)
            )));
        }
        Ok(Self(value.to_string()))
    }

    /// The URI as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClaimUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A claim value, bounded so a single request cannot bloat the database.
pub fn check_claim_value(uri: &ClaimUri, value: &str) -> Result<(), StoreError> {
    if value.chars().count() > MAX_CLAIM_VALUE_CHARS {
        return Err(StoreError::InvalidInput(format!(
            "value of claim '{uri}' is longer than {MAX_CLAIM_VALUE_CHARS} characters"
        )));
    }
    Ok(())
}

/// Shorten user-supplied text before echoing it in an error message.
pub fn truncate_for_message(value: &str) -> String {
    const LIMIT: usize = 120;
    if value.chars().count() <= LIMIT {
        value.to_string()
    } else {
        let mut short: String = value.chars().take(LIMIT).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_trimmed_and_case_insensitive() {
        let a = UserName::new_account("  Alice ").unwrap();
        let b = UserName::lookup("PRIMARY/alice").unwrap();
        assert_eq!(a.as_str(), "Alice");
        assert_eq!(a.key(), b.key());
    }

    #[test]
    fn new_names_reject_whitespace_slash_and_length() {
        assert!(UserName::new_account("a b").is_err());
        assert!(UserName::moved_in("Internal/b").is_err());
        assert!(UserName::moved_in("a b/c").is_err());
        assert!(UserName::moved_in("EXT/a/b").is_err());
        assert!(UserName::new_account("EXT/alice").is_err());
        let secondary = UserName::moved_in("ext/Alice").unwrap();
        assert_eq!(
            (secondary.as_str(), secondary.key()),
            ("EXT/Alice", "ext/alice")
        );
        assert_eq!(secondary.local_part(), "Alice");
        assert!(UserName::new_account(&"x".repeat(101)).is_err());
        assert!(UserName::new_account("").is_err());
        assert!(UserName::new_account("nilasini@example.com").is_ok());
    }

    #[test]
    fn role_domains_are_canonical() {
        let r = RoleName::new_role("internal/auditor").unwrap();
        assert_eq!(r.as_str(), "Internal/auditor");
        assert!(r.is_hybrid());
        assert!(RoleName::new_role("Internal/").is_err());
        assert_eq!(
            RoleName::new_role("ext/staff").unwrap().as_str(),
            "EXT/staff"
        );
        assert!(RoleName::new_role("Ot her/x").is_err());
        assert!(RoleName::new_role("EXT/a/b").is_err());
    }

    #[test]
    fn profile_placeholders_mean_default() {
        for raw in [None, Some(""), Some("?"), Some("null"), Some(" NULL ")] {
            assert_eq!(ProfileName::from_request(raw).unwrap().as_str(), "default");
        }
        assert_eq!(
            ProfileName::from_request(Some("work")).unwrap().as_str(),
            "work"
        );
    }
}
