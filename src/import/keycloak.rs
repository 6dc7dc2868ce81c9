//! A Keycloak realm export (`kc.sh export`: the whole realm in one file, or the realm file and
//! its `*-users-*.json` files) read into a [`Plan`]: users with their ids, profile fields and
//! attributes through [`KEYCLOAK_CLAIMS`], enabled state, required actions, realm roles and
//! groups as roles, and password credentials with the hash Keycloak stored (PBKDF2 with SHA-1,
//! SHA-256 or SHA-512; argon2, kept as an argon2 PHC string).

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine as _;
use serde_json::Value;

use super::{ImportError, Plan, Source};
use crate::store::policy::claims;
use crate::store::schemes::{LegacyHash, Prf};
use crate::store::sql::{ImportCredential, ImportedUser, RejectedRow};
use crate::store::{ClaimUri, ClaimValue, ProfileName, RoleName, UserName};

/// Keycloak's user fields and common attributes onto claims; any other attribute `name` goes
/// to `http://wso2.org/claims/<name>`, which the claim dialect must then hold
/// (`realm.extra_claim_uris`), else the user is reported and skipped.
pub const KEYCLOAK_CLAIMS: &[(&str, &str)] = &[
    ("email", "http://wso2.org/claims/emailaddress"),
    ("firstName", "http://wso2.org/claims/givenname"),
    ("lastName", "http://wso2.org/claims/lastname"),
    (
        "emailVerified",
        "http://wso2.org/claims/identity/emailVerified",
    ),
    ("createdTimestamp", "http://wso2.org/claims/created"),
    ("phoneNumber", "http://wso2.org/claims/mobile"),
    ("mobile", "http://wso2.org/claims/mobile"),
    ("locale", "http://wso2.org/claims/local"),
    ("department", "http://wso2.org/claims/department"),
    ("organization", "http://wso2.org/claims/organization"),
    ("title", "http://wso2.org/claims/title"),
    ("country", "http://wso2.org/claims/country"),
];

/// Required actions other than UPDATE_PASSWORD are kept, comma-separated, in this claim.
pub const REQUIRED_ACTIONS_CLAIM: &str = "http://wso2.org/claims/identity/requiredActions";

/// Realm roles every Keycloak user has, which mean nothing here.
fn is_builtin_role(role: &str, realm: &str) -> bool {
    role == "offline_access"
        || role == "uma_authorization"
        || role == format!("default-roles-{realm}")
}

/// A group path (`/Sales/EMEA`) as a role name (`Sales:EMEA`): `/` is reserved for a role's
/// domain.
pub fn group_role(path: &str) -> String {
    path.trim_start_matches('/').replace('/', ":")
}

/// A realm export: the realm file and any users files, read as one.
pub struct KeycloakExport {
    /// The files.
    pub files: Vec<PathBuf>,
}

impl Source for KeycloakExport {
    fn describe(&self) -> String {
        let names: Vec<String> = self.files.iter().map(|f| f.display().to_string()).collect();
        format!("Keycloak export {}", names.join(", "))
    }

    fn read(&self) -> Result<Plan, ImportError> {
        read(&self.files)
    }
}

/// Read every file into one plan.
fn read(files: &[impl AsRef<Path>]) -> Result<Plan, ImportError> {
    let mut plan = Plan::default();
    for file in files {
        let file = file.as_ref();
        let text = std::fs::read_to_string(file)
            .map_err(|e| ImportError::Source(format!("{}: {e}", file.display())))?;
        let export: Value = serde_json::from_str(&text).map_err(|e| {
            ImportError::Source(format!(
                "{}: not a Keycloak export (bad or truncated JSON: {e})",
                file.display()
            ))
        })?;
        let realm = export
            .get("realm")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let name = file.file_name().map_or_else(
            || file.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let users = match export.get("users") {
            None => {
                if export.get("realm").is_none() {
                    return Err(ImportError::Source(format!(
                        "{}: neither a realm export nor a users file (no \"realm\", no \"users\")",
                        file.display()
                    )));
                }
                continue;
            }
            Some(Value::Array(users)) => users,
            Some(_) => {
                return Err(ImportError::Source(format!(
                    "{}: \"users\" is not an array",
                    file.display()
                )))
            }
        };
        for (index, user) in users.iter().enumerate() {
            let username = user.get("username").and_then(Value::as_str).unwrap_or("?");
            let line = plan.locate(format!("{name}: users[{index}] ({username})"));
            if user.get("serviceAccountClientLink").is_some() {
                plan.count("service accounts (skipped: they belong to clients)", 1);
                continue;
            }
            plan.count("users", 1);
            match read_user(line, user, &realm) {
                Ok(row) => {
                    plan.count("roles and groups of users", row.roles.len());
                    plan.users.push(row);
                }
                Err(reason) => plan.rejected.push(RejectedRow::new(line, reason)),
            }
        }
    }
    Ok(plan)
}

fn claim(uri: &str, value: String) -> Result<(ProfileName, ClaimValue), String> {
    let uri = ClaimUri::parse(uri).map_err(|e| e.to_string())?;
    Ok((ProfileName::default(), ClaimValue { uri, value }))
}

/// A JSON scalar or a list of them as claim text (multi-valued attributes joined by `,`).
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(text_of).collect();
            (!parts.is_empty()).then(|| parts.join(","))
        }
        _ => None,
    }
}

