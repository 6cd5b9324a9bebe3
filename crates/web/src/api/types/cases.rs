//! Cases: opening, the case with its process state, the changes to it, and the public
//! register.

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ArrayBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{ObjectBuilder, RefOr};
use utoipa::{IntoParams, ToSchema};

use super::{Named, one_of};
use app::cases::{
    BoardQuery, CaseView, DecideInput, DetailsInput, DiariumEntry, DiariumQuery, MemberInput,
    OpenInput, PathInput, References, ResultInput, TickInput,
};
use domain::case::{CaseEvent, CaseState, CaseStatus, GateDecision};
use domain::process::Vagval;
use store::cases::CaseRow;

fn case_statuses() -> utoipa::openapi::schema::Object {
    one_of(CaseStatus::ALL.iter().map(|s| s.as_str()))
}

fn decisions() -> utoipa::openapi::schema::Object {
    one_of(GateDecision::ALL.iter().map(|s| s.as_str()))
}

fn vagval() -> utoipa::openapi::schema::Object {
    one_of(Vagval::ALL.iter().map(|s| s.as_str()))
}

fn result_kinds() -> utoipa::openapi::schema::Object {
    one_of(["adopt", "measure", "handover"])
}

/// A list, or one text with commas.
fn references() -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)))
        .item(ObjectBuilder::new().schema_type(Type::String))
        .description(Some(
            "Diarienummer of accepted submissions, as a list or one comma-separated text.",
        ))
        .into()
}

/// A checkbox: a boolean, or a form's text (`on`).
fn flag() -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Boolean))
        .item(ObjectBuilder::new().schema_type(Type::String))
        .description(Some(
            "Confidential (sekretess): the title is masked in the public register.",
        ))
        .into()
}

/// Opening a case.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(examples(json!({
    "title": "Digital incheckning",
    "description": "Patienter köar för att anmäla sin ankomst.",
    "unit": "enhet-st",
    "template": "spelplanen"
})))]
pub struct NewCase {
    #[schema(min_length = 3, max_length = 200, required = true)]
    #[serde(default)]
    pub title: String,
    /// Shown in the public register; the title if left out.
    #[schema(max_length = 200)]
    #[serde(default)]
    pub public_title: String,
    #[schema(min_length = 1, max_length = 10000, required = true)]
    #[serde(default)]
    pub description: String,
    /// Slug of the owning organisation.
    #[schema(required = true)]
    #[serde(default)]
    pub unit: String,
    /// Id of a process template version the region may use, or its key (`spelplanen`);
    /// may be left out when there is only one.
    #[serde(default)]
    pub template: String,
    #[schema(schema_with = references)]
    #[serde(default)]
    pub submissions: References,
    /// User id of the handler; the caller if left out.
    #[serde(default)]
    pub handler: String,
}

impl From<NewCase> for OpenInput {
    fn from(c: NewCase) -> Self {
        OpenInput {
            title: c.title,
            public_title: c.public_title,
            description: c.description,
            unit: c.unit,
            template: c.template,
            submissions: c.submissions,
            handler: c.handler,
        }
    }
}

/// An opened case and its diarienummer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseCreated {
    pub id: String,
    pub reference: String,
}

/// The board's filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseFilter {
    /// Slug of a unit.
    #[serde(default)]
    pub unit: String,
    /// A user id, or `me`.
    #[serde(default)]
    pub handler: String,
    /// A path.
    #[serde(default)]
    pub vagval: String,
    /// `1` for cases with an overdue step.
    #[serde(default)]
    pub overdue: String,
    /// `active` (the default), `completed`, `closed` or `all`.
    #[serde(default)]
    pub status: String,
    /// Text in the title or reference.
    #[serde(default)]
    pub q: String,
}

impl From<CaseFilter> for BoardQuery {
    fn from(f: CaseFilter) -> Self {
        BoardQuery {
            unit: f.unit,
            handler: f.handler,
            vagval: f.vagval,
            overdue: f.overdue,
            status: f.status,
            q: f.q,
        }
    }
}

