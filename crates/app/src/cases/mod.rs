//! Cases (ärenden): an accepted need walking its process template through phases,
//! checklists and gates, with every decision on the record.
//!
//! Who may do what:
//! - open a case, and work one (tick items, edit, working group, results): a role that may
//!   triage in the case's organisation, or being its handler or in its working group;
//! - decide a gate or choose the path: holding the gate's role in the case's organisation
//!   or above it (the mandate), nothing less;
//! - read a case: anyone who may read the inbox there, and the handler and the group.
//!
//! The case's process state is never stored as such: it is replayed from its events
//! through [`CaseState`], and the row holds only a projection for lists and the register.

use crate::error::Result;
use crate::inbox::{TRIAGE_ROLES, ancestors, opt, reach, require_user, uuid_like};
use crate::{App, AppError, Caller, CurrentUser};
use domain::case::{CaseError, CaseEvent, CaseState, CaseStatus, GateDecision};
use domain::org::{OrgNode, descendants, root_of};
use domain::process::{Template, Vagval, parse_template};
use domain::reference::ReferenceFormat;
use domain::role::Role;
use domain::submission::SubmissionStatus;
use domain::text::{TextRule, filter_text, may_name_something};
use domain::time::Timestamp;
use domain::{ErrorCode, FieldErrors};
use serde::Deserialize;
use store::cases::{self, CaseRow, LinkedSubmission, MemberRow};
use store::events::{self, EventRow, NewEvent};
use store::orgs::OrgRow;
use store::processes::{self, TemplateRow};
use store::users::{self, Colleague};
use store::{Tx, references, submissions};

/// Most cases a list shows at once.
pub const LIST_LIMIT: i64 = 500;

const TITLE: TextRule = TextRule::line("title", 3, 200);
const PUBLIC_TITLE: TextRule = TextRule::line("public_title", 3, 200).optional();
const DESCRIPTION: TextRule = TextRule::paragraph("description", 1, 10_000);
const RATIONALE: TextRule = TextRule::paragraph("rationale", 3, 4000);
const OVERRIDE: TextRule = TextRule::paragraph("override_reason", 3, 4000).optional();
const NOTE: TextRule = TextRule::paragraph("note", 1, 4000).optional();
const LEGAL_GROUND: TextRule = TextRule::line("legal_ground", 3, 300);

/// A list of submission references: a JSON array, or one text with commas or spaces (as a
/// form sends it).
#[derive(Debug, Clone, Default)]
pub struct References(pub Vec<String>);

impl<'de> Deserialize<'de> for References {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        Ok(References(match Raw::deserialize(d)? {
            Raw::One(s) => s
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect(),
            Raw::Many(v) => v.into_iter().map(|s| s.trim().to_string()).collect(),
        }))
    }
}

impl References {
    pub fn joined(&self) -> String {
        self.0.join(", ")
    }
}

/// Opening a case: as typed in the form or sent to the API.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OpenInput {
    pub title: String,
    pub public_title: String,
    pub description: String,
    /// The owning unit's slug.
    pub unit: String,
    /// The process template version's id, or its key (`spelplanen`) for the version the
    /// region uses; may be empty when the region uses only one.
    pub template: String,
    /// Diarienummer of accepted submissions the case grows from.
    pub submissions: References,
    /// The handler's user id; empty for the caller.
    pub handler: String,
}

/// What opening a case may choose from.
pub struct OpenChoices {
    pub units: Vec<OrgRow>,
    pub templates: Vec<TemplateRow>,
    pub colleagues: Vec<Colleague>,
}

/// Everything a case page shows.
pub struct CaseView {
    pub case: CaseRow,
    pub template: Template,
    pub state: CaseState,
    pub members: Vec<MemberRow>,
    pub submissions: Vec<LinkedSubmission>,
    pub events: Vec<EventRow>,
    /// May work on the checklist: the handler's work, and the working group's.
    pub can_work: bool,
    /// May change what only the handler may: the details (title, unit, handler,
    /// confidentiality), the working group and the result.
    pub can_handle: bool,
    /// The roles the caller holds for this case's organisation.
    pub mandate: Vec<Role>,
    /// People in the region who can handle the case or join its group.
    pub colleagues: Vec<Colleague>,
    /// The organisations of the case's region (owning unit, adopting units).
    pub units: Vec<OrgRow>,
    /// Due dates of the current phase's steps that have one: (step key, due, done).
    pub due: Vec<(String, Timestamp, bool)>,
}

impl CaseView {
    pub fn may_decide(&self) -> bool {
        self.state.status == CaseStatus::Active
            && self
                .template
                .phases
                .get(self.state.phase)
                .is_some_and(|p| self.mandate.contains(&p.gate.role))
    }

    /// Whether the path is chosen in the current phase and not yet chosen.
    pub fn path_open(&self) -> bool {
        self.state.status == CaseStatus::Active
            && self.state.vagval.is_none()
            && self.template.vagval_phase.as_deref()
                == self
                    .template
                    .phases
                    .get(self.state.phase)
                    .map(|p| p.key.as_str())
    }

    pub fn unit_name(&self, id: &str) -> String {
        self.units
            .iter()
            .find(|o| o.id == id)
            .map(|o| o.name.clone())
            .unwrap_or_default()
    }

    pub fn function_name(&self, key: &str) -> String {
        self.template
            .functions
            .iter()
            .find(|f| f.key == key)
            .map(|f| f.name.clone())
            .unwrap_or_else(|| key.to_string())
    }
}

