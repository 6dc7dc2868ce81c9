//! WSO2 Identity Server's JDBC user store (carbon-kernel's `UM_*` tables) and identity data
//! (`IDN_*`) read into a [`Plan`], from a live PostgreSQL database, from a MySQL/MariaDB one
//! (through `mysqldump`), or from a dump file ([`super::dump`]). What comes across: users with
//! their UUIDs (`UM_USER.UM_USER_ID`, or the `scimId` attribute of older versions), roles and
//! hybrid (`Internal/`, `Application/`) roles with their members, the roles' permissions,
//! user attributes as claims (through the deployment's own attribute mappings when the source
//! has them, else WSO2's defaults), account state (`IDN_IDENTITY_USER_DATA`, or identity
//! attributes in the user store), `UM_REQUIRE_CHANGE`, and each password as the store keeps
//! it, in the digest the deployment was configured with.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::dump::{RowRef, Tables};
use super::{ImportError, ImportedRole, Plan, Source};
use crate::store::policy::claims;
use crate::store::schemes::{Digest, LegacyHash, Prf};
use crate::store::sql::{ImportCredential, ImportedUser, RejectedRow};
use crate::store::{ClaimUri, ClaimValue, Password, Permission, ProfileName, RoleName, UserName};

/// WSO2's super tenant: the only one userstore has.
const SUPER_TENANT: &str = "-1234";
/// WSO2's local claim dialect.
const LOCAL_DIALECT: &str = "http://wso2.org/claims";

/// How the deployment hashed passwords (`PasswordDigest` / `[user_store] password_digest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wso2Digest {
    /// A message digest (SHA-256, WSO2's default; SHA-512, SHA-1, MD5).
    Digest(Digest),
    /// WSO2's PBKDF2 hash provider (HMAC-SHA256).
    Pbkdf2,
    /// WSO2's bcrypt hash provider.
    Bcrypt,
    /// No hashing at all: the passwords are in the clear (hashed with argon2id here).
    PlainText,
}

impl Wso2Digest {
    /// From the `--wso2-digest` names (`SHA-256`, `PBKDF2`, `BCRYPT`, `PLAIN_TEXT`, …).
    pub fn parse(name: &str) -> Option<Wso2Digest> {
        match name.to_ascii_uppercase().replace('_', "-").as_str() {
            "PBKDF2" => Some(Wso2Digest::Pbkdf2),
            "BCRYPT" => Some(Wso2Digest::Bcrypt),
            "PLAIN-TEXT" | "PLAINTEXT" => Some(Wso2Digest::PlainText),
            other => Digest::parse(other).map(Wso2Digest::Digest),
        }
    }
}

/// The administrator and admin role of WSO2 (user-mgt.xml's `AdminUser`, `AdminRole`; `admin`
/// by default) and the names they take here (`[realm] admin_user`, `admin_role`).
#[derive(Debug, Clone)]
pub struct AdminNames {
    /// WSO2's admin user.
    pub wso2_user: String,
    /// WSO2's admin role.
    pub wso2_role: String,
    /// The realm's admin user here.
    pub user: String,
    /// The realm's admin role here.
    pub role: String,
}

/// The deployment's settings the import follows.
#[derive(Debug, Clone)]
pub struct Wso2Options {
    /// The secondary user store this source is (`--wso2-domain`): its users and roles come
    /// across as `DOMAIN/name`; `None` for the primary store.
    pub domain: Option<String>,
    /// WSO2's admin and admin role, which become the realm's protected ones (primary store).
    pub admin: Option<AdminNames>,
    /// The digest.
    pub digest: Wso2Digest,
    /// Whether passwords were salted (`StoreSaltedPassword`); by default, where a salt is
    /// stored.
    pub salted: Option<bool>,
    /// PBKDF2 iterations (WSO2's default 10000).
    pub pbkdf2_iterations: u32,
    /// PBKDF2 key length in bits (WSO2's default 256).
    pub pbkdf2_key_length: u32,
}

