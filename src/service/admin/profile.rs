//! UserProfileMgtService: users' profiles (claims with display metadata) and federated-account
//! associations. Any logged-in user may call it; the operations on another user's profile
//! check the caller's permission themselves, as WSO2's do.

use super::text;
use crate::service::access::{self, Caller};
use crate::service::bean::Bean;
use crate::service::catalogue::Operation;
use crate::service::dispatch::{Reply, Service};
use crate::service::faults::Refusal;
use crate::service::params::Params;
use crate::service::request::lookup_user;
use crate::service::ServiceError;
use crate::store::names::{DEFAULT_PROFILE, PRIMARY_DOMAIN_NAME};
use crate::store::{AccountUpdate, ClaimUri, ClaimValue, ProfileName, UserName};

/// One field of a profile: a local claim with the metadata WSO2's claim configuration gives
/// it (display tag, order, required). The one table of profile fields.
pub(super) struct ProfileField {
    /// The claim after `http://wso2.org/claims/`.
    pub claim: &'static str,
    /// Its display tag.
    pub display: &'static str,
    /// Its display order.
    pub order: i64,
    /// Whether a profile must give it.
    pub required: bool,
}

const fn field(
    claim: &'static str,
    display: &'static str,
    order: i64,
    required: bool,
) -> ProfileField {
    ProfileField {
        claim,
        display,
        order,
        required,
    }
}

/// The claims WSO2 supports by default with a display tag, as its profiles list them.
pub(super) const PROFILE_FIELDS: &[ProfileField] = &[
    field("givenname", "First Name", 1, false),
    field("lastname", "Last Name", 2, false),
    field("organization", "Organization", 3, false),
    field("country", "Country", 5, false),
    field("emailaddress", "Email", 6, true),
    field("telephone", "Telephone", 7, false),
    field("mobile", "Mobile", 8, false),
    field("im", "IM", 9, false),
    field("url", "URL", 10, false),
];

const LOCAL_DIALECT: &str = "http://wso2.org/claims/";
const USERPROFILE_VIEW: &str = "/permission/admin/manage/identity/userprofile/view";
const USERPROFILE_SET: &str = "/permission/admin/manage/identity/userprofile";
const USERPROFILE_DELETE: &str = "/permission/admin/manage/identity/userprofile/delete";

/// The caller may act on their own profile (exact name); another user's needs `permission`,
/// and only the admin user may touch the admin user's.
fn authorize(
    service: &Service,
    caller: &Caller,
    user: &str,
    permission: &str,
) -> Result<(), ServiceError> {
    if caller.name == user {
        return Ok(());
    }
    let allowed = access::grants_path(&caller.permissions, permission)
        && (!service.is_admin_user(user) || service.is_realm_admin(caller));
    if allowed {
        Ok(())
    } else {
        Err(ServiceError::Refused(Refusal::NotAuthorized))
    }
}

/// A profile DTO with `values` (claim URI, value) filled in; `None` leaves every value nil.
fn profile_dto(profile: Option<&str>, values: Option<&[ClaimValue]>) -> Bean {
    let fields = PROFILE_FIELDS
        .iter()
        .map(|f| {
            let uri = format!("{LOCAL_DIALECT}{}", f.claim);
            let value = values.and_then(|vs| {
                vs.iter()
                    .find(|v| v.uri.as_str() == uri)
                    .map(|v| v.value.clone())
            });
            Bean::new()
                .flag("checkedAttribute", false)
                .text("claimUri", uri)
                .text("displayName", f.display)
                .int("displayOrder", f.order)
                .maybe_text("fieldValue", value)
                .flag("readOnly", false)
                .flag("required", f.required)
        })
        .collect();
    Bean::new()
        .beans("fieldValues", fields)
        .text("profileConifuration", "default")
        .maybe_text("profileName", profile)
}

/// The profiles a user has (the default one at least).
fn profiles_of(service: &Service, user: &UserName) -> Result<Vec<String>, ServiceError> {
    let mut names = service.store.profile_names_of_user(user)?;
    if !names.iter().any(|n| n == DEFAULT_PROFILE) {
        names.insert(0, DEFAULT_PROFILE.to_string());
    }
    Ok(names)
}

fn associations(service: &Service, user: &UserName) -> Result<Vec<Bean>, ServiceError> {
    Ok(service
        .store
        .associations_of(user)?
        .into_iter()
        .map(|(idp, id)| {
            Bean::new()
                .text("id", id)
                .text("identityProviderName", idp)
                .text("username", user.as_str())
        })
        .collect())
}

/// The federated identity provider and account an association call names.
fn association(params: &Params) -> (&str, &str) {
    (
        text(params, "idpID").unwrap_or(""),
        text(params, "associatedID").unwrap_or(""),
    )
}

fn associate(service: &Service, user: &UserName, params: &Params) -> Result<Reply, ServiceError> {
    let (idp, id) = association(params);
    let failed = || {
        ServiceError::Refused(Refusal::AssociateFailed {
            user: user.to_string(),
            idp: idp.to_string(),
        })
    };
    if idp.is_empty() || id.is_empty() || service.store.associated_user(idp, id)?.is_some() {
        return Err(failed());
    }
    service.store.associate(user, idp, id)?;
    Ok(Reply::Accepted)
}

