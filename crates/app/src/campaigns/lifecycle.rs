//! A campaign's life as its facilitator leads it: creating one (with its join code and the
//! default criteria), opening its phases, and the campaigns a facilitator may run.

use super::{DEFAULT_CRITERIA, campaign, facilitator, may_facilitate};
use crate::access::{reach, require_user};
use crate::error::Result;
use crate::{App, AppError, Caller};
use domain::campaign::{Mode, Phase};
use domain::id::CampaignId;
use domain::text::TextRule;
use domain::time::Timestamp;
use domain::{ErrorCode, FieldErrors};
use serde::Deserialize;
use store::campaigns::{self, CampaignRow};
use store::events::{self, NewEvent};
use store::orgs::OrgRow;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewCampaignInput {
    pub title: String,
    pub question: String,
    /// `workshop` or `open`.
    pub mode: String,
    /// The owning organisation's slug.
    pub organisation: String,
    /// Votes per participant; 20 when empty.
    pub vote_quota: Option<i64>,
    /// Ideas added by participants wait for approval (open mode).
    pub require_approval: bool,
    /// How many of the best concepts go on to next steps; 5 when empty.
    pub top_n: Option<i64>,
}

const TITLE: TextRule = TextRule::line("title", 3, 200);
const QUESTION: TextRule = TextRule::paragraph("question", 3, 1000);

/// A join code: six characters without the easily confused ones (0/O, 1/I/L).
/// Each letter is drawn by rejection sampling: a random byte below the largest multiple of
/// the alphabet's length (248 = 8 × 31) picks a letter, any other byte is drawn again, so
/// every letter is equally likely (taken modulo 31, the first eight would be an eighth
/// likelier, and codes easier to guess).
fn join_code() -> Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    const LEN: usize = 6;
    let limit = 256 - 256 % ALPHABET.len();
    let mut code = String::with_capacity(LEN);
    let mut bytes = [0u8; 16];
    while code.len() < LEN {
        getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        for b in bytes.iter().map(|b| usize::from(*b)) {
            if b < limit && code.len() < LEN {
                code.push(char::from(ALPHABET[b % ALPHABET.len()]));
            }
        }
    }
    Ok(code)
}

/// Creates a campaign with the default criteria; returns it.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn create(app: &App, caller: &Caller, input: &NewCampaignInput) -> Result<CampaignRow> {
    let user = require_user(caller)?;
    let mut errors = FieldErrors::new();
    let title = errors.take(TITLE.parse_required(&input.title));
    let question = errors.take(QUESTION.parse_required(&input.question));
    let mode = Mode::parse(&input.mode);
    if mode.is_none() {
        errors.push("mode", ErrorCode::InvalidChoice);
    }
    let quota = input.vote_quota.unwrap_or(20);
    if !(1..=1000).contains(&quota) {
        errors.push("vote_quota", ErrorCode::InvalidNumber);
    }
    let top_n = input.top_n.unwrap_or(5);
    if !(1..=50).contains(&top_n) {
        errors.push("top_n", ErrorCode::InvalidNumber);
    }
    let mut tx = app.db.write().await?;
    let all = store::orgs::all(&mut tx).await?;
    let nodes: Vec<_> = all.iter().map(OrgRow::node).collect();
    let allowed = reach(user, &nodes, may_facilitate);
    if allowed.is_empty() {
        return Err(AppError::Forbidden);
    }
    let org = all
        .iter()
        .find(|o| o.slug == input.organisation.trim() && allowed.contains(&o.id));
    if org.is_none() {
        errors.push("organisation", ErrorCode::UnknownOrganisation);
    }
    let (Some(title), Some(question), Some(mode), Some(org), true) =
        (title, question, mode, org, errors.is_empty())
    else {
        return Err(AppError::Validation(errors));
    };
    let now = Timestamp::now().to_db();
    let id = CampaignId::from(store::new_id());
    let mut seed_bytes = [0u8; 8];
    getrandom::fill(&mut seed_bytes).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let seed = i64::from_le_bytes(seed_bytes) & i64::MAX;
    // A fresh code; on the rare clash, another.
    let mut code = join_code()?;
    for _ in 0..5 {
        if campaigns::by_code(&mut tx, &code).await?.is_none() {
            break;
        }
        code = join_code()?;
    }
    campaigns::insert(
        &mut tx,
        &campaigns::NewCampaign {
            id: &id,
            org_id: &org.id,
            code: &code,
            mode,
            title: &title,
            question: &question,
            phase: Phase::Draft,
            vote_quota: quota,
            require_approval: input.require_approval,
            top_n,
            seed,
            created_by: Some(&user.id),
            now: &now,
        },
    )
    .await?;
    for (i, name) in DEFAULT_CRITERIA.iter().enumerate() {
        campaigns::insert_criterion(&mut tx, &id, name, 1, i as i64).await?;
    }
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "campaign.created",
            subject_type: "campaign",
            subject_id: id.as_str(),
            org_id: Some(&org.id),
            payload: serde_json::json!({ "code": code, "mode": mode.as_str(), "title": title }),
        },
    )
    .await?;
    let row = campaigns::by_code(&mut tx, &code)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(row)
}

