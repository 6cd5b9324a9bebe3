//! Workshops with pairwise voting: joining with a code, writing concepts, voting on pairs
//! (buttons that work without JavaScript; ← → with it), and the facilitator's screen with
//! phase controls and live results pushed by server-sent events.
//!
//! The pages live in rooms: join (the way in and the public questions), participant (the
//! participant's page and its forms), facilitator (new campaigns, the lead page and its forms)
//! and live (server-sent events and CSV exports). This file keeps the participant's cookie and
//! the query that names a finished step, which the rooms share.

mod facilitator;
mod join;
mod live;
mod participant;
mod projector;

pub use facilitator::{
    CriteriaForm, ForwardForm, IdeaStatusForm, NewForm, PhaseForm, QuestionForm, add_question,
    create, idea_status, lead, lead_page, new_form, qr_svg, set_criteria, set_phase, take_forward,
};
pub use join::{JoinForm, join, join_form, showcase};
pub use live::{export, live};
pub use participant::{
    AnswerForm, FlagForm, ScoreForm, VoteForm, add_concept, answer, flag, score, show, vote,
};
pub use projector::projector;

use axum::http::HeaderMap;

use crate::ctx::cookie;
// `super::not_found` in the rooms names the pages' not-found page, as it did here.
use super::not_found;

fn cookie_name(code: &str) -> String {
    format!("sluss_ws_{}", code.trim().to_ascii_uppercase())
}

fn token_of(headers: &HeaderMap, code: &str) -> Option<String> {
    cookie(headers, &cookie_name(code)).filter(|t| !t.is_empty())
}

fn upper(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    klart: String,
}