fn parse_stored(row: &TemplateRow) -> Result<Template> {
    parse_template(&row.source).map_err(|e| {
        AppError::Internal(anyhow::anyhow!(
            "stored template {} v{} no longer parses: {}",
            row.template_key,
            row.version,
            e.first().map(ToString::to_string).unwrap_or_default()
        ))
    })
}

/// The roles that reach `org_id`: held there or above it.
fn mandate_for(user: &CurrentUser, nodes: &[OrgNode], org_id: &str) -> Vec<Role> {
    let above = ancestors(nodes, org_id);
    let mut roles: Vec<Role> = Vec::new();
    for (o, r) in &user.memberships {
        if above.contains(o) && !roles.contains(r) {
            roles.push(*r);
        }
    }
    roles
}

/// The templates a case in this region may follow: the region's active versions, or, when
/// none is active yet, the newest built-in version of each template (never an upload, which
/// belongs to one region and is used there only once activated).
async fn template_choices(tx: &mut Tx, region_id: &str) -> Result<Vec<TemplateRow>> {
    let active = processes::active_in(tx, region_id).await?;
    if !active.is_empty() {
        return Ok(active);
    }
    let mut newest: Vec<TemplateRow> = Vec::new();
    for t in processes::built_in(tx).await? {
        match newest.iter_mut().find(|n| n.template_key == t.template_key) {
            Some(n) if n.version < t.version => *n = t,
            Some(_) => {}
            None => newest.push(t),
        }
    }
    Ok(newest)
}

async fn orgs_and_nodes(tx: &mut Tx) -> Result<(Vec<OrgRow>, Vec<OrgNode>)> {
    let all = store::orgs::all(tx).await?;
    let nodes = all.iter().map(OrgRow::node).collect();
    Ok((all, nodes))
}

/// What the open-case form offers the caller.
pub async fn open_choices(app: &App, caller: &Caller) -> Result<OpenChoices> {
    let user = require_user(caller)?;
    let mut tx = app.db.read().await?;
    let (all, nodes) = orgs_and_nodes(&mut tx).await?;
    let workable = reach(user, &nodes, Role::can_triage);
    if workable.is_empty() {
        return Err(AppError::Forbidden);
    }
    let units: Vec<OrgRow> = all
        .into_iter()
        .filter(|o| workable.contains(&o.id))
        .collect();
    let mut templates = Vec::new();
    let mut regions: Vec<String> = units.iter().map(|u| root_of(&nodes, &u.id)).collect();
    regions.dedup();
    for r in &regions {
        for t in template_choices(&mut tx, r).await? {
            if !templates.iter().any(|x: &TemplateRow| x.id == t.id) {
                templates.push(t);
            }
        }
    }
    let colleagues = users::with_roles_in(&mut tx, &regions, &TRIAGE_ROLES).await?;
    Ok(OpenChoices {
        units,
        templates,
        colleagues,
    })
}

/// A handler by user id, among those who may triage in `org_ids`; `UnknownUser` otherwise.
async fn handler_in(
    tx: &mut Tx,
    errors: &mut FieldErrors,
    org_ids: &[String],
    id: String,
) -> Result<Option<String>> {
    let known = users::with_roles_in(tx, org_ids, &TRIAGE_ROLES)
        .await?
        .iter()
        .any(|c| c.id == id);
    if !known {
        errors.push("handler", ErrorCode::UnknownUser);
    }
    Ok(known.then_some(id))
}

/// Opens a case; returns its id and diarienummer.
pub async fn open(app: &App, caller: &Caller, input: &OpenInput) -> Result<(String, String)> {
    let mut tx = app.db.write().await?;
    let opened = open_in(&mut tx, caller, input).await?;
    tx.commit().await?;
    tracing::info!(reference = opened.1, "case opened");
    Ok(opened)
}

