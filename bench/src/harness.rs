//! `bench/run`: Sluss under load on SQLite and (given a URL) PostgreSQL, every figure beside
//! the limit it is measured against in the same run on the same machine:
//! - the HTTP limit: `/livez`, a route of the same binary touching neither database nor
//!   template, under the same load generator (wrk);
//! - the database limit: one-row INSERT transactions per second through the same driver and
//!   pool settings (`store::Db`), on the same database, at the same concurrency.
//!
//! Prints one markdown table on stdout; progress goes to stderr.

use std::collections::HashSet;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

mod common;
mod transfer;
use common::{memory_kib, percentile, serve, sluss_bin};

struct Options {
    quick: bool,
    postgres: Option<String>,
    /// Skip SQLite (for working on the PostgreSQL figures).
    postgres_only: bool,
    /// Only the database limit and the vote loop (for working on the vote path).
    votes_only: bool,
    /// Only `sluss move` of the data at scale into PostgreSQL.
    move_only: bool,
}

struct Sizes {
    seconds: u64,
    /// `sluss demo --scale` preset loaded before the run.
    scale: &'static str,
    ideas: usize,
    connections: usize,
    listeners: usize,
    /// Only the database limit and the vote loop (and two nodes on PostgreSQL).
    votes_only: bool,
}

#[derive(Default)]
struct Table {
    rows: Vec<[String; 9]>,
    missed: usize,
}

/// A figure beside its limit: the ratio figure ÷ limit, and whether a target holds.
struct Against {
    limit: String,
    ratio: Option<f64>,
    target: Option<bool>,
}

fn against(limit: impl Into<String>, ratio: f64, target: Option<bool>) -> Against {
    Against {
        limit: limit.into(),
        ratio: Some(ratio),
        target,
    }
}

fn itself() -> Against {
    Against {
        limit: "(is a limit)".into(),
        ratio: None,
        target: None,
    }
}

impl Table {
    fn row(&mut self, backend: &str, scenario: &str, measured: [String; 4], a: Against) {
        let [rate, p50, p99, errors] = measured;
        if a.target == Some(false) {
            self.missed += 1;
        }
        self.rows.push([
            backend.into(),
            scenario.into(),
            rate,
            p50,
            p99,
            errors,
            a.limit,
            a.ratio.map_or("—".into(), |r| format!("{r:.2}")),
            match a.target {
                Some(true) => "met".into(),
                Some(false) => "MISSED".into(),
                None => "—".into(),
            },
        ]);
    }
}

fn options() -> Result<Options> {
    let mut o = Options {
        quick: false,
        postgres: None,
        postgres_only: false,
        votes_only: false,
        move_only: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => o.quick = true,
            "--postgres-only" => o.postgres_only = true,
            "--votes-only" => o.votes_only = true,
            "--move-only" => o.move_only = true,
            "--database-url" => {
                o.postgres = Some(args.next().context("--database-url needs a value")?)
            }
            other => {
                bail!(
                    "unknown argument {other} (expected --quick, --database-url postgres://…, --postgres-only, --votes-only, --move-only)"
                )
            }
        }
    }
    Ok(o)
}

/// What wrk measured.
struct Wrk {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

fn wrk_ms(s: &str) -> Option<f64> {
    let s = s.trim();
    let (num, factor) = if let Some(v) = s.strip_suffix("us") {
        (v, 0.001)
    } else if let Some(v) = s.strip_suffix("ms") {
        (v, 1.0)
    } else if let Some(v) = s.strip_suffix('s') {
        (v, 1000.0)
    } else {
        (s, 1.0)
    };
    num.parse::<f64>().ok().map(|x| x * factor)
}

/// Runs wrk (2 threads) with a Lua script for `seconds` and reads its report.
fn wrk(url: &str, connections: usize, seconds: u64, script: &str) -> Result<Wrk> {
    let dir = std::env::temp_dir().join(format!("sluss-harness-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let lua = dir.join("scenario.lua");
    std::fs::write(&lua, script)?;
    let out = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-s",
        ])
        .arg(&lua)
        .arg(url)
        .output()
        .context("wrk is needed (Debian's package wrk; bench/run installs it)")?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        bail!("wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    let mut w = Wrk {
        rps: 0.0,
        p50_ms: 0.0,
        p99_ms: 0.0,
        errors: 0,
    };
    for line in text.lines() {
        let t = line.trim();
        let mut parts = t.split_whitespace();
        match parts.next() {
            Some("Requests/sec:") => {
                w.rps = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0.0)
            }
            Some("50%") => w.p50_ms = parts.next().and_then(wrk_ms).unwrap_or(0.0),
            Some("99%") => w.p99_ms = parts.next().and_then(wrk_ms).unwrap_or(0.0),
            Some("Non-2xx") => {
                w.errors += t
                    .rsplit(' ')
                    .next()
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0)
            }
            Some("Socket") => {
                w.errors += t
                    .split(|c: char| !c.is_ascii_digit())
                    .filter_map(|v| v.parse::<u64>().ok())
                    .sum::<u64>()
            }
            _ => {}
        }
    }
    Ok(w)
}

