//! Access control and dispatch of typed requests to the store traits.

use std::sync::Arc;
use std::time::Duration;

use super::access::{self, Caller};
use super::bean::Bean;
use super::catalogue::Operation;
use super::catalogue::{ADMIN_LOGIN, AUTHENTICATION_ADMIN, USER_STORE_SERVICE};
use super::faults::{self, MessageSet};
use super::params::Params;
use super::request::{Request, Sessions};
use super::session::{CachedCaller, CredentialCache, SessionRegistry};
use super::ServiceError;
use crate::store::names::EVERYONE_ROLE;
use crate::store::policy::claims;
use crate::store::{
    AppendRule, AuthOutcome, ClaimUri, ClaimValue, NameKind, OutsideChange, Password, ProfileName,
    Protected, RoleName, StoreError, UserName, UserStore,
};

/// WSO2's super-tenant id, the only tenant of this store.
pub const SUPER_TENANT_ID: i32 = -1234;
/// WSO2's role claim (`UserCoreConstants.ROLE_CLAIM`), computed from the user's roles.
const ROLE_CLAIM: &str = "http://wso2.org/claims/role";
/// WSO2's last-password-update identity claim, computed from the account when asked for.
const PASSWORD_UPDATE_TIME_CLAIM: &str = "http://wso2.org/claims/identity/lastPasswordUpdateTime";
/// What WSO2's id look-ups answer for a user that does not exist.
const UNKNOWN_ID: i32 = -1;

/// An operation's result, shaped by the catalogue's output type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// In-only operation succeeded (HTTP 202, empty body).
    Accepted,
    /// A void operation that Axis2 runs in-out succeeded (HTTP 200, nil `return`).
    Void,
    /// One bean, or nil.
    Bean(Option<Bean>),
    /// Repeated beans.
    Beans(Vec<Bean>),
    /// `xs:boolean`.
    Boolean(bool),
    /// `xs:int`.
    Int(i32),
    /// `xs:long`.
    Long(i64),
    /// Nillable `xs:string`.
    Text(Option<String>),
    /// Repeated `xs:string`.
    Texts(Vec<String>),
    /// Repeated `ClaimValue`.
    ClaimValues(Vec<ClaimValue>),
    /// Repeated `Claim` (same data, richer type).
    Claims(Vec<ClaimValue>),
    /// Repeated `ArrayOfString`.
    StringTable(Vec<Vec<String>>),
}

/// Settings of the service that do not belong to a particular store.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// listUsers' upper bound (WSO2's `MaxUserNameListLength`).
    pub max_user_list_length: usize,
    /// Passwords expire this many days after they are set; `None` means never.
    pub password_expiry_days: Option<u32>,
    /// How long verified Basic credentials are reused without hashing; zero disables.
    pub credential_cache_ttl: Duration,
    /// The fault texts clients are answered with.
    pub fault_messages: MessageSet,
    /// Login sessions (`JSESSIONID`) end after this long without a request.
    pub session_idle_timeout: Duration,
}

/// Carbon's super tenant, the only one here: `admin@carbon.super` is `admin`.
const SUPER_TENANT_DOMAIN: &str = "@carbon.super";

/// A login name without the super tenant's domain (compared case-insensitively, as Carbon's
/// tenant domains are).
pub fn super_tenant_name(name: &str) -> &str {
    let cut = name.len().saturating_sub(SUPER_TENANT_DOMAIN.len());
    match name.get(cut..) {
        Some(tail) if cut > 0 && tail.eq_ignore_ascii_case(SUPER_TENANT_DOMAIN) => &name[..cut],
        _ => name,
    }
}

/// Why an admin-API caller was turned away.
#[derive(Debug)]
pub enum AuthFailure {
    /// No or wrong credentials, or a locked or disabled account: HTTP 401. The outcome says
    /// which, for the audit log only.
    Unauthenticated(AuthOutcome),
    /// The check itself failed (database error): a SOAP fault.
    Failed(ServiceError),
    /// The right password of a user who must change it and may do only that (SCIM's `/Me`);
    /// the caller holds no permission.
    PasswordChangeRequired(Caller),
}

