//! Mottagarfunktionen: the inbox where advisors receive, investigate and decide how each
//! submission is handled. A role held in an organisation reaches its units; nobody sees
//! another region's inbox.

use crate::access::{TRIAGE_ROLES, Tree, ancestors, require_user};
use crate::error::Result;
use crate::{App, AppError, Caller, CurrentUser};
use domain::id::{OrgId, SubmissionId, UserId};
use domain::org::{descendants, root_of};
use domain::role::Role;
use domain::submission::{SubmissionKind, SubmissionStatus, SubmitterRole};
use domain::text::{filter_text, may_name_something};
use domain::time::{Timestamp, parse_date};
use domain::triage::{ActionInput, MessageDirection, MessageKind, TriageAction};
use domain::{ErrorCode, FieldErrors};
use store::events::{self, EventRow, NewEvent};
use store::orgs::OrgRow;
use store::submissions::{self, Filter, MessageRow, SubmissionRow, TriageUpdate};
use store::users::{self, Colleague};

/// Kept here for the web layer, which asks this module for its navigation.
pub use crate::access::has_inbox;

pub const PER_PAGE: i64 = 25;

/// A unit filter by slug, among the visible organisations; its id, or an error recorded.
pub(crate) fn unit_filter(
    errors: &mut FieldErrors,
    all: &[OrgRow],
    visible: &[OrgId],
    slug: &str,
) -> Option<OrgId> {
    let slug = opt(slug)?;
    let found = all
        .iter()
        .find(|o| o.slug == slug && visible.contains(&o.id))
        .map(|o| o.id.clone());
    if found.is_none() {
        errors.push("unit", ErrorCode::UnknownOrganisation);
    }
    found
}

/// A date filter (`YYYY-MM-DD`) as a stored-time bound: the day's start, or with
/// `next_day` the next day's start (an exclusive upper bound). A bad date is recorded.
pub(crate) fn date_bound(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &str,
    next_day: bool,
) -> Option<String> {
    let v = opt(value)?;
    match parse_date(&v) {
        Some(d) => {
            let d = if next_day {
                d.next_day().unwrap_or(d)
            } else {
                d
            };
            Some(Timestamp::from_offset(d.midnight().assume_utc()).to_db())
        }
        None => {
            errors.push(field, ErrorCode::InvalidDate);
            None
        }
    }
}

/// Raw inbox filters, as typed in the filter form or the API query string.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct InboxQuery {
    pub status: String,
    pub kind: String,
    pub submitter_role: String,
    pub unit: String,
    pub assignee: String,
    pub from: String,
    pub to: String,
    pub q: String,
    pub page: String,
}

pub struct InboxPage {
    pub rows: Vec<SubmissionRow>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    /// Units the caller may filter on (visible organisations), by name.
    pub units: Vec<OrgRow>,
}

pub(crate) fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn list(app: &App, caller: &Caller, q: &InboxQuery) -> Result<InboxPage> {
    let user = require_user(caller)?;
    let tree = app.tree().await?;
    let mut tx = app.db.read().await?;
    let visible = tree.reach(user, Role::can_read_inbox);
    if visible.is_empty() {
        return Err(AppError::Forbidden);
    }
    let mut errors = FieldErrors::new();
    let mut choice = |field: &'static str, value: &str, ok: bool| {
        if !value.trim().is_empty() && !ok {
            errors.push(field, ErrorCode::InvalidChoice);
        }
        opt(value).filter(|_| ok)
    };
    let status = choice(
        "status",
        &q.status,
        SubmissionStatus::parse(&q.status).is_some(),
    );
    let kind = choice("kind", &q.kind, SubmissionKind::parse(&q.kind).is_some());
    let submitter_role = choice(
        "submitter_role",
        &q.submitter_role,
        SubmitterRole::parse(&q.submitter_role).is_some(),
    );
    let unit = unit_filter(&mut errors, &tree.all, &visible, &q.unit);
    let assignee_id = match errors.take(filter_text("assignee", &q.assignee)).flatten() {
        Some(me) if me == "me" => Some(user.id.clone()),
        other => other.map(UserId::from),
    };
    let search = errors
        .take(filter_text("q", &q.q))
        .flatten()
        .map(|s| s.chars().take(100).collect());
    let from = date_bound(&mut errors, "from", &q.from, false);
    let until = date_bound(&mut errors, "to", &q.to, true);
    let page = page_number(&q.page);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let filter = Filter {
        org_ids: visible.clone(),
        status,
        kind,
        submitter_role,
        unit,
        assignee_id,
        from,
        until,
        q: search,
        limit: PER_PAGE,
        offset: (page - 1) * PER_PAGE,
    };
    let (rows, total) = submissions::list(&mut tx, &filter).await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let units = tree
        .all
        .iter()
        .filter(|o| visible.contains(&o.id))
        .cloned()
        .collect();
    Ok(InboxPage {
        rows,
        total,
        page,
        pages,
        units,
    })
}