fn ms(x: f64) -> String {
    format!("{x:.1} ms")
}

fn wrk_figures(w: &Wrk) -> [String; 4] {
    [
        format!("{:.0}/s", w.rps),
        ms(w.p50_ms),
        ms(w.p99_ms),
        w.errors.to_string(),
    ]
}

const GET: &str = "wrk.method = \"GET\"\n";

fn headers_script(headers: &[(&str, &str)]) -> String {
    let mut s = String::from(GET);
    for (k, v) in headers {
        s.push_str(&format!("wrk.headers[\"{k}\"] = \"{v}\"\n"));
    }
    s
}

/// Intake: every request a new submission, half to the region and half to its unit.
const INTAKE: &str = r#"
local n = 0
request = function()
  n = n + 1
  local org = (n % 2 == 0) and "region-bench" or "unit-bench"
  local body = string.format('{"kind":"need","title":"Behov %d under last","description":"Patienter står i kö vid receptionen varje morgon.","submitter_role":"citizen","organisation":"%s"}', n, org)
  return wrk.format("POST", "/api/v1/submissions", {["Content-Type"] = "application/json"}, body)
end
"#;

/// The staff inbox: pages and filters over everything written.
fn inbox_script(token: &str) -> String {
    format!(
        r#"
local n = 0
local paths = {{"/api/v1/submissions", "/api/v1/submissions?status=new", "/api/v1/submissions?kind=idea&page=3", "/api/v1/submissions?q=receptionen", "/api/v1/submissions?submitter_role=citizen&page=7"}}
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1], {{["Authorization"] = "Bearer {token}"}})
end
"#
    )
}

