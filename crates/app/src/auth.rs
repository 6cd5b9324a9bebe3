//! Accounts, sign-in and API tokens. Passwords are hashed with argon2id; sessions and
//! tokens are random and stored hashed.

use crate::error::Result;
use crate::secret::{hash_token, new_token};
use crate::{App, AppError, Caller, CurrentUser};
use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use domain::role::Role;
use domain::text::may_name_something;
use domain::time::Timestamp;
use store::events::{self, Actor, NewEvent};
use store::{sessions, users};

pub const MIN_PASSWORD: usize = 10;

/// Hashes a password with argon2id (the crate's default algorithm and parameters).
pub async fn hash_password(password: &str) -> anyhow::Result<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("Failed to hash a password: {e}"))
    })
    .await
    .context("Failed to join the hashing task")?
}

async fn verify_password(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_string(), hash.to_string());
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
pub async fn login(app: &App, email: &str, password: &str) -> Result<String> {
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
    let token = new_token(32)?;
    let now = Timestamp::now();
    let expires = now.plus_seconds(app.config.session_ttl_secs);
    sessions::delete_expired(&mut tx, &now.to_db()).await?;
    sessions::insert(
        &mut tx,
        &hash_token(&token),
        &user.id,
        &now.to_db(),
        &expires.to_db(),
    )
    .await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &Actor::User(user.id.clone()),
            kind: "user.signed_in",
            subject_type: "user",
            subject_id: &user.id,
            org_id: None,
            payload: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

pub async fn logout(app: &App, session_token: &str) -> Result<()> {
    let mut tx = app.db.write().await?;
    let hash = hash_token(session_token);
    if let Some(user_id) = sessions::user_for(&mut tx, &hash, &Timestamp::now().to_db()).await? {
        sessions::delete(&mut tx, &hash).await?;
        events::append(
            &mut tx,
            NewEvent {
                actor: &Actor::User(user_id.clone()),
                kind: "user.signed_out",
                subject_type: "user",
                subject_id: &user_id,
                org_id: None,
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
        .filter_map(|m| Role::parse(&m.role).map(|r| (m.org_id, r)))
        .collect();
    Ok(Some(CurrentUser {
        id: user.id,
        name: user.name,
        email: user.email,
        memberships,
    }))
}

/// The caller behind a session cookie.
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

/// The caller behind an API bearer token; an unknown token is an error, not the public.
pub async fn caller_for_api_token(app: &App, token: &str) -> Result<Caller> {
    let mut tx = app.db.read().await?;
    let Some(user) = users::user_by_token(&mut tx, &hash_token(token.trim())).await? else {
        return Err(AppError::Unauthenticated);
    };
    load_user(&mut tx, user)
        .await?
        .map(Caller::User)
        .ok_or(AppError::Unauthenticated)
}

/// Creates an API token for the user with this e-mail and returns it; it is shown once.
pub async fn create_api_token(app: &App, email: &str) -> Result<String> {
    let mut tx = app.db.write().await?;
    let user = users::by_email(&mut tx, email)
        .await?
        .ok_or(AppError::Validation(domain::FieldErrors::single(
            "email",
            domain::ErrorCode::UnknownUser,
        )))?;
    let token = format!("sluss_{}", new_token(32)?);
    let id = users::insert_token(&mut tx, &user.id, &hash_token(&token)).await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &Actor::System,
            kind: "api_token.created",
            subject_type: "user",
            subject_id: &user.id,
            org_id: None,
            payload: serde_json::json!({ "token_id": id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn argon2id_round_trip() {
        let h = hash_password("correct horse battery").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h).await);
        assert!(!verify_password("wrong horse battery", &h).await);
        assert!(!verify_password("anything", "not a hash").await);
    }
}