/// Opens a case in the caller's transaction (which may write what the case came from).
pub(crate) async fn open_in(
    tx: &mut Tx,
    caller: &Caller,
    input: &OpenInput,
) -> Result<(String, String)> {
    let user = require_user(caller)?;
    let mut errors = FieldErrors::new();
    let title = errors.take(TITLE.parse_required(&input.title));
    let public_title = errors.take(PUBLIC_TITLE.parse(&input.public_title));
    let description = errors.take(DESCRIPTION.parse_required(&input.description));
    let (all, nodes) = orgs_and_nodes(tx).await?;
    let workable = reach(user, &nodes, Role::can_triage);
    if workable.is_empty() {
        return Err(AppError::Forbidden);
    }
    let unit = all
        .iter()
        .find(|o| o.slug == input.unit.trim() && workable.contains(&o.id));
    if unit.is_none() {
        errors.push(
            "unit",
            if input.unit.trim().is_empty() {
                ErrorCode::Required
            } else {
                ErrorCode::UnknownOrganisation
            },
        );
    }
    let region_id = unit.map(|u| root_of(&nodes, &u.id));
    let region_ids = region_id
        .as_deref()
        .map(|r| descendants(&nodes, r))
        .unwrap_or_default();
    // The template: the one named, among those the region may use.
    let template = match &region_id {
        Some(r) => {
            let choices = template_choices(tx, r).await?;
            let wanted = input.template.trim();
            let found = if wanted.is_empty() && choices.len() == 1 {
                choices.into_iter().next()
            } else {
                // An id, or a template key naming the version the region uses.
                choices
                    .into_iter()
                    .find(|t| t.id == wanted || t.template_key == wanted)
            };
            if found.is_none() {
                errors.push(
                    "template",
                    if wanted.is_empty() {
                        ErrorCode::Required
                    } else {
                        ErrorCode::InvalidChoice
                    },
                );
            }
            found
        }
        None => None,
    };
    // The submissions: accepted ones in the same region, among those the caller may see. A
    // reference the caller may not see is unknown, as one that does not exist.
    let readable = reach(user, &nodes, Role::can_read_inbox);
    let visible: Vec<String> = region_ids
        .iter()
        .filter(|o| readable.contains(o))
        .cloned()
        .collect();
    let mut linked = Vec::new();
    let mut refs_ok = true;
    for r in &input.submissions.0 {
        // A reference that could name nothing is unknown without asking (PostgreSQL
        // refuses a NUL).
        let found = if may_name_something(r) {
            submissions::by_reference(tx, r, &visible).await?
        } else {
            None
        };
        match found {
            Some(s) => {
                if s.status != SubmissionStatus::Accepted.as_str() {
                    refs_ok = false;
                    errors.push("submissions", ErrorCode::NotAccepted);
                    break;
                }
                if !linked
                    .iter()
                    .any(|x: &submissions::SubmissionRow| x.id == s.id)
                {
                    linked.push(s);
                }
            }
            _ => {
                refs_ok = false;
                errors.push("submissions", ErrorCode::UnknownSubmission);
                break;
            }
        }
    }
    let handler_id = match opt(&input.handler) {
        None => Some(user.id.clone()),
        Some(h) => handler_in(tx, &mut errors, &region_ids, h).await?,
    };
    let (
        Some(title),
        Some(public_title),
        Some(description),
        Some(unit),
        Some(template),
        Some(region_id),
        true,
    ) = (
        title,
        public_title,
        description,
        unit,
        template,
        region_id,
        refs_ok && errors.is_empty(),
    )
    else {
        return Err(AppError::Validation(errors));
    };
    let t = parse_stored(&template)?;
    let region = all
        .iter()
        .find(|o| o.id == region_id)
        .ok_or(AppError::NotFound)?;
    let now = Timestamp::now();
    let format =
        ReferenceFormat::parse("reference_format", &region.reference_format).unwrap_or_default();
    let seq = references::next(tx, &region.id, now.year()).await?;
    let reference = format.render(now.year(), seq);
    let id = store::new_id();
    let state = CaseState::new();
    let due = next_due(&t, &state, now).map(|d| d.to_db());
    let public_title = public_title.unwrap_or_else(|| title.clone());
    let now_db = now.to_db();
    cases::insert(
        tx,
        &cases::NewCase {
            id: &id,
            reference: &reference,
            registered_org_id: &region.id,
            org_id: &unit.id,
            template_id: &template.id,
            title: &title,
            public_title: &public_title,
            description: &description,
            handler_id: handler_id.as_deref(),
            phase_key: &t.phases[0].key,
            next_due_at: due.as_deref(),
            created_by: Some(&user.id),
            now: &now_db,
        },
    )
    .await?;
    for s in &linked {
        cases::link_submission(tx, &id, &s.id, &now_db).await?;
        events::append(
            tx,
            NewEvent {
                actor: &caller.actor(),
                kind: "submission.case_opened",
                subject_type: "submission",
                subject_id: &s.id,
                org_id: Some(&s.org_id),
                payload: serde_json::json!({ "case_id": id, "case_reference": reference }),
            },
        )
        .await?;
    }
    events::append(
        tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "case.opened",
            subject_type: "case",
            subject_id: &id,
            org_id: Some(&unit.id),
            payload: serde_json::json!({
                "v": 1,
                "reference": reference,
                "template": t.key,
                "template_version": t.version,
                "submissions": linked.iter().map(|s| s.reference.clone()).collect::<Vec<_>>(),
            }),
        },
    )
    .await?;
    Ok((id, reference))
}

/// The earliest due date among the current phase's steps that still have open items.
fn next_due(t: &Template, s: &CaseState, phase_started: Timestamp) -> Option<Timestamp> {
    due_list(t, s, phase_started)
        .into_iter()
        .filter(|(_, _, done)| !done)
        .map(|(_, d, _)| d)
        .min()
}

