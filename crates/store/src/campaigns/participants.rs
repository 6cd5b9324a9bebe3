//! Participants: joining with the next number in the campaign, and finding one by the hash
//! of their token, alone or with how many pairs they have been shown.

use super::campaign::lock_campaign;
use crate::db::{Tx, sql};
use domain::id::{CampaignId, ParticipantId, UserId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ParticipantRow {
    #[sqlx(try_from = "String")]
    pub id: ParticipantId,
    #[sqlx(try_from = "String")]
    pub campaign_id: CampaignId,
    pub number: i64,
    #[sqlx(try_from = "crate::Nullable")]
    pub user_id: Option<UserId>,
    pub votes_cast: i64,
}

pub async fn insert_participant(
    tx: &mut Tx,
    campaign_id: &CampaignId,
    token_hash: &str,
    user_id: Option<&UserId>,
    now: &str,
) -> crate::Result<ParticipantRow> {
    lock_campaign(tx, campaign_id).await?;
    let id = crate::new_id();
    tx.execute(
        sql("INSERT INTO participants (id, campaign_id, number, token_hash, user_id, votes_cast, created_at)
             SELECT ?, ?, COALESCE(MAX(number), 0) + 1, ?, ?, 0, ? FROM participants WHERE campaign_id = ?")
        .bind(id.as_str())
        .bind(campaign_id.as_str())
        .bind(token_hash)
        .bind(user_id.map(UserId::as_str))
        .bind(now)
        .bind(campaign_id.as_str()),
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
    campaign_id: &CampaignId,
    token_hash: &str,
) -> crate::Result<Option<ParticipantRow>> {
    tx.fetch_optional(
        sql("SELECT id, campaign_id, number, user_id, votes_cast FROM participants WHERE campaign_id = ? AND token_hash = ?")
            .bind(campaign_id.as_str())
            .bind(token_hash),
    )
    .await
}

/// A participant by token, with how many pairs they have been shown: one indexed read that
/// tells a node whether what it remembers of this participant is still current.
pub async fn participant_with_offers(
    tx: &mut Tx,
    campaign_id: &CampaignId,
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
            .bind(campaign_id.as_str())
            .bind(token_hash),
        )
        .await?;
    Ok(row.map(|r| (r.p, r.offers)))
}
