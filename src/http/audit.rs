//! The audit trail: one structured event per login attempt and per state-changing operation,
//! under the tracing target [`TARGET`] (the binary routes it to stdout and, optionally, to a
//! JSON-lines file). Events name who, what, the target, the outcome and the client address,
//! never a secret.

use std::net::SocketAddr;

use crate::service::Caller;

/// tracing target of audit events.
pub const TARGET: &str = "userstore::audit";

/// An HTTP Basic login to the admin API.
pub fn login(client: SocketAddr, user: &str, outcome: &str) {
    tracing::info!(
        target: TARGET,
        event = "login",
        who = user,
        action = "login",
        target = user,
        outcome,
        client = %client,
    );
}

/// An operation that changes state, or an `authenticate` call; a caller that came with an API
/// token is named with the token's label (never the token).
pub fn operation(client: SocketAddr, who: &Caller, action: &str, target: &str, outcome: &str) {
    match who.token.as_deref() {
        Some(token) => tracing::info!(
            target: TARGET,
            event = "operation",
            who = who.name,
            token,
            action,
            target,
            outcome,
            client = %client,
        ),
        None => tracing::info!(
            target: TARGET,
            event = "operation",
            who = who.name,
            action,
            target,
            outcome,
            client = %client,
        ),
    }
}
