//! Account provisioning for protocols that address users by their UUID (SCIM): create, read,
//! replace, delete and search, each behind the same permission table and store rules as the
//! SOAP operations. Protocol-neutral: accounts go in and out as names, claims and roles.

use super::access::{self, Caller};
use super::dispatch::Service;
use super::ServiceError;
use crate::store::password::generate_password;
use crate::store::policy::claims;
use crate::store::{
    AccountUpdate, ClaimUri, ClaimValue, CreateUserRequest, GroupOrder, GroupQuery, Password,
    ProfileName, RoleChange, RoleName, RoleRecord, StoreError, UserLookup, UserName, UserOrder,
    UserQuery, UserRecord,
};

/// WSO2's SCIM permissions (identity-inbound-provisioning-scim2), one per kind of access.
pub mod permission {
    /// Create users.
    pub const CREATE: &str = "/permission/admin/manage/identity/usermgt/create";
    /// Read a user.
    pub const VIEW: &str = "/permission/admin/manage/identity/usermgt/view";
    /// Replace or modify a user.
    pub const UPDATE: &str = "/permission/admin/manage/identity/usermgt/update";
    /// Delete a user.
    pub const DELETE: &str = "/permission/admin/manage/identity/usermgt/delete";
    /// List and search users.
    pub const LIST: &str = "/permission/admin/manage/identity/usermgt/list";
    /// Create groups.
    pub const ROLE_CREATE: &str = "/permission/admin/manage/identity/rolemgt/create";
    /// Read and list groups.
    pub const ROLE_VIEW: &str = "/permission/admin/manage/identity/rolemgt/view";
    /// Rename groups and change their members.
    pub const ROLE_UPDATE: &str = "/permission/admin/manage/identity/rolemgt/update";
    /// Delete groups.
    pub const ROLE_DELETE: &str = "/permission/admin/manage/identity/rolemgt/delete";
}

/// An account as a provisioning protocol sees it.
#[derive(Debug, Clone)]
pub struct Account {
    /// The stored account.
    pub record: UserRecord,
    /// Its UUID (`http://wso2.org/claims/userid`).
    pub id: String,
    /// Its claims in the default profile (bookkeeping counters left out).
    pub claims: Vec<ClaimValue>,
    /// Its roles with their ids (the implicit everyone role not included).
    pub role_records: Vec<RoleRecord>,
}

/// What a SCIM PUT or PATCH asks of a group: each field `None` leaves it as it is.
#[derive(Debug, Default)]
pub struct GroupUpdate {
    /// A new name.
    pub name: Option<String>,
    /// A new external id (`Some(None)` clears it).
    pub external_id: Option<Option<String>>,
    /// Members to add, by UUID.
    pub add: Vec<String>,
    /// Members to remove, by UUID.
    pub remove: Vec<String>,
    /// The version the change was computed from: applied only if the group is still at it
    /// (else [`StoreError::VersionChanged`]; the caller may recompute and retry).
    pub base_version: Option<i64>,
}

/// A role as a provisioning protocol sees it (SCIM's Group), with its members.
#[derive(Debug, Clone)]
pub struct GroupView {
    /// The role.
    pub record: RoleRecord,
    /// Each member's UUID and name.
    pub members: Vec<(String, String)>,
}

/// What a provisioning request says an account should be.
#[derive(Debug)]
pub struct AccountWrite {
    /// The user name.
    pub name: String,
    /// A new password; `None` keeps the current one (or, on create, sets an unguessable one).
    pub password: Option<Password>,
    /// The claims the request sets (default profile).
    pub claims: Vec<ClaimValue>,
    /// Claims the protocol manages: on replace, those of them the request leaves out are
    /// removed.
    pub managed_claims: Vec<String>,
}

/// Whether `uri` is account state rather than profile: the lock, disabling and login
/// counters (`http://wso2.org/claims/identity/…`), which only administrators change.
fn is_account_state(uri: &str) -> bool {
    uri.starts_with("http://wso2.org/claims/identity/")
}

