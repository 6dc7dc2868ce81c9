//! The embedded default backend: one SQLite file in WAL mode, one writer connection and a small
//! pool of readers. Every write is atomic on its own; writes that queue behind one another share
//! an IMMEDIATE transaction and its commit (see [`group_commit`]).

mod group_commit;
mod migrations;
mod readers;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql};

use super::sql::{Arg, Conn, Database, Dialect, Row, SqlStore, StoreOptions};
use super::{ChangeListener, StoreResult};

use group_commit::GroupCommit;
pub use migrations::SCHEMA_VERSION;
use readers::ReaderPool;
pub use readers::WATCH_INTERVAL;

/// Page cache of the writer connection, in KiB (large transactions must not spill pages).
const WRITER_CACHE_KIB: i64 = 8 * 1024;
/// How long a connection waits for a lock held by another process before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How many commits pass between two looks at the WAL's length.
const COMMITS_PER_WAL_CHECK: u64 = 32;
/// The WAL length, in pages, past which the writer makes readers give their snapshots up so
/// that the log can start over (16 MiB at the default 4 KiB page).
const WAL_RESTART_PAGES: i64 = 4096;
/// How long the writer waits for busy readers to end their snapshots before it gives up until
/// the next look; writes queue behind it meanwhile.
const WAL_RESTART_WAIT: Duration = Duration::from_millis(100);
/// What a WAL file is cut back to when the log starts over.
const WAL_SIZE_LIMIT_BYTES: i64 = 4096 * WAL_RESTART_PAGES;

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
    // Fields drop in this order: the readers close before the writer, so that the writer is
    // the last connection and SQLite removes the WAL as it closes it.
    readers: ReaderPool,
    writer: Arc<Mutex<Connection>>,
    group_commit: GroupCommit,
    commits: AtomicU64,
}

/// Closing leaves the database in its one file, so that a copy of the file alone, taken after
/// the service stopped, holds every write. SQLite does that when the last connection closes
/// (the field order makes it the writer); this copies the WAL back first in case a connection
/// is still open here, and gives way at once to another process (the server or the CLI) that
/// still uses it.
impl Drop for SqliteDb {
    fn drop(&mut self) {
        let writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let emptied = self.readers.let_go_of_snapshots(|| {
            writer.busy_timeout(Duration::ZERO)?;
            writer.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                r.get::<_, i64>(0)
            })
        });
        if !matches!(emptied, Ok(0)) {
            tracing::debug!("the WAL stays for another connection; it is copied back later");
        }
    }
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

/// Open (creating if needed) the database at `path` and migrate it.
fn open_database(path: &Path, durability: Durability) -> StoreResult<SqliteDb> {
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
    writer.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT_BYTES)?;
    migrations::migrate(&mut writer)?;
    let writer = Arc::new(Mutex::new(writer));
    Ok(SqliteDb {
        readers: ReaderPool::new(path, Arc::downgrade(&writer))?,
        writer,
        group_commit: GroupCommit::default(),
        commits: AtomicU64::new(0),
    })
}

/// Open (creating if needed) the database at `path`, migrate it, and put the store's rules
/// over it.
pub fn open(
    path: &Path,
    options: StoreOptions,
    durability: Durability,
) -> StoreResult<SqliteStore> {
    SqlStore::new(open_database(path, durability)?, options)
}

impl SqliteDb {
    /// Every [`COMMITS_PER_WAL_CHECK`] commits, start the WAL over if it has grown past
    /// [`WAL_RESTART_PAGES`]: the auto-checkpoint copies pages back but cannot restart a log
    /// that some reader's snapshot still needs, and busy readers always hold one.
    fn keep_wal_short(&self, writer: &Connection) {
        if self.commits.fetch_add(1, Ordering::Relaxed) % COMMITS_PER_WAL_CHECK != 0 {
            return;
        }
        // (busy, pages in the log, pages copied back); a failure here is retried next time.
        let Ok(log_pages) =
            writer.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1))
        else {
            return;
        };
        if log_pages <= WAL_RESTART_PAGES {
            return;
        }
        let restarted = self.readers.let_go_of_snapshots(|| {
            writer.busy_timeout(WAL_RESTART_WAIT)?;
            let busy =
                writer.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0));
            writer.busy_timeout(BUSY_TIMEOUT)?;
            busy
        });
        if !matches!(restarted, Ok(0)) {
            tracing::debug!(
                log_pages,
                "the WAL could not start over yet: readers still need it"
            );
        }
    }
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

    /// A write on the writer connection, atomic on its own and durable when it returns: writers
    /// take turns (queued ones share a transaction and its commit), so `f` runs once.
    fn write<T>(&self, mut f: impl FnMut(&dyn Conn) -> StoreResult<T>) -> StoreResult<T> {
        // The wait covers this process's other writers and, inside BEGIN IMMEDIATE, other
        // processes (the admin CLI) holding the database's write lock.
        let waiting = Instant::now();
        self.group_commit.write(
            &self.writer,
            |conn| {
                metrics::histogram!(super::metrics::POOL_WAIT, "connection" => "writer")
                    .record(waiting.elapsed());
                f(conn)
            },
            || self.readers.committed(),
            |conn| self.keep_wal_short(conn),
        )
    }

    fn reads_in_place(&self) -> bool {
        true
    }

    fn writes_share_commits(&self) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    /// Readers that never pause always hold a snapshot, which alone would keep SQLite from
    /// starting the log over: the WAL must still stay near its restart length.
    #[test]
    fn the_wal_starts_over_while_readers_never_pause() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.db");
        let db = Arc::new(open_database(&path, Durability::Normal).unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (db, stop) = (db.clone(), stop.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        db.read(|c| c.query("SELECT count(*) FROM roles", &[], &mut |_| Ok(false)))
                            .unwrap();
                    }
                })
            })
            .collect();
        let wal = dir.path().join("wal.db-wal");
        let filler = "x".repeat(1000);
        let mut largest = 0;
        for commit in 0..3000 {
            db.write(|c| {
                for row in 0..10 {
                    let name = format!("{commit}-{row}-{filler}");
                    c.execute(
                        "INSERT INTO roles (name, name_key, created_at) VALUES (?1, ?1, 0)",
                        &[Arg::Text(&name)],
                    )?;
                }
                Ok(())
            })
            .unwrap();
            largest = largest.max(std::fs::metadata(&wal).unwrap().len());
        }
        stop.store(true, Ordering::Relaxed);
        for reader in readers {
            reader.join().unwrap();
        }
        let bound = 2 * WAL_SIZE_LIMIT_BYTES as u64;
        assert!(
            largest <= bound,
            "the WAL grew to {largest} bytes (bound {bound})"
        );
    }

    #[test]
    fn closing_leaves_every_write_in_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("close.db");
        let db = open_database(&path, Durability::Normal).unwrap();
        db.write(|c| {
            c.execute(
                "INSERT INTO roles (name, name_key, created_at) VALUES ('kept', 'kept', 0)",
                &[],
            )
        })
        .unwrap();
        // A reader holding its snapshot in the pool, as after any read.
        db.read(|c| c.query("SELECT count(*) FROM roles", &[], &mut |_| Ok(false)))
            .unwrap();
        drop(db);
        let wal = dir.path().join("close.db-wal");
        assert_eq!(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0), 0);
        // The file alone, copied without its WAL, holds the write.
        let copy = dir.path().join("copy.db");
        std::fs::copy(&path, &copy).unwrap();
        let conn = Connection::open(&copy).unwrap();
        let kept: i64 = conn
            .query_row("SELECT count(*) FROM roles WHERE name = 'kept'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(kept, 1);
    }
}
