//! Demo data: one region with two units, one user per role, and 30 submissions in varied
//! states, made through the same use cases as real data so every row has its events.
//! Loading twice changes nothing.

use crate::admin::{NewOrg, NewUser, add_org, add_user};
use crate::error::Result;
use crate::intake::{Channel, submit};
use crate::{App, AppError, Caller, auth};
use domain::case::ResultKind;
use domain::id::OrgId;
use domain::process::Vagval;
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

pub(crate) const TOPICS: [(&str, &str, &str); 10] = [
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

pub(crate) const ROLES: [&str; 6] = [
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
    if existing < 30 {
        load_submissions(app, &people, existing, &advisor).await?;
    }
    load_cases(app, &people).await?;
    load_campaigns(app, &people).await?;
    load_invitation(app, &people).await?;
    load_notify_choices(app, &people[1].email).await?;
    load_retention(app).await?;
    Ok(people)
}

/// The address of the demo's invited person, who has not yet chosen a password.
pub const INVITED: &str = "invited@demo.sluss.se";

/// One person invited by the region's administrator and not yet joined, so that the users'
/// page shows a pending invitation (its mail waits in the outbox).
async fn load_invitation(app: &App, people: &[DemoUser]) -> Result<()> {
    let mut tx = app.db.read().await?;
    let invited = users::by_email(&mut tx, INVITED).await?;
    let unit = orgs::by_slug(&mut tx, UNIT_CARE)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(tx);
    if invited.is_some() {
        return Ok(());
    }
    let admin = people
        .iter()
        .find(|u| u.role == Role::Admin)
        .ok_or(AppError::NotFound)?;
    let caller = demo_caller(app, admin).await?;
    let invitation = crate::admin::people::Invitation {
        name: "Iris Inbjuden",
        email: INVITED,
        org_id: unit.id.as_str(),
        role: Role::Staff.as_str(),
        lang: "sv",
    };
    crate::admin::people::invite(app, &caller, &invitation).await?;
    Ok(())
}

/// The demo advisor's notification choices, so that /konto shows choices made: mentions at
/// once (the default), assignments and overdue steps in the daily digest, workshop results
/// never.
async fn load_notify_choices(app: &App, email: &str) -> Result<()> {
    use domain::jobs::{MailKind, NotifyMode};
    let mut tx = app.db.write().await?;
    let address = crate::notify::address_key(email);
    if store::notify::prefs_of(&mut tx, &address).await?.is_empty() {
        let now = domain::time::Timestamp::now().to_db();
        for (kind, mode) in [
            (MailKind::Assigned, NotifyMode::Daily),
            (MailKind::StepsOverdue, NotifyMode::Daily),
            (MailKind::WorkshopClosed, NotifyMode::Never),
        ] {
            store::notify::set_mode(&mut tx, &address, kind, mode, &now).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The demo region's retention rules, set as a region would: rejected submissions' contact
/// details for a year, answered ones' for three, workshop participants' links for two.
async fn load_retention(app: &App) -> Result<()> {
    use domain::retention::{Keep, RetentionKind};
    let mut tx = app.db.write().await?;
    let region = orgs::by_slug(&mut tx, REGION)
        .await?
        .ok_or(AppError::NotFound)?;
    let set = store::retention::rules_of(&mut tx, std::slice::from_ref(&region.id)).await?;
    if set.is_empty() {
        let now = domain::time::Timestamp::now().to_db();
        for (kind, keep) in [
            (RetentionKind::RejectedContact, Keep::Months(12)),
            (RetentionKind::AnsweredContact, Keep::Months(36)),
            (RetentionKind::WorkshopParticipants, Keep::Months(24)),
        ] {
            store::retention::set_rule(&mut tx, &region.id, kind, keep.months(), None, &now)
                .await?;
            store::events::append(
                &mut tx,
                store::events::NewEvent {
                    actor: &Actor::System,
                    kind: "retention.rule_set",
                    subject_type: "organisation",
                    subject_id: region.id.as_str(),
                    org_id: Some(&region.id),
                    payload: serde_json::json!({ "rule": kind.as_str(), "months": keep.months() }),
                },
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// A demo campaign a newcomer can join: its title, join code and kind.
pub struct DemoCampaign {
    pub title: String,
    pub code: String,
    /// A workshop or an open question.
    pub mode: domain::campaign::Mode,
}

/// The demo region's campaigns (the workshop and the open question), oldest first, with
/// their join codes, which are drawn at random when the demo is first loaded.
pub async fn campaigns(app: &App) -> Result<Vec<DemoCampaign>> {
    let mut tx = app.db.read().await?;
    let Some(region) = orgs::by_slug(&mut tx, REGION).await? else {
        return Ok(Vec::new());
    };
    let mut rows = store::campaigns::in_org(&mut tx, &region.id).await?;
    drop(tx);
    rows.sort_by(|a, b| a.created_at.cmp(&b.created_at));
    Ok(rows
        .into_iter()
        .map(|c| DemoCampaign {
            title: c.title,
            code: c.code,
            mode: c.mode,
        })
        .collect())
}

/// The caller a demo account signs in as.
pub(crate) async fn demo_caller(app: &App, u: &DemoUser) -> Result<Caller> {
    let token = auth::login(app, &u.email, &u.password).await?;
    let caller = auth::caller_for_session(app, &token).await?;
    auth::logout(app, &token).await?;
    Ok(caller)
}

async fn load_submissions(
    app: &App,
    people: &[DemoUser],
    existing: i64,
    advisor: &users::UserRow,
) -> Result<()> {
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
        // The first carries a small PDF, so that a newcomer sees an attachment in the inbox.
        let receipt = if i == 1 {
            let pdf = domain::attachment::Upload {
                file_name: "Skiss över flödet.pdf".into(),
                bytes: domain::attachment::tiny_pdf(),
            };
            crate::intake::submit_with_files(
                app,
                &Caller::Public,
                &input,
                &[pdf],
                Channel::Form,
                "sv",
            )
            .await?
        } else {
            submit(app, &Caller::Public, &input, Channel::Form).await?
        };
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
    Ok(())
}

/// The demo account that holds `role` (the gate's mandate).
fn holder<'a>(callers: &[&'a Caller], role: Role) -> Result<&'a Caller> {
    callers
        .iter()
        .copied()
        .find(|c| {
            c.user()
                .is_some_and(|u| u.memberships.iter().any(|(_, r)| *r == role))
        })
        .ok_or(AppError::NotFound)
}

/// A case per phase of each built-in template, plus finished ones, walked there through the
/// same use cases as real work: ticks, the path, the handover and gate decisions, each by
/// the demo account that holds the mandate.
async fn load_cases(app: &App, people: &[DemoUser]) -> Result<()> {
    use crate::cases::{
        self, DecideInput, OpenInput, PathInput, References, ResultInput, TickInput,
    };
    let mut tx = app.db.read().await?;
    let region = orgs::by_slug(&mut tx, REGION)
        .await?
        .ok_or(AppError::NotFound)?;
    let existing = store::cases::count_in(&mut tx, &region.id).await?;
    let org_ids: Vec<OrgId> = orgs::all(&mut tx)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    let accepted: Vec<String> = submissions::list(
        &mut tx,
        &submissions::Filter {
            org_ids,
            status: Some("accepted".into()),
            limit: 100,
            ..Default::default()
        },
    )
    .await?
    .0
    .into_iter()
    .map(|s| s.reference)
    .collect();
    drop(tx);
    if existing > 0 {
        return Ok(());
    }
    let by_role = |r: Role| {
        people
            .iter()
            .find(|p| p.role == r)
            .ok_or(AppError::NotFound)
    };
    let advisor = demo_caller(app, by_role(Role::Advisor)?).await?;
    let decider = demo_caller(app, by_role(Role::DecisionMaker)?).await?;
    let owner = demo_caller(app, by_role(Role::ProcessOwner)?).await?;
    // The roles without an inbox work in cases' working groups, so that "Mitt arbete" has
    // something for each: (case in the plan below, role, function).
    let mut in_groups: Vec<(usize, domain::id::UserId, &str)> = Vec::new();
    for (case, role, function) in [
        (0, Role::Staff, "verksamheten"),
        (3, Role::Company, "testa"),
        (1, Role::Reviewer, "juridik-ip"),
        (2, Role::FundManager, "implementera"),
    ] {
        let c = demo_caller(app, by_role(role)?).await?;
        if let Some(u) = c.user() {
            in_groups.push((case, u.id.clone(), function));
        }
    }
    for t in crate::processes::list(app)
        .await?
        .iter()
        .filter(|t| t.built_in)
    {
        crate::processes::activate(app, &owner, REGION, t.id.as_str()).await?;
    }
    let templates = crate::processes::active_in(app, REGION).await?;
    // (template key, phases to pass, path, finish: none / "close" / "complete", title)
    let plan: [(&str, usize, Vagval, &str, &str); 16] = [
        (
            "spelplanen",
            0,
            Vagval::InnovationProcurement,
            "",
            "Digital incheckning på vårdcentralen",
        ),
        (
            "spelplanen",
            1,
            Vagval::InnovationProcurement,
            "",
            "Sensorer som larmar vid fall i hemmet",
        ),
        (
            "spelplanen",
            2,
            Vagval::InnovationProcurement,
            "",
            "Innovationspartnerskap för digitala vårdmöten",
        ),
        (
            "spelplanen",
            2,
            Vagval::Testbed,
            "",
            "Testbädd för egenmonitorering vid hjärtsvikt",
        ),
        (
            "spelplanen",
            3,
            Vagval::BuyExisting,
            "",
            "Läkemedelsrobot i hemtjänsten",
        ),
        (
            "spelplanen",
            4,
            Vagval::FouSamverkan,
            "complete",
            "AI-stöd för att prioritera remisser",
        ),
        (
            "spelplanen",
            1,
            Vagval::NotInnovation,
            "close",
            "Ny rutin för beställning av förbrukningsmaterial",
        ),
        (
            "spelplanen",
            0,
            Vagval::Close,
            "close",
            "Parkeringsapp för besökare",
        ),
        (
            "blekinge",
            0,
            Vagval::InternalDevelopment,
            "",
            "Samordnad planering av hemsjukvård",
        ),
        (
            "blekinge",
            1,
            Vagval::InternalDevelopment,
            "",
            "Tolkning via video på akuten",
        ),
        (
            "blekinge",
            2,
            Vagval::InnovationProcurement,
            "",
            "Digitalt stöd för vårdplanering vid utskrivning",
        ),
        (
            "blekinge",
            3,
            Vagval::InnovationProcurement,
            "",
            "Smarta lås i hemtjänsten",
        ),
        (
            "blekinge",
            4,
            Vagval::BuyExisting,
            "",
            "Självincheckning för provtagning",
        ),
        (
            "blekinge",
            5,
            Vagval::InternalDevelopment,
            "",
            "Enklare kallelser i 1177",
        ),
        (
            "blekinge",
            6,
            Vagval::InternalDevelopment,
            "complete",
            "Påminnelser om läkemedel via sms",
        ),
        (
            "blekinge",
            0,
            Vagval::Close,
            "close",
            "Egen app för kallelser",
        ),
    ];
    for (i, (key, passes, path, finish, title)) in plan.into_iter().enumerate() {
        let Some(template) = templates.iter().find(|t| t.template_key == key) else {
            continue;
        };
        let input = OpenInput {
            title: title.into(),
            description: format!(
                "{title}. Behovet är beskrivet av verksamheten och ärendet drivs enligt processen."
            ),
            unit: [UNIT_CARE, REGION, UNIT_SERVICE][i % 3].into(),
            template: template.id.to_string(),
            submissions: References(accepted.get(i).cloned().into_iter().collect()),
            ..Default::default()
        };
        let (id, _) = cases::open(app, &advisor, &input).await?;
        let add = |function: &str, name: &str| cases::MemberInput {
            function: function.into(),
            name: name.into(),
            ..Default::default()
        };
        let functions: Vec<String> = cases::view(app, &advisor, &id)
            .await?
            .template
            .functions
            .iter()
            .map(|f| f.key.clone())
            .take(3)
            .collect();
        for (f, name) in
            functions
                .iter()
                .zip(["Eva Verksamhetschef", "Tomas Testledare", "Inga Inköpare"])
        {
            cases::member(app, &advisor, &id, &add(f, name)).await?;
        }
        for (_, user_id, function) in in_groups.iter().filter(|(case, _, _)| *case == i) {
            let m = cases::MemberInput {
                function: (*function).into(),
                user_id: user_id.to_string(),
                ..Default::default()
            };
            cases::member(app, &advisor, &id, &m).await?;
        }
        for _ in 0..passes {
            let v = cases::view(app, &advisor, &id).await?;
            if v.state.status != domain::case::CaseStatus::Active {
                break;
            }
            for (step, item) in v.state.open_required(&v.template) {
                cases::tick(
                    app,
                    &advisor,
                    &id,
                    &TickInput {
                        step,
                        item,
                        ..Default::default()
                    },
                )
                .await?;
            }
            let phase = &v.template.phases[v.state.phase];
            let who = holder(&[&advisor, &decider, &owner], phase.gate.role)?;
            if v.path_open() {
                cases::choose_path(
                    app,
                    who,
                    &id,
                    &PathInput {
                        vagval: path.as_str().into(),
                        rationale: "Vägvalet följer av behovsanalysen och omvärldsanalysen.".into(),
                    },
                )
                .await?;
                if matches!(path, Vagval::NotInnovation | Vagval::Close) {
                    break;
                }
            }
            if phase.gate.requires_handover {
                for (kind, extra) in [
                    (ResultKind::Adopt, UNIT_CARE),
                    (ResultKind::Measure, ""),
                    (ResultKind::Handover, ""),
                ] {
                    let r = ResultInput {
                        kind: Some(kind),
                        unit: extra.into(),
                        name: "Väntetid till besked".into(),
                        measure_unit: "dagar".into(),
                        before: "14".into(),
                        after: "3,5".into(),
                        receiver: "Hälso- och sjukvårdens linjeorganisation".into(),
                        note: "Förvaltningen har tagit över drift, support och vidareutveckling."
                            .into(),
                    };
                    cases::record_result(app, &advisor, &id, &r).await?;
                }
            }
            cases::decide(
                app,
                who,
                &id,
                &DecideInput {
                    decision: "proceed".into(),
                    rationale: "Underlaget är tillräckligt för att gå vidare.".into(),
                    ..Default::default()
                },
            )
            .await?;
        }
        if finish == "close" {
            let v = cases::view(app, &advisor, &id).await?;
            let phase = &v.template.phases[v.state.phase];
            if v.path_open() && matches!(path, Vagval::NotInnovation | Vagval::Close) {
                let who = holder(&[&advisor, &decider, &owner], phase.gate.role)?;
                cases::choose_path(app, who, &id, &PathInput { vagval: path.as_str().into(), rationale: "Detta är förbättringsarbete i befintlig verksamhet och lämnas till linjen.".into() }).await?;
            }
            let who = holder(&[&advisor, &decider, &owner], phase.gate.role)?;
            cases::decide(
                app,
                who,
                &id,
                &DecideInput {
                    decision: "close".into(),
                    rationale: "Ärendet avslutas enligt vägvalet.".into(),
                    ..Default::default()
                },
            )
            .await?;
        }
        if i == 3 {
            cases::edit(
                app,
                &advisor,
                &id,
                &cases::DetailsInput {
                    confidential: "on".into(),
                    legal_ground: "31 kap. 16 § OSL (affärsförhållanden)".into(),
                    ..cases::DetailsInput::from_case(
                        &cases::view(app, &advisor, &id).await?.case,
                        UNIT_CARE,
                    )
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// A workshop in its voting phase with concepts and votes, and an open question, so the
/// facilitator's screen and the public list have something to show.
async fn load_campaigns(app: &App, people: &[DemoUser]) -> Result<()> {
    use crate::campaigns::{self, IdeaInput, NewCampaignInput, VoteInput};
    let advisor = people
        .iter()
        .find(|p| p.role == Role::Advisor)
        .ok_or(AppError::NotFound)?;
    let caller = demo_caller(app, advisor).await?;
    if !campaigns::mine(app, &caller).await?.0.is_empty() {
        return Ok(());
    }
    let workshop = campaigns::create(
        app,
        &caller,
        &NewCampaignInput {
            title: "Framtidens nära vård i Region Sydost".into(),
            question:
                "Vilka idéer ska vi gå vidare med för att vården ska komma närmare invånarna?"
                    .into(),
            mode: "workshop".into(),
            organisation: REGION.into(),
            vote_quota: Some(20),
            ..Default::default()
        },
    )
    .await?;
    let code = workshop.code.clone();
    for text in [
        "Videobesök hos distriktssköterskan för den som bor långt från vårdcentralen.",
        "Egenmätning av blodtryck hemma, med värdena direkt i journalen.",
        "Digital incheckning och kölapp i mobilen på vårdcentralen.",
        "Sensorer som larmar vid fall hos äldre som bor hemma.",
        "En gemensam vårdplan som patient, kommun och region ser samtidigt.",
        "Mobila provtagningsteam som kommer hem till den som inte kan resa.",
        "Chatt med sjuksköterska på kvällar och helger.",
    ] {
        campaigns::add_idea(app, &caller, &code, None, &IdeaInput { text: text.into() }).await?;
    }
    campaigns::set_phase(app, &caller, &code, "voting").await?;
    for k in 0..6u64 {
        let joined = campaigns::join(app, &Caller::Public, &code).await?;
        for v in 0..(8 + k as usize) {
            let Some(pair) = campaigns::next_pair(app, &code, &joined.token).await? else {
                break;
            };
            // Voters who lean toward the earlier concepts, with some noise.
            let left_first = pair.left.seq < pair.right.seq;
            let choice = if (v as u64 + k).is_multiple_of(4) {
                !left_first
            } else {
                left_first
            };
            campaigns::vote(
                app,
                &code,
                &joined.token,
                &VoteInput {
                    offer_id: pair.offer.id.clone(),
                    choice: if choice { "left" } else { "right" }.into(),
                    response_ms: Some(2000 + 300 * v as i64),
                    ..Default::default()
                },
            )
            .await?;
        }
    }
    let open = campaigns::create(
        app,
        &caller,
        &NewCampaignInput {
            title: "Vad skulle göra ditt besök på sjukhuset enklare?".into(),
            question: "Rösta på idéerna två och två, och föreslå gärna en egen.".into(),
            mode: "open".into(),
            organisation: REGION.into(),
            require_approval: true,
            ..Default::default()
        },
    )
    .await?;
    for text in [
        "Skyltning i färg från parkeringen till mottagningen.",
        "Besked om väntetid i mobilen.",
        "Gratis wifi i väntrummen.",
    ] {
        campaigns::add_idea(
            app,
            &caller,
            &open.code,
            None,
            &IdeaInput { text: text.into() },
        )
        .await?;
    }
    campaigns::set_phase(app, &caller, &open.code, "open").await?;
    Ok(())
}