/// The entity tag of a resource at `version`: weak (`W/"7"`).
pub fn entity_tag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// Whether an `If-Match` precondition holds for a resource at `version`: `*`, or one of the
/// listed tags (weak or strong) names that version.
fn precondition_holds(version: i64, if_match: &str) -> bool {
    let current = version.to_string();
    if_match
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == current)
}

/// An absent `If-Match`, or one that holds at `version`; else the precondition failure.
pub fn check_precondition(version: i64, if_match: Option<&str>) -> Result<(), ServiceError> {
    match if_match {
        Some(tag) if !precondition_holds(version, tag) => Err(ServiceError::PreconditionFailed {
            current: entity_tag(version),
        }),
        _ => Ok(()),
    }
}

/// A partial change to an account (SCIM PATCH), computed against a known version.
#[derive(Debug, Default)]
pub struct AccountChange {
    /// Claims to set (default profile).
    pub set: Vec<ClaimValue>,
    /// Claims to remove.
    pub remove: Vec<String>,
    /// A new password.
    pub password: Option<Password>,
    /// A new user name (SCIM's userName is readWrite).
    pub user_name: Option<String>,
}

impl Service {
    /// The caller's permissions must grant `required` (SCIM's table in [`permission`]).
    pub fn require_permission(
        &self,
        caller: &Caller,
        required: &'static str,
    ) -> Result<(), ServiceError> {
        if access::grants_path(&caller.permissions, required) {
            return Ok(());
        }
        tracing::warn!(user = %caller.name, permission = required, "access denied");
        Err(ServiceError::AccessDenied {
            user: caller.name.clone(),
            operation: required,
        })
    }

    /// The account `user` designates, read in one snapshot.
    fn load(&self, user: UserLookup<'_>) -> Result<Option<Account>, ServiceError> {
        let Some(view) = self.store.user_view(user)? else {
            return Ok(None);
        };
        let mut claims = view.claims;
        claims.retain(|c| !claims::is_bookkeeping(c.uri.as_str()));
        let id = claims
            .iter()
            .find(|c| c.uri.as_str() == claims::USER_ID)
            .map(|c| c.value.clone())
            .unwrap_or_default();
        Ok(Some(Account {
            record: view.record,
            id,
            claims,
            role_records: view.roles,
        }))
    }

    /// The account of `user`, which was just written and so must exist.
    fn reload(&self, user: &UserName) -> Result<Account, ServiceError> {
        self.load(UserLookup::Name(user))?
            .ok_or_else(|| StoreError::UserNotFound(user.to_string()).into())
    }

    /// The account with UUID `id`, if any. Needs the view permission.
    pub fn account(&self, caller: &Caller, id: &str) -> Result<Option<Account>, ServiceError> {
        self.require_permission(caller, permission::VIEW)?;
        self.load(UserLookup::Id(id))
    }

    /// The caller's own account (SCIM's `/Me`): any authenticated user may read it.
    pub fn own_account(&self, caller: &Caller) -> Result<Option<Account>, ServiceError> {
        let user = UserName::lookup(&caller.name)?;
        self.load(UserLookup::Name(&user))
    }

    /// Create an account from `write`; it gets a new UUID. Blocking: hashes the password.
    pub fn create_account(
        &self,
        caller: &Caller,
        write: AccountWrite,
    ) -> Result<Account, ServiceError> {
        self.require_permission(caller, permission::CREATE)?;
        let user = UserName::lookup(&write.name)?;
        let password = write
            .password
            .unwrap_or_else(|| Password::new(generate_password()));
        self.store.add_user(CreateUserRequest {
            user: user.clone(),
            password,
            roles: Vec::new(),
            claims: write.claims,
            profile: ProfileName::default(),
            require_password_change: false,
        })?;
        self.reload(&user)
    }

