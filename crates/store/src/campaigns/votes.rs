//! Writing votes: answering one offer, the vote writer's batches (a few statements on SQLite,
//! one on PostgreSQL) with the next pair of each counted vote, and the demo loader's bulk votes.

#[cfg(doc)]
use super::live::notify_counts;
use super::offers::{BatchOffer, OfferRow, insert_offers, pair_key};
use super::padded;
use crate::db::{Arg, Backend, Tx, sql};
use domain::campaign::VoteChoice;
use domain::id::{CampaignId, IdeaId, ParticipantId};

/// Marks an offer answered; false when it already was (a second vote for the same pair).
pub async fn answer_offer(tx: &mut Tx, id: &str) -> crate::Result<bool> {
    let n = tx
        .execute(
            sql("UPDATE pair_offers SET answered = ? WHERE id = ? AND answered = ?")
                .bind(true)
                .bind(id)
                .bind(false),
        )
        .await?;
    Ok(n == 1)
}

/// One vote of a batch, checked by the caller for what cannot change under it (the offer is
/// this participant's, the choice and reason are valid). The choice is `left`, `right` or
/// `skip`: the winner and the loser follow from it and the pair as offered.
#[derive(Debug, Clone)]
pub struct BatchVote {
    pub participant_id: ParticipantId,
    pub offer_id: String,
    pub choice: VoteChoice,
    pub skip_reason: Option<String>,
    pub response_ms: Option<i64>,
}

/// What became of one vote of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOutcome {
    Counted,
    /// The offer was answered already (or is not open).
    AlreadyVoted,
    /// The participant's quota is used up.
    QuotaUsed,
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Writes a batch of votes in the caller's transaction, each on the offer it answers, with a
/// fixed number of statements, whatever its size: every check that another request could
/// change (the offer still open, the phase, the ideas still active, the quota) is part of a
/// conditional write, so votes racing from other requests or other nodes are never counted
/// twice or past the quota. Each participant may appear at most once in a batch (the caller
/// defers the rest). Each outcome comes with the participant's votes cast after a counted
/// decided vote. SQLite's way: PostgreSQL writes a batch in one statement
/// ([`record_votes_and_next_postgres`]).
async fn record_votes_sqlite(
    tx: &mut Tx,
    batch: &[BatchVote],
    now: &str,
) -> crate::Result<Vec<(BatchOutcome, Option<i64>)>> {
    use std::collections::{HashMap, HashSet};
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    // 1. Answer the offers that are open, in a campaign taking votes, with both ideas active:
    //    the vote is written on its offer. Each idea is looked up by its key (PostgreSQL
    //    would otherwise scan every idea not active, for every offer).
    let rows = padded(batch.len());
    let mut args: Vec<Arg> = Vec::with_capacity(1 + rows * 4);
    args.push(now.into());
    for v in batch {
        args.push(v.offer_id.as_str().into());
        args.push(v.choice.as_str().into());
        args.push(v.skip_reason.clone().into());
        args.push(v.response_ms.into());
    }
    for _ in batch.len()..rows {
        args.extend(["".into(), Arg::Text(None), Arg::Text(None), Arg::Int(None)]);
    }
    let votes = format!("(VALUES {}) AS v", vec!["(?, ?, ?, ?)"; rows].join(", "));
    let answered: Vec<(String,)> = tx
        .fetch_all(crate::Sql::dynamic(
            format!(
                "UPDATE pair_offers SET answered = TRUE, choice = v.column2, skip_reason = v.column3, response_ms = v.column4, voted_at = ?
                 FROM {votes}
                 WHERE pair_offers.id = v.column1 AND pair_offers.answered = FALSE
                 AND EXISTS (SELECT 1 FROM campaigns c WHERE c.id = pair_offers.campaign_id AND c.phase IN ('voting', 'open'))
                 AND (SELECT status FROM ideas i WHERE i.id = pair_offers.left_idea_id) = 'active'
                 AND (SELECT status FROM ideas i WHERE i.id = pair_offers.right_idea_id) = 'active'
                 RETURNING pair_offers.id"
            ),
            args,
        ))
        .await?;
    let answered: HashSet<String> = answered.into_iter().map(|r| r.0).collect();
    // 2. Take the quota of every decided vote whose offer was answered.
    let decided: Vec<&BatchVote> = batch
        .iter()
        .filter(|v| v.choice.decides() && answered.contains(&v.offer_id))
        .collect();
    let mut took: HashMap<ParticipantId, i64> = HashMap::new();
    if !decided.is_empty() {
        let n = padded(decided.len());
        let mut args: Vec<Arg> = decided
            .iter()
            .map(|v| Arg::from(v.participant_id.as_str()))
            .collect();
        args.resize_with(n, || "".into());
        let list = format!("IN ({})", placeholders(n));
        let rows: Vec<(String, i64)> = tx
            .fetch_all(crate::Sql::dynamic(
                format!(
                    "UPDATE participants SET votes_cast = votes_cast + 1 WHERE id {list}
                     AND votes_cast < (SELECT vote_quota FROM campaigns c WHERE c.id = participants.campaign_id)
                     RETURNING id, votes_cast"
                ),
                args,
            ))
            .await?;
        took = rows
            .into_iter()
            .map(|(id, n)| (ParticipantId::from(id), n))
            .collect();
    }
    let outcomes: Vec<BatchOutcome> = batch
        .iter()
        .map(|v| {
            if !answered.contains(&v.offer_id) {
                BatchOutcome::AlreadyVoted
            } else if v.choice.decides() && !took.contains_key(&v.participant_id) {
                BatchOutcome::QuotaUsed
            } else {
                BatchOutcome::Counted
            }
        })
        .collect();
    // 3. An offer answered by a vote past the quota is open again, without the vote.
    let reopen: Vec<Arg> = batch
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| **o == BatchOutcome::QuotaUsed)
        .map(|(v, _)| Arg::from(v.offer_id.as_str()))
        .collect();
    if !reopen.is_empty() {
        let n = reopen.len();
        tx.execute(crate::Sql::dynamic(
            format!(
                "UPDATE pair_offers SET answered = FALSE, choice = NULL, skip_reason = NULL, response_ms = NULL, voted_at = NULL
                 WHERE id IN ({})",
                placeholders(n)
            ),
            reopen,
        ))
        .await?;
    }
    // A refusal for a closed phase or a withdrawn idea is told apart from "already voted"
    // by the caller, which reads the offer again.
    Ok(batch
        .iter()
        .zip(outcomes)
        .map(|(v, o)| {
            let cast = (o == BatchOutcome::Counted && v.choice.decides())
                .then(|| took.get(&v.participant_id).copied())
                .flatten();
            (o, cast)
        })
        .collect())
}

