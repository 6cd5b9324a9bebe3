//! The database limit: one-row INSERT transactions through `store::Db`, measured in
//! rounds (their median) with the database settled before each.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;

/// Rounds of the database limit and the vote loop, measured in turns: the median of each
/// is compared, so a pause of the machine or the disk during one round moves neither much.
pub const ROUNDS: usize = 3;

pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// Before each measured round on PostgreSQL: a checkpoint, so that neither the limit nor
/// the vote loop pays for writing out what the rounds and scenarios before it left in the
/// write-ahead log; and, on a server that runs without autovacuum (as CI's does), a
/// `VACUUM (ANALYZE)` in its place, so that neither runs on the dead rows and missing
/// statistics of what came before (a server with autovacuum does that work as it goes).
/// SQLite checkpoints its log in small steps as it writes, and updates rows in place.
pub async fn settle(url: &str) -> Result<()> {
    use sqlx::Connection;
    if !url.starts_with("postgres") {
        return Ok(());
    }
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let (autovacuum,): (String,) = sqlx::query_as("SHOW autovacuum")
        .fetch_one(&mut conn)
        .await?;
    if autovacuum == "off" {
        sqlx::raw_sql("VACUUM (ANALYZE)").execute(&mut conn).await?;
    }
    sqlx::raw_sql("CHECKPOINT").execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

/// The database limit: one-row INSERT transactions through `store::Db` (the same driver
/// and pool settings as the server), `n` at a time, for `seconds`.
pub async fn insert_limit(url: &str, n: usize, seconds: u64) -> Result<(f64, Vec<Duration>)> {
    let db = store::Db::connect(url).await?;
    let mut tx = db.write().await?;
    tx.execute(store::sql(
        "CREATE TABLE IF NOT EXISTS bench_limit (id TEXT PRIMARY KEY, n BIGINT NOT NULL)",
    ))
    .await?;
    tx.commit().await?;
    // Keys of this call's rows: the limit is measured more than once on one table.
    let prefix = Arc::new(store::new_id());
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    let start = Arc::new(tokio::sync::Barrier::new(n + 1));
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (db, stop, counter, prefix, start) = (
                db.clone(),
                stop.clone(),
                counter.clone(),
                prefix.clone(),
                start.clone(),
            );
            tokio::spawn(async move {
                let insert = async || {
                    let k = counter.fetch_add(1, Ordering::Relaxed) as i64;
                    let mut tx = db.write().await?;
                    tx.execute(
                        store::sql("INSERT INTO bench_limit (id, n) VALUES (?, ?)")
                            .bind(format!("{prefix}-{k}"))
                            .bind(k),
                    )
                    .await?;
                    tx.commit().await?;
                    Ok::<_, anyhow::Error>(())
                };
                // One row before the clock starts (as each voter joins first): it opens
                // this task's connection.
                let warm = insert().await;
                start.wait().await;
                warm?;
                let mut lat = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    insert().await?;
                    lat.push(t.elapsed());
                }
                Ok::<_, anyhow::Error>(lat)
            })
        })
        .collect();
    start.wait().await;
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await??);
    }
    let wall = started.elapsed().as_secs_f64();
    db.close().await;
    lat.sort();
    Ok((lat.len() as f64 / wall, lat))
}