/// A case as lists show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseSummary {
    pub id: String,
    pub reference: String,
    pub title: String,
    pub public_title: String,
    pub organisation: Named,
    pub template: TemplateRef,
    pub handler: Option<Handler>,
    /// The current phase's key.
    pub phase: String,
    #[schema(schema_with = case_statuses)]
    pub status: String,
    pub vagval: Option<String>,
    pub next_due_at: Option<String>,
    pub confidential: bool,
    pub legal_ground: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// The process template version a case follows.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateRef {
    pub id: String,
    pub key: String,
    pub version: i64,
}

/// A case's handler.
#[derive(Debug, Serialize, ToSchema)]
pub struct Handler {
    pub id: String,
    pub name: Option<String>,
}

impl From<&CaseRow> for CaseSummary {
    fn from(c: &CaseRow) -> Self {
        CaseSummary {
            id: c.id.as_str().into(),
            reference: c.reference.clone(),
            title: c.title.clone(),
            public_title: c.public_title.clone(),
            organisation: Named {
                id: c.org_id.to_string(),
                name: c.org_name.clone(),
            },
            template: TemplateRef {
                id: c.template_id.to_string(),
                key: c.template_key.clone(),
                version: c.template_version,
            },
            handler: c.handler_id.as_ref().map(|id| Handler {
                id: id.as_str().into(),
                name: c.handler_name.clone(),
            }),
            phase: c.phase_key.clone(),
            status: c.status.as_str().into(),
            vagval: c.vagval.map(|v| v.as_str().into()),
            next_due_at: c.next_due_at.clone(),
            confidential: c.confidential,
            legal_ground: c.legal_ground.clone(),
            created_at: c.created_at.clone(),
            updated_at: c.updated_at.clone(),
        }
    }
}

/// The cases the caller may see.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseList {
    pub items: Vec<CaseSummary>,
    pub total: usize,
}

/// One case with its process state, working group and submissions.
#[derive(Debug, Serialize, ToSchema)]
pub struct Case {
    #[serde(flatten)]
    pub summary: CaseSummary,
    pub description: String,
    pub process: Process,
    pub members: Vec<Member>,
    pub submissions: Vec<CaseSubmission>,
}

/// Where a case stands in its process.
#[derive(Debug, Serialize, ToSchema)]
pub struct Process {
    pub phase: String,
    pub phase_name: String,
    #[schema(schema_with = case_statuses)]
    pub status: String,
    pub vagval: Option<String>,
    pub gate: Gate,
    pub open_required_items: Vec<ItemRef>,
    pub checklist: Vec<Step>,
    pub decisions: Vec<Decided>,
    pub result: CaseResult,
}

/// The gate that ends the current phase.
#[derive(Debug, Serialize, ToSchema)]
pub struct Gate {
    pub name: String,
    /// The role whose mandate decides it.
    pub role: String,
    pub requires_handover: bool,
}

/// A checklist item, by step and item key.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemRef {
    pub step: String,
    pub item: String,
}

/// A step of the current phase's checklist.
#[derive(Debug, Serialize, ToSchema)]
pub struct Step {
    pub step: String,
    pub name: String,
    pub due_days: Option<i64>,
    pub items: Vec<Item>,
}

/// A checklist item and its tick.
#[derive(Debug, Serialize, ToSchema)]
pub struct Item {
    pub item: String,
    pub text: String,
    pub required: bool,
    pub done: bool,
    pub by: Option<String>,
    pub note: Option<String>,
}

/// A gate decision taken.
#[derive(Debug, Serialize, ToSchema)]
pub struct Decided {
    pub phase: String,
    #[schema(schema_with = decisions)]
    pub decision: String,
    pub by: String,
    pub role: String,
    pub rationale: String,
    pub override_reason: Option<String>,
    pub open_items: Vec<ItemRef>,
}

