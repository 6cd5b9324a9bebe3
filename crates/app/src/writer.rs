//! Group commit for the vote path: votes and pair offers that arrive together are written in
//! one transaction, and each request is answered only after that transaction has committed.
//!
//! One task per node (two on PostgreSQL: see [`POSTGRES_WRITERS`]) drains a queue: it
//! takes what has arrived (up to [`MAX_BATCH`]), writes it with a fixed number of statements
//! ([`store::campaigns::record_votes_and_next`], [`store::campaigns::insert_offers`]) and
//! answers every request with its own outcome. While a batch commits, the next one gathers, so under load
//! each commit carries many votes and the database's per-transaction cost is shared. A lone
//! vote is written at once. Other nodes hear of the votes after they are written, a few
//! times a second ([`notify`]).

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use domain::id::ParticipantId;
use store::Db;
use store::campaigns::{self, BatchOffer, BatchOutcome, OfferRow, VoteAndNext, VoteWritten};
use tokio::sync::{mpsc, oneshot};

/// The most votes and offers written in one transaction.
pub const MAX_BATCH: usize = 256;

/// A write for the batch. Jobs are moved once, into the queue and out: the size of the
/// larger variant costs nothing worth a box.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Job {
    /// A vote, with the code of its campaign (for live results) and the pair to show next,
    /// offered in the same transaction when the vote counts.
    Vote(VoteAndNext),
    Offer(BatchOffer),
}

/// What became of a job.
#[derive(Debug, Clone)]
pub enum Done {
    Vote(VoteWritten),
    /// The written offer, or None when this participant was shown that pair already.
    Offer(Option<OfferRow>),
}

type Reply = oneshot::Sender<Result<Done, String>>;

/// The handle requests use; the writing task runs as long as one handle does.
#[derive(Debug, Clone)]
pub struct Writer {
    queue: mpsc::Sender<(Job, Reply)>,
}

/// Batches written at once on PostgreSQL: a commit waits for its WAL flush, so a second
/// writer writes while the first commits. More writers split the votes into smaller
/// batches, whose per-statement work costs more than the overlap gains (quick runs of the
/// vote loop: one writer 0.63–0.64 of the insert limit, two 0.64–0.71, three 0.60–0.69,
/// four 0.58–0.59; again with notifications out of the commit, by rounds of the loop:
/// two 0.57–0.81 and three 0.66–0.87, within the spread of each other, four 0.55–0.72;
/// with each batch one round trip on a writer's own connection: two 0.91–1.00, three
/// 0.86–0.93).
/// Their batches never share a participant (a participant's requests run one at a time on
/// a node), and the conditional statements keep the count exact whatever runs beside
/// them. SQLite writes one transaction at a time, so one writer gathers while
/// it commits.
pub const POSTGRES_WRITERS: usize = 2;

type Queue = Arc<tokio::sync::Mutex<mpsc::Receiver<(Job, Reply)>>>;

/// Where the campaigns that got votes are announced: this node's live results at once, the
/// other nodes through [`notify`].
struct Nodes {
    live: tokio::sync::broadcast::Sender<String>,
    others: mpsc::UnboundedSender<Vec<String>>,
}

/// How long the campaigns that got votes are gathered before the other nodes are told.
pub const NOTIFY_EVERY: std::time::Duration = std::time::Duration::from_millis(50);

/// Tells the other nodes (PostgreSQL) which campaigns got votes: what the writers wrote
/// within [`NOTIFY_EVERY`] of the first, each campaign once, in one notification
/// transaction ([`campaigns::notify_counts`]), until the writers stop.
async fn notify(db: Db, mut gathered: mpsc::UnboundedReceiver<Vec<String>>) {
    while let Some(first) = gathered.recv().await {
        tokio::time::sleep(NOTIFY_EVERY).await;
        let mut codes: HashSet<String> = first.into_iter().collect();
        while let Ok(more) = gathered.try_recv() {
            codes.extend(more);
        }
        if let Err(e) = campaigns::notify_counts(&db, codes.into_iter().collect()).await {
            tracing::warn!(error = %e, "telling the other nodes of new votes failed");
        }
    }
}

