//! [`UserQuery`] as SQL over `users u`: names through their case-folded key, claims through
//! EXISTS on `user_claims` (its value indexes, one of them case-insensitive), times as numbers;
//! [`GroupQuery`] likewise over `roles r`, members through `user_roles` and their UUID claims.
//! Values are always bound parameters. Case-insensitive comparisons fold ASCII letters on both
//! backends (SQLite's NOCASE, PostgreSQL's `lower` under the "C" collation).

use super::conn::{Dialect, Value};
use crate::store::names::DEFAULT_PROFILE;
use crate::store::policy::claims;
use crate::store::{
    GroupOrder, GroupQuery, GroupSortKey, MatchOp, MemberQuery, SortKey, TextMatch, UserOrder,
    UserQuery,
};

/// `LIKE` pattern for `value` with `%`, `_` and `\` taken literally.
fn like_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    for c in value.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn comparison(op: MatchOp) -> &'static str {
    match op {
        MatchOp::Eq | MatchOp::Ne => "=",
        MatchOp::Gt => ">",
        MatchOp::Ge => ">=",
        MatchOp::Lt => "<",
        MatchOp::Le => "<=",
        MatchOp::Contains | MatchOp::StartsWith | MatchOp::EndsWith => "LIKE",
    }
}

/// The condition `column <op> ?` for a text match (without the Ne negation).
fn text_condition(
    dialect: Dialect,
    column: &str,
    m: &TextMatch,
    values: &mut Vec<Value>,
) -> String {
    let text = |v: &str| Value::Text(v.to_string());
    let postgres = dialect == Dialect::Postgres;
    // SQLite's LIKE ignores ASCII case; PostgreSQL's ILIKE does.
    let like = if postgres { "ILIKE" } else { "LIKE" };
    match (m.op, m.case_exact) {
        (MatchOp::Contains, true) => {
            values.push(text(&m.value));
            let find = if postgres { "strpos" } else { "instr" };
            format!("{find}({column}, ?) > 0")
        }
        (MatchOp::StartsWith, true) => {
            values.push(text(&m.value));
            let find = if postgres { "strpos" } else { "instr" };
            format!("{find}({column}, ?) = 1")
        }
        (MatchOp::EndsWith, true) => {
            values.push(text(&m.value));
            values.push(text(&m.value));
            if postgres {
                format!("right({column}, length(CAST(? AS TEXT))) = ?")
            } else {
                format!("substr({column}, -length(?)) = ?")
            }
        }
        (MatchOp::Contains, false) => {
            values.push(text(&format!("%{}%", like_literal(&m.value))));
            format!("{column} {like} ? ESCAPE '\\'")
        }
        (MatchOp::StartsWith, false) => {
            values.push(text(&format!("{}%", like_literal(&m.value))));
            format!("{column} {like} ? ESCAPE '\\'")
        }
        (MatchOp::EndsWith, false) => {
            values.push(text(&format!("%{}", like_literal(&m.value))));
            format!("{column} {like} ? ESCAPE '\\'")
        }
        (op, true) => {
            values.push(text(&m.value));
            format!("{column} {} ?", comparison(op))
        }
        (op, false) => {
            values.push(text(&m.value));
            match dialect {
                Dialect::Sqlite => format!("{column} COLLATE NOCASE {} ?", comparison(op)),
                Dialect::Postgres => {
                    format!("lower({column}) {} lower(CAST(? AS TEXT))", comparison(op))
                }
            }
        }
    }
}

/// Append the SQL condition for `query` (over `users u`) and its parameters.
pub(super) fn compile(
    dialect: Dialect,
    query: &UserQuery,
    sql: &mut String,
    values: &mut Vec<Value>,
) {
    match query {
        UserQuery::All => sql.push_str("TRUE"),
        UserQuery::Nothing => sql.push_str("FALSE"),
        UserQuery::Name(m) => {
            let folded = TextMatch {
                value: m.value.to_lowercase(),
                case_exact: true,
                ..m.clone()
            };
            let condition = name_condition(&folded, values);
            if m.op == MatchOp::Ne {
                sql.push_str(&format!("NOT ({condition})"));
            } else {
                sql.push_str(&condition);
            }
        }
        UserQuery::Claim { uri, matches } => {
            values.push(Value::Text(uri.clone()));
            values.push(Value::Text(DEFAULT_PROFILE.to_string()));
            let condition = text_condition(dialect, "c.value", matches, values);
            let exists = format!(
                "EXISTS (SELECT 1 FROM user_claims c WHERE c.user_id = u.id AND c.claim_uri = ? AND c.profile = ? AND {condition})"
            );
            if matches.op == MatchOp::Ne {
                sql.push_str(&format!("NOT {exists}"));
            } else {
                sql.push_str(&exists);
            }
        }
        UserQuery::HasClaim(uri) => {
            values.push(Value::Text(uri.clone()));
            values.push(Value::Text(DEFAULT_PROFILE.to_string()));
            sql.push_str(
                "EXISTS (SELECT 1 FROM user_claims c WHERE c.user_id = u.id AND c.claim_uri = ? AND c.profile = ? AND c.value <> '')",
            );
        }
        UserQuery::Created(op, ms) => {
            sql.push_str(&time_condition("u.created_at", *op, *ms, values))
        }
        UserQuery::Modified(op, ms) => {
            sql.push_str(&time_condition("u.modified_at", *op, *ms, values))
        }
        UserQuery::And(a, b) => both(dialect, compile, a, " AND ", b, sql, values),
        UserQuery::Or(a, b) => both(dialect, compile, a, " OR ", b, sql, values),
        UserQuery::Not(inner) => negation(dialect, compile, inner, sql, values),
    }
}

