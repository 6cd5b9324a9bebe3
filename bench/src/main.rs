//! sluss-bench: starts the release `sluss` binary on a fresh database, puts it under load
//! from this process over loopback, and prints every figure beside the limit it is held to
//! (ratio = figure / limit; at most 1.0 is within). Exits non-zero when a limit is broken.
//!
//!     cargo build --release -p sluss && cargo run --release -p sluss-bench -- [--database-url URL] [--submissions N] [--concurrency C]

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

mod common;
use common::{load, memory_kib, percentile, serve, sluss_bin};
use serde_json::{Value, json};

/// A figure and the limit it must stay under.
struct Row {
    name: &'static str,
    value: f64,
    unit: &'static str,
    limit: f64,
    /// true: the value must be at least the limit (throughput); false: at most.
    at_least: bool,
}

impl Row {
    fn ratio(&self) -> f64 {
        if self.at_least {
            self.limit / self.value.max(f64::MIN_POSITIVE)
        } else {
            self.value / self.limit
        }
    }
}

struct Options {
    database_url: Option<String>,
    submissions: usize,
    concurrency: usize,
}

fn options() -> Result<Options> {
    let mut o = Options {
        database_url: None,
        submissions: 2000,
        concurrency: 16,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--database-url" => {
                o.database_url = Some(args.next().context("--database-url needs a value")?)
            }
            "--submissions" => {
                o.submissions = args
                    .next()
                    .context("--submissions needs a value")?
                    .parse()?
            }
            "--concurrency" => {
                o.concurrency = args
                    .next()
                    .context("--concurrency needs a value")?
                    .parse()?
            }
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(o)
}

