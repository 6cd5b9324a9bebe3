//! The inbox (mottagarfunktion): the list with filters and paging, the detail page with its
//! timeline, and the triage actions.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::form::{TypedForm, Values};
use super::{FormErrors, render_status, see_other, url_encode};
use crate::AppState;
use crate::ctx::Ctx;
use crate::i18n::Tr;
use app::AppError;
use app::inbox::{Detail, InboxPage, InboxQuery};
use domain::submission::{SubmissionKind, SubmissionStatus, SubmitterRole};
use domain::time::Timestamp;
use domain::triage::{ActionInput, RejectReason};
use store::events::EventRow;

pub fn day(ts: &str) -> String {
    Timestamp::parse_db(ts)
        .map(|t| t.swedish_date_string())
        .unwrap_or_default()
}

pub fn when(ts: &str) -> String {
    Timestamp::parse_db(ts)
        .map(|t| t.swedish_minute_string())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct ListPage<'a> {
    ctx: &'a Ctx,
    q: InboxQuery,
    page: Option<InboxPage>,
    errors: FormErrors,
    statuses: &'static [SubmissionStatus],
    kinds: &'static [SubmissionKind],
    roles: &'static [SubmitterRole],
}

impl ListPage<'_> {
    /// The query string of the current filters with another page number.
    fn page_href(&self, page: i64) -> String {
        let q = &self.q;
        let pairs = [
            ("status", &q.status),
            ("kind", &q.kind),
            ("submitter_role", &q.submitter_role),
            ("unit", &q.unit),
            ("assignee", &q.assignee),
            ("from", &q.from),
            ("to", &q.to),
            ("q", &q.q),
        ];
        let mut s: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", url_encode(v)))
            .collect();
        s.push(format!("page={page}"));
        format!("/inkorg?{}", s.join("&amp;"))
    }

    fn any_filter(&self) -> bool {
        let q = &self.q;
        [
            &q.status,
            &q.kind,
            &q.submitter_role,
            &q.unit,
            &q.assignee,
            &q.from,
            &q.to,
            &q.q,
        ]
        .iter()
        .any(|v| !v.is_empty())
    }
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<InboxQuery>,
) -> Response {
    let (page, errors, status) = match app::inbox::list(&state.app, &ctx.caller, &q).await {
        Ok(p) => (Some(p), FormErrors::default(), StatusCode::OK),
        Err(AppError::Validation(e)) => (
            None,
            FormErrors::new(&ctx.t, &e),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => return ctx.fail(e),
    };
    let view = ListPage {
        ctx: &ctx,
        q,
        page,
        errors,
        statuses: SubmissionStatus::ALL,
        kinds: SubmissionKind::ALL,
        roles: SubmitterRole::ALL,
    };
    render_status(status, &view)
}

/// One line of the timeline, ready to show.
pub struct EventView {
    pub when: String,
    pub who: String,
    pub what: &'static str,
    pub detail: Option<String>,
}

pub fn event_view(t: &Tr, e: &EventRow) -> EventView {
    let payload: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
    let s = |k: &str| payload.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let who = match e.actor_kind.as_str() {
        "user" => e
            .actor_name
            .clone()
            .unwrap_or_else(|| t.t("timeline.someone").to_string()),
        "public" => t.t("timeline.submitter").to_string(),
        _ => t.t("timeline.system").to_string(),
    };
    let detail = match e.kind.as_str() {
        "submission.received" => s("channel").map(|c| t.k("channel.", &c).to_string()),
        "submission.assigned" => s("assignee_name"),
        "submission.rejected" => Some(format!(
            "{}: {}",
            s("reason").map(|r| t.k("reason.", &r)).unwrap_or(""),
            s("message").unwrap_or_default()
        )),
        "submission.forwarded" => {
            let base = t.ab(
                "timeline.forwarded_detail",
                &s("from_org").unwrap_or_default(),
                &s("to_org").unwrap_or_default(),
            );
            Some(match s("note") {
                Some(n) => format!("{base} – {n}"),
                None => base,
            })
        }
        "submission.marked_duplicate" => s("duplicate_of"),
        "submission.case_opened" => s("case_reference"),
        "submission.info_requested" | "submission.message_sent" => s("message"),
        _ => s("note"),
    };
    EventView {
        when: when(&e.occurred_at),
        who,
        what: t.k("event.", &e.kind),
        detail,
    }
}

#[derive(Template)]
#[template(path = "inbox_detail.html")]
struct DetailPage<'a> {
    ctx: &'a Ctx,
    d: Detail,
    events: Vec<EventView>,
    /// The action just carried out, for the confirmation.
    done: String,
    /// The action whose form is shown with errors.
    open: String,
    input: ActionInput,
    errors: FormErrors,
    reasons: &'static [RejectReason],
}

