//! Notifications on events: which event mails whom, and how each person chose to get each
//! kind (at once, in a daily digest, or never). A submitter who left an address gets the
//! receipt, a question from the handler and the decisions; staff get assignments, gates
//! waiting for them, mentions and (daily) their overdue checklist steps; a workshop
//! participant who left an address gets the top five when the workshop closes.
//!
//! Each is decided in the transaction of its event ([`deliver`]): queued in the outbox
//! ([`crate::mail::queue`]), kept for the digest, or dropped. Addresses go into the outbox
//! and the notification tables only, never into an event or a log. The choices are keyed
//! by address, so that people without an account have them too; they are opened by a link
//! in every mail ([`choices_by_link`]) or, for staff, on their account page.

use domain::id::{OrgId, SubmissionId, UserId};
use domain::jobs::{MailKind, NotifyMode};
use domain::role::Role;
use domain::time::Timestamp;
use store::notify::{self as prefs, Staff};
use store::outbox::{self, NewMail};

use crate::error::Result;

mod choices;
mod daily;

pub(crate) use choices::mint_link;
pub use choices::{
    Choices, choices_by_link, my_choices, set_choices_by_link, set_my_choices, unsubscribe,
};
pub use daily::{Digest, Overdue, schedule_daily};

/// The languages mail is written in, Swedish first.
pub const LANGUAGES: [&str; 2] = ["sv", "en"];

/// The languages mail is written in; another asked for gets Swedish.
fn language(lang: Option<&str>) -> &'static str {
    match lang {
        Some("en") => "en",
        _ => "sv",
    }
}

/// An address as the choices are keyed by it.
pub(crate) fn address_key(address: &str) -> String {
    address.trim().to_lowercase()
}

/// What a kind is until its recipient chooses: at once, for every kind (a submitter hears
/// of a decision at once; staff change it on their account page).
pub fn default_mode(_kind: MailKind) -> NotifyMode {
    NotifyMode::Immediate
}

/// A notification as its recipient chose: queued at once, kept for the day's digest, or
/// dropped. Kinds that are not notifications (a receipt, a reset link) are always queued.
/// Returns whether a mail was queued (wake the job runner after the commit).
pub(crate) async fn deliver(
    tx: &mut store::Tx,
    mail: &NewMail<'_>,
    now: &Timestamp,
) -> Result<bool> {
    let address = address_key(mail.recipient);
    let mode = if mail.kind.is_chosen() {
        prefs::mode_of(tx, &address, mail.kind)
            .await?
            .unwrap_or(default_mode(mail.kind))
    } else {
        NotifyMode::Immediate
    };
    match mode {
        NotifyMode::Immediate => {
            crate::mail::queue(tx, mail, now).await?;
            Ok(true)
        }
        NotifyMode::Daily => {
            prefs::insert_digest(tx, mail, &address, &now.to_db()).await?;
            Ok(false)
        }
        NotifyMode::Never => Ok(false),
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
    deliver(
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
    .await
}

/// Something for a colleague to look at: `params` gets the reference, title and the
/// address of the page (`path` under the public address). Staff mail is in the language
/// the colleague chose on their account page (Swedish until they choose). Returns whether
/// a mail was queued.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn to_staff(
    tx: &mut store::Tx,
    public_url: &str,
    to: &Staff,
    kind: MailKind,
    (subject_type, subject_id, org_id): (&str, &str, &OrgId),
    (reference, title, path): (&str, &str, &str),
    mut params: serde_json::Value,
) -> Result<bool> {
    params["reference"] = reference.into();
    params["title"] = title.into();
    params["url"] = format!("{public_url}{path}").into();
    deliver(
        tx,
        &NewMail {
            org_id,
            kind,
            lang: language(Some(&to.lang)),
            recipient: &to.email,
            subject_type,
            subject_id,
            params: &params,
        },
        &Timestamp::now(),
    )
    .await
}

/// A colleague's account with its address, when it is active.
pub(crate) async fn staff_by_id(tx: &mut store::Tx, user_id: &UserId) -> Result<Option<Staff>> {
    Ok(prefs::staff_by_id(tx, user_id).await?)
}

/// The colleagues an internal comment names: `@` followed by the part of a colleague's
/// address before the `@` (`@anna.berg` for anna.berg@region.se), among `colleagues`
/// (those who may read what is commented on), without the author. Case and the
/// punctuation after a name do not matter.
pub fn mentioned<'a>(text: &str, colleagues: &'a [Staff], author_id: &UserId) -> Vec<&'a Staff> {
    let names: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '(' || c == ')')
        .filter_map(|w| w.strip_prefix('@'))
        .map(|w| {
            w.trim_end_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    colleagues
        .iter()
        .filter(|c| c.id != author_id)
        .filter(|c| {
            let local = c.email.split('@').next().unwrap_or_default().to_lowercase();
            names.contains(&local)
        })
        .collect()
}

/// Those who decide a gate (its role) for a unit: the role held in the unit or above it.
pub(crate) async fn deciders(
    tx: &mut store::Tx,
    tree: &crate::access::Tree,
    org_id: &OrgId,
    role: Role,
) -> Result<Vec<Staff>> {
    let above = crate::access::ancestors(&tree.nodes, org_id);
    Ok(prefs::staff_with_roles_in(tx, &above, &[role.as_str()]).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(id: &str, email: &str) -> Staff {
        Staff {
            id: UserId::from(id),
            name: id.into(),
            email: email.into(),
            lang: "sv".into(),
        }
    }

    #[test]
    fn mentions_name_colleagues_by_the_start_of_their_address() {
        let all = [
            staff("a", "anna.berg@region.se"),
            staff("b", "bo@region.se"),
            staff("c", "carl@region.se"),
        ];
        let carl = UserId::from("c");
        let found = mentioned(
            "Kan @Anna.Berg och @bo, titta? (@carl) Mejla anna@x.se",
            &all,
            &carl,
        );
        let ids: Vec<&str> = found.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert!(mentioned("ingen här: anna.berg@region.se", &all, &carl).is_empty());
        assert!(mentioned("@nobody", &all, &carl).is_empty());
    }
}
