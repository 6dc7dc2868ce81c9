//! SCIM filters (RFC 7644 §3.4.2.2): the full grammar — `eq ne co sw ew pr gt ge lt le`,
//! `and`/`or`/`not`, grouping, value paths such as `emails[type eq "work" and value co "@x"]`,
//! schema-qualified attribute paths — parsed into a [`Filter`] tree that the store evaluates.
//! Operators and attribute names are case-insensitive; `not` binds tighter than `and`, which
//! binds tighter than `or`.

use std::fmt;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `path op value`.
    Compare {
        /// The attribute compared.
        path: AttrPath,
        /// The comparison.
        op: CompareOp,
        /// The value compared with.
        value: CompValue,
    },
    /// `path pr`: the attribute has a value.
    Present(AttrPath),
    /// Both hold.
    And(Box<Filter>, Box<Filter>),
    /// Either holds.
    Or(Box<Filter>, Box<Filter>),
    /// The inner filter does not hold.
    Not(Box<Filter>),
    /// `path[filter]`: one value of a multi-valued attribute satisfies `filter`, whose paths
    /// name sub-attributes of `path`.
    ValuePath {
        /// The multi-valued attribute.
        path: AttrPath,
        /// The condition on one of its values.
        filter: Box<Filter>,
    },
}

/// An attribute path: `[schema URI ":"] name ["." sub-attribute]`, names in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URI, when the path is qualified with one.
    pub schema: Option<String>,
    /// The attribute's name, lower-cased.
    pub attribute: String,
    /// The sub-attribute's name, lower-cased.
    pub sub_attribute: Option<String>,
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(schema) = &self.schema {
            write!(f, "{schema}:")?;
        }
        f.write_str(&self.attribute)?;
        if let Some(sub) = &self.sub_attribute {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Filter {
    /// The filter in canonical form (fully parenthesised), which parses back to itself.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Compare { path, op, value } => write!(f, "{path} {op} {value}"),
            Filter::Present(path) => write!(f, "{path} pr"),
            Filter::And(a, b) => write!(f, "({a} and {b})"),
            Filter::Or(a, b) => write!(f, "({a} or {b})"),
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::ValuePath { path, filter } => write!(f, "{path}[{filter}]"),
        }
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        })
    }
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::Str(s) => write!(f, "{}", serde_json::Value::String(s.clone())),
            CompValue::Number(n) => f.write_str(n),
            CompValue::Bool(b) => write!(f, "{b}"),
            CompValue::Null => f.write_str("null"),
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Contains.
    Co,
    /// Starts with.
    Sw,
    /// Ends with.
    Ew,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
}

impl CompareOp {
    fn from_word(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => return None,
        })
    }
}

/// A comparison value (`compValue`).
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    /// A JSON string.
    Str(String),
    /// A JSON number, as written.
    Number(String),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// Why a filter does not parse; the SCIM error is `invalidFilter`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid filter at character {position}: {message}")]
pub struct FilterError {
    /// Character offset where parsing stopped.
    pub position: usize,
    /// What was expected.
    pub message: String,
}

/// Deepest nesting of groups, `not` and value paths accepted (filters come from clients).
const MAX_DEPTH: usize = 32;

/// Parse a filter.
pub fn parse(text: &str) -> Result<Filter, FilterError> {
    let mut parser = Parser {
        chars: text.char_indices().collect(),
        pos: 0,
        depth: 0,
    };
    let filter = parser.or_expression(false)?;
    parser.skip_spaces();
    if parser.pos < parser.chars.len() {
        return Err(parser.error("expected 'and', 'or' or the end of the filter"));
    }
    Ok(filter)
}

