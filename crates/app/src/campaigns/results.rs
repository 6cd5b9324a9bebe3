//! What the votes add up to: the results and who may see them, the facilitator's view, the
//! fingerprint that live updates compare, the CSV exports and the public showcase.

use super::fitting::fitted;
use super::{campaign, facilitator};
use crate::error::Result;
use crate::{App, AppError, Caller};
#[cfg(doc)]
use domain::campaign::Phase;
use domain::campaign::VoteChoice;
use domain::export::{BOM, cell};
use domain::id::IdeaId;
use domain::ranking::standings;
use store::campaigns::{self, CampaignRow, IdeaRow};

/// One idea in the results.
pub struct Ranked {
    pub idea: IdeaRow,
    pub score: f64,
    pub low: f64,
    pub high: f64,
    pub wins: u64,
    pub losses: u64,
}

pub struct Results {
    pub campaign: CampaignRow,
    pub ranked: Vec<Ranked>,
    pub votes: i64,
    pub skips: i64,
    pub participants: i64,
}

/// The current results: every active idea with its score and interval, best first, fitted
/// from every vote at the time of asking.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn results(app: &App, code: &str) -> Result<Results> {
    let mut tx = app.db.read().await?;
    let c = campaign(&mut tx, code).await?;
    let ideas = campaigns::ideas(&mut tx, &c.id).await?;
    let (decided, skips) = campaigns::vote_counts(&mut tx, &c.id).await?;
    let (participants,): (i64,) = tx
        .fetch_one(
            store::sql("SELECT COUNT(*) FROM participants WHERE campaign_id = ?")
                .bind(c.id.as_str()),
        )
        .await?;
    let f = fitted(app, &mut tx, &c, &ideas, false).await?;
    let ranked = standings(&f.comparisons, &f.fit)
        .into_iter()
        .filter(|s| ideas[s.item].status == domain::campaign::IdeaStatus::Active)
        .map(|s| Ranked {
            idea: ideas[s.item].clone(),
            score: s.score,
            low: s.low,
            high: s.high,
            wins: s.wins,
            losses: s.losses,
        })
        .collect();
    Ok(Results {
        campaign: c,
        ranked,
        votes: decided,
        skips,
        participants,
    })
}

/// The campaign, and whether the caller may see its results now: everyone from the results
/// phase on ([`Phase::shows_results`], the rule of the participants' page), the campaign's
/// facilitators always.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn results_visible(
    app: &App,
    caller: &Caller,
    code: &str,
) -> Result<(CampaignRow, bool)> {
    let mut tx = app.db.read().await?;
    let c = campaign(&mut tx, code).await?;
    let public = c.phase.shows_results();
    if public || caller.user().is_none() {
        return Ok((c, public));
    }
    match facilitator(&mut tx, caller, &c).await {
        Ok(()) => Ok((c, true)),
        Err(AppError::Forbidden | AppError::Unauthenticated) => Ok((c, false)),
        Err(e) => Err(e),
    }
}

/// The facilitator's view: results, and every idea whatever its status.
pub struct Lead {
    pub results: Results,
    pub ideas: Vec<IdeaRow>,
    /// Concepts taken forward, and the submissions they became.
    pub outcomes: Vec<campaigns::OutcomeRow>,
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn lead(app: &App, caller: &Caller, code: &str) -> Result<Lead> {
    let mut tx = app.db.read().await?;
    let c = campaign(&mut tx, code).await?;
    facilitator(&mut tx, caller, &c).await?;
    let ideas = campaigns::ideas(&mut tx, &c.id).await?;
    let outcomes = campaigns::outcomes(&mut tx, &c.id).await?;
    drop(tx);
    Ok(Lead {
        results: results(app, code).await?,
        ideas,
        outcomes,
    })
}

/// A fingerprint of a campaign's state for live updates: phase, votes and ideas.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn fingerprint(app: &App, code: &str) -> Result<String> {
    fingerprint_since(app, code, std::time::Instant::now()).await
}