impl Default for Wso2Options {
    fn default() -> Self {
        Self {
            domain: None,
            admin: None,
            digest: Wso2Digest::Digest(Digest::Sha256),
            salted: None,
            pbkdf2_iterations: 10_000,
            pbkdf2_key_length: 256,
        }
    }
}

/// WSO2's default attribute for each local claim (claim-config.xml's `AttributeID`), used
/// when the source has no attribute mappings of its own; an attribute named as a local claim
/// (`http://wso2.org/claims/<attribute>`) maps onto that claim.
pub const DEFAULT_ATTRIBUTES: &[(&str, &str)] = &[
    ("uid", "username"),
    ("givenName", "givenname"),
    ("sn", "lastname"),
    ("mail", "emailaddress"),
    ("cn", "fullname"),
    ("nickName", "nickname"),
    ("organizationName", "organization"),
    ("streetAddress", "streetaddress"),
    ("localityName", "locality"),
    ("stateOrProvinceName", "stateorprovince"),
    ("telephoneNumber", "telephone"),
    ("homePhone", "phoneNumbers.home"),
    ("workPhone", "phoneNumbers.work"),
    ("homeEmail", "emails.home"),
    ("workEmail", "emails.work"),
    ("otherEmail", "emails.other"),
    ("dateOfBirth", "dob"),
    ("photoUrl", "photourl"),
    ("scimId", "userid"),
    ("createdDate", "created"),
    ("lastModifiedDate", "modified"),
    ("accountLock", "identity/accountLocked"),
    ("accountDisabled", "identity/accountDisabled"),
    ("unlockTime", "identity/unlockTime"),
    ("failedLoginAttempts", "identity/failedLoginAttempts"),
    (
        "failedLoginLockoutCount",
        "identity/failedLoginLockoutCount",
    ),
    ("lastLoginTime", "identity/lastLoginTime"),
    ("lastPasswordUpdateTime", "identity/lastPasswordUpdateTime"),
    ("emailVerified", "identity/emailVerified"),
    ("phoneVerified", "identity/phoneVerified"),
];

/// The columns of the tables read, in WSO2's dbscripts' order: what an `INSERT` without a
/// column list means when the dump has no `CREATE TABLE` (newer kernels add `UM_USER_ID`).
const COLUMNS: &[(&str, &[&str])] = &[
    (
        "UM_USER",
        &[
            "UM_ID",
            "UM_USER_ID",
            "UM_USER_NAME",
            "UM_USER_PASSWORD",
            "UM_SALT_VALUE",
            "UM_REQUIRE_CHANGE",
            "UM_CHANGED_TIME",
            "UM_TENANT_ID",
        ],
    ),
    (
        "UM_ROLE",
        &["UM_ID", "UM_ROLE_NAME", "UM_TENANT_ID", "UM_SHARED_ROLE"],
    ),
    (
        "UM_USER_ROLE",
        &["UM_ID", "UM_ROLE_ID", "UM_USER_ID", "UM_TENANT_ID"],
    ),
    ("UM_HYBRID_ROLE", &["UM_ID", "UM_ROLE_NAME", "UM_TENANT_ID"]),
    (
        "UM_HYBRID_USER_ROLE",
        &[
            "UM_ID",
            "UM_USER_NAME",
            "UM_ROLE_ID",
            "UM_TENANT_ID",
            "UM_DOMAIN_ID",
        ],
    ),
    (
        "UM_DOMAIN",
        &["UM_DOMAIN_ID", "UM_DOMAIN_NAME", "UM_TENANT_ID"],
    ),
    (
        "UM_PERMISSION",
        &[
            "UM_ID",
            "UM_RESOURCE_ID",
            "UM_ACTION",
            "UM_TENANT_ID",
            "UM_MODULE_ID",
        ],
    ),
    (
        "UM_ROLE_PERMISSION",
        &[
            "UM_ID",
            "UM_PERMISSION_ID",
            "UM_ROLE_NAME",
            "UM_IS_ALLOWED",
            "UM_TENANT_ID",
            "UM_DOMAIN_ID",
        ],
    ),
    (
        "UM_USER_ATTRIBUTE",
        &[
            "UM_ID",
            "UM_ATTR_NAME",
            "UM_ATTR_VALUE",
            "UM_PROFILE_ID",
            "UM_USER_ID",
            "UM_TENANT_ID",
        ],
    ),
    (
        "IDN_IDENTITY_USER_DATA",
        &["TENANT_ID", "USER_NAME", "DATA_KEY", "DATA_VALUE"],
    ),
    ("IDN_CLAIM_DIALECT", &["ID", "DIALECT_URI", "TENANT_ID"]),
    (
        "IDN_SCIM_GROUP",
        &["ID", "TENANT_ID", "ROLE_NAME", "ATTR_NAME", "ATTR_VALUE"],
    ),
    ("IDN_CLAIM", &["ID", "DIALECT_ID", "CLAIM_URI", "TENANT_ID"]),
    (
        "IDN_CLAIM_MAPPED_ATTRIBUTE",
        &[
            "ID",
            "LOCAL_CLAIM_ID",
            "USER_STORE_DOMAIN_NAME",
            "ATTRIBUTE_NAME",
            "TENANT_ID",
        ],
    ),
];

