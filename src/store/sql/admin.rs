//! [`AdminBackend`] over any SQL database. A role's rules live where the access decision reads
//! them (`role_permissions` for grants, `role_permission_denials` for denials); a user's own
//! rules in `user_permissions`; associations and challenges in their own tables, each going
//! with its user.

use super::conn::{Arg, Conn, Database, Row};
use super::{
    announce_role_change, announce_user_change, role_id, user_id, SqlStore, DENIALS, GRANTS,
};
use crate::store::admin::{
    AdminBackend, ChallengeQuestion, RuleScope, StoredChallenge, StoredRule, Subject, UserChallenge,
};
use crate::store::{RoleName, StoreResult, UserName};

/// Which rows of a subject a scope selects, as extra `WHERE` terms from `?2` on.
fn scope_terms<'a>(scope: RuleScope<'a>) -> (&'static str, Vec<Arg<'a>>) {
    match scope {
        RuleScope::One { resource, action } => (
            " AND resource_id = ?2 AND action = ?3",
            vec![resource.into(), action.into()],
        ),
        RuleScope::Action(action) => (" AND action = ?2", vec![action.into()]),
        RuleScope::All => ("", Vec::new()),
    }
}

fn stored_rule(r: &dyn Row) -> StoreResult<StoredRule> {
    Ok(StoredRule {
        holder: r.text(0)?,
        resource: r.text(1)?,
        action: r.text(2)?,
        allowed: r.int(3)? == 1,
    })
}

/// `?n, ?n+1, …` for `count` placeholders starting at `first`.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn clear_subject(tx: &dyn Conn, subject: Subject<'_>, scope: RuleScope<'_>) -> StoreResult<()> {
    let (terms, extra) = scope_terms(scope);
    match subject {
        Subject::Role(role) => {
            let id = role_id(tx, role)?;
            for table in [GRANTS, DENIALS] {
                let mut args = vec![Arg::Int(id)];
                args.extend(extra.iter().copied());
                tx.execute(
                    &format!("DELETE FROM {table} WHERE role_id = ?1{terms}"),
                    &args,
                )?;
            }
            announce_role_change(tx)
        }
        Subject::User(user) => {
            let id = user_id(tx, user)?;
            let mut args = vec![Arg::Int(id)];
            args.extend(extra);
            tx.execute(
                &format!("DELETE FROM user_permissions WHERE user_id = ?1{terms}"),
                &args,
            )?;
            announce_user_change(tx, id)
        }
    }
}

impl<D: Database> AdminBackend for SqlStore<D> {
    fn set_rule(
        &self,
        subject: Subject<'_>,
        resource: &str,
        action: &str,
        allowed: bool,
    ) -> StoreResult<()> {
        self.db.write(|tx| {
            clear_subject(tx, subject, RuleScope::One { resource, action })?;
            match subject {
                Subject::Role(role) => {
                    let table = if allowed { GRANTS } else { DENIALS };
                    tx.execute(
                        &format!(
                            "INSERT INTO {table} (role_id, resource_id, action) VALUES (?1, ?2, ?3)"
                        ),
                        &[role_id(tx, role)?.into(), resource.into(), action.into()],
                    )?;
                }
                Subject::User(user) => {
                    tx.execute(
                        "INSERT INTO user_permissions (user_id, resource_id, action, allowed)
                         VALUES (?1, ?2, ?3, ?4)",
                        &[
                            user_id(tx, user)?.into(),
                            resource.into(),
                            action.into(),
                            i64::from(allowed).into(),
                        ],
                    )?;
                }
            }
            Ok(())
        })
    }

    fn clear_rules(&self, subject: Subject<'_>, scope: RuleScope<'_>) -> StoreResult<()> {
        self.db.write(|tx| clear_subject(tx, subject, scope))
    }

