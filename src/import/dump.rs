//! SQL dumps read as tables of text: pg_dump (its default `COPY … FROM stdin` blocks and
//! `--inserts`), mysqldump and MariaDB's, and H2's `SCRIPT TO` output (WSO2's embedded default).
//! Only what the WSO2 importer needs: `CREATE TABLE` for column order, `INSERT` (with or without
//! a column list, one or many rows) and `COPY` data; every other statement is passed over. A
//! dump that ends inside a statement, a string or a `COPY` block is truncated, and refused.

use std::collections::HashMap;

use super::ImportError;

/// One table's rows: each with the line it starts on, values by column (`None` is NULL).
#[derive(Debug, Default, Clone)]
pub struct Table {
    /// Column names, upper-cased, when the dump names them (`CREATE TABLE`, a column list).
    pub columns: Vec<String>,
    /// Rows: the line each starts on, and its values in column order.
    pub rows: Vec<(usize, Vec<Option<String>>)>,
}

/// The column names a row is read with: the dump's, or the ones known for the table.
#[derive(Debug, Clone, Copy)]
enum Columns<'a> {
    Dumped(&'a [String]),
    Known(&'static [&'static str]),
}

/// One row, read by column name.
#[derive(Debug, Clone, Copy)]
pub struct RowRef<'a> {
    /// The line of the dump it starts on.
    pub line: usize,
    values: &'a [Option<String>],
    columns: Columns<'a>,
}

impl<'a> RowRef<'a> {
    /// The value of `column` (upper-case), `None` when NULL or absent.
    pub fn get(&self, column: &str) -> Option<&'a str> {
        let index = match self.columns {
            Columns::Dumped(names) => names.iter().position(|c| c == column),
            Columns::Known(names) => names.iter().position(|c| *c == column),
        }?;
        self.values.get(index)?.as_deref()
    }
}

/// The tables a dump holds, by upper-cased name without schema (`UM_USER`).
#[derive(Debug, Default)]
pub struct Tables {
    /// The tables.
    pub tables: HashMap<String, Table>,
}

/// How strings escape: MySQL's dumps use backslashes, the others only double quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Standard,
    MySql,
}

fn truncated(what: &str) -> ImportError {
    ImportError::Source(format!(
        "the dump is truncated (it ends inside {what}); nothing was imported"
    ))
}

/// A table name as written (`public.um_user`, `` `UM_USER` ``, `"PUBLIC"."UM_USER"`) without
/// schema and quotes, upper-cased.
fn table_name(raw: &str) -> String {
    let last = raw.rsplit('.').next().unwrap_or(raw);
    last.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']')
        .to_ascii_uppercase()
}

/// Split `text` at top-level commas (outside quotes and parentheses).
fn split_top(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut current) = (0i32, None::<char>, String::new());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                current.push(c);
                if chars.peek() == Some(&q) {
                    current.push(chars.next().unwrap_or(q));
                } else {
                    quote = None;
                }
                continue;
            }
            (Some(_), '\\') => {
                current.push(c);
                if let Some(next) = chars.next() {
                    current.push(next);
                }
                continue;
            }
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(std::mem::take(&mut current).trim().to_string());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        parts.push(current.trim().to_string());
    }
    parts
}

/// The column names of a `CREATE TABLE name (...)`.
fn create_columns(body: &str) -> Vec<String> {
    split_top(body)
        .iter()
        .filter_map(|item| {
            let first = item.split_whitespace().next()?;
            let keyword = first.to_ascii_uppercase();
            if [
                "PRIMARY",
                "UNIQUE",
                "FOREIGN",
                "CONSTRAINT",
                "KEY",
                "INDEX",
                "CHECK",
                "FULLTEXT",
            ]
            .contains(&keyword.as_str())
            {
                return None;
            }
            Some(table_name(first))
        })
        .collect()
}