impl Writer {
    /// Starts the writing tasks on the current Tokio runtime.
    pub fn start(db: Db, live: tokio::sync::broadcast::Sender<String>) -> Self {
        let (queue, rx) = mpsc::channel(4 * MAX_BATCH);
        let rx: Queue = Arc::new(tokio::sync::Mutex::new(rx));
        let writers = match db.backend() {
            store::Backend::Postgres => POSTGRES_WRITERS,
            store::Backend::Sqlite => 1,
        };
        let (others, gathered) = mpsc::unbounded_channel();
        if db.backend() == store::Backend::Postgres {
            tokio::spawn(notify(db.clone(), gathered));
        }
        for _ in 0..writers {
            let nodes = Nodes {
                live: live.clone(),
                others: others.clone(),
            };
            tokio::spawn(run(db.clone(), nodes, rx.clone()));
        }
        Self { queue }
    }

    /// Queues a job and waits until it is durable (or refused).
    pub async fn submit(&self, job: Job) -> anyhow::Result<Done> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((job, reply))
            .await
            .map_err(|_| anyhow::anyhow!("the vote writer has stopped"))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the vote writer stopped before answering"))?
            .map_err(|e| anyhow::anyhow!("writing a batch of votes failed: {e}"))
    }
}

async fn run(db: Db, nodes: Nodes, queue: Queue) {
    // Jobs of a participant who already has one in the batch wait for the next one, so that
    // each conditional quota update counts one vote per participant.
    let mut waiting: VecDeque<(Job, Reply)> = VecDeque::new();
    // PostgreSQL: the writer's own connection, kept from batch to batch (and opened again
    // after a failure).
    let mut own: Option<store::Tx> = None;
    loop {
        // One writer at a time takes what has arrived; the others write meanwhile. A writer
        // with jobs waiting does not wait for the queue.
        let rx = if waiting.is_empty() {
            let mut rx = queue.lock().await;
            match rx.recv().await {
                Some(j) => waiting.push_back(j),
                None => break,
            }
            Some(rx)
        } else {
            queue.try_lock().ok()
        };
        if let Some(mut rx) = rx {
            while waiting.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => waiting.push_back(j),
                    Err(_) => break,
                }
            }
        }
        let mut batch = Vec::with_capacity(waiting.len().min(MAX_BATCH));
        let mut later = VecDeque::new();
        let mut voters: HashSet<ParticipantId> = HashSet::new();
        while let Some(j) = waiting.pop_front() {
            let clash = match &j.0 {
                Job::Vote(v) => !voters.insert(v.vote.participant_id.clone()),
                Job::Offer(_) => false,
            };
            if clash || batch.len() >= MAX_BATCH {
                later.push_back(j);
            } else {
                batch.push(j);
            }
        }
        waiting = later;
        write(&db, &mut own, &nodes, batch).await;
    }
}

async fn write(db: &Db, own: &mut Option<store::Tx>, nodes: &Nodes, batch: Vec<(Job, Reply)>) {
    // On PostgreSQL the votes and the offers are two statements that each commit by
    // themselves: written as two batches, each is tried again whole if it fails, and a vote
    // already written is never written again because the offers after it failed.
    let mixed = batch.iter().any(|(j, _)| matches!(j, Job::Vote(_)))
        && batch.iter().any(|(j, _)| matches!(j, Job::Offer(_)));
    if mixed && db.backend() == store::Backend::Postgres {
        let (votes, offers): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .partition(|(j, _)| matches!(j, Job::Vote(_)));
        write_batch(db, own, nodes, votes).await;
        write_batch(db, own, nodes, offers).await;
    } else {
        write_batch(db, own, nodes, batch).await;
    }
}

