//! Live updates across nodes: the PostgreSQL channel and its payload's mark, and the
//! notifications that a campaign's counts or the campaign itself changed.

use crate::db::{Arg, Tx, sql};

/// The notification channel of live campaign updates (PostgreSQL).
pub const LIVE_CHANNEL: &str = "sluss_live";

/// Marks a notification of a change to a campaign itself (its phase, ideas or criteria),
/// after which nodes read the campaign again; a notification without it is a vote.
pub const STRUCTURE_MARK: char = '!';

/// What changed, for [`notify_changed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Votes or scores came in.
    Counts,
    /// The campaign itself changed: its phase, ideas or criteria.
    Campaign,
}

/// Tells every node, when this transaction commits, that a campaign changed. PostgreSQL
/// delivers the notification at commit and drops it on rollback; SQLite has one node.
pub async fn notify_changed(tx: &mut Tx, code: &str, change: Change) -> crate::Result<()> {
    if tx.backend() == crate::Backend::Postgres {
        let payload = match change {
            Change::Counts => code.to_string(),
            Change::Campaign => format!("{code}{STRUCTURE_MARK}"),
        };
        tx.execute(
            sql("SELECT CAST(pg_notify(?, ?) AS TEXT)")
                .bind(LIVE_CHANNEL)
                .bind(payload),
        )
        .await?;
    }
    Ok(())
}

/// Tells every node that votes came in for these campaigns, after their transaction: not in
/// it, because PostgreSQL holds one lock for every transaction with a notification from
/// before its commit until the commit is on disk, so vote batches that notified committed
/// one after another, each waiting for the other's flush. The notification goes in a
/// transaction of its own that does not wait for the disk (a notification is not kept
/// anyway). SQLite has one node.
pub async fn notify_counts(db: &crate::Db, codes: Vec<String>) -> crate::Result<()> {
    if db.backend() != crate::Backend::Postgres || codes.is_empty() {
        return Ok(());
    }
    let mut tx = db.write_unflushed().await?;
    tx.execute(
        sql("SELECT CAST(pg_notify(?, code) AS TEXT) FROM unnest(CAST(? AS TEXT[])) AS code")
            .bind(LIVE_CHANNEL)
            .bind(Arg::TextList(codes.into_iter().map(Some).collect())),
    )
    .await?;
    tx.commit().await
}
