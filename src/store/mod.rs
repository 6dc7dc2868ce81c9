//! The user store: what the service needs from a backend, as narrow traits, and the SQLite
//! implementation that is the default. Nothing here knows about SOAP or HTTP.

pub mod admin;
mod error;
pub mod metrics;
pub mod names;
pub mod password;
pub mod policy;
pub mod postgres;
pub mod schemes;
pub mod sql;
pub mod sqlite;
pub mod tokens;

pub use admin::AdminBackend;
pub use error::{DatabaseError, Protected, StoreError};
pub use names::{ClaimUri, NameKind, ProfileName, RoleName, UserName};
pub use password::{Password, PasswordHasher};
pub use tokens::{ApiToken, IssuedToken, TokenBackend};

/// Result of every store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// One claim of a user in one profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimValue {
    /// The claim's URI.
    pub uri: ClaimUri,
    /// The stored value.
    pub value: String,
}

/// How addUserClaimValue(s) append a value to a multi-valued claim: WSO2's two operations
/// follow two different rules, and clients depend on each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendRule {
    /// addUserClaimValue: always join with `,`, no duplicate check, a blank value as given.
    Always,
    /// addUserClaimValues: join with the store's separator (`,`), skip a value already present
    /// (compared case-insensitively); a blank value leaves the claim unchanged.
    Distinct,
}

/// WSO2's multi-attribute separator (`MultiAttributeSeparator`).
pub const MULTI_ATTRIBUTE_SEPARATOR: char = ',';

impl AppendRule {
    /// The claim's new value after appending `new` to `existing`; `None` leaves it unchanged.
    pub fn append(self, existing: Option<&str>, new: &str) -> Option<String> {
        let existing = existing.filter(|e| !e.is_empty());
        match (self, existing) {
            (AppendRule::Distinct, _) if new.trim().is_empty() => None,
            (_, None) => Some(new.to_string()),
            (AppendRule::Always, Some(old)) => {
                Some(format!("{old}{MULTI_ATTRIBUTE_SEPARATOR}{new}"))
            }
            (AppendRule::Distinct, Some(old)) => {
                let present = old
                    .split(MULTI_ATTRIBUTE_SEPARATOR)
                    .any(|v| v.eq_ignore_ascii_case(new));
                (!present).then(|| format!("{old}{MULTI_ATTRIBUTE_SEPARATOR}{new}"))
            }
        }
    }
}

/// A permission granted to a role: WSO2 stores them as (resource, action) pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    /// The resource path, e.g. `/permission/admin/manage/identity`.
    pub resource_id: String,
    /// The action on it, e.g. `ui.execute`.
    pub action: String,
}

/// One rule a role holds on a permission path: a grant, or a denial moved in from WSO2
/// (`UM_IS_ALLOWED = 0`); the access decision reads them per role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionRule {
    /// The role's id (rules of one role decide together).
    pub role: i64,
    /// The resource path.
    pub resource_id: String,
    /// A grant, or a denial.
    pub allowed: bool,
}

impl PermissionRule {
    /// A grant of `path` to role `role`.
    pub fn granted(role: i64, path: &str) -> Self {
        Self {
            role,
            resource_id: path.to_string(),
            allowed: true,
        }
    }

    /// A denial of `path` to role `role`.
    pub fn denied(role: i64, path: &str) -> Self {
        Self {
            allowed: false,
            ..Self::granted(role, path)
        }
    }
}

impl Permission {
    /// The root of WSO2's permission tree, executable: what the admin role holds.
    pub fn root() -> Self {
        Self {
            resource_id: "/permission".to_string(),
            action: "ui.execute".to_string(),
        }
    }
}

/// Everything needed to create an account in one transaction.
#[derive(Debug)]
pub struct CreateUserRequest {
    /// The new account's name; the store checks it against the naming rules.
    pub user: UserName,
    /// Its initial password (hashed by the store, never stored as given).
    pub password: Password,
    /// Roles to put it in; each must exist.
    pub roles: Vec<RoleName>,
    /// Claims to set in `profile`.
    pub claims: Vec<ClaimValue>,
    /// Profile the claims belong to.
    pub profile: ProfileName,
    /// Whether the user must change the password (reported by the
    /// `adminForcedPasswordReset` identity claim until the password changes).
    pub require_password_change: bool,
}