/// The service: store plus settings; cheap to clone and share across requests.
#[derive(Clone)]
pub struct Service {
    pub(super) store: Arc<dyn UserStore>,
    settings: Arc<ServiceSettings>,
    pub(super) credentials: Arc<CredentialCache>,
    sessions: Arc<SessionRegistry>,
}

const MS_PER_DAY: i64 = 24 * 60 * 60 * 1000;

impl Service {
    /// Wrap a store.
    pub fn new(store: Arc<dyn UserStore>, settings: ServiceSettings) -> Self {
        let credentials = Arc::new(CredentialCache::new(settings.credential_cache_ttl));
        // Changes by other processes (the admin CLI, other nodes) end cached logins too.
        let cache = Arc::downgrade(&credentials);
        store.watch_outside_changes(Arc::new(move |change| {
            if let Some(cache) = cache.upgrade() {
                match change {
                    OutsideChange::User(key) => cache.forget(&key),
                    OutsideChange::Unknown => cache.clear(),
                }
            }
        }));
        Self {
            store,
            credentials,
            sessions: Arc::new(SessionRegistry::new(settings.session_idle_timeout)),
            settings: Arc::new(settings),
        }
    }

    /// The caller, if these exact credentials were verified recently, with the session this
    /// login opens (Carbon's servlet container gives every Basic request without a session
    /// cookie a new `JSESSIONID`); never blocks. When the hit says `refresh_due`, the transport
    /// should run `refresh_caller` in the background.
    pub fn cached_caller(&self, user: &str, password: &Password) -> Option<(CachedCaller, String)> {
        let user = UserName::lookup(super_tenant_name(user)).ok()?;
        let hit = self.credentials.get(&user, password)?;
        let session = self.sessions.open(&user, hit.password_set_at_ms);
        Some((hit, session))
    }

    /// Check HTTP Basic credentials and learn the caller's permissions; the login opens a
    /// session, whose id is returned for the `JSESSIONID` cookie. Blocking: runs an argon2
    /// verification (also for unknown users, to hide who exists).
    pub fn authenticate_caller(
        &self,
        user: &str,
        password: Password,
    ) -> Result<(Caller, Option<String>), AuthFailure> {
        let Ok(user) = UserName::lookup(super_tenant_name(user)) else {
            return Err(AuthFailure::Unauthenticated(AuthOutcome::UnknownUser));
        };
        // Another request may have verified the same credentials while this one waited.
        let (caller, password_set_at_ms) = match self.credentials.get(&user, &password) {
            Some(hit) => (hit.caller, hit.password_set_at_ms),
            None => self.verify_caller(&user, &password)?,
        };
        Ok((caller, Some(self.sessions.open(&user, password_set_at_ms))))
    }

    /// A session for a user who just logged in; `None` when the user vanished meanwhile.
    fn open_session(&self, user: &UserName) -> Result<Option<String>, StoreError> {
        Ok(self
            .store
            .find_user(user)?
            .map(|record| self.sessions.open(user, record.password_changed_at_ms)))
    }

    /// The caller behind session `id`, if it is live: the user still exists with the password
    /// it logged in with, and is neither locked nor disabled. Permissions are read afresh.
    pub fn session_caller(&self, id: &str) -> Result<Option<Caller>, ServiceError> {
        let Some(session) = self.sessions.touch(id) else {
            return Ok(None);
        };
        let user = UserName::lookup(&session.user)?;
        let record = self.store.find_user(&user)?;
        let status = self.store.account_status(&user)?;
        let usable = match (&record, &status) {
            (Some(record), Some(status)) => {
                record.password_changed_at_ms == session.password_set_at_ms
                    && status.lock.is_none()
                    && !status.disabled
            }
            _ => false,
        };
        if !usable {
            self.sessions.close(id);
            return Ok(None);
        }
        Ok(Some(self.caller_of(&user, None)?))
    }

    /// `user` as a caller, with the rules its roles hold now.
    fn caller_of(&self, user: &UserName, token: Option<Arc<str>>) -> Result<Caller, StoreError> {
        let permissions = self
            .store
            .permissions_of_user(user, access::EXECUTE_ACTION)?;
        Ok(Caller {
            name: user.to_string(),
            permissions: permissions.into(),
            token,
        })
    }

