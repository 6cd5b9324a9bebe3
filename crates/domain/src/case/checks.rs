//! The rules of a case: whether an event may be applied to the state as it is, the same
//! check for a new change and on replay, and [`CaseError`], why a change was refused.

use super::{CaseEvent, CaseState, CaseStatus, GateDecision};
use crate::process::{Template, Vagval};
use crate::role::Role;

/// Why a change was refused; nothing changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseError {
    NotActive,
    UnknownItem,
    AlreadyTicked,
    NotTicked,
    /// The decider does not hold the gate's role.
    NoMandate {
        needed: Role,
    },
    /// Required items are open and no override reason was given.
    OpenRequiredItems(Vec<(String, String)>),
    RationaleRequired,
    /// The path is chosen in another phase, or the template has no such path.
    PathNotHere,
    PathAlreadyChosen,
    /// The vägval phase cannot be passed before a path is chosen.
    PathRequired,
    /// The chosen path ends the case: only "close" is possible.
    PathEndsCase,
    /// The first phase has nothing to send back to.
    NothingBefore,
    /// An event names a phase other than the current one (a stale or forged event).
    WrongPhase,
    /// The gate needs the handover to ordinary operations on record first.
    HandoverRequired,
    /// The unit is already recorded as adopting the solution.
    AlreadyAdopted,
    /// A field is empty, too long, or not a number where one is needed.
    Invalid(&'static str),
}

impl CaseState {
    pub(super) fn active(&self) -> Result<(), CaseError> {
        if self.status == CaseStatus::Active {
            Ok(())
        } else {
            Err(CaseError::NotActive)
        }
    }

    fn item_exists(&self, t: &Template, step: &str, item: &str) -> bool {
        self.steps(t, self.phase)
            .iter()
            .any(|s| s.key == step && s.items.iter().any(|i| i.key == item))
    }

    /// Whether an event may be applied now. The same rules hold on replay, so a log that
    /// was written through these checks always replays.
    pub(super) fn check(&self, t: &Template, e: &CaseEvent) -> Result<(), CaseError> {
        self.active()?;
        match e {
            CaseEvent::Ticked { step, item, .. } => {
                if !self.item_exists(t, step, item) {
                    return Err(CaseError::UnknownItem);
                }
                if self.ticked.contains_key(&(step.clone(), item.clone())) {
                    return Err(CaseError::AlreadyTicked);
                }
            }
            CaseEvent::Unticked { step, item, .. } => {
                if !self.ticked.contains_key(&(step.clone(), item.clone())) {
                    return Err(CaseError::NotTicked);
                }
            }
            CaseEvent::PathChosen { vagval, .. } => {
                if self.vagval.is_some() {
                    return Err(CaseError::PathAlreadyChosen);
                }
                let here = t.vagval_phase.as_deref() == Some(t.phases[self.phase].key.as_str());
                if !here || !t.paths.iter().any(|p| p.vagval == *vagval) {
                    return Err(CaseError::PathNotHere);
                }
            }
            CaseEvent::GateDecided {
                phase,
                decision,
                override_reason,
                open_items,
                role,
                ..
            } => {
                let current = &t.phases[self.phase];
                if *phase != current.key {
                    return Err(CaseError::WrongPhase);
                }
                if *role != current.gate.role {
                    return Err(CaseError::NoMandate {
                        needed: current.gate.role,
                    });
                }
                match decision {
                    GateDecision::Proceed => {
                        let open = self.open_required(t);
                        if !open.is_empty() && (override_reason.is_none() || *open_items != open) {
                            return Err(CaseError::OpenRequiredItems(open));
                        }
                        if t.vagval_phase.as_deref() == Some(current.key.as_str()) {
                            match self.vagval {
                                None => return Err(CaseError::PathRequired),
                                Some(Vagval::NotInnovation | Vagval::Close) => {
                                    return Err(CaseError::PathEndsCase);
                                }
                                Some(_) => {}
                            }
                        }
                    }
                    GateDecision::SendBack if self.phase == 0 => {
                        return Err(CaseError::NothingBefore);
                    }
                    _ => {}
                }
                if *decision == GateDecision::Proceed
                    && current.gate.requires_handover
                    && self.handover.is_none()
                {
                    return Err(CaseError::HandoverRequired);
                }
            }
            CaseEvent::Adopted { org_id, .. } => {
                if self.adopted.contains(org_id) {
                    return Err(CaseError::AlreadyAdopted);
                }
            }
            CaseEvent::MeasureRecorded { .. } | CaseEvent::HandoverRecorded { .. } => {}
        }
        Ok(())
    }
}
