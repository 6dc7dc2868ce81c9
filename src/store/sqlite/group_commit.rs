//! Group commit: writes that queue for the writer connection while another write runs share
//! its transaction and so its one fsync.
//!
//! With `synchronous = FULL` every commit waits for an fsync, and the writer connection is held
//! meanwhile, so a burst of small writes (SCIM PATCHes, setUserClaimValue) was bounded by one
//! fsync per write. Now each write runs alone on the connection as before, in a transaction that
//! stays open while other writes are queued, each joining write inside a SAVEPOINT; the last of
//! them commits, and no write of the batch returns before that commit (and its fsync) succeeded.
//! A write whose statements fail is undone alone (its savepoint, or the transaction it began);
//! if SQLite aborts the whole transaction, or a write panics, every write of the batch fails,
//! and none waits forever.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use rusqlite::Connection;

use crate::store::error::DatabaseError;
use crate::store::{StoreError, StoreResult};

/// The most writes one transaction holds: a bound on what one failed commit takes with it.
const MAX_WRITES_PER_COMMIT: usize = 64;

/// How a batch ended: committed, or why not.
type BatchOutcome = Result<(), String>;

/// The writes of one transaction wait here for its commit.
#[derive(Default)]
struct Batch {
    outcome: Mutex<Option<BatchOutcome>>,
    done: Condvar,
}

impl Batch {
    fn finish(&self, outcome: BatchOutcome) {
        *self.outcome.lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome);
        self.done.notify_all();
    }

    fn wait(&self) -> StoreResult<()> {
        let mut outcome = self.outcome.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(outcome) = outcome.as_ref() {
                return outcome.clone().map_err(shared_commit_failed);
            }
            outcome = self.done.wait(outcome).unwrap_or_else(|p| p.into_inner());
        }
    }
}

fn shared_commit_failed(reason: String) -> StoreError {
    StoreError::Database(DatabaseError::SharedCommitFailed(reason))
}

/// The open transaction and how many writes it holds.
struct Open {
    batch: Arc<Batch>,
    writes: usize,
}

/// Group commit over one writer connection.
#[derive(Default)]
pub(super) struct GroupCommit {
    /// Writes waiting for the connection: while one is, a finished write leaves the transaction
    /// open for it.
    queued: AtomicUsize,
    /// The open transaction; only touched while the writer connection is held.
    open: Mutex<Option<Open>>,
}

impl GroupCommit {
    /// Run `f` as one write on `writer`: atomic on its own, committed (durably, as the
    /// connection's `synchronous` says) when this returns Ok. `committed` runs after each commit
    /// before any write of its batch returns; `after` runs after it, with the connection still
    /// held and no transaction open (for checkpoints).
    pub(super) fn write<T>(
        &self,
        writer: &Mutex<Connection>,
        f: impl FnOnce(&Connection) -> StoreResult<T>,
        committed: impl FnOnce(),
        after: impl FnOnce(&Connection),
    ) -> StoreResult<T> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let conn = writer.lock().unwrap_or_else(|p| p.into_inner());
        self.queued.fetch_sub(1, Ordering::SeqCst);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let began = open.is_none();
        let batch = match open.as_mut() {
            Some(open) => {
                open.writes += 1;
                open.batch.clone()
            }
            None => {
                conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
                let batch = Arc::new(Batch::default());
                *open = Some(Open {
                    batch: batch.clone(),
                    writes: 1,
                });
                batch
            }
        };
        // A write that began the transaction is alone in it: undoing it is a ROLLBACK, with no
        // savepoint (one held open around a large write, such as an import batch with its own
        // per-row savepoints, keeps every row's undo pages until the end).
        let run = || {
            if began {
                Ok(f(&conn))
            } else {
                in_savepoint(&conn, f)
            }
        };
        let result = match catch_unwind(AssertUnwindSafe(run)) {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => {
                // The savepoint could not be undone or released: what this write did cannot
                // be told from the rest, so nothing of the batch is committed.
                abandon(&conn, &mut open, &e.to_string());
                return Err(e.into());
            }
            Err(panic) => {
                abandon(&conn, &mut open, "a write of the transaction panicked");
                resume_unwind(panic)
            }
        };
        if began && result.is_err() {
            abandon(
                &conn,
                &mut open,
                "the write that began the transaction failed",
            );
            return result;
        }
        if conn.is_autocommit() {
            // SQLite rolled the whole transaction back (an I/O error, a full disk): the batch's
            // earlier writes are gone with it.
            let reason = "the database rolled the transaction back";
            abandon(&conn, &mut open, reason);
            return result.and(Err(shared_commit_failed(reason.to_string())));
        }
        let writes = open.as_ref().map_or(0, |o| o.writes);
        if self.queued.load(Ordering::SeqCst) > 0 && writes < MAX_WRITES_PER_COMMIT {
            // A queued write takes the connection next and joins; the last one commits.
            drop(open);
            drop(conn);
            return batch.wait().and(result);
        }
        *open = None;
        drop(open);
        let commit = conn
            .prepare_cached("COMMIT")
            .and_then(|mut s| s.execute([]));
        match commit {
            Ok(_) => {
                committed();
                batch.finish(Ok(()));
                after(&conn);
                result
            }
            Err(e) => {
                if !conn.is_autocommit() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                batch.finish(Err(e.to_string()));
                Err(e.into())
            }
        }
    }
}

