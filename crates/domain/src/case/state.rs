//! The state of a case as its events leave it: the phase and status, the ticked items,
//! the chosen path, the gate decisions, adoptions, measures and the handover; and the
//! reads on it (the steps of a phase, the required items still open).

use std::collections::BTreeMap;

use super::CaseEvent;
use crate::id::OrgId;
use crate::process::{Step, Template, Vagval};

crate::submission::string_enum!(
    CaseStatus { Active => "active", Closed => "closed", Completed => "completed" }
);

crate::submission::string_enum!(
    /// The parts of a case's result put on record before its last gate: a unit that
    /// adopted the solution, a benefit measure (before and after), the handover.
    ResultKind { Adopt => "adopt", Measure => "measure", Handover => "handover" }
);

/// A benefit measure on record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measure {
    pub name: String,
    pub unit: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handover {
    pub receiver: String,
    pub note: String,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    pub by: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseState {
    pub phase: usize,
    pub status: CaseStatus,
    /// (step key, item key) → who ticked it.
    pub ticked: BTreeMap<(String, String), Tick>,
    pub vagval: Option<Vagval>,
    /// Gate decisions in order, overrides included.
    pub decisions: Vec<CaseEvent>,
    /// Units that adopted the solution, by organisation id.
    pub adopted: Vec<OrgId>,
    pub measures: Vec<Measure>,
    pub handover: Option<Handover>,
}

impl Default for CaseState {
    fn default() -> Self {
        Self::new()
    }
}

impl CaseState {
    pub fn new() -> Self {
        Self {
            phase: 0,
            status: CaseStatus::Active,
            ticked: BTreeMap::new(),
            vagval: None,
            decisions: Vec::new(),
            adopted: Vec::new(),
            measures: Vec::new(),
            handover: None,
        }
    }

    /// The steps of a phase: the template's, then those the chosen path adds.
    pub fn steps<'t>(&self, t: &'t Template, phase: usize) -> Vec<&'t Step> {
        let Some(p) = t.phases.get(phase) else {
            return Vec::new();
        };
        let mut steps: Vec<&Step> = p.steps.iter().collect();
        if let Some(v) = self.vagval
            && let Some(path) = t.paths.iter().find(|x| x.vagval == v)
        {
            steps.extend(
                path.steps
                    .iter()
                    .filter(|(ph, _)| *ph == p.key)
                    .map(|(_, s)| s),
            );
        }
        steps
    }

    /// Required items of the current phase that are not ticked.
    pub fn open_required(&self, t: &Template) -> Vec<(String, String)> {
        self.steps(t, self.phase)
            .into_iter()
            .flat_map(|s| {
                s.items
                    .iter()
                    .filter(|i| i.required)
                    .map(move |i| (s.key.clone(), i.key.clone()))
            })
            .filter(|k| !self.ticked.contains_key(k))
            .collect()
    }
}