/// Everything needed to create a role in one transaction.
#[derive(Debug)]
pub struct CreateRoleRequest {
    /// The new role's name.
    pub role: RoleName,
    /// Users to put in it; each must exist.
    pub users: Vec<UserName>,
    /// Permissions to store with it.
    pub permissions: Vec<Permission>,
    /// An identifier the provisioning client keeps for it (SCIM's `externalId`).
    pub external_id: Option<String>,
    /// Its id (SCIM's Group `id`), when it comes from elsewhere (an import keeps WSO2's);
    /// `None` makes a new UUID.
    pub id: Option<String>,
}

/// Changes to one role, written in one transaction.
#[derive(Debug, Default)]
pub struct RoleChange {
    /// A new name.
    pub new_name: Option<RoleName>,
    /// A new external id (`Some(None)` clears it).
    pub external_id: Option<Option<String>>,
    /// Users to add; each must exist.
    pub add: Vec<UserName>,
    /// Users to remove.
    pub remove: Vec<UserName>,
    /// Change only a role still at this version (else [`StoreError::VersionChanged`]).
    pub expected_version: Option<i64>,
}

/// A user-name pattern for listing, as WSO2's JDBC store reads it: `*` matches any run of
/// characters, `?` exactly one, everything else itself (case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserFilter {
    /// Every user.
    All,
    /// Names matching a wildcard pattern (a secondary store's users by `DOMAIN/pattern`).
    Wildcard(String),
    /// The primary store's users alone (`PRIMARY/pattern`, `/pattern`): names without a
    /// domain, matching the pattern when there is one.
    Primary(Option<String>),
}

impl UserFilter {
    /// Interpret a filter: trimmed; absent, empty or `*` means all users (a secondary store's
    /// with their `DOMAIN/`, as WSO2 lists every store); `PRIMARY/pattern` and `/pattern`
    /// search the primary store alone; `DOMAIN/pattern` a secondary store's users moved in
    /// from WSO2 (nobody, where there are none).
    pub fn from_request(raw: Option<&str>) -> Self {
        let pattern = raw.map(str::trim).unwrap_or("");
        match pattern.split_once('/') {
            Some((domain, rest))
                if domain.is_empty() || domain.eq_ignore_ascii_case(names::PRIMARY_DOMAIN_NAME) =>
            {
                UserFilter::Primary(match rest {
                    "" | "*" => None,
                    rest => Some(rest.to_string()),
                })
            }
            Some(_) => UserFilter::Wildcard(pattern.to_string()),
            None => match pattern {
                "" | "*" => UserFilter::All,
                pattern => UserFilter::Wildcard(pattern.to_string()),
            },
        }
    }
}

/// Sort names as Java's `Arrays.sort` does (UTF-16 code units, case-sensitive): the order of
/// WSO2's listUsers.
pub fn sort_like_java(names: &mut [String]) {
    names.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
}

/// Facts about a stored account that the service layer reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Stable numeric id (WSO2's `UM_ID`), reported by getUserId.
    pub id: i64,
    /// The name as stored.
    pub name: String,
    /// When the password was last set, in milliseconds since the Unix epoch.
    pub password_changed_at_ms: i64,
    /// When the account was created (ms since the epoch).
    pub created_at_ms: i64,
    /// When the account, its claims, password or memberships last changed (ms).
    pub modified_at_ms: i64,
    /// Counts the account's changes (SCIM's `meta.version`).
    pub version: i64,
}

