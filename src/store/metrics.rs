//! Names of the metrics the store records (through the `metrics` facade; they cost nothing
//! until the server installs an exporter). No label ever carries a user name.

/// Failed logins (HTTP Basic and the authenticate operation), by reason label.
pub const AUTH_FAILURES: &str = "userstore_authentication_failures_total";
/// Accounts locked by the brute-force policy.
pub const LOCKOUTS: &str = "userstore_lockouts_total";
/// Seconds spent getting a database connection (reader) or write transaction (writer).
pub const POOL_WAIT: &str = "userstore_db_pool_wait_seconds";
/// Write transactions run again after a serialisation conflict with another transaction.
pub const WRITE_RETRIES: &str = "userstore_db_write_retries_total";
