//! Opening a case: the form's choices (units, the region's templates, handlers), the
//! diarienummer from the region's series, and the submissions the case grows from.

use super::replay::next_due;
use super::{DESCRIPTION, PUBLIC_TITLE, TITLE, handler_in, parse_stored};
use crate::access::{TRIAGE_ROLES, Tree, reach, require_user};
use crate::error::Result;
use crate::inbox::opt;
use crate::{App, AppError, Caller};
use domain::case::CaseState;
use domain::id::{CaseId, OrgId, UserId};
use domain::org::{descendants, root_of};
use domain::reference::ReferenceFormat;
use domain::role::Role;
use domain::submission::SubmissionStatus;
use domain::text::may_name_something;
use domain::time::Timestamp;
use domain::{ErrorCode, FieldErrors};
use serde::Deserialize;
use store::cases;
use store::events::{self, NewEvent};
use store::orgs::OrgRow;
use store::processes::{self, TemplateRow};
use store::users::{self, Colleague};
use store::{Tx, references, submissions};

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

/// The templates a case in this region may follow: the region's active versions, or, when
/// none is active yet, the newest built-in version of each template (never an upload, which
/// belongs to one region and is used there only once activated).
async fn template_choices(tx: &mut Tx, region_id: &OrgId) -> Result<Vec<TemplateRow>> {
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

/// What the open-case form offers the caller.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn open_choices(app: &App, caller: &Caller) -> Result<OpenChoices> {
    let user = require_user(caller)?;
    let tree = app.tree().await?;
    let mut tx = app.db.read().await?;
    let workable = tree.reach(user, Role::can_triage);
    if workable.is_empty() {
        return Err(AppError::Forbidden);
    }
    let units: Vec<OrgRow> = tree
        .all
        .iter()
        .filter(|o| workable.contains(&o.id))
        .cloned()
        .collect();
    let mut templates = Vec::new();
    let mut regions: Vec<OrgId> = units.iter().map(|u| root_of(&tree.nodes, &u.id)).collect();
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

/// What a case opened from a submission starts with: the submission's title, description
/// and unit, and the process its region uses for new cases.
#[derive(Debug, Clone, Default)]
pub struct Prefill {
    pub title: String,
    pub description: String,
    /// The unit's slug.
    pub unit: String,
    /// The template's id: the region's active process (its first, if it has several).
    pub template: Option<String>,
}

/// The prefill for a case opened from the submission with this diarienummer, when the
/// caller may triage it; nothing for one they may not see (as for one that does not exist).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn prefill(app: &App, caller: &Caller, reference: &str) -> Result<Option<Prefill>> {
    let user = require_user(caller)?;
    let reference = reference.trim();
    if !may_name_something(reference) {
        return Ok(None);
    }
    let tree = app.tree().await?;
    let workable = tree.reach(user, Role::can_triage);
    let mut tx = app.db.read().await?;
    let Some(s) = submissions::by_reference(&mut tx, reference, &workable).await? else {
        return Ok(None);
    };
    let unit = tree
        .all
        .iter()
        .find(|o| o.id == s.org_id)
        .map(|o| o.slug.clone())
        .unwrap_or_default();
    let region = root_of(&tree.nodes, &s.org_id);
    let template = template_choices(&mut tx, &region)
        .await?
        .into_iter()
        .next()
        .map(|t| t.id.into_string());
    Ok(Some(Prefill {
        title: s.title,
        description: s.description,
        unit,
        template,
    }))
}

/// Opens a case; returns its id and diarienummer.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn open(app: &App, caller: &Caller, input: &OpenInput) -> Result<(CaseId, String)> {
    let mut tx = app.db.write().await?;
    let opened = open_in(&mut tx, caller, input).await?;
    // A handler named by someone else hears of it (the handler was checked by `open_in`).
    if let (Some(user), Some(h)) = (caller.user(), opt(&input.handler))
        && h != user.id.as_str()
        && let Some(staff) = crate::notify::staff_by_id(&mut tx, &UserId::from(h)).await?
        && let Some(row) = cases::by_id(&mut tx, &opened.0).await?
    {
        let page = format!("/arenden/{}", opened.0.as_str());
        crate::notify::to_staff(
            &mut tx,
            &app.config.public_url,
            &staff,
            domain::jobs::MailKind::Assigned,
            ("case", opened.0.as_str(), &row.org_id),
            (&opened.1, &row.title, &page),
            serde_json::json!({ "by": user.name }),
        )
        .await?;
    }
    tx.commit().await?;
    // The submitters who left an address have a mail waiting (`open_in`).
    app.wake_jobs();
    tracing::info!(reference = opened.1, "case opened");
    Ok(opened)
}

/// Opens a case in the caller's transaction (which may write what the case came from).
pub(crate) async fn open_in(
    tx: &mut Tx,
    caller: &Caller,
    input: &OpenInput,
) -> Result<(CaseId, String)> {
    let user = require_user(caller)?;
    let mut errors = FieldErrors::new();
    let title = errors.take(TITLE.parse_required(&input.title));
    let public_title = errors.take(PUBLIC_TITLE.parse(&input.public_title));
    let description = errors.take(DESCRIPTION.parse_required(&input.description));
    // The tree as this transaction sees it, not the node's: campaign forwarding opens cases
    // inside its own transaction.
    let tree = Tree::read(tx).await?;
    let (all, nodes) = (tree.all, tree.nodes);
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
        .as_ref()
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
    let visible: Vec<OrgId> = region_ids
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
                if s.status != SubmissionStatus::Accepted {
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
    let id = CaseId::from(store::new_id());
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
            handler_id: handler_id.as_ref(),
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
                subject_id: s.id.as_str(),
                org_id: Some(&s.org_id),
                payload: serde_json::json!({ "case_id": id, "case_reference": reference }),
            },
        )
        .await?;
        crate::notify::to_submitter(
            tx,
            &s.id,
            domain::jobs::MailKind::CaseOpened,
            serde_json::json!({ "case_reference": reference }),
        )
        .await?;
    }
    events::append(
        tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "case.opened",
            subject_type: "case",
            subject_id: id.as_str(),
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
