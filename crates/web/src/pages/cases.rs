//! Cases (ärenden): the board by phase, my cases, overdue steps, opening a case, and the
//! case page where checklists are ticked, gates decided, the path chosen and the result
//! recorded. Every form works without JavaScript; a refused form comes back with what was
//! typed and a message at each field.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

mod forms;

use forms::CaseForm;
pub use forms::{
    AddMemberForm, AdoptForm, DecisionForm, DetailsForm, HandoverForm, MeasureForm, PathForm,
    RemoveMemberForm, TickForm, UntickForm, add_member, adopt, choose_path, decide, edit, handover,
    measure, remove_member, tick, untick,
};

use super::error::{Failing, PageResult};
use super::form::{TypedForm, Values};
use super::inbox::{EventView, event_view};
use super::work::Named;
use super::{FormErrors, render_status, see_other};
use crate::AppState;
use crate::ctx::Ctx;
use app::AppError;
use app::cases::{Board, BoardQuery, CaseView, DetailsInput, OpenChoices, OpenInput, OverdueStep};
use domain::case::{CaseEvent, CaseStatus, GateDecision};
use domain::id::CaseId;
use domain::process::{Step, Vagval};
use domain::time::Timestamp;

// ── Board, my cases ─────────────────────────────────────────────────────────────────────

#[derive(Template)]
#[template(path = "cases_board.html")]
struct BoardPage<'a> {
    ctx: &'a Ctx,
    q: BoardQuery,
    board: Option<Board>,
    errors: FormErrors,
    mine: bool,
    paths: &'static [Vagval],
}

impl BoardPage<'_> {
    /// A process text in the page's language (Swedish, marked so, where it has no English).
    fn named(&self, sv: &str, en: &Option<String>) -> Named {
        Named::pick(self.ctx, sv, en)
    }

    fn overdue(&self, c: &store::cases::CaseRow) -> bool {
        match (&c.next_due_at, &self.board) {
            (Some(d), Some(b)) => *d < b.now,
            _ => false,
        }
    }

    fn action(&self) -> &'static str {
        if self.mine {
            "/arenden/mina"
        } else {
            "/arenden"
        }
    }

    fn any_filter(&self) -> bool {
        let q = &self.q;
        [&q.unit, &q.handler, &q.vagval, &q.overdue, &q.status, &q.q]
            .iter()
            .any(|v| !v.is_empty())
    }

    /// How many of the filters folded under "Fler filter" on a phone narrow the board
    /// (the status "active" is the default, not a choice), as on the inbox.
    fn more_filters(&self) -> usize {
        let q = &self.q;
        let status = usize::from(!q.status.is_empty() && q.status != "active");
        status
            + [&q.unit, &q.handler, &q.vagval, &q.overdue]
                .iter()
                .filter(|v| !v.is_empty())
                .count()
    }
}

async fn board_page(state: &AppState, ctx: &Ctx, q: BoardQuery, mine: bool) -> PageResult {
    let (board, errors, status) = match app::cases::board(&state.app, &ctx.caller, &q, mine).await {
        Ok(b) => (Some(b), FormErrors::default(), StatusCode::OK),
        Err(AppError::Validation(e)) => (
            None,
            FormErrors::new(&ctx.t, &e),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => return Err(e).or_page(ctx),
    };
    let page = BoardPage {
        ctx,
        q,
        board,
        errors,
        mine,
        paths: Vagval::ALL,
    };
    Ok(render_status(status, &page))
}

pub async fn board(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<BoardQuery>,
) -> PageResult {
    board_page(&state, &ctx, q, false).await
}

pub async fn mine(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<BoardQuery>,
) -> PageResult {
    board_page(&state, &ctx, q, true).await
}

// ── Overdue steps ───────────────────────────────────────────────────────────────────────

#[derive(Template)]
#[template(path = "cases_overdue.html")]
struct OverduePage<'a> {
    ctx: &'a Ctx,
    steps: Vec<OverdueStep>,
}

impl OverduePage<'_> {
    /// A process text in the page's language (Swedish, marked so, where it has no English).
    fn named(&self, sv: &str, en: &Option<String>) -> Named {
        Named::pick(self.ctx, sv, en)
    }

    fn date(&self, t: &Timestamp) -> String {
        t.swedish_date_string()
    }
}

