//! Fitting a campaign's ranking from its votes, kept per node: the fit for results, the
//! younger fit that pairs are chosen by (refitted in the background), and the warm-up at start.

use super::{ALPHA, view};
use crate::error::Result;
use crate::vote_cache::CampaignView;
use crate::{App, AppError};
use domain::id::{CampaignId, IdeaId};
use domain::ranking::{Comparisons, Ranker, fit};
use std::sync::Arc;
use store::campaigns::{self, CampaignRow, IdeaRow};

/// Votes below which a campaign is always refitted at once (a fit takes milliseconds).
const REFIT_ALWAYS_BELOW: i64 = 50_000;

/// How long a fit is used to choose pairs before it is refitted (in the background: pairs
/// are chosen from the last fit meanwhile).
const PAIR_FIT_AGE: std::time::Duration = std::time::Duration::from_secs(1);

/// How long a fit for choosing pairs is refitted from the votes that came in since, before
/// every vote is read again. Reading only the new ones keeps the refit every second small
/// however many votes there are; reading all of them now and then takes in a vote that
/// committed after a later one (PostgreSQL's concurrent batches), which "since" misses.
const PAIR_FULL_READ_AGE: std::time::Duration = std::time::Duration::from_secs(30);

/// A campaign's fitted ranking as this node last computed it.
#[derive(Debug, Clone)]
pub struct Fitted {
    /// The ideas fitted, by id (shared: compared on every pair choice, never copied).
    pub idea_ids: Arc<Vec<IdeaId>>,
    pub votes: i64,
    pub at: std::time::Instant,
    pub comparisons: Arc<Comparisons>,
    pub fit: Arc<domain::ranking::Fit>,
    /// Comparisons per idea.
    pub counts: Arc<Vec<f64>>,
    /// The posterior covariance for choosing pairs (empty above
    /// [`domain::ranking::COVARIANCE_LIMIT`] ideas).
    pub cov: Arc<Vec<f64>>,
    /// When the latest vote was cast as the fit began (a later one means a refit is due).
    pub last_vote: Option<String>,
    /// When every vote was last read (later refits for pairs add only newer votes).
    pub read_all_at: std::time::Instant,
}

/// This node's last fit of a campaign, if any.
fn cached_fit(app: &App, campaign_id: &CampaignId) -> Result<Option<Fitted>> {
    Ok(app
        .rankings
        .lock()
        .map_err(|_| AppError::Internal(anyhow::anyhow!("ranking cache poisoned")))?
        .get(campaign_id)
        .cloned())
}

/// The lock that lets a node fit a campaign once at a time.
fn fit_lock(app: &App, campaign_id: &CampaignId) -> Result<Arc<tokio::sync::Mutex<()>>> {
    Ok(app
        .fitting
        .lock()
        .map_err(|_| AppError::Internal(anyhow::anyhow!("fit locks poisoned")))?
        .entry(campaign_id.clone())
        .or_default()
        .clone())
}

/// The fitted ranking of a campaign. Reused while no vote has come in; for large campaigns
/// (and for choosing pairs, whatever the size) for up to a second after it was fitted.
pub(super) async fn fitted(
    app: &App,
    tx: &mut store::Tx,
    c: &CampaignRow,
    ideas: &[IdeaRow],
    for_pairs: bool,
) -> Result<Fitted> {
    let ids: Vec<IdeaId> = ideas.iter().map(|i| i.id.clone()).collect();
    let cached = cached_fit(app, &c.id)?;
    let young = |f: &Fitted| f.at.elapsed() < PAIR_FIT_AGE;
    if let Some(f) = &cached
        && *f.idea_ids == ids
        && for_pairs
        && young(f)
    {
        return Ok(f.clone());
    }
    let (decided, _) = campaigns::vote_counts(tx, &c.id).await?;
    if let Some(f) = &cached
        && *f.idea_ids == ids
        && (f.votes == decided || (decided >= REFIT_ALWAYS_BELOW && young(f)))
    {
        return Ok(f.clone());
    }
    // One fit per campaign at a time on this node: a crowd arriving at a stale ranking waits
    // for the fit under way and takes it, rather than each reading every vote at once.
    let lock = fit_lock(app, &c.id)?;
    let _one_at_a_time = lock.lock().await;
    let cached = cached_fit(app, &c.id)?;
    if let Some(f) = &cached
        && *f.idea_ids == ids
        && (f.votes >= decided || (for_pairs && young(f)))
    {
        return Ok(f.clone());
    }
    refit(app, tx, &c.id, ideas, cached, Since::Start).await
}