/// A vote of a batch with the code of its campaign (for live results, once it is written)
/// and the pair to show the participant next, offered only if the vote counts.
#[derive(Debug, Clone)]
pub struct VoteAndNext {
    pub vote: BatchVote,
    pub code: String,
    pub next: Option<BatchOffer>,
}

/// What became of a [`VoteAndNext`]: the outcome, the participant's votes cast after a
/// counted decided vote, and the next offer as written (None when none was asked for, the
/// vote did not count, or the participant was shown that pair already).
#[derive(Debug, Clone)]
pub struct VoteWritten {
    pub outcome: BatchOutcome,
    pub votes_cast: Option<i64>,
    pub next: Option<OfferRow>,
}

/// Writes a batch of votes ([`record_votes_sqlite`]) and the next pairs of those that count
/// ([`insert_offers`]) in the caller's transaction (other nodes are told after it commits:
/// [`notify_counts`]). Each participant may appear at most once in a batch. On
/// PostgreSQL all of it is one statement ([`record_votes_and_next_postgres`]): a round trip
/// to the server costs more than the statement's work, and a batch waits for each one.
pub async fn record_votes_and_next(
    tx: &mut Tx,
    batch: &[VoteAndNext],
    now: &str,
) -> crate::Result<Vec<VoteWritten>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    if tx.backend() == Backend::Postgres {
        return record_votes_and_next_postgres(tx, batch, now).await;
    }
    let votes: Vec<BatchVote> = batch.iter().map(|b| b.vote.clone()).collect();
    let recorded = record_votes_sqlite(tx, &votes, now).await?;
    let mut offers = Vec::new();
    let mut slots = Vec::with_capacity(batch.len());
    for (b, (outcome, _)) in batch.iter().zip(&recorded) {
        slots.push(
            b.next
                .clone()
                .filter(|_| *outcome == BatchOutcome::Counted)
                .map(|o| {
                    offers.push(o);
                    offers.len() - 1
                }),
        );
    }
    let written = insert_offers(tx, &offers, now).await?;
    Ok(recorded
        .into_iter()
        .zip(slots)
        .map(|((outcome, votes_cast), slot)| VoteWritten {
            outcome,
            votes_cast,
            next: slot.and_then(|k| written.get(k).cloned().flatten()),
        })
        .collect())
}

