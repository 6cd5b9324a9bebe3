//! Cases (ärenden): an accepted need walking its process template through phases,
//! checklists and gates, with every decision on the record.
//!
//! Who may do what:
//! - open a case, and work one (tick items, edit, working group, results): a role that may
//!   triage in the case's organisation, or being its handler or in its working group;
//! - decide a gate or choose the path: holding the gate's role in the case's organisation
//!   or above it (the mandate), nothing less;
//! - read a case: anyone who may read the inbox there, and the handler and the group.
//!
//! The case's process state is never stored as such: it is replayed from its events
//! through [`CaseState`](domain::case::CaseState), and the row holds only a projection
//! for lists and the register.
//!
//! The rooms: `open` (opening a case), `work` (checklist, working group, details), `gate`
//! (gate decisions, the vägval, the result), `board` (the board, my cases, overdue steps),
//! `register` (the public diarium); `replay` and `view` hold the loaded case they share.

mod attachments;
mod board;
mod gate;
mod open;
mod register;
mod replay;
mod view;
mod work;

pub(crate) use attachments::readable;
pub use attachments::{add_attachments, remove_attachment};
pub(crate) use board::overdue_steps;
pub use board::{Board, BoardQuery, Column, Lane, OverdueStep, board, overdue};
pub use gate::{DecideInput, PathInput, ResultInput, choose_path, decide, record_result};
pub(crate) use open::open_in;
pub use open::{OpenChoices, OpenInput, Prefill, References, open, open_choices, prefill};
pub use register::{
    DIARIUM_PER_PAGE, DiariumEntry, DiariumPage, DiariumQuery, PublicStatus, diarium,
    public_status_of_submission,
};
pub(crate) use replay::load as load_for_list;
pub(crate) use replay::replay_for_system;
pub use view::{CaseView, events_of, view};
pub use work::{DetailsInput, MemberInput, TickInput, edit, member, tick};

use crate::AppError;
use crate::access::TRIAGE_ROLES;
use crate::error::Result;
use domain::id::{OrgId, UserId};
use domain::process::{Template, parse_template};
use domain::text::TextRule;
use domain::{ErrorCode, FieldErrors};
use store::Tx;
use store::processes::TemplateRow;
use store::users;

/// Most cases a list shows at once.
pub const LIST_LIMIT: i64 = 500;

const TITLE: TextRule = TextRule::line("title", 3, 200);
const PUBLIC_TITLE: TextRule = TextRule::line("public_title", 3, 200).optional();
const DESCRIPTION: TextRule = TextRule::paragraph("description", 1, 10_000);
const RATIONALE: TextRule = TextRule::paragraph("rationale", 3, 4000);
const OVERRIDE: TextRule = TextRule::paragraph("override_reason", 3, 4000).optional();
const NOTE: TextRule = TextRule::paragraph("note", 1, 4000).optional();
const LEGAL_GROUND: TextRule = TextRule::line("legal_ground", 3, 300);

/// A stored template, parsed (for another use case's lists).
pub(crate) fn parse_template_row(row: &TemplateRow) -> Result<Template> {
    parse_stored(row)
}

fn parse_stored(row: &TemplateRow) -> Result<Template> {
    parse_template(&row.source).map_err(|e| {
        AppError::Internal(anyhow::anyhow!(
            "stored template {} v{} no longer parses: {}",
            row.template_key,
            row.version,
            e.first().map(ToString::to_string).unwrap_or_default()
        ))
    })
}

/// A handler by user id, among those who may triage in `org_ids`; `UnknownUser` otherwise.
async fn handler_in(
    tx: &mut Tx,
    errors: &mut FieldErrors,
    org_ids: &[OrgId],
    id: String,
) -> Result<Option<UserId>> {
    let known = users::with_roles_in(tx, org_ids, &TRIAGE_ROLES)
        .await?
        .iter()
        .any(|c| c.id == id);
    if !known {
        errors.push("handler", ErrorCode::UnknownUser);
    }
    Ok(known.then(|| UserId::from(id)))
}

/// A choice among fixed values: `Required` when empty, `InvalidChoice` when unknown.
fn choice<T>(
    errors: &mut FieldErrors,
    field: &'static str,
    raw: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    let v = parse(raw);
    if v.is_none() {
        let code = if raw.trim().is_empty() {
            ErrorCode::Required
        } else {
            ErrorCode::InvalidChoice
        };
        errors.push(field, code);
    }
    v
}
