//! The scenarios: everything measured on one backend (data at scale, public pages, the
//! database limit and the vote loop in turns, intake, inbox, live listeners, memory,
//! two nodes), and `sluss move` from SQLite to PostgreSQL.

use std::collections::HashSet;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::Sizes;
use crate::common::{self, memory_kib, percentile, serve, sluss_bin};
use crate::databases::{count_rows, count_votes, scale_campaign};
use crate::db_limit::{ROUNDS, insert_limit, median, settle};
use crate::lighthouse::lighthouse;
use crate::live::{listeners, live_delay};
use crate::table::{Table, against, itself, ms};
use crate::transfer;
use crate::vote_loop::{join, vote_loop};
use crate::wrk::{GET, INTAKE, headers_script, inbox_script, wrk, wrk_figures};

pub async fn one_backend(backend: &str, db: &str, sizes: &Sizes, table: &mut Table) -> Result<()> {
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
        // The audit view of the demo region, read by its administrator (a page, so a
        // session): the newest events of the region's organisations, keyset-paged.
        let admin_cookie = page_session(&base, "admin@demo.sluss.se", "demo-admin-2026").await?;
        let w = wrk(
            &format!("{base}/admin/handelser"),
            conns,
            secs,
            &headers_script(&[("Cookie", &admin_cookie)]),
        )?;
        table.row(
            backend,
            &format!("audit view /admin/handelser ({events} events)"),
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

/// Signs in through the sign-in form as a browser does, and returns the cookies a page
/// request then sends (the session, and the CSRF cookie it was signed in with).
async fn page_session(base: &str, email: &str, password: &str) -> Result<String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let res = http.get(format!("{base}/logga-in")).send().await?;
    let csrf_cookie = set_cookie(&res, "sluss_csrf").context("the CSRF cookie")?;
    let html = res.text().await?;
    let field = "name=\"_csrf\" value=\"";
    let at = html.find(field).context("the CSRF field")? + field.len();
    let csrf = &html[at..at + html[at..].find('"').context("the CSRF field's end")?];
    let res = http
        .post(format!("{base}/logga-in"))
        .header("Cookie", format!("sluss_csrf={csrf_cookie}"))
        .form(&[("_csrf", csrf), ("email", email), ("password", password)])
        .send()
        .await?;
    let session = set_cookie(&res, "sluss_session").context("signed in")?;
    Ok(format!("sluss_session={session}; sluss_csrf={csrf_cookie}"))
}

/// The value of the cookie `name` a response sets.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&prefix))
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
        .filter(|v| !v.is_empty())
}

/// `sluss move` of the SQLite run's database (the data at scale and what the run wrote)
/// into PostgreSQL, against PostgreSQL writing the same rows from inside itself.
pub async fn move_to_postgres(sqlite: &str, admin: &str, table: &mut Table) -> Result<()> {
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
