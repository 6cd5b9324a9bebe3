//! The event log: append-only, written in the same transaction as the change it records.
//! It is the audit trail and the timeline of every submission. Nothing here updates or
//! deletes an event.

use crate::db::{Tx, sql};
use domain::id::{OrgId, UserId};
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
    pub org_id: Option<&'a OrgId>,
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
    #[sqlx(try_from = "crate::Nullable")]
    pub org_id: Option<OrgId>,
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

/// What the audit view asks of the event log: the events of `org_ids`, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery<'a> {
    pub org_ids: &'a [OrgId],
    /// Only this user's events.
    pub actor_id: Option<&'a str>,
    /// Only this kind (`user.invited`), or this family of kinds when it has no dot (`user`).
    pub kind: Option<&'a str>,
    /// Only events at or after this time, and before that one (database times).
    pub from: Option<&'a str>,
    pub until: Option<&'a str>,
    /// The key (time, id) of the last event of the page before.
    pub before: Option<(&'a str, &'a str)>,
    pub limit: i64,
}

/// One page of the audit view (keyset by time and id, so that a page reads its rows only).
pub async fn audit(tx: &mut Tx, q: &AuditQuery<'_>) -> crate::Result<Vec<EventRow>> {
    if q.org_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args: Vec<crate::Arg> = q.org_ids.iter().map(|o| o.as_str().into()).collect();
    let mut text = format!(
        "SELECT e.id, e.occurred_at, e.actor_kind, e.actor_id, u.name AS actor_name, e.kind, e.subject_type, e.subject_id, e.org_id, e.payload \
         FROM events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.org_id IN ({})",
        crate::users::placeholders(q.org_ids.len())
    );
    if let Some(actor) = q.actor_id {
        text.push_str(" AND e.actor_id = ?");
        args.push(actor.into());
    }
    match q.kind {
        Some(kind) if kind.contains('.') => {
            text.push_str(" AND e.kind = ?");
            args.push(kind.into());
        }
        Some(family) => {
            text.push_str(" AND e.kind LIKE ? ESCAPE '\\'");
            let p = crate::users::contains_pattern(&format!("{family}."));
            // Anchored at the start: the family's kinds, not any kind containing it.
            args.push(p[1..].to_string().into());
        }
        None => {}
    }
    if let Some(from) = q.from {
        text.push_str(" AND e.occurred_at >= ?");
        args.push(from.into());
    }
    if let Some(until) = q.until {
        text.push_str(" AND e.occurred_at < ?");
        args.push(until.into());
    }
    if let Some((at, id)) = q.before {
        text.push_str(" AND (e.occurred_at < ? OR (e.occurred_at = ? AND e.id < ?))");
        args.extend([at.into(), at.into(), id.into()]);
    }
    text.push_str(" ORDER BY e.occurred_at DESC, e.id DESC LIMIT ?");
    args.push(q.limit.into());
    tx.fetch_all(crate::Sql::dynamic(text, args)).await
}
