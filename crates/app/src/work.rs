//! "Mitt arbete": what waits for the signed-in person, by what they hold: submissions to
//! triage, gates waiting for their decision, checklist steps assigned to their function,
//! the workshops they run, the cases they handle or work in, and the cases they follow
//! read-only because their steps or path name a role they hold (procurement).
//!
//! Every list is bounded: the candidates are the newest active cases the caller reaches
//! ([`CANDIDATES`]), and only those with a step for the caller are replayed.

use domain::id::{OrgId, TemplateId};
use std::collections::HashMap;

use crate::access::{follows_case, require_user};
use crate::cases::{LIST_LIMIT, load_for_list, parse_template_row};
use crate::error::Result;
use crate::{App, Caller};
use domain::case::CaseStatus;
use domain::process::Template;
use domain::role::Role;
use store::campaigns::{self, CampaignRow};
use store::cases::{self, CaseRow};
use store::processes;
use store::submissions::{self, SubmissionRow};

/// Most active cases read to find the gates and steps that wait.
pub const CANDIDATES: i64 = 200;
/// Most rows a section shows.
pub const SHOWN: usize = 20;

/// A case whose current phase ends in a gate the caller holds the mandate for.
pub struct GateWaiting {
    pub case: CaseRow,
    pub phase_name: String,
    pub phase_name_en: Option<String>,
    pub gate_name: String,
    pub gate_name_en: Option<String>,
}

/// A step of a case's current phase assigned to a function the caller fills, with items
/// still open.
pub struct StepWaiting {
    pub case: CaseRow,
    pub step_name: String,
    pub step_name_en: Option<String>,
    pub function_name: String,
    pub function_name_en: Option<String>,
    pub open_items: usize,
    pub items: usize,
}

pub struct MyWork {
    /// New submissions waiting for triage, when the caller triages: the newest and the count.
    pub triage: Option<(Vec<SubmissionRow>, i64)>,
    pub gates: Vec<GateWaiting>,
    pub steps: Vec<StepWaiting>,
    pub workshops: Vec<CampaignRow>,
    /// Active cases the caller handles or works in.
    pub cases: Vec<CaseRow>,
    /// Active cases the caller follows read-only (their steps or path name its role).
    pub following: Vec<CaseRow>,
    /// May open the board of cases and the inbox.
    pub has_inbox: bool,
    pub may_facilitate: bool,
}

