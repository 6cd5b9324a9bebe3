//! Crash safety of the vote path: under vote load the server is killed with SIGKILL and
//! started again on the same database. Every vote it acknowledged must be there, none
//! counted twice, and every participant's quota must agree with their votes. Runs on SQLite
//! and on PostgreSQL (under CI the PostgreSQL half may not be skipped).

use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod support;
use support::{cli, fresh_database};
const VOTERS: usize = 24;

fn serve(db: &str) -> (Child, String) {
    support::serve(
        db,
        &[
            "--public-write-limit",
            "100000000",
            "--join-limit",
            "100000000",
        ],
    )
}

async fn post(http: &reqwest::Client, url: String, token: &str, body: Value) -> Value {
    let res = http
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert!(res.status().is_success(), "{}", res.status());
    res.json().await.expect("json")
}

/// Votes until the server goes away; returns the offers whose votes were acknowledged.
async fn voter(
    http: reqwest::Client,
    base: String,
    code: String,
    token: String,
    stop: Arc<AtomicBool>,
) -> Vec<String> {
    let mut acked = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let Ok(res) = http
            .get(format!("{base}/api/v1/campaigns/{code}/pair"))
            .header("x-participant-token", &token)
            .send()
            .await
        else {
            break;
        };
        if res.status() != 200 {
            break;
        }
        let Ok(pair) = res.json::<Value>().await else {
            break;
        };
        let offer = pair["offer_id"].as_str().unwrap_or_default().to_string();
        let res = http
            .post(format!("{base}/api/v1/campaigns/{code}/votes"))
            .header("x-participant-token", &token)
            .json(&json!({ "offer_id": offer, "choice": if acked.len() % 2 == 0 { "left" } else { "right" } }))
            .send()
            .await;
        match res {
            Ok(r) if r.status() == 201 => {
                // Acknowledged only once the whole answer is read.
                if r.bytes().await.is_ok() {
                    acked.push(offer);
                }
            }
            _ => break,
        }
    }
    acked
}

async fn acknowledged_votes_survive_sigkill(backend: &str) {
    let Some(db) = fresh_database("crash", backend).await else {
        return;
    };
    cli(
        &db,
        &[
            "org",
            "add",
            "--slug",
            "region-crash",
            "--name",
            "Region Krasch",
        ],
    );
    cli(
        &db,
        &[
            "user",
            "add",
            "--email",
            "fac@example.se",
            "--name",
            "Fac",
            "--org",
            "region-crash",
            "--role",
            "advisor",
            "--password",
            "crash-password-123",
        ],
    );
    let token = cli(&db, &["token", "create", "--email", "fac@example.se"])
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string();
    let (mut server, base) = serve(&db);
    app::oidc::install_tls();
    let http = reqwest::Client::new();
    let c = post(
        &http,
        format!("{base}/api/v1/campaigns"),
        &token,
        json!({ "title": "Krasch", "question": "Vilken?", "mode": "workshop", "organisation": "region-crash", "vote_quota": 400 }),
    )
    .await;
    let code = c["code"].as_str().expect("code").to_string();
    post(
        &http,
        format!("{base}/api/v1/campaigns/{code}/phase"),
        &token,
        json!({ "phase": "concepts" }),
    )
    .await;
    for i in 0..40 {
        post(
            &http,
            format!("{base}/api/v1/campaigns/{code}/ideas"),
            &token,
            json!({ "text": format!("Idé {i}") }),
        )
        .await;
    }
    post(
        &http,
        format!("{base}/api/v1/campaigns/{code}/phase"),
        &token,
        json!({ "phase": "voting" }),
    )
    .await;
    let mut tokens = Vec::new();
    for _ in 0..VOTERS {
        let res = http
            .post(format!("{base}/api/v1/campaigns/{code}/participants"))
            .send()
            .await
            .expect("join");
        assert_eq!(res.status(), 201);
        let v: Value = res.json().await.expect("json");
        tokens.push(v["token"].as_str().expect("token").to_string());
    }

    // Vote, and kill the server in the middle of it.
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = tokens
        .iter()
        .map(|t| {
            tokio::spawn(voter(
                http.clone(),
                base.clone(),
                code.clone(),
                t.clone(),
                stop.clone(),
            ))
        })
        .collect();
    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill().expect("SIGKILL");
    server.wait().expect("reap");
    stop.store(true, Ordering::Relaxed);
    let mut acked = Vec::new();
    for t in tasks {
        acked.extend(t.await.expect("voter"));
    }
    eprintln!(
        "{backend}: {} votes acknowledged in {:?} before SIGKILL",
        acked.len(),
        started.elapsed()
    );
    assert!(
        acked.len() > 50,
        "the load ran before the kill ({})",
        acked.len()
    );

    // Started again on the same database: every acknowledged vote is there, once.
    let (mut server, base) = serve(&db);
    let db_conn = store::Db::connect(&db).await.expect("connect");
    let mut tx = db_conn.read().await.expect("read");
    let rows: Vec<(String,)> = tx
        .fetch_all(store::sql(
            "SELECT id FROM pair_offers WHERE voted_at IS NOT NULL",
        ))
        .await
        .expect("votes");
    // A vote is kept on the offer it answers, so an offer holds one vote at most.
    let stored: std::collections::HashSet<String> = rows.iter().map(|r| r.0.clone()).collect();
    let missing = acked.iter().filter(|o| !stored.contains(*o)).count();
    assert_eq!(missing, 0, "{missing} acknowledged votes were lost");
    let (quota_sum,): (i64,) = tx
        .fetch_one(store::sql(
            "SELECT CAST(COALESCE(SUM(votes_cast), 0) AS BIGINT) FROM participants",
        ))
        .await
        .expect("quota");
    assert_eq!(
        quota_sum as usize,
        rows.len(),
        "each counted vote took one from its quota"
    );
    let (answered,): (i64,) = tx
        .fetch_one(store::sql(
            "SELECT COUNT(*) FROM pair_offers WHERE answered = TRUE",
        ))
        .await
        .expect("offers");
    assert_eq!(
        answered as usize,
        rows.len(),
        "an offer is answered exactly when it has its vote"
    );
    drop(tx);
    db_conn.close().await;

    // And the restarted server goes on counting.
    let stop = Arc::new(AtomicBool::new(false));
    let t = tokio::spawn(voter(
        http.clone(),
        base.clone(),
        code.clone(),
        tokens[0].clone(),
        stop.clone(),
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let more = t.await.expect("voter");
    assert!(!more.is_empty(), "votes are taken after the restart");
    let res: Value = http
        .get(format!("{base}/api/v1/campaigns/{code}"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("results")
        .json()
        .await
        .expect("json");
    assert_eq!(
        res["votes"].as_u64(),
        Some((rows.len() + more.len()) as u64),
        "votes counted after the restart"
    );
    server.kill().ok();
    server.wait().ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_every_acknowledged_vote_through_sigkill() {
    acknowledged_votes_survive_sigkill("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_every_acknowledged_vote_through_sigkill() {
    acknowledged_votes_survive_sigkill("postgres").await;
}
