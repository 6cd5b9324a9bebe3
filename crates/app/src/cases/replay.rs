//! A case loaded for the caller: its state replayed from its events, what the caller may
//! do with it, and one process event recorded against the version read.

use super::parse_stored;
use crate::access::{Tree, follows_case};
use crate::error::Result;
use crate::inbox::uuid_like;
use crate::{AppError, Caller, CurrentUser};
use domain::ErrorCode;
use domain::case::{CaseError, CaseEvent, CaseState, CaseStatus};
use domain::id::CaseId;
use domain::process::Template;
use domain::role::Role;
use domain::time::Timestamp;
use std::sync::Arc;
use store::Tx;
use store::cases::{self, CaseRow, MemberRow};
use store::events::{self, EventRow, NewEvent};
use store::processes;

/// The earliest due date among the current phase's steps that still have open items.
pub(super) fn next_due(t: &Template, s: &CaseState, phase_started: Timestamp) -> Option<Timestamp> {
    due_list(t, s, phase_started)
        .into_iter()
        .filter(|(_, _, done)| !done)
        .map(|(_, d, _)| d)
        .min()
}

pub(super) fn due_list(
    t: &Template,
    s: &CaseState,
    started: Timestamp,
) -> Vec<(String, Timestamp, bool)> {
    if s.status != CaseStatus::Active {
        return Vec::new();
    }
    s.steps(t, s.phase)
        .into_iter()
        .filter_map(|step| {
            let days = step.due_days?;
            let done = step
                .items
                .iter()
                .all(|i| s.ticked.contains_key(&(step.key.clone(), i.key.clone())));
            Some((step.key.clone(), started.plus_days(days), done))
        })
        .collect()
}

/// A case as the caller may see it, with its template and replayed state.
pub(crate) struct Loaded {
    pub(super) row: CaseRow,
    pub(super) template: Template,
    pub(crate) state: CaseState,
    pub(super) events: Vec<EventRow>,
    pub(crate) members: Vec<MemberRow>,
    /// The organisation tree the case was checked against.
    pub(super) tree: Arc<Tree>,
    pub(super) can_work: bool,
    pub(super) can_handle: bool,
    pub(super) mandate: Vec<Role>,
}

/// The process events of a case, in the order they were written.
fn process_events(events: &[EventRow]) -> Result<Vec<CaseEvent>> {
    let mut out: Vec<(i64, CaseEvent)> = Vec::new();
    for e in events {
        let payload: serde_json::Value = serde_json::from_str(&e.payload)
            .map_err(|err| AppError::Internal(anyhow::anyhow!("event {}: {err}", e.id)))?;
        if let Some(ev) = payload.get("event") {
            let ev: CaseEvent = serde_json::from_value(ev.clone())
                .map_err(|err| AppError::Internal(anyhow::anyhow!("event {}: {err}", e.id)))?;
            out.push((payload["v"].as_i64().unwrap_or(0), ev));
        }
    }
    out.sort_by_key(|(v, _)| *v);
    Ok(out.into_iter().map(|(_, e)| e).collect())
}

/// A case's events and the state they replay to.
async fn replay_events(
    tx: &mut Tx,
    template: &Template,
    row: &CaseRow,
) -> Result<(Vec<EventRow>, CaseState)> {
    let events = events::for_subject(tx, "case", row.id.as_str()).await?;
    let state = CaseState::replay(template, process_events(&events)?.iter()).map_err(|e| {
        AppError::Internal(anyhow::anyhow!(
            "case {} does not replay: {e:?}",
            row.reference
        ))
    })?;
    Ok((events, state))
}

