//! The submitter's rights over their personal data: everything Sluss holds under an e-mail
//! address can be exported, and erased. Erasing removes the name and address from each
//! submission, and the files attached to it, and records that it happened, never what was
//! removed.

use crate::error::Result;
use crate::{App, AppError};
use domain::FieldErrors;
use domain::submission::Email;
use domain::time::Timestamp;
use store::events::{self, Actor, NewEvent};
use store::submissions;

/// Everything held under one e-mail address, as JSON.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn export(app: &App, email: &str) -> Result<serde_json::Value> {
    let email =
        Email::parse("email", email).map_err(|e| AppError::Validation(FieldErrors(vec![e])))?;
    let mut tx = app.db.read().await?;
    let rows = submissions::by_contact_email(&mut tx, email.as_str()).await?;
    let mut out = Vec::new();
    for s in rows {
        let messages = submissions::messages(&mut tx, &s.id).await?;
        let files = store::attachments::of_owner(
            &mut tx,
            domain::attachment::OwnerKind::Submission,
            s.id.as_str(),
        )
        .await?;
        out.push(serde_json::json!({
            "reference": s.reference,
            "received": s.created_at,
            "organisation": s.org_name,
            "kind": s.kind,
            "status": s.status,
            "title": s.title,
            "description": s.description,
            "affected": s.affected,
            "current_solution": s.current_solution,
            "submitter_role": s.submitter_role,
            "contact_name": s.contact_name,
            "contact_email": s.contact_email,
            "consent": s.consent,
            "attachments": files.iter().map(|f| serde_json::json!({ "file_name": f.file_name, "content_type": f.content_type.as_str(), "size": f.size, "sha256": f.sha256, "at": f.created_at })).collect::<Vec<_>>(),
            "messages": messages.iter().map(|m| serde_json::json!({ "direction": m.direction, "kind": m.kind, "body": m.body, "at": m.created_at })).collect::<Vec<_>>(),
        }));
    }
    let choices = store::notify::prefs_of(&mut tx, &crate::notify::address_key(email.as_str()))
        .await?
        .into_iter()
        .map(|p| serde_json::json!({ "kind": p.kind.as_str(), "mode": p.mode.as_str() }))
        .collect::<Vec<_>>();
    // Reports of accessibility problems that left this address for an answer.
    let reports: Vec<_> = store::outbox::reports_from(&mut tx, email.as_str())
        .await?
        .into_iter()
        .map(|m| {
            let p: serde_json::Value = serde_json::from_str(&m.params).unwrap_or_default();
            serde_json::json!({ "at": m.created_at, "page": p["page"], "problem": p["problem"] })
        })
        .collect();
    Ok(serde_json::json!({
        "email": email.as_str(),
        "submissions": out,
        "notification_choices": choices,
        "accessibility_reports": reports,
    }))
}

/// Removes the name and e-mail address from every submission made with this address;
/// returns how many submissions were changed.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn erase(app: &App, actor: &Actor, email: &str) -> Result<usize> {
    let email =
        Email::parse("email", email).map_err(|e| AppError::Validation(FieldErrors(vec![e])))?;
    let mut tx = app.db.write().await?;
    let rows = submissions::by_contact_email(&mut tx, email.as_str()).await?;
    let now = Timestamp::now().to_db();
    let mut files = Vec::new();
    for s in &rows {
        submissions::erase_contact(&mut tx, &s.id, &now).await?;
        // The files the submitter attached may carry personal data too: they go with it.
        files.extend(crate::attachments::erase_of_submission(&mut tx, actor, s).await?);
        events::append(
            &mut tx,
            NewEvent {
                actor,
                kind: "submission.contact_erased",
                subject_type: "submission",
                subject_id: s.id.as_str(),
                org_id: Some(&s.org_id),
                payload: serde_json::json!({}),
            },
        )
        .await?;
    }
    // The mails to this address go too, sent or waiting (a waiting one is then never sent).
    store::outbox::erase_recipient(&mut tx, email.as_str()).await?;
    // And the notification choices, links and waiting digest of the address.
    store::notify::erase_address(&mut tx, &crate::notify::address_key(email.as_str())).await?;
    store::notify::erase_participant_email(&mut tx, &crate::notify::address_key(email.as_str()))
        .await?;
    store::outbox::erase_reports_from(&mut tx, email.as_str()).await?;
    tx.commit().await?;
    crate::attachments::remove_files(app, files).await;
    Ok(rows.len())
}
