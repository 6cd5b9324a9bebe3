//! Demo data at scale, for measuring Sluss under load: on top of the ordinary demo, many
//! submissions (some triaged), many cases with their events, and an open question with
//! many ideas and votes.
//!
//! Submissions, triage and cases go through the same use cases as real work, one
//! transaction with its event each, run by several workers at once. Votes are written by
//! [`store::campaigns::bulk_votes`], one participant's votes per transaction, because the
//! use case's pair choice is what the benchmark measures, not what it loads with. Voters
//! choose by a hidden truth (Bradley–Terry), so the results look like real ones.
//! Loading again adds only what is missing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::campaigns::{self, IdeaInput, NewCampaignInput};
use crate::cases::{self, OpenInput, TickInput};
use crate::demo::{REGION, ROLES, TOPICS, UNIT_CARE, UNIT_SERVICE, demo_caller};
use crate::error::Result;
use crate::intake::{Channel, submit};
use crate::{App, AppError, Caller};
use domain::campaign::VoteChoice;
use domain::id::{IdeaId, TemplateId};
use domain::ranking::{Rng, sigmoid};
use domain::role::Role;
use domain::submission::SubmissionInput;
use domain::time::Timestamp;
use domain::triage::ActionInput;
use store::campaigns::BulkVote;

/// How much to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    pub submissions: u64,
    pub cases: u64,
    pub ideas: u64,
    pub voters: u64,
    /// Decided votes per voter (the campaign's quota).
    pub votes_each: u64,
}

impl Scale {
    /// `large` (100,000 submissions, 10,000 cases, 1,000 ideas and 1,000,000 votes),
    /// `medium` (a tenth of it) or `small` (for tests).
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "large" => Some(Self {
                submissions: 100_000,
                cases: 10_000,
                ideas: 1_000,
                voters: 1_000,
                votes_each: 1_000,
            }),
            "medium" => Some(Self {
                submissions: 10_000,
                cases: 1_000,
                ideas: 300,
                voters: 100,
                votes_each: 1_000,
            }),
            "small" => Some(Self {
                submissions: 300,
                cases: 30,
                ideas: 40,
                voters: 20,
                votes_each: 50,
            }),
            _ => None,
        }
    }

    pub fn votes(&self) -> u64 {
        self.voters * self.votes_each
    }
}

/// Title of the open question the loader makes (how a second run finds it).
pub const SCALE_CAMPAIGN: &str = "Hur gör vi regionen bättre? (storskalig demo)";

/// Told how far each part has come: the part's name, done, total.
pub type Progress = dyn Fn(&str, u64, u64) + Send + Sync;

/// Runs `total` jobs on `workers` tasks at once, reporting progress under `part`.
async fn run_parallel<F, Fut>(
    part: &'static str,
    total: u64,
    workers: usize,
    progress: Arc<Progress>,
    job: F,
) -> Result<()>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let job = Arc::new(job);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers.max(1) {
        let (next, done, job, progress) =
            (next.clone(), done.clone(), job.clone(), progress.clone());
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return Ok::<(), AppError>(());
                }
                job(i).await?;
                let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                if d.is_multiple_of((total / 200).max(1)) || d == total {
                    progress(part, d, total);
                }
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.map_err(|e| AppError::Internal(anyhow::anyhow!("a loader task failed: {e}")))??;
    }
    if total == 0 {
        progress(part, 0, 0);
    }
    Ok(())
}

