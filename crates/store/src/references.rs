//! The gap-free counter behind diarienummer. The next number is taken with one upsert in
//! the same transaction that registers the item: on PostgreSQL the counter row is locked
//! until that transaction ends, on SQLite the write transaction already holds the lock. A
//! rolled-back registration gives its number back, so numbers have no gaps.

use crate::db::{Tx, sql};
use domain::id::OrgId;

/// Takes the next number for `org_id` in `year` (1 for the first).
pub async fn next(tx: &mut Tx, org_id: &OrgId, year: i32) -> crate::Result<i64> {
    let (n,): (i64,) = tx
        .fetch_one(
            sql("INSERT INTO reference_counters (org_id, year, last_value) VALUES (?, ?, 1)
                 ON CONFLICT (org_id, year) DO UPDATE SET last_value = reference_counters.last_value + 1
                 RETURNING last_value")
            .bind(org_id)
            .bind(i64::from(year)),
        )
        .await?;
    Ok(n)
}