/// How an account is looked up: by name or by its UUID.
#[derive(Debug, Clone, Copy)]
pub enum UserLookup<'a> {
    /// By user name.
    Name(&'a UserName),
    /// By the UUID in `http://wso2.org/claims/userid`.
    Id(&'a str),
}

/// An account with its default-profile claims and its roles (not `Internal/everyone`).
#[derive(Debug, Clone)]
pub struct UserView {
    /// The stored account.
    pub record: UserRecord,
    /// Its claims in the default profile, by URI.
    pub claims: Vec<ClaimValue>,
    /// Its roles with their ids.
    pub roles: Vec<RoleRecord>,
}

/// A role as provisioning protocols see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRecord {
    /// The name as stored.
    pub name: String,
    /// Its UUID.
    pub id: String,
    /// When it was created (ms since the epoch).
    pub created_at_ms: i64,
    /// When its name, external id or members last changed (ms since the epoch).
    pub modified_at_ms: i64,
    /// The provisioning client's identifier for it.
    pub external_id: Option<String>,
    /// Counts its changes (name, external id, members): SCIM's `meta.version`.
    pub version: i64,
}

/// How a text is compared in a [`UserQuery`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    /// Equal.
    Eq,
    /// Not equal (also when the value is absent).
    Ne,
    /// Contains.
    Contains,
    /// Starts with.
    StartsWith,
    /// Ends with.
    EndsWith,
    /// Greater than (text order, or numeric for times).
    Gt,
    /// Greater than or equal.
    Ge,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
}

/// A comparison of a text attribute with a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMatch {
    /// The comparison.
    pub op: MatchOp,
    /// The value compared with.
    pub value: String,
    /// Compare case-sensitively (SCIM's `caseExact`); user names never are.
    pub case_exact: bool,
}

/// What accounts are sorted by (SCIM's `sortBy`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SortKey {
    /// The user name.
    #[default]
    Name,
    /// When the account was created.
    Created,
    /// When the account last changed.
    Modified,
    /// A claim's value in the default profile, compared case-insensitively.
    Claim(ClaimUri),
}

/// An order of accounts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserOrder {
    /// What is compared.
    pub key: SortKey,
    /// Descending instead of ascending.
    pub descending: bool,
}

/// A condition on groups (the store's own roles) that the store evaluates itself: what SCIM
/// Group filters compile to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupQuery {
    /// Every group.
    All,
    /// No group.
    Nothing,
    /// The role name matches, case-insensitively (a `PRIMARY/` prefix in the value is dropped).
    Name(TextMatch),
    /// The UUID matches.
    Id(TextMatch),
    /// The provisioning client's identifier matches (a group without one never does).
    ExternalId(TextMatch),
    /// The group has an external id.
    HasExternalId,
    /// The role's creation time compares with this time (ms since the epoch).
    Created(MatchOp, i64),
    /// The role's last change compares with this time (ms since the epoch).
    Modified(MatchOp, i64),
    /// Some member satisfies the condition.
    AnyMember(MemberQuery),
    /// The group has members.
    HasMembers,
    /// Both hold.
    And(Box<GroupQuery>, Box<GroupQuery>),
    /// Either holds.
    Or(Box<GroupQuery>, Box<GroupQuery>),
    /// The inner condition does not hold.
    Not(Box<GroupQuery>),
}

/// A condition on one member of a group, as inside SCIM's `members[...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberQuery {
    /// The member's UUID matches.
    Id(TextMatch),
    /// Both hold for the same member.
    And(Box<MemberQuery>, Box<MemberQuery>),
    /// Either holds for the same member.
    Or(Box<MemberQuery>, Box<MemberQuery>),
    /// The inner condition does not hold for the member.
    Not(Box<MemberQuery>),
}

/// What groups are sorted by (SCIM's `sortBy` on Groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupSortKey {
    /// The role name, compared case-insensitively.
    #[default]
    Name,
    /// The UUID.
    Id,
    /// The provisioning client's identifier (groups without one last).
    ExternalId,
    /// When the role was created.
    Created,
    /// When its name, external id or members last changed.
    Modified,
}

/// An order of groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupOrder {
    /// What is compared.
    pub key: GroupSortKey,
    /// Descending instead of ascending.
    pub descending: bool,
}

