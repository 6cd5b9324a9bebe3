//! A case as its page and the API show it: the replayed state, the caller's rights on it
//! and the due dates of the current phase, and its audit trail.

use super::replay::{due_list, load};
use crate::access::{TRIAGE_ROLES, require_user};
use crate::error::Result;
use crate::{App, Caller};
use domain::case::{CaseState, CaseStatus};
use domain::id::{CaseId, OrgId};
use domain::process::Template;
use domain::role::Role;
use domain::time::Timestamp;
use store::cases::{self, CaseRow, LinkedSubmission, MemberRow};
use store::events::EventRow;
use store::orgs::OrgRow;
use store::users::{self, Colleague};

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
    /// The case's attachments, oldest first.
    pub attachments: Vec<store::attachments::AttachmentRow>,
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

    pub fn unit_name(&self, id: &OrgId) -> String {
        self.units
            .iter()
            .find(|o| o.id == *id)
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

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn view(app: &App, caller: &Caller, id: &CaseId) -> Result<CaseView> {
    let user = require_user(caller)?;
    let tree = app.tree().await?;
    let mut tx = app.db.read().await?;
    let l = load(&mut tx, &tree, user, id).await?;
    let in_region = tree.region_of(&l.row.org_id);
    let colleagues = users::with_roles_in(&mut tx, &in_region, &TRIAGE_ROLES).await?;
    let submissions = cases::submissions_of(&mut tx, &l.row.id).await?;
    let attachments = store::attachments::of_owner(
        &mut tx,
        domain::attachment::OwnerKind::Case,
        l.row.id.as_str(),
    )
    .await?;
    let started = Timestamp::parse_db(&l.row.phase_started_at).unwrap_or_else(Timestamp::now);
    let due = due_list(&l.template, &l.state, started);
    let units = tree
        .all
        .iter()
        .filter(|o| in_region.contains(&o.id))
        .cloned()
        .collect();
    Ok(CaseView {
        attachments,
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
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn events_of(app: &App, caller: &Caller, id: &CaseId) -> Result<Vec<EventRow>> {
    let user = require_user(caller)?;
    let tree = app.tree().await?;
    let mut tx = app.db.read().await?;
    Ok(load(&mut tx, &tree, user, id).await?.events)
}