/// One SQL literal as text; `None` for NULL.
fn literal(raw: &str, flavour: Flavour) -> Result<Option<String>, String> {
    let raw = raw.trim();
    if raw.eq_ignore_ascii_case("NULL") {
        return Ok(None);
    }
    let upper = raw.to_ascii_uppercase();
    // H2 writes non-ASCII text as STRINGDECODE('\u00e9…').
    if upper.starts_with("STRINGDECODE(") && raw.ends_with(')') {
        let inner = literal(&raw[13..raw.len() - 1], flavour)?.unwrap_or_default();
        return java_unescape(&inner).map(Some);
    }
    // CAST('…' AS TYPE), TIMESTAMP '…', _binary '…', N'…', E'…'
    if upper.starts_with("CAST(") && raw.ends_with(')') {
        let inner = &raw[5..raw.len() - 1];
        let value = match inner.to_ascii_uppercase().rfind(" AS ") {
            Some(at) => &inner[..at],
            None => inner,
        };
        return literal(value, flavour);
    }
    if let Some(at) = raw.find('\'') {
        let prefix = raw[..at].trim().to_ascii_uppercase();
        let backslashes = flavour == Flavour::MySql || prefix == "E";
        if !raw.ends_with('\'') || raw.len() < at + 2 {
            return Err(format!("a malformed string: {raw}"));
        }
        let body = &raw[at + 1..raw.len() - 1];
        return unquote(body, backslashes).map(|text| {
            if prefix == "X" {
                hex_text(&text)
            } else {
                Some(text)
            }
        });
    }
    if upper == "TRUE" || upper == "FALSE" {
        return Ok(Some(upper.to_ascii_lowercase()));
    }
    Ok(Some(raw.to_string()))
}

fn hex_text(hex: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

/// A string literal's body: `''` is a quote; with `backslashes`, MySQL's escapes too.
fn unquote(body: &str, backslashes: bool) -> Result<String, String> {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                if chars.next() != Some('\'') {
                    return Err("a lone quote inside a string".into());
                }
                out.push('\'');
            }
            '\\' if backslashes => match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('0') => out.push('\0'),
                Some('b') => out.push('\u{8}'),
                Some('Z') => out.push('\u{1a}'),
                Some(other) => out.push(other),
                None => return Err("a string ends in a backslash".into()),
            },
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Java's `\uXXXX` (and `\\`, `\n`, `\t`) escapes, as H2's STRINGDECODE takes them.
fn java_unescape(text: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let unit = u32::from_str_radix(&hex, 16).map_err(|_| "a bad \\u escape")?;
                out.push(char::from_u32(unit).unwrap_or('\u{fffd}'));
            }
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => return Err("an escape at the end".into()),
        }
    }
    Ok(out)
}