/// What the case has achieved.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseResult {
    pub adopted_by: Vec<Named>,
    pub measures: Vec<Measure>,
    pub handover: Option<Handover>,
}

/// A benefit measure.
#[derive(Debug, Serialize, ToSchema)]
pub struct Measure {
    pub name: String,
    pub unit: String,
    pub before: String,
    pub after: String,
}

/// The handover to the receiving organisation.
#[derive(Debug, Serialize, ToSchema)]
pub struct Handover {
    pub receiver: String,
    pub note: String,
    pub by: String,
}

/// A member of the working group.
#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    pub id: String,
    pub user_id: Option<String>,
    pub name: String,
    /// A function key of the case's template.
    pub function: String,
}

/// A submission the case grew from.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseSubmission {
    pub id: String,
    pub reference: String,
    pub status: String,
}

fn item_refs(items: &[(String, String)]) -> Vec<ItemRef> {
    items
        .iter()
        .map(|(step, item)| ItemRef {
            step: step.clone(),
            item: item.clone(),
        })
        .collect()
}

impl Process {
    fn of(s: &CaseState, v: &CaseView) -> Self {
        let t = &v.template;
        let phase = &t.phases[s.phase.min(t.phases.len() - 1)];
        Process {
            phase: phase.key.clone(),
            phase_name: phase.name.clone(),
            status: s.status.as_str().to_string(),
            vagval: s.vagval.map(|x| x.as_str().to_string()),
            gate: Gate {
                name: phase.gate.name.clone(),
                role: phase.gate.role.as_str().to_string(),
                requires_handover: phase.gate.requires_handover,
            },
            open_required_items: item_refs(&s.open_required(t)),
            checklist: s
                .steps(t, s.phase)
                .iter()
                .map(|st| Step {
                    step: st.key.clone(),
                    name: st.name.clone(),
                    due_days: st.due_days,
                    items: st
                        .items
                        .iter()
                        .map(|i| {
                            let tick = s.ticked.get(&(st.key.clone(), i.key.clone()));
                            Item {
                                item: i.key.clone(),
                                text: i.text.clone(),
                                required: i.required,
                                done: tick.is_some(),
                                by: tick.map(|x| x.by.clone()),
                                note: tick.and_then(|x| x.note.clone()),
                            }
                        })
                        .collect(),
                })
                .collect(),
            decisions: s
                .decisions
                .iter()
                .filter_map(|d| match d {
                    CaseEvent::GateDecided {
                        phase,
                        decision,
                        by,
                        role,
                        rationale,
                        override_reason,
                        open_items,
                    } => Some(Decided {
                        phase: phase.clone(),
                        decision: decision.as_str().to_string(),
                        by: by.clone(),
                        role: role.as_str().to_string(),
                        rationale: rationale.clone(),
                        override_reason: override_reason.clone(),
                        open_items: item_refs(open_items),
                    }),
                    _ => None,
                })
                .collect(),
            result: CaseResult {
                adopted_by: s
                    .adopted
                    .iter()
                    .map(|o| Named {
                        id: o.to_string(),
                        name: v.unit_name(o),
                    })
                    .collect(),
                measures: s
                    .measures
                    .iter()
                    .map(|m| Measure {
                        name: m.name.clone(),
                        unit: m.unit.clone(),
                        before: m.before.clone(),
                        after: m.after.clone(),
                    })
                    .collect(),
                handover: s.handover.as_ref().map(|h| Handover {
                    receiver: h.receiver.clone(),
                    note: h.note.clone(),
                    by: h.by.clone(),
                }),
            },
        }
    }
}

impl From<&CaseView> for Case {
    fn from(v: &CaseView) -> Self {
        Case {
            summary: CaseSummary::from(&v.case),
            description: v.case.description.clone(),
            process: Process::of(&v.state, v),
            members: v
                .members
                .iter()
                .map(|m| Member {
                    id: m.id.clone(),
                    user_id: m.user_id.as_ref().map(|u| u.as_str().into()),
                    name: m.name.clone(),
                    function: m.function_key.clone(),
                })
                .collect(),
            submissions: v
                .submissions
                .iter()
                .map(|s| CaseSubmission {
                    id: s.id.as_str().into(),
                    reference: s.reference.clone(),
                    status: s.status.as_str().into(),
                })
                .collect(),
        }
    }
}

