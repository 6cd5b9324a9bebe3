//! The case page's forms: one route, one struct and one handler per form. Each struct is
//! decoded strictly ([`TypedForm`]): a value that does not decode is a field error shown
//! in its form, a field the form does not have is refused with a page. What the text means
//! (a known item, a decision, a unit) is the app layer's to judge, after it has checked the
//! caller's right to act.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::{PostState, case_page};
use crate::AppState;
use crate::ctx::Ctx;
use crate::pages::error::{Failing, PageError, PageResult};
use crate::pages::form::{Checkbox, TypedForm, Values};
use crate::pages::{FormErrors, see_other, url_encode};
use app::AppError;
use app::cases::{DecideInput, DetailsInput, MemberInput, PathInput, ResultInput, TickInput};
use domain::id::CaseId;
use domain::{ErrorCode, FieldError, FieldErrors};

/// The forms of the case page: what each is called on the page (the `f-{name}-{field}`
/// ids, the form shown again after a refusal), the confirmation after it and where the
/// page goes back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CaseForm {
    Tick,
    Untick,
    Decision,
    Path,
    Adopt,
    Measure,
    Handover,
    AddMember,
    RemoveMember,
    Details,
    AddAttachment,
    RemoveAttachment,
}

impl CaseForm {
    pub(super) fn name(self) -> &'static str {
        match self {
            CaseForm::Tick | CaseForm::Untick => "bock",
            CaseForm::Decision => "beslut",
            CaseForm::Path => "vagval",
            CaseForm::Adopt => "resultat-adopt",
            CaseForm::Measure => "resultat-measure",
            CaseForm::Handover => "resultat-handover",
            CaseForm::AddMember | CaseForm::RemoveMember => "grupp",
            CaseForm::Details => "uppgifter",
            CaseForm::AddAttachment | CaseForm::RemoveAttachment => "bilagor",
        }
    }

    fn done(self) -> &'static str {
        match self {
            CaseForm::Tick => "ticked",
            CaseForm::Untick => "unticked",
            CaseForm::Decision => "decided",
            CaseForm::Path => "path",
            CaseForm::Adopt => "adopted",
            CaseForm::Measure => "measured",
            CaseForm::Handover => "handover",
            CaseForm::AddMember => "member_added",
            CaseForm::RemoveMember => "member_removed",
            CaseForm::Details => "updated",
            CaseForm::AddAttachment => "attached",
            CaseForm::RemoveAttachment => "attachment_removed",
        }
    }

    fn anchor(self) -> &'static str {
        match self {
            CaseForm::Tick | CaseForm::Untick => "checklist",
            // The gate is gone once the case has ended: back to the confirmation.
            CaseForm::Decision => "done",
            // The path's form is gone once it is chosen: back to the path on record.
            CaseForm::Path => "vagval",
            CaseForm::Adopt | CaseForm::Measure | CaseForm::Handover => "result",
            CaseForm::AddMember | CaseForm::RemoveMember => "group",
            CaseForm::Details => "done",
            CaseForm::AddAttachment | CaseForm::RemoveAttachment => "attachments",
        }
    }

    /// The form's fields as the page labels them, for the error summary.
    fn labels(self) -> &'static [(&'static str, &'static str)] {
        match self {
            CaseForm::Tick => &[("note", "case.item.note")],
            CaseForm::Decision => &[
                ("rationale", "case.rationale"),
                ("override_reason", "case.gate.override"),
            ],
            CaseForm::Path => &[("rationale", "case.rationale")],
            CaseForm::Adopt => &[("unit", "case.unit")],
            CaseForm::Measure => &[
                ("name", "case.result.measure"),
                ("measure_unit", "case.result.unit"),
                ("before", "case.result.before"),
                ("after", "case.result.after"),
            ],
            CaseForm::Handover => &[
                ("receiver", "case.result.receiver"),
                ("note", "case.result.handover_note"),
            ],
            CaseForm::AddMember => &[
                ("user_id", "case.group.colleague"),
                ("name", "case.group.name"),
                ("function", "case.group.function"),
            ],
            CaseForm::Details => &[
                ("title", "case.field.title"),
                ("public_title", "case.field.public_title"),
                ("description", "case.field.description"),
                ("unit", "case.unit"),
                ("handler", "case.handler"),
                ("legal_ground", "case.field.legal_ground"),
            ],
            CaseForm::AddAttachment => crate::pages::attachments::LABELS,
            CaseForm::Untick | CaseForm::RemoveMember | CaseForm::RemoveAttachment => &[],
        }
    }

    /// Fields the page fills in itself: a value of theirs that does not decode was not
    /// typed by anyone, and is answered with a page rather than shown at a field.
    fn hidden(self) -> &'static [&'static str] {
        match self {
            CaseForm::Tick | CaseForm::Untick => &["step", "item"],
            CaseForm::RemoveMember => &["member"],
            CaseForm::RemoveAttachment => &["attachment"],
            _ => &[],
        }
    }
}

