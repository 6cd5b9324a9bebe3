//! Signed-in sessions, kept in the database so that several nodes can share them. Only a
//! hash of the session token is stored.

use crate::db::{Tx, sql};
use domain::id::UserId;

pub async fn insert(
    tx: &mut Tx,
    token_hash: &str,
    user_id: &UserId,
    created_at: &str,
    expires_at: &str,
) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
            .bind(token_hash)
            .bind(user_id.as_str())
            .bind(created_at)
            .bind(expires_at),
    )
    .await?;
    Ok(())
}

/// The user id of a live session.
pub async fn user_for(tx: &mut Tx, token_hash: &str, now: &str) -> crate::Result<Option<UserId>> {
    let row: Option<(String,)> = tx
        .fetch_optional(
            sql("SELECT user_id FROM sessions WHERE token_hash = ? AND expires_at > ?")
                .bind(token_hash)
                .bind(now),
        )
        .await?;
    Ok(row.map(|r| UserId::from(r.0)))
}

pub async fn delete(tx: &mut Tx, token_hash: &str) -> crate::Result<()> {
    tx.execute(sql("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash))
        .await?;
    Ok(())
}

/// Ends every session of a user; returns how many there were.
pub async fn delete_for_user(tx: &mut Tx, user_id: &UserId) -> crate::Result<u64> {
    tx.execute(sql("DELETE FROM sessions WHERE user_id = ?").bind(user_id.as_str()))
        .await
}

pub async fn delete_expired(tx: &mut Tx, now: &str) -> crate::Result<u64> {
    tx.execute(sql("DELETE FROM sessions WHERE expires_at <= ?").bind(now))
        .await
}

/// Ends every session of a user but the one given (the one that changed the password).
pub async fn delete_others(tx: &mut Tx, user_id: &UserId, keep_hash: &str) -> crate::Result<u64> {
    tx.execute(
        sql("DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?")
            .bind(user_id.as_str())
            .bind(keep_hash),
    )
    .await
}