    /// Replace account `id`'s managed claims (and password, when given) with `write`'s. The
    /// user name cannot change here. Blocking when a password is set.
    pub fn replace_account(
        &self,
        caller: &Caller,
        id: &str,
        write: AccountWrite,
        if_match: Option<&str>,
    ) -> Result<Option<Account>, ServiceError> {
        self.require_permission(caller, permission::UPDATE)?;
        let Some(record) = self.store.find_user_by_id(id)? else {
            return Ok(None);
        };
        self.replace_record(record, write, if_match).map(Some)
    }

    /// [`Service::replace_account`] for the caller's own account (SCIM's `/Me`), which needs no
    /// permission but for account state (see [`Service::check_own_write`]); left out of the
    /// request, account state is kept.
    pub fn replace_own_account(
        &self,
        caller: &Caller,
        mut write: AccountWrite,
        if_match: Option<&str>,
    ) -> Result<Option<Account>, ServiceError> {
        self.check_own_write(caller, write.claims.iter().map(|c| c.uri.as_str()))?;
        if UserName::lookup(&write.name)?.as_str() != UserName::lookup(&caller.name)?.as_str() {
            self.require_permission(caller, permission::UPDATE)?;
        }
        write.managed_claims.retain(|uri| !is_account_state(uri));
        let Some(record) = self.store.find_user(&UserName::lookup(&caller.name)?)? else {
            return Ok(None);
        };
        self.replace_record(record, write, if_match).map(Some)
    }

    fn replace_record(
        &self,
        record: UserRecord,
        write: AccountWrite,
        if_match: Option<&str>,
    ) -> Result<Account, ServiceError> {
        check_precondition(record.version, if_match)?;
        let user = UserName::lookup(&record.name)?;
        let new_name = UserName::lookup(&write.name)?;
        let renamed = (new_name.as_str() != user.as_str()).then_some(&new_name);
        let profile = ProfileName::default();
        let current = self.store.claim_values(&user, &profile)?;
        let dropped: Vec<ClaimUri> = current
            .into_iter()
            .map(|c| c.uri)
            .filter(|uri| {
                write.managed_claims.iter().any(|m| m == uri.as_str())
                    && !write.claims.iter().any(|c| &c.uri == uri)
            })
            .collect();
        if let Some(password) = &write.password {
            self.store.update_credential_by_admin(&user, password)?;
        }
        self.store.update_account(
            &user,
            AccountUpdate {
                set: &write.claims,
                remove: &dropped,
                profile: &profile,
                expected_version: None,
                new_name: renamed,
            },
        )?;
        self.credentials.forget(user.key());
        self.reload(renamed.unwrap_or(&user))
    }