/// The tables the importer reads, for live sources.
pub fn table_names() -> impl Iterator<Item = &'static str> {
    COLUMNS.iter().map(|(t, _)| *t)
}

fn columns(table: &str) -> &'static [&'static str] {
    COLUMNS
        .iter()
        .find(|(t, _)| *t == table)
        .map_or(&[], |(_, c)| c)
}

type Row<'a> = (usize, RowRef<'a>);

/// Rows of `table` in the super tenant (or with no tenant column).
fn tenant_rows<'a>(tables: &'a Tables, table: &str, tenant_column: &str) -> (Vec<Row<'a>>, usize) {
    let all = tables.rows(table, columns(table));
    let total = all.len();
    let mine: Vec<Row<'a>> = all
        .into_iter()
        .filter(|r| {
            r.get(tenant_column)
                .is_none_or(|t| t == SUPER_TENANT || t == "0")
        })
        .map(|r| (r.line, r))
        .collect();
    let others = total - mine.len();
    (mine, others)
}

fn field<'a>(row: &RowRef<'a>, column: &str) -> Option<&'a str> {
    row.get(column)
}

fn is_true(value: Option<&str>) -> bool {
    matches!(
        value.map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Some("true" | "t" | "1" | "y")
    )
}

/// A hybrid role's name as WSO2 keeps it in `UM_HYBRID_ROLE` (`Internal/x`, or plain `x` in
/// older versions), with its domain.
fn hybrid_name(raw: &str) -> String {
    if raw.contains('/') {
        raw.to_string()
    } else {
        format!("Internal/{raw}")
    }
}

/// Attribute name → claim URI: the source's own mappings (identity database's
/// IDN_CLAIM_MAPPED_ATTRIBUTE for the store's domain), else WSO2's defaults.
fn attribute_mappings(identity: &Tables, domain: &str) -> HashMap<String, String> {
    let mut map: HashMap<String, String> = DEFAULT_ATTRIBUTES
        .iter()
        .map(|(a, c)| (a.to_string(), format!("{LOCAL_DIALECT}/{c}")))
        .collect();
    let (dialects, _) = tenant_rows(identity, "IDN_CLAIM_DIALECT", "TENANT_ID");
    let local: Vec<&str> = dialects
        .iter()
        .filter(|(_, r)| field(r, "DIALECT_URI") == Some(LOCAL_DIALECT))
        .filter_map(|(_, r)| field(r, "ID"))
        .collect();
    let (claims, _) = tenant_rows(identity, "IDN_CLAIM", "TENANT_ID");
    let uri_of: HashMap<&str, &str> = claims
        .iter()
        .filter(|(_, r)| field(r, "DIALECT_ID").is_some_and(|d| local.contains(&d)))
        .filter_map(|(_, r)| Some((field(r, "ID")?, field(r, "CLAIM_URI")?)))
        .collect();
    let (mapped, _) = tenant_rows(identity, "IDN_CLAIM_MAPPED_ATTRIBUTE", "TENANT_ID");
    for (_, row) in &mapped {
        let this_store =
            field(row, "USER_STORE_DOMAIN_NAME").is_none_or(|d| d.eq_ignore_ascii_case(domain));
        if let (true, Some(claim), Some(attribute)) = (
            this_store,
            field(row, "LOCAL_CLAIM_ID").and_then(|id| uri_of.get(id)),
            field(row, "ATTRIBUTE_NAME"),
        ) {
            map.insert(attribute.to_string(), claim.to_string());
        }
    }
    map
}

