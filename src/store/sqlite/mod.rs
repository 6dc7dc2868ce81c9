//! The embedded default backend: one SQLite file in WAL mode, one writer connection and a small
//! pool of readers. Every write runs in one IMMEDIATE transaction.

mod migrations;
mod readers;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql, TransactionBehavior};

use super::sql::{Arg, Conn, Database, Dialect, Row, SqlStore, StoreOptions};
use super::{ChangeListener, StoreResult};

pub use migrations::SCHEMA_VERSION;
use readers::ReaderPool;
pub use readers::WATCH_INTERVAL;

/// Page cache of the writer connection, in KiB (large transactions must not spill pages).
const WRITER_CACHE_KIB: i64 = 8 * 1024;
/// How long a connection waits for a lock held by another process before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The store on SQLite.
pub type SqliteStore = SqlStore<SqliteDb>;

/// SQLite's `synchronous` setting for the writer, in the terms an operator decides by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `FULL`: an acknowledged write survives a power loss (one fsync per commit).
    #[default]
    Full,
    /// `NORMAL`: survives a crash of the process, may lose the last commits on power loss.
    Normal,
}

impl Durability {
    fn pragma(self) -> &'static str {
        match self {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        }
    }
}

/// One SQLite file: the writer connection and the readers.
pub struct SqliteDb {
    writer: Arc<Mutex<Connection>>,
    readers: ReaderPool,
}

/// SQLite keeps allocation statistics behind one process-wide mutex taken on every
/// allocation; nothing here reads them, so they are switched off before the first connection.
fn disable_memory_statistics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config may only run before SQLite initialises; the Once runs it
        // before this process opens its first connection. A failure keeps the default.
        unsafe {
            rusqlite::ffi::sqlite3_config(
                rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS,
                0 as std::os::raw::c_int,
            );
        }
    });
}

fn open_connection(path: &Path, flags: OpenFlags) -> rusqlite::Result<Connection> {
    disable_memory_statistics();
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// Open (creating if needed) the database at `path`, migrate it, and put the store's rules
/// over it.
pub fn open(
    path: &Path,
    options: StoreOptions,
    durability: Durability,
) -> StoreResult<SqliteStore> {
    let mut writer = open_connection(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    writer.pragma_update(None, "journal_mode", "WAL")?;
    writer.pragma_update(None, "synchronous", durability.pragma())?;
    // Large write transactions (bulk import, big role updates) must not spill dirty pages
    // to the WAL statement by statement; the cache only grows to what writes touch.
    writer.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
    // Savepoint and statement journals in memory, not in a temp file written page by page.
    writer.pragma_update(None, "temp_store", "MEMORY")?;
    migrations::migrate(&mut writer)?;
    let writer = Arc::new(Mutex::new(writer));
    let db = SqliteDb {
        readers: ReaderPool::new(path, Arc::downgrade(&writer))?,
        writer,
    };
    SqlStore::new(db, options)
}

impl Database for SqliteDb {
    /// A pooled read-only connection, in a snapshot that includes every write this process
    /// has committed (and other processes' within [`WATCH_INTERVAL`]).
    fn read<T>(&self, f: impl FnOnce(&dyn Conn) -> StoreResult<T>) -> StoreResult<T> {
        let waiting = Instant::now();
        self.readers.read(|conn| {
            metrics::histogram!(super::metrics::POOL_WAIT, "connection" => "reader")
                .record(waiting.elapsed());
            f(conn)
        })
    }

    /// An IMMEDIATE transaction on the writer connection: writers take turns, so `f` runs once.
    fn write<T>(&self, mut f: impl FnMut(&dyn Conn) -> StoreResult<T>) -> StoreResult<T> {
        // The wait covers this process's other writers and, inside BEGIN IMMEDIATE, other
        // processes (the admin CLI) holding the database's write lock.
        let waiting = Instant::now();
        let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        metrics::histogram!(super::metrics::POOL_WAIT, "connection" => "writer")
            .record(waiting.elapsed());
        let value = f(&*tx)?;
        tx.commit()?;
        self.readers.committed();
        Ok(value)
    }

    fn reads_in_place(&self) -> bool {
        true
    }

    /// The readers' watcher tells of the admin CLI's commits within [`WATCH_INTERVAL`].
    /// SQLite cannot say which accounts changed, so every change is
    /// [`OutsideChange::Unknown`](crate::store::OutsideChange::Unknown).
    fn watch_outside_changes(&self, listener: ChangeListener) {
        self.readers.tell_outside_commits(listener);
    }
}

impl ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Arg::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Arg::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Arg::Null => ToSqlOutput::Borrowed(ValueRef::Null),
        })
    }
}

impl Row for rusqlite::Row<'_> {
    fn int(&self, column: usize) -> StoreResult<i64> {
        Ok(self.get(column)?)
    }

    fn text(&self, column: usize) -> StoreResult<String> {
        Ok(self.get(column)?)
    }

    fn opt_text(&self, column: usize) -> StoreResult<Option<String>> {
        Ok(self.get(column)?)
    }
}

impl Conn for Connection {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
        let changed = self
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(args))?;
        Ok(changed as u64)
    }

    fn query(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        each: &mut dyn FnMut(&dyn Row) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        let mut stmt = self.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        while let Some(row) = rows.next()? {
            if !each(row)? {
                break;
            }
        }
        Ok(())
    }
}
