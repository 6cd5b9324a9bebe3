//! Deciding a case: the gate at the end of each phase, the vägval (the path the case
//! takes), and the result (adopting units, benefit measures, the handover).

use super::replay::{Loaded, case_error, for_handling, load, record};
use super::{OVERRIDE, RATIONALE, choice};
use crate::access::{Tree, require_user};
use crate::error::Result;
use crate::{App, AppError, Caller, CurrentUser};
use domain::case::{CaseState, CaseStatus, GateDecision, ResultKind};
use domain::id::CaseId;
use domain::process::Vagval;
use domain::text::TextRule;
use domain::{ErrorCode, FieldErrors};
use serde::Deserialize;
use std::sync::Arc;
use store::Tx;

/// Loads an active case for a decision at its current gate; refuses someone without the
/// gate's mandate before looking at their input, so that they learn that first.
async fn for_decision(
    tx: &mut Tx,
    tree: &Arc<Tree>,
    user: &CurrentUser,
    id: &CaseId,
) -> Result<Loaded> {
    let l = load(tx, tree, user, id).await?;
    if l.state.status != CaseStatus::Active {
        return Err(AppError::Conflict(crate::Conflict::CaseNotActive));
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
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn decide(
    app: &App,
    caller: &Caller,
    id: &CaseId,
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
    let tree = app.tree().await?;
    let mut tx = app.db.write().await?;
    let l = for_decision(&mut tx, &tree, user, id).await?;
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
            user.id.as_str(),
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
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn choose_path(
    app: &App,
    caller: &Caller,
    id: &CaseId,
    input: &PathInput,
) -> Result<CaseState> {
    let user = require_user(caller)?;
    let mut errors = FieldErrors::new();
    let vagval = choice(&mut errors, "vagval", &input.vagval, Vagval::parse);
    let rationale = errors.take(RATIONALE.parse_required(&input.rationale));
    let tree = app.tree().await?;
    let mut tx = app.db.write().await?;
    let l = for_decision(&mut tx, &tree, user, id).await?;
    let (Some(vagval), Some(rationale)) = (vagval, rationale) else {
        return Err(AppError::Validation(errors));
    };
    if !l.template.paths.iter().any(|p| p.vagval == vagval) {
        return Err(AppError::field("vagval", ErrorCode::InvalidChoice));
    }
    let e = l
        .state
        .choose_path(
            &l.template,
            vagval,
            user.id.as_str(),
            &l.mandate,
            &rationale,
        )
        .map_err(case_error)?;
    let s = record(&mut tx, caller, &l, e).await?;
    tx.commit().await?;
    Ok(s)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResultInput {
    /// Which part of the result; none (an unknown kind at the edge) is refused at `kind`.
    pub kind: Option<ResultKind>,
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
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn record_result(
    app: &App,
    caller: &Caller,
    id: &CaseId,
    input: &ResultInput,
) -> Result<CaseState> {
    let user = require_user(caller)?;
    let tree = app.tree().await?;
    let mut tx = app.db.write().await?;
    let l = for_handling(&mut tx, &tree, user, id).await?;
    let kind = input
        .kind
        .ok_or_else(|| AppError::field("kind", ErrorCode::InvalidChoice))?;
    let e = match kind {
        ResultKind::Adopt => {
            let region = l.tree.region_of(&l.row.org_id);
            let unit = l
                .tree
                .all
                .iter()
                .find(|o| o.slug == input.unit.trim() && region.contains(&o.id))
                .ok_or_else(|| AppError::field("unit", ErrorCode::UnknownOrganisation))?;
            l.state.adopt(&l.template, &unit.id, user.id.as_str())
        }
        ResultKind::Measure => {
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
                user.id.as_str(),
            )
        }
        ResultKind::Handover => {
            let mut errors = FieldErrors::new();
            errors.take(TextRule::line("receiver", 2, 200).parse_required(&input.receiver));
            errors.take(TextRule::paragraph("note", 3, 4000).parse_required(&input.note));
            if !errors.is_empty() {
                return Err(AppError::Validation(errors));
            }
            l.state
                .hand_over(&l.template, &input.receiver, &input.note, user.id.as_str())
        }
    }
    .map_err(case_error)?;
    let s = record(&mut tx, caller, &l, e).await?;
    tx.commit().await?;
    Ok(s)
}