/// A condition on accounts that the store evaluates itself (with its indexes): what SCIM
/// filters compile to, so no protocol layer loads every user to filter them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserQuery {
    /// Every account.
    All,
    /// No account.
    Nothing,
    /// The user name matches (case-insensitively).
    Name(TextMatch),
    /// A claim of the default profile matches.
    Claim {
        /// The claim.
        uri: String,
        /// How its value must compare.
        matches: TextMatch,
    },
    /// The account has a value for the claim (default profile).
    HasClaim(String),
    /// The account's creation time compares with this time (ms since the epoch).
    Created(MatchOp, i64),
    /// The account's last change compares with this time (ms since the epoch).
    Modified(MatchOp, i64),
    /// Both hold.
    And(Box<UserQuery>, Box<UserQuery>),
    /// Either holds.
    Or(Box<UserQuery>, Box<UserQuery>),
    /// The condition does not hold.
    Not(Box<UserQuery>),
}

impl UserQuery {
    /// Whether at most one account can match (a user-name equality: names are unique), so that
    /// answering costs no more than a lookup by name.
    pub fn selects_at_most_one(&self) -> bool {
        match self {
            UserQuery::Nothing => true,
            UserQuery::Name(matches) => matches.op == MatchOp::Eq,
            UserQuery::And(a, b) => a.selects_at_most_one() || b.selects_at_most_one(),
            _ => false,
        }
    }
}

/// The result of a login attempt; only `Success` lets the caller in. The reason is for the audit
/// log, never for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthOutcome {
    /// Right password, account usable.
    Success,
    /// Wrong password (counted towards the lock).
    BadCredentials,
    /// No such user.
    UnknownUser,
    /// Locked by an administrator or by failed logins.
    Locked,
    /// Disabled by an administrator.
    Disabled,
    /// The user must change the password (adminForcedPasswordReset, WSO2's
    /// UM_REQUIRE_CHANGE) and was told so more than a day ago: as WSO2's JDBC store does, the
    /// login fails ("Password change required.") until the password is changed.
    PasswordChangeRequired,
}

impl AuthOutcome {
    /// Whether the attempt succeeded.
    pub fn is_success(self) -> bool {
        self == AuthOutcome::Success
    }

    /// A short label for logs.
    pub fn label(self) -> &'static str {
        match self {
            AuthOutcome::Success => "success",
            AuthOutcome::BadCredentials => "bad_credentials",
            AuthOutcome::UnknownUser => "unknown_user",
            AuthOutcome::Locked => "locked",
            AuthOutcome::Disabled => "disabled",
            AuthOutcome::PasswordChangeRequired => "password_change_required",
        }
    }
}

/// A lock in force on an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountLock {
    /// Set by an administrator; lasts until one lifts it.
    ByAdministrator,
    /// Left by failed logins; ends by itself at this time (ms since the Unix epoch).
    UntilMs(i64),
}

/// Whether an account can log in now, as the login rules see it, for operators to inspect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountStatus {
    /// The lock in force now, if any (an expired failed-login lock is none).
    pub lock: Option<AccountLock>,
    /// Disabled by an administrator.
    pub disabled: bool,
    /// Consecutive failed logins counted towards the next lock.
    pub failed_attempts: u32,
}

/// Verifying credentials: the only place a password is compared.
pub trait LoginHandler {
    /// Check `password` for `user`, applying account lock, disable and brute-force rules. Does
    /// the same hashing work for unknown, locked and disabled users, so timing reveals nothing.
    fn authenticate(&self, user: &UserName, password: &Password) -> StoreResult<AuthOutcome>;
    /// The account's lock, disable and failed-login state; `None` for an unknown user.
    fn account_status(&self, user: &UserName) -> StoreResult<Option<AccountStatus>>;
}