    /// The caller acting with API token `bearer`, when the token is live (known, right, not
    /// revoked, not expired) and its user may log in (neither locked nor disabled); audit
    /// events name the token's label. Permissions are read afresh, so a token never holds
    /// more than its user does now. One read, no hashing.
    pub fn token_caller(&self, bearer: &str) -> Result<Option<Caller>, ServiceError> {
        let Some(token) = self.store.token_owner(bearer)? else {
            return Ok(None);
        };
        let user = UserName::lookup(&token.user)?;
        let usable = self
            .store
            .account_status(&user)?
            .is_some_and(|status| status.lock.is_none() && !status.disabled);
        if !usable {
            return Ok(None);
        }
        Ok(Some(self.caller_of(&user, Some(token.label.into()))?))
    }

    /// AuthenticationAdmin.login: `true` and a new session when the credentials are right and
    /// the user may log in (`/permission/admin/login`); `false` otherwise, as Carbon answers
    /// (empty credentials included). Blocking: argon2. The audit outcome comes back too.
    pub fn login(&self, params: &Params) -> Result<(Option<String>, &'static str), ServiceError> {
        let name = params.text("username").unwrap_or("");
        let password = Password::new(params.text("password").unwrap_or("").to_string());
        if name.trim().is_empty() || password.is_blank() {
            return Ok((None, AuthOutcome::BadCredentials.label()));
        }
        let user = UserName::lookup(super_tenant_name(name))?;
        let outcome = self.store.authenticate(&user, &password)?;
        if !outcome.is_success() {
            self.credentials.forget(user.key());
            return Ok((None, outcome.label()));
        }
        let permissions = self
            .store
            .permissions_of_user(&user, access::EXECUTE_ACTION)?;
        if !access::grants_path(&permissions, ADMIN_LOGIN) {
            return Ok((None, "denied"));
        }
        Ok((self.open_session(&user)?, outcome.label()))
    }

    /// AuthenticationAdmin.logout: end the caller's session.
    pub fn logout(&self, session: Option<&str>) {
        if let Some(id) = session {
            self.sessions.close(id);
        }
    }

    /// Verify cached credentials again before their entry expires (blocking, argon2); on
    /// failure the entry is dropped and the next request is checked in full.
    pub fn refresh_caller(&self, user: &str, password: Password) {
        if let Ok(user) = UserName::lookup(super_tenant_name(user)) {
            let _ = self.verify_caller(&user, &password);
        }
    }

    /// Check credentials; the caller and when their password was set, remembered in the
    /// credential cache.
    fn verify_caller(
        &self,
        user: &UserName,
        password: &Password,
    ) -> Result<(Caller, i64), AuthFailure> {
        match self.store.authenticate(user, password) {
            Ok(outcome) if outcome.is_success() => {}
            Ok(AuthOutcome::PasswordChangeRequired) => {
                self.credentials.forget(user.key());
                return Err(AuthFailure::PasswordChangeRequired(Caller {
                    name: user.to_string(),
                    permissions: Vec::new().into(),
                    token: None,
                }));
            }
            Ok(outcome) => {
                // A failure may have locked the account: no cached session may outlive that.
                self.credentials.forget(user.key());
                return Err(AuthFailure::Unauthenticated(outcome));
            }
            Err(e) => {
                self.credentials.forget(user.key());
                return Err(AuthFailure::Failed(e.into()));
            }
        }
        let caller = self
            .caller_of(user, None)
            .map_err(|e| AuthFailure::Failed(e.into()))?;
        let password_set_at_ms = self
            .store
            .find_user(user)
            .map_err(|e| AuthFailure::Failed(e.into()))?
            .ok_or(AuthFailure::Unauthenticated(AuthOutcome::UnknownUser))?
            .password_changed_at_ms;
        self.credentials
            .insert(user, password, &caller, password_set_at_ms);
        Ok((caller, password_set_at_ms))
    }

    /// Carbon's authorization handler: the caller's permissions must grant the operation's.
    fn authorize(&self, caller: &Caller, operation: Operation) -> Result<(), ServiceError> {
        if access::is_authorized(&caller.permissions, operation) {
            return Ok(());
        }
        tracing::warn!(
            "Access Denied. Failed authorization attempt to access service '{}' operation '{}' by '{}'",
            operation.spec().service.name,
            operation.name(),
            caller.name
        );
        Err(ServiceError::AccessDenied {
            user: caller.name.clone(),
            operation: operation.name(),
        })
    }

