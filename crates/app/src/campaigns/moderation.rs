//! Keeping the ideas fit to vote on: the facilitator approves, withdraws or restores an
//! idea; participants flag one as unsuitable.

use super::{campaign, facilitator, participant};
use crate::error::Result;
use crate::{App, AppError, Caller};
use domain::ErrorCode;
use domain::campaign::IdeaStatus;
use domain::time::Timestamp;
use store::campaigns;
use store::events::{self, NewEvent};

/// Approves, withdraws or restores an idea (the facilitator).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_idea_status(
    app: &App,
    caller: &Caller,
    code: &str,
    idea_id: &str,
    status: &str,
) -> Result<()> {
    // Approving a pending idea makes it active; a new idea is never made pending here.
    let status = match status {
        "active" => IdeaStatus::Active,
        "withdrawn" => IdeaStatus::Withdrawn,
        _ => return Err(AppError::field("status", ErrorCode::InvalidChoice)),
    };
    let mut tx = app.db.write().await?;
    let c = campaign(&mut tx, code).await?;
    facilitator(&mut tx, caller, &c).await?;
    let idea = campaigns::ideas(&mut tx, &c.id)
        .await?
        .into_iter()
        .find(|i| i.id == idea_id)
        .ok_or(AppError::NotFound)?;
    campaigns::set_idea_status(&mut tx, &idea.id, status).await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "campaign.idea_status",
            subject_type: "campaign",
            subject_id: c.id.as_str(),
            org_id: Some(&c.org_id),
            payload: serde_json::json!({ "idea_id": idea.id, "from": idea.status, "to": status }),
        },
    )
    .await?;
    campaigns::notify_changed(&mut tx, &c.code, campaigns::Change::Campaign).await?;
    tx.commit().await?;
    app.changed(&c.code, campaigns::Change::Campaign);
    Ok(())
}

/// Flags an idea as unsuitable (once per participant); the facilitator sees the count.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn flag(app: &App, code: &str, token: &str, idea_id: &str) -> Result<i64> {
    let mut tx = app.db.write().await?;
    let c = campaign(&mut tx, code).await?;
    let p = participant(&mut tx, &c, token).await?;
    let idea = campaigns::ideas(&mut tx, &c.id)
        .await?
        .into_iter()
        .find(|i| i.id == idea_id.trim() && i.status == IdeaStatus::Active)
        .ok_or_else(|| AppError::field("idea_id", ErrorCode::InvalidChoice))?;
    let now = Timestamp::now().to_db();
    let n = campaigns::flag_idea(&mut tx, &idea.id, &p.id, &now).await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &store::events::Actor::Public,
            kind: "campaign.idea_flagged",
            subject_type: "campaign",
            subject_id: c.id.as_str(),
            org_id: Some(&c.org_id),
            payload: serde_json::json!({ "idea_id": idea.id, "flags": n }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}