impl DetailPage<'_> {
    fn is_open(&self, action: &str) -> bool {
        self.open == action
    }

    fn me(&self) -> &str {
        self.ctx.caller.user().map(|u| u.id.as_str()).unwrap_or("")
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct DetailQuery {
    klart: String,
}

/// What a re-rendered detail page remembers of the last post.
#[derive(Default)]
struct PostState {
    /// The action just carried out, for the confirmation.
    done: String,
    /// The action whose form is shown again with errors.
    open: String,
    input: ActionInput,
    errors: FormErrors,
}

async fn detail_page(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    post: PostState,
    status: StatusCode,
) -> Response {
    let d = match app::inbox::detail(&state.app, &ctx.caller, id).await {
        Ok(d) => d,
        Err(e) => return ctx.fail(e),
    };
    let events = d.events.iter().map(|e| event_view(&ctx.t, e)).collect();
    let done = if ctx.t.has(&format!("done.{}", post.done)) {
        post.done
    } else {
        String::new()
    };
    let page = DetailPage {
        ctx,
        d,
        events,
        done,
        open: post.open,
        input: post.input,
        errors: post.errors,
        reasons: RejectReason::ALL,
    };
    render_status(status, &page)
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Response {
    detail_page(
        &state,
        &ctx,
        &id,
        PostState {
            done: q.klart,
            ..Default::default()
        },
        StatusCode::OK,
    )
    .await
}

/// The triage forms. Each names its action in a hidden `action` field, which the app layer
/// reads into a typed action after checking the caller's right to triage; the body is
/// decoded strictly ([`TypedForm`]), so a field twice is shown at that field and a field no
/// action has is refused with a page.
pub async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: TypedForm<ActionInput>,
) -> Response {
    let input = match form.input {
        Ok(input) => input,
        Err(e) => return refused(&state, &ctx, &id, as_typed(&form.values), e).await,
    };
    match app::inbox::act(&state.app, &ctx.caller, &id, &input).await {
        Ok(_) => see_other(&format!(
            "/inkorg/{id}?klart={}",
            url_encode(input.action.trim())
        )),
        Err(AppError::Validation(e)) => refused(&state, &ctx, &id, input, e).await,
        Err(e) => ctx.fail(e),
    }
}

/// The detail page with the action's form shown again, as typed, with its errors.
async fn refused(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    input: ActionInput,
    errors: domain::FieldErrors,
) -> Response {
    let errors = FormErrors::new(&ctx.t, &errors);
    let open = input.action.trim().to_string();
    detail_page(
        state,
        ctx,
        id,
        PostState {
            open,
            input,
            errors,
            ..Default::default()
        },
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// What was typed into a form that did not decode, to show again.
fn as_typed(v: &Values) -> ActionInput {
    let f = |k: &str| v.get(k).cloned().unwrap_or_default();
    ActionInput {
        action: f("action"),
        user_id: f("user_id"),
        note: f("note"),
        message: f("message"),
        reason: f("reason"),
        reason_text: f("reason_text"),
        organisation: f("organisation"),
        duplicate_of: f("duplicate_of"),
    }
}