/// Opens a phase (and so closes the one before).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_phase(app: &App, caller: &Caller, code: &str, phase: &str) -> Result<Phase> {
    let mut tx = app.db.write().await?;
    let c = campaign(&mut tx, code).await?;
    facilitator(&mut tx, caller, &c).await?;
    let next = Phase::parse(phase)
        .filter(|p| Phase::of(c.mode).contains(p))
        .ok_or_else(|| AppError::field("phase", ErrorCode::InvalidChoice))?;
    let now = Timestamp::now().to_db();
    campaigns::set_phase(&mut tx, &c.id, next, &now).await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "campaign.phase_opened",
            subject_type: "campaign",
            subject_id: c.id.as_str(),
            org_id: Some(&c.org_id),
            payload: serde_json::json!({ "from": c.phase, "to": next.as_str() }),
        },
    )
    .await?;
    campaigns::notify_changed(&mut tx, &c.code, campaigns::Change::Campaign).await?;
    tx.commit().await?;
    app.changed(&c.code, campaigns::Change::Campaign);
    Ok(next)
}

/// The campaigns a facilitator may run, newest first.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn mine(app: &App, caller: &Caller) -> Result<(Vec<CampaignRow>, Vec<OrgRow>)> {
    let user = require_user(caller)?;
    let mut tx = app.db.read().await?;
    let all = store::orgs::all(&mut tx).await?;
    let nodes: Vec<_> = all.iter().map(OrgRow::node).collect();
    let allowed = reach(user, &nodes, may_facilitate);
    if allowed.is_empty() {
        return Err(AppError::Forbidden);
    }
    let mut out = Vec::new();
    for org in &allowed {
        out.extend(campaigns::in_org(&mut tx, org).await?);
    }
    out.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    let orgs = all
        .into_iter()
        .filter(|o| allowed.contains(&o.id))
        .collect();
    Ok((out, orgs))
}

/// Whether the caller may run campaigns anywhere (for navigation).
pub fn may_run_any(caller: &Caller) -> bool {
    caller
        .user()
        .is_some_and(|u| u.memberships.iter().any(|(_, r)| may_facilitate(r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every letter of the alphabet is drawn equally often: with 256 byte values over 31
    /// letters, a byte taken modulo 31 drew the first eight letters an eighth more often.
    #[test]
    fn join_codes_draw_every_letter_equally() {
        const ALPHABET: &str = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
        let mut counts = std::collections::HashMap::<char, f64>::new();
        for _ in 0..100_000 {
            let code = join_code().unwrap();
            assert_eq!(code.len(), 6);
            for ch in code.chars() {
                assert!(ALPHABET.contains(ch), "{code}");
                *counts.entry(ch).or_default() += 1.0;
            }
        }
        let mean = |letters: &str| {
            letters
                .chars()
                .map(|c| counts.get(&c).copied().unwrap_or(0.0))
                .sum::<f64>()
                / letters.len() as f64
        };
        let (first, rest) = (mean(&ALPHABET[..8]), mean(&ALPHABET[8..]));
        // Unbiased, the two means differ by well under 1 % (one standard deviation is
        // about 0.3 %); with the modulo bias they differ by 12.5 %.
        assert!((first / rest - 1.0).abs() < 0.03, "{first} against {rest}");
    }
}