/// A `COPY` data field: `\N` is NULL, backslash escapes as pg_dump writes them.
fn copy_field(field: &str) -> Option<String> {
    if field == "\\N" {
        return None;
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some(d @ '0'..='7') => {
                let mut code = d.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(next) => {
                            code = code * 8 + next;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Some(out)
}

impl Tables {
    /// Read a dump's text.
    pub fn parse(text: &str) -> Result<Tables, ImportError> {
        let flavour = if text.lines().take(5).any(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("mysql dump") || l.contains("mariadb dump")
        }) {
            Flavour::MySql
        } else {
            Flavour::Standard
        };
        let mut tables = Tables::default();
        let mut statement = String::new();
        let mut start_line = 0;
        let (mut quote, mut line_no) = (None::<char>, 0usize);
        let mut lines = text.split_inclusive('\n');
        while let Some(line) = lines.next() {
            line_no += 1;
            if quote.is_none() && statement.trim().is_empty() {
                let trimmed = line.trim_start();
                // Comments, and psql's meta-commands (pg_dump's `\restrict`, `\connect`).
                if trimmed.starts_with("--")
                    || trimmed.starts_with('#')
                    || trimmed.starts_with('\\')
                    || trimmed.is_empty()
                {
                    continue;
                }
                start_line = line_no;
            }
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                match quote {
                    Some(q) if c == q => {
                        if chars.peek() == Some(&q) {
                            statement.push(c);
                            chars.next();
                        } else {
                            quote = None;
                        }
                    }
                    Some(_) if c == '\\' && flavour == Flavour::MySql => {
                        statement.push(c);
                        if let Some(next) = chars.next() {
                            statement.push(next);
                        }
                        continue;
                    }
                    Some(_) => {}
                    None if c == '\'' || c == '"' || c == '`' => quote = Some(c),
                    None if c == ';' => {
                        let done = std::mem::take(&mut statement);
                        let copy = tables.statement(done.trim(), start_line, flavour)?;
                        if let Some((table, columns)) = copy {
                            line_no = tables.copy_block(&mut lines, line_no, table, columns)?;
                        }
                        start_line = line_no;
                        continue;
                    }
                    None => {}
                }
                statement.push(c);
            }
        }
        if quote.is_some() {
            return Err(truncated("a string"));
        }
        if !statement.trim().is_empty() {
            return Err(truncated("a statement"));
        }
        Ok(tables)
    }

    /// Handle one statement; for `COPY … FROM stdin`, the table and columns whose data lines
    /// follow.
    fn statement(
        &mut self,
        sql: &str,
        line: usize,
        flavour: Flavour,
    ) -> Result<Option<(String, Vec<String>)>, ImportError> {
        let upper = sql.to_ascii_uppercase();
        let bad = |what: &str| ImportError::Source(format!("line {line}: {what}"));
        if upper.starts_with("CREATE") && upper.contains("TABLE") {
            let open = sql
                .find('(')
                .ok_or_else(|| bad("a CREATE TABLE without columns"))?;
            let close = sql
                .rfind(')')
                .ok_or_else(|| bad("a CREATE TABLE without ')'"))?;
            let head: Vec<&str> = sql[..open].split_whitespace().collect();
            let name = table_name(head.last().copied().unwrap_or(""));
            let table = self.tables.entry(name).or_default();
            if table.columns.is_empty() {
                table.columns = create_columns(&sql[open + 1..close]);
            }
            return Ok(None);
        }
        if upper.starts_with("COPY ") && upper.contains("FROM STDIN") {
            let rest = &sql[5..];
            let (name, columns) = match (rest.find('('), rest.find(')')) {
                (Some(open), Some(close)) if open < close => (
                    &rest[..open],
                    split_top(&rest[open + 1..close])
                        .iter()
                        .map(|c| table_name(c))
                        .collect(),
                ),
                _ => (rest.split_whitespace().next().unwrap_or(""), Vec::new()),
            };
            return Ok(Some((table_name(name.trim()), columns)));
        }
        if upper.starts_with("INSERT INTO ") {
            self.insert(sql, line, flavour)?;
        }
        Ok(None)
    }

    fn insert(&mut self, sql: &str, line: usize, flavour: Flavour) -> Result<(), ImportError> {
        let bad = |what: String| ImportError::Source(format!("line {line}: {what}"));
        let upper = sql.to_ascii_uppercase();
        let values_at = upper
            .find("VALUES")
            .ok_or_else(|| bad("an INSERT without VALUES".into()))?;
        let target = sql[12..values_at].trim();
        let (name, columns) = match target.find('(') {
            Some(open) => (
                &target[..open],
                split_top(target[open + 1..].trim_end().trim_end_matches(')'))
                    .iter()
                    .map(|c| table_name(c))
                    .collect::<Vec<_>>(),
            ),
            None => (target, Vec::new()),
        };
        let table = self.tables.entry(table_name(name.trim())).or_default();
        let order = if columns.is_empty() {
            None
        } else {
            Some(columns)
        };
        let values_text = &sql[values_at + 6..];
        let mut cursor = 0;
        for tuple in split_top(values_text) {
            let tuple = tuple.trim();
            // The line the row starts on, for reports.
            let at = values_text[cursor..]
                .find(tuple)
                .map_or(cursor, |i| cursor + i);
            let row_line = line
                + values_text[..at].matches('\n').count()
                + sql[..values_at].matches('\n').count();
            cursor = at + tuple.len();
            let inner = tuple
                .strip_prefix('(')
                .and_then(|t| t.strip_suffix(')'))
                .ok_or_else(|| bad(format!("a malformed row: {tuple}")))?;
            let values = split_top(inner)
                .iter()
                .map(|v| literal(v, flavour))
                .collect::<Result<Vec<_>, _>>()
                .map_err(bad)?;
            table
                .rows
                .push((row_line, reorder(&table.columns, order.as_deref(), values)));
        }
        Ok(())
    }

    /// Read `COPY` data lines up to `\.`; the last line number read.
    fn copy_block<'a>(
        &mut self,
        lines: &mut impl Iterator<Item = &'a str>,
        mut line_no: usize,
        table: String,
        columns: Vec<String>,
    ) -> Result<usize, ImportError> {
        let entry = self.tables.entry(table).or_default();
        let order = (!columns.is_empty()).then_some(columns);
        loop {
            let Some(line) = lines.next() else {
                return Err(truncated("a COPY block"));
            };
            line_no += 1;
            let line = line.trim_end_matches(['\n', '\r']);
            if line == "\\." {
                return Ok(line_no);
            }
            let values = line.split('\t').map(copy_field).collect();
            entry
                .rows
                .push((line_no, reorder(&entry.columns, order.as_deref(), values)));
        }
    }

    /// Rows of `name`, read by column name; `fallback` gives the columns when the dump named
    /// none. The rows are borrowed, not copied: a million users' tables are read once.
    pub fn rows<'a>(&'a self, name: &str, fallback: &'static [&'static str]) -> Vec<RowRef<'a>> {
        let Some(table) = self.tables.get(name) else {
            return Vec::new();
        };
        let columns = if table.columns.is_empty() {
            Columns::Known(fallback)
        } else {
            Columns::Dumped(&table.columns)
        };
        table
            .rows
            .iter()
            .map(|(line, values)| RowRef {
                line: *line,
                values,
                columns,
            })
            .collect()
    }

    /// Whether the dump has table `name`.
    pub fn has(&self, name: &str) -> bool {
        self.tables.contains_key(name)
    }
}

