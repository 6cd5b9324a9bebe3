//! Campaigns of pairwise voting: the campaign, its criteria, participants, ideas, the pairs
//! offered to each participant and the votes that answer them.

use crate::db::{Arg, Backend, Tx, sql};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignRow {
    pub id: String,
    pub org_id: String,
    pub code: String,
    pub mode: String,
    pub title: String,
    pub question: String,
    pub phase: String,
    pub vote_quota: i64,
    pub require_approval: bool,
    pub top_n: i64,
    pub seed: i64,
    pub created_at: String,
    pub updated_at: String,
}

const CAMPAIGN: &str = "SELECT id, org_id, code, mode, title, question, phase, vote_quota, require_approval, top_n, seed, created_at, updated_at FROM campaigns";

pub struct NewCampaign<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub code: &'a str,
    pub mode: &'a str,
    pub title: &'a str,
    pub question: &'a str,
    pub phase: &'a str,
    pub vote_quota: i64,
    pub require_approval: bool,
    pub top_n: i64,
    pub seed: i64,
    pub created_by: Option<&'a str>,
    pub now: &'a str,
}

pub async fn insert(tx: &mut Tx, c: &NewCampaign<'_>) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO campaigns (id, org_id, code, mode, title, question, phase, vote_quota, require_approval, top_n, seed, created_by, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(c.id)
        .bind(c.org_id)
        .bind(c.code)
        .bind(c.mode)
        .bind(c.title)
        .bind(c.question)
        .bind(c.phase)
        .bind(c.vote_quota)
        .bind(c.require_approval)
        .bind(c.top_n)
        .bind(c.seed)
        .bind(c.created_by)
        .bind(c.now)
        .bind(c.now),
    )
    .await?;
    Ok(())
}

pub async fn by_code(tx: &mut Tx, code: &str) -> crate::Result<Option<CampaignRow>> {
    tx.fetch_optional(crate::Sql::dynamic(
        format!("{CAMPAIGN} WHERE code = ?"),
        vec![code.into()],
    ))
    .await
}

pub async fn in_org(tx: &mut Tx, org_id: &str) -> crate::Result<Vec<CampaignRow>> {
    tx.fetch_all(crate::Sql::dynamic(
        format!("{CAMPAIGN} WHERE org_id = ? ORDER BY created_at DESC"),
        vec![org_id.into()],
    ))
    .await
}

pub async fn set_phase(tx: &mut Tx, id: &str, phase: &str, now: &str) -> crate::Result<()> {
    tx.execute(
        sql("UPDATE campaigns SET phase = ?, updated_at = ? WHERE id = ?")
            .bind(phase)
            .bind(now)
            .bind(id),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CriterionRow {
    pub id: String,
    pub name: String,
    pub weight: i64,
    pub position: i64,
}

pub async fn insert_criterion(
    tx: &mut Tx,
    campaign_id: &str,
    name: &str,
    weight: i64,
    position: i64,
) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO campaign_criteria (id, campaign_id, name, weight, position) VALUES (?, ?, ?, ?, ?)")
            .bind(crate::new_id().as_str())
            .bind(campaign_id)
            .bind(name)
            .bind(weight)
            .bind(position),
    )
    .await?;
    Ok(())
}

pub async fn set_weight(
    tx: &mut Tx,
    campaign_id: &str,
    id: &str,
    weight: i64,
) -> crate::Result<u64> {
    tx.execute(
        sql("UPDATE campaign_criteria SET weight = ? WHERE campaign_id = ? AND id = ?")
            .bind(weight)
            .bind(campaign_id)
            .bind(id),
    )
    .await
}

