//! Voting on pairs: choosing and offering a participant's next pair, and counting a vote
//! through the batch writer (from memory when it answers the pair this node just offered).

use super::fitting::{pair_fit, ranker_of};
use super::{campaign, participant, token_hash, view};
use crate::error::Result;
use crate::vote_cache::{CampaignView, Voter, ordered};
use crate::{App, AppError};
use domain::campaign::VoteChoice;
use domain::ranking::{Choice, Rng, Selector};
use domain::text::{TextRule, may_name_something};
use domain::{ErrorCode, FieldErrors};
use serde::Deserialize;
use std::sync::Arc;
use store::Tx;
use store::campaigns::{self, CampaignRow, IdeaRow, OfferRow, ParticipantRow};

/// A pair to vote on, with what is left of the quota.
pub struct Pair {
    pub offer: OfferRow,
    pub left: IdeaRow,
    pub right: IdeaRow,
    pub remaining: i64,
    pub quota: i64,
}

/// What the database holds of a participant's pairs.
async fn read_voter(tx: &mut Tx, v: &CampaignView, p: ParticipantRow) -> Result<Voter> {
    let open = campaigns::open_offer(tx, &p.id).await?;
    let keys = campaigns::offered_keys(tx, &p.id).await?;
    Ok(Voter {
        seen: v.seen_of(&keys),
        offers: keys.len() as i64,
        participant: p,
        open,
    })
}

/// Makes `slot` hold the participant as the database has them: one indexed read (votes cast
/// and pairs shown) tells whether what the node remembers is current; if not, it is read.
async fn current_voter(
    app: &App,
    v: &CampaignView,
    token_hash: &str,
    slot: &mut Option<Voter>,
) -> Result<()> {
    let mut tx = app.db.read().await?;
    let Some((p, offers)) =
        campaigns::participant_with_offers(&mut tx, &v.row.id, token_hash).await?
    else {
        app.votes.forget_voter(&v.row.id, token_hash);
        return Err(AppError::Unauthenticated);
    };
    let current = slot.as_ref().is_some_and(|s| {
        s.participant.id == p.id && s.participant.votes_cast == p.votes_cast && s.offers == offers
    });
    if !current {
        *slot = Some(read_voter(&mut tx, v, p).await?);
    }
    Ok(())
}

fn pair_of(v: &CampaignView, offer: OfferRow, a: usize, b: usize, votes_cast: i64) -> Pair {
    Pair {
        offer,
        left: v.ideas[a].clone(),
        right: v.ideas[b].clone(),
        remaining: (v.row.vote_quota - votes_cast).max(0),
        quota: v.row.vote_quota,
    }
}

/// The engine's next pair for a participant among pairs never shown to them; None when
/// every pair has been. Deterministic per campaign, participant and step, so a test can pin
/// the pairs.
async fn choose(app: &App, v: &Arc<CampaignView>, s: &Voter) -> Result<Option<(usize, usize)>> {
    let f = pair_fit(app, v).await?;
    let r = ranker_of(&f, &v.ideas);
    let mut rng = Rng::new(
        (v.row.seed as u64)
            ^ (s.participant.number as u64).wrapping_mul(0x9E37_79B9)
            ^ (s.offers as u64).wrapping_mul(0x85EB_CA6B),
    );
    Ok(
        r.next_pair(&mut rng, Selector::Adaptive, &Choice::default(), &|x, y| {
            s.seen.contains(&ordered(x, y))
        }),
    )
}

/// The participant's open pair, if both its ideas are still active.
fn open_pair(v: &CampaignView, s: &Voter) -> Option<Pair> {
    let o = s.open.as_ref()?;
    let (a, b) = (v.active(&o.left_idea_id)?, v.active(&o.right_idea_id)?);
    Some(pair_of(v, o.clone(), a, b, s.participant.votes_cast))
}

fn offer_of(v: &CampaignView, s: &Voter, a: usize, b: usize) -> campaigns::BatchOffer {
    campaigns::BatchOffer {
        campaign_id: v.row.id.clone(),
        participant_id: s.participant.id.clone(),
        left_idea_id: v.ideas[a].id.clone(),
        right_idea_id: v.ideas[b].id.clone(),
    }
}

/// Notes a pair just offered to the participant.
fn shown(s: &mut Voter, offer: OfferRow, a: usize, b: usize) {
    s.open = Some(offer);
    s.seen.insert(ordered(a, b));
    s.offers += 1;
}

