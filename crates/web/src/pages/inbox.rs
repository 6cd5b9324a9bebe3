//! The inbox (mottagarfunktion): the list with filters and paging, the detail page with its
//! timeline, and the triage actions.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use super::error::{Failing, PageResult};
use super::form::{TypedForm, Values};
use super::{FormErrors, render_status, see_other, url_encode};
use crate::AppState;
use crate::ctx::Ctx;
use crate::i18n::Tr;
use app::AppError;
use app::inbox::{Detail, InboxPage, InboxQuery};
use domain::id::SubmissionId;
use domain::submission::{SubmissionKind, SubmissionStatus, SubmitterRole};
use domain::time::Timestamp;
use domain::triage::{ActionInput, RejectReason};
use store::events::EventRow;

pub fn day(ts: &str) -> String {
    Timestamp::parse_db(ts)
        .map(|t| t.swedish_date_string())
        .unwrap_or_default()
}

/// A stored time for a `<time datetime>`: HTML allows at most milliseconds, and the store
/// keeps microseconds, so the fraction is cut to three digits.
pub fn machine(ts: &str) -> String {
    match ts.split_once('.') {
        Some((whole, fraction)) => {
            let digits: String = fraction
                .chars()
                .take_while(char::is_ascii_digit)
                .take(3)
                .collect();
            format!("{whole}.{digits}Z")
        }
        None => ts.to_string(),
    }
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
        !self.q.q.is_empty() || self.more_filters() > 0
    }

    /// How many of the filters folded under "Fler filter" on a phone are set: the summary
    /// says so, so a folded filter is never a hidden one.
    fn more_filters(&self) -> usize {
        let q = &self.q;
        [
            &q.status,
            &q.kind,
            &q.submitter_role,
            &q.unit,
            &q.assignee,
            &q.from,
            &q.to,
        ]
        .iter()
        .filter(|v| !v.is_empty())
        .count()
    }
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<InboxQuery>,
) -> PageResult {
    let (page, errors, status) = match app::inbox::list(&state.app, &ctx.caller, &q).await {
        Ok(p) => (Some(p), FormErrors::default(), StatusCode::OK),
        Err(AppError::Validation(e)) => (
            None,
            FormErrors::new(&ctx.t, &e),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => return Err(e).or_page(&ctx),
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
    Ok(render_status(status, &view))
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
    /// What the duplicate form searched for, and the submissions it offers to pick.
    search: String,
    duplicates: Vec<store::submissions::SubmissionRow>,
}

impl DetailPage<'_> {
    fn is_open(&self, action: &str) -> bool {
        self.open == action
    }

    fn me(&self) -> &str {
        self.ctx.caller.user().map(|u| u.id.as_str()).unwrap_or("")
    }

    /// Whether a diarienummer is among those the duplicate form offers (it is then shown
    /// picked, not typed).
    fn offered(&self, reference: &str) -> bool {
        self.duplicates.iter().any(|d| d.reference == reference)
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct DetailQuery {
    klart: String,
    /// A search among the submissions to mark this one a duplicate of.
    dubblett: String,
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
    search: String,
}

async fn detail_page(
    state: &AppState,
    ctx: &Ctx,
    id: &SubmissionId,
    post: PostState,
    status: StatusCode,
) -> PageResult {
    let d = app::inbox::detail(&state.app, &ctx.caller, id)
        .await
        .or_page(ctx)?;
    let events = d.events.iter().map(|e| event_view(&ctx.t, e)).collect();
    let duplicates = if d.can_triage && d.status.is_open() {
        // A search that cannot be read offers nothing to pick; typing the number still works.
        app::inbox::duplicate_choices(&state.app, &ctx.caller, id, &post.search)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
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
        search: post.search,
        duplicates,
    };
    Ok(render_status(status, &page))
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<SubmissionId>,
    Query(q): Query<DetailQuery>,
) -> PageResult {
    detail_page(
        &state,
        &ctx,
        &id,
        PostState {
            // A search in the duplicate form opens that form again.
            open: if q.dubblett.is_empty() {
                String::new()
            } else {
                "mark_duplicate".into()
            },
            done: q.klart,
            search: q.dubblett,
            ..Default::default()
        },
        StatusCode::OK,
    )
    .await
}

// ── The triage forms ────────────────────────────────────────────────────────────────────
//
// One route, one struct and one handler per form. Each is decoded strictly
// ([`TypedForm`]): a field sent twice is shown at that field, a field the form does not
// have is refused with a page. The app layer reads the action's fields after checking the
// caller's right to triage.

/// A triage form: the action it carries out (its name on the page: the `f-{name}-{field}`
/// ids and the confirmation `done.{name}`) and its fields as the app's input.
trait TriageForm: serde::de::DeserializeOwned {
    const ACTION: &'static str;
    fn input(self) -> ActionInput;
}

macro_rules! triage_forms {
    ($($(#[$doc:meta])* $form:ident ($action:literal) => $handler:ident { $($field:ident),* })*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Default, serde::Deserialize)]
            #[serde(default)]
            pub struct $form { $($field: String),* }

            impl TriageForm for $form {
                const ACTION: &'static str = $action;
                fn input(self) -> ActionInput {
                    ActionInput {
                        action: $action.into(),
                        $($field: self.$field,)*
                        ..Default::default()
                    }
                }
            }

            pub async fn $handler(
                State(state): State<AppState>,
                ctx: Ctx,
                Path(id): Path<SubmissionId>,
                form: TypedForm<$form>,
            ) -> PageResult {
                triage(&state, &ctx, &id, form).await
            }
        )*
    };
}

triage_forms! {
    /// Assigning the submission to a colleague (or oneself).
    AssignForm("assign") => assign { user_id }
    /// Asking the submitter for more; they see the message.
    RequestInfoForm("request_info") => request_info { message }
    /// A message to the submitter.
    MessageForm("message") => message { message }
    /// Sending the submission to another unit of the region, with a note.
    ForwardForm("forward") => forward { organisation, note }
    /// Rejecting, with a reason and a message the submitter sees.
    RejectForm("reject") => reject { reason, reason_text }
    /// Accepting, to be taken on as a case.
    AcceptForm("accept") => accept { note }
    /// Taking a closed submission back into review.
    ReopenForm("reopen") => reopen { note }
    /// Erasing the submitter's name and e-mail address.
    EraseContactForm("erase_contact") => erase_contact { }
    /// An internal note.
    CommentForm("comment") => comment { note }
}

/// The same as an earlier submission: one picked from the list the page offers, or, when
/// none is picked, the diarienummer typed.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct DuplicateForm {
    duplicate_pick: String,
    duplicate_of: String,
}

impl TriageForm for DuplicateForm {
    const ACTION: &'static str = "mark_duplicate";
    fn input(self) -> ActionInput {
        let of = if self.duplicate_pick.trim().is_empty() {
            self.duplicate_of
        } else {
            self.duplicate_pick
        };
        ActionInput {
            action: Self::ACTION.into(),
            duplicate_of: of,
            ..Default::default()
        }
    }
}

pub async fn mark_duplicate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<SubmissionId>,
    form: TypedForm<DuplicateForm>,
) -> PageResult {
    triage(&state, &ctx, &id, form).await
}

async fn triage<F: TriageForm>(
    state: &AppState,
    ctx: &Ctx,
    id: &SubmissionId,
    form: TypedForm<F>,
) -> PageResult {
    let input = match form.input {
        Ok(f) => f.input(),
        Err(e) => return refused(state, ctx, id, as_typed(F::ACTION, &form.values), e).await,
    };
    match app::inbox::act(&state.app, &ctx.caller, id, &input).await {
        Ok(_) => Ok(see_other(&format!(
            "/inkorg/{}?klart={}",
            url_encode(id.as_str()),
            F::ACTION
        ))),
        Err(AppError::Validation(e)) => refused(state, ctx, id, input, e).await,
        Err(e) => Err(e).or_page(ctx),
    }
}

/// The detail page with the action's form shown again, as typed, with its errors.
async fn refused(
    state: &AppState,
    ctx: &Ctx,
    id: &SubmissionId,
    input: ActionInput,
    errors: domain::FieldErrors,
) -> PageResult {
    let errors = FormErrors::in_form(&ctx.t, labels(&input.action), &errors);
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

/// A triage form's fields as the page labels them, for the error summary.
fn labels(action: &str) -> &'static [(&'static str, &'static str)] {
    match action {
        "assign" => &[("user_id", "action.assign.to")],
        "request_info" => &[("message", "action.request_info.label")],
        "message" => &[("message", "action.message.label")],
        "forward" => &[
            ("organisation", "action.forward.to"),
            ("note", "action.note"),
        ],
        "mark_duplicate" => &[("duplicate_of", "action.mark_duplicate.of")],
        "reject" => &[("reason_text", "action.reject.text")],
        "comment" => &[("note", "action.comment.label")],
        _ => &[("note", "action.note")],
    }
}

/// What was typed into a form that did not decode, to show again.
fn as_typed(action: &str, v: &Values) -> ActionInput {
    let f = |k: &str| v.get(k).cloned().unwrap_or_default();
    ActionInput {
        action: action.into(),
        user_id: f("user_id"),
        note: f("note"),
        message: f("message"),
        reason: f("reason"),
        reason_text: f("reason_text"),
        organisation: f("organisation"),
        duplicate_of: f("duplicate_of"),
    }
}

#[cfg(test)]
mod machine_time_tests {
    #[test]
    fn a_stored_time_is_given_to_html_with_at_most_milliseconds() {
        assert_eq!(
            super::machine("2026-11-30T13:43:34.943720Z"),
            "2026-11-30T13:43:34.943Z"
        );
        assert_eq!(
            super::machine("2026-11-30T13:43:34Z"),
            "2026-11-30T13:43:34Z"
        );
    }
}