/// [`fingerprint`] as computed at `since` or later, shared by every live listener of the
/// node: a thousand listeners woken by one vote cost one query, not a thousand.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn fingerprint_since(app: &App, code: &str, since: std::time::Instant) -> Result<String> {
    let key = code.trim().to_ascii_uppercase();
    let mut cache = app.fingerprints.lock().await;
    if let Some((at, value)) = cache.get(&key)
        && *at >= since
    {
        return Ok(value.clone());
    }
    let at = std::time::Instant::now();
    let value = compute_fingerprint(app, &key).await?;
    if cache.len() > 10_000 {
        cache.clear();
    }
    cache.insert(key, (at, value.clone()));
    Ok(value)
}

async fn compute_fingerprint(app: &App, code: &str) -> Result<String> {
    let mut tx = app.db.read().await?;
    let c = campaign(&mut tx, code).await?;
    let (decided, skips) = campaigns::vote_counts(&mut tx, &c.id).await?;
    let (ideas,): (i64,) = tx
        .fetch_one(
            store::sql("SELECT COUNT(*) FROM ideas WHERE campaign_id = ? AND status = 'active'")
                .bind(c.id.as_str()),
        )
        .await?;
    Ok(format!("{}:{decided}:{skips}:{ideas}", c.phase))
}

/// Exports `ideas`, `votes` or `skips` as CSV (the facilitator). Voters appear by their
/// pseudonym number only. Every text cell is written by [`cell`] (never read as a formula),
/// and the file begins with a byte-order mark for Excel.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn export(app: &App, caller: &Caller, code: &str, kind: &str) -> Result<String> {
    let mut tx = app.db.read().await?;
    let c = campaign(&mut tx, code).await?;
    facilitator(&mut tx, caller, &c).await?;
    let ideas = campaigns::ideas(&mut tx, &c.id).await?;
    let seq = |id: &IdeaId| {
        ideas
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.seq.to_string())
            .unwrap_or_default()
    };
    let mut out = String::from(BOM);
    match kind {
        "ideas" => {
            drop(tx);
            let r = results(app, code).await?;
            out.push_str("idea,text,status,score,low,high,wins,losses,created_at\n");
            for i in &ideas {
                let ranked = r.ranked.iter().find(|x| x.idea.id == i.id);
                let num = |f: fn(&Ranked) -> f64| {
                    ranked.map(|x| format!("{:.2}", f(x))).unwrap_or_default()
                };
                out.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{}\n",
                    i.seq,
                    cell(&i.body),
                    cell(i.status.as_str()),
                    num(|x| x.score),
                    num(|x| x.low),
                    num(|x| x.high),
                    ranked.map(|x| x.wins).unwrap_or(0),
                    ranked.map(|x| x.losses).unwrap_or(0),
                    cell(&i.created_at)
                ));
            }
        }
        "votes" | "skips" => {
            let rows = campaigns::votes_for_export(&mut tx, &c.id).await?;
            if kind == "votes" {
                out.push_str("voter,left,right,choice,time,response_ms\n");
            } else {
                out.push_str("voter,left,right,reason,time,response_ms\n");
            }
            for v in rows
                .iter()
                .filter(|v| (v.choice == VoteChoice::Skip) == (kind == "skips"))
            {
                let ms = v.response_ms.map(|m| m.to_string()).unwrap_or_default();
                let fourth = if kind == "votes" {
                    cell(v.choice.as_str())
                } else {
                    cell(v.skip_reason.as_deref().unwrap_or(""))
                };
                out.push_str(&format!(
                    "P{},{},{},{},{},{}\n",
                    v.participant,
                    seq(&v.left_idea_id),
                    seq(&v.right_idea_id),
                    fourth,
                    cell(&v.created_at),
                    ms
                ));
            }
        }
        _ => return Err(AppError::NotFound),
    }
    Ok(out)
}

/// Open questions anyone may vote on (the public showcase).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn showcase(app: &App) -> Result<Vec<CampaignRow>> {
    let mut tx = app.db.read().await?;
    Ok(campaigns::open_campaigns(&mut tx).await?)
}