#[tokio::main]
async fn main() -> Result<()> {
    // reqwest has TLS through rustls with ring, which must be the process's provider.
    app::oidc::install_tls();
    let o = options()?;
    let bin = sluss_bin();
    anyhow::ensure!(
        std::path::Path::new(&bin).exists(),
        "{bin} not found: run `cargo build --release -p sluss` first, or set SLUSS_BIN"
    );
    let dir = std::env::temp_dir().join(format!("sluss-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db = o
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/bench.db", dir.display()));
    let backend = if db.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };

    let token = common::setup(&bin, &db)?;

    eprintln!("sluss-bench: serving {backend} database from {bin}");
    let (mut child, base) = serve(&bin, &db)?;
    eprintln!(
        "sluss-bench: server at {base}; posting {} submissions",
        o.submissions
    );
    let pid = child.id();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(o.concurrency)
        .build()?;
    let idle_rss = memory_kib(pid, "VmRSS:")?;

    // 1. The public intake.
    let (c, b) = (http.clone(), base.clone());
    let (intake, intake_wall, receipts) = load(o.submissions, o.concurrency, move |i| {
        let (c, b) = (c.clone(), b.clone());
        async move {
            let kind = ["need", "idea", "offer"][i % 3];
            let role = ["citizen", "patient", "staff"][i % 3];
            let org = if i % 2 == 0 { "region-bench" } else { "unit-bench" };
            let body = json!({
                "kind": kind,
                "title": format!("Behov nummer {i} från lasttestet"),
                "description": "Patienter står i kö vid receptionen varje morgon trots att de har en bokad tid.",
                "submitter_role": role,
                "organisation": org,
                "contact_email": "lasttest@example.se",
            });
            let res = c.post(format!("{b}/api/v1/submissions")).json(&body).send().await?;
            anyhow::ensure!(res.status() == 201, "submission answered {}", res.status());
            Ok(res.json::<Value>().await?)
        }
    })
    .await?;
    let mut refs: Vec<String> = receipts
        .iter()
        .filter_map(|r| r["reference"].as_str().map(str::to_string))
        .collect();
    refs.sort();
    refs.dedup();
    anyhow::ensure!(refs.len() == o.submissions, "references were not unique");

    eprintln!("sluss-bench: reading the inbox");
    // 2. The inbox through the API: pages and filters over everything just written.
    let reads = 1000;
    let (c, b, t) = (http.clone(), base.clone(), token.clone());
    let pages = o.submissions.div_ceil(25).max(1);
    let (inbox, inbox_wall, _) = load(reads, o.concurrency, move |i| {
        let (c, b, t) = (c.clone(), b.clone(), t.clone());
        async move {
            let q = match i % 4 {
                0 => format!("?page={}", i % pages + 1),
                1 => "?kind=idea&unit=unit-bench".to_string(),
                2 => format!("?q=nummer%20{}", i % 100),
                _ => "?status=new&submitter_role=patient".to_string(),
            };
            let res = c
                .get(format!("{b}/api/v1/submissions{q}"))
                .bearer_auth(&t)
                .send()
                .await?;
            anyhow::ensure!(res.status() == 200, "inbox answered {}", res.status());
            Ok(res.json::<Value>().await?["total"].clone())
        }
    })
    .await?;

    eprintln!("sluss-bench: reading follow-up pages");
    // 3. Follow-up pages (server-rendered HTML).
    let links: Arc<Vec<String>> = Arc::new(
        receipts
            .iter()
            .filter_map(|r| r["follow_up_url"].as_str().map(str::to_string))
            .collect(),
    );
    let c = http.clone();
    let (follow, follow_wall, _) = load(reads, o.concurrency, move |i| {
        let (c, links) = (c.clone(), links.clone());
        async move {
            let res = c.get(&links[i % links.len()]).send().await?;
            anyhow::ensure!(res.status() == 200, "follow-up answered {}", res.status());
            Ok(Value::Null)
        }
    })
    .await?;

    // 4. Cases: open from accepted submissions, tick checklist items, and read the case
    // (replayed from its events), the board and the public register.
    let cases_n = (o.submissions / 10).max(10);
    eprintln!("sluss-bench: opening {cases_n} cases");
    let accepted: Arc<Vec<(String, String)>> = Arc::new(
        receipts
            .iter()
            .take(cases_n)
            .filter_map(|r| {
                Some((
                    r["id"].as_str()?.to_string(),
                    r["reference"].as_str()?.to_string(),
                ))
            })
            .collect(),
    );
    let (c, b, t, acc) = (http.clone(), base.clone(), token.clone(), accepted.clone());
    load(cases_n, o.concurrency, move |i| {
        let (c, b, t, acc) = (c.clone(), b.clone(), t.clone(), acc.clone());
        async move {
            let res = c
                .post(format!("{b}/api/v1/submissions/{}/actions", acc[i].0))
                .bearer_auth(&t)
                .json(&json!({ "action": "accept" }))
                .send()
                .await?;
            anyhow::ensure!(res.status() == 200, "accept answered {}", res.status());
            Ok(Value::Null)
        }
    })
    .await?;
    let (c, b, t, acc) = (http.clone(), base.clone(), token.clone(), accepted.clone());
    let (open, open_wall, opened) = load(cases_n, o.concurrency, move |i| {
        let (c, b, t, acc) = (c.clone(), b.clone(), t.clone(), acc.clone());
        async move {
            let body = json!({
                "title": format!("Ärende {i} från lasttestet"),
                "description": "Ett antaget behov som drivs enligt Spelplanen.",
                "unit": if i % 2 == 0 { "region-bench" } else { "unit-bench" },
                "template": if i % 3 == 0 { "blekinge" } else { "spelplanen" },
                "submissions": [acc[i].1],
            });
            let res = c
                .post(format!("{b}/api/v1/cases"))
                .bearer_auth(&t)
                .json(&body)
                .send()
                .await?;
            anyhow::ensure!(res.status() == 201, "case answered {}", res.status());
            Ok(res.json::<Value>().await?["id"].clone())
        }
    })
    .await?;
    let case_ids: Arc<Vec<String>> = Arc::new(
        opened
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
    );
    // Each case gets its first two checklist items ticked (distinct cases in parallel).
    let first_items: Vec<(String, String, String)> = {
        let mut out = Vec::new();
        for id in case_ids.iter() {
            let v: Value = http
                .get(format!("{base}/api/v1/cases/{id}"))
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await?;
            let step = &v["process"]["checklist"][0];
            for item in step["items"].as_array().into_iter().flatten().take(2) {
                out.push((
                    id.clone(),
                    step["step"].as_str().unwrap_or_default().to_string(),
                    item["item"].as_str().unwrap_or_default().to_string(),
                ));
            }
        }
        out
    };
    let ticks_n = first_items.len();
    let items = Arc::new(first_items);
    let (c, b, t) = (http.clone(), base.clone(), token.clone());
    let (ticks, ticks_wall, _) = load(ticks_n, o.concurrency, move |i| {
        let (c, b, t, items) = (c.clone(), b.clone(), t.clone(), items.clone());
        async move {
            // Workers take items in order, so two ticks of one case may race: a 409 (the
            // case changed underneath) is an honest answer, retried once.
            let (id, step, item) = &items[i];
            for _ in 0..3 {
                let res = c
                    .post(format!("{b}/api/v1/cases/{id}/checklist"))
                    .bearer_auth(&t)
                    .json(&json!({ "step": step, "item": item }))
                    .send()
                    .await?;
                match res.status().as_u16() {
                    200 => return Ok(Value::Null),
                    409 => continue,
                    s => anyhow::bail!("tick answered {s}"),
                }
            }
            anyhow::bail!("tick kept conflicting")
        }
    })
    .await?;
    eprintln!("sluss-bench: reading cases, the board and the register");
    let (c, b, t, ids) = (http.clone(), base.clone(), token.clone(), case_ids.clone());
    let (case_reads, case_wall, _) = load(reads, o.concurrency, move |i| {
        let (c, b, t, ids) = (c.clone(), b.clone(), t.clone(), ids.clone());
        async move {
            let url = match i % 4 {
                0 | 1 => format!("{b}/api/v1/cases/{}", ids[i % ids.len()]),
                2 => format!("{b}/api/v1/cases?status=all&q=%C3%84rende%20{}", i % 50),
                _ => format!("{b}/api/v1/cases/{}/events", ids[i % ids.len()]),
            };
            let res = c.get(url).bearer_auth(&t).send().await?;
            anyhow::ensure!(res.status() == 200, "case read answered {}", res.status());
            Ok(Value::Null)
        }
    })
    .await?;
    let c = http.clone();
    let b = base.clone();
    let total_pages = (o.submissions + cases_n).div_ceil(50);
    let (diarium, diarium_wall, _) = load(reads, o.concurrency, move |i| {
        let (c, b) = (c.clone(), b.clone());
        async move {
            let url = match i % 3 {
                0 => format!("{b}/diarium?page={}", i % total_pages + 1),
                1 => format!("{b}/diarium?q=000{}", i % 100),
                _ => format!("{b}/diarium"),
            };
            let res = c.get(url).send().await?;
            anyhow::ensure!(res.status() == 200, "diarium answered {}", res.status());
            Ok(Value::Null)
        }
    })
    .await?;

    let peak_rss = memory_kib(pid, "VmHWM:")?;
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let stopped = Instant::now();
    let _ = child.wait();
    let shutdown_ms = stopped.elapsed().as_secs_f64() * 1000.0;
    let _ = std::fs::remove_dir_all(&dir);

    let rps = |n: usize, wall: Duration| n as f64 / wall.as_secs_f64();
    let rows = [
        Row {
            name: "intake: submissions per second",
            value: rps(o.submissions, intake_wall),
            unit: "/s",
            limit: 200.0,
            at_least: true,
        },
        Row {
            name: "intake: p50 latency",
            value: percentile(&intake, 0.50),
            unit: "ms",
            limit: 50.0,
            at_least: false,
        },
        Row {
            name: "intake: p99 latency",
            value: percentile(&intake, 0.99),
            unit: "ms",
            limit: 250.0,
            at_least: false,
        },
        Row {
            name: "inbox API: requests per second",
            value: rps(reads, inbox_wall),
            unit: "/s",
            limit: 200.0,
            at_least: true,
        },
        Row {
            name: "inbox API: p99 latency",
            value: percentile(&inbox, 0.99),
            unit: "ms",
            limit: 250.0,
            at_least: false,
        },
        Row {
            name: "follow-up page: p99 latency",
            value: percentile(&follow, 0.99),
            unit: "ms",
            limit: 100.0,
            at_least: false,
        },
        Row {
            name: "follow-up page: requests per second",
            value: rps(reads, follow_wall),
            unit: "/s",
            limit: 300.0,
            at_least: true,
        },
        Row {
            name: "open case: cases per second",
            value: rps(cases_n, open_wall),
            unit: "/s",
            limit: 100.0,
            at_least: true,
        },
        Row {
            name: "open case: p99 latency",
            value: percentile(&open, 0.99),
            unit: "ms",
            limit: 250.0,
            at_least: false,
        },
        Row {
            name: "checklist tick: p99 latency",
            value: percentile(&ticks, 0.99),
            unit: "ms",
            limit: 250.0,
            at_least: false,
        },
        Row {
            name: "checklist tick: ticks per second",
            value: rps(ticks_n, ticks_wall),
            unit: "/s",
            limit: 100.0,
            at_least: true,
        },
        Row {
            name: "case API reads: p99 latency",
            value: percentile(&case_reads, 0.99),
            unit: "ms",
            limit: 250.0,
            at_least: false,
        },
        Row {
            name: "case API reads: requests per second",
            value: rps(reads, case_wall),
            unit: "/s",
            limit: 200.0,
            at_least: true,
        },
        Row {
            name: "diarium page: p99 latency",
            value: percentile(&diarium, 0.99),
            unit: "ms",
            limit: 250.0,
            at_least: false,
        },
        Row {
            name: "diarium page: requests per second",
            value: rps(reads, diarium_wall),
            unit: "/s",
            limit: 200.0,
            at_least: true,
        },
        Row {
            name: "memory: resident at start",
            value: idle_rss / 1024.0,
            unit: "MiB",
            limit: 64.0,
            at_least: false,
        },
        Row {
            name: "memory: peak resident under load",
            value: peak_rss / 1024.0,
            unit: "MiB",
            limit: 128.0,
            at_least: false,
        },
        Row {
            name: "shutdown on SIGTERM",
            value: shutdown_ms,
            unit: "ms",
            limit: 2000.0,
            at_least: false,
        },
    ];
    println!(
        "sluss-bench on {backend}: {} submissions, {reads} inbox reads, {reads} follow-up reads, {cases_n} cases with {ticks_n} ticks, {reads} case reads, {reads} diarium pages, {} concurrent clients on loopback",
        o.submissions, o.concurrency
    );
    println!(
        "{:<40} {:>12} {:>12} {:>7}",
        "figure", "value", "limit", "ratio"
    );
    let mut broken = 0;
    for r in &rows {
        let limit = format!(
            "{}{:.0} {}",
            if r.at_least { "≥ " } else { "≤ " },
            r.limit,
            r.unit
        );
        let ok = r.ratio() <= 1.0;
        if !ok {
            broken += 1;
        }
        println!(
            "{:<40} {:>9.1} {:<3} {:>12} {:>7.2}{}",
            r.name,
            r.value,
            r.unit,
            limit,
            r.ratio(),
            if ok { "" } else { "  over the limit" }
        );
    }
    if broken > 0 {
        bail!("{broken} figure(s) over their limit");
    }
    Ok(())
}
