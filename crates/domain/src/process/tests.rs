use super::*;

fn built_in(name: &str) -> Template {
    let text = BUILT_IN.iter().find(|(n, _)| *n == name).unwrap().1;
    parse_template(text).unwrap_or_else(|e| {
        panic!(
            "{name}: {}",
            e.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

/// A template's texts are shown to everyone working a case: nothing in them may hide
/// or reorder text.
#[test]
fn template_texts_refuse_hidden_characters() {
    let source = BUILT_IN[0].1;
    let first = source
        .lines()
        .position(|l| l.starts_with("name = "))
        .unwrap();
    // The last written as TOML's escape (a bare control character is a syntax error).
    for c in ["\u{202E}", "\u{200B}", "\\u0007"] {
        let bad: String = source
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i == first {
                    format!("name = \"Spel{c}planen\"\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        let e = parse_template(&bad).unwrap_err();
        assert_eq!(e.len(), 1, "{c:?}: {e:?}");
        assert_eq!(
            (e[0].line, e[0].problem.clone()),
            (first + 1, Problem::HiddenCharacters)
        );
    }
}

#[test]
fn spelplanen_has_the_four_steps_and_the_checklist() {
    let t = built_in("spelplanen.toml");
    let names: Vec<&str> = t.phases.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Behovs- och omvärldsanalys",
            "Planering och vägval",
            "Projektgenomförande",
            "Resultat"
        ]
    );
    let check = t.phases[1]
        .steps
        .iter()
        .find(|s| s.name == "Checklista före samutveckling")
        .unwrap();
    let keys: Vec<&str> = check.items.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "upphandling",
            "it",
            "medicinsk-teknik",
            "juridik-ip",
            "informationssakerhet",
            "verksamheten"
        ]
    );
    assert!(check.items.iter().all(|i| i.required));
    // The working group draws on the functions that test, buy and implement.
    for f in ["testa", "kopa", "implementera"] {
        assert!(t.functions.iter().any(|x| x.key == f), "{f}");
    }
    // The environment scan comes before any development.
    assert!(
        t.phases[0]
            .steps
            .iter()
            .any(|s| s.items.iter().any(|i| i.key == "befintliga-losningar"))
    );
    assert!(t.phases.iter().all(|p| p.gate.role == Role::DecisionMaker));
    let procurement = t
        .paths
        .iter()
        .find(|p| p.vagval == Vagval::InnovationProcurement)
        .unwrap();
    assert_eq!(procurement.steps[0].0, "genomforande");
    assert_eq!(t.owner_role, Some(Role::ProcessOwner));
}

#[test]
fn blekinge_has_its_six_phases_and_a_process_owner() {
    let t = built_in("blekinge.toml");
    let keys: Vec<&str> = t.phases.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "ta-emot",
            "utreda",
            "besluta",
            "genomfora",
            "implementera",
            "folja-upp"
        ]
    );
    assert_eq!(t.owner_role, Some(Role::ProcessOwner));
    assert_eq!(t.phases.last().unwrap().gate.role, Role::ProcessOwner);
    assert!(t.step_count() >= 6 && t.item_count() >= 12);
}

#[test]
fn spelplanen_has_english_names_and_blekinge_falls_back_to_swedish() {
    let t = built_in("spelplanen.toml");
    assert!(t.name_en.is_some());
    assert!(
        t.phases
            .iter()
            .all(|p| p.name_en.is_some() && p.gate.name_en.is_some())
    );
    assert!(
        t.phases
            .iter()
            .flat_map(|p| &p.steps)
            .all(|s| s.name_en.is_some() && s.items.iter().all(|i| i.text_en.is_some()))
    );
    assert!(t.paths.iter().all(|p| p.name_en.is_some()));
    assert!(t.functions.iter().all(|f| f.name_en.is_some()));
    let first = &t.phases[0];
    assert_eq!(
        in_language(&first.name, first.name_en.as_deref(), true),
        ("Needs and environment analysis", false)
    );
    assert_eq!(
        in_language(&first.name, first.name_en.as_deref(), false),
        ("Behovs- och omvärldsanalys", false)
    );
    let b = built_in("blekinge.toml");
    let p = &b.phases[0];
    assert_eq!(p.name_en, None);
    assert_eq!(in_language(&p.name, None, true), ("Ta emot", true));
}

