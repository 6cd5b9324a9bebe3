//! Campaigns of pairwise voting. A facilitator (a role that may triage, or a coordinator)
//! creates a campaign in an organisation and moves it through its phases; participants join
//! with the campaign's code, with or without an account, add ideas and vote on pairs under
//! a quota. Every pair a participant sees is an offer recorded before it is shown, so a vote
//! can only answer a pair that was offered, once; the quota is taken by a conditional
//! update. Results come from the ranking engine in `domain::ranking`.
//!
//! The use cases live in rooms by sub-capability: lifecycle (creating, phases, a facilitator's
//! campaigns), participation, moderation, voting, fitting, results, forwarding, criteria and
//! research. This file keeps what they share: the constants, the lookups of a campaign and a
//! participant, and the facilitator's check.

mod attachments;
mod criteria;
mod fitting;
mod forwarding;
mod lifecycle;
mod moderation;
mod participation;
mod research;
mod results;
mod voting;

pub(crate) use attachments::facilitates;
pub use attachments::{add_attachments, attachments_of, remove_attachment};
pub use criteria::{
    CriteriaInput, CriteriaResult, CriteriaResults, ScoreInput, criteria_of, criteria_results,
    score, set_criteria,
};
pub use fitting::{Fitted, warm_up};
pub use forwarding::take_forward;
pub use lifecycle::{NewCampaignInput, create, may_run_any, mine, set_phase};
pub use moderation::{flag, set_idea_status};
pub use participation::{
    IdeaInput, Joined, Overview, add_idea, exists, join, join_with_email, overview,
};
pub use research::{Question, add_question, answer, research};
pub use results::{
    Lead, Ranked, Results, export, fingerprint, fingerprint_since, lead, results, results_visible,
    showcase,
};
pub use voting::{Pair, VoteInput, Voted, next_pair, vote};

use crate::access::{reach, require_user};
use crate::error::Result;
use crate::secret::hash_token;
use crate::vote_cache::CampaignView;
use crate::{App, AppError, Caller};

use domain::role::Role;
use std::sync::Arc;
use store::campaigns::{self, CampaignRow, ParticipantRow};
use store::orgs::OrgRow;

/// Prior strength of the ranking (variance of a strength: 1/(2·alpha)).
pub const ALPHA: f64 = 0.1;

/// The longest concept (Kalmar's workshop: at most 500 characters).
pub const MAX_IDEA: usize = 500;

/// The default criteria, from Kalmar's workshop.
pub const DEFAULT_CRITERIA: [&str; 3] = [
    "Kan påverkas lokalt eller regionalt",
    "Förnyelse och nytta för offentlig verksamhet, näringsliv och invånare",
    "Nytänkande och konkret",
];

/// May run campaigns in the organisation: a role that triages, or a coordinator.
pub(crate) fn may_facilitate(r: &Role) -> bool {
    r.can_triage() || matches!(r, Role::Coordinator)
}

/// A join code as stored: trimmed, upper case. An empty or overlong one names nothing, nor
/// does one with anything but letters and digits: codes are drawn from those, and a NUL
/// passed on to PostgreSQL was a server error.
fn normalised_code(code: &str) -> Result<String> {
    let code = code.trim().to_ascii_uppercase();
    if code.is_empty() || code.len() > 12 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(AppError::NotFound);
    }
    Ok(code)
}

async fn campaign(tx: &mut store::Tx, code: &str) -> Result<CampaignRow> {
    let code = normalised_code(code)?;
    campaigns::by_code(tx, &code)
        .await?
        .ok_or(AppError::NotFound)
}

/// The facilitator's check: a role that may run campaigns where this one belongs.
async fn facilitator(tx: &mut store::Tx, caller: &Caller, c: &CampaignRow) -> Result<()> {
    let user = require_user(caller)?;
    let all = store::orgs::all(tx).await?;
    let nodes: Vec<_> = all.iter().map(OrgRow::node).collect();
    if reach(user, &nodes, may_facilitate).contains(&c.org_id) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

async fn participant(tx: &mut store::Tx, c: &CampaignRow, token: &str) -> Result<ParticipantRow> {
    campaigns::participant_by_token(tx, &c.id, &token_hash(token)?)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// A campaign's row and ideas: from this node's memory while current, else read.
async fn view(app: &App, code: &str) -> Result<Arc<CampaignView>> {
    let key = normalised_code(code)?;
    if let Some(v) = app.votes.campaign(&key) {
        return Ok(v);
    }
    let generation = app.votes.generation();
    let mut tx = app.db.read().await?;
    let c = campaign(&mut tx, &key).await?;
    let ideas = campaigns::ideas(&mut tx, &c.id).await?;
    drop(tx);
    let v = Arc::new(CampaignView::new(c, ideas));
    app.votes.keep_campaign(generation, &key, v.clone());
    Ok(v)
}

/// The stored hash of a participant's token.
fn token_hash(token: &str) -> Result<String> {
    let t = token.trim();
    if t.is_empty() || t.len() > 128 {
        return Err(AppError::Unauthenticated);
    }
    Ok(hash_token(t))
}