/// The SCIM 2.0 id attribute of WSO2's groups (IDN_SCIM_GROUP), and SCIM 1.1's.
const GROUP_ID_ATTRIBUTES: [&str; 2] = [
    "urn:ietf:params:scim:schemas:core:2.0:id",
    "urn:scim:schemas:core:1.0:id",
];

/// Each group's SCIM id by the role's name key (`PRIMARY/` dropped, as the store names roles).
fn group_ids(identity: &Tables) -> HashMap<String, String> {
    let (rows, _) = tenant_rows(identity, "IDN_SCIM_GROUP", "TENANT_ID");
    rows.iter()
        .filter(|(_, r)| field(r, "ATTR_NAME").is_some_and(|a| GROUP_ID_ATTRIBUTES.contains(&a)))
        .filter_map(|(_, r)| {
            let role = RoleName::lookup(field(r, "ROLE_NAME")?).ok()?;
            Some((role.key().to_string(), field(r, "ATTR_VALUE")?.to_string()))
        })
        .collect()
}

/// One user's claim, as a row of the plan.
fn claim(uri: &str, value: String) -> Result<(ProfileName, ClaimValue), String> {
    Ok((
        ProfileName::default(),
        ClaimValue {
            uri: ClaimUri::parse(uri).map_err(|e| e.to_string())?,
            value,
        },
    ))
}

/// The credential a `UM_USER` row holds, under the deployment's settings.
fn credential(row: &RowRef<'_>, options: &Wso2Options) -> Result<ImportCredential, String> {
    let stored = field(row, "UM_USER_PASSWORD").unwrap_or("");
    if stored.is_empty() {
        return Ok(ImportCredential::NoPassword);
    }
    let salt = field(row, "UM_SALT_VALUE").filter(|s| !s.is_empty());
    let salt = match options.salted {
        Some(false) => None,
        Some(true) if salt.is_none() => {
            return Err("--wso2-salted true, but the user has no UM_SALT_VALUE".into())
        }
        _ => salt,
    };
    let hash = match options.digest {
        Wso2Digest::PlainText => {
            return Ok(ImportCredential::Migrated(Password::new(
                stored.to_string(),
            )))
        }
        Wso2Digest::Digest(digest) => LegacyHash::wso2_digest(digest, salt, stored),
        Wso2Digest::Pbkdf2 => {
            let salt = salt.ok_or("a PBKDF2 password without a UM_SALT_VALUE")?;
            let hash = LegacyHash::pbkdf2(
                Prf::Sha256,
                options.pbkdf2_iterations,
                salt.as_bytes().to_vec(),
                stored,
            );
            match hash {
                Ok(h)
                    if h.canonical.len()
                        != (options.pbkdf2_key_length as usize / 8).div_ceil(3) * 4 =>
                {
                    Err(crate::store::StoreError::InvalidInput(format!(
                        "the PBKDF2 hash is not {} bits long (--wso2-pbkdf2-key-length)",
                        options.pbkdf2_key_length
                    )))
                }
                other => other,
            }
        }
        Wso2Digest::Bcrypt => LegacyHash::bcrypt(stored),
    }
    .map_err(|e| e.to_string())?;
    Ok(ImportCredential::Legacy { hash, wrap: true })
}