/// Ticking a checklist item, with an optional note.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TickForm {
    step: String,
    item: String,
    note: String,
}

/// Taking a tick back.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UntickForm {
    step: String,
    item: String,
}

/// The gate decision; `override_reason` is only on the page while required items are open.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    decision: String,
    rationale: String,
    override_reason: String,
}

/// The vägval.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PathForm {
    vagval: String,
    rationale: String,
}

/// A unit that has adopted the solution (the unit's slug).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AdoptForm {
    unit: String,
}

/// A benefit measure, before and after.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MeasureForm {
    name: String,
    measure_unit: String,
    before: String,
    after: String,
}

/// The handover: who received the solution, and how.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct HandoverForm {
    receiver: String,
    note: String,
}

/// Someone added to the working group: a colleague, or a name without an account.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddMemberForm {
    function: String,
    user_id: String,
    name: String,
}

/// Someone taken out of the working group (their membership's id).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RemoveMemberForm {
    member: String,
}

/// The case's details; `confidential` is a checkbox.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DetailsForm {
    title: String,
    public_title: String,
    description: String,
    unit: String,
    handler: String,
    confidential: Checkbox,
    legal_ground: String,
}

pub async fn tick(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    form: TypedForm<TickForm>,
) -> PageResult {
    let (f, v) = decoded(&state, &ctx, &id, CaseForm::Tick, form).await?;
    let input = TickInput {
        step: f.step,
        item: f.item,
        note: f.note,
        undo: false,
    };
    let r = app::cases::tick(&state.app, &ctx.caller, &id, &input).await;
    answer(&state, &ctx, &id, CaseForm::Tick, r.map(|_| ()), v).await
}

pub async fn untick(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    form: TypedForm<UntickForm>,
) -> PageResult {
    let (f, v) = decoded(&state, &ctx, &id, CaseForm::Untick, form).await?;
    let input = TickInput {
        step: f.step,
        item: f.item,
        note: String::new(),
        undo: true,
    };
    let r = app::cases::tick(&state.app, &ctx.caller, &id, &input).await;
    answer(&state, &ctx, &id, CaseForm::Untick, r.map(|_| ()), v).await
}

pub async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    form: TypedForm<DecisionForm>,
) -> PageResult {
    let (f, v) = decoded(&state, &ctx, &id, CaseForm::Decision, form).await?;
    let input = DecideInput {
        decision: f.decision,
        rationale: f.rationale,
        override_reason: f.override_reason,
    };
    let r = app::cases::decide(&state.app, &ctx.caller, &id, &input).await;
    answer(&state, &ctx, &id, CaseForm::Decision, r.map(|_| ()), v).await
}

pub async fn choose_path(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    form: TypedForm<PathForm>,
) -> PageResult {
    let (f, v) = decoded(&state, &ctx, &id, CaseForm::Path, form).await?;
    let input = PathInput {
        vagval: f.vagval,
        rationale: f.rationale,
    };
    let r = app::cases::choose_path(&state.app, &ctx.caller, &id, &input).await;
    answer(&state, &ctx, &id, CaseForm::Path, r.map(|_| ()), v).await
}

pub async fn adopt(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    form: TypedForm<AdoptForm>,
) -> PageResult {
    let (f, v) = decoded(&state, &ctx, &id, CaseForm::Adopt, form).await?;
    let input = ResultInput {
        kind: Some(domain::case::ResultKind::Adopt),
        unit: f.unit,
        ..Default::default()
    };
    let r = app::cases::record_result(&state.app, &ctx.caller, &id, &input).await;
    answer(&state, &ctx, &id, CaseForm::Adopt, r.map(|_| ()), v).await
}

pub async fn measure(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    form: TypedForm<MeasureForm>,
) -> PageResult {
    let (f, v) = decoded(&state, &ctx, &id, CaseForm::Measure, form).await?;
    let input = ResultInput {
        kind: Some(domain::case::ResultKind::Measure),
        name: f.name,
        measure_unit: f.measure_unit,
        before: f.before,
        after: f.after,
        ..Default::default()
    };
    let r = app::cases::record_result(&state.app, &ctx.caller, &id, &input).await;
    answer(&state, &ctx, &id, CaseForm::Measure, r.map(|_| ()), v).await
}

pub async fn handover(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    form: TypedForm<HandoverForm>,
) -> PageResult {
    let (f, v) = decoded(&state, &ctx, &id, CaseForm::Handover, form).await?;
    let input = ResultInput {
        kind: Some(domain::case::ResultKind::Handover),
        receiver: f.receiver,
        note: f.note,
        ..Default::default()
    };
    let r = app::cases::record_result(&state.app, &ctx.caller, &id, &input).await;
    answer(&state, &ctx, &id, CaseForm::Handover, r.map(|_| ()), v).await
}

