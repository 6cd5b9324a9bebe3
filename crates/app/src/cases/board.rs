//! Lists of cases for those who work them: the board by template and phase, "my cases"
//! (handled or in the working group), and the steps past their due date.

use super::replay::{due_list, load};
use super::{LIST_LIMIT, parse_stored};
use crate::access::{TRIAGE_ROLES, require_user};
use crate::error::Result;
use crate::inbox::opt;
use crate::{App, AppError, Caller};
use domain::case::CaseStatus;
use domain::id::UserId;
use domain::process::Vagval;
use domain::role::Role;
use domain::text::filter_text;
use domain::time::Timestamp;
use domain::{ErrorCode, FieldErrors};
use serde::Deserialize;
use store::cases::{self, CaseRow};
use store::orgs::OrgRow;
use store::processes::{self, TemplateRow};
use store::users::{self, Colleague};

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
    /// The phase's English name, where the template gives one.
    pub name_en: Option<String>,
    pub cases: Vec<CaseRow>,
}

pub struct Lane {
    pub template: TemplateRow,
    /// The template's English name, where it gives one.
    pub name_en: Option<String>,
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
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn board(app: &App, caller: &Caller, q: &BoardQuery, mine: bool) -> Result<Board> {
    let user = require_user(caller)?;
    let tree = app.tree().await?;
    let all = &tree.all;
    let mut tx = app.db.read().await?;
    let visible = tree.reach(user, Role::can_read_inbox);
    if visible.is_empty() && !mine {
        return Err(AppError::Forbidden);
    }
    let mut errors = FieldErrors::new();
    let unit = crate::inbox::unit_filter(&mut errors, all, &visible, &q.unit);
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
            h => h.map(UserId::from),
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
                    name_en: t.name_en.clone(),
                    columns: t
                        .phases
                        .iter()
                        .map(|p| Column {
                            phase_key: p.key.clone(),
                            name: p.name.clone(),
                            name_en: p.name_en.clone(),
                            cases: Vec::new(),
                        })
                        .collect(),
                    finished: Vec::new(),
                });
                let last = lanes.len() - 1;
                &mut lanes[last]
            }
        };
        if row.status != CaseStatus::Active {
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
            .iter()
            .filter(|o| visible.contains(&o.id))
            .cloned()
            .collect(),
        colleagues,
        now,
    })
}

/// One overdue step of an active case.
pub struct OverdueStep {
    pub case: CaseRow,
    pub phase_name: String,
    pub phase_name_en: Option<String>,
    pub step_name: String,
    pub step_name_en: Option<String>,
    pub due: Timestamp,
}

/// Steps past their due date in the active cases the caller may see, oldest first.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn overdue(app: &App, caller: &Caller) -> Result<Vec<OverdueStep>> {
    let user = require_user(caller)?;
    let tree = app.tree().await?;
    let mut tx = app.db.read().await?;
    let visible = tree.reach(user, Role::can_read_inbox);
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
        let l = load(&mut tx, &tree, user, &row.id).await?;
        let started = Timestamp::parse_db(&row.phase_started_at).unwrap_or(now);
        let phase = &l.template.phases[l.state.phase];
        for (step_key, due, done) in due_list(&l.template, &l.state, started) {
            if !done && due < now {
                let step = l
                    .state
                    .steps(&l.template, l.state.phase)
                    .into_iter()
                    .find(|s| s.key == step_key);
                out.push(OverdueStep {
                    case: row.clone(),
                    phase_name: phase.name.clone(),
                    phase_name_en: phase.name_en.clone(),
                    step_name: step.map(|s| s.name.clone()).unwrap_or(step_key),
                    step_name_en: step.and_then(|s| s.name_en.clone()),
                    due,
                });
            }
        }
    }
    out.sort_by_key(|o| o.due);
    Ok(out)
}