/// Loads the ordinary demo, then `scale` on top of it.
pub async fn load(app: &App, scale: Scale, progress: Arc<Progress>) -> Result<()> {
    let people = crate::demo::load(app).await?;
    let by_role = |r: Role| {
        people
            .iter()
            .find(|p| p.role == r)
            .ok_or(AppError::NotFound)
    };
    let advisor = Arc::new(demo_caller(app, by_role(Role::Advisor)?).await?);
    // PostgreSQL takes writers in parallel; SQLite queues them, and more workers only wait.
    let workers = match app.db.backend() {
        store::Backend::Postgres => 8,
        store::Backend::Sqlite => 4,
    };

    let mut tx = app.db.read().await?;
    let region = store::orgs::by_slug(&mut tx, REGION)
        .await?
        .ok_or(AppError::NotFound)?;
    let have = store::submissions::count_in(&mut tx, &region.id)
        .await?
        .max(0) as u64;
    let have_cases = store::cases::count_in(&mut tx, &region.id).await?.max(0) as u64;
    drop(tx);

    let missing = scale.submissions.saturating_sub(have);
    let (a, c) = (app.clone(), advisor.clone());
    run_parallel(
        "inlämningar",
        missing,
        workers,
        progress.clone(),
        move |k| {
            let (app, advisor) = (a.clone(), c.clone());
            async move { one_submission(&app, &advisor, have + k).await }
        },
    )
    .await?;

    let missing = scale.cases.saturating_sub(have_cases);
    if missing > 0 {
        let templates = crate::processes::active_in(app, REGION).await?;
        // The first phase's required items of each template, ticked on most cases so every
        // case carries a history beyond its opening.
        let mut plans = Vec::new();
        for t in &templates {
            let (id, _) = cases::open(
                app,
                &advisor,
                &OpenInput {
                    title: format!("Storskaligt ärende enligt {}", t.name),
                    description: "Ett ärende i den storskaliga demon.".into(),
                    unit: UNIT_CARE.into(),
                    template: t.id.to_string(),
                    ..Default::default()
                },
            )
            .await?;
            let v = cases::view(app, &advisor, &id).await?;
            plans.push((t.id.clone(), v.state.open_required(&v.template)));
        }
        if plans.is_empty() {
            return Err(AppError::Internal(anyhow::anyhow!(
                "no process template is active in the demo region"
            )));
        }
        let plans = Arc::new(plans);
        let (a, c) = (app.clone(), advisor.clone());
        run_parallel(
            "ärenden",
            missing.saturating_sub(plans.len() as u64),
            workers,
            progress.clone(),
            move |k| {
                let (app, advisor, plans) = (a.clone(), c.clone(), plans.clone());
                async move { one_case(&app, &advisor, &plans, have_cases + k).await }
            },
        )
        .await?;
    }

    load_votes(app, &advisor, scale, workers, progress).await?;
    // The planner's statistics, for tables that grew by orders of magnitude.
    store::migrate::analyze(&app.db).await?;
    Ok(())
}

async fn one_submission(app: &App, advisor: &Caller, i: u64) -> Result<()> {
    let (kind, title, description) = TOPICS[(i % TOPICS.len() as u64) as usize];
    let input = SubmissionInput {
        kind: kind.into(),
        title: format!("{title} ({})", i + 1),
        description: description.into(),
        affected: "Patienter, närstående och medarbetare.".into(),
        submitter_role: if kind == "offer" {
            "company".into()
        } else {
            ROLES[(i % ROLES.len() as u64) as usize].into()
        },
        organisation: [REGION, UNIT_CARE, UNIT_SERVICE][(i % 3) as usize].into(),
        consent: true,
        require_consent: true,
        ..Default::default()
    };
    let receipt = submit(app, &Caller::Public, &input, Channel::Form).await?;
    let act = |action: &str| ActionInput {
        action: action.into(),
        ..Default::default()
    };
    // One in ten is accepted, one in ten refused, one in ten assigned; the rest are new.
    let steps = match i % 10 {
        0 => vec![act("assign"), act("accept")],
        1 => vec![
            act("assign"),
            ActionInput {
                reason: "not_innovation".into(),
                reason_text: "Detta är förbättringsarbete i befintlig verksamhet.".into(),
                ..act("reject")
            },
        ],
        2 => vec![act("assign")],
        _ => vec![],
    };
    for step in steps {
        crate::inbox::act(app, advisor, &receipt.id, &step).await?;
    }
    Ok(())
}

