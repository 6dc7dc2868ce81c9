//! The shared backend: PostgreSQL, for several userstore nodes on one database. Every write
//! transaction first takes one transaction-scoped advisory lock, so writes from all nodes take
//! turns as SQLite's single writer makes them: every rule that reads before it writes (unique
//! names, lockout counting, membership changes) holds across nodes, and no two writers can
//! deadlock on rows taken in different orders. Reads take no lock and scale with the nodes;
//! they run in REPEATABLE READ, READ ONLY snapshots.
//!
//! The driver is the synchronous `postgres` client (tokio-postgres underneath); every call is
//! made from the blocking pool, never from the async executor (see
//! [`Database::reads_in_place`]).

mod migrations;
mod tls;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};
use postgres::{Client, IsolationLevel, NoTls, Statement, Transaction};

use super::sql::{Arg, Conn, Database, Dialect, Row, SqlStore, StoreOptions, USER_CHANGES_CHANNEL};
use super::{ChangeListener, DatabaseError, OutsideChange, StoreError, StoreResult};

pub use migrations::SCHEMA_VERSION;
use tls::RustlsConnector;

/// How long a request waits for a free connection before it fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long opening a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How many times a write transaction runs before a conflict is reported.
const WRITE_ATTEMPTS: usize = 5;
/// Key of the advisory lock every write transaction holds ("usrwrite" in ASCII).
const WRITE_LOCK: i64 = 0x7573_7277_7269_7465;

/// The store on PostgreSQL.
pub type PostgresStore = SqlStore<PgDb>;

/// A pooled connection with the statements it has prepared.
struct Pooled {
    client: Client,
    statements: HashMap<String, Statement>,
}

struct PoolState {
    idle: Vec<Pooled>,
    open: usize,
}

/// Where the database is and how to reach it. Not `Debug`: the URL may hold a password.
#[derive(Clone)]
pub struct PostgresOptions {
    /// `postgres://…` (`database.url`).
    pub url: String,
    /// Most connections this node opens (`database.max_connections`).
    pub max_connections: usize,
    /// CA certificates (PEM) the server's certificate must chain to (`database.ca_file`); with
    /// it, connections use TLS (and must, with `sslmode=require`).
    pub ca_file: Option<PathBuf>,
}

/// Opens connections, over TLS when a CA file is configured.
#[derive(Clone)]
struct Connector {
    config: postgres::Config,
    tls: Option<RustlsConnector>,
}

impl Connector {
    fn connect(&self) -> Result<Client, postgres::Error> {
        match &self.tls {
            Some(tls) => self.config.connect(tls.clone()),
            None => self.config.connect(NoTls),
        }
    }
}

/// A PostgreSQL database reached through a bounded pool of connections.
pub struct PgDb {
    connector: Connector,
    max_connections: usize,
    state: Mutex<PoolState>,
    freed: Condvar,
}

/// Whether a URL names a PostgreSQL database (`postgres://` or `postgresql://`).
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Connect to the database, migrate it, and put the store's rules over it.
pub fn open(database: &PostgresOptions, options: StoreOptions) -> StoreResult<PostgresStore> {
    let mut config: postgres::Config = database.url.parse().map_err(|e| {
        StoreError::InvalidInput(format!("database.url is not a PostgreSQL URL: {e}"))
    })?;
    let tls = match &database.ca_file {
        Some(ca_file) => Some(RustlsConnector::trusting(ca_file)?),
        None if config.get_ssl_mode() == postgres::config::SslMode::Require => {
            return Err(StoreError::InvalidInput(
                "database.url asks for TLS (sslmode=require): set database.ca_file to the CA \
                 certificate(s) the server's certificate is checked against"
                    .to_string(),
            ));
        }
        None => None,
    };
    config
        .connect_timeout(CONNECT_TIMEOUT)
        .application_name("userstore");
    let db = PgDb {
        connector: Connector { config, tls },
        max_connections: database.max_connections.max(1),
        state: Mutex::new(PoolState {
            idle: Vec::new(),
            open: 0,
        }),
        freed: Condvar::new(),
    };
    let mut first = db.acquire()?;
    let migrated = migrations::migrate(&mut first.client);
    db.release(first);
    migrated?;
    SqlStore::new(db, options)
}

impl PgDb {
    fn connect(&self) -> StoreResult<Pooled> {
        let client = self.connector.connect()?;
        Ok(Pooled {
            client,
            statements: HashMap::new(),
        })
    }

