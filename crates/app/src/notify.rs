//! Notifications on events: the mails a submitter who left an address gets (the receipt
//! with the follow-up link; a decision on the submission). Each is queued in the
//! transaction of its event ([`crate::mail::queue`]); the address goes into the outbox
//! only, never into the event or a log.

use domain::id::SubmissionId;
use domain::jobs::MailKind;
use domain::time::Timestamp;
use store::outbox::{self, NewMail};

use crate::error::Result;

/// The languages mail is written in; another asked for gets Swedish.
fn language(lang: Option<&str>) -> &'static str {
    match lang {
        Some("en") => "en",
        _ => "sv",
    }
}

/// The receipt of a new submission, in the language it was written in, when the submitter
/// left an address. Returns whether a mail was queued.
pub(crate) async fn submitted(
    tx: &mut store::Tx,
    submission_id: &SubmissionId,
    follow_up_url: &str,
    lang: &str,
) -> Result<bool> {
    let lang = language(Some(lang));
    outbox::set_contact_lang(tx, submission_id.as_str(), lang).await?;
    let params = serde_json::json!({ "follow_up_url": follow_up_url });
    to_submitter(tx, submission_id, MailKind::Receipt, params).await
}

/// A mail to the submitter about their submission (`params` besides its reference and
/// title), when they left an address that is still there. Returns whether one was queued.
pub(crate) async fn to_submitter(
    tx: &mut store::Tx,
    submission_id: &SubmissionId,
    kind: MailKind,
    mut params: serde_json::Value,
) -> Result<bool> {
    let Some(contact) = outbox::contact_of(tx, submission_id.as_str()).await? else {
        return Ok(false);
    };
    let Some(recipient) = contact.contact_email.as_deref() else {
        return Ok(false);
    };
    params["reference"] = contact.reference.clone().into();
    params["title"] = contact.title.clone().into();
    crate::mail::queue(
        tx,
        &NewMail {
            org_id: &contact.org_id,
            kind,
            lang: language(contact.contact_lang.as_deref()),
            recipient,
            subject_type: "submission",
            subject_id: &contact.id,
            params: &params,
        },
        &Timestamp::now(),
    )
    .await?;
    Ok(true)
}