async fn one_case(
    app: &App,
    advisor: &Caller,
    plans: &[(TemplateId, Vec<(String, String)>)],
    i: u64,
) -> Result<()> {
    let (template, items) = &plans[(i % plans.len() as u64) as usize];
    let (_, title, description) = TOPICS[(i % TOPICS.len() as u64) as usize];
    let (id, _) = cases::open(
        app,
        advisor,
        &OpenInput {
            title: format!("{title} — ärende {}", i + 1),
            description: description.into(),
            unit: [UNIT_CARE, REGION, UNIT_SERVICE][(i % 3) as usize].into(),
            template: template.to_string(),
            ..Default::default()
        },
    )
    .await?;
    // Cases differ in how far their first phase has come: none, some or all items ticked.
    let ticks = (i % (items.len() as u64 + 1)) as usize;
    for (step, item) in items.iter().take(ticks) {
        cases::tick(
            app,
            advisor,
            &id,
            &TickInput {
                step: step.clone(),
                item: item.clone(),
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(())
}

/// The open question with `scale.ideas` ideas and `scale.voters` voters who each cast
/// `scale.votes_each` decided votes on pairs they were never shown before.
async fn load_votes(
    app: &App,
    advisor: &Arc<Caller>,
    scale: Scale,
    workers: usize,
    progress: Arc<Progress>,
) -> Result<()> {
    let (mine, _) = campaigns::mine(app, advisor).await?;
    if mine.iter().any(|c| c.title == SCALE_CAMPAIGN) || scale.ideas < 2 {
        return Ok(());
    }
    let c = campaigns::create(
        app,
        advisor,
        &NewCampaignInput {
            title: SCALE_CAMPAIGN.into(),
            question: "Rösta på idéerna två och två: vilken gör mest nytta?".into(),
            mode: "open".into(),
            organisation: REGION.into(),
            vote_quota: Some(scale.votes_each as i64),
            ..Default::default()
        },
    )
    .await?;
    let code = Arc::new(c.code.clone());
    let (a, adv, k) = (app.clone(), advisor.clone(), code.clone());
    run_parallel("idéer", scale.ideas, 1, progress.clone(), move |i| {
        let (app, advisor, code) = (a.clone(), adv.clone(), k.clone());
        async move {
            let (_, title, _) = TOPICS[(i % TOPICS.len() as u64) as usize];
            let text = format!("Idé {}: {}", i + 1, title.to_lowercase());
            campaigns::add_idea(&app, &advisor, &code, None, &IdeaInput { text })
                .await
                .map(|_| ())
        }
    })
    .await?;
    campaigns::set_phase(app, advisor, &code, "open").await?;
    let mut tx = app.db.read().await?;
    let ideas: Vec<IdeaId> = store::campaigns::ideas(&mut tx, &c.id)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    drop(tx);
    let ideas = Arc::new(ideas);
    // The hidden truth the simulated voters choose by.
    let mut rng = Rng::new(c.seed as u64);
    let truth: Arc<Vec<f64>> = Arc::new((0..ideas.len()).map(|_| 1.5 * rng.normal()).collect());
    let start = Timestamp::now().plus_days(-14).inner();
    let (a, k, campaign_id) = (app.clone(), code.clone(), Arc::new(c.id.clone()));
    let votes_each = scale.votes_each as usize;
    let vote_progress = progress.clone();
    let done = Arc::new(AtomicU64::new(0));
    let total_votes = scale.votes();
    // Progress is told in votes, not voters.
    let quiet: Arc<Progress> = Arc::new(|_: &str, _: u64, _: u64| {});
    run_parallel("väljare", scale.voters, workers, quiet, move |v| {
        let (app, code, ideas, truth, campaign_id, progress, done) = (
            a.clone(),
            k.clone(),
            ideas.clone(),
            truth.clone(),
            campaign_id.clone(),
            vote_progress.clone(),
            done.clone(),
        );
        async move {
            let joined = campaigns::join(&app, &Caller::Public, &code).await?;
            let mut rng = Rng::new(0x5EED ^ v);
            let n = ideas.len();
            let most = n * (n - 1) / 2;
            let mut seen = std::collections::HashSet::new();
            let mut votes = Vec::with_capacity(votes_each);
            while votes.len() < votes_each.min(most) {
                let (x, y) = (rng.below(n), rng.below(n));
                if x == y || !seen.insert((x.min(y), x.max(y))) {
                    continue;
                }
                let left_wins = rng.unit() < sigmoid(truth[x] - truth[y]);
                let at = start
                    + time::Duration::seconds(
                        (v as i64 * 997 + votes.len() as i64 * 7) % (14 * 86_400),
                    );
                votes.push(BulkVote {
                    left_idea_id: ideas[x].clone(),
                    right_idea_id: ideas[y].clone(),
                    choice: if left_wins {
                        VoteChoice::Left
                    } else {
                        VoteChoice::Right
                    },
                    response_ms: Some(800 + rng.below(4000) as i64),
                    at: Timestamp::from_offset(at).to_db(),
                });
            }
            let mut tx = app.db.write().await?;
            store::campaigns::bulk_votes(&mut tx, &campaign_id, &joined.participant.id, &votes)
                .await?;
            tx.commit().await?;
            let d = done.fetch_add(votes.len() as u64, Ordering::Relaxed) + votes.len() as u64;
            progress("röster", d, total_votes);
            Ok(())
        }
    })
    .await
}