/// WSO2's databases: the user store's, and the identity database when it is another one.
pub struct Wso2Database {
    /// `postgres://…`, `mysql://…` (`mariadb://…`) or a `.sql` dump.
    pub source: String,
    /// The identity database (IDN_* tables), when not `source`.
    pub identity: Option<String>,
    /// How passwords were hashed.
    pub options: Wso2Options,
}

/// A source as it may be printed: a URL without its password.
fn redacted(source: &str) -> String {
    match (source.find("://"), source.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &source[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &source[..scheme + 3], &source[at + 1..])
        }
        _ => source.to_string(),
    }
}

impl Source for Wso2Database {
    fn describe(&self) -> String {
        format!("WSO2 database {}", redacted(&self.source))
    }

    fn read(&self) -> Result<Plan, ImportError> {
        let um = load(&self.source)?;
        match &self.identity {
            Some(identity) => plan(&um, &load(identity)?, &self.options),
            None => plan(&um, &um, &self.options),
        }
    }
}

/// Read a source: `postgres://…` or `mysql://…` (also `mariadb://…`), or a `.sql` dump file.
fn load(source: &str) -> Result<Tables, ImportError> {
    if source.starts_with("postgres://") || source.starts_with("postgresql://") {
        return super::live::postgres_tables(source, table_names());
    }
    if source.starts_with("mysql://") || source.starts_with("mariadb://") {
        return super::live::mysql_tables(source, table_names());
    }
    let text = std::fs::read_to_string(Path::new(source))
        .map_err(|e| ImportError::Source(format!("{source}: {e}")))?;
    Tables::parse(&text)
}

/// The plan for WSO2's user-store tables `um` and identity tables `identity` (the same
/// tables when one database holds both).
/// How a store's names come across: `DOMAIN/name` for a secondary store, and WSO2's admin
/// and admin role as the realm's (primary store only).
struct Naming<'a> {
    /// The store's domain, in capitals (`PRIMARY` for the primary store).
    domain: String,
    secondary: bool,
    admin: Option<&'a AdminNames>,
}

impl<'a> Naming<'a> {
    fn new(options: &'a Wso2Options) -> Self {
        Self {
            domain: options
                .domain
                .as_deref()
                .map_or("PRIMARY".to_string(), str::to_ascii_uppercase),
            secondary: options.domain.is_some(),
            admin: options.admin.as_ref().filter(|_| options.domain.is_none()),
        }
    }

    fn qualified(&self, name: &str) -> String {
        if self.secondary {
            format!("{}/{name}", self.domain)
        } else {
            name.to_string()
        }
    }

    fn user(&self, name: &str) -> String {
        match self.admin {
            Some(a) if a.wso2_user.eq_ignore_ascii_case(name) => a.user.clone(),
            _ => self.qualified(name),
        }
    }

    fn role(&self, name: &str) -> String {
        match self.admin {
            Some(a) if a.wso2_role.eq_ignore_ascii_case(name) => a.role.clone(),
            _ => self.qualified(name),
        }
    }

    /// A user name as the primary database's shared tables write it (`EXT/alice`, or `alice`
    /// for the primary store), as this store's own lower-cased name; `None` for another store's.
    fn own_name(&self, name: &str) -> Option<String> {
        let name = name.strip_prefix("PRIMARY/").unwrap_or(name);
        match name.split_once('/') {
            Some((d, rest)) if d.eq_ignore_ascii_case(&self.domain) => Some(rest.to_lowercase()),
            Some(_) => None,
            None => (!self.secondary).then(|| name.to_lowercase()),
        }
    }
}

/// What the users of a store hold besides their own row, read from the other tables once.
struct Holdings<'a> {
    /// Roles by the user's UM_ID.
    roles: HashMap<&'a str, Vec<String>>,
    /// Hybrid roles by lower-cased name.
    hybrid: HashMap<String, Vec<String>>,
    /// `(line, attribute, value)` rows by the user's UM_ID, profile `default`.
    attributes: HashMap<&'a str, Vec<(usize, &'a str, &'a str)>>,
    /// Attribute name → claim URI.
    mappings: HashMap<String, String>,
    /// Identity data (claim URI, value) by lower-cased name.
    identity: HashMap<String, Vec<(&'a str, &'a str)>>,
}

