//! Reports of accessibility problems from the statement's form (/tillganglighet): the
//! report is a mail in the outbox to the installation's accessibility contact, written in
//! one transaction with its event (which holds nothing of the report). The reporter's
//! address, when given, is personal data: exported and erased with the person
//! (`personal_data`).

use domain::FieldErrors;
use domain::accessibility::Report;
use domain::jobs::MailKind;
use domain::submission::Email;
use domain::time::Timestamp;
use store::events::{self, Actor, NewEvent};
use store::outbox::NewMail;

use crate::error::Result;
use crate::{App, AppError};

/// Where reports go: `--accessibility-contact` when it is an e-mail address (it may also be
/// a web address or a few words, which no form can send to).
pub fn report_address(contact: Option<&str>) -> Option<Email> {
    contact.and_then(|c| Email::parse("contact", c).ok())
}

/// Queues the report to `contact` in the name of the installation's first region.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn report(
    app: &App,
    contact: Option<&str>,
    page: &str,
    problem: &str,
    email: &str,
) -> Result<()> {
    let to = report_address(contact).ok_or(AppError::NotFound)?;
    let report = Report::parse(page, problem, email).map_err(AppError::Validation)?;
    let tree = app.tree().await?;
    let Some(org) = tree
        .all
        .iter()
        .filter(|o| o.parent_id.is_none())
        .min_by(|a, b| a.created_at.cmp(&b.created_at))
    else {
        return Err(AppError::Validation(FieldErrors::new()));
    };
    let now = Timestamp::now();
    let id = store::new_id();
    let params = serde_json::json!({
        "page": report.page,
        "problem": report.problem,
        "reply_to": report.email.as_ref().map(Email::as_str),
    });
    let mut tx = app.db.write().await?;
    crate::mail::queue(
        &mut tx,
        &NewMail {
            org_id: &org.id,
            kind: MailKind::AccessibilityReport,
            lang: "sv",
            recipient: to.as_str(),
            subject_type: "accessibility_report",
            subject_id: &id,
            params: &params,
        },
        &now,
    )
    .await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &Actor::Public,
            kind: "accessibility.reported",
            subject_type: "accessibility_report",
            subject_id: &id,
            org_id: Some(&org.id),
            payload: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    app.wake_jobs();
    Ok(())
}
