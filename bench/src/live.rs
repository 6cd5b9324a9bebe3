//! Live results under load: many listeners on the live stream, and the delay until a
//! vote on one node reaches a listener on another.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{Value, json};

/// Opens `n` live-results streams; each counts the updates it receives.
pub fn listeners(
    base: &str,
    code: &str,
    n: usize,
    stop: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<Result<u64>>> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap_or_default();
    (0..n)
        .map(|_| {
            let (http, url, stop) = (
                http.clone(),
                format!("{base}/workshop/{code}/live"),
                stop.clone(),
            );
            tokio::spawn(async move {
                let mut res = http.get(url).send().await?;
                let mut updates = 0;
                while !stop.load(Ordering::Relaxed) {
                    match tokio::time::timeout(Duration::from_millis(500), res.chunk()).await {
                        Ok(Ok(Some(c))) => {
                            updates += c.windows(6).filter(|w| w == b"update").count() as u64
                        }
                        Ok(_) => break,
                        Err(_) => continue,
                    }
                }
                Ok(updates)
            })
        })
        .collect()
}

/// How long until a listener on `listen_base` sees a vote cast on `vote_base` (worst of five).
pub async fn live_delay(vote_base: &str, listen_base: &str, code: &str) -> Result<Duration> {
    let http = reqwest::Client::new();
    let mut worst = Duration::ZERO;
    let res = http
        .post(format!("{vote_base}/api/v1/campaigns/{code}/participants"))
        .send()
        .await?;
    let token = res.json::<Value>().await?["token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut stream = http
        .get(format!("{listen_base}/workshop/{code}/live"))
        .send()
        .await?;
    // The first event is the current state.
    stream.chunk().await?;
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let pair: Value = http
            .get(format!("{vote_base}/api/v1/campaigns/{code}/pair"))
            .header("x-participant-token", &token)
            .send()
            .await?
            .json()
            .await?;
        let t = Instant::now();
        let res = http
            .post(format!("{vote_base}/api/v1/campaigns/{code}/votes"))
            .header("x-participant-token", &token)
            .json(&json!({ "offer_id": pair["offer_id"], "choice": "left" }))
            .send()
            .await?;
        anyhow::ensure!(res.status() == 201, "vote answered {}", res.status());
        loop {
            let c = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
                .await
                .context("no live update within 5 s")??
                .context("the live stream ended")?;
            if c.windows(6).any(|w| w == b"update") {
                break;
            }
        }
        worst = worst.max(t.elapsed());
    }
    Ok(worst)
}