/// The pair this participant is to vote on now: the one already shown and unanswered, or
/// a new one chosen by the engine among pairs never shown to them. `None` when every pair
/// has been shown.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn next_pair(app: &App, code: &str, token: &str) -> Result<Option<Pair>> {
    let v = view(app, code).await?;
    let th = token_hash(token)?;
    let slot = app.votes.voter(&v.row.id, &th);
    let mut guard = slot.lock().await;
    current_voter(app, &v, &th, &mut guard).await?;
    let cast = guard
        .as_ref()
        .map(|s| s.participant.votes_cast)
        .ok_or(AppError::Unauthenticated)?;
    if !v.row.phase.takes_votes() {
        return Err(AppError::Conflict(crate::Conflict::PhaseClosed));
    }
    if cast >= v.row.vote_quota {
        return Err(AppError::Conflict(crate::Conflict::QuotaUsed));
    }
    offer_next(app, &v, &th, &mut guard).await
}

/// Offers the participant in `slot` their next pair (or shows the open one again).
async fn offer_next(
    app: &App,
    v: &Arc<CampaignView>,
    token_hash: &str,
    slot: &mut Option<Voter>,
) -> Result<Option<Pair>> {
    let s = slot.as_mut().ok_or(AppError::Unauthenticated)?;
    if let Some(pair) = open_pair(v, s) {
        return Ok(Some(pair));
    }
    let chosen = choose(app, v, s).await?;
    // An idea of the open pair was withdrawn: that offer lapses.
    if let Some(o) = s.open.take() {
        let mut tx = app.db.write().await?;
        campaigns::answer_offer(&mut tx, &o.id).await?;
        tx.commit().await?;
    }
    let Some((a, b)) = chosen else {
        return Ok(None);
    };
    let job = crate::writer::Job::Offer(offer_of(v, s, a, b));
    if let crate::writer::Done::Offer(Some(offer)) = app.writer().submit(job).await? {
        let pair = pair_of(v, offer.clone(), a, b, s.participant.votes_cast);
        shown(s, offer, a, b);
        return Ok(Some(pair));
    }
    // This participant was shown that pair already, by another request or another node:
    // read them again and show their open pair.
    *slot = None;
    current_voter(app, v, token_hash, slot).await?;
    slot.as_ref()
        .and_then(|s| open_pair(v, s))
        .map(Some)
        .ok_or(AppError::Conflict(crate::Conflict::Busy))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct VoteInput {
    pub offer_id: String,
    /// `left`, `right` or `skip` ("Kan inte avgöra").
    pub choice: String,
    /// Why the participant could not decide (optional).
    pub reason: String,
    /// Milliseconds from showing the pair to the vote, as the client measured it.
    pub response_ms: Option<i64>,
}

/// A counted vote: the votes left, and the pair to vote on next (offered in the same
/// transaction), if any is left to show.
pub struct Voted {
    pub remaining: i64,
    pub next: Option<Pair>,
}

/// Records a vote for an offered pair and offers the next one. Refused, and not counted:
/// past the quota, a pair not offered to this participant, a pair already voted on, a
/// closed phase, a withdrawn idea.
///
/// A vote for the pair this node just offered the participant is checked from memory and
/// written, with the next pair, in one transaction of the batch writer, whose conditional
/// statements make every check that another request or node could change. Any other vote
/// is checked against the database first.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn vote(app: &App, code: &str, token: &str, input: &VoteInput) -> Result<Voted> {
    let choice = VoteChoice::parse(&input.choice)
        .ok_or_else(|| AppError::field("choice", ErrorCode::InvalidChoice))?;
    let reason = TextRule::line("reason", 1, 200)
        .optional()
        .parse(&input.reason)
        .map_err(|e| AppError::Validation(FieldErrors(vec![e])))?;
    let response_ms = input.response_ms.filter(|ms| (0..=86_400_000).contains(ms));
    let v = view(app, code).await?;
    let th = token_hash(token)?;
    let slot = app.votes.voter(&v.row.id, &th);
    let mut guard = slot.lock().await;
    let offer_id = input.offer_id.trim();
    let known = guard
        .as_ref()
        .and_then(|s| s.open.clone())
        .filter(|o| o.id == offer_id);
    let offer = match known {
        Some(o) => {
            if !v.row.phase.takes_votes() {
                return Err(AppError::Conflict(crate::Conflict::PhaseClosed));
            }
            if o.left_idea_id == o.right_idea_id
                || v.active(&o.left_idea_id).is_none()
                || v.active(&o.right_idea_id).is_none()
            {
                return Err(AppError::Conflict(crate::Conflict::IdeaWithdrawn));
            }
            let cast = guard.as_ref().map_or(0, |s| s.participant.votes_cast);
            if choice.decides() && cast >= v.row.vote_quota {
                return Err(AppError::Conflict(crate::Conflict::QuotaUsed));
            }
            o
        }
        None => {
            // Not the pair this node offered last: every check against the database.
            *guard = None;
            let mut tx = app.db.read().await?;
            let c = campaign(&mut tx, code).await?;
            let p = match participant(&mut tx, &c, token).await {
                Ok(p) => p,
                Err(e) => {
                    app.votes.forget_voter(&v.row.id, &th);
                    return Err(e);
                }
            };
            let o = vote_checks(&mut tx, &c, &p, offer_id, choice).await?;
            *guard = Some(read_voter(&mut tx, &v, p).await?);
            o
        }
    };
    let s = guard.as_mut().ok_or(AppError::Unauthenticated)?;
    // The next pair is chosen now and offered in the vote's transaction, if the quota leaves
    // room for another vote.
    let cast_after = s.participant.votes_cast + i64::from(choice.decides());
    let next = if cast_after < v.row.vote_quota {
        choose(app, &v, s).await?
    } else {
        None
    };
    let job = crate::writer::Job::Vote(campaigns::VoteAndNext {
        vote: campaigns::BatchVote {
            participant_id: s.participant.id.clone(),
            offer_id: offer.id.clone(),
            choice,
            skip_reason: reason,
            response_ms,
        },
        code: v.row.code.clone(),
        next: next.map(|(a, b)| offer_of(&v, s, a, b)),
    });
    let crate::writer::Done::Vote(campaigns::VoteWritten {
        outcome,
        votes_cast,
        next: written,
    }) = app.writer().submit(job).await?
    else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "the vote writer answered a vote with an offer"
        )));
    };
    match outcome {
        campaigns::BatchOutcome::Counted => {}
        campaigns::BatchOutcome::QuotaUsed => {
            *guard = None;
            return Err(AppError::Conflict(crate::Conflict::QuotaUsed));
        }
        campaigns::BatchOutcome::AlreadyVoted => {
            // Refused by the batch: read again what changed, for the right message.
            *guard = None;
            let mut tx = app.db.read().await?;
            let c = campaign(&mut tx, code).await?;
            let p = participant(&mut tx, &c, token).await?;
            vote_checks(&mut tx, &c, &p, &offer.id, choice).await?;
            return Err(AppError::Conflict(crate::Conflict::AlreadyVoted));
        }
    }
    s.open = None;
    if let Some(cast) = votes_cast {
        s.participant.votes_cast = cast;
    }
    let remaining = (v.row.vote_quota - s.participant.votes_cast).max(0);
    let next = match (next, written) {
        (Some((a, b)), Some(o)) => {
            let pair = pair_of(&v, o.clone(), a, b, s.participant.votes_cast);
            shown(s, o, a, b);
            Some(pair)
        }
        // That pair was shown already (by another node): read again and offer another.
        (Some(_), None) => {
            *guard = None;
            current_voter(app, &v, &th, &mut guard).await?;
            offer_next(app, &v, &th, &mut guard).await?
        }
        (None, _) => None,
    };
    Ok(Voted { remaining, next })
}

