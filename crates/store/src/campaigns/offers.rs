//! Pair offers: the pair open for a participant, the pairs shown already (by key), and the
//! batch insert of the next pairs to show, each checked against its campaign.

use super::padded;
use crate::db::{Arg, Backend, Tx, sql};
use domain::id::{CampaignId, IdeaId, ParticipantId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OfferRow {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub participant_id: ParticipantId,
    #[sqlx(try_from = "String")]
    pub left_idea_id: IdeaId,
    #[sqlx(try_from = "String")]
    pub right_idea_id: IdeaId,
    pub answered: bool,
    pub offered_at: String,
}

const OFFER: &str =
    "SELECT id, participant_id, left_idea_id, right_idea_id, answered, offered_at FROM pair_offers";

/// The pair shown to a participant and not yet answered, if any. (An open offer has no
/// vote either: the condition is the open offers' index's, which it is read by.)
pub async fn open_offer(
    tx: &mut Tx,
    participant_id: &ParticipantId,
) -> crate::Result<Option<OfferRow>> {
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
pub async fn offered_keys(
    tx: &mut Tx,
    participant_id: &ParticipantId,
) -> crate::Result<Vec<String>> {
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

/// A pair about to be shown, for [`insert_offers`].
#[derive(Debug, Clone)]
pub struct BatchOffer {
    pub campaign_id: CampaignId,
    pub participant_id: ParticipantId,
    pub left_idea_id: IdeaId,
    pub right_idea_id: IdeaId,
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
            .map(|o| pair_key(o.left_idea_id.as_str(), o.right_idea_id.as_str()))
    };
    let (offers, mut args) = match tx.backend() {
        Backend::Postgres => {
            let list = |f: fn(&BatchOffer) -> &str| {
                Arg::TextList(batch.iter().map(|o| Some(f(o).to_owned())).collect())
            };
            (
                "unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]))
                 AS v (column1, column2, column3, column4, column5, column6)"
                    .to_string(),
                vec![
                    Arg::TextList(ids.iter().cloned().map(Some).collect()),
                    list(|o| o.campaign_id.as_str()),
                    list(|o| o.participant_id.as_str()),
                    list(|o| o.left_idea_id.as_str()),
                    list(|o| o.right_idea_id.as_str()),
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
