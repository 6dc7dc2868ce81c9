//! UserIdentityManagementAdminService: lock, unlock, disable and enable accounts, reset
//! passwords, the caller's own claims and challenge questions. It answers every failure with
//! its own summary; the cause is logged, never sent.

use super::text;
use crate::service::access::{self, Caller};
use crate::service::bean::Bean;
use crate::service::catalogue::Operation;
use crate::service::dispatch::{Reply, Service};
use crate::service::faults::{identity_summary, Refusal};
use crate::service::params::Params;
use crate::service::request::password;
use crate::service::ServiceError;
use crate::store::admin::{ChallengeQuestion, UserChallenge};
use crate::store::policy::claims;
use crate::store::{ClaimUri, ClaimValue, Password, ProfileName, Protected, StoreError, UserName};

const IDENTITYMGT_VIEW: &str = "/permission/admin/manage/identity/identitymgt/view";
const IDENTITYMGT_UPDATE: &str = "/permission/admin/manage/identity/identitymgt/update";
/// Claims of this family are the identity store's, not the user's to set.
const IDENTITY_CLAIMS: &str = "http://wso2.org/claims/identity";

pub(super) fn run(
    service: &Service,
    caller: &Caller,
    operation: Operation,
    params: &Params,
) -> Result<Reply, ServiceError> {
    let named = text(params, "userName").unwrap_or("").to_string();
    let subject = match operation {
        Operation::ChangeUserPassword | Operation::UpdateUserIdentityClaims => caller.name.clone(),
        _ => named,
    };
    execute(service, caller, operation, params).map_err(|cause| match cause {
        // Its own refusals keep their words.
        refused @ ServiceError::Refused(_) => refused,
        cause => ServiceError::Summarized {
            summary: identity_summary(operation, &subject),
            cause: Box::new(cause),
        },
    })
}

