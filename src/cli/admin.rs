//! `userstore user|role|claim …`: the admin's shell tools, on the same store code the SOAP service
//! uses. They work with the server stopped, and while it runs (WAL lets both open the database;
//! every change is one transaction). Output is a table, or JSON with `--json`.

use std::io::{BufRead as _, IsTerminal as _};

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};
use serde_json::json;

use userstore::service::access::EXECUTE_ACTION;
use userstore::store::policy::claims;
use userstore::store::{
    AccountLock, ClaimUri, ClaimValue, CreateRoleRequest, CreateUserRequest, Password, Permission,
    ProfileName, RoleName, StoreAdmin, StoreError, UserFilter, UserName,
};

use super::StoreArgs;

/// Options every admin command takes.
#[derive(Args)]
pub struct Common {
    #[command(flatten)]
    pub(super) store: StoreArgs,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    pub(super) json: bool,
}

/// `userstore user …`
#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is prompted for (or read from stdin with --password-stdin).
    Add {
        /// The new user's name.
        name: String,
        /// A role to put the user in (repeatable; each must exist).
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
        /// A claim as URI=VALUE (repeatable); a bare name such as `emailaddress` stands for
        /// http://wso2.org/claims/emailaddress.
        #[arg(long = "claim", value_name = "URI=VALUE")]
        claims: Vec<String>,
        /// The user must change the password (adminForcedPasswordReset).
        #[arg(long)]
        require_password_change: bool,
        /// Read the password from the first line of stdin instead of prompting.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Set a user's password (prompted for, or read from stdin with --password-stdin).
    Passwd {
        /// The user.
        name: String,
        /// Read the password from the first line of stdin instead of prompting.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Lock a user until an administrator unlocks it (logins and API calls are refused).
    Lock {
        /// The user.
        name: String,
        #[command(flatten)]
        common: Common,
    },
    /// Unlock a user and clear its failed-login count.
    Unlock {
        /// The user.
        name: String,
        #[command(flatten)]
        common: Common,
    },
    /// Delete a user with its memberships and claims.
    Delete {
        /// The user.
        name: String,
        #[command(flatten)]
        common: Common,
    },
    /// List users, optionally by a `*` wildcard pattern.
    List {
        /// Name pattern, e.g. `ali*` (default: all users).
        #[arg(long, value_name = "PATTERN")]
        filter: Option<String>,
        /// Most names to print.
        #[arg(long, default_value_t = 1000)]
        limit: usize,
        #[command(flatten)]
        common: Common,
    },
    /// Count users by the kind of password hash they hold: after an import from WSO2 or
    /// Keycloak, the wrapped and legacy ones fall to zero as users log in.
    Credentials {
        #[command(flatten)]
        common: Common,
    },
    /// Show a user: roles, lock state, password age and hash, claims.
    Show {
        /// The user.
        name: String,
        #[command(flatten)]
        common: Common,
    },
}

/// `userstore role …`
#[derive(Subcommand)]
pub enum RoleCommand {
    /// Create a role, optionally with members.
    Add {
        /// The new role's name (`Internal/…` and `Application/…` names are allowed).
        name: String,
        /// A user to put in the role (repeatable; each must exist).
        #[arg(long = "user", value_name = "USER")]
        users: Vec<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Delete a role (its members stay, without it).
    Delete {
        /// The role.
        name: String,
        #[command(flatten)]
        common: Common,
    },
    /// List every role.
    List {
        #[command(flatten)]
        common: Common,
    },
    /// List a role's members.
    Members {
        /// The role.
        name: String,
        #[command(flatten)]
        common: Common,
    },
    /// Show a role's permissions, granting or revoking some first.
    ///
    /// Paths are WSO2's permission tree (`/permission/admin/manage/identity/usermgt/view`);
    /// a path grants everything below it. Granted with the action ui.execute, the one the
    /// admin service checks.
    Permissions {
        /// The role.
        name: String,
        /// A permission path to grant (repeatable).
        #[arg(long = "add", value_name = "PATH")]
        add: Vec<String>,
        /// A permission path to revoke (repeatable).
        #[arg(long = "remove", value_name = "PATH")]
        remove: Vec<String>,
        #[command(flatten)]
        common: Common,
    },
}

/// `userstore claim …`
#[derive(Subcommand)]
pub enum ClaimCommand {
    /// Set one claim of a user.
    Set {
        /// The user.
        user: String,
        /// Claim URI; a bare name such as `emailaddress` stands for
        /// http://wso2.org/claims/emailaddress.
        uri: String,
        /// The value.
        value: String,
        /// Profile the claim belongs to.
        #[arg(long, default_value = "default")]
        profile: String,
        #[command(flatten)]
        common: Common,
    },
    /// Show one claim of a user, or all of them.
    Get {
        /// The user.
        user: String,
        /// Claim URI (or bare name); all claims when absent.
        uri: Option<String>,
        /// Profile to read.
        #[arg(long, default_value = "default")]
        profile: String,
        #[command(flatten)]
        common: Common,
    },
}

/// Where store errors become one line for the shell: the database's own message is useful
/// here (the SOAP service hides it from remote clients).
fn store_error(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Database(inner) => anyhow::anyhow!("database error: {inner}"),
        other => anyhow::Error::new(other),
    }
}

pub(super) trait OrStoreError<T> {
    fn or_store_error(self) -> anyhow::Result<T>;
}

impl<T> OrStoreError<T> for Result<T, StoreError> {
    fn or_store_error(self) -> anyhow::Result<T> {
        self.map_err(store_error)
    }
}

/// A claim URI as typed: full URIs as they are, bare names under WSO2's claim dialect.
fn claim_uri(raw: &str) -> anyhow::Result<ClaimUri> {
    let full = if raw.contains(':') {
        raw.to_string()
    } else {
        format!("http://wso2.org/claims/{raw}")
    };
    ClaimUri::parse(&full).or_store_error()
}

pub(super) fn existing_user(store: &dyn StoreAdmin, raw: &str) -> anyhow::Result<UserName> {
    let user = UserName::lookup(raw).or_store_error()?;
    if store.find_user(&user).or_store_error()?.is_none() {
        return Err(store_error(StoreError::UserNotFound(user.to_string())));
    }
    Ok(user)
}

/// The password from stdin's first line, or from a no-echo prompt asked twice; never argv.
fn read_password(user: &str, from_stdin: bool) -> anyhow::Result<Password> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from stdin")?;
        line.trim_end_matches(['\n', '\r']).to_string()
    } else {
        if !std::io::stdin().is_terminal() {
            bail!("no terminal to prompt for the password on; pipe it in with --password-stdin");
        }
        let first = rpassword::prompt_password(format!("New password for {user}: "))
            .context("cannot read the password")?;
        let again =
            rpassword::prompt_password("Retype it: ").context("cannot read the password")?;
        if first != again {
            bail!("the two passwords differ; nothing was changed");
        }
        first
    };
    if password.is_empty() {
        bail!("the password is empty; nothing was changed");
    }
    Ok(Password::new(password))
}