/// Accounts and their credentials.
pub trait UserBackend {
    /// Create an account with its roles and claims, all or nothing.
    fn add_user(&self, request: CreateUserRequest) -> StoreResult<()>;
    /// Delete an account with its memberships and claims.
    fn delete_user(&self, user: &UserName) -> StoreResult<()>;
    /// The stored account, if any.
    fn find_user(&self, user: &UserName) -> StoreResult<Option<UserRecord>>;
    /// Whether the account exists: answered from the name index alone, without reading the
    /// account's row (the commonest read, isExistingUser).
    fn user_exists(&self, user: &UserName) -> StoreResult<bool>;
    /// The account whose UUID (`http://wso2.org/claims/userid`) is `id`.
    fn find_user_by_id(&self, id: &str) -> StoreResult<Option<UserRecord>>;
    /// An account with its default-profile claims and its roles, read from one snapshot (what
    /// a provisioning protocol renders).
    fn user_view(&self, user: UserLookup<'_>) -> StoreResult<Option<UserView>>;
    /// How many accounts satisfy `query`, and the names of `limit` of them from `offset` on,
    /// in `order` (ties, and accounts without the sort value last, in name order).
    fn query_users(
        &self,
        query: &UserQuery,
        order: &UserOrder,
        offset: usize,
        limit: usize,
    ) -> StoreResult<(usize, Vec<String>)>;
    /// Names matching `filter`, sorted, at most `limit` of them.
    fn list_users(&self, filter: &UserFilter, limit: usize) -> StoreResult<Vec<String>>;
    /// Change a password after checking the old one.
    fn update_credential(&self, user: &UserName, new: &Password, old: &Password)
        -> StoreResult<()>;
    /// Set a password without knowing the old one.
    fn update_credential_by_admin(&self, user: &UserName, new: &Password) -> StoreResult<()>;
}

/// Roles, their members and permissions.
pub trait RoleBackend {
    /// Create a role with its members and permissions, all or nothing.
    fn add_role(&self, request: CreateRoleRequest) -> StoreResult<()>;
    /// Delete a role and its memberships.
    fn delete_role(&self, role: &RoleName) -> StoreResult<()>;
    /// True when the role exists.
    fn role_exists(&self, role: &RoleName) -> StoreResult<bool>;
    /// Rename a role, keeping members and permissions.
    fn rename_role(&self, role: &RoleName, new_name: &RoleName) -> StoreResult<()> {
        self.change_role(
            role,
            RoleChange {
                new_name: Some(new_name.clone()),
                ..RoleChange::default()
            },
        )
    }
    /// Rename, re-identify and change the members of a role, all or nothing.
    fn change_role(&self, role: &RoleName, change: RoleChange) -> StoreResult<()>;
    /// All role names, sorted.
    fn role_names(&self) -> StoreResult<Vec<String>>;
    /// The roles of a user, `Internal/everyone` included, sorted.
    fn roles_of_user(&self, user: &UserName) -> StoreResult<Vec<String>>;
    /// The members of a role, sorted.
    fn users_of_role(&self, role: &RoleName) -> StoreResult<Vec<String>>;
    /// The direct members of a role (not the implicit everyone) as (UUID, name), in name
    /// order, in one query: what a SCIM Group lists.
    fn members_with_ids(&self, role: &RoleName) -> StoreResult<Vec<(String, String)>>;
    /// Remove a user from `deleted` roles and add it to `added` ones, all or nothing.
    fn update_roles_of_user(
        &self,
        user: &UserName,
        deleted: &[RoleName],
        added: &[RoleName],
    ) -> StoreResult<()>;
    /// Remove `deleted` users from a role and add `added` ones, all or nothing.
    fn update_users_of_role(
        &self,
        role: &RoleName,
        deleted: &[UserName],
        added: &[UserName],
    ) -> StoreResult<()> {
        self.change_role(
            role,
            RoleChange {
                add: added.to_vec(),
                remove: deleted.to_vec(),
                ..RoleChange::default()
            },
        )
    }
    /// True when the user is a member of the role (everyone included).
    fn is_user_in_role(&self, user: &UserName, role: &RoleName) -> StoreResult<bool>;
    /// A role's id and creation time.
    fn role_record(&self, role: &RoleName) -> StoreResult<Option<RoleRecord>>;
    /// The role whose UUID is `id`.
    fn find_role_by_id(&self, id: &str) -> StoreResult<Option<RoleRecord>>;
    /// The store's own roles (not `Internal/` or `Application/`: SCIM's Groups) that satisfy
    /// `query`: how many, and `limit` of them from `offset` on, in `order` (ties in name order).
    fn query_groups(
        &self,
        query: &GroupQuery,
        order: GroupOrder,
        offset: usize,
        limit: usize,
    ) -> StoreResult<(usize, Vec<RoleRecord>)>;
    /// The rules with `action` the user's roles (everyone included) hold, and the user's own
    /// rules (as role 0): grants and denials.
    fn permissions_of_user(
        &self,
        user: &UserName,
        action: &str,
    ) -> StoreResult<Vec<PermissionRule>>;
    /// Deny a role these permissions (a WSO2 denial moved in), beside what it is granted.
    fn deny_role_permissions(&self, role: &RoleName, denied: &[Permission]) -> StoreResult<()>;
    /// The permissions a role is denied.
    fn role_denials(&self, role: &RoleName) -> StoreResult<Vec<Permission>>;
    /// The permissions a role holds, sorted.
    fn role_permissions(&self, role: &RoleName) -> StoreResult<Vec<Permission>>;
    /// Grant `added` and revoke `removed` permissions of a role, all or nothing.
    fn update_role_permissions(
        &self,
        role: &RoleName,
        added: &[Permission],
        removed: &[Permission],
    ) -> StoreResult<()>;
}

/// One change of an account's profile, all or nothing: claims set and removed, and a new
/// name (SCIM's userName is readWrite); only if the account is still at `expected_version`.
#[derive(Debug, Clone, Copy)]
pub struct AccountUpdate<'a> {
    /// Claims to set (insert or replace).
    pub set: &'a [ClaimValue],
    /// Claims to remove.
    pub remove: &'a [ClaimUri],
    /// The profile they belong to.
    pub profile: &'a ProfileName,
    /// Refuse with [`StoreError::VersionChanged`] unless the account is at this version.
    pub expected_version: Option<i64>,
    /// Rename the account; its id, password, claims, roles and tokens stay.
    pub new_name: Option<&'a UserName>,
}

