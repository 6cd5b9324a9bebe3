//! Background jobs: work that must happen because of an event but not inside the request
//! that wrote it (sending a mail). A job is enqueued in the event's transaction, so it
//! exists exactly when the event does; a [`Runner`] on every node claims due jobs, runs them
//! and records the outcome, retrying a failure with a growing pause (`domain::jobs`).
//!
//! A node that stops while running a job leaves it claimed until its lease runs out; then
//! it is due again and another node (or this one, restarted) runs it. A job may therefore
//! run more than once, never at once on two nodes: handlers are written to be repeatable
//! (the mail sender checks the outbox row first).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use domain::jobs::{JobState, backoff_secs};
use domain::time::Timestamp;
use store::jobs::{self, JobRow};

use crate::App;
use crate::error::Result;

/// What a handler's run returns: an error text is kept on the job (no personal data in it).
pub type JobFuture<'a> = Pin<Box<dyn Future<Output = std::result::Result<(), String>> + Send + 'a>>;

/// Runs the jobs of one kind.
pub trait Handler: Send + Sync {
    fn kind(&self) -> &'static str;
    fn run<'a>(&'a self, app: &'a App, job: &'a JobRow) -> JobFuture<'a>;
}

/// Adds a job in the caller's transaction, due at once; wake the runner after the commit
/// ([`App::wake_jobs`]).
pub(crate) async fn enqueue(
    tx: &mut store::Tx,
    kind: &str,
    subject_id: &str,
    now: &Timestamp,
) -> Result<String> {
    let now = now.to_db();
    Ok(jobs::enqueue(
        tx,
        kind,
        Some(subject_id),
        domain::jobs::MAX_ATTEMPTS,
        &now,
        &now,
    )
    .await?)
}

/// Claims and runs the jobs of the kinds it has handlers for.
#[derive(Clone)]
pub struct Runner {
    handlers: Vec<Arc<dyn Handler>>,
    /// How long a claim holds a job: longer than any run takes (an SMTP exchange is bounded
    /// by its timeout, 20 s), so that a job is retaken only from a node that stopped.
    pub lease: Duration,
    /// How often the runner looks for due jobs when nobody wakes it (jobs of other nodes,
    /// retries).
    pub poll: Duration,
}

impl Runner {
    pub fn new(handlers: Vec<Arc<dyn Handler>>) -> Self {
        Self {
            handlers,
            lease: Duration::from_secs(300),
            poll: Duration::from_secs(5),
        }
    }

    fn kinds(&self) -> Vec<&'static str> {
        self.handlers.iter().map(|h| h.kind()).collect()
    }

    /// Claims one due job and runs it; false when none was due.
    pub async fn run_one(&self, app: &App) -> Result<bool> {
        let kinds = self.kinds();
        let now = Timestamp::now();
        let lease = i64::try_from(self.lease.as_secs()).unwrap_or(300);
        let claim = store::new_id();
        let mut tx = app.db.write().await?;
        let Some(job) = jobs::claim(
            &mut tx,
            &kinds,
            &now.to_db(),
            &now.plus_seconds(lease).to_db(),
            &claim,
        )
        .await?
        else {
            tx.commit().await?;
            return Ok(false);
        };
        let tries = job.attempts + 1;
        if job.state == JobState::Running && job.attempts >= job.max_attempts {
            // Its last try's node stopped with it: no try is left.
            jobs::fail(
                &mut tx,
                &job.id,
                &claim,
                "the node running its last try stopped",
                None,
                &now.to_db(),
            )
            .await?;
            tx.commit().await?;
            return Ok(true);
        }
        tx.commit().await?;
        let outcome = match self.handlers.iter().find(|h| h.kind() == job.kind) {
            Some(h) => h.run(app, &job).await,
            None => Err(format!("no handler for {}", job.kind)),
        };
        let now = Timestamp::now();
        let mut tx = app.db.write().await?;
        let kept = match &outcome {
            Ok(()) => jobs::finish(&mut tx, &job.id, &claim, &now.to_db()).await?,
            Err(e) => {
                let retry_at = (tries < job.max_attempts)
                    .then(|| now.plus_seconds(backoff_secs(tries)).to_db());
                tracing::warn!(job = job.id, kind = job.kind, tries, error = %e, "a job failed");
                jobs::fail(
                    &mut tx,
                    &job.id,
                    &claim,
                    e,
                    retry_at.as_deref(),
                    &now.to_db(),
                )
                .await?
            }
        };
        tx.commit().await?;
        if !kept {
            tracing::warn!(
                job = job.id,
                "a job's lease ran out while it ran; another claim has it"
            );
        }
        Ok(true)
    }

    /// Runs due jobs until none is due; returns how many ran.
    pub async fn run_due(&self, app: &App) -> Result<usize> {
        let mut n = 0;
        while self.run_one(app).await? {
            n += 1;
        }
        Ok(n)
    }

    /// The node's loop: runs due jobs, then waits for a wake-up ([`App::wake_jobs`]), the
    /// poll interval or `stop`. A job under way is finished before it returns.
    pub async fn work(self, app: App, mut stop: tokio::sync::watch::Receiver<bool>) {
        if self.handlers.is_empty() {
            return;
        }
        loop {
            if *stop.borrow() {
                return;
            }
            if let Err(e) = self.run_due(&app).await {
                tracing::warn!(error = %e, "the job runner could not reach the database");
            }
            tokio::select! {
                _ = app.jobs_wake.notified() => {}
                _ = tokio::time::sleep(self.poll) => {}
                _ = stop.changed() => {}
            }
        }
    }
}