    /// Authorise, decode and run one call of `operation`; also returns what it acted on, for
    /// the audit log. Blocking: may hash passwords and touch the database.
    pub fn call(
        &self,
        caller: &Caller,
        operation: Operation,
        params: &Params,
    ) -> (Option<String>, Result<Reply, ServiceError>) {
        if let Err(denied) = self.authorize(caller, operation) {
            return (None, Err(denied));
        }
        let service = operation.spec().service;
        if !std::ptr::eq(service, &USER_STORE_SERVICE)
            && !std::ptr::eq(service, &AUTHENTICATION_ADMIN)
        {
            // What it acts on, for the audit log, as the user-store operations name it.
            let target = [
                ("userName", "user"),
                ("username", "user"),
                ("roleName", "role"),
                ("resourceId", "resource"),
            ]
            .iter()
            .find_map(|(param, kind)| params.text(param).map(|v| format!("{kind}:{}", v.trim())));
            return (
                Some(target.unwrap_or_else(|| "-".to_string())),
                self.call_admin(caller, operation, params),
            );
        }
        let request = match Request::decode(operation, params) {
            Ok(request) => request,
            Err(e) => return (None, Err(self.as_wso2_reports(operation, e))),
        };
        let target = request.target();
        (Some(target), self.execute(caller, request))
    }

    /// The faultstring for `error` raised by `operation`, in the configured message set.
    pub fn fault_text(&self, error: &ServiceError, operation: Operation) -> String {
        faults::fault_text(self.settings.fault_messages, error, operation)
    }

    /// WSO2 checks an absent name of a new user against the name pattern, as `null`.
    fn as_wso2_reports(&self, operation: Operation, error: ServiceError) -> ServiceError {
        match error {
            ServiceError::Store(StoreError::MissingName(NameKind::User))
                if operation == Operation::AddUser =>
            {
                ServiceError::Store(self.store.credential_policy().username_violation("null"))
            }
            other => other,
        }
    }

    /// Readiness of the backing store. Blocking.
    pub fn check_ready(&self) -> Result<(), StoreError> {
        self.store.check_ready()
    }

    /// Whether the store answers single-account reads without waiting on the network, so the
    /// transports may run them on the executor.
    pub fn reads_in_place(&self) -> bool {
        self.store.reads_in_place()
    }

    /// Whether the store's writes waiting together share one commit, so the transports may let
    /// more of them wait at once.
    pub fn writes_share_commits(&self) -> bool {
        self.store.writes_share_commits()
    }

    /// Run one request against the store. Blocking: may hash passwords and touch the database.
    /// Cached credentials of the users it may have changed are dropped, whatever the outcome.
    pub fn execute(&self, caller: &Caller, request: Request) -> Result<Reply, ServiceError> {
        let invalidated = request.invalidated_sessions();
        let result = self.run(caller, request);
        match invalidated {
            Sessions::Unchanged => {}
            Sessions::Of(keys) => keys.iter().for_each(|key| self.credentials.forget(key)),
            Sessions::All => self.credentials.clear(),
        }
        result
    }