pub async fn criteria(tx: &mut Tx, campaign_id: &str) -> crate::Result<Vec<CriterionRow>> {
    tx.fetch_all(
        sql("SELECT id, name, weight, position FROM campaign_criteria WHERE campaign_id = ? ORDER BY position")
            .bind(campaign_id),
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ParticipantRow {
    pub id: String,
    pub campaign_id: String,
    pub number: i64,
    pub user_id: Option<String>,
    pub votes_cast: i64,
}

/// Adds a participant with the next number in the campaign; a concurrent join may take the
/// same number first, which surfaces as a conflict for the caller to retry.
/// Takes the campaign's row lock until the transaction ends (on PostgreSQL; SQLite's write
/// transaction is exclusive already), so that numbering by MAX + 1 never collides with a
/// concurrent join or idea: the next statement reads what the previous holder committed.
async fn lock_campaign(tx: &mut Tx, campaign_id: &str) -> crate::Result<()> {
    tx.execute(sql("UPDATE campaigns SET updated_at = updated_at WHERE id = ?").bind(campaign_id))
        .await?;
    Ok(())
}

pub async fn insert_participant(
    tx: &mut Tx,
    campaign_id: &str,
    token_hash: &str,
    user_id: Option<&str>,
    now: &str,
) -> crate::Result<ParticipantRow> {
    lock_campaign(tx, campaign_id).await?;
    let id = crate::new_id();
    tx.execute(
        sql("INSERT INTO participants (id, campaign_id, number, token_hash, user_id, votes_cast, created_at)
             SELECT ?, ?, COALESCE(MAX(number), 0) + 1, ?, ?, 0, ? FROM participants WHERE campaign_id = ?")
        .bind(id.as_str())
        .bind(campaign_id)
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(campaign_id),
    )
    .await?;
    tx.fetch_one(
        sql("SELECT id, campaign_id, number, user_id, votes_cast FROM participants WHERE id = ?")
            .bind(id.as_str()),
    )
    .await
}

pub async fn participant_by_token(
    tx: &mut Tx,
    campaign_id: &str,
    token_hash: &str,
) -> crate::Result<Option<ParticipantRow>> {
    tx.fetch_optional(
        sql("SELECT id, campaign_id, number, user_id, votes_cast FROM participants WHERE campaign_id = ? AND token_hash = ?")
            .bind(campaign_id)
            .bind(token_hash),
    )
    .await
}

/// A participant by token, with how many pairs they have been shown: one indexed read that
/// tells a node whether what it remembers of this participant is still current.
pub async fn participant_with_offers(
    tx: &mut Tx,
    campaign_id: &str,
    token_hash: &str,
) -> crate::Result<Option<(ParticipantRow, i64)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        p: ParticipantRow,
        offers: i64,
    }
    let row: Option<Row> = tx
        .fetch_optional(
            sql("SELECT id, campaign_id, number, user_id, votes_cast,
                        (SELECT COUNT(*) FROM pair_offers o WHERE o.participant_id = participants.id) AS offers
                 FROM participants WHERE campaign_id = ? AND token_hash = ?")
            .bind(campaign_id)
            .bind(token_hash),
        )
        .await?;
    Ok(row.map(|r| (r.p, r.offers)))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdeaRow {
    pub id: String,
    pub seq: i64,
    pub body: String,
    pub participant_id: Option<String>,
    pub status: String,
    pub flags: i64,
    pub created_at: String,
}

pub async fn insert_idea(
    tx: &mut Tx,
    campaign_id: &str,
    body: &str,
    participant_id: Option<&str>,
    status: &str,
    now: &str,
) -> crate::Result<IdeaRow> {
    lock_campaign(tx, campaign_id).await?;
    let id = crate::new_id();
    tx.execute(
        sql("INSERT INTO ideas (id, campaign_id, seq, body, participant_id, status, flags, created_at)
             SELECT ?, ?, COALESCE(MAX(seq), -1) + 1, ?, ?, ?, 0, ? FROM ideas WHERE campaign_id = ?")
        .bind(id.as_str())
        .bind(campaign_id)
        .bind(body)
        .bind(participant_id)
        .bind(status)
        .bind(now)
        .bind(campaign_id),
    )
    .await?;
    tx.fetch_one(
        sql("SELECT id, seq, body, participant_id, status, flags, created_at FROM ideas WHERE id = ?")
            .bind(id.as_str()),
    )
    .await
}

/// Every idea of a campaign, by sequence number (the ranking engine's index).
pub async fn ideas(tx: &mut Tx, campaign_id: &str) -> crate::Result<Vec<IdeaRow>> {
    tx.fetch_all(
        sql("SELECT id, seq, body, participant_id, status, flags, created_at FROM ideas WHERE campaign_id = ? ORDER BY seq")
            .bind(campaign_id),
    )
    .await
}

/// How many of the two ideas of a campaign are active (2 when both are).
pub async fn active_of_pair(
    tx: &mut Tx,
    campaign_id: &str,
    left: &str,
    right: &str,
) -> crate::Result<i64> {
    let (n,): (i64,) = tx
        .fetch_one(
            sql("SELECT COUNT(*) FROM ideas WHERE campaign_id = ? AND id IN (?, ?) AND status = 'active'")
                .bind(campaign_id)
                .bind(left)
                .bind(right),
        )
        .await?;
    Ok(n)
}

pub async fn set_idea_status(tx: &mut Tx, id: &str, status: &str) -> crate::Result<()> {
    tx.execute(
        sql("UPDATE ideas SET status = ? WHERE id = ?")
            .bind(status)
            .bind(id),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OfferRow {
    pub id: String,
    pub participant_id: String,
    pub left_idea_id: String,
    pub right_idea_id: String,
    pub answered: bool,
    pub offered_at: String,
}

const OFFER: &str =
    "SELECT id, participant_id, left_idea_id, right_idea_id, answered, offered_at FROM pair_offers";

/// The pair shown to a participant and not yet answered, if any. (An open offer has no
/// vote either: the condition is the open offers' index's, which it is read by.)
pub async fn open_offer(tx: &mut Tx, participant_id: &str) -> crate::Result<Option<OfferRow>> {
    tx.fetch_optional(crate::Sql::dynamic(
        format!(
            "{OFFER} WHERE participant_id = ? AND answered = FALSE AND voted_at IS NULL ORDER BY offered_at LIMIT 1"
        ),
        vec![participant_id.into()],
    ))
    .await
}

pub async fn offer(tx: &mut Tx, id: &str) -> crate::Result<Option<OfferRow>> {
    tx.fetch_optional(crate::Sql::dynamic(
        format!("{OFFER} WHERE id = ?"),
        vec![id.into()],
    ))
    .await
}

/// The pairs already shown to a participant, as `smaller-id:larger-id` keys.
pub async fn offered_keys(tx: &mut Tx, participant_id: &str) -> crate::Result<Vec<String>> {
    let rows: Vec<(String,)> = tx
        .fetch_all(
            sql("SELECT pair_key FROM pair_offers WHERE participant_id = ?").bind(participant_id),
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub fn pair_key(a: &str, b: &str) -> String {
    if a < b {
        format!("{a}:{b}")
    } else {
        format!("{b}:{a}")
    }
}

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
    pub participant_id: String,
    pub offer_id: String,
    pub choice: String,
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

/// The rows a batch's statement is written for on SQLite: the next power of two, the rows
/// past the batch's own padded with an empty id, which matches nothing. Each connection then
/// prepares a few statement texts (nine sizes up to 256), not one for every batch size,
/// which crowded its statement cache out. PostgreSQL takes a batch as arrays (`unnest`), in
/// one statement text for every size, planned once per connection, without compiling the
/// expressions of every row of a `VALUES` list on each run.
fn padded(n: usize) -> usize {
    n.next_power_of_two()
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
        .filter(|v| v.choice != "skip" && answered.contains(&v.offer_id))
        .collect();
    let mut took: HashMap<String, i64> = HashMap::new();
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
        took = rows.into_iter().collect();
    }
    let outcomes: Vec<BatchOutcome> = batch
        .iter()
        .map(|v| {
            if !answered.contains(&v.offer_id) {
                BatchOutcome::AlreadyVoted
            } else if v.choice != "skip" && !took.contains_key(&v.participant_id) {
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
            let cast = (o == BatchOutcome::Counted && v.choice != "skip")
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
    let next = |f: fn(&BatchOffer) -> &String| {
        Arg::TextList(
            batch
                .iter()
                .map(|b| b.next.as_ref().map(|o| f(o).clone()))
                .collect(),
        )
    };
    let rows: Vec<(String, String, Option<i64>)> = tx
        .fetch_all(
            sql(BATCH)
                .bind(list(&|b| Some(b.vote.offer_id.clone())))
                .bind(list(&|b| Some(b.vote.participant_id.clone())))
                .bind(list(&|b| Some(b.vote.choice.clone())))
                .bind(list(&|b| b.vote.skip_reason.clone()))
                .bind(Arg::IntList(
                    batch.iter().map(|b| b.vote.response_ms).collect(),
                ))
                .bind(Arg::TextList(next_ids.clone()))
                .bind(next(|o| &o.campaign_id))
                .bind(next(|o| &o.left_idea_id))
                .bind(next(|o| &o.right_idea_id))
                .bind(list(&|b| {
                    b.next
                        .as_ref()
                        .map(|o| pair_key(&o.left_idea_id, &o.right_idea_id))
                }))
                .bind(now)
                .bind(now),
        )
        .await?;
    let (mut open, mut answered, mut offered) = (HashSet::new(), HashSet::new(), HashSet::new());
    let mut took: HashMap<String, i64> = HashMap::new();
    for (kind, id, n) in rows {
        match kind.as_str() {
            "open" => {
                open.insert(id);
            }
            "quota" => {
                took.insert(id, n.unwrap_or_default());
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
            let decided = v.choice != "skip";
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

/// A pair about to be shown, for [`insert_offers`].
#[derive(Debug, Clone)]
pub struct BatchOffer {
    pub campaign_id: String,
    pub participant_id: String,
    pub left_idea_id: String,
    pub right_idea_id: String,
}

/// Records a batch of offers in one statement. An offer of a pair this participant was
/// shown already, or whose participant or ideas are not of its campaign (checked here: on
/// PostgreSQL the offers have no foreign keys, migration 10), is not written and comes
/// back as None.
pub async fn insert_offers(
    tx: &mut Tx,
    batch: &[BatchOffer],
    now: &str,
) -> crate::Result<Vec<Option<OfferRow>>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = batch.iter().map(|_| crate::new_id()).collect();
    let keys = || {
        batch
            .iter()
            .map(|o| pair_key(&o.left_idea_id, &o.right_idea_id))
    };
    let (offers, mut args) = match tx.backend() {
        Backend::Postgres => {
            let list = |f: fn(&BatchOffer) -> &String| {
                Arg::TextList(batch.iter().map(|o| Some(f(o).clone())).collect())
            };
            (
                "unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]))
                 AS v (column1, column2, column3, column4, column5, column6)"
                    .to_string(),
                vec![
                    Arg::TextList(ids.iter().cloned().map(Some).collect()),
                    list(|o| &o.campaign_id),
                    list(|o| &o.participant_id),
                    list(|o| &o.left_idea_id),
                    list(|o| &o.right_idea_id),
                    Arg::TextList(keys().map(Some).collect()),
                ],
            )
        }
        Backend::Sqlite => {
            let rows = padded(batch.len());
            let mut args: Vec<Arg> = Vec::with_capacity(rows * 6);
            for ((o, id), key) in batch.iter().zip(&ids).zip(keys()) {
                args.push(id.as_str().into());
                args.push(o.campaign_id.as_str().into());
                args.push(o.participant_id.as_str().into());
                args.push(o.left_idea_id.as_str().into());
                args.push(o.right_idea_id.as_str().into());
                args.push(key.into());
            }
            args.resize_with(rows * 6, || "".into());
            (
                format!(
                    "(VALUES {}) AS v",
                    vec!["(?, ?, ?, ?, ?, ?)"; rows].join(", ")
                ),
                args,
            )
        }
    };
    args.insert(0, now.into());
    let written: Vec<(String,)> = tx
        .fetch_all(crate::Sql::dynamic(
            format!(
                "INSERT INTO pair_offers (id, campaign_id, participant_id, left_idea_id, right_idea_id, pair_key, answered, offered_at)
                 SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, FALSE, ?
                 FROM {offers} WHERE v.column1 <> ''
                 AND (SELECT campaign_id FROM participants p WHERE p.id = v.column3) = v.column2
                 AND (SELECT campaign_id FROM ideas i WHERE i.id = v.column4) = v.column2
                 AND (SELECT campaign_id FROM ideas i WHERE i.id = v.column5) = v.column2
                 ON CONFLICT (participant_id, pair_key) DO NOTHING RETURNING id"
            ),
            args,
        ))
        .await?;
    let written: std::collections::HashSet<String> = written.into_iter().map(|r| r.0).collect();
    Ok(batch
        .iter()
        .zip(ids)
        .map(|(o, id)| {
            written.contains(&id).then(|| OfferRow {
                id,
                participant_id: o.participant_id.clone(),
                left_idea_id: o.left_idea_id.clone(),
                right_idea_id: o.right_idea_id.clone(),
                answered: false,
                offered_at: now.to_string(),
            })
        })
        .collect())
}

/// The decided votes of a campaign cast after `after` and up to `until` (votes'
/// `voted_at`; `after` "" for every one) as (winner, loser) idea numbers (`seq`), in no
/// order (the fit aggregates them per pair), read down the (campaign, time) index: every
/// vote, or what came in since a fit. Numbers, not ids: a million votes take 16 MB, not a
/// hundred. Skips are stored but not counted as wins. The upper bound keeps a vote
/// committed while this is read (PostgreSQL reads each statement afresh) for the next
/// read, not for this one and the next.
pub async fn decided_pairs_between(
    tx: &mut Tx,
    campaign_id: &str,
    after: &str,
    until: &str,
) -> crate::Result<Vec<(i64, i64)>> {
    tx.fetch_all(
        sql("SELECT CASE WHEN o.choice = 'left' THEN l.seq ELSE r.seq END, CASE WHEN o.choice = 'left' THEN r.seq ELSE l.seq END
             FROM pair_offers o
             JOIN ideas l ON l.id = o.left_idea_id
             JOIN ideas r ON r.id = o.right_idea_id
             WHERE o.campaign_id = ? AND o.voted_at > ? AND o.voted_at <= ? AND o.choice <> 'skip'")
        .bind(campaign_id)
        .bind(after)
        .bind(until),
    )
    .await
}

/// When the campaign's latest vote was cast (None before the first): one step down the
/// (campaign, time) index, however many votes there are. Tells a node whether votes came
/// in since it last fitted the campaign for choosing pairs. (Batches written at once on
/// PostgreSQL may commit out of time order; a vote missed that way is taken in with the
/// next one.)
pub async fn last_vote_at(tx: &mut Tx, campaign_id: &str) -> crate::Result<Option<String>> {
    let (at,): (Option<String>,) = tx
        .fetch_one(
            sql("SELECT MAX(voted_at) FROM pair_offers WHERE campaign_id = ? AND voted_at IS NOT NULL")
                .bind(campaign_id),
        )
        .await?;
    Ok(at)
}

/// A campaign's decided votes and skips, counted in one pass over its cast votes.
pub async fn vote_counts(tx: &mut Tx, campaign_id: &str) -> crate::Result<(i64, i64)> {
    let (all, skips): (i64, i64) = tx
        .fetch_one(
            sql("SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN choice = 'skip' THEN 1 ELSE 0 END), 0) AS BIGINT)
                 FROM pair_offers WHERE campaign_id = ? AND voted_at IS NOT NULL")
                .bind(campaign_id),
        )
        .await?;
    Ok((all - skips, skips))
}

/// One vote for export: who (by participant number), the pair, the choice and its timing.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VoteExportRow {
    pub participant: i64,
    pub left_idea_id: String,
    pub right_idea_id: String,
    pub choice: String,
    pub skip_reason: Option<String>,
    pub response_ms: Option<i64>,
    pub created_at: String,
}

pub async fn votes_for_export(tx: &mut Tx, campaign_id: &str) -> crate::Result<Vec<VoteExportRow>> {
    tx.fetch_all(
        sql("SELECT p.number AS participant, o.left_idea_id, o.right_idea_id, o.choice, o.skip_reason, o.response_ms, o.voted_at AS created_at
             FROM pair_offers o JOIN participants p ON p.id = o.participant_id
             WHERE o.campaign_id = ? AND o.voted_at IS NOT NULL ORDER BY o.voted_at, o.id")
        .bind(campaign_id),
    )
    .await
}

/// A concept taken forward: the submission or the case it became.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutcomeRow {
    pub idea_id: String,
    pub submission_id: Option<String>,
    pub case_id: Option<String>,
    pub reference: String,
}

pub async fn outcomes(tx: &mut Tx, campaign_id: &str) -> crate::Result<Vec<OutcomeRow>> {
    tx.fetch_all(
        sql("SELECT o.idea_id, o.submission_id, o.case_id, COALESCE(s.reference, k.reference) AS reference
             FROM campaign_outcomes o LEFT JOIN submissions s ON s.id = o.submission_id LEFT JOIN cases k ON k.id = o.case_id
             WHERE o.campaign_id = ? ORDER BY 4")
        .bind(campaign_id),
    )
    .await
}

pub async fn insert_outcome(
    tx: &mut Tx,
    campaign_id: &str,
    idea_id: &str,
    submission_id: Option<&str>,
    case_id: Option<&str>,
    now: &str,
) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO campaign_outcomes (campaign_id, idea_id, submission_id, case_id, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(campaign_id)
            .bind(idea_id)
            .bind(submission_id)
            .bind(case_id)
            .bind(now),
    )
    .await?;
    Ok(())
}

/// Sets a participant's score (1–5) of an idea on a criterion; a second score replaces it.
pub async fn set_score(
    tx: &mut Tx,
    campaign_id: &str,
    participant_id: &str,
    idea_id: &str,
    criterion_id: &str,
    score: i64,
    now: &str,
) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO criterion_scores (campaign_id, participant_id, idea_id, criterion_id, score, updated_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (participant_id, idea_id, criterion_id) DO UPDATE SET score = excluded.score, updated_at = excluded.updated_at")
        .bind(campaign_id)
        .bind(participant_id)
        .bind(idea_id)
        .bind(criterion_id)
        .bind(score)
        .bind(now),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScoreRow {
    pub participant_id: String,
    pub idea_id: String,
    pub criterion_id: String,
    pub score: i64,
}

pub async fn scores(tx: &mut Tx, campaign_id: &str) -> crate::Result<Vec<ScoreRow>> {
    tx.fetch_all(
        sql("SELECT participant_id, idea_id, criterion_id, score FROM criterion_scores WHERE campaign_id = ?")
            .bind(campaign_id),
    )
    .await
}

/// Flags an idea once per participant; returns the idea's flag count after.
pub async fn flag_idea(
    tx: &mut Tx,
    idea_id: &str,
    participant_id: &str,
    now: &str,
) -> crate::Result<i64> {
    let inserted = tx
        .execute(
            sql("INSERT INTO idea_flags (idea_id, participant_id, created_at) VALUES (?, ?, ?) ON CONFLICT (idea_id, participant_id) DO NOTHING")
                .bind(idea_id)
                .bind(participant_id)
                .bind(now),
        )
        .await?;
    if inserted == 1 {
        tx.execute(sql("UPDATE ideas SET flags = flags + 1 WHERE id = ?").bind(idea_id))
            .await?;
    }
    let (n,): (i64,) = tx
        .fetch_one(sql("SELECT flags FROM ideas WHERE id = ?").bind(idea_id))
        .await?;
    Ok(n)
}

/// Open campaigns for the public showcase, newest first.
pub async fn open_campaigns(tx: &mut Tx) -> crate::Result<Vec<CampaignRow>> {
    tx.fetch_all(crate::Sql::dynamic(
        format!(
            "{CAMPAIGN} WHERE mode = 'open' AND phase = 'open' ORDER BY created_at DESC LIMIT 100"
        ),
        vec![],
    ))
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QuestionRow {
    pub id: String,
    pub body: String,
    pub position: i64,
}

pub async fn add_question(tx: &mut Tx, campaign_id: &str, body: &str) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO research_questions (id, campaign_id, body, position)
             SELECT ?, ?, ?, COALESCE(MAX(position), -1) + 1 FROM research_questions WHERE campaign_id = ?")
        .bind(crate::new_id().as_str())
        .bind(campaign_id)
        .bind(body)
        .bind(campaign_id),
    )
    .await?;
    Ok(())
}

pub async fn questions(tx: &mut Tx, campaign_id: &str) -> crate::Result<Vec<QuestionRow>> {
    tx.fetch_all(
        sql("SELECT id, body, position FROM research_questions WHERE campaign_id = ? ORDER BY position")
            .bind(campaign_id),
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnswerRow {
    pub question_id: String,
    pub participant_id: String,
    pub participant: i64,
    pub body: String,
}

pub async fn answers(tx: &mut Tx, campaign_id: &str) -> crate::Result<Vec<AnswerRow>> {
    tx.fetch_all(
        sql("SELECT a.question_id, a.participant_id, p.number AS participant, a.body FROM research_answers a
             JOIN research_questions q ON q.id = a.question_id JOIN participants p ON p.id = a.participant_id
             WHERE q.campaign_id = ? ORDER BY q.position, a.created_at")
        .bind(campaign_id),
    )
    .await
}

/// A participant's answer; answering again replaces it.
pub async fn set_answer(
    tx: &mut Tx,
    question_id: &str,
    participant_id: &str,
    body: &str,
    now: &str,
) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO research_answers (question_id, participant_id, body, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (question_id, participant_id) DO UPDATE SET body = excluded.body")
        .bind(question_id)
        .bind(participant_id)
        .bind(body)
        .bind(now),
    )
    .await?;
    Ok(())
}

/// The notification channel of live campaign updates (PostgreSQL).
pub const LIVE_CHANNEL: &str = "sluss_live";

/// Marks a notification of a change to a campaign itself (its phase, ideas or criteria),
/// after which nodes read the campaign again; a notification without it is a vote.
pub const STRUCTURE_MARK: char = '!';

/// What changed, for [`notify_changed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Votes or scores came in.
    Counts,
    /// The campaign itself changed: its phase, ideas or criteria.
    Campaign,
}

/// Tells every node, when this transaction commits, that a campaign changed. PostgreSQL
/// delivers the notification at commit and drops it on rollback; SQLite has one node.
pub async fn notify_changed(tx: &mut Tx, code: &str, change: Change) -> crate::Result<()> {
    if tx.backend() == crate::Backend::Postgres {
        let payload = match change {
            Change::Counts => code.to_string(),
            Change::Campaign => format!("{code}{STRUCTURE_MARK}"),
        };
        tx.execute(
            sql("SELECT CAST(pg_notify(?, ?) AS TEXT)")
                .bind(LIVE_CHANNEL)
                .bind(payload),
        )
        .await?;
    }
    Ok(())
}

/// Tells every node that votes came in for these campaigns, after their transaction: not in
/// it, because PostgreSQL holds one lock for every transaction with a notification from
/// before its commit until the commit is on disk, so vote batches that notified committed
/// one after another, each waiting for the other's flush. The notification goes in a
/// transaction of its own that does not wait for the disk (a notification is not kept
/// anyway). SQLite has one node.
pub async fn notify_counts(db: &crate::Db, codes: Vec<String>) -> crate::Result<()> {
    if db.backend() != crate::Backend::Postgres || codes.is_empty() {
        return Ok(());
    }
    let mut tx = db.write_unflushed().await?;
    tx.execute(
        sql("SELECT CAST(pg_notify(?, code) AS TEXT) FROM unnest(CAST(? AS TEXT[])) AS code")
            .bind(LIVE_CHANNEL)
            .bind(Arg::TextList(codes.into_iter().map(Some).collect())),
    )
    .await?;
    tx.commit().await
}

/// One vote for [`bulk_votes`]: the pair as shown (left, right), the choice (`left`,
/// `right` or `skip`), the response time and when it was cast.
#[derive(Debug, Clone)]
pub struct BulkVote {
    pub left_idea_id: String,
    pub right_idea_id: String,
    pub choice: String,
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
    campaign_id: &str,
    participant_id: &str,
    votes: &[BulkVote],
) -> crate::Result<()> {
    for chunk in votes.chunks(BULK_ROWS) {
        let mut args: Vec<Arg> = Vec::with_capacity(chunk.len() * 11);
        for v in chunk {
            args.push(crate::new_id().into());
            args.push(campaign_id.into());
            args.push(participant_id.into());
            args.push(v.left_idea_id.as_str().into());
            args.push(v.right_idea_id.as_str().into());
            args.push(pair_key(&v.left_idea_id, &v.right_idea_id).into());
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
    let decided = votes.iter().filter(|v| v.choice != "skip").count() as i64;
    tx.execute(
        sql("UPDATE participants SET votes_cast = votes_cast + ? WHERE id = ?")
            .bind(decided)
            .bind(participant_id),
    )
    .await?;
    Ok(())
}