/// Values given in `order` (a column list) put into the table's column order, when both are
/// known; else as given.
fn reorder(
    table_columns: &[String],
    order: Option<&[String]>,
    values: Vec<Option<String>>,
) -> Vec<Option<String>> {
    match order {
        Some(order) if !table_columns.is_empty() => table_columns
            .iter()
            .map(|c| {
                order
                    .iter()
                    .position(|o| o == c)
                    .and_then(|i| values.get(i).cloned().flatten())
            })
            .collect(),
        _ => values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_dump_formats() {
        let pg = "-- PostgreSQL database dump\nCREATE TABLE public.um_user (\n    um_id integer NOT NULL,\n    um_user_name character varying(255) NOT NULL,\n    um_salt_value character varying(31)\n);\nCOPY public.um_user (um_id, um_user_name, um_salt_value) FROM stdin;\n1\tadmin\t\\N\n2\tzo\\303\\253\tab\\tc\n\\.\nINSERT INTO public.um_user VALUES (3, 'o''brien', NULL);\n";
        let t = Tables::parse(pg).unwrap();
        let rows = t.rows("UM_USER", &[]);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].get("UM_USER_NAME").unwrap(), "admin");
        assert!(rows[0].get("UM_SALT_VALUE").is_none());
        assert_eq!(rows[1].get("UM_SALT_VALUE").unwrap(), "ab\tc");
        assert_eq!(rows[2].get("UM_USER_NAME").unwrap(), "o'brien");
        let my =
            "-- MySQL dump 10.13\nINSERT INTO `UM_USER` VALUES (1,'a\\'b','x;y'),(2,'c',NULL);\n";
        let t = Tables::parse(my).unwrap();
        let rows = t.rows("UM_USER", &["UM_ID", "UM_USER_NAME", "UM_SALT_VALUE"]);
        assert_eq!(rows[0].get("UM_USER_NAME").unwrap(), "a'b");
        assert_eq!(rows[0].get("UM_SALT_VALUE").unwrap(), "x;y");
        assert_eq!(rows.len(), 2);
        let h2 = "CREATE CACHED TABLE \"PUBLIC\".\"UM_USER\"(\n    \"UM_ID\" INTEGER NOT NULL,\n    \"UM_USER_NAME\" VARCHAR(255)\n);\nINSERT INTO \"PUBLIC\".\"UM_USER\" VALUES\n(1, STRINGDECODE('zo\\u00eb')),\n(2, 'bob');\n";
        let t = Tables::parse(h2).unwrap();
        let rows = t.rows("UM_USER", &[]);
        assert_eq!(rows[0].get("UM_USER_NAME").unwrap(), "zoë");
        assert_eq!(rows[1].line, 7);
    }

    #[test]
    fn truncated_dumps_are_refused() {
        for text in [
            "INSERT INTO t VALUES (1, 'abc",
            "INSERT INTO t VALUES (1, 2)",
            "COPY t (a) FROM stdin;\n1\n",
        ] {
            assert!(Tables::parse(text).is_err(), "{text}");
        }
    }
}