fn due_list(t: &Template, s: &CaseState, started: Timestamp) -> Vec<(String, Timestamp, bool)> {
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
struct Loaded {
    row: CaseRow,
    template: Template,
    state: CaseState,
    events: Vec<EventRow>,
    members: Vec<MemberRow>,
    nodes: Vec<OrgNode>,
    all: Vec<OrgRow>,
    can_work: bool,
    can_handle: bool,
    mandate: Vec<Role>,
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

async fn load(tx: &mut Tx, user: &CurrentUser, id: &str) -> Result<Loaded> {
    if uuid_like(id).is_none() {
        return Err(AppError::NotFound);
    }
    let row = cases::by_id(tx, id).await?.ok_or(AppError::NotFound)?;
    let (all, nodes) = orgs_and_nodes(tx).await?;
    let members = cases::members(tx, &row.id).await?;
    // Two lists: what the handler (or anyone who triages for the case's unit) may change,
    // and what a member of the working group may (the checklist, with notes).
    let handles = row.handler_id.as_deref() == Some(user.id.as_str());
    let member = members
        .iter()
        .any(|m| m.user_id.as_deref() == Some(user.id.as_str()));
    let readable = reach(user, &nodes, Role::can_read_inbox).contains(&row.org_id);
    if !readable && !handles && !member {
        return Err(AppError::NotFound);
    }
    let can_handle = handles || reach(user, &nodes, Role::can_triage).contains(&row.org_id);
    let can_work = can_handle || member;
    let mandate = mandate_for(user, &nodes, &row.org_id);
    let trow = processes::by_id(tx, &row.template_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let template = parse_stored(&trow)?;
    let events = events::for_subject(tx, "case", &row.id).await?;
    let state = CaseState::replay(&template, process_events(&events)?.iter()).map_err(|e| {
        AppError::Internal(anyhow::anyhow!(
            "case {} does not replay: {e:?}",
            row.reference
        ))
    })?;
    Ok(Loaded {
        row,
        template,
        state,
        events,
        members,
        nodes,
        all,
        can_work,
        can_handle,
        mandate,
    })
}

pub async fn view(app: &App, caller: &Caller, id: &str) -> Result<CaseView> {
    let user = require_user(caller)?;
    let mut tx = app.db.read().await?;
    let l = load(&mut tx, user, id).await?;
    let region = root_of(&l.nodes, &l.row.org_id);
    let in_region = descendants(&l.nodes, &region);
    let colleagues = users::with_roles_in(&mut tx, &in_region, &TRIAGE_ROLES).await?;
    let submissions = cases::submissions_of(&mut tx, &l.row.id).await?;
    let started = Timestamp::parse_db(&l.row.phase_started_at).unwrap_or_else(Timestamp::now);
    let due = due_list(&l.template, &l.state, started);
    let units = l
        .all
        .into_iter()
        .filter(|o| in_region.contains(&o.id))
        .collect();
    Ok(CaseView {
        case: l.row,
        template: l.template,
        state: l.state,
        members: l.members,
        submissions,
        events: l.events,
        can_work: l.can_work,
        can_handle: l.can_handle,
        mandate: l.mandate,
        colleagues,
        units,
        due,
    })
}

/// The events of a case, oldest first (the API's audit trail).
pub async fn events_of(app: &App, caller: &Caller, id: &str) -> Result<Vec<EventRow>> {
    let user = require_user(caller)?;
    let mut tx = app.db.read().await?;
    Ok(load(&mut tx, user, id).await?.events)
}

fn case_error(e: CaseError) -> AppError {
    match e {
        CaseError::NotActive => AppError::Conflict("case_not_active"),
        CaseError::UnknownItem => AppError::field("item", ErrorCode::InvalidChoice),
        CaseError::AlreadyTicked => AppError::Conflict("already_ticked"),
        CaseError::NotTicked => AppError::Conflict("not_ticked"),
        CaseError::NoMandate { needed } => AppError::NoMandate(needed),
        CaseError::OpenRequiredItems(_) => {
            AppError::field("override_reason", ErrorCode::OverrideRequired)
        }
        CaseError::RationaleRequired => AppError::field("rationale", ErrorCode::Required),
        CaseError::PathNotHere => AppError::Conflict("path_not_here"),
        CaseError::PathAlreadyChosen => AppError::Conflict("path_already_chosen"),
        CaseError::PathRequired => AppError::Conflict("path_required"),
        CaseError::PathEndsCase => AppError::Conflict("path_ends_case"),
        CaseError::NothingBefore => AppError::Conflict("nothing_before"),
        CaseError::WrongPhase => AppError::Conflict("case_changed"),
        CaseError::HandoverRequired => AppError::Conflict("handover_required"),
        CaseError::AlreadyAdopted => AppError::Conflict("already_adopted"),
        CaseError::Invalid(f @ ("before" | "after")) => {
            AppError::field(f, ErrorCode::InvalidNumber)
        }
        CaseError::Invalid(f) => AppError::field(f, ErrorCode::Required),
    }
}

/// Writes one process event: the projection moves from the version read to the next (or
/// the change is refused as stale), and the event is appended, in the caller's transaction.
async fn record(tx: &mut Tx, caller: &Caller, l: &Loaded, event: CaseEvent) -> Result<CaseState> {
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
            status: next.status.as_str(),
            vagval: next.vagval.map(|v| v.as_str()),
            next_due_at: due.as_deref(),
            now: &now_db,
        },
    )
    .await?;
    if !moved {
        return Err(AppError::Conflict("case_changed"));
    }
    events::append(
        tx,
        NewEvent {
            actor: &caller.actor(),
            kind: event.kind(),
            subject_type: "case",
            subject_id: &l.row.id,
            org_id: Some(&l.row.org_id),
            payload: serde_json::json!({ "v": l.row.version + 1, "event": event }),
        },
    )
    .await?;
    Ok(next)
}

/// Loads a case for a change to its checklist, by the handler or a working-group member.
async fn for_work(tx: &mut Tx, user: &CurrentUser, id: &str) -> Result<Loaded> {
    let l = load(tx, user, id).await?;
    if !l.can_work {
        return Err(AppError::Forbidden);
    }
    Ok(l)
}

/// Loads a case for a change that only its handler (or someone who triages for its unit)
/// may make: details, confidentiality, unit, handler, working group, result.
async fn for_handling(tx: &mut Tx, user: &CurrentUser, id: &str) -> Result<Loaded> {
    let l = load(tx, user, id).await?;
    if !l.can_handle {
        return Err(AppError::Forbidden);
    }
    Ok(l)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TickInput {
    pub step: String,
    pub item: String,
    pub note: String,
    /// Set to take a tick back.
    pub undo: bool,
}

/// Ticks (or unticks) a checklist item of the current phase.
pub async fn tick(app: &App, caller: &Caller, id: &str, input: &TickInput) -> Result<CaseState> {
    let user = require_user(caller)?;
    let note = NOTE
        .parse(&input.note)
        .map_err(|e| AppError::Validation(FieldErrors(vec![e])))?;
    let mut tx = app.db.write().await?;
    let l = for_work(&mut tx, user, id).await?;
    let (step, item) = (input.step.trim(), input.item.trim());
    let e = if input.undo {
        l.state.untick(&l.template, step, item, &user.id)
    } else {
        l.state.tick(
            &l.template,
            step,
            item,
            &user.id,
            note.as_deref().unwrap_or(""),
        )
    }
    .map_err(case_error)?;
    let s = record(&mut tx, caller, &l, e).await?;
    tx.commit().await?;
    Ok(s)
}

/// A choice among fixed values: `Required` when empty, `InvalidChoice` when unknown.
fn choice<T>(
    errors: &mut FieldErrors,
    field: &'static str,
    raw: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    let v = parse(raw);
    if v.is_none() {
        let code = if raw.trim().is_empty() {
            ErrorCode::Required
        } else {
            ErrorCode::InvalidChoice
        };
        errors.push(field, code);
    }
    v
}

/// Loads an active case for a decision at its current gate; refuses someone without the
/// gate's mandate before looking at their input, so that they learn that first.
async fn for_decision(tx: &mut Tx, user: &CurrentUser, id: &str) -> Result<Loaded> {
    let l = load(tx, user, id).await?;
    if l.state.status != CaseStatus::Active {
        return Err(AppError::Conflict("case_not_active"));
    }
    let gate_role = l.template.phases[l.state.phase].gate.role;
    if !l.mandate.contains(&gate_role) {
        return Err(AppError::NoMandate(gate_role));
    }
    Ok(l)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DecideInput {
    pub decision: String,
    pub rationale: String,
    /// Why the gate is passed although required items are open.
    pub override_reason: String,
}

/// Decides the current phase's gate under the caller's mandate.
pub async fn decide(
    app: &App,
    caller: &Caller,
    id: &str,
    input: &DecideInput,
) -> Result<CaseState> {
    let user = require_user(caller)?;
    let mut errors = FieldErrors::new();
    let decision = choice(
        &mut errors,
        "decision",
        &input.decision,
        GateDecision::parse,
    );
    let rationale = errors.take(RATIONALE.parse_required(&input.rationale));
    let override_reason = errors.take(OVERRIDE.parse(&input.override_reason));
    let mut tx = app.db.write().await?;
    let l = for_decision(&mut tx, user, id).await?;
    let (Some(decision), Some(rationale), Some(override_reason)) =
        (decision, rationale, override_reason)
    else {
        return Err(AppError::Validation(errors));
    };
    let e = l
        .state
        .decide(
            &l.template,
            decision,
            &user.id,
            &l.mandate,
            &rationale,
            override_reason.as_deref().unwrap_or(""),
        )
        .map_err(case_error)?;
    let s = record(&mut tx, caller, &l, e).await?;
    tx.commit().await?;
    Ok(s)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PathInput {
    pub vagval: String,
    pub rationale: String,
}

/// Records the vägval under the mandate of the vägval phase's gate.
pub async fn choose_path(
    app: &App,
    caller: &Caller,
    id: &str,
    input: &PathInput,
) -> Result<CaseState> {
    let user = require_user(caller)?;
    let mut errors = FieldErrors::new();
    let vagval = choice(&mut errors, "vagval", &input.vagval, Vagval::parse);
    let rationale = errors.take(RATIONALE.parse_required(&input.rationale));
    let mut tx = app.db.write().await?;
    let l = for_decision(&mut tx, user, id).await?;
    let (Some(vagval), Some(rationale)) = (vagval, rationale) else {
        return Err(AppError::Validation(errors));
    };
    if !l.template.paths.iter().any(|p| p.vagval == vagval) {
        return Err(AppError::field("vagval", ErrorCode::InvalidChoice));
    }
    let e = l
        .state
        .choose_path(&l.template, vagval, &user.id, &l.mandate, &rationale)
        .map_err(case_error)?;
    let s = record(&mut tx, caller, &l, e).await?;
    tx.commit().await?;
    Ok(s)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResultInput {
    /// `adopt`, `measure` or `handover`.
    pub kind: String,
    /// adopt: the unit's slug.
    pub unit: String,
    /// measure: what is measured, its unit, before and after.
    pub name: String,
    pub measure_unit: String,
    pub before: String,
    pub after: String,
    /// handover: who received the solution, and how.
    pub receiver: String,
    pub note: String,
}

/// Records part of the result: an adopting unit, a benefit measure or the handover.
pub async fn record_result(
    app: &App,
    caller: &Caller,
    id: &str,
    input: &ResultInput,
) -> Result<CaseState> {
    let user = require_user(caller)?;
    let mut tx = app.db.write().await?;
    let l = for_handling(&mut tx, user, id).await?;
    let e = match input.kind.trim() {
        "adopt" => {
            let region = descendants(&l.nodes, &root_of(&l.nodes, &l.row.org_id));
            let unit = l
                .all
                .iter()
                .find(|o| o.slug == input.unit.trim() && region.contains(&o.id))
                .ok_or_else(|| AppError::field("unit", ErrorCode::UnknownOrganisation))?;
            l.state.adopt(&l.template, &unit.id, &user.id)
        }
        "measure" => {
            let mut errors = FieldErrors::new();
            errors.take(TextRule::line("name", 2, 200).parse_required(&input.name));
            errors.take(TextRule::line("measure_unit", 1, 40).parse_required(&input.measure_unit));
            if !errors.is_empty() {
                return Err(AppError::Validation(errors));
            }
            l.state.measure(
                &l.template,
                &input.name,
                &input.measure_unit,
                &input.before,
                &input.after,
                &user.id,
            )
        }
        "handover" => {
            let mut errors = FieldErrors::new();
            errors.take(TextRule::line("receiver", 2, 200).parse_required(&input.receiver));
            errors.take(TextRule::paragraph("note", 3, 4000).parse_required(&input.note));
            if !errors.is_empty() {
                return Err(AppError::Validation(errors));
            }
            l.state
                .hand_over(&l.template, &input.receiver, &input.note, &user.id)
        }
        _ => return Err(AppError::field("kind", ErrorCode::InvalidChoice)),
    }
    .map_err(case_error)?;
    let s = record(&mut tx, caller, &l, e).await?;
    tx.commit().await?;
    Ok(s)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MemberInput {
    /// A colleague's user id, or empty with a name for someone without an account.
    pub user_id: String,
    pub name: String,
    pub function: String,
    /// Set with a member id to take someone out of the group.
    pub remove: String,
}

/// Adds someone to the working group with a function, or takes them out.
pub async fn member(app: &App, caller: &Caller, id: &str, input: &MemberInput) -> Result<()> {
    let user = require_user(caller)?;
    let mut tx = app.db.write().await?;
    let l = for_handling(&mut tx, user, id).await?;
    if l.state.status != CaseStatus::Active {
        return Err(AppError::Conflict("case_not_active"));
    }
    let now = Timestamp::now().to_db();
    let payload;
    let kind;
    if let Some(member_id) = opt(&input.remove) {
        let m = l
            .members
            .iter()
            .find(|m| m.id == member_id)
            .ok_or(AppError::NotFound)?;
        cases::remove_member(&mut tx, &l.row.id, &m.id).await?;
        kind = "case.member_removed";
        payload = serde_json::json!({ "v": l.row.version + 1, "name": m.name, "function": m.function_key });
    } else {
        let mut errors = FieldErrors::new();
        let function = choice(&mut errors, "function", &input.function, |f| {
            l.template.functions.iter().find(|x| x.key == f.trim())
        });
        let (user_id, name) = match opt(&input.user_id) {
            Some(uid) => {
                let region = descendants(&l.nodes, &root_of(&l.nodes, &l.row.org_id));
                let all_roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                match users::with_roles_in(&mut tx, &region, &all_roles)
                    .await?
                    .into_iter()
                    .find(|c| c.id == uid)
                {
                    Some(c) => (Some(c.id), Some(c.name)),
                    None => {
                        errors.push("user_id", ErrorCode::UnknownUser);
                        (None, None)
                    }
                }
            }
            None => (
                None,
                errors.take(TextRule::line("name", 2, 120).parse_required(&input.name)),
            ),
        };
        let (Some(function), Some(name)) = (function, name) else {
            return Err(AppError::Validation(errors));
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        cases::add_member(
            &mut tx,
            &cases::NewMember {
                case_id: &l.row.id,
                user_id: user_id.as_deref(),
                name: &name,
                function_key: &function.key,
                now: &now,
            },
        )
        .await?;
        kind = "case.member_added";
        payload =
            serde_json::json!({ "v": l.row.version + 1, "name": name, "function": function.key });
    }
    if !cases::touch(&mut tx, &l.row.id, l.row.version, &now).await? {
        return Err(AppError::Conflict("case_changed"));
    }
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind,
            subject_type: "case",
            subject_id: &l.row.id,
            org_id: Some(&l.row.org_id),
            payload,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DetailsInput {
    pub title: String,
    pub public_title: String,
    pub description: String,
    pub unit: String,
    pub handler: String,
    /// `on`/`true` when the case is confidential (sekretess); JSON may send a boolean.
    #[serde(deserialize_with = "flag")]
    pub confidential: String,
    /// The provision the confidentiality rests on (e.g. OSL 31 kap. 16 §).
    pub legal_ground: String,
}

/// A checkbox as a form sends it (`on`, or absent) or a JSON boolean.
fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bool(bool),
        Text(String),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::Bool(true) => "true".into(),
        Raw::Bool(false) => String::new(),
        Raw::Text(s) => s,
    })
}

impl DetailsInput {
    pub fn from_case(c: &CaseRow, unit_slug: &str) -> Self {
        Self {
            title: c.title.clone(),
            public_title: c.public_title.clone(),
            description: c.description.clone(),
            unit: unit_slug.to_string(),
            handler: c.handler_id.clone().unwrap_or_default(),
            confidential: if c.confidential {
                "on".into()
            } else {
                String::new()
            },
            legal_ground: c.legal_ground.clone().unwrap_or_default(),
        }
    }

    pub fn is_confidential(&self) -> bool {
        matches!(self.confidential.trim(), "on" | "true" | "1" | "yes")
    }
}

/// Edits title, public title, description, owning unit, handler and confidentiality.
pub async fn edit(app: &App, caller: &Caller, id: &str, input: &DetailsInput) -> Result<()> {
    let user = require_user(caller)?;
    let mut errors = FieldErrors::new();
    let title = errors.take(TITLE.parse_required(&input.title));
    let public_title = errors.take(PUBLIC_TITLE.parse(&input.public_title));
    let description = errors.take(DESCRIPTION.parse_required(&input.description));
    let confidential = input.is_confidential();
    let legal_ground = if confidential {
        errors.take(LEGAL_GROUND.parse_required(&input.legal_ground))
    } else {
        Some(String::new())
    };
    let mut tx = app.db.write().await?;
    let l = for_handling(&mut tx, user, id).await?;
    let region = descendants(&l.nodes, &root_of(&l.nodes, &l.row.org_id));
    let unit = l
        .all
        .iter()
        .find(|o| o.slug == input.unit.trim() && region.contains(&o.id));
    if unit.is_none() {
        errors.push("unit", ErrorCode::UnknownOrganisation);
    }
    let handler = match opt(&input.handler) {
        None => Some(None),
        Some(h) => handler_in(&mut tx, &mut errors, &region, h)
            .await?
            .map(Some),
    };
    let (
        Some(title),
        Some(public_title),
        Some(description),
        Some(legal_ground),
        Some(unit),
        Some(handler),
    ) = (
        title,
        public_title,
        description,
        legal_ground,
        unit,
        handler,
    )
    else {
        return Err(AppError::Validation(errors));
    };
    let public_title = public_title.unwrap_or_else(|| title.clone());
    let now = Timestamp::now().to_db();
    let ok = cases::update_details(
        &mut tx,
        &l.row.id,
        l.row.version,
        &cases::DetailsUpdate {
            title: &title,
            public_title: &public_title,
            description: &description,
            org_id: &unit.id,
            handler_id: handler.as_deref(),
            confidential,
            legal_ground: confidential.then_some(legal_ground.as_str()),
            now: &now,
        },
    )
    .await?;
    if !ok {
        return Err(AppError::Conflict("case_changed"));
    }
    let mut changed = Vec::new();
    if title != l.row.title {
        changed.push("title");
    }
    if public_title != l.row.public_title {
        changed.push("public_title");
    }
    if description != l.row.description {
        changed.push("description");
    }
    if unit.id != l.row.org_id {
        changed.push("unit");
    }
    if handler != l.row.handler_id {
        changed.push("handler");
    }
    if confidential != l.row.confidential
        || (confidential && Some(legal_ground.as_str()) != l.row.legal_ground.as_deref())
    {
        changed.push("confidential");
    }
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "case.updated",
            subject_type: "case",
            subject_id: &l.row.id,
            org_id: Some(&unit.id),
            payload: serde_json::json!({
                "v": l.row.version + 1,
                "changed": changed,
                "confidential": confidential,
                "legal_ground": confidential.then_some(legal_ground),
                "unit": unit.name,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Filters of the board and the lists, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BoardQuery {
    pub unit: String,
    /// A user id, or `me`.
    pub handler: String,
    pub vagval: String,
    /// `1` for cases with an overdue step only.
    pub overdue: String,
    /// `active` (the default), `closed`, `completed` or `all`.
    pub status: String,
    pub q: String,
}

/// One column of the board: the cases in one phase of one template version.
pub struct Column {
    pub phase_key: String,
    pub name: String,
    pub cases: Vec<CaseRow>,
}

pub struct Lane {
    pub template: TemplateRow,
    pub columns: Vec<Column>,
    /// Cases of this template that are closed or completed (when the filter shows them).
    pub finished: Vec<CaseRow>,
}

pub struct Board {
    pub lanes: Vec<Lane>,
    pub total: usize,
    pub units: Vec<OrgRow>,
    pub colleagues: Vec<Colleague>,
    pub now: String,
}

/// The cases the caller may see, filtered, grouped by template and phase.
pub async fn board(app: &App, caller: &Caller, q: &BoardQuery, mine: bool) -> Result<Board> {
    let user = require_user(caller)?;
    let mut tx = app.db.read().await?;
    let (all, nodes) = orgs_and_nodes(&mut tx).await?;
    let visible = reach(user, &nodes, Role::can_read_inbox);
    if visible.is_empty() && !mine {
        return Err(AppError::Forbidden);
    }
    let mut errors = FieldErrors::new();
    let unit = crate::inbox::unit_filter(&mut errors, &all, &visible, &q.unit);
    let vagval = match opt(&q.vagval) {
        Some(v) if Vagval::parse(&v).is_some() => Some(v),
        Some(_) => {
            errors.push("vagval", ErrorCode::InvalidChoice);
            None
        }
        None => None,
    };
    let status = match q.status.trim() {
        "" | "active" => Some("active".to_string()),
        "all" => None,
        s @ ("closed" | "completed") => Some(s.to_string()),
        _ => {
            errors.push("status", ErrorCode::InvalidChoice);
            None
        }
    };
    let handler = errors.take(filter_text("handler", &q.handler)).flatten();
    let search = errors
        .take(filter_text("q", &q.q))
        .flatten()
        .map(|s| s.chars().take(100).collect());
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = Timestamp::now().to_db();
    let mut org_ids = visible.clone();
    if mine {
        // Someone in a working group may see the case without an inbox role there.
        org_ids = all.iter().map(|o| o.id.clone()).collect();
    }
    let filter = cases::Filter {
        org_ids,
        unit,
        handler_id: match handler {
            Some(me) if me == "me" => Some(user.id.clone()),
            h => h,
        },
        involving: mine.then(|| user.id.clone()),
        vagval,
        status,
        due_before: matches!(q.overdue.trim(), "1" | "on" | "true").then(|| now.clone()),
        q: search,
        limit: LIST_LIMIT,
    };
    let rows = cases::list(&mut tx, &filter).await?;
    let total = rows.len();
    let mut lanes: Vec<Lane> = Vec::new();
    for row in rows {
        let lane = match lanes.iter().position(|l| l.template.id == row.template_id) {
            Some(i) => &mut lanes[i],
            None => {
                let trow = processes::by_id(&mut tx, &row.template_id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let t = parse_stored(&trow)?;
                lanes.push(Lane {
                    template: trow,
                    columns: t
                        .phases
                        .iter()
                        .map(|p| Column {
                            phase_key: p.key.clone(),
                            name: p.name.clone(),
                            cases: Vec::new(),
                        })
                        .collect(),
                    finished: Vec::new(),
                });
                let last = lanes.len() - 1;
                &mut lanes[last]
            }
        };
        if row.status != CaseStatus::Active.as_str() {
            lane.finished.push(row);
        } else if let Some(c) = lane
            .columns
            .iter_mut()
            .find(|c| c.phase_key == row.phase_key)
        {
            c.cases.push(row);
        }
    }
    let colleagues = users::with_roles_in(&mut tx, &visible, &TRIAGE_ROLES).await?;
    Ok(Board {
        lanes,
        total,
        units: all
            .into_iter()
            .filter(|o| visible.contains(&o.id))
            .collect(),
        colleagues,
        now,
    })
}

/// One overdue step of an active case.
pub struct OverdueStep {
    pub case: CaseRow,
    pub phase_name: String,
    pub step_name: String,
    pub due: Timestamp,
}

/// Steps past their due date in the active cases the caller may see, oldest first.
pub async fn overdue(app: &App, caller: &Caller) -> Result<Vec<OverdueStep>> {
    let user = require_user(caller)?;
    let mut tx = app.db.read().await?;
    let (_, nodes) = orgs_and_nodes(&mut tx).await?;
    let visible = reach(user, &nodes, Role::can_read_inbox);
    if visible.is_empty() {
        return Err(AppError::Forbidden);
    }
    let now = Timestamp::now();
    let rows = cases::list(
        &mut tx,
        &cases::Filter {
            org_ids: visible,
            status: Some("active".into()),
            due_before: Some(now.to_db()),
            limit: LIST_LIMIT,
            ..Default::default()
        },
    )
    .await?;
    let mut out = Vec::new();
    for row in rows {
        let l = load(&mut tx, user, &row.id).await?;
        let started = Timestamp::parse_db(&row.phase_started_at).unwrap_or(now);
        let phase = &l.template.phases[l.state.phase];
        for (step_key, due, done) in due_list(&l.template, &l.state, started) {
            if !done && due < now {
                let step_name = l
                    .state
                    .steps(&l.template, l.state.phase)
                    .iter()
                    .find(|s| s.key == step_key)
                    .map(|s| s.name.clone())
                    .unwrap_or(step_key);
                out.push(OverdueStep {
                    case: row.clone(),
                    phase_name: phase.name.clone(),
                    step_name,
                    due,
                });
            }
        }
    }
    out.sort_by_key(|o| o.due);
    Ok(out)
}

/// A case's public status: where it stands, never who works it.
#[derive(Debug, Clone)]
pub struct PublicStatus {
    pub reference: String,
    pub status: String,
    pub phase_name: String,
    pub vagval: Option<String>,
}

/// The cases a submission became part of, as its submitter may see them.
pub async fn public_status_of_submission(
    tx: &mut Tx,
    submission_id: &str,
) -> Result<Vec<PublicStatus>> {
    let mut out = Vec::new();
    for c in cases::of_submission(tx, submission_id).await? {
        let trow = processes::by_id(tx, &c.template_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let t = parse_stored(&trow)?;
        out.push(PublicStatus {
            phase_name: t
                .phase(&c.phase_key)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            reference: c.reference,
            status: c.status,
            vagval: c.vagval,
        });
    }
    Ok(out)
}

/// Filters of the public register, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DiariumQuery {
    /// A diarienummer or part of one.
    pub q: String,
    pub from: String,
    pub to: String,
    pub page: String,
}

pub const DIARIUM_PER_PAGE: i64 = 50;

pub struct DiariumEntry {
    pub row: cases::DiariumRow,
    /// For a case: the name of its current phase.
    pub phase_name: Option<String>,
}

pub struct DiariumPage {
    pub entries: Vec<DiariumEntry>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// The public register: open to everyone, personal data never in it.
pub async fn diarium(app: &App, q: &DiariumQuery) -> Result<DiariumPage> {
    let mut errors = FieldErrors::new();
    let from = crate::inbox::date_bound(&mut errors, "from", &q.from, false);
    let until = crate::inbox::date_bound(&mut errors, "to", &q.to, true);
    let reference = errors
        .take(filter_text("q", &q.q))
        .flatten()
        .map(|s| s.chars().take(40).collect::<String>());
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let page = crate::inbox::page_number(&q.page);
    let mut tx = app.db.read().await?;
    let (rows, total) = cases::diarium(
        &mut tx,
        &cases::DiariumFilter {
            reference,
            from,
            until,
            limit: DIARIUM_PER_PAGE,
            offset: (page - 1) * DIARIUM_PER_PAGE,
        },
    )
    .await?;
    let mut templates: Vec<(String, Template)> = Vec::new();
    let mut entries = Vec::new();
    for row in rows {
        let phase_name = match (&row.phase_key, &row.template_id) {
            (Some(phase), Some(template_id)) => {
                if !templates.iter().any(|(id, _)| id == template_id) {
                    let trow = processes::by_id(&mut tx, template_id)
                        .await?
                        .ok_or(AppError::NotFound)?;
                    templates.push((template_id.clone(), parse_stored(&trow)?));
                }
                templates
                    .iter()
                    .find(|(id, _)| id == template_id)
                    .and_then(|(_, t)| t.phase(phase))
                    .map(|p| p.name.clone())
            }
            _ => None,
        };
        entries.push(DiariumEntry { row, phase_name });
    }
    Ok(DiariumPage {
        entries,
        total,
        page,
        pages: ((total + DIARIUM_PER_PAGE - 1) / DIARIUM_PER_PAGE).max(1),
    })
}
