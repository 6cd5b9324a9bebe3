//! Demo data: one region with two units, one user per role, and 30 submissions in varied
//! states, made through the same use cases as real data so every row has its events.
//! Loading twice changes nothing.

use crate::admin::{NewOrg, NewUser, add_org, add_user};
use crate::error::Result;
use crate::intake::{Channel, submit};
use crate::{App, AppError, Caller, auth};
use domain::role::Role;
use domain::submission::SubmissionInput;
use domain::triage::ActionInput;
use store::events::Actor;
use store::{orgs, submissions, users};

pub const REGION: &str = "region-sydost";
pub const UNIT_CARE: &str = "halsa-och-sjukvard";
pub const UNIT_SERVICE: &str = "regionservice";

/// A demo account: e-mail, password, role, organisation slug.
pub struct DemoUser {
    pub email: String,
    pub password: String,
    pub role: Role,
    pub org: &'static str,
    pub name: &'static str,
}

pub fn demo_users() -> Vec<DemoUser> {
    let names = [
        (Role::Staff, "Sara Medarbetare", UNIT_CARE),
        (Role::Advisor, "Ali Rådgivare", REGION),
        (Role::DecisionMaker, "Britt Beslutsfattare", REGION),
        (Role::ProcessOwner, "Per Processägare", REGION),
        (Role::Procurement, "Ingrid Upphandlare", REGION),
        (Role::Company, "Fia Företagare", REGION),
        (Role::Reviewer, "Gustav Granskare", REGION),
        (Role::FundManager, "Hanna Fondförvaltare", REGION),
        (Role::Coordinator, "Kim Samordnare", REGION),
        (Role::Admin, "Ada Administratör", REGION),
    ];
    names
        .into_iter()
        .map(|(role, name, org)| DemoUser {
            email: format!("{}@demo.sluss.se", role.as_str().replace('_', "-")),
            password: format!("demo-{}-2026", role.as_str().replace('_', "-")),
            role,
            org,
            name,
        })
        .collect()
}

const TOPICS: [(&str, &str, &str); 10] = [
    (
        "need",
        "Digital incheckning på vårdcentralen",
        "Patienter står i kö vid receptionen varje morgon för att anmäla sin ankomst, trots att de har bokad tid.",
    ),
    (
        "idea",
        "Påminnelse om läkemedel via sms",
        "Många äldre glömmer sina mediciner. En enkel påminnelse via sms skulle kunna minska antalet återbesök.",
    ),
    (
        "offer",
        "Sensorer för fallolyckor i hemmet",
        "Vårt företag har tagit fram golvsensorer som larmar vid fall, och vi söker en testbädd inom hemtjänsten.",
    ),
    (
        "need",
        "Tolk på distans vid akuten",
        "På akuten tar det ofta lång tid att få fram tolk. Personalen behöver snabbare tillgång till tolk på video.",
    ),
    (
        "idea",
        "Gemensam bokning av lokaler",
        "Varje enhet bokar mötesrum i olika system. En gemensam bokning skulle spara tid för alla medarbetare.",
    ),
    (
        "need",
        "Bättre skyltning till parkeringen",
        "Besökare hittar inte till parkeringen vid sjukhuset och kommer för sent till sina tider.",
    ),
    (
        "idea",
        "Egenprovtagning hemma",
        "Patienter med kroniska sjukdomar skulle kunna ta enklare prover hemma och skicka in dem.",
    ),
    (
        "offer",
        "AI-stöd för journalanteckningar",
        "Vi erbjuder taligenkänning som skriver utkast till journalanteckningar, och vill föra dialog med upphandlare.",
    ),
    (
        "need",
        "Matsvinn i sjukhusköket",
        "Stora mängder mat slängs varje dag eftersom beställningar inte följer antalet inneliggande patienter.",
    ),
    (
        "idea",
        "Digitalt väntrum för barnfamiljer",
        "Barnfamiljer skulle kunna vänta hemma och få ett meddelande när det är dags att komma till mottagningen.",
    ),
];

const ROLES: [&str; 6] = [
    "citizen",
    "patient",
    "staff",
    "company",
    "academia",
    "nonprofit",
];