pub struct Detail {
    pub submission: SubmissionRow,
    pub status: SubmissionStatus,
    pub events: Vec<EventRow>,
    pub messages: Vec<MessageRow>,
    /// Who the submission can be assigned to.
    pub colleagues: Vec<Colleague>,
    /// Units in the same region it can be forwarded to.
    pub forward_targets: Vec<OrgRow>,
    pub can_triage: bool,
    /// The submitter's contact details were left out: only those who handle the
    /// submission (who may triage it) see them, not a decision maker who only reads.
    pub contact_hidden: bool,
    /// The cases opened from this submission.
    pub cases: Vec<store::cases::CaseRow>,
    /// The files the submitter attached.
    pub attachments: Vec<store::attachments::AttachmentRow>,
}

/// Loads a submission the caller may see; `NotFound` for one they may not, so that its
/// existence is not revealed.
async fn load_visible(
    tx: &mut store::Tx,
    tree: &Tree,
    user: &CurrentUser,
    id: &SubmissionId,
) -> Result<(SubmissionRow, bool)> {
    let readable = tree.reach(user, Role::can_read_inbox);
    if readable.is_empty() {
        return Err(AppError::Forbidden);
    }
    if uuid_like(id.as_str()).is_none() {
        return Err(AppError::NotFound);
    }
    let row = submissions::by_id(tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !readable.contains(&row.org_id) {
        return Err(AppError::NotFound);
    }
    let can_triage = tree.reach(user, Role::can_triage).contains(&row.org_id);
    Ok((row, can_triage))
}

/// The highest page number a list answers (an empty page past the last one): it keeps
/// `(page - 1) * per_page` far from overflowing, which a page of 9223372036854775807 did,
/// into a negative OFFSET or a panic.
pub const MAX_PAGE: i64 = 1_000_000;

/// A page number as a query gives it: 1 when empty or not a whole number of at least 1,
/// and no higher than [`MAX_PAGE`] however many digits it has.
pub(crate) fn page_number(raw: &str) -> i64 {
    let raw = raw.trim();
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return 1;
    }
    raw.parse::<i64>().unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE)
}