/// Memberships, attributes and identity data of the store's users.
fn holdings<'a>(
    um: &'a Tables,
    identity: &'a Tables,
    naming: &Naming<'_>,
    role_names: &HashMap<&str, String>,
    hybrid_names: &HashMap<&str, String>,
    domain_of: &HashMap<&str, String>,
    plan: &mut Plan,
) -> Holdings<'a> {
    let mut held = Holdings {
        roles: HashMap::new(),
        hybrid: HashMap::new(),
        attributes: HashMap::new(),
        mappings: attribute_mappings(identity, &naming.domain),
        identity: HashMap::new(),
    };
    let (user_roles, _) = tenant_rows(um, "UM_USER_ROLE", "UM_TENANT_ID");
    for (_, row) in &user_roles {
        if let (Some(user), Some(role)) = (
            field(row, "UM_USER_ID"),
            field(row, "UM_ROLE_ID").and_then(|id| role_names.get(id)),
        ) {
            held.roles.entry(user).or_default().push(role.clone());
        }
    }
    let (hybrid_members, _) = tenant_rows(um, "UM_HYBRID_USER_ROLE", "UM_TENANT_ID");
    for (_, row) in &hybrid_members {
        // Hybrid memberships live in the primary database for every store's users.
        let member_domain = field(row, "UM_DOMAIN_ID").and_then(|d| domain_of.get(d));
        if member_domain.is_some_and(|d| *d != naming.domain) {
            continue;
        }
        if let (Some(user), Some(role)) = (
            field(row, "UM_USER_NAME"),
            field(row, "UM_ROLE_ID").and_then(|id| hybrid_names.get(id)),
        ) {
            let user = user.strip_prefix("PRIMARY/").unwrap_or(user).to_lowercase();
            held.hybrid.entry(user).or_default().push(role.clone());
        }
    }
    plan.count("memberships", user_roles.len() + hybrid_members.len());
    let (attribute_rows, _) = tenant_rows(um, "UM_USER_ATTRIBUTE", "UM_TENANT_ID");
    for (line, row) in &attribute_rows {
        if field(row, "UM_PROFILE_ID").is_some_and(|p| p != "default") {
            continue;
        }
        if let (Some(user), Some(name), Some(value)) = (
            field(row, "UM_USER_ID"),
            field(row, "UM_ATTR_NAME"),
            field(row, "UM_ATTR_VALUE"),
        ) {
            held.attributes
                .entry(user)
                .or_default()
                .push((*line, name, value));
        }
    }
    plan.count("attributes", attribute_rows.len());
    let (data_rows, _) = tenant_rows(identity, "IDN_IDENTITY_USER_DATA", "TENANT_ID");
    for (_, row) in &data_rows {
        if let (Some(user), Some(key), Some(value)) = (
            field(row, "USER_NAME"),
            field(row, "DATA_KEY"),
            field(row, "DATA_VALUE"),
        ) {
            if let Some(user) = naming.own_name(user) {
                held.identity.entry(user).or_default().push((key, value));
            }
        }
    }
    held
}

