//! The changes a person makes to a case (tick, untick, choose the path, decide a gate,
//! adopt, measure, hand over): each input cleaned and checked into a [`CaseEvent`] that
//! is not yet applied.

use super::{CaseError, CaseEvent, CaseState, GateDecision};
use crate::id::OrgId;
use crate::process::{Template, Vagval};
use crate::role::Role;

const MAX_TEXT: usize = 4000;

fn text(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty() && t.chars().count() <= MAX_TEXT && !crate::text::looks_like_markup(t))
        .then(|| t.to_string())
}

/// A number as typed (`12`, `-3,5`, `4.25`), normalised to a decimal point.
fn number(s: &str) -> Option<String> {
    let t = s.trim().replace(',', ".").replace(' ', "");
    let ok = !t.is_empty()
        && t.len() <= 20
        && t.parse::<f64>().is_ok_and(f64::is_finite)
        && t.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-');
    ok.then_some(t)
}

impl CaseState {
    pub fn tick(
        &self,
        t: &Template,
        step: &str,
        item: &str,
        by: &str,
        note: &str,
    ) -> Result<CaseEvent, CaseError> {
        let e = CaseEvent::Ticked {
            step: step.into(),
            item: item.into(),
            by: by.into(),
            note: text(note),
        };
        self.check(t, &e)?;
        Ok(e)
    }

    pub fn untick(
        &self,
        t: &Template,
        step: &str,
        item: &str,
        by: &str,
    ) -> Result<CaseEvent, CaseError> {
        let e = CaseEvent::Unticked {
            step: step.into(),
            item: item.into(),
            by: by.into(),
        };
        self.check(t, &e)?;
        Ok(e)
    }

    /// Chooses the path; needs the mandate of the vägval phase's gate.
    pub fn choose_path(
        &self,
        t: &Template,
        vagval: Vagval,
        by: &str,
        roles: &[Role],
        rationale: &str,
    ) -> Result<CaseEvent, CaseError> {
        self.active()?;
        let gate_role = t.phases[self.phase].gate.role;
        if !roles.contains(&gate_role) {
            return Err(CaseError::NoMandate { needed: gate_role });
        }
        let rationale = text(rationale).ok_or(CaseError::RationaleRequired)?;
        let e = CaseEvent::PathChosen {
            vagval,
            by: by.into(),
            rationale,
        };
        self.check(t, &e)?;
        Ok(e)
    }

    /// Decides the current phase's gate.
    pub fn decide(
        &self,
        t: &Template,
        decision: GateDecision,
        by: &str,
        roles: &[Role],
        rationale: &str,
        override_reason: &str,
    ) -> Result<CaseEvent, CaseError> {
        self.active()?;
        let phase = &t.phases[self.phase];
        if !roles.contains(&phase.gate.role) {
            return Err(CaseError::NoMandate {
                needed: phase.gate.role,
            });
        }
        let rationale = text(rationale).ok_or(CaseError::RationaleRequired)?;
        let open = if decision == GateDecision::Proceed {
            self.open_required(t)
        } else {
            Vec::new()
        };
        let override_reason = if open.is_empty() {
            None
        } else {
            Some(text(override_reason).ok_or_else(|| CaseError::OpenRequiredItems(open.clone()))?)
        };
        let e = CaseEvent::GateDecided {
            phase: phase.key.clone(),
            decision,
            by: by.into(),
            role: phase.gate.role,
            rationale,
            override_reason,
            open_items: open,
        };
        self.check(t, &e)?;
        Ok(e)
    }

    /// Records that a unit adopted the solution; the caller checks the unit exists.
    pub fn adopt(&self, t: &Template, org_id: &OrgId, by: &str) -> Result<CaseEvent, CaseError> {
        let e = CaseEvent::Adopted {
            org_id: org_id.clone(),
            by: by.into(),
        };
        self.check(t, &e)?;
        Ok(e)
    }

    /// Records a benefit measure; before and after are numbers (a decimal comma is fine).
    pub fn measure(
        &self,
        t: &Template,
        name: &str,
        unit: &str,
        before: &str,
        after: &str,
        by: &str,
    ) -> Result<CaseEvent, CaseError> {
        let short = |s: &str, field: &'static str, max: usize| {
            text(s)
                .filter(|v| v.chars().count() <= max)
                .ok_or(CaseError::Invalid(field))
        };
        let e = CaseEvent::MeasureRecorded {
            name: short(name, "name", 200)?,
            unit: short(unit, "unit", 40)?,
            before: number(before).ok_or(CaseError::Invalid("before"))?,
            after: number(after).ok_or(CaseError::Invalid("after"))?,
            by: by.into(),
        };
        self.check(t, &e)?;
        Ok(e)
    }

    /// Records the handover to ordinary operations: who received it, and how.
    pub fn hand_over(
        &self,
        t: &Template,
        receiver: &str,
        note: &str,
        by: &str,
    ) -> Result<CaseEvent, CaseError> {
        let e = CaseEvent::HandoverRecorded {
            receiver: text(receiver)
                .filter(|v| v.chars().count() <= 200)
                .ok_or(CaseError::Invalid("receiver"))?,
            note: text(note).ok_or(CaseError::Invalid("note"))?,
            by: by.into(),
        };
        self.check(t, &e)?;
        Ok(e)
    }
}
