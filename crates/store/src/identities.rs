//! Sign-in through OpenID Connect: which account a person at an identity provider is
//! (`user_identities`, by issuer and subject), and the sign-ins under way between the
//! redirect to the provider and its return (`oidc_logins`, single-use, minutes long).

use crate::db::{Tx, sql};
use domain::id::UserId;

/// The account linked to a subject of an issuer.
pub async fn user_for(tx: &mut Tx, issuer: &str, subject: &str) -> crate::Result<Option<UserId>> {
    let row: Option<(String,)> = tx
        .fetch_optional(
            sql("SELECT user_id FROM user_identities WHERE issuer = ? AND subject = ?")
                .bind(issuer)
                .bind(subject),
        )
        .await?;
    Ok(row.map(|r| UserId::from(r.0)))
}

/// Links a subject of an issuer to an account.
pub async fn link(
    tx: &mut Tx,
    issuer: &str,
    subject: &str,
    user_id: &UserId,
    now: &str,
) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO user_identities (issuer, subject, user_id, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)")
            .bind(issuer)
            .bind(subject)
            .bind(user_id.as_str())
            .bind(now)
            .bind(now),
    )
    .await?;
    Ok(())
}

/// Notes that the subject signed in now.
pub async fn seen(tx: &mut Tx, issuer: &str, subject: &str, now: &str) -> crate::Result<()> {
    tx.execute(
        sql("UPDATE user_identities SET last_seen_at = ? WHERE issuer = ? AND subject = ?")
            .bind(now)
            .bind(issuer)
            .bind(subject),
    )
    .await?;
    Ok(())
}

/// A sign-in under way: what the return from the provider is checked against.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingLogin {
    pub nonce: String,
    pub pkce_verifier: String,
    pub next: String,
}

/// Records a sign-in under way, and removes those that expired.
pub async fn begin_login(
    tx: &mut Tx,
    state_hash: &str,
    login: &PendingLogin,
    now: &str,
    expires_at: &str,
) -> crate::Result<()> {
    tx.execute(sql("DELETE FROM oidc_logins WHERE expires_at <= ?").bind(now))
        .await?;
    tx.execute(
        sql("INSERT INTO oidc_logins (state_hash, nonce, pkce_verifier, next, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(state_hash)
            .bind(login.nonce.as_str())
            .bind(login.pkce_verifier.as_str())
            .bind(login.next.as_str())
            .bind(now)
            .bind(expires_at),
    )
    .await?;
    Ok(())
}

/// Takes a live sign-in under way by the hash of its state: it is removed, so a state is
/// used once; None when unknown, used or expired. The delete decides, so two returns with
/// the same state cannot both win.
pub async fn take_login(
    tx: &mut Tx,
    state_hash: &str,
    now: &str,
) -> crate::Result<Option<PendingLogin>> {
    let row: Option<PendingLogin> = tx
        .fetch_optional(
            sql("SELECT nonce, pkce_verifier, next FROM oidc_logins WHERE state_hash = ? AND expires_at > ?")
                .bind(state_hash)
                .bind(now),
        )
        .await?;
    let n = tx
        .execute(sql("DELETE FROM oidc_logins WHERE state_hash = ?").bind(state_hash))
        .await?;
    Ok(row.filter(|_| n == 1))
}