    fn run(&self, caller: &Caller, request: Request) -> Result<Reply, ServiceError> {
        let store = &*self.store;
        let reply = match request {
            Request::Authenticate { user, credential } => {
                Reply::Boolean(store.authenticate(&user, &credential)?.is_success())
            }
            Request::GetUserClaimValue {
                user,
                claim,
                profile,
            } if claim.as_str() == ROLE_CLAIM => {
                // The user must exist whatever the claim, as WSO2 checks.
                store.claim_value(&user, &claim, &profile)?;
                Reply::Text(self.role_claim(&user)?.map(|c| c.value))
            }
            Request::GetUserClaimValue {
                user,
                claim,
                profile,
            } if claim.as_str() == PASSWORD_UPDATE_TIME_CLAIM => {
                match store.claim_value(&user, &claim, &profile)? {
                    Some(stored) => Reply::Text(Some(stored)),
                    None => Reply::Text(Some(self.password_update_time(&user)?.value)),
                }
            }
            Request::GetUserClaimValue {
                user,
                claim,
                profile,
            } => Reply::Text(store.claim_value(&user, &claim, &profile)?),
            Request::GetUserListOfRole { role } => Reply::Texts(store.users_of_role(&role)?),
            Request::IsReadOnly => Reply::Boolean(store.is_read_only()),
            Request::UpdateCredential { user, new, old } => {
                store.update_credential(&user, &new, &old)?;
                Reply::Accepted
            }
            Request::SetUserClaimValue {
                user,
                claim,
                profile,
            } => {
                store.set_claim_values(&user, &[claim], &profile)?;
                Reply::Accepted
            }
            Request::GetUserClaimValuesForClaims {
                user,
                claims,
                profile,
            } => {
                let mut all = self.claims_with_roles(&user, &profile)?;
                let is_update_time = |uri: &ClaimUri| uri.as_str() == PASSWORD_UPDATE_TIME_CLAIM;
                if claims.iter().any(is_update_time) && !all.iter().any(|c| is_update_time(&c.uri))
                {
                    all.push(self.password_update_time(&user)?);
                }
                Reply::ClaimValues(
                    all.into_iter()
                        .filter(|c| claims.contains(&c.uri))
                        .collect(),
                )
            }
            Request::DeleteUserClaimValues {
                user,
                claims,
                profile,
            } => {
                store.delete_claim_values(&user, &claims, &profile)?;
                Reply::Accepted
            }
            Request::DeleteUserClaimValue {
                user,
                claim,
                profile,
            } => {
                store.delete_claim_values(&user, &[claim], &profile)?;
                Reply::Accepted
            }
            Request::IsExistingUser { user } => Reply::Boolean(store.user_exists(&user)?),
            Request::UpdateCredentialByAdmin { user, new } => {
                store.update_credential_by_admin(&user, &new)?;
                Reply::Accepted
            }
            Request::GetRoleNames => Reply::Texts(store.role_names()?),
            Request::GetTenantId => Reply::Int(SUPER_TENANT_ID),
            // WSO2 reads the tenant from the user's row: -1 when there is none.
            Request::GetTenantIdOfUser { user } => Reply::Int(match user {
                Some(user) if store.user_exists(&user)? => SUPER_TENANT_ID,
                _ => UNKNOWN_ID,
            }),
            // WSO2's service returns an empty table (`new String[0][0]`) to the super tenant.
            Request::GetProperties => Reply::StringTable(Vec::new()),
            // WSO2 answers -1 for a user it cannot find (the database helper's default).
            Request::GetUserId { user } => match store.find_user(&user)? {
                Some(record) => Reply::Int(i32::try_from(record.id).map_err(|_| {
                    StoreError::InvalidInput(format!("user id of '{user}' exceeds xs:int"))
                })?),
                None => Reply::Int(UNKNOWN_ID),
            },
            Request::GetAllProfileNames => Reply::Texts(store.all_profile_names()?),
            Request::GetPasswordExpirationTime { user } => {
                let record = store
                    .find_user(&user)?
                    .ok_or_else(|| StoreError::UserNotFound(user.to_string()))?;
                Reply::Long(match self.settings.password_expiry_days {
                    Some(days) => record.password_changed_at_ms + i64::from(days) * MS_PER_DAY,
                    None => -1,
                })
            }
            Request::DeleteRole { role } => {
                store.delete_role(&role)?;
                Reply::Accepted
            }
            Request::ListUsers { filter, max_items } => {
                let limit = self.list_limit(max_items);
                if limit == 0 {
                    Reply::Texts(Vec::new())
                } else {
                    Reply::Texts(store.list_users(&filter, limit)?)
                }
            }
            Request::DeleteUser { user } => {
                if UserName::lookup(&caller.name).is_ok_and(|c| c.key() == user.key()) {
                    return Err(StoreError::Protected(Protected::DeleteLoggedInUser).into());
                }
                store.delete_user(&user)?;
                Reply::Accepted
            }
            // Unique-id stores answer an unknown user with the implicit role alone.
            Request::GetRoleListOfUser { user } => match store.roles_of_user(&user) {
                Err(StoreError::UserNotFound(_)) => Reply::Texts(vec![EVERYONE_ROLE.to_string()]),
                roles => Reply::Texts(roles?),
            },
            Request::IsExistingRole { role } => Reply::Boolean(store.role_exists(&role)?),
            Request::UpdateRoleName { role, new_name } => {
                store.rename_role(&role, &new_name)?;
                Reply::Accepted
            }
            Request::UpdateRoleListOfUser {
                user,
                deleted,
                added,
            } => {
                store.update_roles_of_user(&user, &deleted, &added)?;
                Reply::Accepted
            }
            Request::GetUserClaimValues { user, profile } => {
                let mut listed = self.claims_with_roles(&user, &profile)?;
                listed.retain(|c| !claims::is_bookkeeping(c.uri.as_str()));
                Reply::Claims(listed)
            }
            Request::GetHybridRoles => {
                let roles = store.role_names()?;
                Reply::Texts(
                    roles
                        .into_iter()
                        .filter(|r| RoleName::lookup(r).is_ok_and(|r| r.is_hybrid_domain()))
                        .collect(),
                )
            }
            Request::AddUser(create) => {
                store.add_user(create)?;
                Reply::Accepted
            }
            Request::AddRole(create) => {
                store.add_role(create)?;
                Reply::Accepted
            }
            Request::UpdateUserListOfRole {
                role,
                deleted,
                added,
            } => {
                store.update_users_of_role(&role, &deleted, &added)?;
                Reply::Accepted
            }
            Request::SetUserClaimValues {
                user,
                claims,
                profile,
            } => {
                store.set_claim_values(&user, &claims, &profile)?;
                Reply::Accepted
            }
            Request::GetProfileNames { user } => Reply::Texts(store.profile_names_of_user(&user)?),
            Request::AddUserClaimValue {
                user,
                claim,
                profile,
            } => {
                store.append_claim_values(&user, &[claim], &profile, AppendRule::Always)?;
                Reply::Accepted
            }
            Request::AddUserClaimValues {
                user,
                claims,
                profile,
            } => {
                store.append_claim_values(&user, &claims, &profile, AppendRule::Distinct)?;
                Reply::Accepted
            }
            Request::GetUserList {
                claim,
                value,
                profile,
            } => Reply::Texts(store.users_with_claim(&claim, &value, &profile)?),
        };
        Ok(reply)
    }

