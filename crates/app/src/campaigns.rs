//! Campaigns of pairwise voting. A facilitator (a role that may triage, or a coordinator)
//! creates a campaign in an organisation and moves it through its phases; participants join
//! with the campaign's code, with or without an account, add ideas and vote on pairs under
//! a quota. Every pair a participant sees is an offer recorded before it is shown, so a vote
//! can only answer a pair that was offered, once; the quota is taken by a conditional
//! update. Results come from the ranking engine in `domain::ranking`.

use crate::access::{reach, require_user};
use crate::error::Result;
use crate::secret::{hash_token, new_token};
use crate::{App, AppError, Caller};
use domain::campaign::{Mode, Phase};
use domain::export::{BOM, cell};
use domain::ranking::{Choice, Comparisons, Ranker, Rng, Selector, fit, standings};
use domain::role::Role;
use domain::text::{TextRule, may_name_something};
use domain::time::Timestamp;
use domain::{ErrorCode, FieldErrors};
use serde::Deserialize;
use store::campaigns::{self, CampaignRow, IdeaRow, OfferRow, ParticipantRow};
use store::events::{self, NewEvent};
use store::orgs::OrgRow;
use store::{StoreError, Tx};

use crate::vote_cache::{CampaignView, Voter, ordered};
use std::sync::Arc;

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
fn may_facilitate(r: &Role) -> bool {
    r.can_triage() || matches!(r, Role::Coordinator)
}

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
const IDEA: TextRule = TextRule::paragraph("text", 2, MAX_IDEA);

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
    let id = store::new_id();
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
            mode: mode.as_str(),
            title: &title,
            question: &question,
            phase: Phase::Draft.as_str(),
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
            subject_id: &id,
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

/// Whether a campaign has this join code (any form of it the lookups accept).
pub async fn exists(app: &App, code: &str) -> Result<bool> {
    let mut tx = app.db.read().await?;
    match campaign(&mut tx, code).await {
        Ok(_) => Ok(true),
        Err(AppError::Internal(e)) => Err(AppError::Internal(e)),
        Err(_) => Ok(false),
    }
}

fn mode_of(c: &CampaignRow) -> Mode {
    Mode::parse(&c.mode).unwrap_or(Mode::Workshop)
}

