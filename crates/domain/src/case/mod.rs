//! A case (ärende) walking its process template: which phase it is in, which checklist
//! items are ticked, which path was chosen, and every gate decision. Pure and replayable:
//! each change is first checked into a [`CaseEvent`], and [`CaseState::apply`] folds events
//! into state, so the event log alone rebuilds the case.
//!
//! Rules: a phase changes only through its gate, one phase at a time; a gate is decided
//! only by someone holding the gate's role; passing a gate with open required items needs
//! an override reason, which is kept on the record; every decision has a rationale.

mod changes;
mod checks;
mod events;
mod state;
#[cfg(test)]
mod tests;

pub use checks::CaseError;
pub use events::{CaseEvent, GateDecision};
pub use state::{CaseState, CaseStatus, Handover, Measure, ResultKind, Tick};