/// Loads the demo data; returns the demo users (for printing their passwords).
pub async fn load(app: &App) -> Result<Vec<DemoUser>> {
    let system = Actor::System;
    let mut tx = app.db.read().await?;
    let region = orgs::by_slug(&mut tx, REGION).await?;
    drop(tx);
    if region.is_none() {
        add_org(
            app,
            &system,
            NewOrg {
                slug: REGION,
                name: "Region Sydost",
                parent: None,
                reference_format: None,
            },
        )
        .await?;
        add_org(
            app,
            &system,
            NewOrg {
                slug: UNIT_CARE,
                name: "Hälso- och sjukvården",
                parent: Some(REGION),
                reference_format: None,
            },
        )
        .await?;
        add_org(
            app,
            &system,
            NewOrg {
                slug: UNIT_SERVICE,
                name: "Regionservice",
                parent: Some(REGION),
                reference_format: None,
            },
        )
        .await?;
    }
    let people = demo_users();
    for u in &people {
        add_user(
            app,
            &system,
            NewUser {
                email: &u.email,
                name: u.name,
                org: u.org,
                role: u.role.as_str(),
                password: &u.password,
            },
        )
        .await?;
    }
    let mut tx = app.db.read().await?;
    let region = orgs::by_slug(&mut tx, REGION)
        .await?
        .ok_or(AppError::NotFound)?;
    let existing = submissions::count_in(&mut tx, &region.id).await?;
    let advisor = users::by_email(&mut tx, &people[1].email)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(tx);
    if existing >= 30 {
        return Ok(people);
    }
    let advisor_login = auth::login(app, &advisor.email, &people[1].password).await?;
    let caller = auth::caller_for_session(app, &advisor_login).await?;
    auth::logout(app, &advisor_login).await?;
    let mut originals: Vec<Option<String>> = vec![None; TOPICS.len()];
    for i in existing as usize..30 {
        let (kind, title, description) = TOPICS[i % TOPICS.len()];
        let input = SubmissionInput {
            kind: kind.into(),
            title: if i < TOPICS.len() {
                title.to_string()
            } else {
                format!("{title} ({})", i / TOPICS.len() + 1)
            },
            description: description.into(),
            affected: "Patienter, närstående och medarbetare.".into(),
            current_solution: if i % 3 == 0 {
                "Det löses manuellt i dag.".into()
            } else {
                String::new()
            },
            submitter_role: if kind == "offer" {
                "company".into()
            } else {
                ROLES[i % ROLES.len()].into()
            },
            organisation: [REGION, UNIT_CARE, UNIT_SERVICE][i % 3].into(),
            consent: true,
            require_consent: true,
            ..Default::default()
        };
        let receipt = submit(app, &Caller::Public, &input, Channel::Form).await?;
        if i < TOPICS.len() {
            originals[i] = Some(receipt.reference.clone());
        }
        let act = |action: &str| ActionInput {
            action: action.into(),
            ..Default::default()
        };
        let steps: Vec<ActionInput> = match i % 6 {
            // A later copy of an earlier topic is what a duplicate looks like.
            0 => match originals.get(i % TOPICS.len()).cloned().flatten() {
                Some(original) if i >= TOPICS.len() => vec![ActionInput { duplicate_of: original, ..act("mark_duplicate") }],
                _ => vec![],
            },
            1 => vec![act("assign")],
            2 => vec![act("assign"), ActionInput { message: "Kan du berätta hur ofta detta händer?".into(), ..act("request_info") }],
            3 => vec![
                act("assign"),
                ActionInput {
                    reason: "not_innovation".into(),
                    reason_text: "Detta är förbättringsarbete inom befintlig verksamhet. Vi har skickat det vidare till linjen.".into(),
                    ..act("reject")
                },
            ],
            4 => vec![act("assign"), ActionInput { note: "Tydligt behov, går vidare till ärende.".into(), ..act("accept") }],
            _ => vec![ActionInput { organisation: UNIT_SERVICE.into(), note: "Hör till Regionservice.".into(), ..act("forward") }],
        };
        for step in steps {
            // A forward to the unit the item already sits in is refused; skip such steps.
            match crate::inbox::act(app, &caller, &receipt.id, &step).await {
                Ok(_) | Err(AppError::Validation(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(people)
}
