//! Passwords of local accounts: a reset by e-mail (a single-use token lasting
//! [`RESET_MINUTES`], stored hashed, its mail queued with its event), a change by the
//! signed-in person, and signing out of every session. Events carry no personal data.

use domain::ErrorCode;
use domain::id::UserId;
use domain::jobs::MailKind;
use domain::text::may_name_something;
use domain::time::Timestamp;
use store::events::{self, Actor, NewEvent};
use store::outbox::NewMail;
use store::{password_resets, sessions, users};

use crate::auth::{MIN_PASSWORD, hash_password, verify_password};
use crate::error::{Conflict, Result};
use crate::secret::{hash_token, new_token};
use crate::{App, AppError, Caller};

/// How long a reset link works.
pub const RESET_MINUTES: i64 = 30;
/// How many reset mails an address gets within [`RESET_MINUTES`].
pub const RESETS_PER_PERIOD: i64 = 3;

pub(crate) fn check_new(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(AppError::field(
            "password",
            ErrorCode::TooShort { min: MIN_PASSWORD },
        ));
    }
    Ok(())
}

/// Whether an account signs in with a password kept here (an argon2 hash), not elsewhere.
fn has_local_password(user: &users::UserRow) -> bool {
    user.password_hash.starts_with("$argon2")
}

async fn append(tx: &mut store::Tx, user_id: &UserId, kind: &str) -> Result<()> {
    // Filed under the person's organisation, so that their region's audit view shows it.
    let org = crate::accounts::home_org(tx, user_id).await?;
    events::append(
        tx,
        NewEvent {
            actor: &Actor::User(user_id.clone()),
            kind,
            subject_type: "user",
            subject_id: user_id.as_str(),
            org_id: org.as_ref(),
            payload: serde_json::json!({}),
        },
    )
    .await?;
    Ok(())
}

/// Asks for a reset link to `email`, in `lang`. The answer is the same whether or not the
/// address has an account: only an active account with a local password (and an
/// organisation, in whose name the mail goes) gets a mail.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn request_reset(app: &App, email: &str, lang: &str) -> Result<()> {
    crate::auth::local_passwords_on(app)?;
    if !may_name_something(email) {
        return Ok(());
    }
    let mut tx = app.db.write().await?;
    let Some(user) = users::by_email(&mut tx, email)
        .await?
        .filter(|u| u.active && has_local_password(u))
    else {
        return Ok(());
    };
    let Some(org_id) = users::memberships(&mut tx, &user.id)
        .await?
        .into_iter()
        .map(|m| m.org_id)
        .next()
    else {
        return Ok(());
    };
    let now = Timestamp::now();
    // At most a few mails per address per reset period, whoever asks: no one can fill an
    // inbox from many addresses. The earlier links keep working until one is used.
    let since = now.plus_seconds(-RESET_MINUTES * 60).to_db();
    if password_resets::count_since(&mut tx, &user.id, &since).await? >= RESETS_PER_PERIOD {
        return Ok(());
    }
    let token = new_token(32)?;
    password_resets::insert(
        &mut tx,
        &hash_token(&token),
        &user.id,
        &now.to_db(),
        &now.plus_seconds(RESET_MINUTES * 60).to_db(),
    )
    .await?;
    append(&mut tx, &user.id, "user.password_reset_requested").await?;
    let params = serde_json::json!({
        "reset_url": format!("{}/losenord/{}", app.config.public_url, token),
        "minutes": RESET_MINUTES,
    });
    crate::mail::queue(
        &mut tx,
        &NewMail {
            org_id: &org_id,
            kind: MailKind::PasswordReset,
            lang: if lang == "en" { "en" } else { "sv" },
            recipient: &user.email,
            subject_type: "user",
            subject_id: user.id.as_str(),
            params: &params,
        },
        &now,
    )
    .await?;
    tx.commit().await?;
    app.wake_jobs();
    Ok(())
}

/// Sets a new password with a reset token: the token is used up, and every session of the
/// account ends (whoever used the old password is out).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn reset(app: &App, token: &str, password: &str) -> Result<()> {
    crate::auth::local_passwords_on(app)?;
    check_new(password)?;
    // Hashed before the write transaction so the write lock is held only briefly.
    let hash = hash_password(password).await?;
    let now = Timestamp::now().to_db();
    let mut tx = app.db.write().await?;
    let Some(user_id) = password_resets::take(&mut tx, &hash_token(token.trim()), &now).await?
    else {
        return Err(AppError::Conflict(Conflict::ResetLinkInvalid));
    };
    let active = users::by_id(&mut tx, &user_id)
        .await?
        .is_some_and(|u| u.active);
    if !active {
        return Err(AppError::Conflict(Conflict::ResetLinkInvalid));
    }
    users::set_password(&mut tx, &user_id, &hash).await?;
    password_resets::end_for_user(&mut tx, &user_id, &now).await?;
    sessions::delete_for_user(&mut tx, &user_id).await?;
    append(&mut tx, &user_id, "user.password_reset").await?;
    tx.commit().await?;
    Ok(())
}

/// Changes the signed-in person's password, given the current one; their other sessions
/// end, the one they are using (`session_token`, when through a page) stays.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn change(
    app: &App,
    caller: &Caller,
    session_token: Option<&str>,
    current: &str,
    password: &str,
) -> Result<()> {
    let me = caller.user().ok_or(AppError::Unauthenticated)?;
    crate::auth::local_passwords_on(app)?;
    let stored = {
        let mut tx = app.db.read().await?;
        let u = users::by_id(&mut tx, &me.id).await?;
        tx.commit().await?;
        u.ok_or(AppError::Unauthenticated)?
    };
    if !verify_password(current, &stored.password_hash).await {
        return Err(AppError::field(
            "current_password",
            ErrorCode::WrongPassword,
        ));
    }
    check_new(password)?;
    let hash = hash_password(password).await?;
    let mut tx = app.db.write().await?;
    users::set_password(&mut tx, &me.id, &hash).await?;
    let keep = session_token.map(hash_token).unwrap_or_default();
    sessions::delete_others(&mut tx, &me.id, &keep).await?;
    password_resets::end_for_user(&mut tx, &me.id, &Timestamp::now().to_db()).await?;
    append(&mut tx, &me.id, "user.password_changed").await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every session of the signed-in person, the current one included.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn sign_out_everywhere(app: &App, caller: &Caller) -> Result<u64> {
    let me = caller.user().ok_or(AppError::Unauthenticated)?;
    let mut tx = app.db.write().await?;
    let n = sessions::delete_for_user(&mut tx, &me.id).await?;
    append(&mut tx, &me.id, "user.signed_out_everywhere").await?;
    tx.commit().await?;
    Ok(n)
}