/// [`record_votes_and_next`] on PostgreSQL: the whole batch in one statement, so a batch
/// is one round trip on the writer's own connection ([`crate::Db::own_writer`]), where
/// the statement is its own transaction. The offers still open with their phase and ideas
/// as they should be are locked first (in the order of their keys, as every batch does);
/// the quota of their decided votes is taken, conditionally, on each participant's row; an
/// offer is answered only with its quota taken (or as a skip); and the next pairs of the
/// answered votes are offered, each to the participant and in the campaign of the offer it
/// follows, with both ideas of that campaign (the keys' work: migration 10). An offer that
/// another node answers while this batch waits for its lock is read again when the lock
/// is granted, found answered and left out before any quota is taken for it; once
/// locked, nobody else can answer it.
async fn record_votes_and_next_postgres(
    tx: &mut Tx,
    batch: &[VoteAndNext],
    now: &str,
) -> crate::Result<Vec<VoteWritten>> {
    use std::collections::{HashMap, HashSet};
    const BATCH: &str = "WITH v AS (
          SELECT * FROM unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]),
                               CAST(? AS BIGINT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]),
                               CAST(? AS TEXT[]), CAST(? AS TEXT[]))
          AS v (offer_id, participant_id, choice, skip_reason, response_ms,
                next_id, next_campaign, next_left, next_right, next_key)
        ), open AS (
          SELECT v.offer_id, v.participant_id, v.choice, v.skip_reason, v.response_ms
          FROM v JOIN pair_offers o ON o.id = v.offer_id
          WHERE o.answered = FALSE
          AND EXISTS (SELECT 1 FROM campaigns c WHERE c.id = o.campaign_id AND c.phase IN ('voting', 'open'))
          AND (SELECT status FROM ideas i WHERE i.id = o.left_idea_id) = 'active'
          AND (SELECT status FROM ideas i WHERE i.id = o.right_idea_id) = 'active'
          ORDER BY o.id FOR UPDATE OF o
        ), quota AS (
          UPDATE participants p SET votes_cast = p.votes_cast + 1
          FROM open WHERE p.id = open.participant_id AND open.choice <> 'skip'
          AND p.votes_cast < (SELECT vote_quota FROM campaigns c WHERE c.id = p.campaign_id)
          RETURNING p.id, p.votes_cast
        ), answered AS (
          UPDATE pair_offers o SET answered = TRUE, choice = open.choice, skip_reason = open.skip_reason,
                 response_ms = open.response_ms, voted_at = ?
          FROM open WHERE o.id = open.offer_id AND o.answered = FALSE
          AND (open.choice = 'skip' OR open.participant_id IN (SELECT id FROM quota))
          RETURNING o.id, o.participant_id, o.campaign_id
        ), next AS (
          INSERT INTO pair_offers (id, campaign_id, participant_id, left_idea_id, right_idea_id, pair_key, answered, offered_at)
          SELECT v.next_id, v.next_campaign, v.participant_id, v.next_left, v.next_right, v.next_key, FALSE, ?
          FROM v JOIN answered a ON a.id = v.offer_id
          WHERE v.next_id IS NOT NULL
          AND a.participant_id = v.participant_id AND a.campaign_id = v.next_campaign
          AND (SELECT campaign_id FROM ideas i WHERE i.id = v.next_left) = v.next_campaign
          AND (SELECT campaign_id FROM ideas i WHERE i.id = v.next_right) = v.next_campaign
          ON CONFLICT (participant_id, pair_key) DO NOTHING RETURNING id
        )
        SELECT 'open', offer_id, CAST(NULL AS BIGINT) FROM open
        UNION ALL SELECT 'quota', id, votes_cast FROM quota
        UNION ALL SELECT 'answered', id, NULL FROM answered
        UNION ALL SELECT 'next', id, NULL FROM next";
    let next_ids: Vec<Option<String>> = batch
        .iter()
        .map(|b| b.next.as_ref().map(|_| crate::new_id()))
        .collect();
    let list =
        |f: &dyn Fn(&VoteAndNext) -> Option<String>| Arg::TextList(batch.iter().map(f).collect());
    let next = |f: fn(&BatchOffer) -> &str| {
        Arg::TextList(
            batch
                .iter()
                .map(|b| b.next.as_ref().map(|o| f(o).to_owned()))
                .collect(),
        )
    };
    let rows: Vec<(String, String, Option<i64>)> = tx
        .fetch_all(
            sql(BATCH)
                .bind(list(&|b| Some(b.vote.offer_id.clone())))
                .bind(list(&|b| Some(b.vote.participant_id.to_string())))
                .bind(list(&|b| Some(b.vote.choice.as_str().to_string())))
                .bind(list(&|b| b.vote.skip_reason.clone()))
                .bind(Arg::IntList(
                    batch.iter().map(|b| b.vote.response_ms).collect(),
                ))
                .bind(Arg::TextList(next_ids.clone()))
                .bind(next(|o| o.campaign_id.as_str()))
                .bind(next(|o| o.left_idea_id.as_str()))
                .bind(next(|o| o.right_idea_id.as_str()))
                .bind(list(&|b| {
                    b.next
                        .as_ref()
                        .map(|o| pair_key(o.left_idea_id.as_str(), o.right_idea_id.as_str()))
                }))
                .bind(now)
                .bind(now),
        )
        .await?;
    let (mut open, mut answered, mut offered) = (HashSet::new(), HashSet::new(), HashSet::new());
    let mut took: HashMap<ParticipantId, i64> = HashMap::new();
    for (kind, id, n) in rows {
        match kind.as_str() {
            "open" => {
                open.insert(id);
            }
            "quota" => {
                took.insert(ParticipantId::from(id), n.unwrap_or_default());
            }
            "answered" => {
                answered.insert(id);
            }
            "next" => {
                offered.insert(id);
            }
            _ => {}
        }
    }
    Ok(batch
        .iter()
        .zip(next_ids)
        .map(|(b, next_id)| {
            let v = &b.vote;
            let decided = v.choice.decides();
            if answered.contains(&v.offer_id) {
                let next = next_id
                    .filter(|id| offered.contains(id))
                    .zip(b.next.as_ref())
                    .map(|(id, o)| OfferRow {
                        id,
                        participant_id: v.participant_id.clone(),
                        left_idea_id: o.left_idea_id.clone(),
                        right_idea_id: o.right_idea_id.clone(),
                        answered: false,
                        offered_at: now.to_string(),
                    });
                let votes_cast = decided
                    .then(|| took.get(&v.participant_id).copied())
                    .flatten();
                return VoteWritten {
                    outcome: BatchOutcome::Counted,
                    votes_cast,
                    next,
                };
            }
            let outcome =
                if decided && open.contains(&v.offer_id) && !took.contains_key(&v.participant_id) {
                    BatchOutcome::QuotaUsed
                } else {
                    BatchOutcome::AlreadyVoted
                };
            VoteWritten {
                outcome,
                votes_cast: None,
                next: None,
            }
        })
        .collect())
}