    fn clear_resource(&self, resource: &str) -> StoreResult<()> {
        self.db.write(|tx| {
            for table in [GRANTS, DENIALS, "user_permissions"] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE resource_id = ?1"),
                    &[resource.into()],
                )?;
            }
            announce_role_change(tx)
        })
    }

    fn rules_on(
        &self,
        roles: bool,
        resources: &[&str],
        action: &str,
    ) -> StoreResult<Vec<StoredRule>> {
        if resources.is_empty() {
            return Ok(Vec::new());
        }
        let list = placeholders(2, resources.len());
        let sql = if roles {
            format!(
                "SELECT r.name, p.resource_id, p.action, 1 FROM {GRANTS} p
                   JOIN roles r ON r.id = p.role_id
                 WHERE p.action = ?1 AND p.resource_id IN ({list})
                 UNION ALL
                 SELECT r.name, d.resource_id, d.action, 0 FROM {DENIALS} d
                   JOIN roles r ON r.id = d.role_id
                 WHERE d.action = ?1 AND d.resource_id IN ({list})
                 ORDER BY 1, 2"
            )
        } else {
            format!(
                "SELECT u.name, p.resource_id, p.action, p.allowed FROM user_permissions p
                   JOIN users u ON u.id = p.user_id
                 WHERE p.action = ?1 AND p.resource_id IN ({list})
                 ORDER BY 1, 2"
            )
        };
        let mut args = vec![Arg::Text(action)];
        args.extend(resources.iter().map(|r| Arg::Text(r)));
        self.db.read(|conn| conn.rows(&sql, &args, stored_rule))
    }

    fn rules_of(&self, subject: Subject<'_>, action: &str) -> StoreResult<Vec<StoredRule>> {
        self.db.read(|conn| match subject {
            Subject::Role(role) => {
                let id = role_id(conn, role)?;
                conn.rows(
                    &format!(
                        "SELECT r.name, p.resource_id, p.action, 1 FROM {GRANTS} p
                           JOIN roles r ON r.id = p.role_id
                         WHERE p.role_id = ?1 AND p.action = ?2
                         UNION ALL
                         SELECT r.name, d.resource_id, d.action, 0 FROM {DENIALS} d
                           JOIN roles r ON r.id = d.role_id
                         WHERE d.role_id = ?1 AND d.action = ?2
                         ORDER BY 2"
                    ),
                    &[id.into(), action.into()],
                    stored_rule,
                )
            }
            Subject::User(user) => {
                let id = user_id(conn, user)?;
                conn.rows(
                    "SELECT u.name, p.resource_id, p.action, p.allowed FROM user_permissions p
                       JOIN users u ON u.id = p.user_id
                     WHERE p.user_id = ?1 AND p.action = ?2
                     ORDER BY 2",
                    &[id.into(), action.into()],
                    stored_rule,
                )
            }
        })
    }

    fn move_role_rules(&self, from: &RoleName, to: &RoleName) -> StoreResult<()> {
        self.db.write(|tx| {
            let (from, to) = (role_id(tx, from)?, role_id(tx, to)?);
            if from == to {
                return Ok(());
            }
            for table in [GRANTS, DENIALS] {
                tx.execute(
                    &format!(
                        "INSERT INTO {table} (role_id, resource_id, action)
                         SELECT ?2, resource_id, action FROM {table} WHERE role_id = ?1
                         ON CONFLICT DO NOTHING"
                    ),
                    &[from.into(), to.into()],
                )?;
                tx.execute(
                    &format!("DELETE FROM {table} WHERE role_id = ?1"),
                    &[from.into()],
                )?;
            }
            announce_role_change(tx)
        })
    }

    fn associate(&self, user: &UserName, idp: &str, associated_id: &str) -> StoreResult<()> {
        self.db.write(|tx| {
            let id = user_id(tx, user)?;
            tx.execute(
                "INSERT INTO user_associations (user_id, idp, associated_id) VALUES (?1, ?2, ?3)",
                &[id.into(), idp.into(), associated_id.into()],
            )?;
            Ok(())
        })
    }

    fn dissociate(&self, user: &UserName, idp: &str, associated_id: &str) -> StoreResult<()> {
        self.db.write(|tx| {
            let id = user_id(tx, user)?;
            tx.execute(
                "DELETE FROM user_associations
                 WHERE user_id = ?1 AND idp = ?2 AND associated_id = ?3",
                &[id.into(), idp.into(), associated_id.into()],
            )?;
            Ok(())
        })
    }

    fn associations_of(&self, user: &UserName) -> StoreResult<Vec<(String, String)>> {
        self.db.read(|conn| {
            let id = user_id(conn, user)?;
            conn.rows(
                "SELECT idp, associated_id FROM user_associations WHERE user_id = ?1
                 ORDER BY idp, associated_id",
                &[id.into()],
                |r| Ok((r.text(0)?, r.text(1)?)),
            )
        })
    }

    fn associated_user(&self, idp: &str, associated_id: &str) -> StoreResult<Option<String>> {
        self.db.read(|conn| {
            conn.row(
                "SELECT u.name FROM user_associations a JOIN users u ON u.id = a.user_id
                 WHERE a.idp = ?1 AND a.associated_id = ?2",
                &[idp.into(), associated_id.into()],
                |r| r.text(0),
            )
        })
    }

    fn set_challenges(&self, user: &UserName, challenges: &[UserChallenge]) -> StoreResult<()> {
        let hashed: Vec<String> = challenges
            .iter()
            .map(|c| self.hasher.hash(&c.answer))
            .collect::<StoreResult<_>>()?;
        self.db.write(|tx| {
            let id = user_id(tx, user)?;
            tx.execute(
                "DELETE FROM user_challenges WHERE user_id = ?1",
                &[id.into()],
            )?;
            for (challenge, hash) in challenges.iter().zip(&hashed) {
                tx.execute(
                    "INSERT INTO user_challenges (user_id, set_id, question, answer_hash, position)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    &[
                        id.into(),
                        (&challenge.set_id).into(),
                        (&challenge.question).into(),
                        hash.into(),
                        challenge.order.into(),
                    ],
                )?;
            }
            Ok(())
        })
    }

    fn challenges_of(&self, user: &UserName) -> StoreResult<Vec<StoredChallenge>> {
        self.db.read(|conn| {
            let id = user_id(conn, user)?;
            conn.rows(
                "SELECT set_id, question, answer_hash, position FROM user_challenges
                 WHERE user_id = ?1 ORDER BY position, set_id",
                &[id.into()],
                |r| {
                    Ok(StoredChallenge {
                        set_id: r.text(0)?,
                        question: r.text(1)?,
                        answer_hash: r.text(2)?,
                        order: r.int(3)?,
                    })
                },
            )
        })
    }

    fn set_challenge_questions(&self, questions: &[ChallengeQuestion]) -> StoreResult<()> {
        self.db.write(|tx| {
            tx.execute("DELETE FROM challenge_questions", &[])?;
            for q in questions {
                tx.execute(
                    "INSERT INTO challenge_questions (set_id, question, position, promoted)
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                    &[
                        (&q.set_id).into(),
                        (&q.question).into(),
                        q.order.into(),
                        i64::from(q.promoted).into(),
                    ],
                )?;
            }
            Ok(())
        })
    }

    fn challenge_questions(&self) -> StoreResult<Vec<ChallengeQuestion>> {
        self.db.read(|conn| {
            conn.rows(
                "SELECT set_id, question, position, promoted FROM challenge_questions
                 ORDER BY set_id, position, question",
                &[],
                |r| {
                    Ok(ChallengeQuestion {
                        set_id: r.text(0)?,
                        question: r.text(1)?,
                        order: r.int(2)?,
                        promoted: r.int(3)? == 1,
                    })
                },
            )
        })
    }
}
