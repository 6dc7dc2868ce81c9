//! Read connections that keep their snapshot open between requests.
//!
//! Starting and ending a WAL read transaction costs more than the indexed lookups most reads
//! are (a process-wide mutex, an `fcntl` lock on the `-shm` file, parsing BEGIN/COMMIT), so a
//! pooled reader keeps its read transaction open and starts a new one only when the database
//! has changed since. "Changed" is a counter, the store generation: this process's writer
//! advances it after each commit (so a reply that follows a write always sees it), and a
//! watcher thread advances it when the writer connection's `PRAGMA data_version` moves, which
//! it does only when another process (the admin CLI) commits. Such outside writes are therefore
//! seen within [`WATCH_INTERVAL`], and told to the store's change listener. The watcher also
//! ends the snapshots of idle readers that have fallen behind, so that an idle connection never
//! pins old WAL frames.
//!
//! Busy readers still always hold some snapshot, and SQLite starts the WAL over only when no
//! reader needs it, so under reads beside writes the log would grow for as long as the load
//! lasts. [`ReaderPool::let_go_of_snapshots`] is the writer's way out: while it runs, idle
//! readers' snapshots are ended and busy readers end theirs when their request returns.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::open_connection;
use crate::store::{ChangeListener, OutsideChange, StoreResult};

/// How often the watcher looks for commits made by other processes: the bound on how stale a
/// read can be after a write through the admin CLI.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(20);
/// How many idle read connections are kept open.
const MAX_IDLE_READERS: usize = 8;

/// A read connection and the generation its open read transaction was started at.
struct Reader {
    conn: Connection,
    snapshot: Option<u64>,
}

impl Reader {
    /// End the open read transaction, if any.
    fn end_snapshot(&mut self) {
        if !self.conn.is_autocommit() {
            // Ending a read transaction does not fail; if it did, the BEGIN that follows fails
            // and the connection is dropped instead of going back to the pool.
            let _ = self
                .conn
                .prepare_cached("COMMIT")
                .and_then(|mut s| s.execute([]));
        }
        self.snapshot = None;
    }

    /// Make the open snapshot at least as new as `generation`.
    fn refresh(&mut self, generation: u64) -> rusqlite::Result<()> {
        if self.snapshot == Some(generation) && !self.conn.is_autocommit() {
            return Ok(());
        }
        self.end_snapshot();
        // DEFERRED: the snapshot is taken by the first read, which follows this load of the
        // generation, so it includes every commit the generation counts.
        self.conn.prepare_cached("BEGIN")?.execute([])?;
        self.snapshot = Some(generation);
        Ok(())
    }
}

struct Shared {
    path: PathBuf,
    generation: AtomicU64,
    idle: Mutex<Vec<Reader>>,
    listener: Mutex<Option<ChangeListener>>,
    /// Set while the writer waits for every snapshot to end: readers end theirs on return.
    letting_go: AtomicBool,
}

/// The pool of read connections over one database file.
pub struct ReaderPool {
    shared: Arc<Shared>,
}

impl ReaderPool {
    /// A pool over the database at `path` whose `writer` is this process's writer
    /// connection, with its watcher thread (which ends when the pool or the writer is dropped).
    pub fn new(path: &Path, writer: Weak<Mutex<Connection>>) -> StoreResult<Self> {
        let shared = Arc::new(Shared {
            path: path.to_path_buf(),
            generation: AtomicU64::new(0),
            idle: Mutex::new(Vec::new()),
            listener: Mutex::new(None),
            letting_go: AtomicBool::new(false),
        });
        let weak = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("sqlite-watch".to_string())
            .spawn(move || watch(writer, weak))?;
        Ok(Self { shared })
    }

    /// Tell `listener` of each commit another process makes, as the watcher notices it.
    pub fn tell_outside_commits(&self, listener: ChangeListener) {
        *self
            .shared
            .listener
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(listener);
    }

    /// Note a commit made by this process, before its caller replies.
    pub fn committed(&self) {
        self.shared.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Run `f` in a snapshot that includes every commit counted so far.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let pooled = self
            .shared
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop();
        let mut reader = match pooled {
            Some(reader) => reader,
            None => Reader {
                conn: open_connection(&self.shared.path, read_only())?,
                snapshot: None,
            },
        };
        reader.refresh(self.shared.generation.load(Ordering::SeqCst))?;
        let result = f(&reader.conn);
        let mut idle = self.shared.idle.lock().unwrap_or_else(|p| p.into_inner());
        // Read under the lock that `let_go_of_snapshots` sweeps under: a reader either sees the
        // flag here or is swept after it is pushed.
        if self.shared.letting_go.load(Ordering::SeqCst) {
            reader.end_snapshot();
        }
        if idle.len() < MAX_IDLE_READERS {
            idle.push(reader);
        }
        result
    }

    /// Run `wait`, which waits for no reader to hold a snapshot, while idle readers have theirs
    /// ended and busy ones end theirs as they return; snapshots begun meanwhile are new ones.
    pub fn let_go_of_snapshots<T>(&self, wait: impl FnOnce() -> T) -> T {
        self.shared.letting_go.store(true, Ordering::SeqCst);
        for reader in self
            .shared
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter_mut()
        {
            reader.end_snapshot();
        }
        let value = wait();
        self.shared.letting_go.store(false, Ordering::SeqCst);
        value
    }
}

fn read_only() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
}

/// Advance the generation on outside commits, tell the listener of them, and end idle readers'
/// stale snapshots, until the pool or the writer is gone.
fn watch(writer: Weak<Mutex<Connection>>, shared: Weak<Shared>) {
    // The writer's data_version moves only when another connection commits; this process's
    // own commits count through `committed`.
    let data_version = |writer: &Mutex<Connection>| -> Option<i64> {
        let conn = writer.lock().unwrap_or_else(|p| p.into_inner());
        conn.pragma_query_value(None, "data_version", |r| r.get(0))
            .ok()
    };
    let mut seen = writer.upgrade().and_then(|w| data_version(&w));
    loop {
        std::thread::sleep(WATCH_INTERVAL);
        let (Some(shared), Some(writer)) = (shared.upgrade(), writer.upgrade()) else {
            return;
        };
        let now = data_version(&writer);
        drop(writer);
        if now != seen {
            seen = now;
            shared.generation.fetch_add(1, Ordering::SeqCst);
            let listener = shared
                .listener
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            if let Some(listener) = listener {
                listener(OutsideChange::Unknown);
            }
        }
        let current = shared.generation.load(Ordering::SeqCst);
        let mut idle = shared.idle.lock().unwrap_or_else(|p| p.into_inner());
        for reader in idle.iter_mut() {
            if reader.snapshot.is_some_and(|s| s != current) {
                reader.end_snapshot();
            }
        }
    }
}