pub async fn overdue(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let steps = app::cases::overdue(&state.app, &ctx.caller)
        .await
        .or_page(&ctx)?;
    Ok(render_status(
        StatusCode::OK,
        &OverduePage { ctx: &ctx, steps },
    ))
}

// ── Opening a case ──────────────────────────────────────────────────────────────────────

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewPage<'a> {
    ctx: &'a Ctx,
    choices: OpenChoices,
    v: Values,
    errors: FormErrors,
}

impl NewPage<'_> {
    fn template_named(&self, t: &store::processes::TemplateRow) -> Named {
        Named::template(self.ctx, t)
    }

    fn val(&self, k: &str) -> &str {
        self.v.get(k).map(String::as_str).unwrap_or("")
    }

    fn me(&self) -> &str {
        self.ctx.caller.user().map(|u| u.id.as_str()).unwrap_or("")
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    /// A submission's diarienummer to open the case from.
    fran: String,
}

/// The new case's fields as the page labels them, for the error summary.
const NEW_LABELS: &[(&str, &str)] = &[
    ("title", "case.field.title"),
    ("public_title", "case.field.public_title"),
    ("description", "case.field.description"),
    ("submissions", "case.field.submissions"),
    ("unit", "case.unit"),
    ("handler", "case.handler"),
    ("legal_ground", "case.field.legal_ground"),
];

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    v: Values,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let choices = app::cases::open_choices(&state.app, &ctx.caller)
        .await
        .or_page(ctx)?;
    let page = NewPage {
        ctx,
        choices,
        v,
        errors,
    };
    Ok(render_status(status, &page))
}

pub async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NewQuery>,
) -> PageResult {
    let mut v = Values::new();
    if !q.fran.trim().is_empty() {
        v.insert("submissions".into(), q.fran.trim().to_string());
        // Opened from a submission: its words, its unit and its region's process to start
        // from, all changeable before the case is opened.
        let from = app::cases::prefill(&state.app, &ctx.caller, &q.fran)
            .await
            .or_page(&ctx)?;
        if let Some(p) = from {
            v.insert("title".into(), p.title);
            v.insert("description".into(), p.description);
            v.insert("unit".into(), p.unit);
            if let Some(t) = p.template {
                v.insert("template".into(), t);
            }
        }
    }
    new_page(&state, &ctx, v, FormErrors::default(), StatusCode::OK).await
}

