//! The event log: append-only, written in the same transaction as the change it records.
//! It is the audit trail and the timeline of every submission. Nothing here updates or
//! deletes an event.

use crate::db::{Tx, sql};
use domain::id::UserId;
use domain::time::Timestamp;

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in person or an API token's owner.
    User(UserId),
    /// Someone without an account (the public intake, a follow-up reply).
    Public,
    /// The system itself (demo data, migrations, scheduled work).
    System,
}

impl Actor {
    fn parts(&self) -> (&'static str, Option<String>) {
        match self {
            Actor::User(id) => ("user", Some(id.to_string())),
            Actor::Public => ("public", None),
            Actor::System => ("system", None),
        }
    }
}

pub struct NewEvent<'a> {
    pub actor: &'a Actor,
    pub kind: &'a str,
    pub subject_type: &'a str,
    pub subject_id: &'a str,
    pub org_id: Option<&'a str>,
    pub payload: serde_json::Value,
}

pub async fn append(tx: &mut Tx, e: NewEvent<'_>) -> crate::Result<String> {
    let id = crate::new_id();
    let (actor_kind, actor_id) = e.actor.parts();
    tx.execute(
        sql("INSERT INTO events (id, occurred_at, actor_kind, actor_id, kind, subject_type, subject_id, org_id, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(id.as_str())
            .bind(Timestamp::now().to_db())
            .bind(actor_kind)
            .bind(actor_id)
            .bind(e.kind)
            .bind(e.subject_type)
            .bind(e.subject_id)
            .bind(e.org_id)
            .bind(e.payload.to_string()),
    )
    .await?;
    Ok(id)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: String,
    pub occurred_at: String,
    pub actor_kind: String,
    #[sqlx(try_from = "crate::Nullable")]
    pub actor_id: Option<UserId>,
    pub actor_name: Option<String>,
    pub kind: String,
    pub subject_type: String,
    pub subject_id: String,
    pub org_id: Option<String>,
    pub payload: String,
}

/// The timeline of one subject, oldest first.
pub async fn for_subject(
    tx: &mut Tx,
    subject_type: &str,
    subject_id: &str,
) -> crate::Result<Vec<EventRow>> {
    tx.fetch_all(
        sql("SELECT e.id, e.occurred_at, e.actor_kind, e.actor_id, u.name AS actor_name, e.kind, e.subject_type, e.subject_id, e.org_id, e.payload
             FROM events e LEFT JOIN users u ON u.id = e.actor_id
             WHERE e.subject_type = ? AND e.subject_id = ? ORDER BY e.occurred_at, e.id")
        .bind(subject_type)
        .bind(subject_id),
    )
    .await
}

pub async fn count(tx: &mut Tx) -> crate::Result<i64> {
    let (n,): (i64,) = tx.fetch_one(sql("SELECT COUNT(*) FROM events")).await?;
    Ok(n)
}