/// End the open transaction without committing and fail every write waiting on it.
fn abandon(conn: &Connection, open: &mut MutexGuard<'_, Option<Open>>, reason: &str) {
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    if let Some(open) = open.take() {
        open.batch.finish(Err(reason.to_string()));
    }
}

/// Run `f` in a savepoint of the open transaction, undone alone when `f` fails. The outer
/// error: the savepoint itself failed.
fn in_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> StoreResult<T>,
) -> rusqlite::Result<StoreResult<T>> {
    conn.prepare_cached("SAVEPOINT write")?.execute([])?;
    let result = f(conn);
    if conn.is_autocommit() {
        return Ok(result);
    }
    if result.is_err() {
        conn.prepare_cached("ROLLBACK TO write")?.execute([])?;
    }
    conn.prepare_cached("RELEASE write")?.execute([])?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// A write handed to another thread.
    type Write = Box<dyn FnOnce(&Connection) -> StoreResult<()> + Send>;

    /// A WAL database with a table of names, FULL as the server's default.
    fn database(dir: &tempfile::TempDir) -> Arc<(Mutex<Connection>, GroupCommit)> {
        let conn = Connection::open(dir.path().join("group.db")).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.pragma_update(None, "synchronous", "FULL").unwrap();
        conn.execute_batch("CREATE TABLE names (name TEXT PRIMARY KEY)")
            .unwrap();
        Arc::new((Mutex::new(conn), GroupCommit::default()))
    }

    fn insert(conn: &Connection, name: &str) -> StoreResult<()> {
        conn.execute("INSERT INTO names VALUES (?1)", [name])?;
        Ok(())
    }

    fn names(db: &(Mutex<Connection>, GroupCommit)) -> Vec<String> {
        let conn = db.0.lock().unwrap_or_else(|p| p.into_inner());
        let mut stmt = conn
            .prepare("SELECT name FROM names ORDER BY name")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    }

    /// A first write that holds the connection until `others` are queued behind it, so that
    /// they join its transaction; each result (an error in its Debug form), within 10 s (a
    /// hang fails the test).
    fn queued_behind(
        db: &Arc<(Mutex<Connection>, GroupCommit)>,
        others: Vec<Write>,
    ) -> Vec<Result<(), String>> {
        let count = others.len();
        let (started_tx, started) = mpsc::channel();
        let (results_tx, results) = mpsc::channel();
        let first = {
            let (db, results_tx) = (db.clone(), results_tx.clone());
            std::thread::spawn(move || {
                let result = db.1.write(
                    &db.0,
                    |conn| {
                        insert(conn, "first")?;
                        started_tx.send(()).unwrap();
                        while db.1.queued.load(Ordering::SeqCst) < count {
                            std::thread::sleep(Duration::from_millis(1));
                        }
                        Ok(())
                    },
                    || {},
                    |_| {},
                );
                results_tx
                    .send((0, result.map_err(|e| format!("{e:?}"))))
                    .unwrap();
            })
        };
        started.recv().unwrap();
        for (i, other) in others.into_iter().enumerate() {
            let (db, results_tx) = (db.clone(), results_tx.clone());
            std::thread::spawn(move || {
                let result =
                    catch_unwind(AssertUnwindSafe(|| db.1.write(&db.0, other, || {}, |_| {})));
                let result = match result {
                    Ok(result) => result.map_err(|e| format!("{e:?}")),
                    Err(_) => Err("panicked".to_string()),
                };
                results_tx.send((i + 1, result)).unwrap();
            });
        }
        let mut all = vec![Ok(()); count + 1];
        for _ in 0..=count {
            let (i, result) = results
                .recv_timeout(Duration::from_secs(10))
                .expect("a write of the batch never returned");
            all[i] = result;
        }
        first.join().unwrap();
        all
    }

    #[test]
    fn a_failed_write_undoes_only_itself() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(&dir);
        let results = queued_behind(
            &db,
            vec![
                Box::new(|conn| {
                    insert(conn, "undone")?;
                    Err(StoreError::InvalidInput("refused after writing".into()))
                }),
                Box::new(|conn| insert(conn, "second")),
            ],
        );
        assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
        assert_eq!(
            results[1],
            Err("InvalidInput(\"refused after writing\")".to_string())
        );
        assert_eq!(names(&db), ["first", "second"]);
    }

    #[test]
    fn a_failed_write_alone_in_its_transaction_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(&dir);
        let failed = db.1.write(
            &db.0,
            |conn| {
                insert(conn, "undone")?;
                Err::<(), _>(StoreError::InvalidInput("refused after writing".into()))
            },
            || panic!("nothing was committed"),
            |_| {},
        );
        assert!(matches!(failed, Err(StoreError::InvalidInput(_))));
        db.1.write(&db.0, |conn| insert(conn, "next"), || {}, |_| {})
            .unwrap();
        assert_eq!(names(&db), ["next"]);
    }

    #[test]
    fn a_panicking_write_fails_its_whole_batch_and_nothing_waits_forever() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(&dir);
        let results = queued_behind(
            &db,
            vec![Box::new(|conn| {
                insert(conn, "never")?;
                panic!("a bug in a write");
            })],
        );
        assert!(
            results[0]
                .as_ref()
                .is_err_and(|e| e.contains("SharedCommitFailed")),
            "{results:?}"
        );
        assert_eq!(results[1], Err("panicked".to_string()));
        assert!(names(&db).is_empty());
        // The connection is usable again.
        db.1.write(&db.0, |conn| insert(conn, "after"), || {}, |_| {})
            .unwrap();
        assert_eq!(names(&db), ["after"]);
    }

    /// Under contention writes share commits, each one is there exactly when it succeeded, and
    /// `committed` runs once per commit.
    #[test]
    fn concurrent_writes_share_commits_and_each_lands_or_not_as_it_answered() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(&dir);
        let commits = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let (db, commits) = (db.clone(), commits.clone());
                std::thread::spawn(move || {
                    (0..100)
                        .map(|i| {
                            let name = format!("{t}-{i:03}");
                            let kept = i % 3 != 0;
                            let result = db.1.write(
                                &db.0,
                                |conn| {
                                    insert(conn, &name)?;
                                    if kept {
                                        Ok(())
                                    } else {
                                        Err(StoreError::InvalidInput("no".into()))
                                    }
                                },
                                || {
                                    commits.fetch_add(1, Ordering::SeqCst);
                                },
                                |_| {},
                            );
                            assert_eq!(result.is_ok(), kept, "{name}: {result:?}");
                            kept.then_some(name)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut expected: Vec<String> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .flatten()
            .collect();
        expected.sort();
        assert_eq!(names(&db), expected);
        let commits = commits.load(Ordering::SeqCst);
        assert!(
            commits < 800,
            "{commits} commits for 800 writes: none shared"
        );
    }
}