pub async fn add_member(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    form: TypedForm<AddMemberForm>,
) -> PageResult {
    let (f, v) = decoded(&state, &ctx, &id, CaseForm::AddMember, form).await?;
    let input = MemberInput {
        user_id: f.user_id,
        name: f.name,
        function: f.function,
        remove: String::new(),
    };
    let r = app::cases::member(&state.app, &ctx.caller, &id, &input).await;
    answer(&state, &ctx, &id, CaseForm::AddMember, r, v).await
}

pub async fn remove_member(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    form: TypedForm<RemoveMemberForm>,
) -> PageResult {
    let (f, v) = decoded(&state, &ctx, &id, CaseForm::RemoveMember, form).await?;
    // The page always fills it in; empty, the app would read the post as an addition.
    if f.member.trim().is_empty() {
        let errors = FieldErrors(vec![FieldError::new("member", ErrorCode::Required)]);
        return refused(&state, &ctx, &id, CaseForm::RemoveMember, v, errors).await;
    }
    let input = MemberInput {
        remove: f.member,
        ..Default::default()
    };
    let r = app::cases::member(&state.app, &ctx.caller, &id, &input).await;
    answer(&state, &ctx, &id, CaseForm::RemoveMember, r, v).await
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    form: TypedForm<DetailsForm>,
) -> PageResult {
    let (f, v) = decoded(&state, &ctx, &id, CaseForm::Details, form).await?;
    let input = DetailsInput {
        title: f.title,
        public_title: f.public_title,
        description: f.description,
        unit: f.unit,
        handler: f.handler,
        confidential: if f.confidential.0 {
            "on".into()
        } else {
            String::new()
        },
        legal_ground: f.legal_ground,
    };
    let r = app::cases::edit(&state.app, &ctx.caller, &id, &input).await;
    answer(&state, &ctx, &id, CaseForm::Details, r, v).await
}

/// The decoded form and what was sent, or the answer to a form that did not decode: the
/// case page with the form shown again and its field errors (or, for a hidden field, an
/// error page), both only to a caller who may see the case.
async fn decoded<T>(
    state: &AppState,
    ctx: &Ctx,
    id: &CaseId,
    form: CaseForm,
    posted: TypedForm<T>,
) -> PageResult<(T, Values)> {
    match posted.input {
        Ok(f) => Ok((f, posted.values)),
        Err(errors) => match refused(state, ctx, id, form, posted.values, errors).await {
            Ok(page) => Err(PageError::from(page)),
            Err(e) => Err(e),
        },
    }
}

/// The answer to the case page's file forms (`pages::attachments`): adding (the files
/// must be chosen again after a refusal) or removing one.
pub async fn attachment_answer(
    state: &AppState,
    ctx: &Ctx,
    id: &CaseId,
    remove: bool,
    result: Result<(), AppError>,
    v: Values,
) -> PageResult {
    let form = if remove {
        CaseForm::RemoveAttachment
    } else {
        CaseForm::AddAttachment
    };
    answer(state, ctx, id, form, result, v).await
}

/// The answer to a case form: back to the case page, or the form again with its errors.
async fn answer(
    state: &AppState,
    ctx: &Ctx,
    id: &CaseId,
    form: CaseForm,
    result: Result<(), AppError>,
    v: Values,
) -> PageResult {
    match result {
        Ok(()) => {
            // A tick comes back at its item, so the reader keeps their place.
            let anchor = match (form, v.get("step"), v.get("item")) {
                (CaseForm::Tick | CaseForm::Untick, Some(step), Some(item)) => {
                    format!("item-{}-{}", url_encode(step), url_encode(item))
                }
                _ => form.anchor().to_string(),
            };
            Ok(see_other(&format!(
                "/arenden/{}?klart={}#{anchor}",
                url_encode(id.as_str()),
                form.done(),
            )))
        }
        Err(AppError::Validation(e)) => refused(state, ctx, id, form, v, e).await,
        Err(e) => Err(e).or_page(ctx),
    }
}

async fn refused(
    state: &AppState,
    ctx: &Ctx,
    id: &CaseId,
    form: CaseForm,
    v: Values,
    errors: FieldErrors,
) -> PageResult {
    if errors.0.iter().any(|e| form.hidden().contains(&e.field)) {
        // Whether the case exists is only told to those who may see it.
        app::cases::view(&state.app, &ctx.caller, id)
            .await
            .or_page(ctx)?;
        return Err(AppError::Validation(errors)).or_page(ctx);
    }
    let post = PostState {
        done: String::new(),
        open: form.name().to_string(),
        errors: FormErrors::in_form(&ctx.t, form.labels(), &errors),
        v,
    };
    case_page(state, ctx, id, post, StatusCode::UNPROCESSABLE_ENTITY).await
}