/// `column <op> ?` for a time in ms; times compare as numbers, and text operators on them match
/// nothing.
fn time_condition(column: &str, op: MatchOp, ms: i64, values: &mut Vec<Value>) -> String {
    let op = match op {
        MatchOp::Ne => "<>",
        other => comparison(other),
    };
    if op == "LIKE" {
        return "FALSE".to_string();
    }
    values.push(Value::Int(ms));
    format!("{column} {op} ?")
}

/// [`text_condition`] on a column that may be NULL: for a `Ne` match the negation of the
/// equality, where an absent value (NULL) is not equal.
fn nullable_text_condition(
    dialect: Dialect,
    column: &str,
    m: &TextMatch,
    values: &mut Vec<Value>,
) -> String {
    let condition = text_condition(dialect, column, m, values);
    if m.op == MatchOp::Ne {
        format!("NOT COALESCE(({condition}), FALSE)")
    } else {
        condition
    }
}

/// Append the SQL condition for `query` (over `roles r`) and its parameters.
pub(super) fn compile_group(
    dialect: Dialect,
    query: &GroupQuery,
    sql: &mut String,
    values: &mut Vec<Value>,
) {
    match query {
        GroupQuery::All => sql.push_str("TRUE"),
        GroupQuery::Nothing => sql.push_str("FALSE"),
        GroupQuery::Name(m) => sql.push_str(&role_name_condition(m, values)),
        GroupQuery::Id(m) => sql.push_str(&nullable_text_condition(dialect, "r.uuid", m, values)),
        GroupQuery::ExternalId(m) => sql.push_str(&nullable_text_condition(
            dialect,
            "r.external_id",
            m,
            values,
        )),
        GroupQuery::HasExternalId => {
            sql.push_str("(r.external_id IS NOT NULL AND r.external_id <> '')")
        }
        GroupQuery::Created(op, ms) => {
            sql.push_str(&time_condition("r.created_at", *op, *ms, values))
        }
        GroupQuery::Modified(op, ms) => {
            sql.push_str(&time_condition("r.modified_at", *op, *ms, values))
        }
        GroupQuery::AnyMember(member) => {
            values.push(Value::Text(claims::USER_ID.to_string()));
            values.push(Value::Text(DEFAULT_PROFILE.to_string()));
            sql.push_str(
                "EXISTS (SELECT 1 FROM user_roles ur JOIN user_claims c ON c.user_id = ur.user_id \
                 WHERE ur.role_id = r.id AND c.claim_uri = ? AND c.profile = ? AND ",
            );
            compile_member(dialect, member, sql, values);
            sql.push(')');
        }
        GroupQuery::HasMembers => {
            sql.push_str("EXISTS (SELECT 1 FROM user_roles ur WHERE ur.role_id = r.id)")
        }
        GroupQuery::And(a, b) => both(dialect, compile_group, a, " AND ", b, sql, values),
        GroupQuery::Or(a, b) => both(dialect, compile_group, a, " OR ", b, sql, values),
        GroupQuery::Not(inner) => negation(dialect, compile_group, inner, sql, values),
    }
}

/// A condition on one member's UUID claim `c.value`.
fn compile_member(
    dialect: Dialect,
    query: &MemberQuery,
    sql: &mut String,
    values: &mut Vec<Value>,
) {
    match query {
        MemberQuery::Id(m) => sql.push_str(&nullable_text_condition(dialect, "c.value", m, values)),
        MemberQuery::And(a, b) => both(dialect, compile_member, a, " AND ", b, sql, values),
        MemberQuery::Or(a, b) => both(dialect, compile_member, a, " OR ", b, sql, values),
        MemberQuery::Not(inner) => negation(dialect, compile_member, inner, sql, values),
    }
}