/// One `UM_USER` row as a user to import, at plan position `position`.
fn user_row(
    row: &RowRef<'_>,
    position: usize,
    naming: &Naming<'_>,
    held: &Holdings<'_>,
    options: &Wso2Options,
) -> Result<ImportedUser, String> {
    let name = field(row, "UM_USER_NAME").unwrap_or("?");
    let user = UserName::moved_in(&naming.user(name)).map_err(|e| e.to_string())?;
    let key = name.to_lowercase();
    let um_id = field(row, "UM_ID").unwrap_or("");
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for (line, attribute, value) in held.attributes.get(um_id).into_iter().flatten() {
        let mapped = held.mappings.get(*attribute);
        let uri = mapped
            .cloned()
            .unwrap_or_else(|| format!("{LOCAL_DIALECT}/{attribute}"));
        if mapped.is_none() && !crate::store::policy::ClaimDialect::default().contains(&uri) {
            return Err(format!(
                "UM_USER_ATTRIBUTE line {line}: the attribute '{attribute}' maps to no claim"
            ));
        }
        // Several rows of one attribute: WSO2's multi-valued separator.
        values
            .entry(uri)
            .and_modify(|v| {
                v.push(',');
                v.push_str(value);
            })
            .or_insert_with(|| value.to_string());
    }
    for (uri, value) in held.identity.get(&key).into_iter().flatten() {
        values.insert(uri.to_string(), value.to_string());
    }
    if let Some(uuid) = field(row, "UM_USER_ID").filter(|u| u.contains('-')) {
        values.insert(claims::USER_ID.to_string(), uuid.to_string());
    }
    if is_true(field(row, "UM_REQUIRE_CHANGE")) {
        values.insert(
            claims::ADMIN_FORCED_PASSWORD_RESET.to_string(),
            "true".into(),
        );
    }
    // The user name claim is the user's name, whatever the source kept.
    values.remove(claims::USERNAME);
    let roles = held
        .roles
        .get(um_id)
        .into_iter()
        .flatten()
        .chain(held.hybrid.get(&key).into_iter().flatten())
        .map(|role| RoleName::lookup(role).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ImportedUser {
        line: position,
        user,
        credential: credential(row, options)?,
        roles,
        claims: values
            .into_iter()
            .map(|(uri, value)| claim(&uri, value))
            .collect::<Result<_, _>>()?,
    })
}

fn plan(um: &Tables, identity: &Tables, options: &Wso2Options) -> Result<Plan, ImportError> {
    if !um.has("UM_USER") {
        return Err(ImportError::Source(
            "the source has no UM_USER table: not a WSO2 user-store database".into(),
        ));
    }
    let mut plan = Plan::default();
    let naming = Naming::new(options);
    let (users, other_tenants) = tenant_rows(um, "UM_USER", "UM_TENANT_ID");
    if other_tenants > 0 {
        plan.warnings.push(format!(
            "{other_tenants} users of tenants other than the super tenant ({SUPER_TENANT}) are not imported"
        ));
    }
    // WSO2's admin, when the source has it, is the realm's admin.
    let has_admin = |a: &&AdminNames| {
        users.iter().any(|(_, r)| {
            field(r, "UM_USER_NAME").is_some_and(|n| n.eq_ignore_ascii_case(&a.wso2_user))
        })
    };
    plan.admin = naming
        .admin
        .filter(has_admin)
        .and_then(|a| UserName::lookup(&a.user).ok());
    let (domains, _) = tenant_rows(um, "UM_DOMAIN", "UM_TENANT_ID");
    let domain_of: HashMap<&str, String> = domains
        .iter()
        .filter_map(|(_, r)| {
            Some((
                field(r, "UM_DOMAIN_ID")?,
                field(r, "UM_DOMAIN_NAME")?.to_ascii_uppercase(),
            ))
        })
        .collect();
    let (roles, _) = tenant_rows(um, "UM_ROLE", "UM_TENANT_ID");
    let role_names: HashMap<&str, String> = roles
        .iter()
        .filter_map(|(_, r)| Some((field(r, "UM_ID")?, naming.role(field(r, "UM_ROLE_NAME")?))))
        .collect();
    let (hybrid, _) = tenant_rows(um, "UM_HYBRID_ROLE", "UM_TENANT_ID");
    let hybrid_names: HashMap<&str, String> = hybrid
        .iter()
        .filter_map(|(_, r)| Some((field(r, "UM_ID")?, hybrid_name(field(r, "UM_ROLE_NAME")?))))
        .collect();
    plan.count("roles", role_names.len());
    plan.count("hybrid roles", hybrid_names.len());
    let held = holdings(
        um,
        identity,
        &naming,
        &role_names,
        &hybrid_names,
        &domain_of,
        &mut plan,
    );
    for (line, row) in &users {
        let name = field(row, "UM_USER_NAME").unwrap_or("?");
        let position = plan.locate(format!("UM_USER line {line} ({name})"));
        plan.count("users", 1);
        match user_row(row, position, &naming, &held, options) {
            Ok(user) => plan.users.push(user),
            Err(reason) => plan.rejected.push(RejectedRow::new(position, reason)),
        }
    }
    plan.roles = role_permissions(
        um,
        &domain_of,
        &naming.domain,
        naming.admin,
        &role_names,
        &hybrid_names,
    );
    let ids = group_ids(identity);
    for role in &mut plan.roles {
        role.id = ids.get(role.name.key()).cloned();
    }
    plan.count(
        "role permissions",
        plan.roles.iter().map(|r| r.permissions.len()).sum(),
    );
    plan.count(
        "role permission denials",
        plan.roles.iter().map(|r| r.denied.len()).sum(),
    );
    Ok(plan)
}

