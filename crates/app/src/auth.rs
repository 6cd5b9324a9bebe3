//! Accounts, sign-in and API tokens. Passwords are hashed with argon2id; sessions and
//! tokens are random and stored hashed.

use crate::error::Result;
use crate::secret::{hash_token, new_token};
use crate::{App, AppError, Caller, CurrentUser};
use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use domain::id::{OrgId, TokenId, UserId};
use domain::text::may_name_something;
use domain::time::Timestamp;
use store::events::{self, Actor, NewEvent};
use store::{sessions, users};

pub const MIN_PASSWORD: usize = 10;

/// Hashing turns at once. Each argon2id hash holds 19 MiB for its duration, and a burst of
/// sign-ins from many addresses (each within its rate limit) would otherwise run as many
/// hashes at a time as the blocking pool has threads (512): 10 GB. As many as there are
/// cores run; the rest wait their turn, which costs them no more time than sharing the
/// cores would.
fn hashing_turns() -> &'static tokio::sync::Semaphore {
    static TURNS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    TURNS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores.max(2))
    })
}

/// Hashes a password with argon2id (the crate's default algorithm and parameters).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn hash_password(password: &str) -> anyhow::Result<String> {
    let password = password.to_string();
    let _turn = hashing_turns()
        .acquire()
        .await
        .context("The hashing turns were closed")?;
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("Failed to hash a password: {e}"))
    })
    .await
    .context("Failed to join the hashing task")?
}

pub(crate) async fn verify_password(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_string(), hash.to_string());
    let Ok(_turn) = hashing_turns().acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || match PasswordHash::new(&hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    })
    .await
    .unwrap_or(false)
}

/// A new session for the right e-mail and password: the token for the cookie.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn login(app: &App, email: &str, password: &str) -> Result<String> {
    local_passwords_on(app)?;
    let mut tx = app.db.write().await?;
    // An address that could name nobody is not asked for (PostgreSQL refuses a NUL); it is
    // refused as any unknown address is, after the same effort.
    let user = if may_name_something(email) {
        users::by_email(&mut tx, email).await?
    } else {
        None
    };
    let ok = match &user {
        Some(u) if u.active => verify_password(password, &u.password_hash).await,
        _ => {
            // Spend the same effort as a real check so that timing does not tell which
            // e-mail addresses have accounts.
            let _ = hash_password(password).await;
            false
        }
    };
    let user = match (ok, user) {
        (true, Some(u)) => u,
        _ => return Err(AppError::Unauthenticated),
    };
    let token = open_session(app, &mut tx, &user.id, serde_json::json!({})).await?;
    tx.commit().await?;
    Ok(token)
}

/// Opens a session for a user inside the caller's transaction, with its event (`payload`
/// says how they signed in); returns the token for the cookie. Password and OpenID Connect
/// sign-ins both end here.
pub(crate) async fn open_session(
    app: &App,
    tx: &mut store::Tx,
    user_id: &UserId,
    payload: serde_json::Value,
) -> Result<String> {
    let token = new_token(32)?;
    let now = Timestamp::now();
    let expires = now.plus_seconds(app.config.session_ttl_secs);
    sessions::delete_expired(tx, &now.to_db()).await?;
    // Filed under the person's organisation, so that their region's audit view shows it.
    let org = crate::accounts::home_org(tx, user_id).await?;
    sessions::insert(
        tx,
        &hash_token(&token),
        user_id,
        &now.to_db(),
        &expires.to_db(),
    )
    .await?;
    events::append(
        tx,
        NewEvent {
            actor: &Actor::User(user_id.clone()),
            kind: "user.signed_in",
            subject_type: "user",
            subject_id: user_id.as_str(),
            org_id: org.as_ref(),
            payload,
        },
    )
    .await?;
    Ok(token)
}