pub async fn open(
    State(state): State<AppState>,
    ctx: Ctx,
    form: TypedForm<OpenInput>,
) -> PageResult {
    let v = form.values;
    let input = match form.input {
        Ok(input) => input,
        Err(e) => {
            let errors = FormErrors::in_form(&ctx.t, NEW_LABELS, &e);
            return new_page(&state, &ctx, v, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match app::cases::open(&state.app, &ctx.caller, &input).await {
        Ok((id, _)) => Ok(see_other(&format!("/arenden/{id}?klart=opened"))),
        Err(AppError::Validation(e)) => {
            let errors = FormErrors::in_form(&ctx.t, NEW_LABELS, &e);
            new_page(&state, &ctx, v, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e).or_page(&ctx),
    }
}

// ── The case page ───────────────────────────────────────────────────────────────────────

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage<'a> {
    ctx: &'a Ctx,
    c: CaseView,
    events: Vec<EventView>,
    done: String,
    /// The form shown again with errors, and what was typed in it.
    open: String,
    v: Values,
    errors: FormErrors,
    decisions: &'static [GateDecision],
    details: DetailsInput,
    /// The whole timeline (`?alla=1`), not only its latest entries.
    all_events: bool,
}

/// How many of a timeline's entries the case page shows until asked for all.
const LATEST_EVENTS: usize = 8;

impl CasePage<'_> {
    fn is_open(&self, form: &str) -> bool {
        self.open == form
    }

    /// A value typed into `form`, when that form is the one shown again.
    fn val(&self, form: &str, k: &str) -> &str {
        if self.open == form {
            self.v.get(k).map(String::as_str).unwrap_or("")
        } else {
            ""
        }
    }

    fn err(&self, form: &str, field: &str) -> Option<&str> {
        if self.open == form {
            self.errors.get(field)
        } else {
            None
        }
    }

    /// A process text in the page's language (see [`Named`]).
    fn named(&self, sv: &str, en: &Option<String>) -> Named {
        Named::pick(self.ctx, sv, en)
    }

    /// A process text where no markup may go (an `<option>`): the text, and whether it
    /// is Swedish on an English page (for a `lang` attribute).
    fn label<'t>(&self, sv: &'t str, en: &'t Option<String>) -> (&'t str, bool) {
        domain::process::in_language(sv, en.as_deref(), self.ctx.is_en())
    }

    /// A working-group function's name (its key, if the template no longer has it).
    fn function_named(&self, key: &str) -> Named {
        match self.c.template.function(key) {
            Some(f) => self.named(&f.name, &f.name_en),
            None => self.named(key, &None),
        }
    }

    fn current_phase_named(&self) -> Named {
        match self.c.template.phases.get(self.c.state.phase) {
            Some(p) => self.named(&p.name, &p.name_en),
            None => self.named("", &None),
        }
    }

    fn steps_of(&self, phase: &usize) -> Vec<&Step> {
        self.c.state.steps(&self.c.template, *phase)
    }

    /// Items ticked and items in all, of one step.
    fn step_progress(&self, step: &Step) -> (usize, usize) {
        let done = step
            .items
            .iter()
            .filter(|i| self.ticked(&step.key, &i.key).is_some())
            .count();
        (done, step.items.len())
    }

    /// Items ticked and items in all, of a phase (with the path's steps in it).
    fn phase_progress(&self, phase: &usize) -> (usize, usize) {
        self.steps_of(phase)
            .into_iter()
            .map(|s| self.step_progress(s))
            .fold((0, 0), |(a, b), (d, t)| (a + d, b + t))
    }

    /// "3 av 5 klara".
    fn progress(&self, done: &usize, total: &usize) -> String {
        self.ctx
            .t
            .ab("case.progress", &done.to_string(), &total.to_string())
    }

    /// The phases behind the case, to review: those passed, and the last one of a case
    /// that has ended.
    fn finished_phases(&self) -> Vec<usize> {
        let end = if self.is_active() {
            self.c.state.phase
        } else {
            (self.c.state.phase + 1).min(self.c.template.phases.len())
        };
        (0..end).collect()
    }

    /// The attributes that make a tick form answer in place with htmx: the item and the
    /// counts that change are swapped from the page the redirect leads to, and the reader
    /// stays where they are. Without JavaScript the form posts and the page comes back at
    /// the item.
    fn in_place(&self, action: &str, step: &str, item: &str) -> String {
        let id = format!("item-{step}-{item}");
        let url = format!("/arenden/{}/{action}", self.c.case.id);
        format!(
            "data-hx-post=\"{url}\" data-hx-target=\"#{id}\" data-hx-select=\"#{id}\" data-hx-swap=\"outerHTML show:none\" data-hx-select-oob=\"#phase-progress,#step-progress-{step},#stepper,#open-count\""
        )
    }

    /// The timeline's latest entries, or all of them when asked for.
    fn shown_events(&self) -> &[EventView] {
        let skip = if self.all_events {
            0
        } else {
            self.events.len().saturating_sub(LATEST_EVENTS)
        };
        &self.events[skip..]
    }

    fn steps(&self) -> Vec<&Step> {
        self.c.state.steps(&self.c.template, self.c.state.phase)
    }

    fn ticked(&self, step: &str, item: &str) -> Option<&domain::case::Tick> {
        self.c
            .state
            .ticked
            .get(&(step.to_string(), item.to_string()))
    }

    /// A person's name from the people the page knows: those who acted on the case first.
    fn name_of(&self, user_id: &str) -> String {
        self.c
            .events
            .iter()
            .find(|e| e.actor_id.as_ref().is_some_and(|a| a == user_id))
            .and_then(|e| e.actor_name.clone())
            .or_else(|| {
                self.c
                    .colleagues
                    .iter()
                    .find(|p| p.id == user_id)
                    .map(|p| p.name.clone())
            })
            .or_else(|| {
                self.c
                    .members
                    .iter()
                    .find(|m| m.user_id.as_ref().is_some_and(|u| u == user_id))
                    .map(|m| m.name.clone())
            })
            .or_else(|| {
                self.ctx
                    .caller
                    .user()
                    .filter(|u| u.id == user_id)
                    .map(|u| u.name.clone())
            })
            .unwrap_or_else(|| self.ctx.t.t("timeline.someone").to_string())
    }

    /// When an item was (last) ticked, from the event log.
    fn ticked_at(&self, step: &str, item: &str) -> String {
        self.c
            .events
            .iter()
            .rev()
            .filter(|e| e.kind == "case.item_ticked")
            .find(|e| {
                serde_json::from_str::<serde_json::Value>(&e.payload)
                    .is_ok_and(|p| p["event"]["step"] == step && p["event"]["item"] == item)
            })
            .map(|e| super::inbox::when(&e.occurred_at))
            .unwrap_or_default()
    }

    fn due_of(&self, step: &str) -> Option<(String, bool)> {
        let now = Timestamp::now();
        self.c
            .due
            .iter()
            .find(|(k, _, _)| k == step)
            .map(|(_, d, done)| (d.swedish_date_string(), !done && *d < now))
    }

    fn open_count(&self) -> usize {
        self.c.state.open_required(&self.c.template).len()
    }

    fn gate_role(&self) -> &'static str {
        self.c
            .template
            .phases
            .get(self.c.state.phase)
            .map(|p| p.gate.role.as_str())
            .unwrap_or("")
    }

    fn gate_named(&self) -> Named {
        match self.c.template.phases.get(self.c.state.phase) {
            Some(p) => self.named(&p.gate.name, &p.gate.name_en),
            None => self.named("", &None),
        }
    }

    fn gate_needs_handover(&self) -> bool {
        self.c
            .template
            .phases
            .get(self.c.state.phase)
            .is_some_and(|p| p.gate.requires_handover)
    }

    fn path_named(&self, v: &Vagval) -> Named {
        match self.c.template.paths.iter().find(|p| p.vagval == *v) {
            Some(p) => self.named(&p.name, &p.name_en),
            None => self.named(self.ctx.t.k("vagval.", v.as_str()), &None),
        }
    }

    fn phase_state(&self, i: &usize) -> &'static str {
        let i = *i;
        if self.c.state.status == CaseStatus::Completed || i < self.c.state.phase {
            "done"
        } else if i == self.c.state.phase {
            "current"
        } else {
            "todo"
        }
    }

    fn is_active(&self) -> bool {
        self.c.state.status == CaseStatus::Active
    }

    fn decision_list(&self) -> Vec<DecisionView> {
        self.c
            .state
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
                } => Some(DecisionView {
                    phase: match self.c.template.phase(phase) {
                        Some(p) => self.named(&p.name, &p.name_en),
                        None => Named::plain(phase.as_str()),
                    },
                    decision: decision.as_str(),
                    by: self.name_of(by),
                    role: role.as_str(),
                    rationale: rationale.clone(),
                    override_reason: override_reason.clone(),
                    open_items: open_items.len(),
                }),
                _ => None,
            })
            .collect()
    }
}