/// Every role with the permissions WSO2 granted and denied it (UM_ROLE_PERMISSION).
fn role_permissions(
    um: &Tables,
    domain_of: &HashMap<&str, String>,
    domain: &str,
    admin: Option<&AdminNames>,
    role_names: &HashMap<&str, String>,
    hybrid_names: &HashMap<&str, String>,
) -> Vec<ImportedRole> {
    let (permissions, _) = tenant_rows(um, "UM_PERMISSION", "UM_TENANT_ID");
    let permission_of: HashMap<&str, (&str, &str)> = permissions
        .iter()
        .filter_map(|(_, r)| {
            Some((
                field(r, "UM_ID")?,
                (field(r, "UM_RESOURCE_ID")?, field(r, "UM_ACTION")?),
            ))
        })
        .collect();
    // Each role's grants and denials.
    let mut granted: BTreeMap<String, (Vec<Permission>, Vec<Permission>)> = BTreeMap::new();
    for name in role_names.values() {
        granted.entry(name.to_string()).or_default();
    }
    for name in hybrid_names.values() {
        granted.entry(name.clone()).or_default();
    }
    let (rows, _) = tenant_rows(um, "UM_ROLE_PERMISSION", "UM_TENANT_ID");
    for (_, row) in &rows {
        let Some((resource, action)) =
            field(row, "UM_PERMISSION_ID").and_then(|id| permission_of.get(id))
        else {
            continue;
        };
        let Some(role) = field(row, "UM_ROLE_NAME") else {
            continue;
        };
        let role = match field(row, "UM_DOMAIN_ID")
            .and_then(|d| domain_of.get(d))
            .map(String::as_str)
        {
            Some("INTERNAL") if !role.contains('/') => format!("Internal/{role}"),
            Some("APPLICATION") if !role.contains('/') => format!("Application/{role}"),
            // This store's own roles; another store's are its own run's.
            Some(d) if d == domain && domain != "PRIMARY" => format!("{domain}/{role}"),
            None | Some("PRIMARY") if domain == "PRIMARY" => match admin {
                Some(a) if a.wso2_role.eq_ignore_ascii_case(role) => a.role.clone(),
                _ => role.to_string(),
            },
            Some(d) if d == domain => role.to_string(),
            _ => continue,
        };
        let permission = Permission {
            resource_id: resource.to_string(),
            action: action.to_string(),
        };
        let (grants, denials) = granted.entry(role).or_default();
        if is_true(field(row, "UM_IS_ALLOWED")) {
            grants.push(permission);
        } else {
            denials.push(permission);
        }
    }
    granted
        .into_iter()
        .filter_map(|(name, (permissions, denied))| {
            Some(ImportedRole {
                name: RoleName::lookup(&name).ok()?,
                id: None,
                permissions,
                denied,
            })
        })
        .filter(|role| role.name.key() != RoleName::everyone().key())
        .collect()
}