/// A case's template and state, read for the system's own work (the daily reminder of
/// overdue steps), not for a caller.
pub(crate) async fn replay_for_system(tx: &mut Tx, row: &CaseRow) -> Result<(Template, CaseState)> {
    let trow = processes::by_id(tx, &row.template_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let template = parse_stored(&trow)?;
    let (_, state) = replay_events(tx, &template, row).await?;
    Ok((template, state))
}

pub(crate) async fn load(
    tx: &mut Tx,
    tree: &Arc<Tree>,
    user: &CurrentUser,
    id: &CaseId,
) -> Result<Loaded> {
    if uuid_like(id.as_str()).is_none() {
        return Err(AppError::NotFound);
    }
    let row = cases::by_id(tx, id).await?.ok_or(AppError::NotFound)?;
    let members = cases::members(tx, &row.id).await?;
    // Two lists: what the handler (or anyone who triages for the case's unit) may change,
    // and what a member of the working group may (the checklist, with notes).
    let handles = row.handler_id.as_ref() == Some(&user.id);
    let member = members.iter().any(|m| m.user_id.as_ref() == Some(&user.id));
    let trow = processes::by_id(tx, &row.template_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let template = parse_stored(&trow)?;
    let vagval = row.vagval;
    let readable = tree.reach(user, Role::can_read_inbox).contains(&row.org_id)
        || follows_case(tree, user, &row.org_id, &template.roles_on_steps(vagval));
    if !readable && !handles && !member {
        return Err(AppError::NotFound);
    }
    let can_handle = handles || tree.reach(user, Role::can_triage).contains(&row.org_id);
    let can_work = can_handle || member;
    let mandate = tree.mandate(user, &row.org_id);
    let (events, state) = replay_events(tx, &template, &row).await?;
    Ok(Loaded {
        row,
        template,
        state,
        events,
        members,
        tree: tree.clone(),
        can_work,
        can_handle,
        mandate,
    })
}

pub(super) fn case_error(e: CaseError) -> AppError {
    match e {
        CaseError::NotActive => AppError::Conflict(crate::Conflict::CaseNotActive),
        CaseError::UnknownItem => AppError::field("item", ErrorCode::InvalidChoice),
        CaseError::AlreadyTicked => AppError::Conflict(crate::Conflict::AlreadyTicked),
        CaseError::NotTicked => AppError::Conflict(crate::Conflict::NotTicked),
        CaseError::NoMandate { needed } => AppError::NoMandate(needed),
        CaseError::OpenRequiredItems(_) => {
            AppError::field("override_reason", ErrorCode::OverrideRequired)
        }
        CaseError::RationaleRequired => AppError::field("rationale", ErrorCode::Required),
        CaseError::PathNotHere => AppError::Conflict(crate::Conflict::PathNotHere),
        CaseError::PathAlreadyChosen => AppError::Conflict(crate::Conflict::PathAlreadyChosen),
        CaseError::PathRequired => AppError::Conflict(crate::Conflict::PathRequired),
        CaseError::PathEndsCase => AppError::Conflict(crate::Conflict::PathEndsCase),
        CaseError::NothingBefore => AppError::Conflict(crate::Conflict::NothingBefore),
        CaseError::WrongPhase => AppError::Conflict(crate::Conflict::CaseChanged),
        CaseError::HandoverRequired => AppError::Conflict(crate::Conflict::HandoverRequired),
        CaseError::AlreadyAdopted => AppError::Conflict(crate::Conflict::AlreadyAdopted),
        CaseError::Invalid(f @ ("before" | "after")) => {
            AppError::field(f, ErrorCode::InvalidNumber)
        }
        CaseError::Invalid(f) => AppError::field(f, ErrorCode::Required),
    }
}

/// Writes one process event: the projection moves from the version read to the next (or
/// the change is refused as stale), and the event is appended, in the caller's transaction.
pub(super) async fn record(
    app: &crate::App,
    tx: &mut Tx,
    caller: &Caller,
    l: &Loaded,
    event: CaseEvent,
) -> Result<CaseState> {
    let mut next = l.state.clone();
    next.apply(&l.template, &event).map_err(case_error)?;
    let now = Timestamp::now();
    let phase_started = if next.phase != l.state.phase {
        now
    } else {
        Timestamp::parse_db(&l.row.phase_started_at).unwrap_or(now)
    };
    let due = next_due(&l.template, &next, phase_started).map(|d| d.to_db());
    let now_db = now.to_db();
    let started_db = phase_started.to_db();
    let moved = cases::update_state(
        tx,
        &l.row.id,
        l.row.version,
        &cases::StateUpdate {
            phase_key: &l.template.phases[next.phase].key,
            phase_started_at: &started_db,
            status: next.status,
            vagval: next.vagval,
            next_due_at: due.as_deref(),
            now: &now_db,
        },
    )
    .await?;
    if !moved {
        return Err(AppError::Conflict(crate::Conflict::CaseChanged));
    }
    events::append(
        tx,
        NewEvent {
            actor: &caller.actor(),
            kind: event.kind(),
            subject_type: "case",
            subject_id: l.row.id.as_str(),
            org_id: Some(&l.row.org_id),
            payload: serde_json::json!({ "v": l.row.version + 1, "event": event }),
        },
    )
    .await?;
    notify_moved(app, tx, l, &next).await?;
    Ok(next)
}

/// The mails a step of a case sends: to those who decide the phase's gate when its last
/// required item was just ticked, and to the submitters it grew from when it is completed
/// (the solution implemented).
async fn notify_moved(app: &crate::App, tx: &mut Tx, l: &Loaded, next: &CaseState) -> Result<()> {
    use domain::jobs::MailKind;
    if next.status == CaseStatus::Completed && l.state.status != CaseStatus::Completed {
        for id in store::notify::submissions_of_case(tx, l.row.id.as_str()).await? {
            let params = serde_json::json!({ "case_reference": l.row.reference });
            let id = domain::id::SubmissionId::from(id);
            crate::notify::to_submitter(tx, &id, MailKind::CaseImplemented, params).await?;
        }
    }
    let ready = next.status == CaseStatus::Active
        && next.phase == l.state.phase
        && !l.state.open_required(&l.template).is_empty()
        && next.open_required(&l.template).is_empty();
    if ready {
        let gate = &l.template.phases[next.phase].gate;
        let page = format!("/arenden/{}", l.row.id.as_str());
        for staff in crate::notify::deciders(tx, &l.tree, &l.row.org_id, gate.role).await? {
            crate::notify::to_staff(
                tx,
                &app.config.public_url,
                &staff,
                MailKind::GateWaiting,
                ("case", l.row.id.as_str(), &l.row.org_id),
                (&l.row.reference, &l.row.title, &page),
                serde_json::json!({ "gate": gate.name }),
            )
            .await?;
        }
    }
    Ok(())
}

/// Loads a case for a change to its checklist, by the handler or a working-group member.
pub(super) async fn for_work(
    tx: &mut Tx,
    tree: &Arc<Tree>,
    user: &CurrentUser,
    id: &CaseId,
) -> Result<Loaded> {
    let l = load(tx, tree, user, id).await?;
    if !l.can_work {
        return Err(AppError::Forbidden);
    }
    Ok(l)
}

/// Loads a case for a change that only its handler (or someone who triages for its unit)
/// may make: details, confidentiality, unit, handler, working group, result.
pub(super) async fn for_handling(
    tx: &mut Tx,
    tree: &Arc<Tree>,
    user: &CurrentUser,
    id: &CaseId,
) -> Result<Loaded> {
    let l = load(tx, tree, user, id).await?;
    if !l.can_handle {
        return Err(AppError::Forbidden);
    }
    Ok(l)
}