impl MyWork {
    /// Whether nothing waits at all (the page then says so and offers a way on).
    pub fn is_empty(&self) -> bool {
        self.triage.as_ref().is_none_or(|(_, n)| *n == 0)
            && self.gates.is_empty()
            && self.steps.is_empty()
            && self.workshops.is_empty()
            && self.cases.is_empty()
            && self.following.is_empty()
    }
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn my_work(app: &App, caller: &Caller) -> Result<MyWork> {
    let user = require_user(caller)?;
    let tree = app.tree().await?;
    let mut tx = app.db.read().await?;

    let triagers = tree.reach(user, Role::can_triage);
    let triage = if triagers.is_empty() {
        None
    } else {
        let (rows, total) = submissions::list(
            &mut tx,
            &submissions::Filter {
                org_ids: triagers,
                status: Some("new".into()),
                limit: 5,
                ..Default::default()
            },
        )
        .await?;
        Some((rows, total))
    };

    // The cases the caller works: handled by them or in their working group.
    let everywhere: Vec<OrgId> = tree.all.iter().map(|o| o.id.clone()).collect();
    let mine = cases::list(
        &mut tx,
        &cases::Filter {
            org_ids: everywhere,
            involving: Some(user.id.clone()),
            status: Some(CaseStatus::Active.as_str().into()),
            limit: LIST_LIMIT,
            ..Default::default()
        },
    )
    .await?;

    // The active cases anywhere the caller holds a role: where gates and steps may wait.
    let reached = tree.reach(user, |_| true);
    let mut candidates = cases::list(
        &mut tx,
        &cases::Filter {
            org_ids: reached,
            status: Some(CaseStatus::Active.as_str().into()),
            limit: CANDIDATES,
            ..Default::default()
        },
    )
    .await?;
    for c in &mine {
        if !candidates.iter().any(|x| x.id == c.id) {
            candidates.push(c.clone());
        }
    }

    let mut templates: HashMap<TemplateId, Template> = HashMap::new();
    let mut gates = Vec::new();
    let mut steps = Vec::new();
    let mut following = Vec::new();
    for row in candidates {
        if !templates.contains_key(&row.template_id) {
            let Some(trow) = processes::by_id(&mut tx, &row.template_id).await? else {
                continue;
            };
            templates.insert(row.template_id.clone(), parse_template_row(&trow)?);
        }
        let Some(t) = templates.get(&row.template_id) else {
            continue;
        };
        let Some(phase) = t.phase(&row.phase_key) else {
            continue;
        };
        let mandate = tree.mandate(user, &row.org_id);
        if mandate.contains(&phase.gate.role) && gates.len() < SHOWN {
            gates.push(GateWaiting {
                case: row.clone(),
                phase_name: phase.name.clone(),
                phase_name_en: phase.name_en.clone(),
                gate_name: phase.gate.name.clone(),
                gate_name_en: phase.gate.name_en.clone(),
            });
        }
        let vagval = row.vagval;
        let is_mine = mine.iter().any(|m| m.id == row.id);
        let follows = follows_case(&tree, user, &row.org_id, &t.roles_on_steps(vagval));
        if follows && !is_mine && !tree.reach(user, Role::can_read_inbox).contains(&row.org_id) {
            following.push(row.clone());
        }
        // The steps of the current phase (with the path's) assigned to a function the
        // caller fills: by a role the function names, or by being in the working group in it.
        let path_steps = t
            .paths
            .iter()
            .filter(|p| Some(p.vagval) == vagval)
            .flat_map(|p| {
                p.steps
                    .iter()
                    .filter(|(ph, _)| *ph == phase.key)
                    .map(|(_, s)| s)
            });
        let assigned: Vec<_> = phase
            .steps
            .iter()
            .chain(path_steps)
            .filter(|s| {
                t.role_of_step(s).is_some_and(|r| mandate.contains(&r))
                    || is_mine && s.function.is_some()
            })
            .collect();
        if assigned.is_empty() || steps.len() >= SHOWN {
            continue;
        }
        // Replayed only now: the ticks, and the working group's functions.
        let l = load_for_list(&mut tx, &tree, user, &row.id).await?;
        let my_functions: Vec<&str> = l
            .members
            .iter()
            .filter(|m| m.user_id.as_ref() == Some(&user.id))
            .map(|m| m.function_key.as_str())
            .collect();
        for s in assigned {
            let by_role = t.role_of_step(s).is_some_and(|r| mandate.contains(&r));
            let by_group = s
                .function
                .as_deref()
                .is_some_and(|f| my_functions.contains(&f));
            if !by_role && !by_group {
                continue;
            }
            let open = s
                .items
                .iter()
                .filter(|i| !l.state.ticked.contains_key(&(s.key.clone(), i.key.clone())))
                .count();
            if open == 0 {
                continue;
            }
            let function = s.function.as_deref().and_then(|f| t.function(f));
            steps.push(StepWaiting {
                case: row.clone(),
                step_name: s.name.clone(),
                step_name_en: s.name_en.clone(),
                function_name: function.map(|f| f.name.clone()).unwrap_or_default(),
                function_name_en: function.and_then(|f| f.name_en.clone()),
                open_items: open,
                items: s.items.len(),
            });
        }
    }

    let workshops = campaigns::run_by(&mut tx, &user.id, SHOWN as i64).await?;
    let may_facilitate = user
        .memberships
        .iter()
        .any(|(_, r)| crate::campaigns::may_facilitate(r));
    let mut cases = mine;
    cases.truncate(SHOWN);
    following.truncate(SHOWN);
    Ok(MyWork {
        triage,
        gates,
        steps,
        workshops,
        cases,
        following,
        has_inbox: crate::access::has_inbox(caller),
        may_facilitate,
    })
}