/// Per-profile user attributes (claims).
pub trait ClaimBackend {
    /// One claim value, if set.
    fn claim_value(
        &self,
        user: &UserName,
        uri: &ClaimUri,
        profile: &ProfileName,
    ) -> StoreResult<Option<String>>;
    /// All claims of a user in a profile, sorted by URI.
    fn claim_values(&self, user: &UserName, profile: &ProfileName) -> StoreResult<Vec<ClaimValue>>;
    /// Apply one [`AccountUpdate`] in one transaction.
    fn update_account(&self, user: &UserName, update: AccountUpdate<'_>) -> StoreResult<()>;
    /// Set (insert or replace) claims, all or nothing.
    fn set_claim_values(
        &self,
        user: &UserName,
        claims: &[ClaimValue],
        profile: &ProfileName,
    ) -> StoreResult<()>;
    /// Append to multi-valued claims by `rule`, all or nothing.
    fn append_claim_values(
        &self,
        user: &UserName,
        claims: &[ClaimValue],
        profile: &ProfileName,
        rule: AppendRule,
    ) -> StoreResult<()>;
    /// Remove claims; removing an unset claim is not an error.
    fn delete_claim_values(
        &self,
        user: &UserName,
        uris: &[ClaimUri],
        profile: &ProfileName,
    ) -> StoreResult<()>;
    /// Users whose claim in `profile` matches `value` (`*` wildcards allowed).
    fn users_with_claim(
        &self,
        uri: &ClaimUri,
        value: &str,
        profile: &ProfileName,
    ) -> StoreResult<Vec<String>>;
    /// Profiles in which the user has claims, `default` always included.
    fn profile_names_of_user(&self, user: &UserName) -> StoreResult<Vec<String>>;
    /// Every profile in use, `default` always included.
    fn all_profile_names(&self) -> StoreResult<Vec<String>>;
}

/// A change made to the store by someone other than this process (the admin CLI, another node),
/// for caches of what the store says (verified credentials) to drop what it may have changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutsideChange {
    /// This account (by name key) changed: password, lock, claims, roles, or it was deleted.
    User(String),
    /// Something changed, or changes may have been missed: forget everything.
    Unknown,
}

