//! Password resets asked for by e-mail: a short-lived, single-use token per request, of
//! which only the hash is stored (as for sessions).

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
        sql("INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
            .bind(token_hash)
            .bind(user_id.as_str())
            .bind(created_at)
            .bind(expires_at),
    )
    .await?;
    Ok(())
}

/// Uses a live, unused token: marks it used and returns its user, or None when the token
/// is unknown, used or expired. The update decides, so two uses at once cannot both win.
pub async fn take(tx: &mut Tx, token_hash: &str, now: &str) -> crate::Result<Option<UserId>> {
    let n = tx
        .execute(
            sql("UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?")
                .bind(now)
                .bind(token_hash)
                .bind(now),
        )
        .await?;
    if n != 1 {
        return Ok(None);
    }
    let row: Option<(String,)> = tx
        .fetch_optional(
            sql("SELECT user_id FROM password_resets WHERE token_hash = ?").bind(token_hash),
        )
        .await?;
    Ok(row.map(|r| UserId::from(r.0)))
}

/// Ends a user's other resets (a new one was asked for, or the password was set) and
/// removes expired ones of everybody.
pub async fn end_for_user(tx: &mut Tx, user_id: &UserId, now: &str) -> crate::Result<()> {
    tx.execute(
        sql("DELETE FROM password_resets WHERE (user_id = ? AND used_at IS NULL) OR expires_at <= ?")
            .bind(user_id.as_str())
            .bind(now),
    )
    .await?;
    Ok(())
}

/// How many resets a user asked for since `since`, used or not (a limit per address).
pub async fn count_since(tx: &mut Tx, user_id: &UserId, since: &str) -> crate::Result<i64> {
    let (n,): (i64,) = tx
        .fetch_one(
            sql("SELECT COUNT(*) FROM password_resets WHERE user_id = ? AND created_at > ?")
                .bind(user_id.as_str())
                .bind(since),
        )
        .await?;
    Ok(n)
}