/// Which votes a refit reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Since {
    /// Every vote: the fit that results are shown from.
    Start,
    /// Those cast since the last fit began, added to its comparisons (for choosing pairs),
    /// unless every vote was last read [`PAIR_FULL_READ_AGE`] ago or more.
    LastFit,
}

/// Fits a campaign from its decided votes (every one, or for choosing pairs those since the
/// last fit: see [`Since`]), warm from `cached` when its ideas are a prefix of these, and
/// keeps the fit for the node. The caller holds the campaign's fit lock.
async fn refit(
    app: &App,
    tx: &mut store::Tx,
    campaign_id: &CampaignId,
    ideas: &[IdeaRow],
    cached: Option<Fitted>,
    since: Since,
) -> Result<Fitted> {
    let ids: Vec<IdeaId> = ideas.iter().map(|i| i.id.clone()).collect();
    let last_vote = campaigns::last_vote_at(tx, campaign_id).await?;
    let cached = cached.filter(|f| ids.starts_with(&f.idea_ids));
    // For choosing pairs, the last fit's comparisons with the votes cast since it began.
    // (Without a vote before or now, there is nothing to add to.)
    let base = cached
        .as_ref()
        .and_then(|f| match (since, &f.last_vote, &last_vote) {
            (Since::LastFit, Some(before), Some(now))
                if f.read_all_at.elapsed() < PAIR_FULL_READ_AGE =>
            {
                Some((f, before.clone(), now.clone()))
            }
            _ => None,
        });
    let (votes, base) = match base {
        Some((f, before, now)) => (
            campaigns::decided_pairs_between(tx, campaign_id, &before, &now).await?,
            Some((f.comparisons.clone(), f.votes, f.read_all_at)),
        ),
        // Every vote up to the latest read above, so that the next refit's "since" starts
        // where this read ended.
        None => match &last_vote {
            Some(now) => (
                campaigns::decided_pairs_between(tx, campaign_id, "", now).await?,
                None,
            ),
            None => (Vec::new(), None),
        },
    };
    let seqs: Vec<i64> = ideas.iter().map(|i| i.seq).collect();
    // Warm start: the last strengths, when the ideas are the same ones (new ideas start at 0).
    let warm: Option<Vec<f64>> = cached.map(|f| {
        let mut t = f.fit.theta.clone();
        t.resize(ids.len(), 0.0);
        t
    });
    // The fit is arithmetic for milliseconds to seconds: on a blocking thread, so that the
    // requests on this node's runtime do not wait behind it.
    let fresh = tokio::task::spawn_blocking(move || {
        let index: std::collections::HashMap<i64, usize> =
            seqs.iter().enumerate().map(|(k, s)| (*s, k)).collect();
        let pairs: Vec<(usize, usize)> = votes
            .iter()
            .filter_map(|(w, l)| Some((*index.get(w)?, *index.get(l)?)))
            .collect();
        drop(votes);
        let (comparisons, counted, read_all_at) = match base {
            Some((before, counted, read_all_at)) => (
                before.with_votes(ids.len(), &pairs),
                counted + pairs.len() as i64,
                read_all_at,
            ),
            None => (
                Comparisons::from_votes(ids.len(), &pairs),
                pairs.len() as i64,
                std::time::Instant::now(),
            ),
        };
        let fit = fit(&comparisons, ALPHA, warm.as_deref());
        let cov = if ids.len() <= domain::ranking::COVARIANCE_LIMIT {
            domain::ranking::covariance(&comparisons, &fit.theta, ALPHA)
        } else {
            Vec::new()
        };
        Fitted {
            cov: Arc::new(cov),
            last_vote,
            read_all_at,
            idea_ids: Arc::new(ids),
            votes: counted,
            at: std::time::Instant::now(),
            counts: Arc::new(comparisons.counts()),
            comparisons: Arc::new(comparisons),
            fit: Arc::new(fit),
        }
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("the fit stopped: {e}")))?;
    if let Ok(mut cache) = app.rankings.lock() {
        cache.insert(campaign_id.clone(), fresh.clone());
    }
    Ok(fresh)
}