/// A case's event log, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    pub items: Vec<super::submissions::Event>,
}

/// Ticking (or unticking) a checklist item of the current phase.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(examples(json!({ "step": "arbetsgrupp", "item": "verksamheten", "note": "Klart enligt arbetsgruppen." })))]
pub struct Tick {
    #[schema(required = true)]
    #[serde(default)]
    pub step: String,
    #[schema(required = true)]
    #[serde(default)]
    pub item: String,
    #[schema(max_length = 4000)]
    #[serde(default)]
    pub note: String,
    /// Take the tick back.
    #[serde(default)]
    pub undo: bool,
}

impl From<Tick> for TickInput {
    fn from(t: Tick) -> Self {
        TickInput {
            step: t.step,
            item: t.item,
            note: t.note,
            undo: t.undo,
        }
    }
}

/// A gate decision.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(examples(json!({ "decision": "hold", "rationale": "Vi väntar på verksamhetens svar." })))]
pub struct Decision {
    #[schema(schema_with = decisions, required = true)]
    #[serde(default)]
    pub decision: String,
    #[schema(min_length = 3, max_length = 4000, required = true)]
    #[serde(default)]
    pub rationale: String,
    /// Needed to proceed while required items are open; kept with the decision.
    #[schema(max_length = 4000)]
    #[serde(default)]
    pub override_reason: String,
}

impl From<Decision> for DecideInput {
    fn from(d: Decision) -> Self {
        DecideInput {
            decision: d.decision,
            rationale: d.rationale,
            override_reason: d.override_reason,
        }
    }
}

/// The path (vägval).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(examples(json!({ "vagval": "testbed", "rationale": "Lösningen prövas först i en testbädd." })))]
pub struct PathChoice {
    #[schema(schema_with = vagval, required = true)]
    #[serde(default)]
    pub vagval: String,
    #[schema(min_length = 3, max_length = 4000, required = true)]
    #[serde(default)]
    pub rationale: String,
}

impl From<PathChoice> for PathInput {
    fn from(p: PathChoice) -> Self {
        PathInput {
            vagval: p.vagval,
            rationale: p.rationale,
        }
    }
}

/// Part of the result: an adopting unit, a benefit measure or the handover.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(examples(json!({ "kind": "adopt", "unit": "enhet-st" })))]
pub struct NewResult {
    #[schema(schema_with = result_kinds, required = true)]
    #[serde(default)]
    pub kind: String,
    /// adopt: slug of the adopting unit.
    #[serde(default)]
    pub unit: String,
    /// measure: what is measured.
    #[serde(default)]
    pub name: String,
    /// measure: its unit.
    #[serde(default)]
    pub measure_unit: String,
    /// measure: a number; a decimal comma is fine.
    #[serde(default)]
    pub before: String,
    /// measure: a number.
    #[serde(default)]
    pub after: String,
    /// handover: who received the solution.
    #[serde(default)]
    pub receiver: String,
    /// handover: how.
    #[serde(default)]
    pub note: String,
}

impl From<NewResult> for ResultInput {
    fn from(r: NewResult) -> Self {
        ResultInput {
            kind: domain::case::ResultKind::parse(&r.kind),
            unit: r.unit,
            name: r.name,
            measure_unit: r.measure_unit,
            before: r.before,
            after: r.after,
            receiver: r.receiver,
            note: r.note,
        }
    }
}