    /// A user may change his own profile and password without any permission, but not his
    /// account's state (locks, disabling, login counters) unless he could change anyone's.
    fn check_own_write<'a>(
        &self,
        caller: &Caller,
        mut touched: impl Iterator<Item = &'a str>,
    ) -> Result<(), ServiceError> {
        if touched.any(is_account_state) {
            self.require_permission(caller, permission::UPDATE)?;
        }
        Ok(())
    }

    /// Apply a change computed from `base` (the account as the caller saw it): set and remove
    /// claims, and set the password, all only if the account is still at `base`'s version
    /// (else [`StoreError::VersionChanged`]; the caller may recompute and retry).
    pub fn patch_account(
        &self,
        caller: &Caller,
        base: &Account,
        change: AccountChange,
    ) -> Result<Account, ServiceError> {
        self.require_permission(caller, permission::UPDATE)?;
        self.apply_change(base, change)
    }

    /// [`Service::patch_account`] for the caller's own account (SCIM's `/Me`): no permission
    /// needed but for account state (see [`Service::check_own_write`]).
    pub fn patch_own_account(
        &self,
        caller: &Caller,
        base: &Account,
        change: AccountChange,
    ) -> Result<Account, ServiceError> {
        let own = UserName::lookup(&caller.name)?;
        if UserName::lookup(&base.record.name)?.key() != own.key() {
            return Err(ServiceError::BadRequest(
                "this is not the caller's account".to_string(),
            ));
        }
        if change.user_name.is_some() {
            // A rename ends the caller's own logins: only for who could rename anyone.
            self.require_permission(caller, permission::UPDATE)?;
        }
        let touched = change.set.iter().map(|c| c.uri.as_str());
        self.check_own_write(
            caller,
            touched.chain(change.remove.iter().map(String::as_str)),
        )?;
        self.apply_change(base, change)
    }

    fn apply_change(&self, base: &Account, change: AccountChange) -> Result<Account, ServiceError> {
        let user = UserName::lookup(&base.record.name)?;
        // Refuse a bad password before anything is written, so the change is all or nothing.
        if let Some(password) = &change.password {
            self.store.credential_policy().check_password(password)?;
        }
        let remove = change
            .remove
            .iter()
            .map(|uri| ClaimUri::parse(uri))
            .collect::<Result<Vec<_>, _>>()?;
        let new_name = change
            .user_name
            .as_deref()
            .map(UserName::lookup)
            .transpose()?;
        let profile = ProfileName::default();
        self.store.update_account(
            &user,
            AccountUpdate {
                set: &change.set,
                remove: &remove,
                profile: &profile,
                expected_version: Some(base.record.version),
                new_name: new_name.as_ref(),
            },
        )?;
        let user = new_name.unwrap_or(user);
        if let Some(password) = &change.password {
            self.store.update_credential_by_admin(&user, password)?;
        }
        self.credentials
            .forget(UserName::lookup(&base.record.name)?.key());
        self.credentials.forget(user.key());
        self.reload(&user)
    }

    /// Delete account `id`; `false` when there is none. Not the caller itself, not the
    /// realm's admin.
    pub fn delete_account(
        &self,
        caller: &Caller,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<bool, ServiceError> {
        self.require_permission(caller, permission::DELETE)?;
        let Some(record) = self.store.find_user_by_id(id)? else {
            return Ok(false);
        };
        check_precondition(record.version, if_match)?;
        let user = UserName::lookup(&record.name)?;
        if UserName::lookup(&caller.name).is_ok_and(|c| c.key() == user.key()) {
            return Err(StoreError::Protected(crate::store::Protected::DeleteLoggedInUser).into());
        }
        self.store.delete_user(&user)?;
        self.credentials.forget(user.key());
        Ok(true)
    }

    fn group_view(&self, record: RoleRecord) -> Result<GroupView, ServiceError> {
        let role = RoleName::lookup(&record.name)?;
        let members = self.store.members_with_ids(&role)?;
        Ok(GroupView { record, members })
    }

    /// Members given by UUID, as user names; an unknown id is the caller's error.
    fn members_by_id(&self, ids: &[String]) -> Result<Vec<UserName>, ServiceError> {
        ids.iter()
            .map(|id| {
                let record = self
                    .store
                    .find_user_by_id(id)?
                    .ok_or_else(|| ServiceError::BadRequest(format!("no user has the id {id}")))?;
                Ok(UserName::lookup(&record.name)?)
            })
            .collect()
    }

    /// The group (store role) with UUID `id`. Needs rolemgt/view.
    pub fn group(&self, caller: &Caller, id: &str) -> Result<Option<GroupView>, ServiceError> {
        self.require_permission(caller, permission::ROLE_VIEW)?;
        match self.store.find_role_by_id(id)? {
            Some(record) if !RoleName::lookup(&record.name)?.is_hybrid_domain() => {
                self.group_view(record).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Groups that satisfy `query`: how many, and `count` from `offset` on in `order`.
    pub fn find_groups(
        &self,
        caller: &Caller,
        query: &GroupQuery,
        order: GroupOrder,
        offset: usize,
        count: usize,
    ) -> Result<(usize, Vec<GroupView>), ServiceError> {
        self.require_permission(caller, permission::ROLE_VIEW)?;
        let (total, records) = self.store.query_groups(query, order, offset, count)?;
        let groups = records
            .into_iter()
            .map(|r| self.group_view(r))
            .collect::<Result<_, _>>()?;
        Ok((total, groups))
    }

    /// Create a group (a store role) with members given by UUID.
    pub fn create_group(
        &self,
        caller: &Caller,
        name: &str,
        external_id: Option<String>,
        member_ids: &[String],
    ) -> Result<GroupView, ServiceError> {
        self.require_permission(caller, permission::ROLE_CREATE)?;
        let role = RoleName::lookup(name)?;
        if role.is_hybrid_domain() {
            return Err(ServiceError::BadRequest(
                "Internal/ and Application/ roles are not groups".to_string(),
            ));
        }
        let users = self.members_by_id(member_ids)?;
        self.store.add_role(crate::store::CreateRoleRequest {
            role: role.clone(),
            users: users.clone(),
            permissions: Vec::new(),
            external_id,
            id: None,
        })?;
        users.iter().for_each(|u| self.credentials.forget(u.key()));
        let record = self
            .store
            .role_record(&role)?
            .ok_or_else(|| StoreError::RoleNotFound(role.to_string()))?;
        self.group_view(record)
    }

    /// Rename group `id` (when the new name differs), set its external id and add and remove
    /// members by UUID, all in one transaction.
    pub fn update_group(
        &self,
        caller: &Caller,
        id: &str,
        update: GroupUpdate,
    ) -> Result<Option<GroupView>, ServiceError> {
        self.require_permission(caller, permission::ROLE_UPDATE)?;
        let Some(record) = self.store.find_role_by_id(id)? else {
            return Ok(None);
        };
        let mut role = RoleName::lookup(&record.name)?;
        if role.is_hybrid_domain() {
            return Ok(None);
        }
        let mut change = RoleChange {
            new_name: None,
            external_id: update.external_id,
            add: self.members_by_id(&update.add)?,
            remove: self.members_by_id(&update.remove)?,
            expected_version: update.base_version,
        };
        if let Some(new_name) = &update.name {
            let renamed = RoleName::lookup(new_name)?;
            if renamed.key() != role.key() {
                change.new_name = Some(renamed);
            }
        }
        let renamed = change.new_name.clone();
        let touched: Vec<UserName> = change.add.iter().chain(&change.remove).cloned().collect();
        self.store.change_role(&role, change)?;
        if let Some(renamed) = renamed {
            role = renamed;
        }
        touched
            .iter()
            .for_each(|u| self.credentials.forget(u.key()));
        let record = self
            .store
            .role_record(&role)?
            .ok_or_else(|| StoreError::RoleNotFound(role.to_string()))?;
        self.group_view(record).map(Some)
    }

    /// Delete group `id`; `false` when there is none.
    pub fn delete_group(
        &self,
        caller: &Caller,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<bool, ServiceError> {
        self.require_permission(caller, permission::ROLE_DELETE)?;
        let Some(record) = self.store.find_role_by_id(id)? else {
            return Ok(false);
        };
        check_precondition(record.version, if_match)?;
        let role = RoleName::lookup(&record.name)?;
        if role.is_hybrid_domain() {
            return Ok(false);
        }
        self.store.delete_role(&role)?;
        self.credentials.clear();
        Ok(true)
    }

    /// The accounts satisfying `query`: how many there are, and `count` of them from `offset`
    /// on, in name order.
    pub fn find_accounts(
        &self,
        caller: &Caller,
        query: &UserQuery,
        order: &UserOrder,
        offset: usize,
        count: usize,
    ) -> Result<(usize, Vec<Account>), ServiceError> {
        self.require_permission(caller, permission::LIST)?;
        let (total, names) = self.store.query_users(query, order, offset, count)?;
        let mut accounts = Vec::with_capacity(names.len());
        for name in names {
            let user = UserName::lookup(&name)?;
            if let Some(account) = self.load(UserLookup::Name(&user))? {
                accounts.push(account);
            }
        }
        Ok((total, accounts))
    }
}
