//! Reading votes back: the decided pairs a fit takes in, when the latest vote came, the
//! counts of decided votes and skips, and every vote for export.

use crate::db::{Tx, sql};
use domain::campaign::VoteChoice;
use domain::id::{CampaignId, IdeaId};

/// The decided votes of a campaign cast after `after` and up to `until` (votes'
/// `voted_at`; `after` "" for every one) as (winner, loser) idea numbers (`seq`), in no
/// order (the fit aggregates them per pair), read down the (campaign, time) index: every
/// vote, or what came in since a fit. Numbers, not ids: a million votes take 16 MB, not a
/// hundred. Skips are stored but not counted as wins. The upper bound keeps a vote
/// committed while this is read (PostgreSQL reads each statement afresh) for the next
/// read, not for this one and the next.
pub async fn decided_pairs_between(
    tx: &mut Tx,
    campaign_id: &CampaignId,
    after: &str,
    until: &str,
) -> crate::Result<Vec<(i64, i64)>> {
    tx.fetch_all(
        sql("SELECT CASE WHEN o.choice = 'left' THEN l.seq ELSE r.seq END, CASE WHEN o.choice = 'left' THEN r.seq ELSE l.seq END
             FROM pair_offers o
             JOIN ideas l ON l.id = o.left_idea_id
             JOIN ideas r ON r.id = o.right_idea_id
             WHERE o.campaign_id = ? AND o.voted_at > ? AND o.voted_at <= ? AND o.choice <> 'skip'")
        .bind(campaign_id.as_str())
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
pub async fn last_vote_at(tx: &mut Tx, campaign_id: &CampaignId) -> crate::Result<Option<String>> {
    let (at,): (Option<String>,) = tx
        .fetch_one(
            sql("SELECT MAX(voted_at) FROM pair_offers WHERE campaign_id = ? AND voted_at IS NOT NULL")
                .bind(campaign_id.as_str()),
        )
        .await?;
    Ok(at)
}

/// A campaign's decided votes and skips, counted in one pass over its cast votes.
pub async fn vote_counts(tx: &mut Tx, campaign_id: &CampaignId) -> crate::Result<(i64, i64)> {
    let (all, skips): (i64, i64) = tx
        .fetch_one(
            sql("SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN choice = 'skip' THEN 1 ELSE 0 END), 0) AS BIGINT)
                 FROM pair_offers WHERE campaign_id = ? AND voted_at IS NOT NULL")
                .bind(campaign_id.as_str()),
        )
        .await?;
    Ok((all - skips, skips))
}

/// One vote for export: who (by participant number), the pair, the choice and its timing.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VoteExportRow {
    pub participant: i64,
    #[sqlx(try_from = "String")]
    pub left_idea_id: IdeaId,
    #[sqlx(try_from = "String")]
    pub right_idea_id: IdeaId,
    #[sqlx(try_from = "String")]
    pub choice: VoteChoice,
    pub skip_reason: Option<String>,
    pub response_ms: Option<i64>,
    pub created_at: String,
}

pub async fn votes_for_export(
    tx: &mut Tx,
    campaign_id: &CampaignId,
) -> crate::Result<Vec<VoteExportRow>> {
    tx.fetch_all(
        sql("SELECT p.number AS participant, o.left_idea_id, o.right_idea_id, o.choice, o.skip_reason, o.response_ms, o.voted_at AS created_at
             FROM pair_offers o JOIN participants p ON p.id = o.participant_id
             WHERE o.campaign_id = ? AND o.voted_at IS NOT NULL ORDER BY o.voted_at, o.id")
        .bind(campaign_id.as_str()),
    )
    .await
}