fn phase_of(c: &CampaignRow) -> Phase {
    Phase::parse(&c.phase).unwrap_or(Phase::Draft)
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

/// Opens a phase (and so closes the one before).
pub async fn set_phase(app: &App, caller: &Caller, code: &str, phase: &str) -> Result<Phase> {
    let mut tx = app.db.write().await?;
    let c = campaign(&mut tx, code).await?;
    facilitator(&mut tx, caller, &c).await?;
    let next = Phase::parse(phase)
        .filter(|p| Phase::of(mode_of(&c)).contains(p))
        .ok_or_else(|| AppError::field("phase", ErrorCode::InvalidChoice))?;
    let now = Timestamp::now().to_db();
    campaigns::set_phase(&mut tx, &c.id, next.as_str(), &now).await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "campaign.phase_opened",
            subject_type: "campaign",
            subject_id: &c.id,
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

/// A participant: their row and, when just created, their token (shown once).
pub struct Joined {
    pub participant: ParticipantRow,
    pub token: String,
}

/// Joins a campaign with its code; an account is optional.
pub async fn join(app: &App, caller: &Caller, code: &str) -> Result<Joined> {
    for _ in 0..5 {
        let mut tx = app.db.write().await?;
        let c = campaign(&mut tx, code).await?;
        if phase_of(&c) == Phase::Closed {
            return Err(AppError::Conflict("campaign_closed"));
        }
        let token = new_token(24)?;
        let now = Timestamp::now().to_db();
        let user_id = caller.user().map(|u| u.id.as_str());
        match campaigns::insert_participant(&mut tx, &c.id, &hash_token(&token), user_id, &now)
            .await
        {
            Ok(participant) => {
                tx.commit().await?;
                return Ok(Joined { participant, token });
            }
            // Two joined at once and took the same number: try again.
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict("busy"))
}

async fn participant(tx: &mut store::Tx, c: &CampaignRow, token: &str) -> Result<ParticipantRow> {
    campaigns::participant_by_token(tx, &c.id, &token_hash(token)?)
        .await?
        .ok_or(AppError::Unauthenticated)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct IdeaInput {
    pub text: String,
}

/// Adds an idea (a concept, in a workshop). Participants add ideas while the phase takes
/// them; the facilitator may add at any time before voting ends. An idea over 500
/// characters is refused with its length.
pub async fn add_idea(
    app: &App,
    caller: &Caller,
    code: &str,
    participant_token: Option<&str>,
    input: &IdeaInput,
) -> Result<IdeaRow> {
    let len = input.text.trim().chars().count();
    if len > MAX_IDEA {
        return Err(AppError::field(
            "text",
            ErrorCode::TooLongWas { max: MAX_IDEA, len },
        ));
    }
    let text = IDEA
        .parse_required(&input.text)
        .map_err(|e| AppError::Validation(FieldErrors(vec![e])))?;
    let mut tx = app.db.write().await?;
    let c = campaign(&mut tx, code).await?;
    let (author, status) = match participant_token {
        Some(t) => {
            let p = participant(&mut tx, &c, t).await?;
            if !phase_of(&c).takes_ideas() {
                return Err(AppError::Conflict("phase_closed"));
            }
            let status = if c.require_approval {
                "pending"
            } else {
                "active"
            };
            (Some(p.id), status)
        }
        None => {
            facilitator(&mut tx, caller, &c).await?;
            if phase_of(&c) == Phase::Closed {
                return Err(AppError::Conflict("phase_closed"));
            }
            (None, "active")
        }
    };
    let now = Timestamp::now().to_db();
    let idea =
        campaigns::insert_idea(&mut tx, &c.id, &text, author.as_deref(), status, &now).await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "campaign.idea_added",
            subject_type: "campaign",
            subject_id: &c.id,
            org_id: Some(&c.org_id),
            payload: serde_json::json!({ "idea_id": idea.id, "status": status }),
        },
    )
    .await?;
    campaigns::notify_changed(&mut tx, &c.code, campaigns::Change::Campaign).await?;
    tx.commit().await?;
    app.changed(&c.code, campaigns::Change::Campaign);
    Ok(idea)
}

/// Approves, withdraws or restores an idea (the facilitator).
pub async fn set_idea_status(
    app: &App,
    caller: &Caller,
    code: &str,
    idea_id: &str,
    status: &str,
) -> Result<()> {
    if !matches!(status, "active" | "withdrawn") {
        return Err(AppError::field("status", ErrorCode::InvalidChoice));
    }
    let mut tx = app.db.write().await?;
    let c = campaign(&mut tx, code).await?;
    facilitator(&mut tx, caller, &c).await?;
    let idea = campaigns::ideas(&mut tx, &c.id)
        .await?
        .into_iter()
        .find(|i| i.id == idea_id)
        .ok_or(AppError::NotFound)?;
    campaigns::set_idea_status(&mut tx, &idea.id, status).await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "campaign.idea_status",
            subject_type: "campaign",
            subject_id: &c.id,
            org_id: Some(&c.org_id),
            payload: serde_json::json!({ "idea_id": idea.id, "from": idea.status, "to": status }),
        },
    )
    .await?;
    campaigns::notify_changed(&mut tx, &c.code, campaigns::Change::Campaign).await?;
    tx.commit().await?;
    app.changed(&c.code, campaigns::Change::Campaign);
    Ok(())
}

/// A pair to vote on, with what is left of the quota.
pub struct Pair {
    pub offer: OfferRow,
    pub left: IdeaRow,
    pub right: IdeaRow,
    pub remaining: i64,
    pub quota: i64,
}

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
    pub idea_ids: Arc<Vec<String>>,
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
fn cached_fit(app: &App, campaign_id: &str) -> Result<Option<Fitted>> {
    Ok(app
        .rankings
        .lock()
        .map_err(|_| AppError::Internal(anyhow::anyhow!("ranking cache poisoned")))?
        .get(campaign_id)
        .cloned())
}

/// The lock that lets a node fit a campaign once at a time.
fn fit_lock(app: &App, campaign_id: &str) -> Result<Arc<tokio::sync::Mutex<()>>> {
    Ok(app
        .fitting
        .lock()
        .map_err(|_| AppError::Internal(anyhow::anyhow!("fit locks poisoned")))?
        .entry(campaign_id.to_string())
        .or_default()
        .clone())
}