/// One vote for [`bulk_votes`]: the pair as shown (left, right), the choice (`left`,
/// `right` or `skip`), the response time and when it was cast.
#[derive(Debug, Clone)]
pub struct BulkVote {
    pub left_idea_id: IdeaId,
    pub right_idea_id: IdeaId,
    pub choice: VoteChoice,
    pub response_ms: Option<i64>,
    pub at: String,
}

/// Rows per multi-row INSERT of [`bulk_votes`], well under either database's limit on
/// bound parameters.
const BULK_ROWS: usize = 500;

/// Loads one participant's votes at once (the large-scale demo loader): each vote on its
/// offer, answered, in multi-row statements, and the participant's count of
/// decided votes. The caller checks the quota and that no pair repeats; this writes no
/// event, as casting a vote does not.
pub async fn bulk_votes(
    tx: &mut Tx,
    campaign_id: &CampaignId,
    participant_id: &ParticipantId,
    votes: &[BulkVote],
) -> crate::Result<()> {
    for chunk in votes.chunks(BULK_ROWS) {
        let mut args: Vec<Arg> = Vec::with_capacity(chunk.len() * 11);
        for v in chunk {
            args.push(crate::new_id().into());
            args.push(campaign_id.as_str().into());
            args.push(participant_id.into());
            args.push(v.left_idea_id.as_str().into());
            args.push(v.right_idea_id.as_str().into());
            args.push(pair_key(v.left_idea_id.as_str(), v.right_idea_id.as_str()).into());
            args.push(true.into());
            args.push(v.at.as_str().into());
            args.push(v.choice.as_str().into());
            args.push(v.response_ms.into());
            args.push(v.at.as_str().into());
        }
        let rows = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
        tx.execute(crate::Sql::dynamic(
            format!(
                "INSERT INTO pair_offers (id, campaign_id, participant_id, left_idea_id, right_idea_id, pair_key, answered, offered_at, choice, response_ms, voted_at)
                 VALUES {rows}"
            ),
            args,
        ))
        .await?;
    }
    let decided = votes.iter().filter(|v| v.choice.decides()).count() as i64;
    tx.execute(
        sql("UPDATE participants SET votes_cast = votes_cast + ? WHERE id = ?")
            .bind(decided)
            .bind(participant_id),
    )
    .await?;
    Ok(())
}