/// The ORDER BY of a group query over `roles r`: the key, groups without one last, then the
/// name so that pages are stable.
pub(super) fn group_order_by(order: GroupOrder) -> String {
    let direction = if order.descending { "DESC" } else { "ASC" };
    match order.key {
        GroupSortKey::Name => format!("r.name_key {direction}"),
        GroupSortKey::Id => format!("r.uuid {direction}, r.name_key"),
        GroupSortKey::ExternalId => {
            format!("(r.external_id IS NULL), r.external_id {direction}, r.name_key")
        }
        GroupSortKey::Created => format!("r.created_at {direction}, r.name_key"),
        GroupSortKey::Modified => format!("r.modified_at {direction}, r.name_key"),
    }
}

/// How one kind of query is compiled: appended to the SQL, its parameters to the values.
type Compile<Q> = fn(Dialect, &Q, &mut String, &mut Vec<Value>);

/// `(a <joiner> b)`.
fn both<Q>(
    dialect: Dialect,
    compile: Compile<Q>,
    a: &Q,
    joiner: &str,
    b: &Q,
    sql: &mut String,
    values: &mut Vec<Value>,
) {
    sql.push('(');
    compile(dialect, a, sql, values);
    sql.push_str(joiner);
    compile(dialect, b, sql, values);
    sql.push(')');
}

/// `NOT (inner)`.
fn negation<Q>(
    dialect: Dialect,
    compile: Compile<Q>,
    inner: &Q,
    sql: &mut String,
    values: &mut Vec<Value>,
) {
    sql.push_str("NOT (");
    compile(dialect, inner, sql, values);
    sql.push(')');
}

/// Names compare through `name_key` (lower case), so equality uses its unique index.
fn name_condition(m: &TextMatch, values: &mut Vec<Value>) -> String {
    match m.op {
        MatchOp::Contains | MatchOp::StartsWith | MatchOp::EndsWith => {
            let pattern = match m.op {
                MatchOp::Contains => format!("%{}%", like_literal(&m.value)),
                MatchOp::StartsWith => format!("{}%", like_literal(&m.value)),
                _ => format!("%{}", like_literal(&m.value)),
            };
            values.push(Value::Text(pattern));
            "u.name_key LIKE ? ESCAPE '\\'".to_string()
        }
        op => {
            values.push(Value::Text(m.value.clone()));
            format!("u.name_key {} ?", comparison(op))
        }
    }
}

/// A role-name condition over `roles r` (names compare case-insensitively, through `name_key`;
/// a `PRIMARY/` prefix in the value is dropped, as WSO2 writes group names with it).
pub(super) fn role_name_condition(m: &TextMatch, values: &mut Vec<Value>) -> String {
    let value = m.value.to_lowercase();
    let value = value.strip_prefix("primary/").unwrap_or(&value).to_string();
    let folded = TextMatch {
        value,
        case_exact: true,
        ..m.clone()
    };
    let condition = name_condition(&folded, values).replace("u.name_key", "r.name_key");
    if m.op == MatchOp::Ne {
        format!("NOT ({condition})")
    } else {
        condition
    }
}

/// The ORDER BY of a user query over `users u`: the key, accounts without a value last in
/// either direction (RFC 7644 §3.4.2.3), then the name so that pages are stable.
pub(super) fn order_by(dialect: Dialect, order: &UserOrder, values: &mut Vec<Value>) -> String {
    let direction = if order.descending { "DESC" } else { "ASC" };
    match &order.key {
        SortKey::Name => format!("u.name_key {direction}"),
        SortKey::Created => format!("u.created_at {direction}, u.name_key"),
        SortKey::Modified => format!("u.modified_at {direction}, u.name_key"),
        SortKey::Claim(uri) => {
            let value = format!(
                "(SELECT c.value FROM user_claims c WHERE c.user_id = u.id AND c.claim_uri = ? \
                 AND c.profile = '{DEFAULT_PROFILE}')"
            );
            // The value appears twice (the NULL test, the comparison): bound twice.
            values.push(Value::Text(uri.as_str().to_string()));
            values.push(Value::Text(uri.as_str().to_string()));
            match dialect {
                Dialect::Sqlite => {
                    format!("{value} IS NULL, {value} COLLATE NOCASE {direction}, u.name_key")
                }
                Dialect::Postgres => {
                    format!("{value} IS NULL, lower({value}) {direction}, u.name_key")
                }
            }
        }
    }
}