pub(crate) fn uuid_like(id: &str) -> Option<&str> {
    (id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')).then_some(id)
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn detail(app: &App, caller: &Caller, id: &SubmissionId) -> Result<Detail> {
    let user = require_user(caller)?;
    let tree = app.tree().await?;
    let (all, nodes) = (&tree.all, &tree.nodes);
    let mut tx = app.db.read().await?;
    let (mut row, can_triage) = load_visible(&mut tx, &tree, user, id).await?;
    let contact_hidden = !can_triage;
    if contact_hidden {
        row.contact_name = None;
        row.contact_email = None;
    }
    let events = events::for_subject(&mut tx, "submission", row.id.as_str()).await?;
    let messages = submissions::messages(&mut tx, &row.id).await?;
    let colleagues =
        users::with_roles_in(&mut tx, &ancestors(nodes, &row.org_id), &TRIAGE_ROLES).await?;
    let region = descendants(nodes, &root_of(nodes, &row.org_id));
    let forward_targets = all
        .iter()
        .filter(|o| region.contains(&o.id) && o.id != row.org_id)
        .cloned()
        .collect();
    let status = row.status;
    let cases = store::cases::of_submission(&mut tx, &row.id).await?;
    let attachments = store::attachments::of_owner(
        &mut tx,
        domain::attachment::OwnerKind::Submission,
        row.id.as_str(),
    )
    .await?;
    Ok(Detail {
        attachments,
        submission: row,
        status,
        events,
        messages,
        colleagues,
        forward_targets,
        can_triage,
        contact_hidden,
        cases,
    })
}

/// Whether the caller may read the submission in the inbox (and so its attachments).
pub(crate) async fn readable(app: &App, caller: &Caller, id: &SubmissionId) -> Result<()> {
    let user = require_user(caller)?;
    let tree = app.tree().await?;
    let mut tx = app.db.read().await?;
    load_visible(&mut tx, &tree, user, id).await?;
    tx.commit().await?;
    Ok(())
}

/// How many submissions the duplicate form offers to pick from.
const DUPLICATE_CHOICES: i64 = 10;

/// The submissions a handler may mark this one as a duplicate of: others of its region that
/// the caller may read, the newest first, or those whose title or diarienummer holds
/// `search`. Only for a caller who may triage this submission.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn duplicate_choices(
    app: &App,
    caller: &Caller,
    id: &SubmissionId,
    search: &str,
) -> Result<Vec<SubmissionRow>> {
    let user = require_user(caller)?;
    let tree = app.tree().await?;
    let mut tx = app.db.read().await?;
    let (row, can_triage) = load_visible(&mut tx, &tree, user, id).await?;
    if !can_triage {
        return Err(AppError::Forbidden);
    }
    let readable = tree.reach(user, Role::can_read_inbox);
    let region = descendants(&tree.nodes, &root_of(&tree.nodes, &row.org_id));
    let search = filter_text("dubblett", search)
        .map_err(|e| AppError::Validation(FieldErrors(vec![e])))?
        .map(|s| s.chars().take(100).collect());
    let filter = Filter {
        org_ids: region
            .into_iter()
            .filter(|o| readable.contains(o))
            .collect(),
        status: None,
        kind: None,
        submitter_role: None,
        unit: None,
        assignee_id: None,
        from: None,
        until: None,
        q: search,
        limit: DUPLICATE_CHOICES + 1,
        offset: 0,
    };
    let (rows, _) = submissions::list(&mut tx, &filter).await?;
    Ok(rows
        .into_iter()
        .filter(|r| r.id != row.id)
        .take(DUPLICATE_CHOICES as usize)
        .collect())
}

/// Carries out one triage action: checks role and state, writes state and event together.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn act(
    app: &App,
    caller: &Caller,
    id: &SubmissionId,
    input: &ActionInput,
) -> Result<SubmissionStatus> {
    let user = require_user(caller)?;
    let tree = app.tree().await?;
    let (all, nodes) = (&tree.all, &tree.nodes);
    let mut tx = app.db.write().await?;
    let (row, can_triage) = load_visible(&mut tx, &tree, user, id).await?;
    if !can_triage {
        return Err(AppError::Forbidden);
    }
    // The input is read only for a caller who may triage: another is told no more than
    // that (and nothing about what it sent).
    let action = TriageAction::parse(input)?;
    let from = row.status;
    let to = action.next_status(from).ok_or(AppError::Conflict(
        crate::Conflict::ActionNotAllowedInStatus,
    ))?;
    let now = Timestamp::now().to_db();
    let mut update = TriageUpdate {
        status: to,
        org_id: &row.org_id,
        assignee_id: row.assignee_id.as_ref(),
        duplicate_of_id: row.duplicate_of_id.as_deref(),
        reject_reason: row.reject_reason.as_deref(),
        now: &now,
    };
    let mut payload = serde_json::json!({ "from": from.as_str(), "to": to.as_str() });
    let region = descendants(nodes, &root_of(nodes, &row.org_id));
    let assignee_id;
    let duplicate_id;
    let reason_str;
    let target_id;
    let mut erased_files = Vec::new();
    match &action {
        TriageAction::Assign { user_id } => {
            let wanted = user_id.clone().unwrap_or_else(|| user.id.clone());
            let colleagues =
                users::with_roles_in(&mut tx, &ancestors(nodes, &row.org_id), &TRIAGE_ROLES)
                    .await?;
            let who = colleagues
                .into_iter()
                .find(|c| c.id == wanted)
                .ok_or(AppError::field("user_id", ErrorCode::UnknownUser))?;
            payload["assignee_id"] = who.id.as_str().into();
            payload["assignee_name"] = who.name.clone().into();
            assignee_id = who.id;
            update.assignee_id = Some(&assignee_id);
        }
        TriageAction::Comment { note } => payload["note"] = note.clone().into(),
        TriageAction::RequestInfo { message } | TriageAction::Message { message } => {
            let kind = if action.name() == "request_info" {
                MessageKind::RequestInfo
            } else {
                MessageKind::Message
            };
            submissions::add_message(
                &mut tx,
                &row.id,
                MessageDirection::ToSubmitter,
                kind,
                message,
                Some(&user.id),
                &now,
            )
            .await?;
            payload["message"] = message.clone().into();
        }
        TriageAction::Reject { reason, message } => {
            submissions::add_message(
                &mut tx,
                &row.id,
                MessageDirection::ToSubmitter,
                MessageKind::Rejection,
                message,
                Some(&user.id),
                &now,
            )
            .await?;
            payload["reason"] = reason.as_str().into();
            payload["message"] = message.clone().into();
            reason_str = reason.as_str().to_string();
            update.reject_reason = Some(&reason_str);
        }
        TriageAction::Forward { organisation, note } => {
            let target = all
                .iter()
                .find(|o| &o.slug == organisation && region.contains(&o.id))
                .ok_or(AppError::field(
                    "organisation",
                    ErrorCode::UnknownOrganisation,
                ))?;
            if target.id == row.org_id {
                return Err(AppError::field("organisation", ErrorCode::SelfReference));
            }
            payload["from_org"] = row.org_name.clone().into();
            payload["to_org"] = target.name.clone().into();
            payload["to_org_id"] = target.id.as_str().into();
            if let Some(n) = note {
                payload["note"] = n.clone().into();
            }
            target_id = target.id.clone();
            update.org_id = &target_id;
            update.assignee_id = None;
        }
        TriageAction::MarkDuplicate { of_reference } => {
            // Among the submissions the caller may see: another is unknown, as a missing one.
            let readable = tree.reach(user, Role::can_read_inbox);
            let visible: Vec<OrgId> = region
                .iter()
                .filter(|o| readable.contains(o))
                .cloned()
                .collect();
            let original = if may_name_something(of_reference) {
                submissions::by_reference(&mut tx, of_reference, &visible).await?
            } else {
                None
            };
            let original = original.ok_or(AppError::field(
                "duplicate_of",
                ErrorCode::UnknownSubmission,
            ))?;
            if original.id == row.id {
                return Err(AppError::field("duplicate_of", ErrorCode::SelfReference));
            }
            payload["duplicate_of"] = original.reference.clone().into();
            payload["duplicate_of_id"] = original.id.as_str().into();
            duplicate_id = original.id;
            update.duplicate_of_id = Some(duplicate_id.as_str());
        }
        TriageAction::EraseContact => {
            // The event records that it happened, never what was removed.
            submissions::erase_contact(&mut tx, &row.id, &now).await?;
            store::outbox::erase_subject(&mut tx, row.id.as_str()).await?;
            store::notify::erase_digest_subject(&mut tx, row.id.as_str()).await?;
            // The submitter's files may carry what the contact details do: they go too.
            erased_files =
                crate::attachments::erase_of_submission(&mut tx, &caller.actor(), &row).await?;
        }
        TriageAction::Accept { note } | TriageAction::Reopen { note } => {
            if let Some(n) = note {
                payload["note"] = n.clone().into();
            }
            if matches!(action, TriageAction::Reopen { .. }) {
                update.reject_reason = None;
                update.duplicate_of_id = None;
            }
        }
    }
    submissions::update_triage(&mut tx, &row.id, &update).await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind: event_kind(&action),
            subject_type: "submission",
            subject_id: row.id.as_str(),
            org_id: Some(update.org_id),
            payload,
        },
    )
    .await?;
    let mut mailed = match decision_mail(&action, update.org_id, all) {
        Some((kind, params)) => crate::notify::to_submitter(&mut tx, &row.id, kind, params).await?,
        None => false,
    };
    mailed |= notify_staff(app, &mut tx, &tree, user, &row, &action).await?;
    tx.commit().await?;
    crate::attachments::remove_files(app, erased_files).await;
    if mailed {
        app.wake_jobs();
    }
    Ok(to)
}

