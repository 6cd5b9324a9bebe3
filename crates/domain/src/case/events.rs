//! What a case records: each [`CaseEvent`] of the log (and the [`GateDecision`] it may
//! carry), and how events fold into state: [`CaseState::apply`] one at a time,
//! [`CaseState::replay`] a whole log.

use super::{CaseError, CaseState, CaseStatus, Handover, Measure, Tick};
use crate::id::OrgId;
use crate::process::{Template, Vagval};
use crate::role::Role;

crate::submission::string_enum!(
    /// What a gate decides.
    GateDecision { Proceed => "proceed", Hold => "hold", SendBack => "send_back", Close => "close" }
);

/// One change to a case, as recorded in the event log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CaseEvent {
    Ticked {
        step: String,
        item: String,
        by: String,
        note: Option<String>,
    },
    Unticked {
        step: String,
        item: String,
        by: String,
    },
    PathChosen {
        vagval: Vagval,
        by: String,
        rationale: String,
    },
    GateDecided {
        phase: String,
        decision: GateDecision,
        by: String,
        /// The mandate the decision was taken under (the gate's role).
        role: Role,
        rationale: String,
        /// Given when required items were open; those items are listed beside it.
        override_reason: Option<String>,
        open_items: Vec<(String, String)>,
    },
    /// A unit took the solution into use.
    Adopted { org_id: OrgId, by: String },
    /// A benefit measure: what is measured, in which unit, before and after.
    MeasureRecorded {
        name: String,
        unit: String,
        before: String,
        after: String,
        by: String,
    },
    /// The solution was handed over to ordinary operations (out of the project trap).
    HandoverRecorded {
        receiver: String,
        note: String,
        by: String,
    },
}

impl CaseEvent {
    /// The event kind in the log.
    pub fn kind(&self) -> &'static str {
        match self {
            CaseEvent::Ticked { .. } => "case.item_ticked",
            CaseEvent::Unticked { .. } => "case.item_unticked",
            CaseEvent::PathChosen { .. } => "case.path_chosen",
            CaseEvent::GateDecided { .. } => "case.gate_decided",
            CaseEvent::Adopted { .. } => "case.adopted",
            CaseEvent::MeasureRecorded { .. } => "case.measure_recorded",
            CaseEvent::HandoverRecorded { .. } => "case.handover_recorded",
        }
    }
}

impl CaseState {
    /// Rebuilds a case from its events.
    pub fn replay<'a>(
        t: &Template,
        events: impl IntoIterator<Item = &'a CaseEvent>,
    ) -> Result<Self, CaseError> {
        let mut s = Self::new();
        for e in events {
            s.apply(t, e)?;
        }
        Ok(s)
    }

    /// Applies one event after checking it.
    pub fn apply(&mut self, t: &Template, e: &CaseEvent) -> Result<(), CaseError> {
        self.check(t, e)?;
        match e {
            CaseEvent::Ticked {
                step,
                item,
                by,
                note,
            } => {
                self.ticked.insert(
                    (step.clone(), item.clone()),
                    Tick {
                        by: by.clone(),
                        note: note.clone(),
                    },
                );
            }
            CaseEvent::Unticked { step, item, .. } => {
                self.ticked.remove(&(step.clone(), item.clone()));
            }
            CaseEvent::PathChosen { vagval, .. } => self.vagval = Some(*vagval),
            CaseEvent::GateDecided { decision, .. } => {
                match decision {
                    GateDecision::Proceed if self.phase + 1 == t.phases.len() => {
                        self.status = CaseStatus::Completed
                    }
                    GateDecision::Proceed => self.phase += 1,
                    GateDecision::Hold => {}
                    GateDecision::SendBack => self.phase -= 1,
                    GateDecision::Close => self.status = CaseStatus::Closed,
                }
                self.decisions.push(e.clone());
            }
            CaseEvent::Adopted { org_id, .. } => self.adopted.push(org_id.clone()),
            CaseEvent::MeasureRecorded {
                name,
                unit,
                before,
                after,
                ..
            } => self.measures.push(Measure {
                name: name.clone(),
                unit: unit.clone(),
                before: before.clone(),
                after: after.clone(),
            }),
            CaseEvent::HandoverRecorded { receiver, note, by } => {
                self.handover = Some(Handover {
                    receiver: receiver.clone(),
                    note: note.clone(),
                    by: by.clone(),
                })
            }
        }
        Ok(())
    }
}