    /// WSO2's role claim of `user`: the names of its roles (getRoleListOfUser's, the
    /// everyone role included) joined with `,`, computed at every read and never stored.
    fn role_claim(&self, user: &UserName) -> Result<Option<ClaimValue>, ServiceError> {
        let roles = self.store.roles_of_user(user)?;
        if roles.is_empty() {
            return Ok(None);
        }
        Ok(Some(ClaimValue {
            uri: ClaimUri::parse(ROLE_CLAIM)?,
            value: roles.join(","),
        }))
    }

    /// WSO2's `identity/lastPasswordUpdateTime` where none was moved in: when the password was
    /// last set (ms since the epoch), read from the account itself, so it is right whoever
    /// changed the password.
    fn password_update_time(&self, user: &UserName) -> Result<ClaimValue, ServiceError> {
        let record = self
            .store
            .find_user(user)?
            .ok_or_else(|| StoreError::UserNotFound(user.to_string()))?;
        Ok(ClaimValue {
            uri: ClaimUri::parse(PASSWORD_UPDATE_TIME_CLAIM)?,
            value: record.password_changed_at_ms.to_string(),
        })
    }

    /// A user's claims in `profile` with the computed role claim in its place (by URI).
    fn claims_with_roles(
        &self,
        user: &UserName,
        profile: &ProfileName,
    ) -> Result<Vec<ClaimValue>, ServiceError> {
        let mut claims = self.store.claim_values(user, profile)?;
        claims.retain(|c| c.uri.as_str() != ROLE_CLAIM);
        claims.extend(self.role_claim(user)?);
        claims.sort_by(|a, b| a.uri.as_str().cmp(b.uri.as_str()));
        Ok(claims)
    }

    /// WSO2's rule: a limit below 0 or above the configured maximum means the maximum.
    pub(super) fn list_limit(&self, requested: Option<i32>) -> usize {
        let max = self.settings.max_user_list_length;
        match requested {
            Some(n) if n >= 0 && (n as usize) <= max => n as usize,
            _ => max,
        }
    }
}