/// The mails a triage action sends colleagues: the one assigned (unless they assigned it
/// to themselves), and those an internal comment mentions (`@` and the start of their
/// address) among the colleagues who may read the submission.
async fn notify_staff(
    app: &App,
    tx: &mut store::Tx,
    tree: &Tree,
    user: &CurrentUser,
    row: &SubmissionRow,
    action: &TriageAction,
) -> Result<bool> {
    use crate::notify::{mentioned, staff_by_id, to_staff};
    use domain::jobs::MailKind;
    let subject = ("submission", row.id.as_str(), &row.org_id);
    let page = format!("/inkorg/{}", row.id.as_str());
    let about = (row.reference.as_str(), row.title.as_str(), page.as_str());
    let public = app.config.public_url.as_str();
    let mut mailed = false;
    match action {
        TriageAction::Assign { user_id } => {
            let to = user_id.as_ref().unwrap_or(&user.id);
            if *to != user.id
                && let Some(staff) = staff_by_id(tx, to).await?
            {
                let params = serde_json::json!({ "by": user.name });
                mailed |= to_staff(
                    tx,
                    public,
                    &staff,
                    MailKind::Assigned,
                    subject,
                    about,
                    params,
                )
                .await?;
            }
        }
        TriageAction::Comment { note } => {
            let readers: Vec<&str> = Role::ALL
                .iter()
                .filter(|r| r.can_read_inbox())
                .map(|r| r.as_str())
                .collect();
            let above = ancestors(&tree.nodes, &row.org_id);
            let colleagues = store::notify::staff_with_roles_in(tx, &above, &readers).await?;
            for staff in mentioned(note, &colleagues, &user.id) {
                let params = serde_json::json!({ "author": user.name, "note": note });
                mailed |= to_staff(
                    tx,
                    public,
                    staff,
                    MailKind::Mentioned,
                    subject,
                    about,
                    params,
                )
                .await?;
            }
        }
        TriageAction::RequestInfo { message } => {
            let params = serde_json::json!({ "message": message });
            mailed |= crate::notify::to_submitter(tx, &row.id, MailKind::Question, params).await?;
        }
        _ => {}
    }
    Ok(mailed)
}

