//! The case walked through both built-in templates, the refusals, and the property run:
//! random changes keep every rule and the accepted events replay to the same state.

use super::*;
use crate::process::{BUILT_IN, parse_template};
use crate::process::{Template, Vagval};
use crate::role::Role;

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
    let e = s.adopt(&t, &"unit-1".into(), "a1").unwrap();
    s.apply(&t, &e).unwrap();
    assert_eq!(
        s.adopt(&t, &"unit-1".into(), "a1").unwrap_err(),
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
        s.adopt(&t, &"unit-2".into(), "a1").unwrap_err(),
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
                    0 => s.adopt(&t, &(*rng.pick::<&str>(&["a", "b"])).into(), "u"),
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
