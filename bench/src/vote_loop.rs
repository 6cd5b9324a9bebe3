//! The vote loop: participants joining a campaign, each voting on the pair shown and
//! taking the next pair from the vote's answer, over one node or several.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::Value;

/// Joins a campaign as a new participant; returns the participant's token.
pub async fn join(http: &reqwest::Client, base: &str, code: &str) -> Result<String> {
    let res = http
        .post(format!("{base}/api/v1/campaigns/{code}/participants"))
        .send()
        .await?;
    anyhow::ensure!(res.status() == 201, "join answered {}", res.status());
    let v: Value = res.json().await?;
    Ok(v["token"].as_str().unwrap_or_default().to_string())
}

/// What the vote loop reads of a vote's answer: the next pair's offer.
#[derive(serde::Deserialize)]
struct VoteAnswer {
    next: Option<NextOffer>,
}

#[derive(serde::Deserialize)]
struct NextOffer {
    offer_id: String,
}

/// One participant's vote loop against one node until `stop`, as a client would run it:
/// vote on the pair shown, and show the next pair the vote's answer carries (a new
/// participant asks for their first pair). The participant joins and takes a first pair
/// before `start` (the loop's clock starts when every participant has): joining is a write
/// of its own, one at a time per campaign, not part of the loop. Returns the acknowledged
/// votes' offers and each vote's latency.
async fn voter(
    http: reqwest::Client,
    base: String,
    code: String,
    start: Arc<tokio::sync::Barrier>,
    stop: Arc<AtomicBool>,
) -> Result<(Vec<String>, Vec<Duration>, u64)> {
    let pair_url = format!("{base}/api/v1/campaigns/{code}/pair");
    let vote_url = format!("{base}/api/v1/campaigns/{code}/votes");
    let first_pair = async |token: &str| -> Result<Option<String>> {
        let res = http
            .get(&pair_url)
            .header("x-participant-token", token)
            .send()
            .await?;
        if res.status() != 200 {
            return Ok(None);
        }
        let pair: Value = res.json().await?;
        Ok(pair["offer_id"].as_str().map(str::to_string))
    };
    let joined = async {
        let token = join(&http, &base, &code).await?;
        let offer = first_pair(&token).await?;
        Ok::<_, anyhow::Error>((token, offer))
    }
    .await;
    // Every participant reaches the start, joined or not, so that none waits forever.
    start.wait().await;
    let (mut token, mut offer) = joined?;
    let (mut acked, mut lat, mut errors) = (Vec::new(), Vec::new(), 0u64);
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        let current = match offer.take() {
            Some(o) => o,
            None => {
                let res = http
                    .get(&pair_url)
                    .header("x-participant-token", &token)
                    .send()
                    .await?;
                if res.status() == 409 {
                    // Quota used: a new participant takes over.
                    token = join(&http, &base, &code).await?;
                    continue;
                }
                if res.status() != 200 {
                    errors += 1;
                    continue;
                }
                let pair: Value = res.json().await?;
                pair["offer_id"].as_str().unwrap_or_default().to_string()
            }
        };
        // The body written and the answer read as plainly as a lean client would: the load
        // generator shares the machine's two cores with the server and the database.
        let choice = if acked.len() % 3 == 0 {
            "right"
        } else {
            "left"
        };
        let res = http
            .post(&vote_url)
            .header("x-participant-token", &token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(format!(
                r#"{{"offer_id":"{current}","choice":"{choice}","response_ms":1200}}"#
            ))
            .send()
            .await?;
        if res.status() == 201 {
            let answer: VoteAnswer = serde_json::from_slice(&res.bytes().await?)?;
            offer = answer.next.map(|n| n.offer_id);
            acked.push(current);
            lat.push(t.elapsed());
        } else {
            errors += 1;
        }
    }
    Ok((acked, lat, errors))
}

/// The vote loop with `n` participants spread over `bases` for `seconds`.
pub async fn vote_loop(
    bases: &[String],
    code: &str,
    n: usize,
    seconds: u64,
) -> Result<(f64, Vec<Duration>, u64, Vec<String>)> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(n)
        .build()?;
    let stop = Arc::new(AtomicBool::new(false));
    let start = Arc::new(tokio::sync::Barrier::new(n + 1));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            tokio::spawn(voter(
                http.clone(),
                bases[i % bases.len()].clone(),
                code.to_string(),
                start.clone(),
                stop.clone(),
            ))
        })
        .collect();
    start.wait().await;
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let (mut acked, mut lat, mut errors) = (Vec::new(), Vec::new(), 0);
    for t in tasks {
        let (a, l, e) = t.await??;
        acked.extend(a);
        lat.extend(l);
        errors += e;
    }
    let wall = started.elapsed().as_secs_f64();
    lat.sort();
    Ok((acked.len() as f64 / wall, lat, errors, acked))
}
