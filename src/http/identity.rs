//! Who is calling, as Carbon's authenticators decide it: a live session (`JSESSIONID`), an API
//! token (`Authorization: Bearer`, as Carbon's OAuth authenticator takes a token) or HTTP
//! Basic credentials. Recently verified credentials are recognised without hashing, on the
//! executor; only a miss pays for argon2 on the blocking pool, is audited as a login, and opens
//! a session (returned for the cookie). A token costs one read and opens no session. Each
//! protocol writes the refusals its own way.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, COOKIE};
use hyper::Request as HttpRequest;

use super::{audit, auth, blocking, blocking_read, header, AppState, ClientInfo};
use crate::service::{AuthFailure, Caller};
use crate::store::AuthOutcome;

/// The name of Carbon's (Tomcat's) session cookie.
pub(super) const SESSION_COOKIE: &str = "JSESSIONID";

/// Why a request has no caller.
#[derive(Debug)]
pub(super) enum Refusal {
    /// No usable credentials at all (Carbon: 401 challenge).
    NoCredentials,
    /// Wrong password, unknown, locked or disabled user.
    Refused,
    /// An unknown, wrong, revoked or expired bearer token, or one whose user is locked or
    /// disabled (answered 401 with a `Bearer` challenge).
    BadToken,
    /// Checking failed for a system error (logged).
    SystemError,
    /// The right password of a user who must change it: only a change of the caller's own
    /// password (SCIM `/Me`) may go on, as this caller, which holds no permission.
    PasswordChangeRequired(Caller),
}

/// The `JSESSIONID` a request carries, if any.
pub(super) fn session_cookie(req: &HttpRequest<Incoming>) -> Option<String> {
    req.headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE && !value.is_empty()).then(|| value.trim().to_string())
        })
}

/// The caller and, when this request opened one, the new session's id.
pub(super) async fn identify(
    req: &HttpRequest<Incoming>,
    client: ClientInfo,
    state: &Arc<AppState>,
) -> Result<(Caller, Option<String>), Refusal> {
    if let Some(id) = session_cookie(req) {
        match state.service.session_caller(&id) {
            Ok(Some(caller)) => return Ok((caller, None)),
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "session check failed");
                return Err(Refusal::SystemError);
            }
        }
    }
    if let Some(bearer) = auth::bearer_token(header(req, AUTHORIZATION)) {
        return token_caller(bearer.to_string(), client, state).await;
    }
    let Some((user, password)) = auth::basic_credentials(header(req, AUTHORIZATION)) else {
        return Err(Refusal::NoCredentials);
    };
    if let Some((hit, session)) = state.service.cached_caller(&user, &password) {
        if hit.refresh_due {
            // Re-verify before the entry expires, off the request's path.
            let service = state.service.clone();
            let login = user.clone();
            tokio::task::spawn_blocking(move || service.refresh_caller(&login, password));
        }
        return Ok((hit.caller, Some(session)));
    }
    let service = state.service.clone();
    let login = user.clone();
    match blocking(state, move || service.authenticate_caller(&login, password)).await {
        Some(Ok(verified)) => {
            audit::login(client.peer, &user, AuthOutcome::Success.label());
            Ok(verified)
        }
        Some(Err(AuthFailure::Unauthenticated(outcome))) => {
            audit::login(client.peer, &user, outcome.label());
            Err(Refusal::Refused)
        }
        Some(Err(AuthFailure::PasswordChangeRequired(caller))) => {
            audit::login(
                client.peer,
                &user,
                AuthOutcome::PasswordChangeRequired.label(),
            );
            Err(Refusal::PasswordChangeRequired(caller))
        }
        Some(Err(AuthFailure::Failed(e))) => {
            tracing::error!(error = %e, "authentication failed with a system error");
            Err(Refusal::SystemError)
        }
        None => Err(Refusal::SystemError),
    }
}

/// The caller a bearer token acts as: read where the store's reads are cheap, else on the
/// blocking pool. The token itself is never logged; a refusal is audited without it.
async fn token_caller(
    bearer: String,
    client: ClientInfo,
    state: &Arc<AppState>,
) -> Result<(Caller, Option<String>), Refusal> {
    let checked = if state.service.reads_in_place() {
        Some(state.service.token_caller(&bearer))
    } else {
        let service = state.service.clone();
        blocking_read(state, move || service.token_caller(&bearer)).await
    };
    match checked {
        Some(Ok(Some(caller))) => Ok((caller, None)),
        Some(Ok(None)) => {
            audit::login(client.peer, "-", "bad_token");
            Err(Refusal::BadToken)
        }
        Some(Err(e)) => {
            tracing::error!(error = %e, "token check failed with a system error");
            Err(Refusal::SystemError)
        }
        None => Err(Refusal::SystemError),
    }
}