/// The fit to choose pairs by. A fit of the same ideas is used at once; one older than
/// [`PAIR_FIT_AGE`] is refitted in the background (once at a time), so that no vote waits
/// for a fit of every vote. Ideas added since the last fit start at the prior (a score of
/// 50, few comparisons, so the catch-up rule shows them) until the refit includes them.
/// Without any fit, the campaign is fitted now.
pub(super) async fn pair_fit(app: &App, v: &Arc<CampaignView>) -> Result<Fitted> {
    let Some(f) = cached_fit(app, &v.row.id)?.filter(|f| v.ids.starts_with(&f.idea_ids)) else {
        let mut tx = app.db.read().await?;
        return fitted(app, &mut tx, &v.row, &v.ideas, true).await;
    };
    let added = v.ids.len() - f.idea_ids.len();
    if (added > 0 || f.at.elapsed() >= PAIR_FIT_AGE)
        && let Ok(guard) = fit_lock(app, &v.row.id)?.try_lock_owned()
    {
        let (app, v) = (app.clone(), v.clone());
        tokio::spawn(async move {
            let _one_at_a_time = guard;
            let cached = cached_fit(&app, &v.row.id).ok().flatten();
            if cached
                .as_ref()
                .is_some_and(|f| *f.idea_ids == v.ids && f.at.elapsed() < PAIR_FIT_AGE)
            {
                return;
            }
            let done = async {
                let mut tx = app.db.read().await?;
                // No vote since the last fit (a question read, not voted on): that fit is
                // current; a fit of a million votes is not redone every second for nothing.
                if let Some(f) = cached.as_ref().filter(|f| *f.idea_ids == v.ids)
                    && campaigns::last_vote_at(&mut tx, &v.row.id).await? == f.last_vote
                {
                    let current = Fitted {
                        at: std::time::Instant::now(),
                        ..f.clone()
                    };
                    if let Ok(mut cache) = app.rankings.lock() {
                        cache.insert(v.row.id.clone(), current.clone());
                    }
                    return Ok(current);
                }
                refit(&app, &mut tx, &v.row.id, &v.ideas, cached, Since::LastFit).await
            }
            .await;
            if let Err(e) = done {
                tracing::warn!(error = %e, campaign = %v.row.code, "refitting for pairs failed");
            }
        });
    }
    if added == 0 {
        return Ok(f);
    }
    let n = v.ids.len();
    let mut theta = f.fit.theta.clone();
    theta.resize(n, 0.0);
    let mut precision = f.fit.precision.clone();
    precision.resize(n, 2.0 * ALPHA);
    let mut counts = f.counts.as_ref().clone();
    counts.resize(n, 0.0);
    Ok(Fitted {
        idea_ids: Arc::new(v.ids.clone()),
        fit: Arc::new(domain::ranking::Fit {
            theta,
            precision,
            newton_steps: 0,
            gradient_norm: f.fit.gradient_norm,
        }),
        counts: Arc::new(counts),
        // The covariance is of the old ideas only; the per-idea variances serve meanwhile.
        cov: Arc::new(Vec::new()),
        ..f
    })
}

/// Fits every campaign that takes votes, in the background, one after another: started
/// with the server, so that the first voter of a large open question does not wait for a
/// fit of every vote. Returns at once.
pub fn warm_up(app: &App) {
    let app = app.clone();
    tokio::spawn(async move {
        let open = async {
            let mut tx = app.db.read().await?;
            Ok::<_, AppError>(campaigns::open_campaigns(&mut tx).await?)
        }
        .await;
        let open = match open {
            Ok(open) => open,
            Err(e) => {
                tracing::warn!(error = %e, "could not list campaigns to fit at start");
                return;
            }
        };
        for c in open {
            let started = std::time::Instant::now();
            let done = async {
                let v = view(&app, &c.code).await?;
                pair_fit(&app, &v).await
            }
            .await;
            match done {
                Ok(f) => tracing::info!(
                    campaign = %c.code,
                    ideas = f.idea_ids.len(),
                    votes = f.votes,
                    ms = started.elapsed().as_millis() as u64,
                    "fitted at start"
                ),
                Err(e) => tracing::warn!(error = %e, campaign = %c.code, "fitting at start failed"),
            }
        }
    });
}

/// The engine's view of a campaign for choosing pairs: strengths, their precision, how
/// often each idea was compared, and which ideas are active.
pub(super) fn ranker_of(f: &Fitted, ideas: &[IdeaRow]) -> Ranker {
    let mut r = Ranker::new(ideas.len(), ALPHA);
    r.theta.clone_from(&f.fit.theta);
    r.precision.clone_from(&f.fit.precision);
    r.cov = f.cov.clone();
    r.counts.clone_from(&f.counts);
    for (k, i) in ideas.iter().enumerate() {
        r.active[k] = i.status == domain::campaign::IdeaStatus::Active;
    }
    r
}