struct Parser {
    chars: Vec<(usize, char)>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn error(&self, message: &str) -> FilterError {
        FilterError {
            position: self.pos,
            message: message.to_string(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).map(|(_, c)| *c)
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// The next word (letters, digits and the characters attribute paths and numbers use),
    /// without consuming it.
    fn peek_word(&self) -> String {
        self.chars[self.pos..]
            .iter()
            .map(|(_, c)| *c)
            .take_while(|c| is_word_char(*c))
            .collect()
    }

    fn take_keyword(&mut self, keyword: &str) -> bool {
        self.skip_spaces();
        let word = self.peek_word();
        if word.eq_ignore_ascii_case(keyword) {
            self.pos += word.chars().count();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<(), FilterError> {
        self.skip_spaces();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected '{c}'")))
        }
    }

    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("the filter nests too deeply"));
        }
        Ok(())
    }

    fn or_expression(&mut self, in_value_path: bool) -> Result<Filter, FilterError> {
        let mut left = self.and_expression(in_value_path)?;
        while self.take_keyword("or") {
            let right = self.and_expression(in_value_path)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expression(&mut self, in_value_path: bool) -> Result<Filter, FilterError> {
        let mut left = self.unary(in_value_path)?;
        while self.take_keyword("and") {
            let right = self.unary(in_value_path)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, in_value_path: bool) -> Result<Filter, FilterError> {
        self.skip_spaces();
        let start = self.pos;
        if self.take_keyword("not") {
            self.skip_spaces();
            if self.peek() == Some('(') {
                self.enter()?;
                self.pos += 1;
                let inner = self.or_expression(in_value_path)?;
                self.expect(')')?;
                self.depth -= 1;
                return Ok(Filter::Not(Box::new(inner)));
            }
            // An attribute called "not…": read it as a path.
            self.pos = start;
        }
        if self.peek() == Some('(') {
            self.enter()?;
            self.pos += 1;
            let inner = self.or_expression(in_value_path)?;
            self.expect(')')?;
            self.depth -= 1;
            return Ok(inner);
        }
        let path = self.attr_path()?;
        self.skip_spaces();
        if self.peek() == Some('[') {
            if in_value_path {
                return Err(self.error("value paths cannot nest"));
            }
            self.enter()?;
            self.pos += 1;
            let inner = self.or_expression(true)?;
            self.expect(']')?;
            self.depth -= 1;
            return Ok(Filter::ValuePath {
                path,
                filter: Box::new(inner),
            });
        }
        let op_word = self.peek_word();
        if op_word.eq_ignore_ascii_case("pr") {
            self.pos += 2;
            return Ok(Filter::Present(path));
        }
        let Some(op) = CompareOp::from_word(&op_word) else {
            return Err(self.error("expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)"));
        };
        self.pos += op_word.chars().count();
        let value = self.comp_value()?;
        Ok(Filter::Compare { path, op, value })
    }

    fn attr_path(&mut self) -> Result<AttrPath, FilterError> {
        self.skip_spaces();
        let raw = self.peek_word();
        if raw.is_empty() || !raw.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(self.error("expected an attribute path"));
        }
        self.pos += raw.chars().count();
        // A schema URI ends at its last ':'; the rest is name[.sub].
        let (schema, rest) = match raw.rfind(':') {
            Some(i) => (Some(raw[..i].to_string()), &raw[i + 1..]),
            None => (None, raw.as_str()),
        };
        let (attribute, sub_attribute) = match rest.split_once('.') {
            Some((a, s)) => (a, Some(s)),
            None => (rest, None),
        };
        let valid = |name: &str| {
            !name.is_empty()
                && name.starts_with(|c: char| c.is_ascii_alphabetic())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
        };
        if !valid(attribute) || sub_attribute.is_some_and(|s| !valid(s)) {
            return Err(FilterError {
                position: self.pos,
                message: format!("'{raw}' is not an attribute path"),
            });
        }
        Ok(AttrPath {
            schema,
            attribute: attribute.to_ascii_lowercase(),
            sub_attribute: sub_attribute.map(str::to_ascii_lowercase),
        })
    }

    fn comp_value(&mut self) -> Result<CompValue, FilterError> {
        self.skip_spaces();
        match self.peek() {
            Some('"') => self.string().map(CompValue::Str),
            Some(_) => {
                let word = self.peek_word();
                let value = match word.as_str() {
                    "true" => CompValue::Bool(true),
                    "false" => CompValue::Bool(false),
                    "null" => CompValue::Null,
                    w if is_number(w) => CompValue::Number(w.to_string()),
                    _ => {
                        return Err(
                            self.error("expected a value: a string, number, true, false or null")
                        )
                    }
                };
                self.pos += word.chars().count();
                Ok(value)
            }
            None => Err(self.error("expected a value")),
        }
    }

    /// A JSON string, escapes included.
    fn string(&mut self) -> Result<String, FilterError> {
        let start = self.pos;
        self.pos += 1;
        let mut escaped = false;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => {
                    let literal: String =
                        self.chars[start..self.pos].iter().map(|(_, c)| c).collect();
                    return serde_json::from_str(&literal)
                        .map_err(|_| self.error("the string is not valid JSON"));
                }
                _ => {}
            }
        }
        Err(self.error("unterminated string"))
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-' | '$' | '+')
}

fn is_number(word: &str) -> bool {
    !word.is_empty() && serde_json::from_str::<serde_json::Number>(word).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(attribute: &str, sub: Option<&str>) -> AttrPath {
        AttrPath {
            schema: None,
            attribute: attribute.into(),
            sub_attribute: sub.map(Into::into),
        }
    }

    fn eq(attribute: &str, value: &str) -> Filter {
        Filter::Compare {
            path: path(attribute, None),
            op: CompareOp::Eq,
            value: CompValue::Str(value.into()),
        }
    }

    #[test]
    fn rfc_examples_parse() {
        assert_eq!(
            parse(r#"userName Eq "john""#).unwrap(),
            eq("username", "john")
        );
        assert_eq!(
            parse(r#"name.familyName co "O'Malley""#).unwrap(),
            Filter::Compare {
                path: path("name", Some("familyname")),
                op: CompareOp::Co,
                value: CompValue::Str("O'Malley".into())
            }
        );
        assert_eq!(
            parse("title pr").unwrap(),
            Filter::Present(path("title", None))
        );
        assert_eq!(
            parse(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#).unwrap(),
            Filter::Compare {
                path: AttrPath {
                    schema: Some("urn:ietf:params:scim:schemas:core:2.0:User".into()),
                    attribute: "username".into(),
                    sub_attribute: None
                },
                op: CompareOp::Sw,
                value: CompValue::Str("J".into())
            }
        );
        assert!(matches!(
            parse(r#"meta.lastModified gt "2011-05-13T04:42:34Z""#).unwrap(),
            Filter::Compare {
                op: CompareOp::Gt,
                ..
            }
        ));
        assert!(matches!(
            parse(r#"title pr and userType eq "Employee""#).unwrap(),
            Filter::And(..)
        ));
        assert!(matches!(
            parse(r#"title pr or userType eq "Intern""#).unwrap(),
            Filter::Or(..)
        ));
        let grouped = parse(
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        )
        .unwrap();
        assert!(matches!(grouped, Filter::And(_, ref right) if matches!(**right, Filter::Or(..))));
        assert!(matches!(
            parse(r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#).unwrap(),
            Filter::And(_, ref right) if matches!(**right, Filter::Not(_))
        ));
        let value_path = parse(r#"emails[type eq "work" and value co "@example.com"]"#).unwrap();
        assert!(
            matches!(value_path, Filter::ValuePath { ref path, ref filter }
            if path.attribute == "emails" && matches!(**filter, Filter::And(..)))
        );
        assert_eq!(
            parse("meta.version eq 12").unwrap(),
            Filter::Compare {
                path: path("meta", Some("version")),
                op: CompareOp::Eq,
                value: CompValue::Number("12".into())
            }
        );
        assert!(matches!(
            parse("active eq true").unwrap(),
            Filter::Compare {
                value: CompValue::Bool(true),
                ..
            }
        ));
    }

    /// Random trees, written in canonical form, parse back to themselves.
    #[test]
    fn random_filters_round_trip() {
        struct Rng(u64);
        impl Rng {
            fn next(&mut self, n: u64) -> u64 {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                self.0 % n
            }
        }
        const OPS: [CompareOp; 9] = [
            CompareOp::Eq,
            CompareOp::Ne,
            CompareOp::Co,
            CompareOp::Sw,
            CompareOp::Ew,
            CompareOp::Gt,
            CompareOp::Ge,
            CompareOp::Lt,
            CompareOp::Le,
        ];
        fn attr(rng: &mut Rng, sub_allowed: bool) -> AttrPath {
            let names = ["username", "name", "emails", "active", "meta", "x-y_z"];
            AttrPath {
                schema: (rng.next(5) == 0)
                    .then(|| "urn:ietf:params:scim:schemas:core:2.0:User".to_string()),
                attribute: names[rng.next(names.len() as u64) as usize].to_string(),
                sub_attribute: (sub_allowed && rng.next(3) == 0).then(|| "value".to_string()),
            }
        }
        fn value(rng: &mut Rng) -> CompValue {
            match rng.next(5) {
                0 => CompValue::Number(format!("{}", rng.next(1000) as i64 - 500)),
                1 => CompValue::Bool(rng.next(2) == 0),
                2 => CompValue::Null,
                _ => CompValue::Str(
                    ["", "a b", "O'Malley", "quo\"te", "é\\"][rng.next(5) as usize].into(),
                ),
            }
        }
        fn tree(rng: &mut Rng, depth: u32, in_value_path: bool) -> Filter {
            let leaf = depth == 0 || rng.next(3) == 0;
            if leaf {
                return if rng.next(4) == 0 {
                    Filter::Present(attr(rng, !in_value_path))
                } else {
                    Filter::Compare {
                        path: attr(rng, !in_value_path),
                        op: OPS[rng.next(9) as usize],
                        value: value(rng),
                    }
                };
            }
            match rng.next(if in_value_path { 3 } else { 4 }) {
                0 => Filter::And(
                    Box::new(tree(rng, depth - 1, in_value_path)),
                    Box::new(tree(rng, depth - 1, in_value_path)),
                ),
                1 => Filter::Or(
                    Box::new(tree(rng, depth - 1, in_value_path)),
                    Box::new(tree(rng, depth - 1, in_value_path)),
                ),
                2 => Filter::Not(Box::new(tree(rng, depth - 1, in_value_path))),
                _ => Filter::ValuePath {
                    path: attr(rng, false),
                    filter: Box::new(tree(rng, depth - 1, true)),
                },
            }
        }
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..2000 {
            let filter = tree(&mut rng, 4, false);
            let text = filter.to_string();
            assert_eq!(parse(&text).as_ref(), Ok(&filter), "{text}");
        }
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let f = parse(r#"a eq "1" or b eq "2" and c eq "3""#).unwrap();
        assert!(matches!(f, Filter::Or(_, ref r) if matches!(**r, Filter::And(..))));
    }

    #[test]
    fn escapes_in_strings_are_json() {
        assert_eq!(
            parse(r#"displayName eq "a \"quoted\" \u00e9 name""#).unwrap(),
            eq("displayname", "a \"quoted\" é name")
        );
    }

    #[test]
    fn malformed_filters_say_where() {
        for bad in [
            "",
            "userName",
            r#"userName xx "a""#,
            r#"userName eq"#,
            r#"userName eq "unterminated"#,
            r#"(userName eq "a""#,
            r#"userName eq "a" and"#,
            r#"emails[type eq "work""#,
            r#"emails[x[y eq "1"]]"#,
            r#"userName eq bare"#,
            r#"1abc eq "x""#,
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
        let deep = format!("{}a pr{}", "(".repeat(40), ")".repeat(40));
        assert!(parse(&deep).unwrap_err().message.contains("deeply"));
    }
}