/// Refuses what needs local passwords when they are turned off (`--local-passwords off`):
/// people then sign in through the identity provider only.
pub(crate) fn local_passwords_on(app: &App) -> Result<()> {
    if app.config.local_passwords {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn logout(app: &App, session_token: &str) -> Result<()> {
    let mut tx = app.db.write().await?;
    let hash = hash_token(session_token);
    if let Some(user_id) = sessions::user_for(&mut tx, &hash, &Timestamp::now().to_db()).await? {
        sessions::delete(&mut tx, &hash).await?;
        let org = crate::accounts::home_org(&mut tx, &user_id).await?;
        events::append(
            &mut tx,
            NewEvent {
                actor: &Actor::User(user_id.clone()),
                kind: "user.signed_out",
                subject_type: "user",
                subject_id: user_id.as_str(),
                org_id: org.as_ref(),
                payload: serde_json::json!({}),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn load_user(tx: &mut store::Tx, user: users::UserRow) -> Result<Option<CurrentUser>> {
    if !user.active {
        return Ok(None);
    }
    let memberships = users::memberships(tx, &user.id)
        .await?
        .into_iter()
        .map(|m| (m.org_id, m.role))
        .collect();
    Ok(Some(CurrentUser {
        id: user.id,
        name: user.name,
        email: user.email,
        memberships,
    }))
}

/// The caller behind a session cookie.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn caller_for_session(app: &App, session_token: &str) -> Result<Caller> {
    let mut tx = app.db.read().await?;
    let Some(user_id) = sessions::user_for(
        &mut tx,
        &hash_token(session_token),
        &Timestamp::now().to_db(),
    )
    .await?
    else {
        return Ok(Caller::Public);
    };
    let Some(user) = users::by_id(&mut tx, &user_id).await? else {
        return Ok(Caller::Public);
    };
    Ok(load_user(&mut tx, user)
        .await?
        .map(Caller::User)
        .unwrap_or(Caller::Public))
}

/// The caller behind an API bearer token; an unknown, revoked or expired token, or one
/// whose user is deactivated, is an error, not the public.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn caller_for_api_token(app: &App, token: &str) -> Result<Caller> {
    let now = Timestamp::now();
    let mut tx = app.db.read().await?;
    let Some(found) =
        users::user_by_token(&mut tx, &hash_token(token.trim()), &now.to_db()).await?
    else {
        return Err(AppError::Unauthenticated);
    };
    let caller = load_user(&mut tx, found.user)
        .await?
        .map(Caller::User)
        .ok_or(AppError::Unauthenticated)?;
    drop(tx);
    // When a token was last used is kept to the hour: a write at most once an hour per
    // token, not one per request. A client that opens 64 connections with a token unused
    // for an hour sends 64 requests that all find it stale; only the first of this node
    // writes (on SQLite each write waits for the one before: the rest would have queued
    // behind 63 commits).
    let stale = found
        .last_used_at
        .as_deref()
        .and_then(Timestamp::parse_db)
        .is_none_or(|t| t.inner() + time::Duration::hours(1) <= now.inner());
    if stale && first_mark_this_hour(found.token_id.as_str()) {
        let mut tx = app.db.write().await?;
        users::mark_token_used(&mut tx, &found.token_id, &now.to_db()).await?;
        tx.commit().await?;
    }
    Ok(caller)
}

/// Whether this request is the first of this node to mark the token as used in the past
/// hour (it then writes; others do not). Tokens marked over an hour ago are forgotten.
fn first_mark_this_hour(token_id: &str) -> bool {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    use std::time::{Duration, Instant};
    static MARKED: OnceLock<Mutex<HashMap<String, Instant>>> = OnceLock::new();
    let Ok(mut marked) = MARKED.get_or_init(Default::default).lock() else {
        return true;
    };
    let hour = Duration::from_secs(3600);
    marked.retain(|_, at| at.elapsed() < hour);
    if marked.contains_key(token_id) {
        return false;
    }
    marked.insert(token_id.to_string(), Instant::now());
    true
}

/// How long a new API token lasts unless told otherwise.
pub const DEFAULT_TOKEN_DAYS: u32 = 365;
/// The longest a token may last: ten years.
pub const MAX_TOKEN_DAYS: u32 = 3650;

/// Creates an API token lasting [`DEFAULT_TOKEN_DAYS`]; see [`create_api_token_for`].
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn create_api_token(app: &App, email: &str) -> Result<String> {
    create_api_token_for(app, email, DEFAULT_TOKEN_DAYS).await
}

/// Creates an API token for the active user with this e-mail, valid for `days` days, and
/// returns it; it is shown once.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn create_api_token_for(app: &App, email: &str, days: u32) -> Result<String> {
    if !(1..=MAX_TOKEN_DAYS).contains(&days) {
        return Err(AppError::field(
            "expires_in_days",
            domain::ErrorCode::InvalidNumber,
        ));
    }
    let mut tx = app.db.write().await?;
    let user = users::by_email(&mut tx, email)
        .await?
        .filter(|u| u.active)
        .ok_or(AppError::field("email", domain::ErrorCode::UnknownUser))?;
    let org = crate::accounts::home_org(&mut tx, &user.id).await?;
    let (_, token) =
        insert_api_token(&mut tx, &Actor::System, &user.id, None, days, org.as_ref()).await?;
    tx.commit().await?;
    Ok(token)
}

/// Writes a token for `user_id` lasting `days` days, with its event, in `tx`: its id and
/// its secret (shown once; only its hash is kept).
pub(crate) async fn insert_api_token(
    tx: &mut store::Tx,
    actor: &Actor,
    user_id: &UserId,
    name: Option<&str>,
    days: u32,
    org_id: Option<&OrgId>,
) -> Result<(TokenId, String)> {
    let token = format!("sluss_{}", new_token(32)?);
    let expires_at = Timestamp::now().plus_days(i64::from(days)).to_db();
    let id = users::insert_token(tx, user_id, name, &hash_token(&token), &expires_at).await?;
    events::append(
        tx,
        NewEvent {
            actor,
            kind: "api_token.created",
            subject_type: "user",
            subject_id: user_id.as_str(),
            org_id,
            payload: serde_json::json!({ "token_id": id, "expires_at": expires_at }),
        },
    )
    .await?;
    Ok((id, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_waits_while_every_turn_is_taken() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let all = u32::try_from(cores.max(2)).unwrap();
        let held = hashing_turns().acquire_many(all).await.unwrap();
        let hashing = tokio::spawn(hash_password("ett långt lösenord"));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!hashing.is_finished(), "a hash beyond the turns waits");
        drop(held);
        let h = hashing.await.unwrap().unwrap();
        assert!(verify_password("ett långt lösenord", &h).await);
    }

    #[test]
    fn a_token_is_marked_once_an_hour_per_node() {
        let id = crate::secret::new_token(16).unwrap();
        assert!(first_mark_this_hour(&id));
        assert!(
            !first_mark_this_hour(&id),
            "the second request does not write"
        );
        assert!(first_mark_this_hour(&crate::secret::new_token(16).unwrap()));
    }

    #[tokio::test]
    async fn argon2id_round_trip() {
        let h = hash_password("correct horse battery").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h).await);
        assert!(!verify_password("wrong horse battery", &h).await);
        assert!(!verify_password("anything", "not a hash").await);
    }
}