/// Set identity claims of a user in the default profile.
fn set_flags(service: &Service, user: &str, flags: &[(&str, &str)]) -> Result<(), ServiceError> {
    let user = UserName::lookup(user)?;
    let values = flags
        .iter()
        .map(|(uri, value)| {
            Ok(ClaimValue {
                uri: ClaimUri::parse(uri)?,
                value: value.to_string(),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    service
        .store
        .set_claim_values(&user, &values, &ProfileName::from_request(None)?)?;
    Ok(())
}

/// Whether the caller may act on another user's challenges with `permission`.
fn may_touch(caller: &Caller, user: &str, permission: &str) -> bool {
    caller.name == user || access::grants_path(&caller.permissions, permission)
}

fn execute(
    service: &Service,
    caller: &Caller,
    operation: Operation,
    params: &Params,
) -> Result<Reply, ServiceError> {
    use Operation as Op;
    let store = &*service.store;
    let user_param = || text(params, "userName").unwrap_or("");
    let named_user = || UserName::lookup(user_param()).map_err(ServiceError::from);
    let me = || UserName::lookup(&caller.name).map_err(ServiceError::from);
    Ok(match operation {
        // WSO2 also writes unlockTime 0; the store's administrator lock has no end time and
        // its unlock clears what failed logins left, which is the same state.
        Op::LockUserAccount => {
            set_flags(service, user_param(), &[(claims::ACCOUNT_LOCKED, "true")])?;
            Reply::Void
        }
        Op::UnlockUserAccount => {
            set_flags(service, user_param(), &[(claims::ACCOUNT_LOCKED, "false")])?;
            Reply::Void
        }
        Op::DisableUserAccount => {
            set_flags(service, user_param(), &[(claims::ACCOUNT_DISABLED, "true")])?;
            Reply::Void
        }
        Op::EnableUserAccount => {
            set_flags(
                service,
                user_param(),
                &[(claims::ACCOUNT_DISABLED, "false")],
            )?;
            Reply::Void
        }
        Op::ResetUserPassword => {
            store.update_credential_by_admin(&named_user()?, &password(params, "newPassword"))?;
            Reply::Void
        }
        Op::IdentityDeleteUser => {
            let user = named_user()?;
            if me().is_ok_and(|c| c.key() == user.key()) {
                return Err(StoreError::Protected(Protected::DeleteLoggedInUser).into());
            }
            store.delete_user(&user)?;
            Reply::Void
        }
        Op::ChangeUserPassword => {
            store.update_credential(
                &me()?,
                &password(params, "newPassword"),
                &password(params, "oldPassword"),
            )?;
            Reply::Void
        }
        Op::UpdateUserIdentityClaims => {
            let mut values = Vec::new();
            for record in params.records("userIdentityClaims") {
                let uri = record.get("claimUri").unwrap_or("").trim();
                if uri.contains(IDENTITY_CLAIMS) {
                    return Err(ServiceError::Summarized {
                        summary: identity_summary(operation, &caller.name),
                        cause: Box::new(ServiceError::Refused(Refusal::IdentityClaim)),
                    });
                }
                values.push(ClaimValue {
                    uri: ClaimUri::parse(uri)?,
                    value: record.get("claimValue").unwrap_or("").to_string(),
                });
            }
            store.set_claim_values(&me()?, &values, &ProfileName::from_request(None)?)?;
            Reply::Void
        }
        Op::GetAllUserIdentityClaims => {
            let values = store.claim_values(&me()?, &ProfileName::from_request(None)?)?;
            Reply::Beans(
                values
                    .into_iter()
                    .filter(|c| {
                        c.uri.as_str().contains("http://wso2.org/claims") && !c.value.is_empty()
                    })
                    .map(|c| {
                        Bean::new()
                            .text("claimUri", c.uri.as_str())
                            .text("claimValue", c.value)
                    })
                    .collect(),
            )
        }
        Op::IdentityIsReadOnlyUserStore => Reply::Boolean(store.is_read_only()),
        Op::GetChallengeQuestionsOfUser => {
            let name = text(params, "userName")
                .filter(|n| !n.is_empty())
                .unwrap_or(&caller.name);
            if !may_touch(caller, name, IDENTITYMGT_VIEW) {
                return Err(ServiceError::Refused(Refusal::ChallengesConfidential {
                    caller: caller.name.clone(),
                    user: name.to_string(),
                }));
            }
            let challenges = store.challenges_of(&UserName::lookup(name)?)?;
            Reply::Beans(
                challenges
                    .into_iter()
                    .map(|c| {
                        Bean::new()
                            .text("answer", c.answer_hash)
                            .text("id", c.set_id)
                            .int("order", c.order)
                            .text("question", c.question)
                    })
                    .collect(),
            )
        }
        Op::SetChallengeQuestionsOfUser => {
            let name = text(params, "userName")
                .filter(|n| !n.is_empty())
                .unwrap_or(&caller.name);
            let records = params.records("challengesDTOs");
            if records.is_empty() {
                return Err(ServiceError::Refused(Refusal::NoChallenges));
            }
            if !may_touch(caller, name, IDENTITYMGT_UPDATE) {
                return Err(ServiceError::Refused(Refusal::ChallengesElevation {
                    caller: caller.name.clone(),
                    user: name.to_string(),
                }));
            }
            let catalogue = store.challenge_questions()?;
            let mut challenges: Vec<UserChallenge> = Vec::new();
            for record in records {
                let set_id = record.get("id").unwrap_or("").trim().to_string();
                let question = record.get("question").unwrap_or("").trim().to_string();
                if challenges.iter().any(|c| c.set_id == set_id) {
                    return Err(ServiceError::Refused(Refusal::DuplicateChallenge));
                }
                // With no catalogue configured any question is accepted.
                let registered = catalogue.is_empty()
                    || catalogue
                        .iter()
                        .any(|q| q.set_id == set_id && q.question == question);
                if !registered {
                    return Err(ServiceError::Refused(Refusal::UnregisteredChallenge(
                        name.to_string(),
                    )));
                }
                challenges.push(UserChallenge {
                    set_id,
                    question,
                    answer: Password::new(record.get("answer").unwrap_or("").to_string()),
                    order: record
                        .get("order")
                        .and_then(|o| o.trim().parse().ok())
                        .unwrap_or(0),
                });
            }
            store.set_challenges(&UserName::lookup(name)?, &challenges)?;
            Reply::Void
        }
        Op::GetAllChallengeQuestions => Reply::Beans(
            store
                .challenge_questions()?
                .into_iter()
                .map(|q| {
                    Bean::new()
                        .int("order", q.order)
                        .flag("promoteQuestion", q.promoted)
                        .text("question", q.question)
                        .text("questionSetId", q.set_id)
                })
                .collect(),
        ),
        Op::GetAllPromotedUserChallenge => {
            let mut sets: Vec<(String, Vec<Bean>)> = Vec::new();
            for q in store
                .challenge_questions()?
                .into_iter()
                .filter(|q| q.promoted)
            {
                let challenge = Bean::new()
                    .text("id", q.set_id.as_str())
                    .int("order", q.order)
                    .text("question", q.question);
                match sets.iter_mut().find(|(id, _)| *id == q.set_id) {
                    Some((_, list)) => list.push(challenge),
                    None => sets.push((q.set_id, vec![challenge])),
                }
            }
            Reply::Beans(
                sets.into_iter()
                    .map(|(id, list)| Bean::new().beans("challengesDTOs", list).text("id", id))
                    .collect(),
            )
        }
        Op::SetChallengeQuestions => {
            let questions: Vec<ChallengeQuestion> = params
                .records("challengeQuestionDTOs")
                .into_iter()
                .map(|r| ChallengeQuestion {
                    set_id: r.get("questionSetId").unwrap_or("").trim().to_string(),
                    question: r.get("question").unwrap_or("").trim().to_string(),
                    order: r
                        .get("order")
                        .and_then(|o| o.trim().parse().ok())
                        .unwrap_or(0),
                    promoted: r.flag("promoteQuestion"),
                })
                .filter(|q| !q.set_id.is_empty() && !q.question.is_empty())
                .collect();
            store.set_challenge_questions(&questions)?;
            Reply::Void
        }
        other => return Err(super::elsewhere(other)),
    })
}