struct DecisionView {
    phase: Named,
    decision: &'static str,
    by: String,
    role: &'static str,
    rationale: String,
    override_reason: Option<String>,
    open_items: usize,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct CaseQuery {
    klart: String,
}

struct PostState {
    done: String,
    open: String,
    v: Values,
    errors: FormErrors,
}

async fn case_page(
    state: &AppState,
    ctx: &Ctx,
    id: &CaseId,
    post: PostState,
    status: StatusCode,
) -> PageResult {
    let c = app::cases::view(&state.app, &ctx.caller, id)
        .await
        .or_page(ctx)?;
    let events = c
        .events
        .iter()
        .map(|e| case_event_view(ctx, &c, e))
        .collect();
    let done = if ctx.t.has(&format!("case.done.{}", post.done)) {
        post.done
    } else {
        String::new()
    };
    let slug = c
        .units
        .iter()
        .find(|o| o.id == c.case.org_id)
        .map(|o| o.slug.clone())
        .unwrap_or_default();
    let details = if post.open == CaseForm::Details.name() {
        let v = |k: &str| post.v.get(k).cloned().unwrap_or_default();
        DetailsInput {
            title: v("title"),
            public_title: v("public_title"),
            description: v("description"),
            unit: v("unit"),
            handler: v("handler"),
            confidential: v("confidential"),
            legal_ground: v("legal_ground"),
        }
    } else {
        DetailsInput::from_case(&c.case, &slug)
    };
    let page = CasePage {
        ctx,
        c,
        events,
        done,
        open: post.open,
        v: post.v,
        errors: post.errors,
        decisions: GateDecision::ALL,
        details,
        all_events: ctx
            .here
            .split_once('?')
            .is_some_and(|(_, q)| q.split('&').any(|p| p == "alla=1")),
    };
    Ok(render_status(status, &page))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    Query(q): Query<CaseQuery>,
) -> PageResult {
    let post = PostState {
        done: q.klart,
        open: String::new(),
        v: Values::new(),
        errors: FormErrors::default(),
    };
    case_page(&state, &ctx, &id, post, StatusCode::OK).await
}

/// A line of the case's timeline, with the template's words for items, paths and phases in
/// the page's language (Swedish, marked `lang="sv"`, where the template has no English). The
/// detail is HTML: every part is escaped through [`Named`].
fn case_event_view(ctx: &Ctx, c: &CaseView, e: &store::events::EventRow) -> EventView {
    let mut v = event_view(&ctx.t, e);
    let payload: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
    let s = |k: &str| payload.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let t = &c.template;
    let plain = |x: &str| Named::plain(x).to_string();
    let item_text = |step: &str, item: &str| {
        t.phases
            .iter()
            .flat_map(|p| &p.steps)
            .chain(t.paths.iter().flat_map(|p| p.steps.iter().map(|(_, s)| s)))
            .filter(|s| s.key == step)
            .flat_map(|s| &s.items)
            .find(|i| i.key == item)
            .map(|i| Named::pick(ctx, &i.text, &i.text_en))
            .unwrap_or_else(|| Named::plain(format!("{step}/{item}")))
    };
    let event: Option<CaseEvent> = payload
        .get("event")
        .and_then(|x| serde_json::from_value(x.clone()).ok());
    v.detail = match (e.kind.as_str(), event) {
        (
            _,
            Some(CaseEvent::Ticked {
                step, item, note, ..
            }),
        ) => Some(match note {
            Some(n) => format!("{} – {}", item_text(&step, &item), plain(&n)),
            None => item_text(&step, &item).to_string(),
        }),
        (_, Some(CaseEvent::Unticked { step, item, .. })) => {
            Some(item_text(&step, &item).to_string())
        }
        (
            _,
            Some(CaseEvent::PathChosen {
                vagval, rationale, ..
            }),
        ) => {
            let name = t
                .paths
                .iter()
                .find(|p| p.vagval == vagval)
                .map(|p| Named::pick(ctx, &p.name, &p.name_en))
                .unwrap_or_else(|| Named::plain(ctx.t.k("vagval.", vagval.as_str())));
            Some(format!("{name} – {}", plain(&rationale)))
        }
        (
            _,
            Some(CaseEvent::GateDecided {
                phase,
                decision,
                rationale,
                override_reason,
                ..
            }),
        ) => {
            let phase = t
                .phase(&phase)
                .map(|p| Named::pick(ctx, &p.name, &p.name_en))
                .unwrap_or_else(|| Named::plain(phase));
            let mut d = format!(
                "{phase}: {} – {}",
                plain(ctx.t.k("decision.", decision.as_str())),
                plain(&rationale)
            );
            if let Some(o) = override_reason {
                d.push_str(&format!(
                    " ({}: {})",
                    plain(ctx.t.t("case.gate.override")),
                    plain(&o)
                ));
            }
            Some(d)
        }
        (_, Some(CaseEvent::Adopted { org_id, .. })) => Some(plain(&c.unit_name(&org_id))),
        (
            _,
            Some(CaseEvent::MeasureRecorded {
                name,
                unit,
                before,
                after,
                ..
            }),
        ) => Some(plain(&format!("{name}: {before} → {after} {unit}"))),
        (_, Some(CaseEvent::HandoverRecorded { receiver, .. })) => Some(plain(&receiver)),
        ("case.opened", None) => s("reference").map(|r| plain(&r)),
        ("case.member_added" | "case.member_removed", None) => {
            let key = s("function").unwrap_or_default();
            let function = match t.function(&key) {
                Some(f) => Named::pick(ctx, &f.name, &f.name_en),
                None => Named::plain(key),
            };
            Some(format!(
                "{} – {function}",
                plain(&s("name").unwrap_or_default())
            ))
        }
        ("case.updated", None) => payload.get("changed").and_then(|x| x.as_array()).map(|a| {
            plain(
                &a.iter()
                    .filter_map(|f| f.as_str())
                    .map(|f| ctx.t.k("case.changed.", f))
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        }),
        (_, None) => v.detail.take().map(|d| plain(&d)),
    };
    v
}
