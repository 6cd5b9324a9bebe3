//! Background jobs on both databases: every due job runs once, however many runners claim
//! at once; a job whose runner stopped while running it is retaken when its lease runs out;
//! a failing job is retried later and left failed after its last try.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::App;
use app::jobs::{Handler, JobFuture, Runner};
use domain::jobs::JobState;
use domain::time::Timestamp;
use store::jobs::{self, JobRow};

use crate::both;
use crate::support::{Backend, spawn};

/// Counts the runs of each job; fails the jobs whose subject says so.
#[derive(Default)]
struct Counting {
    runs: Mutex<HashMap<String, u32>>,
}

impl Handler for Counting {
    fn kind(&self) -> &'static str {
        "test.count"
    }
    fn run<'a>(&'a self, _app: &'a App, job: &'a JobRow) -> JobFuture<'a> {
        Box::pin(async move {
            if let Ok(mut runs) = self.runs.lock() {
                *runs.entry(job.id.clone()).or_default() += 1;
            }
            // Long enough that the runners overlap.
            tokio::time::sleep(Duration::from_millis(5)).await;
            if job.subject_id.as_deref() == Some("fails") {
                return Err("refused".into());
            }
            Ok(())
        })
    }
}

async fn enqueue(app: &App, subject: &str, max_attempts: i64) -> String {
    let now = Timestamp::now().to_db();
    let mut tx = app.db.write().await.unwrap();
    let id = jobs::enqueue(
        &mut tx,
        "test.count",
        Some(subject),
        max_attempts,
        &now,
        &now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn job(app: &App, id: &str) -> JobRow {
    let mut tx = app.db.read().await.unwrap();
    let row = jobs::by_id(&mut tx, id).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    row
}

async fn two_runners_never_run_the_same_job(backend: Backend) {
    let t = spawn(backend).await;
    let mut ids = Vec::new();
    for i in 0..40 {
        ids.push(enqueue(&t.app, &format!("s{i}"), 3).await);
    }
    let handler = Arc::new(Counting::default());
    // Two nodes: two apps (pools) on the same database, each with its runner.
    let other = App::open(&t.db.url, t.app.config.clone()).await.unwrap();
    let runner = Runner::new(vec![handler.clone()]);
    let (a, b) = tokio::join!(runner.run_due(&t.app), runner.run_due(&other));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a + b, 40, "every job ran: {a} + {b}");
    if backend == Backend::Postgres {
        assert!(a > 0 && b > 0, "both nodes took jobs: {a} + {b}");
    }
    let runs = handler.runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 40);
    assert!(runs.values().all(|n| *n == 1), "a job ran twice: {runs:?}");
    for id in &ids {
        let row = job(&t.app, id).await;
        assert_eq!(row.state, JobState::Done);
        assert_eq!(row.attempts, 1);
    }
    other.db.close().await;
    t.finish().await;
}
both!(two_runners_never_run_the_same_job);

async fn a_job_whose_node_stopped_is_retaken(backend: Backend) {
    let t = spawn(backend).await;
    let id = enqueue(&t.app, "s", 3).await;
    // A node claims it with a short lease and stops without a word.
    let now = Timestamp::now();
    let mut tx = t.app.db.write().await.unwrap();
    let dead = jobs::claim(
        &mut tx,
        &["test.count"],
        &now.to_db(),
        &now.plus_seconds(1).to_db(),
        "dead-node",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(dead.map(|j| j.id), Some(id.clone()));
    let handler = Arc::new(Counting::default());
    let runner = Runner::new(vec![handler.clone()]);
    assert_eq!(runner.run_due(&t.app).await.unwrap(), 0, "still leased");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(runner.run_due(&t.app).await.unwrap(), 1, "retaken");
    let row = job(&t.app, &id).await;
    assert_eq!(row.state, JobState::Done);
    assert_eq!(row.attempts, 2);
    // The stopped node, were it to come back, cannot mark the job as its own.
    let mut tx = t.app.db.write().await.unwrap();
    let late = jobs::finish(&mut tx, &id, "dead-node", &Timestamp::now().to_db())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(!late);
    t.finish().await;
}
both!(a_job_whose_node_stopped_is_retaken);

async fn a_failing_job_is_retried_then_left_failed(backend: Backend) {
    let t = spawn(backend).await;
    let id = enqueue(&t.app, "fails", 2).await;
    let handler = Arc::new(Counting::default());
    let runner = Runner::new(vec![handler.clone()]);
    assert_eq!(runner.run_due(&t.app).await.unwrap(), 1);
    let row = job(&t.app, &id).await;
    assert_eq!(row.state, JobState::Pending);
    assert_eq!(row.last_error.as_deref(), Some("refused"));
    assert!(
        row.run_at > Timestamp::now().plus_seconds(20).to_db(),
        "backed off"
    );
    assert_eq!(runner.run_due(&t.app).await.unwrap(), 0, "not due yet");
    // Bring it forward, as time would.
    let mut tx = t.app.db.write().await.unwrap();
    tx.execute(
        store::sql("UPDATE jobs SET run_at = ? WHERE id = ?")
            .bind(Timestamp::now().to_db())
            .bind(id.as_str()),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(runner.run_due(&t.app).await.unwrap(), 1);
    let row = job(&t.app, &id).await;
    assert_eq!(row.state, JobState::Failed, "two tries of two");
    assert_eq!(row.attempts, 2);
    assert_eq!(handler.runs.lock().unwrap().get(&id), Some(&2));
    t.finish().await;
}
both!(a_failing_job_is_retried_then_left_failed);
