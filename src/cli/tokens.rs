//! `userstore token create|list|revoke`: API tokens for machine clients (Microsoft Entra ID's
//! and Okta's SCIM provisioning, scripts). A token acts as its user, with that user's
//! permissions; it is printed once, at creation, and only a digest of it is stored.

use anyhow::bail;
use clap::Subcommand;
use serde_json::json;

use userstore::store::{ApiToken, StoreError};

use super::admin::{existing_user, print_done, utc, Common, OrStoreError as _};

/// Longest lifetime `--expires` takes, in days (about 100 years).
const MAX_EXPIRY_DAYS: u32 = 36_500;

/// `userstore token …`
#[derive(Subcommand)]
pub enum TokenCommand {
    /// Make a token for a user and print it once (store it in the client's secret field).
    Create {
        /// The user the token acts as (its roles' permissions apply).
        #[arg(long, value_name = "NAME")]
        user: String,
        /// Days until the token stops working; never when absent.
        #[arg(long, value_name = "DAYS")]
        expires: Option<u32>,
        /// A unique label, named in audit events and lists (default: the user's name and the
        /// time of creation).
        #[arg(long, value_name = "LABEL")]
        name: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// List tokens (never their secrets): id, label, user, created, expires, state.
    List {
        /// Only this user's tokens.
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Revoke a token by id or label; requests with it are refused from then on.
    Revoke {
        /// The token's id or label.
        token: String,
        #[command(flatten)]
        common: Common,
    },
}

const MS_PER_DAY: i64 = 86_400_000;

fn state(token: &ApiToken, now_ms: i64) -> &'static str {
    if token.revoked_at_ms.is_some() {
        "revoked"
    } else if !token.is_live(now_ms) {
        "expired"
    } else {
        "live"
    }
}

fn token_json(token: &ApiToken, now_ms: i64) -> serde_json::Value {
    json!({
        "id": token.id,
        "label": token.label,
        "user": token.user,
        "created": utc(token.created_at_ms),
        "expires": token.expires_at_ms.map(utc),
        "revoked": token.revoked_at_ms.map(utc),
        "state": state(token, now_ms),
    })
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Run a `token` command.
pub fn token(command: TokenCommand) -> anyhow::Result<()> {
    let now = now_ms();
    match command {
        TokenCommand::Create {
            user,
            expires,
            name,
            common,
        } => {
            let expires_at = match expires {
                Some(0) => bail!("--expires takes a number of days from 1 to {MAX_EXPIRY_DAYS}"),
                Some(days) if days > MAX_EXPIRY_DAYS => {
                    bail!("--expires takes a number of days from 1 to {MAX_EXPIRY_DAYS}")
                }
                Some(days) => Some(now + i64::from(days) * MS_PER_DAY),
                None => None,
            };
            let store = common.store.open_existing()?;
            let user = existing_user(store.as_ref(), &user)?;
            let label = name.unwrap_or_else(|| format!("{user}-{}", utc(now)));
            let issued = store
                .create_token(&user, &label, expires_at)
                .or_store_error()?;
            if common.json {
                let mut out = token_json(&issued.record, now);
                out["token"] = json!(issued.bearer);
                println!("{out}");
            } else {
                println!(
                    "created token {} ({}) for {}; it is shown only this once:\n\n    {}\n",
                    issued.record.id, issued.record.label, issued.record.user, issued.bearer
                );
            }
        }
        TokenCommand::List { user, common } => {
            let store = common.store.open_existing()?;
            let user = user
                .map(|u| existing_user(store.as_ref(), &u))
                .transpose()?;
            let tokens = store.list_tokens(user.as_ref()).or_store_error()?;
            if common.json {
                let all: Vec<_> = tokens.iter().map(|t| token_json(t, now)).collect();
                println!("{}", json!(all));
            } else {
                println!("id                label                user                 created               expires               state");
                for t in &tokens {
                    println!(
                        "{:<17} {:<20} {:<20} {:<21} {:<21} {}",
                        t.id,
                        t.label,
                        t.user,
                        utc(t.created_at_ms),
                        t.expires_at_ms.map_or("never".to_string(), utc),
                        state(t, now)
                    );
                }
            }
        }
        TokenCommand::Revoke { token, common } => {
            let store = common.store.open_existing()?;
            let Some(revoked) = store.revoke_token(&token).or_store_error()? else {
                return Err(anyhow::Error::new(StoreError::InvalidInput(format!(
                    "no token has the id or label '{token}'"
                ))));
            };
            print_done(
                format!("revoked token {} ({})", revoked.id, revoked.label),
                common.json,
                json!({ "id": revoked.id, "label": revoked.label }),
            );
        }
    }
    Ok(())
}