async fn write_batch(
    db: &Db,
    own: &mut Option<store::Tx>,
    nodes: &Nodes,
    batch: Vec<(Job, Reply)>,
) {
    let (jobs, replies): (Vec<Job>, Vec<Reply>) = batch.into_iter().unzip();
    // A failed batch (a lost connection, a deadlock with another node) is tried once more,
    // on a new connection.
    let mut result = attempt(db, own, &jobs).await;
    if let Err(e) = &result {
        tracing::warn!(error = %e, size = jobs.len(), "a batch of votes failed; trying again");
        result = attempt(db, own, &jobs).await;
    }
    match result {
        Ok((done, codes)) => {
            for code in &codes {
                let _ = nodes.live.send(code.clone());
            }
            // Only on PostgreSQL is anyone gathering (it drains the queue every
            // NOTIFY_EVERY, so the queue holds a few batches' codes at most).
            if !codes.is_empty() {
                let _ = nodes.others.send(codes);
            }
            for (reply, d) in replies.into_iter().zip(done) {
                let _ = reply.send(Ok(d));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, size = jobs.len(), "a batch of votes failed");
            for reply in replies {
                let _ = reply.send(Err(e.to_string()));
            }
        }
    }
}

/// Writes the batch; returns each job's outcome and the campaigns that changed. The votes
/// are written first, with the next pairs of those that count, then the offers asked for on
/// their own. On SQLite, in one transaction; on PostgreSQL, in one statement on the writer's
/// own connection, a transaction by itself ([`Db::own_writer`]), which is kept for the next
/// batch unless the batch failed (votes and offers come in batches of their own there:
/// [`write`]).
async fn attempt(
    db: &Db,
    own: &mut Option<store::Tx>,
    jobs: &[Job],
) -> store::Result<(Vec<Done>, Vec<String>)> {
    let votes: Vec<VoteAndNext> = jobs
        .iter()
        .filter_map(|j| match j {
            Job::Vote(v) => Some(v.clone()),
            Job::Offer(_) => None,
        })
        .collect();
    let offers: Vec<BatchOffer> = jobs
        .iter()
        .filter_map(|j| match j {
            Job::Offer(o) => Some(o.clone()),
            Job::Vote(_) => None,
        })
        .collect();
    let now = domain::time::Timestamp::now().to_db();
    let started = std::time::Instant::now();
    let mut tx = match own.take() {
        Some(tx) => tx,
        None => db.own_writer().await?,
    };
    let began = started.elapsed();
    let mut voted = campaigns::record_votes_and_next(&mut tx, &votes, &now)
        .await?
        .into_iter();
    let votes_written = started.elapsed();
    let mut offered = campaigns::insert_offers(&mut tx, &offers, &now)
        .await?
        .into_iter();
    let offers_written = started.elapsed();
    let mut done = Vec::with_capacity(jobs.len());
    let mut codes: Vec<String> = Vec::new();
    for j in jobs {
        done.push(match j {
            Job::Vote(v) => {
                let w = voted.next().unwrap_or(VoteWritten {
                    outcome: BatchOutcome::AlreadyVoted,
                    votes_cast: None,
                    next: None,
                });
                if w.outcome == BatchOutcome::Counted && !codes.contains(&v.code) {
                    codes.push(v.code.clone());
                }
                Done::Vote(w)
            }
            Job::Offer(_) => Done::Offer(offered.next().flatten()),
        });
    }
    match tx {
        store::Tx::Statements(_) => *own = Some(tx),
        tx => tx.commit().await?,
    }
    tracing::debug!(
        votes = votes.len(),
        offers = offers.len(),
        begin_us = began.as_micros() as u64,
        votes_us = (votes_written - began).as_micros() as u64,
        offers_us = (offers_written - votes_written).as_micros() as u64,
        commit_us = (started.elapsed() - offers_written).as_micros() as u64,
        "batch written"
    );
    Ok((done, codes))
}
