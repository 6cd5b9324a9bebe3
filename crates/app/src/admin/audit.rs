//! The audit view of the event log (/admin/handelser): the events of the organisations of
//! the regions the caller administers, newest first, filtered by actor, kind and date,
//! a page at a time (keyset). Shown with the actor's name and nothing of the payload: an
//! event's payload may name a subject, never a person, but the view needs none of it.

use domain::{ErrorCode, FieldErrors};
use store::events::{self, AuditQuery, EventRow};
use store::users::UserRow;

use super::people::region_orgs;
use crate::error::Result;
use crate::inbox::date_bound;
use crate::{App, AppError, Caller};

/// Events per page.
pub const AUDIT_PAGE: i64 = 50;

/// The filters as typed; empty is no filter.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    /// A user's id.
    pub actor: String,
    /// A kind (`user.invited`) or a family of kinds (`user`).
    pub kind: String,
    /// `YYYY-MM-DD`, both days included.
    pub from: String,
    pub until: String,
}

/// One page of the audit view, and who may be chosen as its actor.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub events: Vec<EventRow>,
    pub next: Option<(String, String)>,
    pub actors: Vec<UserRow>,
}

/// How many of the region's people the actor filter offers (by name).
const ACTORS: i64 = 500;

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn list(
    app: &App,
    caller: &Caller,
    filter: &AuditFilter,
    before: Option<(&str, &str)>,
) -> Result<AuditPage> {
    let tree = app.tree().await?;
    let orgs = region_orgs(&tree, caller)?;
    let mut errors = FieldErrors::new();
    let kind = filter.kind.trim();
    if kind.len() > 60
        || !kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.')
    {
        errors.push("kind", ErrorCode::InvalidChoice);
    }
    let actor = filter.actor.trim();
    if !actor.is_empty() && !domain::text::may_name_something(actor) {
        errors.push("actor", ErrorCode::InvalidChoice);
    }
    let from = date_bound(&mut errors, "from", &filter.from, false);
    let until = date_bound(&mut errors, "until", &filter.until, true);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let before = before.filter(|(a, i)| {
        domain::text::may_name_something(a) && domain::text::may_name_something(i)
    });
    let mut tx = app.db.read().await?;
    let mut rows = events::audit(
        &mut tx,
        &AuditQuery {
            org_ids: &orgs,
            actor_id: (!actor.is_empty()).then_some(actor),
            kind: (!kind.is_empty()).then_some(kind),
            from: from.as_deref(),
            until: until.as_deref(),
            before,
            limit: AUDIT_PAGE + 1,
        },
    )
    .await?;
    let actors = store::users::in_orgs(&mut tx, &orgs, "", None, ACTORS).await?;
    tx.commit().await?;
    let next = if rows.len() > AUDIT_PAGE as usize {
        rows.truncate(AUDIT_PAGE as usize);
        rows.last().map(|e| (e.occurred_at.clone(), e.id.clone()))
    } else {
        None
    };
    Ok(AuditPage {
        events: rows,
        next,
        actors,
    })
}
