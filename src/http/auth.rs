//! HTTP Basic credentials.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::store::Password;

/// The `WWW-Authenticate` challenge sent with 401, with the realm Carbon names (its ServerName).
pub const BASIC_CHALLENGE: &str = "Basic realm=\"WSO2 Identity Server\"";

/// The `WWW-Authenticate` challenge sent with 401 for a refused bearer token (RFC 6750 §3).
pub const BEARER_CHALLENGE: &str = "Bearer realm=\"WSO2 Identity Server\", error=\"invalid_token\"";

/// The token of an `Authorization: Bearer <token>` header (scheme in any case); `None` when
/// the header is absent, of another scheme, or empty.
pub fn bearer_token(header: Option<&str>) -> Option<&str> {
    let (scheme, token) = header?.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Carbon's faultstring for a wrong user name or password (code 50977); the same for both, so
/// it reveals nothing about who exists.
pub const INVALID_CREDENTIALS: &str =
    "Access Denied. Authentication failed - Invalid credentials provided.";

/// User name and password from an `Authorization: Basic ...` header, split on the first `:`
/// without trimming, as Carbon's BasicAccessAuthenticator does; `None` when absent, malformed
/// or with an empty user or password (Carbon then challenges with 401).
pub fn basic_credentials(header: Option<&str>) -> Option<(String, Password)> {
    let value = header?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    if user.is_empty() || password.is_empty() {
        return None;
    }
    Some((user.to_string(), Password::new(password.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_basic() {
        let (user, _) = basic_credentials(Some("Basic YWRtaW46cHc6d2l0aDpjb2xvbnM=")).unwrap();
        assert_eq!(user, "admin");
        assert!(basic_credentials(Some("Bearer abc")).is_none());
        assert!(basic_credentials(Some("Basic !!!")).is_none());
        assert!(basic_credentials(None).is_none());
        // "admin:" and ":pw"
        assert!(basic_credentials(Some("Basic YWRtaW46")).is_none());
        assert!(basic_credentials(Some("Basic OnB3")).is_none());
    }

    #[test]
    fn parses_bearer() {
        assert_eq!(bearer_token(Some("Bearer ust_x_y")), Some("ust_x_y"));
        assert_eq!(bearer_token(Some("bearer  abc ")), Some("abc"));
        assert_eq!(bearer_token(Some("Basic abc")), None);
        assert_eq!(bearer_token(Some("Bearer ")), None);
        assert_eq!(bearer_token(None), None);
    }
}