/// Joins a campaign as a new participant; returns the participant's token.
async fn join(http: &reqwest::Client, base: &str, code: &str) -> Result<String> {
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
async fn vote_loop(
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

/// Rounds of the database limit and the vote loop, measured in turns: the median of each
/// is compared, so a pause of the machine or the disk during one round moves neither much.
const ROUNDS: usize = 3;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// Before each measured round on PostgreSQL: a checkpoint, so that neither the limit nor
/// the vote loop pays for writing out what the rounds and scenarios before it left in the
/// write-ahead log; and, on a server that runs without autovacuum (as CI's does), a
/// `VACUUM (ANALYZE)` in its place, so that neither runs on the dead rows and missing
/// statistics of what came before (a server with autovacuum does that work as it goes).
/// SQLite checkpoints its log in small steps as it writes, and updates rows in place.
async fn settle(url: &str) -> Result<()> {
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
async fn insert_limit(url: &str, n: usize, seconds: u64) -> Result<(f64, Vec<Duration>)> {
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

/// Opens `n` live-results streams; each counts the updates it receives.
fn listeners(
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
async fn live_delay(vote_base: &str, listen_base: &str, code: &str) -> Result<Duration> {
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

async fn count_votes(url: &str) -> Result<i64> {
    count_rows(url, "votes").await
}

/// The code of the loader's large open question, its ideas and its votes.
async fn scale_campaign(url: &str) -> Result<(String, i64, i64)> {
    let db = store::Db::connect(url).await?;
    let mut tx = db.read().await?;
    let row: (String, i64, i64) = tx
        .fetch_one(
            store::sql(
                "SELECT c.code, (SELECT COUNT(*) FROM ideas i WHERE i.campaign_id = c.id),
                        (SELECT COUNT(*) FROM pair_offers o WHERE o.campaign_id = c.id AND o.voted_at IS NOT NULL)
                 FROM campaigns c WHERE c.title = ?",
            )
            .bind(app::scale::SCALE_CAMPAIGN),
        )
        .await?;
    drop(tx);
    db.close().await;
    Ok(row)
}

async fn count_rows(url: &str, table: &'static str) -> Result<i64> {
    let db = store::Db::connect(url).await?;
    let mut tx = db.read().await?;
    let (n,): (i64,) = tx
        .fetch_one(store::sql(match table {
            "votes" => "SELECT COUNT(*) FROM pair_offers WHERE voted_at IS NOT NULL",
            "cases" => "SELECT COUNT(*) FROM cases",
            "events" => "SELECT COUNT(*) FROM events",
            _ => "SELECT COUNT(*) FROM submissions",
        }))
        .await?;
    drop(tx);
    db.close().await;
    Ok(n)
}

async fn fresh_postgres(admin: &str) -> Result<String> {
    use sqlx::Connection;
    let name = format!("sluss_harness_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    // A run's database (some 200 MB) is dropped when it ends; one left by a run that was
    // stopped (its process is gone) is dropped here.
    let earlier: Vec<(String,)> =
        sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 'sluss\\_harness\\_%'")
            .fetch_all(&mut conn)
            .await?;
    for (old,) in earlier {
        let pid = old.rsplit('_').next().unwrap_or_default();
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            drop_postgres(admin, &old).await?;
        }
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name}"
    )))
    .execute(&mut conn)
    .await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await?;
    let base = admin.split('?').next().unwrap_or(admin);
    let cut = base.rfind('/').context("a database name in the URL")?;
    Ok(format!("{}/{name}", &base[..cut]))
}

/// Drops a database of the harness, whoever is still connected to it.
async fn drop_postgres(admin: &str, name: &str) -> Result<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await?;
    Ok(())
}

/// Lighthouse (mobile profile, Debian's Chromium) on the home page, the intake form and a
/// participant's vote page: one row each, performance against ≥ 95 and accessibility 100.
fn lighthouse(base: &str, code: &str, cookie: &str, table: &mut Table) -> Result<()> {
    let out = Command::new("node")
        .args([
            "bench/lighthouse/run.mjs",
            base,
            &format!("/workshop/{code}"),
            cookie,
        ])
        .output()
        .context("running node bench/lighthouse/run.mjs")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "Lighthouse failed: {}{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    for line in stdout.lines().filter(|l| l.starts_with('{')) {
        let v: Value = serde_json::from_str(line)?;
        let perf = v["performance"].as_f64().context("performance score")?;
        let a11y = v["accessibility"].as_f64().context("accessibility score")?;
        let failures = v["accessibility_failures"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        table.row(
            "browser",
            &format!(
                "Lighthouse, mobile: {}",
                v["page"].as_str().unwrap_or_default()
            ),
            [
                format!("performance {perf:.0}, accessibility {a11y:.0}"),
                format!("FCP {} ms", v["fcp_ms"]),
                format!("LCP {} ms, TBT {} ms", v["lcp_ms"], v["tbt_ms"]),
                if failures.is_empty() {
                    "0".into()
                } else {
                    failures
                },
            ],
            against(
                "performance ≥ 95, accessibility 100",
                perf / 95.0,
                Some(perf >= 95.0 && a11y >= 100.0),
            ),
        );
    }
    Ok(())
}

async fn one_backend(backend: &str, db: &str, sizes: &Sizes, table: &mut Table) -> Result<()> {
    let bin = sluss_bin();
    eprintln!("bench: {backend}: sluss demo --scale {}", sizes.scale);
    let started = Instant::now();
    common::run(&bin, db, &["demo", "--scale", sizes.scale])?;
    let loaded = started.elapsed().as_secs_f64();
    let (submissions, cases, votes, events) = (
        count_rows(db, "submissions").await?,
        count_rows(db, "cases").await?,
        count_votes(db).await?,
        count_rows(db, "events").await?,
    );
    table.row(
        backend,
        &format!("data at scale: sluss demo --scale {}", sizes.scale),
        [
            format!("{submissions} submissions, {cases} cases, {events} events, {votes} votes"),
            String::new(),
            format!("{loaded:.0} s"),
            "0".into(),
        ],
        against(
            "minutes, not hours (≤ 3600 s)",
            loaded / 3600.0,
            Some(loaded <= 3600.0),
        ),
    );
    let token = common::setup(&bin, db)?;
    // The inbox is read by the demo region's advisor, who sees every loaded submission.
    let staff_token = common::run(
        &bin,
        db,
        &["token", "create", "--email", "advisor@demo.sluss.se"],
    )?
    .lines()
    .last()
    .unwrap_or_default()
    .trim()
    .to_string();
    let (mut child, base) = serve(&bin, db)?;
    let pid = child.id();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(32)
        .build()?;
    let (secs, conns) = (sizes.seconds, sizes.connections);

    eprintln!(
        "bench: {backend}: a campaign of {} ideas for the vote loop",
        sizes.ideas
    );
    let post = |path: String, body: Value| {
        let (http, token) = (http.clone(), token.clone());
        async move {
            let res = http
                .post(path)
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await?;
            anyhow::ensure!(res.status().is_success(), "answered {}", res.status());
            Ok::<Value, anyhow::Error>(res.json().await?)
        }
    };
    let campaign = post(format!("{base}/api/v1/campaigns"), json!({ "title": "Lasttest", "question": "Vilken idé är bäst?", "mode": "open", "organisation": "region-bench", "vote_quota": 1000 })).await?;
    let code = campaign["code"]
        .as_str()
        .context("campaign code")?
        .to_string();
    post(
        format!("{base}/api/v1/campaigns/{code}/phase"),
        json!({ "phase": "open" }),
    )
    .await?;
    for i in 0..sizes.ideas {
        post(
            format!("{base}/api/v1/campaigns/{code}/ideas"),
            json!({ "text": format!("Idé nummer {i}: något som gör vardagen lättare") }),
        )
        .await?;
    }
    let cookie = format!("sluss_ws_{code}={}", join(&http, &base, &code).await?);

    let http_limit = if sizes.votes_only {
        None
    } else {
        eprintln!(
            "bench: {backend}: HTTP limit and public pages (wrk, {conns} connections, {secs} s each)"
        );
        let limit = wrk(&format!("{base}/livez"), conns, secs, GET)?;
        table.row(
            backend,
            "HTTP limit: /livez (no database, no template)",
            wrk_figures(&limit),
            itself(),
        );
        let pages: [(String, String, String); 4] = [
            (
                "home page /".to_string(),
                format!("{base}/"),
                GET.to_string(),
            ),
            (
                "showcase /fragor".to_string(),
                format!("{base}/fragor"),
                GET.to_string(),
            ),
            (
                "campaign vote page /workshop/{code}".to_string(),
                format!("{base}/workshop/{code}"),
                headers_script(&[("Cookie", &cookie)]),
            ),
            (
                "diarium /diarium".to_string(),
                format!("{base}/diarium"),
                GET.to_string(),
            ),
        ];
        // The loader's question: a new participant's vote page over every idea and vote.
        let (big, big_ideas, big_votes) = scale_campaign(db).await?;
        let big_cookie = format!("sluss_ws_{big}={}", join(&http, &base, &big).await?);
        let pages = pages.into_iter().chain([(
            format!("vote page of the loaded question ({big_ideas} ideas, {big_votes} votes)"),
            format!("{base}/workshop/{big}"),
            headers_script(&[("Cookie", &big_cookie)]),
        )]);
        for (name, url, script) in pages {
            let w = wrk(&url, conns, secs, &script)?;
            // Against the HTTP limit: the share of the bare server's throughput this page keeps.
            table.row(
                backend,
                &name,
                wrk_figures(&w),
                against(
                    format!("HTTP limit {:.0}/s", limit.rps),
                    w.rps / limit.rps,
                    Some(w.errors == 0),
                ),
            );
        }

        if backend == "SQLite" {
            eprintln!(
                "bench: Lighthouse (mobile) on the home page, the intake form and the vote page"
            );
            lighthouse(&base, &code, &cookie, table)?;
        }
        Some(limit.rps)
    };

    eprintln!(
        "bench: {backend}: database limit (one-row INSERT transactions, {conns} at a time) and the vote loop ({conns} participants, group commit), in turns, {ROUNDS} rounds"
    );
    let before = count_votes(db).await?;
    let (mut limits, mut db_lat) = (Vec::new(), Vec::new());
    let (mut rates, mut lat, mut errors, mut acked) = (Vec::new(), Vec::new(), 0, Vec::new());
    for round in 1..=ROUNDS {
        settle(db).await?;
        eprintln!("bench: {backend}: round {round}: the database limit");
        let (r, l) = insert_limit(db, conns, secs).await?;
        settle(db).await?;
        eprintln!("bench: {backend}: round {round}: the vote loop");
        let (rate, vl, e, a) = vote_loop(std::slice::from_ref(&base), &code, conns, secs).await?;
        eprintln!(
            "bench: {backend}: round {round}: database limit {r:.0}/s, vote loop {rate:.0} votes/s ({:.2})",
            rate / r
        );
        limits.push(r);
        db_lat.extend(l);
        rates.push(rate);
        lat.extend(vl);
        errors += e;
        acked.extend(a);
    }
    db_lat.sort();
    lat.sort();
    let (db_rate, rate) = (median(&mut limits), median(&mut rates));
    let after = count_votes(db).await?;
    let unique: HashSet<&String> = acked.iter().collect();
    anyhow::ensure!(
        unique.len() == acked.len() && (after - before) as usize == acked.len(),
        "the vote loop's totals differ: {} acknowledged, {} stored",
        acked.len(),
        after - before
    );
    table.row(
        backend,
        &format!("database limit: one-row INSERT transactions (median of {ROUNDS})"),
        [
            format!("{db_rate:.0}/s"),
            ms(percentile(&db_lat, 0.5)),
            ms(percentile(&db_lat, 0.99)),
            "0".into(),
        ],
        itself(),
    );
    let p99 = percentile(&lat, 0.99);
    table.row(
        backend,
        &format!(
            "vote loop (vote, next pair in its answer), {conns} participants (median of {ROUNDS})"
        ),
        [
            format!("{rate:.0} votes/s"),
            ms(percentile(&lat, 0.5)),
            ms(p99),
            errors.to_string(),
        ],
        against(
            format!("database limit {db_rate:.0}/s: ratio ≥ 1.00, p99 ≤ 25 ms"),
            rate / db_rate,
            Some(rate >= db_rate && p99 <= 25.0 && errors == 0),
        ),
    );

    if let Some(http_limit) = http_limit {
        let w = wrk(&format!("{base}/api/v1/submissions"), conns, secs, INTAKE)?;
        table.row(
            backend,
            "intake POST /api/v1/submissions",
            wrk_figures(&w),
            against(
                format!("database limit {db_rate:.0}/s"),
                w.rps / db_rate,
                Some(w.errors == 0),
            ),
        );
        let w = wrk(
            &format!("{base}/api/v1/submissions"),
            conns,
            secs,
            &inbox_script(&staff_token),
        )?;
        table.row(
            backend,
            &format!("staff inbox with filters ({submissions} submissions)"),
            wrk_figures(&w),
            against(
                format!("HTTP limit {http_limit:.0}/s"),
                w.rps / http_limit,
                Some(w.errors == 0),
            ),
        );
    }

    if !sizes.votes_only {
        eprintln!(
            "bench: {backend}: {} live listeners and {} voters at once",
            sizes.listeners,
            1000 - sizes.listeners.min(1000)
        );
        let stop = Arc::new(AtomicBool::new(false));
        let open = listeners(&base, &code, sizes.listeners, stop.clone());
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (rate, lat, errors, _) = vote_loop(
            std::slice::from_ref(&base),
            &code,
            1000 - sizes.listeners.min(1000),
            secs,
        )
        .await?;
        let rss = memory_kib(pid, "VmRSS:")? / 1024.0;
        stop.store(true, Ordering::Relaxed);
        let mut updates = 0;
        for l in open {
            updates += l.await??;
        }
        table.row(
            backend,
            &format!("1000 clients: {} live listeners + voters", sizes.listeners),
            [
                format!("{rate:.0} votes/s, {updates} live updates"),
                ms(percentile(&lat, 0.5)),
                ms(percentile(&lat, 0.99)),
                errors.to_string(),
            ],
            against(
                format!("resident {rss:.1} MiB ≤ 150 MiB"),
                rss / 150.0,
                Some(rss <= 150.0),
            ),
        );
    }
    let peak = memory_kib(pid, "VmHWM:")? / 1024.0;
    table.row(
        backend,
        "server memory: peak over the whole run",
        [
            format!("{peak:.1} MiB"),
            String::new(),
            String::new(),
            String::new(),
        ],
        against("≤ 150 MiB", peak / 150.0, Some(peak <= 150.0)),
    );

    if backend == "PostgreSQL" {
        eprintln!("bench: {backend}: two nodes on one database");
        let (mut second, base2) = serve(&bin, db)?;
        let bases = [base.clone(), base2.clone()];
        let before = count_votes(db).await?;
        let (rate, lat, errors, acked) = vote_loop(&bases, &code, conns, secs).await?;
        let after = count_votes(db).await?;
        let exact = (after - before) as usize == acked.len();
        let delay_ab = live_delay(&base, &base2, &code).await?;
        let delay_ba = live_delay(&base2, &base, &code).await?;
        let delay = delay_ab.max(delay_ba).as_secs_f64() * 1000.0;
        table.row(
            backend,
            &format!("two nodes: vote loop, {conns} participants"),
            [
                format!("{rate:.0} votes/s"),
                ms(percentile(&lat, 0.5)),
                ms(percentile(&lat, 0.99)),
                format!("{errors}; totals {}", if exact { "exact" } else { "WRONG" }),
            ],
            against(
                format!("database limit {db_rate:.0}/s"),
                rate / db_rate,
                Some(exact && errors == 0),
            ),
        );
        table.row(
            backend,
            "two nodes: live update across nodes (worst of 10)",
            [
                String::new(),
                String::new(),
                format!("{delay:.0} ms"),
                String::new(),
            ],
            against("≤ 1000 ms", delay / 1000.0, Some(delay <= 1000.0)),
        );
        let _ = second.kill();
        let _ = second.wait();
    }

    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = child.wait();
    Ok(())
}

/// `sluss move` of the SQLite run's database (the data at scale and what the run wrote)
/// into PostgreSQL, against PostgreSQL writing the same rows from inside itself.
async fn move_to_postgres(sqlite: &str, admin: &str, table: &mut Table) -> Result<()> {
    eprintln!("bench: sluss move of the SQLite database to PostgreSQL");
    let f = transfer::measure(&sluss_bin(), sqlite, admin).await?;
    table.row(
        "SQLite → PostgreSQL",
        &format!(
            "sluss move: {} rows in {} tables, verified",
            f.rows, f.tables
        ),
        [
            format!("{:.0} rows/s", f.rows as f64 / f.seconds),
            String::new(),
            format!("{:.0} s", f.seconds),
            "0".into(),
        ],
        against(
            format!(
                "PostgreSQL writing the same rows alone: {:.0} s; target ≤ 3600 s",
                f.floor_seconds
            ),
            f.floor_seconds / f.seconds,
            Some(f.seconds <= 3600.0),
        ),
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let o = options()?;
    let sizes = if o.quick {
        Sizes {
            seconds: 4,
            scale: "medium",
            ideas: 100,
            connections: 64,
            listeners: 900,
            votes_only: o.votes_only,
        }
    } else {
        Sizes {
            seconds: 15,
            scale: "large",
            ideas: 300,
            connections: 64,
            listeners: 900,
            votes_only: o.votes_only,
        }
    };
    let mut table = Table::default();
    let dir = std::env::temp_dir().join(format!("sluss-harness-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let sqlite = format!("sqlite://{}/bench.db", dir.display());
    if o.move_only {
        let admin = o
            .postgres
            .as_deref()
            .context("--move-only needs --database-url postgres://…")?;
        eprintln!("bench: SQLite: sluss demo --scale {}", sizes.scale);
        common::run(&sluss_bin(), &sqlite, &["demo", "--scale", sizes.scale])?;
        move_to_postgres(&sqlite, admin, &mut table).await?;
    } else if !o.postgres_only {
        one_backend("SQLite", &sqlite, &sizes, &mut table).await?;
    }
    if let (Some(admin), false) = (&o.postgres, o.postgres_only || o.votes_only || o.move_only) {
        move_to_postgres(&sqlite, admin, &mut table).await?;
    }
    if let (Some(admin), false) = (&o.postgres, o.move_only) {
        let url = fresh_postgres(admin).await?;
        let run = one_backend("PostgreSQL", &url, &sizes, &mut table).await;
        let name = url.rsplit('/').next().unwrap_or_default().to_string();
        drop_postgres(admin, &name).await?;
        run?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!(
        "Sluss under load — {} run, {cpus} cores, wrk -t2, figures beside limits measured in the same run.\n",
        if o.quick { "quick" } else { "full" }
    );
    println!("| backend | scenario | throughput | p50 | p99 | errors | limit | ratio | target |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for r in &table.rows {
        println!("| {} |", r.join(" | "));
    }
    println!(
        "\nratio: the figure ÷ its limit, both measured in this run (throughput against throughput, memory and delay against their bounds)."
    );
    if table.missed > 0 {
        println!("{} target(s) missed.", table.missed);
    }
    Ok(())
}