fn print_names(header: &str, names: &[String], json: bool) {
    if json {
        println!("{}", json!(names));
    } else {
        println!("{header}");
        for name in names {
            println!("{name}");
        }
    }
}

/// Confirmation of a change: a sentence, or `{"ok": true, …}`.
pub(super) fn print_done(message: String, json: bool, fields: serde_json::Value) {
    if json {
        let mut object = json!({ "ok": true });
        if let (Some(target), Some(extra)) = (object.as_object_mut(), fields.as_object()) {
            target.extend(extra.clone());
        }
        println!("{object}");
    } else {
        println!("{message}");
    }
}

/// Milliseconds since the epoch as an RFC 3339 UTC time.
pub(super) fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Run a `user` command.
pub fn user(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            name,
            roles,
            claims: claim_args,
            require_password_change,
            password_stdin,
            common,
        } => {
            let store = common.store.open_existing()?;
            let user = UserName::new_account(&name).or_store_error()?;
            let roles = roles
                .iter()
                .map(|r| RoleName::lookup(r).or_store_error())
                .collect::<anyhow::Result<Vec<_>>>()?;
            let claims = claim_args
                .iter()
                .map(|pair| {
                    let (uri, value) = pair
                        .split_once('=')
                        .with_context(|| format!("--claim '{pair}' is not URI=VALUE"))?;
                    Ok(ClaimValue {
                        uri: claim_uri(uri)?,
                        value: value.to_string(),
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let password = read_password(user.as_str(), password_stdin)?;
            store
                .add_user(CreateUserRequest {
                    user: user.clone(),
                    password,
                    roles: roles.clone(),
                    claims,
                    profile: ProfileName::default(),
                    require_password_change,
                })
                .or_store_error()?;
            let role_names: Vec<String> = roles.iter().map(ToString::to_string).collect();
            print_done(
                format!("added user {user}"),
                common.json,
                json!({ "user": user.as_str(), "roles": role_names }),
            );
        }
        UserCommand::Passwd {
            name,
            password_stdin,
            common,
        } => {
            let store = common.store.open_existing()?;
            let user = existing_user(&*store, &name)?;
            let password = read_password(user.as_str(), password_stdin)?;
            store
                .update_credential_by_admin(&user, &password)
                .or_store_error()?;
            print_done(
                format!("changed the password of {user}"),
                common.json,
                json!({ "user": user.as_str() }),
            );
        }
        UserCommand::Lock { name, common } => set_locked(&name, true, &common)?,
        UserCommand::Unlock { name, common } => set_locked(&name, false, &common)?,
        UserCommand::Delete { name, common } => {
            let store = common.store.open_existing()?;
            let user = existing_user(&*store, &name)?;
            store.delete_user(&user).or_store_error()?;
            print_done(
                format!("deleted user {user}"),
                common.json,
                json!({ "user": user.as_str() }),
            );
        }
        UserCommand::List {
            filter,
            limit,
            common,
        } => {
            let store = common.store.open_existing()?;
            let names = store
                .list_users(&UserFilter::from_request(filter.as_deref()), limit)
                .or_store_error()?;
            print_names("USER", &names, common.json);
        }
        UserCommand::Show { name, common } => {
            let store = common.store.open_existing()?;
            show_user(&*store, &name, common.json)?;
        }
        UserCommand::Credentials { common } => {
            let store = common.store.open_existing()?;
            let counts = store.credential_schemes().or_store_error()?;
            if common.json {
                let map: serde_json::Map<String, serde_json::Value> =
                    counts.iter().map(|(k, n)| (k.clone(), json!(n))).collect();
                println!("{}", serde_json::Value::Object(map));
            } else {
                println!("{:<32} USERS", "PASSWORD HASH");
                for (scheme, users) in &counts {
                    println!("{scheme:<32} {users}");
                }
            }
        }
    }
    Ok(())
}

/// Lock or unlock through the accountLocked identity claim, as a SOAP admin does with
/// setUserClaimValue: the store clears the failed-login counters on unlock.
fn set_locked(name: &str, locked: bool, common: &Common) -> anyhow::Result<()> {
    let store = common.store.open_existing()?;
    let user = existing_user(&*store, name)?;
    let claim = ClaimValue {
        uri: ClaimUri::parse(claims::ACCOUNT_LOCKED).or_store_error()?,
        value: locked.to_string(),
    };
    store
        .set_claim_values(&user, &[claim], &ProfileName::default())
        .or_store_error()?;
    let verb = if locked { "locked" } else { "unlocked" };
    print_done(
        format!("{verb} user {user}"),
        common.json,
        json!({ "user": user.as_str(), "locked": locked }),
    );
    Ok(())
}

fn show_user(store: &dyn StoreAdmin, name: &str, json_output: bool) -> anyhow::Result<()> {
    let user = UserName::lookup(name).or_store_error()?;
    let missing = || store_error(StoreError::UserNotFound(user.to_string()));
    let record = store
        .find_user(&user)
        .or_store_error()?
        .ok_or_else(missing)?;
    let status = store
        .account_status(&user)
        .or_store_error()?
        .ok_or_else(missing)?;
    let roles = store.roles_of_user(&user).or_store_error()?;
    let scheme = store
        .credential_scheme(&user)
        .or_store_error()?
        .unwrap_or_default();
    let profile = ProfileName::default();
    // The account-state claims are shown as the rows above, not again as profile data.
    let values: Vec<ClaimValue> = store
        .claim_values(&user, &profile)
        .or_store_error()?
        .into_iter()
        .filter(|c| {
            let uri = c.uri.as_str();
            !claims::is_bookkeeping(uri)
                && uri != claims::ACCOUNT_LOCKED
                && uri != claims::ACCOUNT_DISABLED
        })
        .collect();
    if json_output {
        let claims_json: serde_json::Map<String, serde_json::Value> = values
            .iter()
            .map(|c| (c.uri.to_string(), json!(c.value)))
            .collect();
        println!(
            "{}",
            json!({
                "user": record.name,
                "id": record.id,
                "roles": roles,
                "locked": status.lock.is_some(),
                "locked_until": match status.lock {
                    Some(AccountLock::UntilMs(at)) => Some(utc(at)),
                    _ => None,
                },
                "disabled": status.disabled,
                "failed_login_attempts": status.failed_attempts,
                "password_changed_at": utc(record.password_changed_at_ms),
                "password_scheme": scheme,
                "claims": claims_json,
            })
        );
        return Ok(());
    }
    let lock_text = match status.lock {
        None => "no".to_string(),
        Some(AccountLock::ByAdministrator) => "yes (by an administrator)".to_string(),
        Some(AccountLock::UntilMs(at)) => format!("yes (after failed logins, until {})", utc(at)),
    };
    let rows = [
        ("user", record.name.clone()),
        ("id", record.id.to_string()),
        ("roles", roles.join(", ")),
        ("locked", lock_text),
        (
            "disabled",
            if status.disabled { "yes" } else { "no" }.to_string(),
        ),
        ("failed logins", status.failed_attempts.to_string()),
        ("password set", utc(record.password_changed_at_ms)),
        ("password hash", scheme),
    ];
    for (label, value) in rows {
        println!("{label:<14} {value}");
    }
    for (i, claim) in values.iter().enumerate() {
        let label = if i == 0 { "claims" } else { "" };
        println!("{label:<14} {} = {}", claim.uri, claim.value);
    }
    Ok(())
}

/// Run a `role` command.
pub fn role(command: RoleCommand) -> anyhow::Result<()> {
    match command {
        RoleCommand::Add {
            name,
            users,
            common,
        } => {
            let store = common.store.open_existing()?;
            let role = RoleName::new_role(&name).or_store_error()?;
            let users = users
                .iter()
                .map(|u| UserName::lookup(u).or_store_error())
                .collect::<anyhow::Result<Vec<_>>>()?;
            store
                .add_role(CreateRoleRequest {
                    role: role.clone(),
                    users,
                    permissions: Vec::new(),
                    external_id: None,
                    id: None,
                })
                .or_store_error()?;
            print_done(
                format!("added role {role}"),
                common.json,
                json!({ "role": role.as_str() }),
            );
        }
        RoleCommand::Delete { name, common } => {
            let store = common.store.open_existing()?;
            let role = RoleName::lookup(&name).or_store_error()?;
            store.delete_role(&role).or_store_error()?;
            print_done(
                format!("deleted role {role}"),
                common.json,
                json!({ "role": role.as_str() }),
            );
        }
        RoleCommand::List { common } => {
            let store = common.store.open_existing()?;
            let names = store.role_names().or_store_error()?;
            print_names("ROLE", &names, common.json);
        }
        RoleCommand::Members { name, common } => {
            let store = common.store.open_existing()?;
            let role = RoleName::lookup(&name).or_store_error()?;
            if !store.role_exists(&role).or_store_error()? {
                return Err(store_error(StoreError::RoleNotFound(role.to_string())));
            }
            let names = store.users_of_role(&role).or_store_error()?;
            print_names("USER", &names, common.json);
        }
        RoleCommand::Permissions {
            name,
            add,
            remove,
            common,
        } => {
            let store = common.store.open_existing()?;
            let role = RoleName::lookup(&name).or_store_error()?;
            let executable = |paths: &[String]| -> anyhow::Result<Vec<Permission>> {
                paths
                    .iter()
                    .map(|path| {
                        let path = path.trim();
                        if !path.starts_with('/') {
                            bail!("permission '{path}' is not a path such as /permission/admin/manage/identity");
                        }
                        Ok(Permission {
                            resource_id: path.to_string(),
                            action: EXECUTE_ACTION.to_string(),
                        })
                    })
                    .collect()
            };
            let (added, removed) = (executable(&add)?, executable(&remove)?);
            if !added.is_empty() || !removed.is_empty() {
                store
                    .update_role_permissions(&role, &added, &removed)
                    .or_store_error()?;
            }
            let held: Vec<String> = store
                .role_permissions(&role)
                .or_store_error()?
                .into_iter()
                .filter(|p| p.action == EXECUTE_ACTION)
                .map(|p| p.resource_id)
                .collect();
            // Denials (moved in from WSO2) follow, marked: the nearest rule on a path decides.
            let denied: Vec<String> = store
                .role_denials(&role)
                .or_store_error()?
                .into_iter()
                .filter(|p| p.action == EXECUTE_ACTION)
                .map(|p| format!("denied {}", p.resource_id))
                .collect();
            let all: Vec<String> = held.into_iter().chain(denied).collect();
            print_names("PERMISSION", &all, common.json);
        }
    }
    Ok(())
}

/// Run a `claim` command.
pub fn claim(command: ClaimCommand) -> anyhow::Result<()> {
    match command {
        ClaimCommand::Set {
            user,
            uri,
            value,
            profile,
            common,
        } => {
            let store = common.store.open_existing()?;
            let user = existing_user(&*store, &user)?;
            let profile = ProfileName::from_request(Some(&profile)).or_store_error()?;
            let claim = ClaimValue {
                uri: claim_uri(&uri)?,
                value,
            };
            store
                .set_claim_values(&user, std::slice::from_ref(&claim), &profile)
                .or_store_error()?;
            print_done(
                format!("set {} of {user}", claim.uri),
                common.json,
                json!({ "user": user.as_str(), "claim": claim.uri.as_str(), "value": claim.value }),
            );
        }
        ClaimCommand::Get {
            user,
            uri,
            profile,
            common,
        } => {
            let store = common.store.open_existing()?;
            let user = existing_user(&*store, &user)?;
            let profile = ProfileName::from_request(Some(&profile)).or_store_error()?;
            let values = match uri {
                Some(raw) => {
                    let uri = claim_uri(&raw)?;
                    let value = store.claim_value(&user, &uri, &profile).or_store_error()?;
                    match value {
                        Some(value) => vec![ClaimValue { uri, value }],
                        None => bail!(
                            "user {user} has no claim {uri} in profile {}",
                            profile.as_str()
                        ),
                    }
                }
                None => store.claim_values(&user, &profile).or_store_error()?,
            };
            if common.json {
                let map: serde_json::Map<String, serde_json::Value> = values
                    .iter()
                    .map(|c| (c.uri.to_string(), json!(c.value)))
                    .collect();
                println!("{}", serde_json::Value::Object(map));
            } else {
                let width = values
                    .iter()
                    .map(|c| c.uri.as_str().len())
                    .max()
                    .unwrap_or(5);
                println!("{:<width$}  VALUE", "CLAIM");
                for c in &values {
                    println!("{:<width$}  {}", c.uri.as_str(), c.value);
                }
            }
        }
    }
    Ok(())
}