/// The mail a decision sends the submitter: accepted, rejected (with the reason and the
/// handler's message) or forwarded (to which organisation).
fn decision_mail(
    action: &TriageAction,
    org_id: &OrgId,
    all: &[store::orgs::OrgRow],
) -> Option<(domain::jobs::MailKind, serde_json::Value)> {
    use domain::jobs::MailKind;
    match action {
        TriageAction::Accept { .. } => Some((MailKind::Accepted, serde_json::json!({}))),
        TriageAction::Reject { reason, message } => Some((
            MailKind::Rejected,
            serde_json::json!({ "reason": reason.as_str(), "message": message }),
        )),
        TriageAction::Forward { .. } => {
            let to = all.iter().find(|o| o.id == org_id).map(|o| o.name.clone());
            Some((
                MailKind::Forwarded,
                serde_json::json!({ "organisation": to }),
            ))
        }
        _ => None,
    }
}

fn event_kind(a: &TriageAction) -> &'static str {
    match a {
        TriageAction::Assign { .. } => "submission.assigned",
        TriageAction::Comment { .. } => "submission.commented",
        TriageAction::RequestInfo { .. } => "submission.info_requested",
        TriageAction::Message { .. } => "submission.message_sent",
        TriageAction::Reject { .. } => "submission.rejected",
        TriageAction::Forward { .. } => "submission.forwarded",
        TriageAction::MarkDuplicate { .. } => "submission.marked_duplicate",
        TriageAction::Accept { .. } => "submission.accepted",
        TriageAction::Reopen { .. } => "submission.reopened",
        TriageAction::EraseContact => "submission.contact_erased",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_numbers_stay_in_range() {
        assert_eq!(page_number(""), 1);
        assert_eq!(page_number("3"), 3);
        assert_eq!(page_number(" 2 "), 2);
        assert_eq!(page_number("0"), 1);
        assert_eq!(page_number("-1"), 1);
        assert_eq!(page_number("x"), 1);
        assert_eq!(page_number("9223372036854775807"), MAX_PAGE);
        assert_eq!(page_number("99999999999999999999"), MAX_PAGE);
        assert!((MAX_PAGE - 1).checked_mul(1000).is_some());
    }
}