/// The fitted ranking of a campaign. Reused while no vote has come in; for large campaigns
/// (and for choosing pairs, whatever the size) for up to a second after it was fitted.
async fn fitted(
    app: &App,
    tx: &mut store::Tx,
    c: &CampaignRow,
    ideas: &[IdeaRow],
    for_pairs: bool,
) -> Result<Fitted> {
    let ids: Vec<String> = ideas.iter().map(|i| i.id.clone()).collect();
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
    campaign_id: &str,
    ideas: &[IdeaRow],
    cached: Option<Fitted>,
    since: Since,
) -> Result<Fitted> {
    let ids: Vec<String> = ideas.iter().map(|i| i.id.clone()).collect();
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
        cache.insert(campaign_id.to_string(), fresh.clone());
    }
    Ok(fresh)
}

/// The fit to choose pairs by. A fit of the same ideas is used at once; one older than
/// [`PAIR_FIT_AGE`] is refitted in the background (once at a time), so that no vote waits
/// for a fit of every vote. Ideas added since the last fit start at the prior (a score of
/// 50, few comparisons, so the catch-up rule shows them) until the refit includes them.
/// Without any fit, the campaign is fitted now.
async fn pair_fit(app: &App, v: &Arc<CampaignView>) -> Result<Fitted> {
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
fn ranker_of(f: &Fitted, ideas: &[IdeaRow]) -> Ranker {
    let mut r = Ranker::new(ideas.len(), ALPHA);
    r.theta.clone_from(&f.fit.theta);
    r.precision.clone_from(&f.fit.precision);
    r.cov = f.cov.clone();
    r.counts.clone_from(&f.counts);
    for (k, i) in ideas.iter().enumerate() {
        r.active[k] = i.status == "active";
    }
    r
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
    if !phase_of(&v.row).takes_votes() {
        return Err(AppError::Conflict("phase_closed"));
    }
    if cast >= v.row.vote_quota {
        return Err(AppError::Conflict("quota_used"));
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
        .ok_or(AppError::Conflict("busy"))
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
pub async fn vote(app: &App, code: &str, token: &str, input: &VoteInput) -> Result<Voted> {
    let choice = input.choice.trim();
    if !matches!(choice, "left" | "right" | "skip") {
        return Err(AppError::field("choice", ErrorCode::InvalidChoice));
    }
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
            if !phase_of(&v.row).takes_votes() {
                return Err(AppError::Conflict("phase_closed"));
            }
            if o.left_idea_id == o.right_idea_id
                || v.active(&o.left_idea_id).is_none()
                || v.active(&o.right_idea_id).is_none()
            {
                return Err(AppError::Conflict("idea_withdrawn"));
            }
            let cast = guard.as_ref().map_or(0, |s| s.participant.votes_cast);
            if choice != "skip" && cast >= v.row.vote_quota {
                return Err(AppError::Conflict("quota_used"));
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
    let cast_after = s.participant.votes_cast + i64::from(choice != "skip");
    let next = if cast_after < v.row.vote_quota {
        choose(app, &v, s).await?
    } else {
        None
    };
    let job = crate::writer::Job::Vote(campaigns::VoteAndNext {
        vote: campaigns::BatchVote {
            participant_id: s.participant.id.clone(),
            offer_id: offer.id.clone(),
            choice: choice.to_string(),
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
            return Err(AppError::Conflict("quota_used"));
        }
        campaigns::BatchOutcome::AlreadyVoted => {
            // Refused by the batch: read again what changed, for the right message.
            *guard = None;
            let mut tx = app.db.read().await?;
            let c = campaign(&mut tx, code).await?;
            let p = participant(&mut tx, &c, token).await?;
            vote_checks(&mut tx, &c, &p, &offer.id, choice).await?;
            return Err(AppError::Conflict("already_voted"));
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
    choice: &str,
) -> Result<OfferRow> {
    if !phase_of(c).takes_votes() {
        return Err(AppError::Conflict("phase_closed"));
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
        return Err(AppError::Conflict("already_voted"));
    }
    let active =
        campaigns::active_of_pair(tx, &c.id, &offer.left_idea_id, &offer.right_idea_id).await?;
    if offer.left_idea_id == offer.right_idea_id || active < 2 {
        return Err(AppError::Conflict("idea_withdrawn"));
    }
    if choice != "skip" && p.votes_cast >= c.vote_quota {
        return Err(AppError::Conflict("quota_used"));
    }
    Ok(offer)
}

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
        .filter(|s| ideas[s.item].status == "active")
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
pub async fn results_visible(
    app: &App,
    caller: &Caller,
    code: &str,
) -> Result<(CampaignRow, bool)> {
    let mut tx = app.db.read().await?;
    let c = campaign(&mut tx, code).await?;
    let public = phase_of(&c).shows_results();
    if public || caller.user().is_none() {
        return Ok((c, public));
    }
    match facilitator(&mut tx, caller, &c).await {
        Ok(()) => Ok((c, true)),
        Err(AppError::Forbidden | AppError::Unauthenticated) => Ok((c, false)),
        Err(e) => Err(e),
    }
}

/// What a participant's page shows: the campaign and its active ideas.
pub struct Overview {
    pub campaign: CampaignRow,
    pub ideas: Vec<IdeaRow>,
    /// The participant's own record, when the token is theirs.
    pub participant: Option<ParticipantRow>,
}

pub async fn overview(app: &App, code: &str, token: Option<&str>) -> Result<Overview> {
    let v = view(app, code).await?;
    let participant = match token {
        Some(t) => {
            let mut tx = app.db.read().await?;
            participant(&mut tx, &v.row, t).await.ok()
        }
        None => None,
    };
    Ok(Overview {
        campaign: v.row.clone(),
        ideas: v
            .ideas
            .iter()
            .filter(|i| i.status == "active")
            .cloned()
            .collect(),
        participant,
    })
}

/// The facilitator's view: results, and every idea whatever its status.
pub struct Lead {
    pub results: Results,
    pub ideas: Vec<IdeaRow>,
    /// Concepts taken forward, and the submissions they became.
    pub outcomes: Vec<campaigns::OutcomeRow>,
}

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
pub async fn fingerprint(app: &App, code: &str) -> Result<String> {
    fingerprint_since(app, code, std::time::Instant::now()).await
}

/// [`fingerprint`] as computed at `since` or later, shared by every live listener of the
/// node: a thousand listeners woken by one vote cost one query, not a thousand.
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

/// The campaigns a facilitator may run, newest first.
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

/// Exports `ideas`, `votes` or `skips` as CSV (the facilitator). Voters appear by their
/// pseudonym number only. Every text cell is written by [`cell`] (never read as a formula),
/// and the file begins with a byte-order mark for Excel.
pub async fn export(app: &App, caller: &Caller, code: &str, kind: &str) -> Result<String> {
    let mut tx = app.db.read().await?;
    let c = campaign(&mut tx, code).await?;
    facilitator(&mut tx, caller, &c).await?;
    let ideas = campaigns::ideas(&mut tx, &c.id).await?;
    let seq = |id: &str| {
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
                    cell(&i.status),
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
                .filter(|v| (v.choice == "skip") == (kind == "skips"))
            {
                let ms = v.response_ms.map(|m| m.to_string()).unwrap_or_default();
                let fourth = if kind == "votes" {
                    cell(&v.choice)
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

/// Takes the best `n` concepts forward (the facilitator's choice of N, the campaign's
/// top N by default): each becomes a submission in the owning organisation's inbox
/// (`to_case` false) or a case opened directly, registered in the diarium and linked back
/// to the campaign. A concept is taken forward once. All of it is one transaction.
pub async fn take_forward(
    app: &App,
    caller: &Caller,
    code: &str,
    n: Option<i64>,
    to_case: bool,
) -> Result<Vec<campaigns::OutcomeRow>> {
    let r = results(app, code).await?;
    let c = &r.campaign;
    let mut tx = app.db.write().await?;
    // Who may comes before what: someone who may not gets no word on their input.
    facilitator(&mut tx, caller, c).await?;
    let n = n.unwrap_or(c.top_n);
    if !(1..=50).contains(&n) {
        return Err(AppError::field("n", ErrorCode::InvalidNumber));
    }
    let org = store::orgs::by_id(&mut tx, &c.org_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let done = campaigns::outcomes(&mut tx, &c.id).await?;
    let now = Timestamp::now().to_db();
    for (place, x) in r.ranked.iter().enumerate().take(n as usize) {
        if done.iter().any(|o| o.idea_id == x.idea.id) {
            continue;
        }
        let title: String = x.idea.body.chars().take(110).collect();
        let title = if title.chars().count() < 5 {
            format!("Koncept: {title}")
        } else {
            title
        };
        let description = format!(
            "{}\n\n– Från {} ({}), plats {} med {:.0} poäng av 100.",
            x.idea.body,
            c.title,
            c.code,
            place + 1,
            x.score
        );
        let (submission_id, case_id, reference) = if to_case {
            let input = crate::cases::OpenInput {
                title,
                description,
                unit: org.slug.clone(),
                template: String::new(),
                ..Default::default()
            };
            let (id, reference) = match crate::cases::open_in(&mut tx, caller, &input).await {
                Ok(v) => v,
                // Several process templates to choose from: the region's first.
                Err(AppError::Validation(e)) if e.has("template") => {
                    let choices = crate::cases::open_choices(app, caller).await?;
                    let first = choices.templates.first().ok_or(AppError::Validation(e))?;
                    let input = crate::cases::OpenInput {
                        template: first.id.clone(),
                        ..input
                    };
                    crate::cases::open_in(&mut tx, caller, &input).await?
                }
                Err(e) => return Err(e),
            };
            (None, Some(id), reference)
        } else {
            let input = domain::submission::SubmissionInput {
                kind: "idea".into(),
                title,
                description,
                submitter_role: "staff".into(),
                organisation: org.slug.clone(),
                ..Default::default()
            };
            let receipt = crate::intake::register(
                &mut tx,
                app,
                caller,
                &input,
                crate::intake::Channel::Campaign,
            )
            .await?;
            (Some(receipt.id), None, receipt.reference)
        };
        campaigns::insert_outcome(
            &mut tx,
            &c.id,
            &x.idea.id,
            submission_id.as_deref(),
            case_id.as_deref(),
            &now,
        )
        .await?;
        events::append(
            &mut tx,
            NewEvent {
                actor: &caller.actor(),
                kind: "campaign.taken_forward",
                subject_type: "campaign",
                subject_id: &c.id,
                org_id: Some(&c.org_id),
                payload: serde_json::json!({ "idea_id": x.idea.id, "reference": reference, "as": if to_case { "case" } else { "submission" } }),
            },
        )
        .await?;
    }
    let out = campaigns::outcomes(&mut tx, &c.id).await?;
    tx.commit().await?;
    Ok(out)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ScoreInput {
    pub idea_id: String,
    /// Criterion id → score 1–5.
    pub scores: std::collections::BTreeMap<String, i64>,
}

/// A participant scores one concept on every criterion (1–5), in the criteria phase.
pub async fn score(app: &App, code: &str, token: &str, input: &ScoreInput) -> Result<()> {
    let mut tx = app.db.write().await?;
    let c = campaign(&mut tx, code).await?;
    let p = participant(&mut tx, &c, token).await?;
    if phase_of(&c) != Phase::Criteria {
        return Err(AppError::Conflict("phase_closed"));
    }
    let idea = campaigns::ideas(&mut tx, &c.id)
        .await?
        .into_iter()
        .find(|i| i.id == input.idea_id.trim() && i.status == "active")
        .ok_or_else(|| AppError::field("idea_id", ErrorCode::InvalidChoice))?;
    let criteria = campaigns::criteria(&mut tx, &c.id).await?;
    let mut errors = FieldErrors::new();
    for k in input.scores.keys() {
        if !criteria.iter().any(|x| &x.id == k) {
            errors.push("scores", ErrorCode::InvalidChoice);
        }
    }
    for v in input.scores.values() {
        if !(1..=5).contains(v) {
            errors.push("scores", ErrorCode::InvalidNumber);
        }
    }
    if input.scores.is_empty() {
        errors.push("scores", ErrorCode::Required);
    }
    if !errors.is_empty() {
        errors.0.dedup();
        return Err(AppError::Validation(errors));
    }
    let now = Timestamp::now().to_db();
    for (criterion, v) in &input.scores {
        campaigns::set_score(&mut tx, &c.id, &p.id, &idea.id, criterion, *v, &now).await?;
    }
    events::append(
        &mut tx,
        NewEvent {
            actor: &store::events::Actor::Public,
            kind: "campaign.scored",
            subject_type: "campaign",
            subject_id: &c.id,
            org_id: Some(&c.org_id),
            payload: serde_json::json!({ "idea_id": idea.id, "participant": p.number, "scores": input.scores }),
        },
    )
    .await?;
    campaigns::notify_changed(&mut tx, &c.code, campaigns::Change::Counts).await?;
    tx.commit().await?;
    app.changed(&c.code, campaigns::Change::Counts);
    Ok(())
}

/// A concept's standing on the criteria: the weighted mean of its scores and the spread
/// (standard deviation) of the participants' weighted scores.
#[derive(Debug, Clone)]
pub struct CriteriaResult {
    pub idea: IdeaRow,
    pub weighted_mean: f64,
    pub spread: f64,
    /// Mean per criterion, in the criteria's order (None when nobody scored it).
    pub per_criterion: Vec<Option<f64>>,
    pub raters: usize,
}

pub struct CriteriaResults {
    pub criteria: Vec<campaigns::CriterionRow>,
    pub rows: Vec<CriteriaResult>,
}

/// Pure: the criteria results from scores, best weighted mean first.
pub fn criteria_results(
    criteria: &[campaigns::CriterionRow],
    ideas: &[IdeaRow],
    scores: &[campaigns::ScoreRow],
) -> Vec<CriteriaResult> {
    let mut rows: Vec<CriteriaResult> = ideas
        .iter()
        .filter(|i| i.status == "active")
        .map(|idea| {
            let mine: Vec<&campaigns::ScoreRow> =
                scores.iter().filter(|s| s.idea_id == idea.id).collect();
            let per_criterion: Vec<Option<f64>> = criteria
                .iter()
                .map(|c| {
                    let v: Vec<f64> = mine
                        .iter()
                        .filter(|s| s.criterion_id == c.id)
                        .map(|s| s.score as f64)
                        .collect();
                    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
                })
                .collect();
            // Each rater's weighted score over the criteria they scored.
            let mut raters: Vec<&str> = mine.iter().map(|s| s.participant_id.as_str()).collect();
            raters.sort();
            raters.dedup();
            let per_rater: Vec<f64> = raters
                .iter()
                .filter_map(|r| {
                    let (mut sum, mut w) = (0.0, 0.0);
                    for c in criteria {
                        if let Some(s) = mine
                            .iter()
                            .find(|s| s.participant_id == *r && s.criterion_id == c.id)
                        {
                            sum += c.weight as f64 * s.score as f64;
                            w += c.weight as f64;
                        }
                    }
                    (w > 0.0).then(|| sum / w)
                })
                .collect();
            let n = per_rater.len() as f64;
            let weighted_mean = if n > 0.0 {
                per_rater.iter().sum::<f64>() / n
            } else {
                0.0
            };
            let spread = if n > 1.0 {
                (per_rater
                    .iter()
                    .map(|x| (x - weighted_mean).powi(2))
                    .sum::<f64>()
                    / (n - 1.0))
                    .sqrt()
            } else {
                0.0
            };
            CriteriaResult {
                idea: idea.clone(),
                weighted_mean,
                spread,
                per_criterion,
                raters: per_rater.len(),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.weighted_mean
            .total_cmp(&a.weighted_mean)
            .then(a.idea.seq.cmp(&b.idea.seq))
    });
    rows
}

pub async fn criteria_of(app: &App, code: &str) -> Result<CriteriaResults> {
    let mut tx = app.db.read().await?;
    let c = campaign(&mut tx, code).await?;
    let criteria = campaigns::criteria(&mut tx, &c.id).await?;
    let ideas = campaigns::ideas(&mut tx, &c.id).await?;
    let scores = campaigns::scores(&mut tx, &c.id).await?;
    let rows = criteria_results(&criteria, &ideas, &scores);
    Ok(CriteriaResults { criteria, rows })
}

/// Flags an idea as unsuitable (once per participant); the facilitator sees the count.
pub async fn flag(app: &App, code: &str, token: &str, idea_id: &str) -> Result<i64> {
    let mut tx = app.db.write().await?;
    let c = campaign(&mut tx, code).await?;
    let p = participant(&mut tx, &c, token).await?;
    let idea = campaigns::ideas(&mut tx, &c.id)
        .await?
        .into_iter()
        .find(|i| i.id == idea_id.trim() && i.status == "active")
        .ok_or_else(|| AppError::field("idea_id", ErrorCode::InvalidChoice))?;
    let now = Timestamp::now().to_db();
    let n = campaigns::flag_idea(&mut tx, &idea.id, &p.id, &now).await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &store::events::Actor::Public,
            kind: "campaign.idea_flagged",
            subject_type: "campaign",
            subject_id: &c.id,
            org_id: Some(&c.org_id),
            payload: serde_json::json!({ "idea_id": idea.id, "flags": n }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// Open questions anyone may vote on (the public showcase).
pub async fn showcase(app: &App) -> Result<Vec<CampaignRow>> {
    let mut tx = app.db.read().await?;
    Ok(campaigns::open_campaigns(&mut tx).await?)
}

/// Adds a research question (the facilitator).
pub async fn add_question(app: &App, caller: &Caller, code: &str, body: &str) -> Result<()> {
    let mut tx = app.db.write().await?;
    let c = campaign(&mut tx, code).await?;
    // Who may comes before what: someone who may not gets no word on their input.
    facilitator(&mut tx, caller, &c).await?;
    let body = TextRule::paragraph("question", 3, 500)
        .parse_required(body)
        .map_err(|e| AppError::Validation(FieldErrors(vec![e])))?;
    campaigns::add_question(&mut tx, &c.id, &body).await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "campaign.question_added",
            subject_type: "campaign",
            subject_id: &c.id,
            org_id: Some(&c.org_id),
            payload: serde_json::json!({ "question": body }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A research question as one participant sees it: their answer, and the others' once they
/// have answered themselves (alone first, then together).
pub struct Question {
    pub id: String,
    pub body: String,
    pub mine: Option<String>,
    /// (participant number, answer) of the others; empty until `mine` is given.
    pub others: Vec<(i64, String)>,
    pub answered: usize,
}

pub async fn research(app: &App, code: &str, token: Option<&str>) -> Result<Vec<Question>> {
    let mut tx = app.db.read().await?;
    let c = campaign(&mut tx, code).await?;
    let me = match token {
        Some(t) => participant(&mut tx, &c, t).await.ok(),
        None => None,
    };
    let questions = campaigns::questions(&mut tx, &c.id).await?;
    let answers = campaigns::answers(&mut tx, &c.id).await?;
    Ok(questions
        .into_iter()
        .map(|q| {
            let here: Vec<&campaigns::AnswerRow> =
                answers.iter().filter(|a| a.question_id == q.id).collect();
            let mine = me.as_ref().and_then(|p| {
                here.iter()
                    .find(|a| a.participant_id == p.id)
                    .map(|a| a.body.clone())
            });
            let others = if mine.is_some() || me.is_none() {
                here.iter()
                    .filter(|a| me.as_ref().is_none_or(|p| a.participant_id != p.id))
                    .map(|a| (a.participant, a.body.clone()))
                    .collect()
            } else {
                Vec::new()
            };
            Question {
                id: q.id,
                body: q.body,
                mine,
                others,
                answered: here.len(),
            }
        })
        .collect())
}

/// A participant's answer to a research question, in the research phase.
pub async fn answer(
    app: &App,
    code: &str,
    token: &str,
    question_id: &str,
    body: &str,
) -> Result<()> {
    let body = TextRule::paragraph("answer", 1, 2000)
        .parse_required(body)
        .map_err(|e| AppError::Validation(FieldErrors(vec![e])))?;
    let mut tx = app.db.write().await?;
    let c = campaign(&mut tx, code).await?;
    let p = participant(&mut tx, &c, token).await?;
    if phase_of(&c) != Phase::Research {
        return Err(AppError::Conflict("phase_closed"));
    }
    let q = campaigns::questions(&mut tx, &c.id)
        .await?
        .into_iter()
        .find(|q| q.id == question_id.trim())
        .ok_or_else(|| AppError::field("question_id", ErrorCode::InvalidChoice))?;
    let now = Timestamp::now().to_db();
    campaigns::set_answer(&mut tx, &q.id, &p.id, &body, &now).await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &store::events::Actor::Public,
            kind: "campaign.answered",
            subject_type: "campaign",
            subject_id: &c.id,
            org_id: Some(&c.org_id),
            payload: serde_json::json!({ "question_id": q.id, "participant": p.number }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The facilitator's change to the criteria: new weights (0–10; 0 leaves a criterion out)
/// and, optionally, a new criterion.
#[derive(Debug, Clone, Default)]
pub struct CriteriaInput {
    pub weights: std::collections::BTreeMap<String, String>,
    pub new_name: String,
    pub new_weight: String,
}

pub async fn set_criteria(
    app: &App,
    caller: &Caller,
    code: &str,
    input: &CriteriaInput,
) -> Result<()> {
    let mut tx = app.db.write().await?;
    let c = campaign(&mut tx, code).await?;
    facilitator(&mut tx, caller, &c).await?;
    let existing = campaigns::criteria(&mut tx, &c.id).await?;
    let weight = |v: &str| {
        v.trim()
            .parse::<i64>()
            .ok()
            .filter(|w| (0..=10).contains(w))
    };
    let mut errors = FieldErrors::new();
    let mut changes = Vec::new();
    for (id, v) in &input.weights {
        match (existing.iter().find(|k| &k.id == id), weight(v)) {
            (Some(k), Some(w)) => changes.push((k.id.clone(), w)),
            (None, _) => errors.push("criteria", ErrorCode::InvalidChoice),
            (_, None) => errors.push("criteria", ErrorCode::InvalidNumber),
        }
    }
    let new = match input.new_name.trim() {
        "" => None,
        _ => {
            let name =
                errors.take(TextRule::line("new_name", 2, 120).parse_required(&input.new_name));
            let w = weight(&input.new_weight)
                .or_else(|| input.new_weight.trim().is_empty().then_some(1));
            if w.is_none() {
                errors.push("new_weight", ErrorCode::InvalidNumber);
            }
            name.zip(w)
        }
    };
    if !errors.is_empty() {
        errors.0.dedup();
        return Err(AppError::Validation(errors));
    }
    for (id, w) in &changes {
        campaigns::set_weight(&mut tx, &c.id, id, *w).await?;
    }
    if let Some((name, w)) = &new {
        campaigns::insert_criterion(&mut tx, &c.id, name, *w, existing.len() as i64).await?;
    }
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "campaign.criteria_changed",
            subject_type: "campaign",
            subject_id: &c.id,
            org_id: Some(&c.org_id),
            payload: serde_json::json!({ "weights": changes, "added": new.as_ref().map(|(n, _)| n) }),
        },
    )
    .await?;
    campaigns::notify_changed(&mut tx, &c.code, campaigns::Change::Campaign).await?;
    tx.commit().await?;
    app.changed(&c.code, campaigns::Change::Campaign);
    Ok(())
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

    fn idea(id: &str, seq: i64) -> IdeaRow {
        IdeaRow {
            id: id.into(),
            seq,
            body: id.into(),
            participant_id: None,
            status: "active".into(),
            flags: 0,
            created_at: String::new(),
        }
    }

    #[test]
    fn weighted_mean_and_spread() {
        let crit = |id: &str, w: i64| campaigns::CriterionRow {
            id: id.into(),
            name: id.into(),
            weight: w,
            position: 0,
        };
        let criteria = [crit("a", 2), crit("b", 1)];
        let s = |p: &str, i: &str, c: &str, v: i64| campaigns::ScoreRow {
            participant_id: p.into(),
            idea_id: i.into(),
            criterion_id: c.into(),
            score: v,
        };
        let scores = [
            s("p1", "x", "a", 5),
            s("p1", "x", "b", 2),
            s("p2", "x", "a", 3),
            s("p2", "x", "b", 3),
            s("p1", "y", "a", 1),
        ];
        let rows = criteria_results(
            &criteria,
            &[idea("x", 0), idea("y", 1), idea("z", 2)],
            &scores,
        );
        // p1: (2·5 + 1·2)/3 = 4; p2: 3 → mean 3.5, sd √0.5.
        assert_eq!(rows[0].idea.id, "x");
        assert!((rows[0].weighted_mean - 3.5).abs() < 1e-12);
        assert!((rows[0].spread - 0.5f64.sqrt()).abs() < 1e-12);
        assert_eq!(rows[0].per_criterion, vec![Some(4.0), Some(2.5)]);
        assert_eq!((rows[1].idea.id.as_str(), rows[1].raters), ("y", 1));
        assert_eq!((rows[2].idea.id.as_str(), rows[2].raters), ("z", 0));
    }
}
