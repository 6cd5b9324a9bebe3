//! A case (ärende) walking its process template: which phase it is in, which checklist
//! items are ticked, which path was chosen, and every gate decision. Pure and replayable:
//! each change is first checked into a [`CaseEvent`], and [`CaseState::apply`] folds events
//! into state, so the event log alone rebuilds the case.
//!
//! Rules: a phase changes only through its gate, one phase at a time; a gate is decided
//! only by someone holding the gate's role; passing a gate with open required items needs
//! an override reason, which is kept on the record; every decision has a rationale.

use std::collections::BTreeMap;

use crate::process::{Step, Template, Vagval};
use crate::role::Role;

crate::submission::string_enum!(
    /// What a gate decides.
    GateDecision { Proceed => "proceed", Hold => "hold", SendBack => "send_back", Close => "close" }
);

crate::submission::string_enum!(
    CaseStatus { Active => "active", Closed => "closed", Completed => "completed" }
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
    Adopted { org_id: String, by: String },
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
    pub adopted: Vec<String>,
    pub measures: Vec<Measure>,
    pub handover: Option<Handover>,
}

impl Default for CaseState {
    fn default() -> Self {
        Self::new()
    }
}

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

    fn active(&self) -> Result<(), CaseError> {
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
    pub fn adopt(&self, t: &Template, org_id: &str, by: &str) -> Result<CaseEvent, CaseError> {
        let e = CaseEvent::Adopted {
            org_id: org_id.into(),
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

    /// Whether an event may be applied now. The same rules hold on replay, so a log that
    /// was written through these checks always replays.
    fn check(&self, t: &Template, e: &CaseEvent) -> Result<(), CaseError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::{BUILT_IN, parse_template};

    fn template(i: usize) -> Template {
        parse_template(BUILT_IN[i].1).unwrap()
    }

    const DM: &[Role] = &[Role::DecisionMaker];

    fn tick_all(s: &mut CaseState, t: &Template) {
        for (step, item) in s.open_required(t) {
            let e = s.tick(t, &step, &item, "u1", "").unwrap();
            s.apply(t, &e).unwrap();
        }
    }

    #[test]
    fn a_case_walks_spelplanen_with_innovation_procurement() {
        let t = template(0);
        let mut s = CaseState::new();
        let mut log = Vec::new();
        let mut go = |s: &mut CaseState, e: CaseEvent| {
            s.apply(&t, &e).unwrap();
            log.push(e);
        };
        // Behovsanalys: the gate refuses while required items are open…
        let err = s
            .decide(
                &t,
                GateDecision::Proceed,
                "d1",
                DM,
                "Behovet är verifierat",
                "",
            )
            .unwrap_err();
        assert!(
            matches!(err, CaseError::OpenRequiredItems(ref open) if open.len() == 9),
            "{err:?}"
        );
        // …and without the mandate.
        assert_eq!(
            s.decide(&t, GateDecision::Proceed, "a1", &[Role::Advisor], "x", "")
                .unwrap_err(),
            CaseError::NoMandate {
                needed: Role::DecisionMaker
            }
        );
        for (step, item) in s.open_required(&t) {
            {
                let e = s.tick(&t, &step, &item, "a1", "klart").unwrap();
                go(&mut s, e);
            }
        }
        {
            let e = s
                .decide(
                    &t,
                    GateDecision::Proceed,
                    "d1",
                    DM,
                    "Behovet är verifierat",
                    "",
                )
                .unwrap();
            go(&mut s, e);
        }
        assert_eq!(s.phase, 1);
        // Planering och vägval: the path is needed before the gate.
        for (step, item) in s.open_required(&t) {
            {
                let e = s.tick(&t, &step, &item, "a1", "").unwrap();
                go(&mut s, e);
            }
        }
        assert_eq!(
            s.decide(&t, GateDecision::Proceed, "d1", DM, "Klart", "")
                .unwrap_err(),
            CaseError::PathRequired
        );
        let e = s
            .choose_path(
                &t,
                Vagval::InnovationProcurement,
                "d1",
                DM,
                "Ingen lösning finns; marknaden kan utveckla en",
            )
            .unwrap();
        go(&mut s, e);
        assert_eq!(
            s.choose_path(&t, Vagval::Testbed, "d1", DM, "x")
                .unwrap_err(),
            CaseError::PathAlreadyChosen
        );
        {
            let e = s
                .decide(&t, GateDecision::Proceed, "d1", DM, "Vägvalet är gjort", "")
                .unwrap();
            go(&mut s, e);
        }
        // Projektgenomförande now holds the path's step.
        let steps: Vec<&str> = s
            .steps(&t, s.phase)
            .iter()
            .map(|x| x.key.as_str())
            .collect();
        assert_eq!(steps, ["projektplan", "test", "innovationsupphandling"]);
        // Passing with open items needs an override, which is kept with the items it skipped.
        let open = s.open_required(&t);
        let e = s
            .decide(
                &t,
                GateDecision::Proceed,
                "d1",
                DM,
                "Vi går vidare",
                "Testet görs under införandet",
            )
            .unwrap();
        match &e {
            CaseEvent::GateDecided {
                override_reason,
                open_items,
                ..
            } => {
                assert_eq!(
                    override_reason.as_deref(),
                    Some("Testet görs under införandet")
                );
                assert_eq!(open_items, &open);
            }
            other => panic!("{other:?}"),
        }
        go(&mut s, e);
        assert_eq!(s.phase, 3);
        {
            let e = s
                .decide(
                    &t,
                    GateDecision::SendBack,
                    "d1",
                    DM,
                    "Testet måste göras först",
                    "",
                )
                .unwrap();
            go(&mut s, e);
        }
        assert_eq!(s.phase, 2);
        assert!(s.decisions.len() == 4);
        let replayed = CaseState::replay(&t, &log).unwrap();
        assert_eq!(replayed.phase, s.phase);
        assert_eq!(replayed.decisions, s.decisions);
    }

    /// The Resultat gate needs the handover on record, even with every item ticked and even
    /// with an override; measures are numbers, and a unit adopts once.
    #[test]
    fn the_last_gate_needs_the_handover() {
        let t = template(0);
        let mut s = CaseState::new();
        let path = s
            .choose_path(&t, Vagval::Testbed, "d1", DM, "x")
            .unwrap_err();
        assert_eq!(path, CaseError::PathNotHere);
        while s.phase + 1 < t.phases.len() {
            if s.phase == 1 {
                let e = s
                    .choose_path(&t, Vagval::Testbed, "d1", DM, "Testbädd")
                    .unwrap();
                s.apply(&t, &e).unwrap();
            }
            let e = s
                .decide(&t, GateDecision::Proceed, "d1", DM, "Vidare", "Skäl")
                .unwrap();
            s.apply(&t, &e).unwrap();
        }
        for (step, item) in s.open_required(&t) {
            let e = s.tick(&t, &step, &item, "a1", "").unwrap();
            s.apply(&t, &e).unwrap();
        }
        for override_reason in ["", "Vi vill avsluta"] {
            assert_eq!(
                s.decide(
                    &t,
                    GateDecision::Proceed,
                    "d1",
                    DM,
                    "Klart",
                    override_reason
                )
                .unwrap_err(),
                CaseError::HandoverRequired
            );
        }
        assert_eq!(
            s.measure(&t, "Ledtid", "dagar", "12", "fyra", "a1")
                .unwrap_err(),
            CaseError::Invalid("after")
        );
        let e = s
            .measure(&t, "Ledtid", "dagar", " 12 ", "4,5", "a1")
            .unwrap();
        s.apply(&t, &e).unwrap();
        assert_eq!(s.measures[0].after, "4.5");
        let e = s.adopt(&t, "unit-1", "a1").unwrap();
        s.apply(&t, &e).unwrap();
        assert_eq!(
            s.adopt(&t, "unit-1", "a1").unwrap_err(),
            CaseError::AlreadyAdopted
        );
        assert_eq!(
            s.hand_over(&t, "Linjen", "", "a1").unwrap_err(),
            CaseError::Invalid("note")
        );
        let e = s
            .hand_over(&t, "Linjen", "Förvaltningen har tagit över", "a1")
            .unwrap();
        s.apply(&t, &e).unwrap();
        let e = s
            .decide(&t, GateDecision::Proceed, "d1", DM, "Överlämnat", "")
            .unwrap();
        s.apply(&t, &e).unwrap();
        assert_eq!(s.status, CaseStatus::Completed);
        // Nothing more is recorded on a finished case.
        assert_eq!(
            s.adopt(&t, "unit-2", "a1").unwrap_err(),
            CaseError::NotActive
        );
    }

    #[test]
    fn paths_that_end_the_case_only_close_it() {
        let t = template(0);
        let mut s = CaseState::new();
        tick_all(&mut s, &t);
        let e = s
            .decide(&t, GateDecision::Proceed, "d", DM, "ok", "")
            .unwrap();
        s.apply(&t, &e).unwrap();
        assert_eq!(
            s.choose_path(&t, Vagval::Testbed, "a", &[Role::Advisor], "x")
                .unwrap_err(),
            CaseError::NoMandate {
                needed: Role::DecisionMaker
            }
        );
        let e = s
            .choose_path(
                &t,
                Vagval::NotInnovation,
                "d",
                DM,
                "Förbättringsarbete: till linjen",
            )
            .unwrap();
        s.apply(&t, &e).unwrap();
        tick_all(&mut s, &t);
        assert_eq!(
            s.decide(&t, GateDecision::Proceed, "d", DM, "x", "")
                .unwrap_err(),
            CaseError::PathEndsCase
        );
        let e = s
            .decide(&t, GateDecision::Close, "d", DM, "Skickat till linjen", "")
            .unwrap();
        s.apply(&t, &e).unwrap();
        assert_eq!(s.status, CaseStatus::Closed);
        assert_eq!(
            s.tick(&t, "vagval", "motiverat", "a", "").unwrap_err(),
            CaseError::NotActive
        );
        assert_eq!(
            s.decide(&t, GateDecision::Proceed, "d", DM, "x", "y")
                .unwrap_err(),
            CaseError::NotActive
        );
    }

    #[test]
    fn refusals_change_nothing() {
        let t = template(1);
        let s = CaseState::new();
        assert_eq!(
            s.tick(&t, "nope", "nope", "a", "").unwrap_err(),
            CaseError::UnknownItem
        );
        assert_eq!(
            s.untick(&t, "registrera", "besked", "a").unwrap_err(),
            CaseError::NotTicked
        );
        assert_eq!(
            s.decide(&t, GateDecision::SendBack, "a", &[Role::Advisor], "x", "")
                .unwrap_err(),
            CaseError::NothingBefore
        );
        assert_eq!(
            s.decide(&t, GateDecision::Hold, "a", &[Role::Advisor], "  ", "")
                .unwrap_err(),
            CaseError::RationaleRequired
        );
        assert_eq!(
            s.choose_path(&t, Vagval::Close, "a", &[Role::Advisor], "x")
                .unwrap_err(),
            CaseError::PathNotHere
        );
        assert_eq!(s, CaseState::new());
        // A forged event naming another phase or another mandate does not apply.
        let mut s2 = s.clone();
        let forged = CaseEvent::GateDecided {
            phase: "utreda".into(),
            decision: GateDecision::Proceed,
            by: "x".into(),
            role: Role::Advisor,
            rationale: "x".into(),
            override_reason: None,
            open_items: vec![],
        };
        assert_eq!(s2.apply(&t, &forged).unwrap_err(), CaseError::WrongPhase);
        let forged = CaseEvent::GateDecided {
            phase: "ta-emot".into(),
            decision: GateDecision::Proceed,
            by: "x".into(),
            role: Role::Staff,
            rationale: "x".into(),
            override_reason: None,
            open_items: vec![],
        };
        assert!(matches!(
            s2.apply(&t, &forged),
            Err(CaseError::NoMandate { .. })
        ));
        assert_eq!(s2, s);
    }

    /// A small deterministic generator (xorshift), so the property runs are repeatable.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
            &xs[self.below(xs.len())]
        }
    }

    /// Random sequences of attempted changes: every accepted one keeps the rules, and the
    /// accepted events replay to the same state.
    #[test]
    fn property_rules_hold_and_the_log_replays() {
        let (mut completed, mut overrides, mut send_backs, mut refusals) = (0, 0, 0, 0);
        for (ti, seed) in (0..600u64).map(|i| ((i % 2) as usize, i * 7919 + 17)) {
            let t = template(ti);
            let mut rng = Rng(seed | 1);
            let all_items: Vec<(String, String)> = t
                .phases
                .iter()
                .flat_map(|p| &p.steps)
                .chain(t.paths.iter().flat_map(|p| p.steps.iter().map(|(_, s)| s)))
                .flat_map(|s| s.items.iter().map(move |i| (s.key.clone(), i.key.clone())))
                .chain([("nope".to_string(), "nope".to_string())])
                .collect();
            let role_sets: [&[Role]; 4] = [
                &[Role::DecisionMaker],
                &[Role::Advisor],
                &[Role::ProcessOwner, Role::Advisor],
                &[Role::Staff],
            ];
            let mut s = CaseState::new();
            let mut log: Vec<CaseEvent> = Vec::new();
            for _ in 0..120 {
                let before = s.clone();
                // Mostly plausible moves (the right mandate, open items, proceeding), with
                // enough wrong ones to test the refusals.
                let gate_role = [t.phases[s.phase.min(t.phases.len() - 1)].gate.role];
                let roles: &[Role] = if rng.below(10) < 6 {
                    &gate_role
                } else {
                    role_sets[rng.below(role_sets.len())]
                };
                let open = s.open_required(&t);
                let attempt = match rng.below(12) {
                    10 => s.hand_over(&t, "Linjen", rng.pick::<&str>(&["överlämnad", ""]), "u"),
                    11 => match rng.below(3) {
                        0 => s.adopt(&t, rng.pick::<&str>(&["a", "b"]), "u"),
                        1 => s.measure(&t, "Väntetid", "dagar", "12", "4,5", "u"),
                        _ => s.measure(&t, "Väntetid", "dagar", "tolv", "4", "u"),
                    },
                    0..=4 => {
                        let (st, it) = if !open.is_empty() && rng.below(10) < 7 {
                            rng.pick(&open).clone()
                        } else {
                            rng.pick(&all_items).clone()
                        };
                        s.tick(&t, &st, &it, "u", "")
                    }
                    5 => {
                        let (st, it) = rng.pick(&all_items).clone();
                        s.untick(&t, &st, &it, "u")
                    }
                    6 => {
                        let vagval = if rng.below(10) < 8 {
                            Vagval::InnovationProcurement
                        } else {
                            *rng.pick(Vagval::ALL)
                        };
                        s.choose_path(&t, vagval, "u", roles, "motivering")
                    }
                    _ => {
                        let decision = *rng.pick(&[
                            GateDecision::Proceed,
                            GateDecision::Proceed,
                            GateDecision::Proceed,
                            GateDecision::Hold,
                            GateDecision::SendBack,
                            GateDecision::Close,
                        ]);
                        let rationale = *rng.pick(&["motivering", "motivering", ""]);
                        let override_reason = *rng.pick(&["", "", "skäl att gå vidare"]);
                        s.decide(&t, decision, "u", roles, rationale, override_reason)
                    }
                };
                let Ok(e) = attempt else {
                    refusals += 1;
                    assert_eq!(s, before, "a refusal changed nothing");
                    continue;
                };
                s.apply(&t, &e).expect("a checked event applies");
                log.push(e.clone());
                // No phase is skipped, and only a gate moves the phase.
                let moved = s.phase as i64 - before.phase as i64;
                assert!(moved.abs() <= 1);
                if moved != 0 {
                    assert!(matches!(e, CaseEvent::GateDecided { .. }));
                }
                if let CaseEvent::GateDecided {
                    decision,
                    role,
                    override_reason,
                    open_items,
                    ..
                } = &e
                {
                    // No gate passes without the mandate.
                    assert_eq!(*role, t.phases[before.phase].gate.role);
                    assert!(roles.contains(role));
                    // Every override is recorded, with what it passed over.
                    let open = before.open_required(&t);
                    if *decision == GateDecision::Proceed && !open.is_empty() {
                        assert!(override_reason.is_some());
                        assert_eq!(open_items, &open);
                        overrides += 1;
                    }
                    if *decision == GateDecision::SendBack {
                        send_backs += 1;
                    }
                }
                assert_ne!(before.status, CaseStatus::Closed);
                assert_ne!(before.status, CaseStatus::Completed);
            }
            if s.status == CaseStatus::Completed {
                completed += 1;
                // The last gate requires the handover to ordinary operations.
                assert!(s.handover.is_some());
            }
            // The log survives storage as JSON.
            let stored: Vec<CaseEvent> = log
                .iter()
                .map(|e| serde_json::from_str(&serde_json::to_string(e).unwrap()).unwrap())
                .collect();
            assert_eq!(stored, log);
            // The event log replays to the case's state.
            assert_eq!(CaseState::replay(&t, &log).unwrap(), s);
        }
        // The generator reached the interesting places.
        assert!(
            completed > 0 && overrides > 0 && send_backs > 0 && refusals > 0,
            "completed {completed}, overrides {overrides}, send backs {send_backs}, refusals {refusals}"
        );
    }
}
