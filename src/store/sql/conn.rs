//! The seam between the store's rules and a SQL database: a connection that runs statements
//! with bound arguments and hands back rows, and a database that runs closures in read
//! snapshots and in write transactions. Each backend implements these two traits and nothing
//! else; every rule and every statement is written once, in [`super`].
//!
//! Statements use SQLite's numbered placeholders (`?1`, or `?` in order); a backend whose
//! driver wants another form rewrites them once per statement.

use crate::store::StoreResult;

/// Where the portable subset of SQL runs out, the statements pick by dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// The embedded default.
    Sqlite,
    /// The shared database for several nodes.
    Postgres,
}

/// One bound argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg<'a> {
    /// A 64-bit integer (ids, times, counters).
    Int(i64),
    /// Text.
    Text(&'a str),
    /// SQL NULL.
    Null,
}

impl From<i64> for Arg<'_> {
    fn from(value: i64) -> Self {
        Arg::Int(value)
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(value: &'a str) -> Self {
        Arg::Text(value)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(value: &'a String) -> Self {
        Arg::Text(value)
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(value: Option<&'a str>) -> Self {
        value.map_or(Arg::Null, Arg::Text)
    }
}

/// An owned argument, for statements composed at run time (query filters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A 64-bit integer.
    Int(i64),
    /// Text.
    Text(String),
}

impl Value {
    /// The argument to bind.
    pub fn arg(&self) -> Arg<'_> {
        match self {
            Value::Int(i) => Arg::Int(*i),
            Value::Text(t) => Arg::Text(t),
        }
    }
}

/// Bind arguments from a list of owned values.
pub fn args_of(values: &[Value]) -> Vec<Arg<'_>> {
    values.iter().map(Value::arg).collect()
}

/// One result row; columns by position.
pub trait Row {
    /// An integer column.
    fn int(&self, column: usize) -> StoreResult<i64>;
    /// A text column.
    fn text(&self, column: usize) -> StoreResult<String>;
    /// A text column that may be NULL.
    fn opt_text(&self, column: usize) -> StoreResult<Option<String>>;
}

/// A connection inside a read snapshot or a write transaction.
pub trait Conn {
    /// The dialect, for the few statements that differ.
    fn dialect(&self) -> Dialect;
    /// Run a statement; the number of rows it changed.
    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64>;
    /// Run a query and hand each row to `each` until it returns false.
    fn query(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        each: &mut dyn FnMut(&dyn Row) -> StoreResult<bool>,
    ) -> StoreResult<()>;
}

impl dyn Conn + '_ {
    /// The first row, read by `read`.
    pub fn row<T>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        read: impl FnOnce(&dyn Row) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        let mut read = Some(read);
        let mut found = None;
        self.query(sql, args, &mut |row| {
            if let Some(read) = read.take() {
                found = Some(read(row)?);
            }
            Ok(false)
        })?;
        Ok(found)
    }

    /// Every row, each read by `read`.
    pub fn rows<T>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        mut read: impl FnMut(&dyn Row) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let mut all = Vec::new();
        self.query(sql, args, &mut |row| {
            all.push(read(row)?);
            Ok(true)
        })?;
        Ok(all)
    }

    /// Whether the query returns a row.
    pub fn exists(&self, sql: &str, args: &[Arg<'_>]) -> StoreResult<bool> {
        Ok(self.row(sql, args, |_| Ok(()))?.is_some())
    }

    /// The first column of every row, as text.
    pub fn texts(&self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Vec<String>> {
        self.rows(sql, args, |r| r.text(0))
    }

    /// The integer in the first column of the first row.
    pub fn int(&self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Option<i64>> {
        self.row(sql, args, |r| r.int(0))
    }
}

/// A database the store runs on: read snapshots and write transactions over [`Conn`].
pub trait Database: Send + Sync + 'static {
    /// Run `f` in a snapshot that includes every write this process has acknowledged.
    fn read<T>(&self, f: impl FnOnce(&dyn Conn) -> StoreResult<T>) -> StoreResult<T>;
    /// Run `f` in a write transaction, committed when it returns Ok. A backend whose
    /// transactions can fail to serialise runs `f` again (so it must not have effects outside
    /// the transaction).
    fn write<T>(&self, f: impl FnMut(&dyn Conn) -> StoreResult<T>) -> StoreResult<T>;
    /// Whether a read is cheap and never blocks on the network, so that it may run on the
    /// async executor instead of the blocking pool.
    fn reads_in_place(&self) -> bool;
    /// Whether writes waiting together share one commit (see
    /// [`crate::store::UserStore::writes_share_commits`]).
    fn writes_share_commits(&self) -> bool;
    /// Tell `listener` about changes other processes make (see
    /// [`crate::store::UserStore::watch_outside_changes`]).
    fn watch_outside_changes(&self, listener: crate::store::ChangeListener);
}