fn read_user(line: usize, user: &Value, realm: &str) -> Result<ImportedUser, String> {
    let username = user
        .get("username")
        .and_then(Value::as_str)
        .ok_or("the user has no username")?;
    let name = UserName::lookup(username).map_err(|e| e.to_string())?;
    let mut values = Vec::new();
    if let Some(id) = user.get("id").and_then(Value::as_str) {
        values.push(claim(claims::USER_ID, id.to_string())?);
    }
    let mapped = |field: &str| {
        KEYCLOAK_CLAIMS
            .iter()
            .find(|(k, _)| *k == field)
            .map(|(_, uri)| uri.to_string())
    };
    for field in ["email", "firstName", "lastName", "emailVerified"] {
        if let Some(text) = user.get(field).and_then(text_of) {
            values.push(claim(&mapped(field).unwrap_or_default(), text)?);
        }
    }
    if let Some(ms) = user.get("createdTimestamp").and_then(Value::as_i64) {
        let uri = mapped("createdTimestamp").unwrap_or_default();
        values.push(claim(&uri, crate::rfc3339::format(ms))?);
    }
    if let Some(Value::Object(attributes)) = user.get("attributes") {
        for (key, value) in attributes {
            let Some(text) = text_of(value) else { continue };
            let uri = mapped(key).unwrap_or_else(|| format!("http://wso2.org/claims/{key}"));
            values.push(claim(&uri, text)?);
        }
    }
    if user.get("enabled").and_then(Value::as_bool) == Some(false) {
        values.push(claim(claims::ACCOUNT_DISABLED, "true".into())?);
    }
    let actions: Vec<&str> = user
        .get("requiredActions")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if actions.contains(&"UPDATE_PASSWORD") {
        values.push(claim(claims::ADMIN_FORCED_PASSWORD_RESET, "true".into())?);
    }
    let others: Vec<&str> = actions
        .into_iter()
        .filter(|a| *a != "UPDATE_PASSWORD")
        .collect();
    if !others.is_empty() {
        values.push(claim(REQUIRED_ACTIONS_CLAIM, others.join(","))?);
    }
    let mut roles = Vec::new();
    let names = |key: &str| -> Vec<String> {
        user.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    for role in names("realmRoles") {
        if !is_builtin_role(&role, realm) {
            roles.push(RoleName::lookup(&role).map_err(|e| e.to_string())?);
        }
    }
    for path in names("groups") {
        roles.push(RoleName::lookup(&group_role(&path)).map_err(|e| e.to_string())?);
    }
    Ok(ImportedUser {
        line,
        user: name,
        credential: credential(user)?,
        roles,
        claims: values,
    })
}

/// A credential's JSON part: a string holding JSON (as `kc.sh export` writes it) or an object.
fn json_part(credential: &Value, key: &str) -> Result<Value, String> {
    match credential.get(key) {
        Some(Value::String(text)) => {
            serde_json::from_str(text).map_err(|e| format!("credential {key} is not JSON: {e}"))
        }
        Some(object @ Value::Object(_)) => Ok(object.clone()),
        _ => Err(format!("the password credential has no {key}")),
    }
}

/// The user's password credential as Keycloak stored it.
fn credential(user: &Value) -> Result<ImportCredential, String> {
    let Some(password) = user
        .get("credentials")
        .and_then(Value::as_array)
        .and_then(|all| {
            all.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("password"))
        })
    else {
        return Ok(ImportCredential::NoPassword);
    };
    let secret = json_part(password, "secretData")?;
    let data = json_part(password, "credentialData")?;
    let hash = secret
        .get("value")
        .and_then(Value::as_str)
        .ok_or("the password credential has no value")?;
    let salt = secret.get("salt").and_then(Value::as_str).unwrap_or("");
    let salt = STANDARD
        .decode(salt)
        .map_err(|_| "the password's salt is not base64")?;
    let algorithm = data
        .get("algorithm")
        .and_then(Value::as_str)
        .unwrap_or("pbkdf2-sha256");
    let iterations = data
        .get("hashIterations")
        .and_then(Value::as_u64)
        .and_then(|i| u32::try_from(i).ok())
        .ok_or("the password credential has no hashIterations")?;
    if algorithm == "argon2" {
        return argon2_phc(&data, iterations, &salt, hash).map(ImportCredential::Hash);
    }
    let prf = Prf::parse(algorithm)
        .filter(|_| algorithm.starts_with("pbkdf2"))
        .ok_or_else(|| format!("unknown password algorithm '{algorithm}'"))?;
    let hash = LegacyHash::pbkdf2(prf, iterations, salt, hash).map_err(|e| e.to_string())?;
    Ok(ImportCredential::Legacy { hash, wrap: true })
}

/// Keycloak's argon2 credential as an argon2 PHC string.
fn argon2_phc(data: &Value, iterations: u32, salt: &[u8], hash: &str) -> Result<String, String> {
    let parameter = |name: &str| -> Option<String> {
        let value = data.get("additionalParameters")?.get(name)?;
        text_of(value)
    };
    let kind = match parameter("type").as_deref().unwrap_or("id") {
        "id" => "argon2id",
        "i" => "argon2i",
        "d" => "argon2d",
        other => return Err(format!("unknown argon2 type '{other}'")),
    };
    let version = match parameter("version").as_deref().unwrap_or("1.3") {
        "1.3" => 19,
        "1.0" => 16,
        other => return Err(format!("unknown argon2 version '{other}'")),
    };
    let memory = parameter("memory").unwrap_or_else(|| "7168".into());
    let parallelism = parameter("parallelism").unwrap_or_else(|| "1".into());
    let hash = STANDARD
        .decode(hash)
        .map_err(|_| "the password hash is not base64")?;
    Ok(format!(
        "${kind}$v={version}$m={memory},t={iterations},p={parallelism}${}${}",
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(hash)
    ))
}
