//! Invitations to an account created by an administrator without a password: a
//! single-use token lasting days, of which only the hash is stored (as for resets).

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
        sql(
            "INSERT INTO invites (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(user_id.as_str())
        .bind(created_at)
        .bind(expires_at),
    )
    .await?;
    Ok(())
}

/// Uses a live, unused invitation: marks it used and returns its user, or None when it is
/// unknown, used or expired. The update decides, so two uses at once cannot both win.
pub async fn take(tx: &mut Tx, token_hash: &str, now: &str) -> crate::Result<Option<UserId>> {
    crate::password_resets::take_from(tx, "invites", token_hash, now).await
}

/// Ends a user's open invitations (a new one was sent, or one was used).
pub async fn end_for_user(tx: &mut Tx, user_id: &UserId) -> crate::Result<u64> {
    tx.execute(
        sql("DELETE FROM invites WHERE user_id = ? AND used_at IS NULL").bind(user_id.as_str()),
    )
    .await
}

/// When the user's newest open invitation expires, if there is one.
pub async fn open_until(tx: &mut Tx, user_id: &UserId) -> crate::Result<Option<String>> {
    let row: Option<(String,)> = tx
        .fetch_optional(
            sql("SELECT expires_at FROM invites WHERE user_id = ? AND used_at IS NULL ORDER BY expires_at DESC LIMIT 1")
                .bind(user_id.as_str()),
        )
        .await?;
    Ok(row.map(|r| r.0))
}