fn dissociate(service: &Service, user: &UserName, params: &Params) -> Result<(), ServiceError> {
    let (idp, id) = association(params);
    if idp.is_empty() || id.is_empty() {
        return Err(ServiceError::Refused(Refusal::DissociateFailed {
            user: user.to_string(),
            idp: idp.to_string(),
        }));
    }
    service.store.dissociate(user, idp, id)?;
    Ok(())
}

pub(super) fn run(
    service: &Service,
    caller: &Caller,
    operation: Operation,
    params: &Params,
) -> Result<Reply, ServiceError> {
    use Operation as Op;
    let store = &*service.store;
    let me = || UserName::lookup(&caller.name).map_err(ServiceError::from);
    Ok(match operation {
        Op::GetUserProfile => {
            let (Some(name), Some(profile)) =
                (text(params, "username"), text(params, "profileName"))
            else {
                return Err(ServiceError::Refused(Refusal::InvalidInput));
            };
            authorize(service, caller, name, USERPROFILE_VIEW)?;
            let user = UserName::lookup(name)?;
            if !profiles_of(service, &user)?.iter().any(|p| p == profile) {
                return Ok(Reply::Bean(None));
            }
            let values = store.claim_values(&user, &ProfileName::from_request(Some(profile))?)?;
            Reply::Bean(Some(profile_dto(Some(profile), Some(&values))))
        }
        Op::GetUserProfiles => {
            let Some(name) = text(params, "username") else {
                return Err(ServiceError::Refused(Refusal::InvalidInput));
            };
            authorize(service, caller, name, USERPROFILE_VIEW)?;
            let user = UserName::lookup(name)?;
            let mut dtos = Vec::new();
            for profile in profiles_of(service, &user)? {
                let values =
                    store.claim_values(&user, &ProfileName::from_request(Some(&profile))?)?;
                dtos.push(profile_dto(Some(&profile), Some(&values)));
            }
            Reply::Beans(dtos)
        }
        Op::SetUserProfile => {
            let name = text(params, "username").unwrap_or("");
            authorize(service, caller, name, USERPROFILE_SET)?;
            let user = lookup_user(params, "username")?;
            let Some(dto) = params.records("profile").into_iter().next() else {
                return Err(ServiceError::Refused(Refusal::InvalidInput));
            };
            if !dto.has("fieldValues") {
                return Err(ServiceError::Refused(Refusal::MethodFailed(
                    "setUserProfile",
                )));
            }
            let profile = ProfileName::from_request(dto.get("profileName"))?;
            let (mut set, mut remove) = (Vec::new(), Vec::new());
            for field in dto.records("fieldValues") {
                let Some(uri) = field
                    .get("claimUri")
                    .map(str::trim)
                    .filter(|u| !u.is_empty())
                else {
                    continue;
                };
                if field.flag("readOnly") {
                    continue;
                }
                let uri = ClaimUri::parse(uri)?;
                match field.get("fieldValue").filter(|v| !v.is_empty()) {
                    Some(value) => set.push(ClaimValue {
                        uri,
                        value: value.to_string(),
                    }),
                    None => remove.push(uri),
                }
            }
            store.update_account(
                &user,
                AccountUpdate {
                    set: &set,
                    remove: &remove,
                    profile: &profile,
                    expected_version: None,
                    new_name: None,
                },
            )?;
            Reply::Accepted
        }
        Op::DeleteUserProfile => {
            let name = text(params, "username").unwrap_or("");
            authorize(service, caller, name, USERPROFILE_DELETE)?;
            let user = lookup_user(params, "username")?;
            let profile = text(params, "profileName").unwrap_or(DEFAULT_PROFILE);
            if profile == DEFAULT_PROFILE {
                return Err(ServiceError::Refused(Refusal::DeleteDefaultProfile));
            }
            let profile = ProfileName::from_request(Some(profile))?;
            let uris: Vec<ClaimUri> = store
                .claim_values(&user, &profile)?
                .into_iter()
                .map(|c| c.uri)
                .collect();
            store.delete_claim_values(&user, &uris, &profile)?;
            Reply::Accepted
        }
        Op::GetProfileFieldsForInternalStore => Reply::Bean(Some(profile_dto(None, None))),
        Op::ProfileIsReadOnlyUserStore => Reply::Boolean(store.is_read_only()),
        Op::IsAddProfileEnabled => Reply::Boolean(true),
        Op::IsAddProfileEnabledForDomain => {
            let domain = text(params, "domain").unwrap_or("");
            Reply::Boolean(domain.is_empty() || domain.eq_ignore_ascii_case(PRIMARY_DOMAIN_NAME))
        }
        Op::AssociateId => associate(service, &me()?, params)?,
        Op::RemoveAssociateId => {
            dissociate(service, &me()?, params)?;
            Reply::Accepted
        }
        Op::GetAssociatedIds => Reply::Beans(associations(service, &me()?)?),
        Op::AssociateIdForUser => {
            associate(service, &lookup_user(params, "username")?, params)?;
            Reply::Void
        }
        Op::RemoveAssociateIdForUser => {
            dissociate(service, &lookup_user(params, "username")?, params)?;
            Reply::Void
        }
        Op::GetAssociatedIdsForUser => {
            Reply::Beans(associations(service, &lookup_user(params, "username")?)?)
        }
        Op::GetNameAssociatedWith => {
            let (idp, id) = association(params);
            Reply::Text(store.associated_user(idp, id)?)
        }
        other => return Err(super::elsewhere(other)),
    })
}