#[test]
fn steps_name_functions_and_functions_name_roles() {
    let t = built_in("spelplanen.toml");
    assert_eq!(
        t.function("kopa").and_then(|f| f.role),
        Some(Role::Procurement)
    );
    let roller = t.phases[1]
        .steps
        .iter()
        .find(|s| s.key == "roller")
        .unwrap();
    assert_eq!(t.role_of_step(roller), Some(Role::Procurement));
    assert!(t.roles_on_steps(None).contains(&Role::Procurement));
    // Blekinge's procurement step is on its path: procurement follows only a case on it.
    let b = built_in("blekinge.toml");
    assert!(!b.roles_on_steps(None).contains(&Role::Procurement));
    assert!(
        b.roles_on_steps(Some(Vagval::InnovationProcurement))
            .contains(&Role::Procurement)
    );
    assert!(
        !b.roles_on_steps(Some(Vagval::Testbed))
            .contains(&Role::Procurement)
    );
    let bad = SMALL.replace(
        "name = \"Ett steg\"",
        "name = \"Ett steg\"\nfunction = \"ingen\"",
    );
    let e = parse_template(&bad).unwrap_err();
    assert_eq!(
        (e[0].field.as_str(), &e[0].problem),
        ("phases[1].steps[1].function", &Problem::UnknownFunction)
    );
    let english = SMALL.replace(
        "name = \"Ett steg\"",
        "name = \"Ett steg\"\nname_en = \"A step\"",
    );
    let t = parse_template(&english).unwrap();
    assert_eq!(t.phases[0].steps[0].name_en.as_deref(), Some("A step"));
    let empty = SMALL.replace(
        "text = \"En punkt\"",
        "text = \"En punkt\"\ntext_en = \" \"",
    );
    assert_eq!(
        parse_template(&empty).unwrap_err()[0].problem,
        Problem::Empty
    );
}

const SMALL: &str = r#"[template]
key = "liten"
name = "Liten process"
version = 1

[[phases]]
key = "forsta"
name = "Första"

[[phases.steps]]
key = "steg"
name = "Ett steg"

[[phases.steps.items]]
key = "punkt"
text = "En punkt"

[phases.gate]
name = "Grind"
role = "decision_maker"
"#;

#[test]
fn a_small_template_parses() {
    let t = parse_template(SMALL).unwrap();
    assert!(
        t.phases[0].steps[0].items[0].required,
        "items are required unless said otherwise"
    );
    assert!(t.paths.is_empty());
}

#[test]
fn errors_name_the_line_and_the_field() {
    let bad = SMALL.replace("role = \"decision_maker\"", "role = \"boss\"");
    let e = parse_template(&bad).unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].line, e[0].field.as_str(), &e[0].problem),
        (20, "phases[1].gate.role", &Problem::UnknownRole)
    );
    assert!(
        e[0].to_string()
            .starts_with("line 20, phases[1].gate.role: is not a role; use one of: staff, advisor")
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let bad = SMALL
        .replace("key = \"punkt\"", "key = \"Punkt!\"")
        .replace("name = \"Ett steg\"", "name = \"\"\ndue_days = 99999")
        .replace("version = 1", "version = 0");
    let e = parse_template(&bad).unwrap_err();
    let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "template.version",
            "phases[1].steps[1].name",
            "phases[1].steps[1].due_days",
            "phases[1].steps[1].items[1].key"
        ]
    );
}

#[test]
fn structure_is_checked() {
    let no_gate = SMALL.split("[phases.gate]").next().unwrap().to_string();
    assert_eq!(
        parse_template(&no_gate).unwrap_err()[0].problem,
        Problem::MissingGate
    );
    let dup = format!("{SMALL}\n{}", &SMALL[SMALL.find("[[phases]]").unwrap()..]);
    let e = parse_template(&dup).unwrap_err();
    assert!(
        e.iter()
            .any(|e| e.field == "phases[2].key" && e.problem == Problem::DuplicateKey),
        "{e:?}"
    );
    let path = format!(
        "{SMALL}\n[[paths]]\nkey = \"teleport\"\nname = \"X\"\n\n[[paths]]\nkey = \"testbed\"\nname = \"T\"\n\n[[paths.steps]]\nphase = \"nowhere\"\nkey = \"s2\"\nname = \"S\"\n"
    );
    let e = parse_template(&path).unwrap_err();
    assert!(
        e.iter()
            .any(|e| e.field == "paths[1].key" && e.problem == Problem::UnknownPath)
    );
    assert!(e.iter().any(|e| e.field == "paths[2].steps[1].phase"
        && e.problem == Problem::UnknownPhase
        && e.line > 20));
    let none = "[template]\nkey = \"tom\"\nname = \"Tom\"\nversion = 1\n";
    assert_eq!(
        parse_template(none).unwrap_err()[0].problem,
        Problem::NoPhases
    );
}

#[test]
fn syntax_and_type_errors_name_the_line() {
    let e =
        parse_template("[template]\nkey = \"x\"\nname = \"X\"\nversion = \"ett\"\n").unwrap_err();
    assert_eq!(e[0].line, 4, "{e:?}");
    assert!(matches!(e[0].problem, Problem::Syntax(_)));
    let e = parse_template("[template\nkey = 1").unwrap_err();
    assert_eq!(e[0].line, 1);
    let e =
        parse_template(&SMALL.replace("name = \"Grind\"", "name = \"Grind\"\ncolour = \"red\""))
            .unwrap_err();
    assert!(
        matches!(&e[0].problem, Problem::Syntax(m) if m.contains("colour")),
        "{e:?}"
    );
}