/// Called with each [`OutsideChange`] a backend notices, from a thread of the backend's.
pub type ChangeListener = std::sync::Arc<dyn Fn(OutsideChange) + Send + Sync>;

/// A complete backend: what the service layer is written against.
pub trait UserStore:
    LoginHandler + UserBackend + RoleBackend + ClaimBackend + TokenBackend + AdminBackend + Send + Sync
{
    /// Whether writes are refused (isReadOnly).
    fn is_read_only(&self) -> bool {
        false
    }

    /// The name and password rules the backend enforces (the service quotes them in faults).
    fn credential_policy(&self) -> &policy::CredentialPolicy;

    /// The realm's admin user and admin role (UserAdmin trusts only that user with the
    /// admin-protected actions).
    fn realm_admin(&self) -> (&UserName, &RoleName);

    /// Readiness probe: the backend answers a query.
    fn check_ready(&self) -> StoreResult<()>;

    /// Whether a single-account read is cheap and never waits on the network, so that it may
    /// run on the async executor instead of the blocking pool.
    fn reads_in_place(&self) -> bool;

    /// Whether writes waiting together share one commit (group commit), so that letting more
    /// of them wait at once raises write throughput instead of only holding resources.
    fn writes_share_commits(&self) -> bool;

    /// Tell `listener` about changes made outside this process, from now on; the bound on how
    /// late a change is told is the backend's (README, Storage).
    fn watch_outside_changes(&self, listener: ChangeListener);
}

/// What start-up and the admin CLI need beyond the service's traits, on any backend.
pub trait StoreAdmin: UserStore {
    /// On a database with no users, create the admin user (see [`sql::AdminBootstrap`]).
    fn ensure_admin_user(&self, provided: Option<Password>) -> StoreResult<sql::AdminBootstrap>;
    /// Import one batch of users in one transaction; the rows skipped, with why. A dry run
    /// checks everything and writes nothing.
    fn import_batch(
        &self,
        rows: Vec<sql::ImportedUser>,
        dry_run: bool,
    ) -> StoreResult<Vec<sql::RejectedRow>>;
    /// Every user in creation order, from one snapshot, until `sink` returns false.
    fn export_users(&self, sink: &mut dyn FnMut(sql::ExportedUser) -> bool) -> StoreResult<usize>;
    /// Give an existing account an imported credential, hashed or wrapped as an import would.
    fn replace_credential(
        &self,
        user: &UserName,
        credential: sql::ImportCredential,
    ) -> StoreResult<()>;
    /// What a user's stored credential is (`argon2id`, `wrapped pbkdf2-sha256`, `legacy
    /// wso2-sha256-salted`, `none`); `None` for an unknown user.
    fn credential_scheme(&self, user: &UserName) -> StoreResult<Option<String>>;
    /// How many users hold each kind of credential: a migration's progress (the wrapped and
    /// legacy ones fall as users log in).
    fn credential_schemes(&self) -> StoreResult<Vec<(String, usize)>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_rules_follow_wso2() {
        use AppendRule::*;
        assert_eq!(Always.append(None, "a"), Some("a".into()));
        assert_eq!(Always.append(Some("a"), "A"), Some("a,A".into()));
        assert_eq!(Always.append(Some("a"), ""), Some("a,".into()));
        assert_eq!(Distinct.append(Some("a,b"), "B"), None);
        assert_eq!(Distinct.append(Some("a,b"), "c"), Some("a,b,c".into()));
        assert_eq!(Distinct.append(Some("a"), "  "), None);
        assert_eq!(Distinct.append(Some(""), "x"), Some("x".into()));
    }
}