/// Adding to or taking out of the working group.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(examples(json!({ "name": "Tomas Testledare", "function": "testa" })))]
pub struct MemberChange {
    /// A function key of the case's template.
    #[serde(default)]
    pub function: String,
    /// A colleague's user id.
    #[serde(default)]
    pub user_id: String,
    /// For someone without an account.
    #[serde(default)]
    pub name: String,
    /// A member id to take out of the group.
    #[serde(default)]
    pub remove: String,
}

impl From<MemberChange> for MemberInput {
    fn from(m: MemberChange) -> Self {
        MemberInput {
            user_id: m.user_id,
            name: m.name,
            function: m.function,
            remove: m.remove,
        }
    }
}

/// A checkbox as JSON may send it: a boolean, or a form's text.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Flag {
    Bool(bool),
    Text(String),
}

impl Default for Flag {
    fn default() -> Self {
        Flag::Text(String::new())
    }
}

/// The case's details.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(examples(json!({
    "title": "Digital incheckning",
    "description": "Patienter köar för att anmäla sin ankomst.",
    "unit": "enhet-st",
    "confidential": false
})))]
pub struct Details {
    #[schema(min_length = 3, max_length = 200, required = true)]
    #[serde(default)]
    pub title: String,
    #[schema(max_length = 200)]
    #[serde(default)]
    pub public_title: String,
    #[schema(min_length = 1, max_length = 10000, required = true)]
    #[serde(default)]
    pub description: String,
    /// Slug of the owning organisation (in the case's region).
    #[schema(required = true)]
    #[serde(default)]
    pub unit: String,
    /// User id; empty for none.
    #[serde(default)]
    pub handler: String,
    #[schema(schema_with = flag)]
    #[serde(default)]
    pub confidential: Flag,
    /// Required when confidential.
    #[schema(max_length = 300)]
    #[serde(default)]
    pub legal_ground: String,
}

impl From<Details> for DetailsInput {
    fn from(d: Details) -> Self {
        DetailsInput {
            title: d.title,
            public_title: d.public_title,
            description: d.description,
            unit: d.unit,
            handler: d.handler,
            confidential: match d.confidential {
                Flag::Bool(true) => "true".into(),
                Flag::Bool(false) => String::new(),
                Flag::Text(s) => s,
            },
            legal_ground: d.legal_ground,
        }
    }
}

/// The public register's filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiariumFilter {
    /// A diarienummer or part of one.
    #[serde(default)]
    pub q: String,
    /// YYYY-MM-DD
    #[serde(default)]
    pub from: String,
    /// YYYY-MM-DD
    #[serde(default)]
    pub to: String,
    /// Page number.
    #[serde(default)]
    pub page: String,
}

impl From<DiariumFilter> for DiariumQuery {
    fn from(f: DiariumFilter) -> Self {
        DiariumQuery {
            q: f.q,
            from: f.from,
            to: f.to,
            page: f.page,
        }
    }
}

fn entry_types() -> utoipa::openapi::schema::Object {
    one_of(["submission", "case"])
}

/// An entry of the public register: no personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiariumItem {
    #[serde(rename = "type")]
    #[schema(schema_with = entry_types)]
    pub entry_type: String,
    pub reference: String,
    pub registered_at: String,
    pub organisation: String,
    /// A case's public title (null when confidential); a submission's kind.
    pub heading: Option<String>,
    pub status: String,
    pub phase: Option<String>,
    pub confidential: bool,
    pub legal_ground: Option<String>,
}

impl From<&DiariumEntry> for DiariumItem {
    fn from(e: &DiariumEntry) -> Self {
        let r = &e.row;
        DiariumItem {
            entry_type: r.entry_type.clone(),
            reference: r.reference.clone(),
            registered_at: r.registered_at.clone(),
            organisation: r.org_name.clone(),
            heading: (!(r.entry_type == "case" && r.confidential)).then(|| r.heading.clone()),
            status: r.status.clone(),
            phase: e.phase_name.clone(),
            confidential: r.confidential,
            legal_ground: r.legal_ground.clone(),
        }
    }
}

/// One page of the register, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiariumPage {
    pub items: Vec<DiariumItem>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}
