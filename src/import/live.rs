//! WSO2's database read where it runs: PostgreSQL through the driver userstore already uses,
//! MySQL and MariaDB through `mysqldump` (Debian's `mariadb-client`), whose output the dump
//! reader reads as it reads a dump file. Only the tables the importer needs are read; a table
//! the source lacks is simply absent.

use std::process::Command;

use super::dump::{Table, Tables};
use super::ImportError;

fn source_error(what: impl std::fmt::Display) -> ImportError {
    ImportError::Source(what.to_string())
}

/// Every listed table that exists in the PostgreSQL database at `url`, each column as text.
pub fn postgres_tables<'a>(
    url: &str,
    tables: impl Iterator<Item = &'a str>,
) -> Result<Tables, ImportError> {
    let url = url.replacen("postgresql://", "postgres://", 1);
    let mut client = postgres::Client::connect(&url, postgres::NoTls)
        .map_err(|e| source_error(format!("cannot connect to the WSO2 database: {e}")))?;
    let mut out = Tables::default();
    // One snapshot for every table.
    let mut tx = client
        .build_transaction()
        .read_only(true)
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .start()
        .map_err(source_error)?;
    for table in tables {
        let columns: Vec<String> = tx
            .query(
                "SELECT column_name FROM information_schema.columns
                 WHERE table_schema = current_schema() AND lower(table_name) = lower($1)
                 ORDER BY ordinal_position",
                &[&table],
            )
            .map_err(source_error)?
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect();
        if columns.is_empty() {
            continue;
        }
        let select: Vec<String> = columns
            .iter()
            .map(|c| format!("\"{}\"::text", c.replace('"', "\"\"")))
            .collect();
        let sql = format!(
            "SELECT {} FROM \"{}\"",
            select.join(", "),
            table.to_ascii_lowercase()
        );
        let rows = tx.query(&sql, &[]).map_err(source_error)?;
        let table_rows = rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let values = (0..columns.len())
                    .map(|c| row.get::<_, Option<String>>(c))
                    .collect();
                (i + 1, values)
            })
            .collect();
        out.tables.insert(
            table.to_string(),
            Table {
                columns: columns.iter().map(|c| c.to_ascii_uppercase()).collect(),
                rows: table_rows,
            },
        );
    }
    tx.commit().map_err(source_error)?;
    Ok(out)
}

/// The parts of a `mysql://user:password@host:port/database` URL.
struct MySqlUrl {
    user: Option<String>,
    password: Option<String>,
    host: String,
    port: Option<String>,
    database: String,
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let Some(b) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl MySqlUrl {
    /// `program` (mysql or mysqldump) connected to this server; the password goes through the
    /// environment, never the command line.
    fn client(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command.arg(format!("--host={}", self.host));
        if let Some(port) = &self.port {
            command.arg(format!("--port={port}")).arg("--protocol=TCP");
        }
        if let Some(user) = &self.user {
            command.arg(format!("--user={user}"));
        }
        if let Some(password) = &self.password {
            command.env("MYSQL_PWD", password);
        }
        command
    }
}

fn parse_mysql_url(url: &str) -> Result<MySqlUrl, ImportError> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (authority, database) = rest
        .split_once('/')
        .ok_or_else(|| source_error("the MySQL URL names no database (mysql://user@host/db)"))?;
    let database = database.split('?').next().unwrap_or("").to_string();
    if database.is_empty() {
        return Err(source_error("the MySQL URL names no database"));
    }
    let (credentials, host) = match authority.rsplit_once('@') {
        Some((c, h)) => (Some(c), h),
        None => (None, authority),
    };
    let (user, password) = match credentials.map(|c| c.split_once(':').unwrap_or((c, ""))) {
        Some((u, p)) => (
            Some(percent_decode(u)),
            (!p.is_empty()).then(|| percent_decode(p)),
        ),
        None => (None, None),
    };
    let (host, port) = match host.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), Some(p.to_string())),
        None => (host.to_string(), None),
    };
    Ok(MySqlUrl {
        user,
        password,
        host,
        port,
        database,
    })
}

/// Every listed table that exists in the MySQL/MariaDB database at `url`, through
/// `mysqldump` (one consistent snapshot); the password goes through the environment, never
/// the command line.
pub fn mysql_tables<'a>(
    url: &str,
    tables: impl Iterator<Item = &'a str>,
) -> Result<Tables, ImportError> {
    let url = parse_mysql_url(url)?;
    let mut command = url.client("mysqldump");
    command
        .args([
            "--single-transaction",
            "--no-create-db",
            "--skip-lock-tables",
            "--skip-triggers",
            "--compact",
            "--skip-comments",
        ])
        .arg(&url.database);
    // mysqldump refuses a table that does not exist: ask which ones do first.
    let existing = {
        let out = url
            .client("mysql")
            .args(["--batch", "--skip-column-names"])
            .arg("--execute=SHOW TABLES")
            .arg(&url.database)
            .output()
            .map_err(|e| source_error(format!("cannot run mysql (install mariadb-client): {e}")))?;
        if !out.status.success() {
            return Err(source_error(format!(
                "cannot read the WSO2 database: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let mut any = false;
    for table in tables {
        if let Some(name) = existing.iter().find(|e| e.eq_ignore_ascii_case(table)) {
            command.arg(name);
            any = true;
        }
    }
    if !any {
        return Err(source_error(
            "the MySQL database holds no WSO2 user-store table",
        ));
    }
    let out = command.output().map_err(|e| {
        source_error(format!(
            "cannot run mysqldump (install mariadb-client): {e}"
        ))
    })?;
    if !out.status.success() {
        return Err(source_error(format!(
            "mysqldump failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let text = String::from_utf8(out.stdout)
        .map_err(|_| source_error("mysqldump wrote text that is not UTF-8"))?;
    // --compact leaves out the header that tells the dump reader about backslash escapes.
    Tables::parse(&format!("-- MySQL dump\n{text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_urls() {
        let u = parse_mysql_url("mysql://wso2:p%40ss@127.0.0.1:3307/WSO2_USER_DB").unwrap();
        assert_eq!(u.user.as_deref(), Some("wso2"));
        assert_eq!(u.password.as_deref(), Some("p@ss"));
        assert_eq!(
            (u.host.as_str(), u.port.as_deref()),
            ("127.0.0.1", Some("3307"))
        );
        assert_eq!(u.database, "WSO2_USER_DB");
        assert!(parse_mysql_url("mysql://host").is_err());
    }
}