/// The checks of a vote that name its refusal: the phase, the offer (this participant's,
/// not yet answered), both ideas still active and the quota.
async fn vote_checks(
    tx: &mut Tx,
    c: &CampaignRow,
    p: &ParticipantRow,
    offer_id: &str,
    choice: VoteChoice,
) -> Result<OfferRow> {
    if !c.phase.takes_votes() {
        return Err(AppError::Conflict(crate::Conflict::PhaseClosed));
    }
    // An offer id that could name nothing is not asked for (PostgreSQL refuses a NUL).
    let offer = if may_name_something(offer_id) {
        campaigns::offer(tx, offer_id).await?
    } else {
        None
    };
    let offer = offer
        .filter(|o| o.participant_id == p.id)
        .ok_or_else(|| AppError::field("offer_id", ErrorCode::NotOffered))?;
    if offer.answered {
        return Err(AppError::Conflict(crate::Conflict::AlreadyVoted));
    }
    let active =
        campaigns::active_of_pair(tx, &c.id, &offer.left_idea_id, &offer.right_idea_id).await?;
    if offer.left_idea_id == offer.right_idea_id || active < 2 {
        return Err(AppError::Conflict(crate::Conflict::IdeaWithdrawn));
    }
    if choice.decides() && p.votes_cast >= c.vote_quota {
        return Err(AppError::Conflict(crate::Conflict::QuotaUsed));
    }
    Ok(offer)
}
