//! `userstore config check`: every problem in a config file at once, each with its line, so an
//! operator fixes a file in one pass instead of one start-up failure at a time.

use std::fmt;
use std::path::Path;

use serde::Deserialize;

use super::Config;

/// One problem in a config file, located by line when the file spells the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line of the key (or of the syntax error).
    pub line: Option<usize>,
    /// Dotted key path, or what the message is about.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}: {}", self.key, self.message),
            None => write!(f, "{}: {}", self.key, self.message),
        }
    }
}

/// Check a config file on its own (environment overrides are not applied): unknown keys, wrong
/// types and out-of-range values, all of them, in file order.
pub fn check_file(path: &Path) -> Result<Config, Vec<Diagnostic>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![Diagnostic {
            line: None,
            key: path.display().to_string(),
            message: format!("cannot read: {e}"),
        }]
    })?;
    check_text(&text)
}

/// 1-based line number of a byte offset.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Deserialization messages name the field but not where it sits; the diagnostic's key does.
fn first_line(message: &str) -> String {
    message
        .trim()
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

fn check_text(text: &str) -> Result<Config, Vec<Diagnostic>> {
    let document = toml_edit::ImDocument::parse(text).map_err(|e| {
        vec![Diagnostic {
            line: e.span().map(|span| line_of(text, span.start)),
            key: "syntax".into(),
            message: first_line(e.message()),
        }]
    })?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        vec![Diagnostic {
            line: e.span().map(|span| line_of(text, span.start)),
            key: "syntax".into(),
            message: first_line(e.message()),
        }]
    })?;
    let locate = |path: &[&str]| -> Option<usize> {
        let mut current = document.as_table();
        let (last, parents) = path.split_last()?;
        for segment in parents {
            current = current.get(segment)?.as_table()?;
        }
        let (key, _) = current.get_key_value(last)?;
        key.span().map(|span| line_of(text, span.start))
    };

    let mut diagnostics = Vec::new();
    let mut leaves = Vec::new();
    collect_leaves(&table, &mut Vec::new(), &mut leaves);
    for (path, value) in leaves {
        let mut only_this = value;
        for segment in path.iter().rev() {
            let mut parent = toml::Table::new();
            parent.insert(segment.clone(), only_this);
            only_this = toml::Value::Table(parent);
        }
        if let Err(e) = Config::deserialize(only_this) {
            let segments: Vec<&str> = path.iter().map(String::as_str).collect();
            diagnostics.push(Diagnostic {
                line: locate(&segments),
                key: path.join("."),
                message: first_line(e.message()),
            });
        }
    }
    if !diagnostics.is_empty() {
        diagnostics.sort_by_key(|d| d.line.unwrap_or(usize::MAX));
        return Err(diagnostics);
    }
    let config = Config::deserialize(toml::Value::Table(table)).map_err(|e| {
        vec![Diagnostic {
            line: None,
            key: "config".into(),
            message: first_line(e.message()),
        }]
    })?;
    for problem in config.problems() {
        if let super::ConfigError::Invalid { key, message } = problem {
            let segments: Vec<&str> = key.split('.').collect();
            diagnostics.push(Diagnostic {
                line: locate(&segments),
                key: key.to_string(),
                message,
            });
        }
    }
    diagnostics.sort_by_key(|d| d.line.unwrap_or(usize::MAX));
    if diagnostics.is_empty() {
        Ok(config)
    } else {
        Err(diagnostics)
    }
}

/// Every key whose value is not a table (and every empty table), with its dotted path.
fn collect_leaves(
    table: &toml::Table,
    prefix: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, toml::Value)>,
) {
    for (key, value) in table {
        prefix.push(key.clone());
        match value {
            toml::Value::Table(inner) if !inner.is_empty() => collect_leaves(inner, prefix, out),
            _ => out.push((prefix.clone(), value.clone())),
        }
        prefix.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_is_complete_and_equal_to_the_defaults() {
        let parsed = check_text(super::super::DEFAULT_FILE).expect("default file checks clean");
        assert_eq!(parsed, Config::default());
        // Every key of the defaults is spelled in the file, commented out when it has no value.
        let defaults = serde_json::to_value(Config::default()).unwrap();
        let table: toml::Table = super::super::DEFAULT_FILE.parse().unwrap();
        for (section, keys) in defaults.as_object().unwrap() {
            let mut pending = vec![(section.clone(), keys.clone())];
            while let Some((path, value)) = pending.pop() {
                match value {
                    serde_json::Value::Object(map) => {
                        for (k, v) in map {
                            pending.push((format!("{path}.{k}"), v));
                        }
                    }
                    serde_json::Value::Null => {
                        let key = path.rsplit('.').next().unwrap();
                        assert!(
                            super::super::DEFAULT_FILE.contains(&format!("# {key} = ")),
                            "{path} is not shown (commented) in the default file"
                        );
                    }
                    _ => {
                        let segments: Vec<&str> = path.split('.').collect();
                        let mut current = &table;
                        for s in &segments[..segments.len() - 1] {
                            current = current[*s].as_table().unwrap();
                        }
                        assert!(
                            current.contains_key(*segments.last().unwrap()),
                            "{path} missing from the default file"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_bad_key_is_reported_with_its_line() {
        let text = "[server]\nlisten = \"nowhere\"\nmax_connections = 0\nlissten = 1\n\n[realm]\nmax_user_list_length = 0\n[serverr]\nx = 1\n";
        let found = check_text(text).unwrap_err();
        let lines: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert!(lines[0].starts_with("line 2: server.listen: "), "{lines:?}");
        assert!(
            lines[1].starts_with("line 4: server.lissten: unknown field"),
            "{lines:?}"
        );
        assert!(
            lines[2].starts_with("line 9: serverr.x: unknown field"),
            "{lines:?}"
        );
        assert_eq!(found.len(), 3, "{lines:?}");
        // Range checks run once every key parses, again all of them.
        let text = "[server]\nmax_connections = 0\n[realm]\nmax_user_list_length = 0\n";
        let found: Vec<String> = check_text(text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            [
                "line 2: server.max_connections: must be at least 1",
                "line 4: realm.max_user_list_length: must be at least 1"
            ]
        );
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let found = check_text("[server]\nlisten = \n").unwrap_err();
        assert_eq!(found[0].line, Some(2), "{found:?}");
    }
}