    /// An idle connection, a new one while the pool has room, or the next one freed.
    fn acquire(&self) -> StoreResult<Pooled> {
        let waiting = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            while let Some(pooled) = state.idle.pop() {
                if !pooled.client.is_closed() {
                    metrics::histogram!(super::metrics::POOL_WAIT, "connection" => "postgres")
                        .record(waiting.elapsed());
                    return Ok(pooled);
                }
                state.open -= 1;
            }
            if state.open < self.max_connections {
                state.open += 1;
                drop(state);
                return self.connect_in_slot();
            }
            let left = ACQUIRE_TIMEOUT.saturating_sub(waiting.elapsed());
            if left.is_zero() {
                return Err(StoreError::Database(DatabaseError::Unavailable(format!(
                    "no free PostgreSQL connection within {} s ({} in use)",
                    ACQUIRE_TIMEOUT.as_secs(),
                    self.max_connections
                ))));
            }
            state = self
                .freed
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Give a connection back; a broken one is closed instead.
    fn release(&self, pooled: Pooled) {
        if pooled.client.is_closed() {
            self.forget();
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.idle.push(pooled);
        drop(state);
        self.freed.notify_one();
    }

    /// Count a connection that is gone.
    fn forget(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.open -= 1;
        drop(state);
        self.freed.notify_one();
    }

    /// Run `f` in a transaction of the given kind on a pooled connection. A connection found
    /// broken before anything was sent (the server restarted since it was pooled) is replaced.
    fn transaction<T>(
        &self,
        isolation: IsolationLevel,
        read_only: bool,
        f: impl FnOnce(&dyn Conn) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut f = Some(f);
        let mut pooled = self.acquire()?;
        let mut reconnected = false;
        let result = loop {
            match begin_and_run(&mut pooled, isolation, read_only, &mut f) {
                Ok(result) => break result,
                Err(_) if pooled.client.is_closed() && !reconnected => {
                    pooled = self.connect_in_slot()?;
                    reconnected = true;
                }
                Err(e) => break Err(e.into()),
            }
        };
        self.release(pooled);
        result
    }

    /// A new connection in a slot already counted as open (a new one, or a broken one's); the
    /// slot is given up when connecting fails.
    fn connect_in_slot(&self) -> StoreResult<Pooled> {
        let connected = self.connect();
        if connected.is_err() {
            self.forget();
        }
        connected
    }
}

/// Begin a transaction on `pooled` and run `f` in it, committing on Ok. `Err` when the
/// transaction could not begin (and `f` did not run).
fn begin_and_run<T, F: FnOnce(&dyn Conn) -> StoreResult<T>>(
    pooled: &mut Pooled,
    isolation: IsolationLevel,
    read_only: bool,
    f: &mut Option<F>,
) -> Result<StoreResult<T>, postgres::Error> {
    let Pooled { client, statements } = pooled;
    let tx = client
        .build_transaction()
        .isolation_level(isolation)
        .read_only(read_only)
        .start()?;
    let Some(f) = f.take() else {
        return Ok(Err(StoreError::InvalidInput(
            "a transaction's work ran twice".to_string(),
        )));
    };
    let conn = PgConn {
        tx: RefCell::new(tx),
        statements: RefCell::new(statements),
    };
    Ok(f(&conn).and_then(|value| {
        conn.tx.into_inner().commit()?;
        Ok(value)
    }))
}

/// Whether PostgreSQL refused a write only because a concurrent transaction got in the way (a
/// statement outside the write lock, such as a migration), so that running it again can succeed.
fn is_conflict(error: &StoreError) -> bool {
    let StoreError::Database(DatabaseError::Postgres(e)) = error else {
        return false;
    };
    matches!(
        e.code(),
        Some(&SqlState::T_R_SERIALIZATION_FAILURE)
            | Some(&SqlState::T_R_DEADLOCK_DETECTED)
            | Some(&SqlState::UNIQUE_VIOLATION)
    )
}

impl Database for PgDb {
    fn read<T>(&self, f: impl FnOnce(&dyn Conn) -> StoreResult<T>) -> StoreResult<T> {
        self.transaction(IsolationLevel::RepeatableRead, true, f)
    }

    fn write<T>(&self, mut f: impl FnMut(&dyn Conn) -> StoreResult<T>) -> StoreResult<T> {
        let mut attempt = 1;
        loop {
            let turn = |conn: &dyn Conn| {
                // Held until commit or rollback: each statement after it sees every write
                // committed before this transaction's turn.
                conn.execute("SELECT pg_advisory_xact_lock(?1)", &[WRITE_LOCK.into()])?;
                f(conn)
            };
            match self.transaction(IsolationLevel::ReadCommitted, false, turn) {
                Err(e) if attempt < WRITE_ATTEMPTS && is_conflict(&e) => {
                    metrics::counter!(super::metrics::WRITE_RETRIES).increment(1);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    fn reads_in_place(&self) -> bool {
        false
    }

    /// Each write holds a pooled connection while it waits for the write lock: more of them
    /// waiting would take connections from reads and commit no faster.
    fn writes_share_commits(&self) -> bool {
        false
    }

    /// LISTENs on [`USER_CHANGES_CHANNEL`] on a connection of its own; the store's writes
    /// NOTIFY it at commit, so another node's change is heard within milliseconds. While that
    /// connection is down changes may be missed, so losing it and getting it back each count as
    /// [`OutsideChange::Unknown`]; it is retried every [`RELISTEN_INTERVAL`].
    fn watch_outside_changes(&self, listener: ChangeListener) {
        let connector = self.connector.clone();
        let spawned = std::thread::Builder::new()
            .name("postgres-listen".to_string())
            .spawn(move || loop {
                if let Err(e) = listen(&connector, &listener) {
                    tracing::warn!(error = %e, "lost the PostgreSQL change notifications; retrying");
                }
                listener(OutsideChange::Unknown);
                std::thread::sleep(RELISTEN_INTERVAL);
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot listen for other nodes' writes; cached logins last their TTL");
        }
    }
}

/// How long the change listener waits before it connects again.
const RELISTEN_INTERVAL: Duration = Duration::from_secs(1);

/// Hand every notification on the change channel to `listener` until the connection fails.
fn listen(connector: &Connector, listener: &ChangeListener) -> Result<(), postgres::Error> {
    let mut client = connector.connect()?;
    client.batch_execute(&format!("LISTEN {USER_CHANGES_CHANNEL}"))?;
    // Whatever happened before the LISTEN was not heard.
    listener(OutsideChange::Unknown);
    let mut notifications = client.notifications();
    let mut incoming = notifications.blocking_iter();
    while let Some(notification) = incoming.next()? {
        let key = notification.payload();
        listener(if key.is_empty() {
            OutsideChange::Unknown
        } else {
            OutsideChange::User(key.to_string())
        });
    }
    Ok(())
}

/// A transaction on one connection, as the store's rules see it.
struct PgConn<'c> {
    tx: RefCell<Transaction<'c>>,
    statements: RefCell<&'c mut HashMap<String, Statement>>,
}

/// The statement with PostgreSQL's `$n` placeholders for one written with `?n` or `?`
/// (quoted literals are left alone).
fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let (mut next, mut quoted) = (0, false);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                out.push('$');
                if chars.peek().is_some_and(char::is_ascii_digit) {
                    while let Some(d) = chars.next_if(char::is_ascii_digit) {
                        out.push(d);
                    }
                } else {
                    next += 1;
                    out.push_str(&next.to_string());
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The SQL NULL bound for [`Arg::Null`] (every nullable column is text).
const NULL_TEXT: Option<&str> = None;

impl PgConn<'_> {
    fn statement(&self, sql: &str) -> StoreResult<Statement> {
        if let Some(statement) = self.statements.borrow().get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.tx.borrow_mut().prepare(&numbered_placeholders(sql))?;
        self.statements
            .borrow_mut()
            .insert(sql.to_string(), statement.clone());
        Ok(statement)
    }
}

fn params<'a>(args: &'a [Arg<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    args.iter()
        .map(|arg| match arg {
            Arg::Int(i) => i as &(dyn ToSql + Sync),
            Arg::Text(t) => t as &(dyn ToSql + Sync),
            Arg::Null => &NULL_TEXT as &(dyn ToSql + Sync),
        })
        .collect()
}

impl Conn for PgConn<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
        let statement = self.statement(sql)?;
        Ok(self.tx.borrow_mut().execute(&statement, &params(args))?)
    }

    fn query(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        each: &mut dyn FnMut(&dyn Row) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        let statement = self.statement(sql)?;
        let rows = self.tx.borrow_mut().query(&statement, &params(args))?;
        for row in &rows {
            if !each(row)? {
                break;
            }
        }
        Ok(())
    }
}

impl Row for postgres::Row {
    fn int(&self, column: usize) -> StoreResult<i64> {
        let column_type = self.columns().get(column).map(|c| c.type_().clone());
        Ok(match column_type {
            Some(Type::INT4) => i64::from(self.try_get::<_, i32>(column)?),
            Some(Type::INT2) => i64::from(self.try_get::<_, i16>(column)?),
            _ => self.try_get::<_, i64>(column)?,
        })
    }

    fn text(&self, column: usize) -> StoreResult<String> {
        Ok(self.try_get(column)?)
    }

    fn opt_text(&self, column: usize) -> StoreResult<Option<String>> {
        Ok(self.try_get(column)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_literals() {
        assert_eq!(
            numbered_placeholders("a = ?1 AND b LIKE '?%' AND c = ?2"),
            "a = $1 AND b LIKE '?%' AND c = $2"
        );
        assert_eq!(
            numbered_placeholders("x IN (?, ?) LIMIT ?"),
            "x IN ($1, $2) LIMIT $3"
        );
    }
}
