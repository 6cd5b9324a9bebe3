//! Campaigns of pairwise voting through the API: a workshop where ten participants vote at
//! once ends with exactly their votes counted and the quota held; every refused vote is
//! refused with a reason and not counted.

use crate::both;
use crate::support::{Backend, TestApp, csrf_in, spawn};
use serde_json::{Value, json};

pub(crate) async fn as_participant(
    t: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut r = t
        .http
        .request(method, t.url(path))
        .header("x-participant-token", token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    r.send().await.expect("request")
}

/// The pair a participant is shown now (their open offer, or a new one).
pub(crate) async fn shown_pair(t: &TestApp, code: &str, token: &str) -> Value {
    let path = format!("/api/v1/campaigns/{code}/pair");
    let res = as_participant(t, reqwest::Method::GET, &path, token, None).await;
    assert_eq!(res.status(), 200, "the pair of {code}");
    res.json().await.expect("a pair")
}

/// The id of the one campaign in `t`'s database.
pub(crate) async fn only_campaign_id(t: &TestApp) -> domain::id::CampaignId {
    let mut tx = t.app.db.read().await.unwrap();
    let (id,): (String,) = tx
        .fetch_one(store::sql("SELECT id FROM campaigns"))
        .await
        .unwrap();
    id.into()
}

pub(crate) async fn facilitate(
    t: &TestApp,
    token: &str,
    path: &str,
    body: Value,
) -> reqwest::Response {
    t.http
        .post(t.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request")
}

pub(crate) async fn join(t: &TestApp, code: &str) -> String {
    let res = t
        .http
        .post(t.url(&format!("/api/v1/campaigns/{code}/participants")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Two nodes on one PostgreSQL database (None without PostgreSQL, which CI does not allow).
pub(crate) async fn two_nodes() -> Option<(TestApp, TestApp)> {
    crate::support::postgres_url()?;
    let a = spawn(Backend::Postgres).await;
    let b = crate::support::spawn_on(a.db.clone(), crate::support::settings(100_000)).await;
    Some((a, b))
}

/// A campaign's results, as its facilitator reads them (in every phase).
pub(crate) async fn results_of(t: &TestApp, fac: &str, code: &str) -> Value {
    t.http
        .get(t.url(&format!("/api/v1/campaigns/{code}")))
        .bearer_auth(fac)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub(crate) async fn count(t: &TestApp, sql: &'static str) -> i64 {
    let mut tx = t.app.db.read().await.unwrap();
    let (n,): (i64,) = tx.fetch_one(store::sql(sql)).await.unwrap();
    n
}

async fn a_workshop_counts_exactly_the_votes_cast(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let fac_pw = t.user("facilitator@x.se", "region-a", "advisor").await;
    t.user("staff@x.se", "region-a", "staff").await;
    let fac = t.token("facilitator@x.se").await;
    let staff = t.token("staff@x.se").await;
    let body = json!({ "title": "Framtidens vård i Kalmar län", "question": "Vilka idéer ska vi gå vidare med?", "mode": "workshop", "organisation": "region-a", "vote_quota": 6 });
    assert_eq!(
        facilitate(&t, &staff, "/api/v1/campaigns", body.clone())
            .await
            .status(),
        403
    );
    let res = facilitate(&t, &fac, "/api/v1/campaigns", body).await;
    assert_eq!(res.status(), 201);
    let code = res.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(code.len(), 6);

    // Participants join with the code (lower case works too) and write concepts.
    let mut tokens = Vec::new();
    for i in 0..10 {
        let c = if i % 2 == 0 {
            code.clone()
        } else {
            code.to_lowercase()
        };
        tokens.push(join(&t, &c).await);
    }
    let path = format!("/api/v1/campaigns/{code}/ideas");
    let res = as_participant(
        &t,
        reqwest::Method::POST,
        &path,
        &tokens[0],
        Some(json!({ "text": "Tidigt" })),
    )
    .await;
    assert_eq!(res.status(), 409, "ideas are not taken in the draft phase");
    let res = facilitate(
        &t,
        &fac,
        &format!("/api/v1/campaigns/{code}/phase"),
        json!({ "phase": "concepts" }),
    )
    .await;
    assert_eq!(res.status(), 200);
    let long = "å".repeat(501);
    let res = as_participant(
        &t,
        reqwest::Method::POST,
        &path,
        &tokens[0],
        Some(json!({ "text": long })),
    )
    .await;
    assert_eq!(res.status(), 422);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["errors"][0]["code"], "too_long_was");
    assert!(
        v["errors"][0]["message"].as_str().unwrap().contains("501"),
        "{v}"
    );
    for (i, tok) in tokens.iter().enumerate().take(8) {
        let res = as_participant(
            &t,
            reqwest::Method::POST,
            &path,
            tok,
            Some(json!({ "text": format!("Koncept {i}: digital vårdcentral med stöd i hemmet") })),
        )
        .await;
        assert_eq!(res.status(), 201);
    }
    let withdrawn = {
        let res = facilitate(
            &t,
            &fac,
            &path,
            json!({ "text": "Ett koncept som dras tillbaka" }),
        )
        .await;
        assert_eq!(res.status(), 201);
        res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let res = facilitate(
        &t,
        &fac,
        &format!("/api/v1/campaigns/{code}/ideas/{withdrawn}/status"),
        json!({ "status": "withdrawn" }),
    )
    .await;
    assert_eq!(res.status(), 200);

    // Voting is closed until the facilitator opens it.
    let pair_path = format!("/api/v1/campaigns/{code}/pair");
    let vote_path = format!("/api/v1/campaigns/{code}/votes");
    let res = as_participant(&t, reqwest::Method::GET, &pair_path, &tokens[0], None).await;
    assert_eq!(res.status(), 409);
    facilitate(
        &t,
        &fac,
        &format!("/api/v1/campaigns/{code}/phase"),
        json!({ "phase": "voting" }),
    )
    .await;

    // Ten participants vote at once, each up to the quota and then once more.
    let mut tasks = Vec::new();
    for (k, tok) in tokens.iter().cloned().enumerate() {
        let (http, base, code) = (t.http.clone(), t.base.clone(), code.clone());
        let withdrawn = withdrawn.clone();
        tasks.push(tokio::spawn(async move {
            let mut counted = 0;
            let mut seen = Vec::new();
            loop {
                let res = http.get(format!("{base}/api/v1/campaigns/{code}/pair")).header("x-participant-token", &tok).send().await.unwrap();
                if res.status() == 409 {
                    let v: Value = res.json().await.unwrap();
                    assert_eq!(v["code"], "quota_used");
                    break;
                }
                assert_eq!(res.status(), 200);
                let p: Value = res.json().await.unwrap();
                let (l, r) = (p["left"]["id"].as_str().unwrap().to_string(), p["right"]["id"].as_str().unwrap().to_string());
                assert!(l != withdrawn && r != withdrawn, "a withdrawn idea is never offered");
                let key = if l < r { (l.clone(), r.clone()) } else { (r.clone(), l.clone()) };
                assert!(!seen.contains(&key), "never the same pair twice");
                seen.push(key);
                assert_eq!(p["remaining"], 6 - counted);
                // Participant 0 skips once (not counted as a win, nor against the quota).
                let choice = if k == 0 && seen.len() == 1 { "skip" } else if seen.len() % 2 == 0 { "left" } else { "right" };
                let res = http.post(format!("{base}/api/v1/campaigns/{code}/votes")).header("x-participant-token", &tok)
                    .json(&json!({ "offer_id": p["offer_id"], "choice": choice, "response_ms": 900, "reason": if choice == "skip" { "Båda är bra" } else { "" } }))
                    .send().await.unwrap();
                assert_eq!(res.status(), 201);
                if choice != "skip" {
                    counted += 1;
                }
                assert_eq!(res.json::<Value>().await.unwrap()["remaining"], 6 - counted);
                // The same offer again is refused.
                let again = http.post(format!("{base}/api/v1/campaigns/{code}/votes")).header("x-participant-token", &tok)
                    .json(&json!({ "offer_id": p["offer_id"], "choice": "left" })).send().await.unwrap();
                assert_eq!(again.status(), 409);
            }
            counted
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    assert_eq!(total, 60);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM pair_offers WHERE voted_at IS NOT NULL AND choice <> 'skip'"
        )
        .await,
        60
    );
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM pair_offers WHERE voted_at IS NOT NULL AND choice = 'skip'"
        )
        .await,
        1
    );
    assert_eq!(
        count(&t, "SELECT MAX(votes_cast) FROM participants").await,
        6
    );

    // A vote for a pair offered to someone else, or for nothing, is refused and not counted.
    let other_offer: (String,) = {
        let mut tx = t.app.db.read().await.unwrap();
        tx.fetch_one(store::sql(
            "SELECT id FROM pair_offers ORDER BY offered_at LIMIT 1",
        ))
        .await
        .unwrap()
    };
    let newcomer = join(&t, &code).await;
    for offer in [other_offer.0.as_str(), "nope"] {
        let res = as_participant(
            &t,
            reqwest::Method::POST,
            &vote_path,
            &newcomer,
            Some(json!({ "offer_id": offer, "choice": "left" })),
        )
        .await;
        assert_eq!(res.status(), 422);
        assert_eq!(
            res.json::<Value>().await.unwrap()["errors"][0]["code"],
            "not_offered"
        );
    }
    let res = as_participant(
        &t,
        reqwest::Method::POST,
        &vote_path,
        "not-a-token",
        Some(json!({ "offer_id": other_offer.0, "choice": "left" })),
    )
    .await;
    assert_eq!(res.status(), 401);
    // A pair shown, then voting closed: the vote is refused.
    let res = as_participant(&t, reqwest::Method::GET, &pair_path, &newcomer, None).await;
    let offer = res.json::<Value>().await.unwrap()["offer_id"].clone();
    facilitate(
        &t,
        &fac,
        &format!("/api/v1/campaigns/{code}/phase"),
        json!({ "phase": "results" }),
    )
    .await;
    let res = as_participant(
        &t,
        reqwest::Method::POST,
        &vote_path,
        &newcomer,
        Some(json!({ "offer_id": offer, "choice": "left" })),
    )
    .await;
    assert_eq!(res.status(), 409);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM pair_offers WHERE voted_at IS NOT NULL AND choice <> 'skip'"
        )
        .await,
        60
    );

    // Results: every active idea, scored from the votes, best first.
    let r = results_of(&t, &fac, &code).await;
    assert_eq!(
        (
            r["votes"].clone(),
            r["skips"].clone(),
            r["participants"].clone()
        ),
        (json!(60), json!(1), json!(11))
    );
    let ideas = r["ideas"].as_array().unwrap();
    assert_eq!(ideas.len(), 8, "the withdrawn idea is not ranked");
    let scores: Vec<f64> = ideas.iter().map(|i| i["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    for i in ideas {
        assert!(i["low"].as_f64().unwrap() <= i["score"].as_f64().unwrap());
        assert!(i["score"].as_f64().unwrap() <= i["high"].as_f64().unwrap());
    }
    let wins: u64 = ideas.iter().map(|i| i["wins"].as_u64().unwrap()).sum();
    assert_eq!(wins, 60);

    // Next steps: the best concepts become submissions in the inbox, each once.
    let before = t.submission_count().await;
    let next_steps = format!("/api/v1/campaigns/{code}/next-steps");
    let forward = |n: Value| facilitate(&t, &fac, &next_steps, json!({ "n": n }));
    assert_eq!(forward(json!(0)).await.status(), 422);
    let three: Value = forward(json!(3)).await.json().await.unwrap();
    assert_eq!(three["items"].as_array().unwrap().len(), 3);
    let five: Value = forward(Value::Null).await.json().await.unwrap();
    assert_eq!(
        five["items"].as_array().unwrap().len(),
        5,
        "the campaign's top five"
    );
    assert_eq!(t.submission_count().await, before + 5);
    let first = five["items"][0]["submission_id"].as_str().unwrap();
    let s: Value = t
        .api_get(&fac, &format!("/api/v1/submissions/{first}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["channel"], "campaign");
    assert!(
        s["description"].as_str().unwrap().contains(&code),
        "linked back to the workshop"
    );
    let best = ideas[0]["text"].as_str().unwrap();
    assert!(
        five["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["idea_id"] == ideas[0]["id"]),
        "{best}"
    );
    // The sixth goes on as a case, directly.
    let res = facilitate(&t, &fac, &next_steps, json!({ "n": 6, "as": "case" })).await;
    assert_eq!(res.status(), 200);
    let six: Value = res.json().await.unwrap();
    let as_case = six["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["case_id"].is_string())
        .count();
    assert_eq!(as_case, 1);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM cases").await, 1);

    // Exports for the facilitator: one row per vote, skips apart, voters by pseudonym.
    let browser = t.browser_login("facilitator@x.se", &fac_pw).await;
    let get = |file: &str| {
        let (browser, url) = (
            browser.clone(),
            t.url(&format!("/workshop/{code}/export/{file}")),
        );
        async move { browser.get(url).send().await.unwrap() }
    };
    let res = get("votes.csv").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let votes_csv = res.text().await.unwrap();
    let votes_csv = votes_csv
        .strip_prefix('\u{FEFF}')
        .expect("a byte-order mark first");
    let lines: Vec<&str> = votes_csv.lines().collect();
    assert_eq!(lines[0], "voter,left,right,choice,time,response_ms");
    assert_eq!(lines.len(), 61);
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.starts_with('P') && l.ends_with(",900")),
        "{votes_csv}"
    );
    let skips = get("skips.csv").await.text().await.unwrap();
    assert_eq!(skips.lines().count(), 2);
    assert!(skips.contains("Båda är bra"));
    let ideas_csv = get("ideas.csv").await.text().await.unwrap();
    assert_eq!(
        ideas_csv.lines().count(),
        10,
        "nine ideas, the withdrawn one too"
    );
    assert!(ideas_csv.contains(",withdrawn,"));
    assert_eq!(get("people.csv").await.status(), 404);
    // Nobody else gets them.
    let res = t
        .http
        .get(t.url(&format!("/workshop/{code}/export/votes.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "the public is sent to sign in");
    t.finish().await;
}
both!(a_workshop_counts_exactly_the_votes_cast);

/// Reads from a server-sent event stream until `needle` has arrived.
pub(crate) async fn read_until(res: &mut reqwest::Response, seen: &mut String, needle: &str) {
    let deadline = std::time::Duration::from_secs(10);
    tokio::time::timeout(deadline, async {
        while !seen.contains(needle) {
            let chunk = res
                .chunk()
                .await
                .expect("stream")
                .expect("stream still open");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {needle:?} in {seen:?}"));
}

async fn live_results_stream_and_end_on_shutdown(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.user("facilitator@x.se", "region-a", "advisor").await;
    let fac = t.token("facilitator@x.se").await;
    let res = facilitate(&t, &fac, "/api/v1/campaigns", json!({ "title": "Live", "question": "Vilken?", "mode": "open", "organisation": "region-a" })).await;
    let code = res.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    for text in ["Första idén", "Andra idén"] {
        facilitate(
            &t,
            &fac,
            &format!("/api/v1/campaigns/{code}/ideas"),
            json!({ "text": text }),
        )
        .await;
    }
    facilitate(
        &t,
        &fac,
        &format!("/api/v1/campaigns/{code}/phase"),
        json!({ "phase": "open" }),
    )
    .await;
    let mut stream = t
        .http
        .get(t.url(&format!("/workshop/{code}/live")))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert!(
        stream.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut seen = String::new();
    read_until(&mut stream, &mut seen, "data: open:0:0:2").await;
    // A vote reaches the stream.
    let voter = join(&t, &code).await;
    let pair: Value = shown_pair(&t, &code, &voter).await;
    let res = as_participant(
        &t,
        reqwest::Method::POST,
        &format!("/api/v1/campaigns/{code}/votes"),
        &voter,
        Some(json!({ "offer_id": pair["offer_id"], "choice": "left" })),
    )
    .await;
    assert_eq!(res.status(), 201);
    read_until(&mut stream, &mut seen, "data: open:1:0:2").await;
    // An unknown campaign has no stream.
    assert_eq!(
        t.http
            .get(t.url("/workshop/NOPE99/live"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // Shutting down ends the stream instead of waiting for the client to leave.
    tokio::time::timeout(std::time::Duration::from_secs(5), t.finish())
        .await
        .expect("shutdown with a live stream open finishes");
}
both!(live_results_stream_and_end_on_shutdown);

async fn criteria_scores_give_weighted_means(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let pw = t.user("facilitator@x.se", "region-a", "coordinator").await;
    let fac = t.token("facilitator@x.se").await;
    let res = facilitate(&t, &fac, "/api/v1/campaigns", json!({ "title": "Kriterier", "question": "Vilken?", "mode": "workshop", "organisation": "region-a" })).await;
    assert_eq!(res.status(), 201, "a coordinator may run a workshop");
    let code = res.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    let mut ideas = Vec::new();
    for text in ["Videobesök", "Egenmätning"] {
        let r: Value = facilitate(
            &t,
            &fac,
            &format!("/api/v1/campaigns/{code}/ideas"),
            json!({ "text": text }),
        )
        .await
        .json()
        .await
        .unwrap();
        ideas.push(r["id"].as_str().unwrap().to_string());
    }
    let r = results_of(&t, &fac, &code).await;
    let criteria: Vec<String> = r["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(criteria.len(), 3, "the three default criteria");
    let path = format!("/api/v1/campaigns/{code}/scores");
    let p1 = join(&t, &code).await;
    let all = |v: i64| {
        criteria
            .iter()
            .map(|c| (c.clone(), json!(v)))
            .collect::<serde_json::Map<_, _>>()
    };
    let res = as_participant(
        &t,
        reqwest::Method::POST,
        &path,
        &p1,
        Some(json!({ "idea_id": ideas[0], "scores": all(4) })),
    )
    .await;
    assert_eq!(res.status(), 409, "only in the criteria phase");
    facilitate(
        &t,
        &fac,
        &format!("/api/v1/campaigns/{code}/phase"),
        json!({ "phase": "criteria" }),
    )
    .await;
    for (bad, code_) in [
        (
            json!({ "idea_id": ideas[0], "scores": all(6) }),
            "invalid_number",
        ),
        (
            json!({ "idea_id": ideas[0], "scores": { "nope": 3 } }),
            "invalid_choice",
        ),
        (
            json!({ "idea_id": "x", "scores": all(3) }),
            "invalid_choice",
        ),
    ] {
        let res = as_participant(&t, reqwest::Method::POST, &path, &p1, Some(bad)).await;
        assert_eq!(res.status(), 422);
        assert_eq!(
            res.json::<Value>().await.unwrap()["errors"][0]["code"],
            code_
        );
    }
    let p2 = join(&t, &code).await;
    for (tok, a, b) in [(&p1, 5, 2), (&p2, 3, 4)] {
        for (idea, v) in [(&ideas[0], a), (&ideas[1], b)] {
            let res = as_participant(
                &t,
                reqwest::Method::POST,
                &path,
                tok,
                Some(json!({ "idea_id": idea, "scores": all(v) })),
            )
            .await;
            assert_eq!(res.status(), 201);
        }
    }
    // A second score replaces the first.
    let res = as_participant(
        &t,
        reqwest::Method::POST,
        &path,
        &p2,
        Some(json!({ "idea_id": ideas[0], "scores": all(5) })),
    )
    .await;
    assert_eq!(res.status(), 201);
    let r = results_of(&t, &fac, &code).await;
    let rows = r["criteria_results"].as_array().unwrap();
    assert_eq!(rows[0]["id"], ideas[0].as_str());
    assert_eq!(
        (
            rows[0]["weighted_mean"].clone(),
            rows[0]["spread"].clone(),
            rows[0]["raters"].clone()
        ),
        (json!(5.0), json!(0.0), json!(2))
    );
    assert_eq!(rows[1]["weighted_mean"], json!(3.0));
    assert_eq!(rows[1]["spread"], json!(1.41));
    // The facilitator weights the first criterion 3 and leaves the others out (0).
    let lead = t.browser_login("facilitator@x.se", &pw).await;
    let csrf = t.csrf(&lead, &format!("/workshop/{code}/leda")).await;
    let mut form = vec![("_csrf".to_string(), csrf.clone())];
    for (k, c) in criteria.iter().enumerate() {
        form.push((format!("w-{c}"), if k == 0 { "3" } else { "0" }.to_string()));
    }
    form.push(("new_name".into(), "Går att testa snart".into()));
    let res = lead
        .post(t.url(&format!("/workshop/{code}/kriterier")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let r = results_of(&t, &fac, &code).await;
    assert_eq!(r["criteria"].as_array().unwrap().len(), 4);
    assert_eq!(r["criteria"][0]["weight"], 3);
    assert_eq!(r["criteria_results"][0]["weighted_mean"], json!(5.0));
    let bad = vec![
        ("_csrf".to_string(), csrf),
        (format!("w-{}", criteria[0]), "99".to_string()),
    ];
    let res = lead
        .post(t.url(&format!("/workshop/{code}/kriterier")))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    t.finish().await;
}
both!(criteria_scores_give_weighted_means);

async fn open_questions_wait_for_approval_and_take_flags(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.user("facilitator@x.se", "region-a", "advisor").await;
    let fac = t.token("facilitator@x.se").await;
    let res = facilitate(&t, &fac, "/api/v1/campaigns", json!({ "title": "Hur blir vården bättre?", "question": "Vilken idé är bäst?", "mode": "open", "organisation": "region-a", "require_approval": true })).await;
    let code = res.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    let ideas_path = format!("/api/v1/campaigns/{code}/ideas");
    for text in ["Kortare köer", "Bättre parkering"] {
        facilitate(&t, &fac, &ideas_path, json!({ "text": text })).await;
    }
    // Not on the showcase until it is open.
    let page = t
        .http
        .get(t.url("/fragor"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Hur blir vården bättre?"));
    let res = facilitate(
        &t,
        &fac,
        &format!("/api/v1/campaigns/{code}/phase"),
        json!({ "phase": "voting" }),
    )
    .await;
    assert_eq!(
        res.status(),
        422,
        "an open question has no voting phase of its own"
    );
    facilitate(
        &t,
        &fac,
        &format!("/api/v1/campaigns/{code}/phase"),
        json!({ "phase": "open" }),
    )
    .await;
    let page = t
        .http
        .get(t.url("/fragor"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Hur blir vården bättre?"));

    // A participant's idea waits for approval and is not shown in pairs until then.
    let p = join(&t, &code).await;
    let res = as_participant(
        &t,
        reqwest::Method::POST,
        &ideas_path,
        &p,
        Some(json!({ "text": "Gratis wifi i väntrummet" })),
    )
    .await;
    let pending: Value = res.json().await.unwrap();
    assert_eq!(pending["status"], "pending");
    let pair_path = format!("/api/v1/campaigns/{code}/pair");
    let pair: Value = as_participant(&t, reqwest::Method::GET, &pair_path, &p, None)
        .await
        .json()
        .await
        .unwrap();
    for side in ["left", "right"] {
        assert_ne!(pair[side]["id"], pending["id"]);
    }
    let res = facilitate(
        &t,
        &fac,
        &format!(
            "/api/v1/campaigns/{code}/ideas/{}/status",
            pending["id"].as_str().unwrap()
        ),
        json!({ "status": "active" }),
    )
    .await;
    assert_eq!(res.status(), 200);
    // Flags count once per participant.
    let flag = |who: String, idea: String| {
        let t = &t;
        let path = format!("/api/v1/campaigns/{code}/ideas/{idea}/flag");
        async move {
            let res = as_participant(t, reqwest::Method::POST, &path, &who, None).await;
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()["flags"]
                .as_i64()
                .unwrap()
        }
    };
    let idea = pending["id"].as_str().unwrap().to_string();
    assert_eq!(flag(p.clone(), idea.clone()).await, 1);
    assert_eq!(flag(p.clone(), idea.clone()).await, 1);
    let q = join(&t, &code).await;
    assert_eq!(flag(q, idea.clone()).await, 2);
    let res = as_participant(
        &t,
        reqwest::Method::POST,
        &format!("/api/v1/campaigns/{code}/ideas/nope/flag"),
        &p,
        None,
    )
    .await;
    assert_eq!(res.status(), 422);
    t.finish().await;
}
both!(open_questions_wait_for_approval_and_take_flags);

async fn research_answers_are_shown_after_answering(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let pw = t.user("facilitator@x.se", "region-a", "advisor").await;
    let fac = t.token("facilitator@x.se").await;
    let res = facilitate(&t, &fac, "/api/v1/campaigns", json!({ "title": "Forskning", "question": "Vad behövs?", "mode": "workshop", "organisation": "region-a" })).await;
    let code = res.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    let lead = t.browser_login("facilitator@x.se", &pw).await;
    let csrf = t.csrf(&lead, &format!("/workshop/{code}/leda")).await;
    let res = lead
        .post(t.url(&format!("/workshop/{code}/fraga")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("question", "Vad är det största problemet i dag?"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    facilitate(
        &t,
        &fac,
        &format!("/api/v1/campaigns/{code}/phase"),
        json!({ "phase": "research" }),
    )
    .await;
    // Two participants join through the page (a cookie each).
    let mut people = Vec::new();
    for _ in 0..2 {
        let c = crate::support::client();
        let csrf = t.csrf(&c, "/workshop").await;
        let res = c
            .post(t.url("/workshop"))
            .form(&[("_csrf", csrf.as_str()), ("code", code.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        people.push(c);
    }
    let page = |c: &reqwest::Client| {
        let (c, url) = (c.clone(), t.url(&format!("/workshop/{code}")));
        async move { c.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let first = page(&people[0]).await;
    let qid = {
        let i = first.find("name=\"question_id\" value=\"").unwrap()
            + "name=\"question_id\" value=\"".len();
        first[i..i + first[i..].find('"').unwrap()].to_string()
    };
    let post_answer = |c: reqwest::Client, text: &'static str| {
        let (url, page_url, qid) = (
            t.url(&format!("/workshop/{code}/svar")),
            t.url(&format!("/workshop/{code}")),
            qid.clone(),
        );
        async move {
            let html = c.get(page_url).send().await.unwrap().text().await.unwrap();
            let csrf = csrf_in(&html).unwrap();
            c.post(url)
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("question_id", qid.as_str()),
                    ("answer", text),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        post_answer(people[0].clone(), "Långa väntetider").await,
        303
    );
    // The second has not answered: the first's answer is not shown to them yet.
    let second = page(&people[1]).await;
    assert!(!second.contains("Långa väntetider"));
    assert_eq!(
        post_answer(people[1].clone(), "Svårt att nå vården på telefon").await,
        303
    );
    let second = page(&people[1]).await;
    assert!(
        second.contains("Långa väntetider"),
        "alone first, then together"
    );
    let first = page(&people[0]).await;
    assert!(first.contains("Svårt att nå vården på telefon"));
    let leader = lead
        .get(t.url(&format!("/workshop/{code}/leda")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(leader.contains("2 svar"));
    t.finish().await;
}
both!(research_answers_are_shown_after_answering);

/// Two nodes on one PostgreSQL: a vote on one reaches a live stream on the other within a
/// second (through LISTEN/NOTIFY, not the slow safety poll).
/// PostgreSQL only: one SQLite file is one node. Required under CI like the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn live_results_reach_every_node() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    a.org("region-a", None).await;
    a.user("facilitator@x.se", "region-a", "advisor").await;
    let fac = a.token("facilitator@x.se").await;
    let res = facilitate(&a, &fac, "/api/v1/campaigns", json!({ "title": "Två noder", "question": "Vilken?", "mode": "open", "organisation": "region-a" })).await;
    let code = res.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    for text in ["Första idén", "Andra idén"] {
        facilitate(
            &a,
            &fac,
            &format!("/api/v1/campaigns/{code}/ideas"),
            json!({ "text": text }),
        )
        .await;
    }
    facilitate(
        &a,
        &fac,
        &format!("/api/v1/campaigns/{code}/phase"),
        json!({ "phase": "open" }),
    )
    .await;
    let mut stream = b
        .http
        .get(b.url(&format!("/workshop/{code}/live")))
        .send()
        .await
        .unwrap();
    let mut seen = String::new();
    read_until(&mut stream, &mut seen, "data: open:0:0:2").await;
    let voter = join(&a, &code).await;
    let pair: Value = shown_pair(&a, &code, &voter).await;
    let started = std::time::Instant::now();
    let res = as_participant(
        &a,
        reqwest::Method::POST,
        &format!("/api/v1/campaigns/{code}/votes"),
        &voter,
        Some(json!({ "offer_id": pair["offer_id"], "choice": "right" })),
    )
    .await;
    assert_eq!(res.status(), 201);
    read_until(&mut stream, &mut seen, "data: open:1:0:2").await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    drop(stream);
    b.stop().await;
    a.finish().await;
}

async fn participants_writes_are_rate_limited(backend: Backend) {
    let t = crate::support::spawn_on(
        crate::support::TestDb::new(backend).await,
        crate::support::settings(3),
    )
    .await;
    t.org("region-a", None).await;
    t.user("facilitator@x.se", "region-a", "advisor").await;
    let fac = t.token("facilitator@x.se").await;
    let res = facilitate(&t, &fac, "/api/v1/campaigns", json!({ "title": "Gräns", "question": "Vilken?", "mode": "open", "organisation": "region-a" })).await;
    let code = res.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    facilitate(
        &t,
        &fac,
        &format!("/api/v1/campaigns/{code}/phase"),
        json!({ "phase": "open" }),
    )
    .await;
    // Joining has a limit of its own; a participant's writes are counted per participant.
    let p = join(&t, &code).await;
    let path = format!("/api/v1/campaigns/{code}/ideas");
    for (i, expected) in [(1, 201), (2, 201), (3, 201), (4, 429)] {
        let res = as_participant(
            &t,
            reqwest::Method::POST,
            &path,
            &p,
            Some(json!({ "text": format!("Idé nummer {i}") })),
        )
        .await;
        assert_eq!(res.status(), expected, "idea {i}");
    }
    // The facilitator is not limited.
    let res = facilitate(&t, &fac, &path, json!({ "text": "Facilitatorns idé" })).await;
    assert_eq!(res.status(), 201);
    t.finish().await;
}
both!(participants_writes_are_rate_limited);

/// The fitted ranking is reused until a vote comes in, then refitted (warm) at once.
async fn the_fit_is_reused_until_a_vote_comes_in(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.user("facilitator@x.se", "region-a", "advisor").await;
    let fac = t.token("facilitator@x.se").await;
    let res = facilitate(&t, &fac, "/api/v1/campaigns", json!({ "title": "Cache", "question": "Vilken?", "mode": "open", "organisation": "region-a" })).await;
    let code = res.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    for text in ["Ett", "Två", "Tre"] {
        facilitate(
            &t,
            &fac,
            &format!("/api/v1/campaigns/{code}/ideas"),
            json!({ "text": format!("Idé {text}") }),
        )
        .await;
    }
    facilitate(
        &t,
        &fac,
        &format!("/api/v1/campaigns/{code}/phase"),
        json!({ "phase": "open" }),
    )
    .await;
    let id = only_campaign_id(&t).await;
    let fitted_at = |t: &TestApp| {
        t.app
            .rankings
            .lock()
            .unwrap()
            .get(&id)
            .map(|f| (f.at, f.votes))
    };
    let results = format!("/api/v1/campaigns/{code}");
    t.http
        .get(t.url(&results))
        .bearer_auth(&fac)
        .send()
        .await
        .unwrap();
    let first = fitted_at(&t).expect("a fit is cached");
    t.http
        .get(t.url(&results))
        .bearer_auth(&fac)
        .send()
        .await
        .unwrap();
    assert_eq!(fitted_at(&t), Some(first), "no vote, no refit");
    let voter = join(&t, &code).await;
    let pair: Value = shown_pair(&t, &code, &voter).await;
    as_participant(
        &t,
        reqwest::Method::POST,
        &format!("/api/v1/campaigns/{code}/votes"),
        &voter,
        Some(json!({ "offer_id": pair["offer_id"], "choice": "left" })),
    )
    .await;
    let r: Value = t
        .http
        .get(t.url(&results))
        .bearer_auth(&fac)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["votes"], 1);
    let wins: u64 = r["ideas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["wins"].as_u64().unwrap())
        .sum();
    assert_eq!(wins, 1, "the new vote is in the scores at once");
    let second = fitted_at(&t).unwrap();
    assert_eq!(second.1, 1);
    assert!(second.0 > first.0);
    t.finish().await;
}
both!(the_fit_is_reused_until_a_vote_comes_in);

/// The facilitator's exports are for a spreadsheet: a cell that a spreadsheet would read as
/// a formula (`=`, `+`, `-`, `@`, a tab or a carriage return first) is written as text, with
/// a quote before it, and each file begins with a byte-order mark for Excel.
async fn exported_cells_are_never_formulas(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let fac_pw = t.user("facilitator@x.se", "region-a", "advisor").await;
    let fac = t.token("facilitator@x.se").await;
    let body = json!({ "title": "Exporter", "question": "Vilka idéer?", "mode": "workshop", "organisation": "region-a", "vote_quota": 6 });
    let res = facilitate(&t, &fac, "/api/v1/campaigns", body).await;
    assert_eq!(res.status(), 201);
    let code = res.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    facilitate(
        &t,
        &fac,
        &format!("/api/v1/campaigns/{code}/phase"),
        json!({ "phase": "concepts" }),
    )
    .await;
    let token = join(&t, &code).await;
    let path = format!("/api/v1/campaigns/{code}/ideas");
    for text in [
        "=HYPERLINK(\"http://x\",\"y\")",
        "+1+1 är två",
        "-2+3 är ett",
        "Ett vanligt koncept",
    ] {
        let res = as_participant(
            &t,
            reqwest::Method::POST,
            &path,
            &token,
            Some(json!({ "text": text })),
        )
        .await;
        assert_eq!(res.status(), 201, "{text}");
    }
    facilitate(
        &t,
        &fac,
        &format!("/api/v1/campaigns/{code}/phase"),
        json!({ "phase": "voting" }),
    )
    .await;
    let p = shown_pair(&t, &code, &token).await;
    let res = as_participant(
        &t,
        reqwest::Method::POST,
        &format!("/api/v1/campaigns/{code}/votes"),
        &token,
        Some(json!({ "offer_id": p["offer_id"], "choice": "skip", "reason": "@SUM(1+1)*cmd|' /C calc'!A0" })),
    )
    .await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);

    let browser = t.browser_login("facilitator@x.se", &fac_pw).await;
    let get = async |file: &str| -> String {
        let res = browser
            .get(t.url(&format!("/workshop/{code}/export/{file}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let bytes = res.bytes().await.unwrap();
        assert!(
            bytes.starts_with("\u{FEFF}".as_bytes()),
            "{file} begins with a byte-order mark"
        );
        String::from_utf8(bytes[3..].to_vec()).unwrap()
    };
    let ideas = get("ideas.csv").await;
    assert!(
        ideas.contains(",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\","),
        "{ideas}"
    );
    assert!(ideas.contains(",'+1+1 är två,"), "{ideas}");
    assert!(ideas.contains(",'-2+3 är ett,"), "{ideas}");
    assert!(ideas.contains(",Ett vanligt koncept,"), "{ideas}");
    assert!(ideas.starts_with("idea,text,"), "{ideas}");
    let skips = get("skips.csv").await;
    assert!(skips.contains(",'@SUM(1+1)*cmd|' /C calc'!A0,"), "{skips}");
    // No cell of any export begins with a formula character.
    for file in [&ideas, &skips, &get("votes.csv").await] {
        for line in file.lines() {
            for cell in line.split(',') {
                let cell = cell.trim_start_matches('"');
                assert!(
                    !cell.starts_with(['=', '+', '@', '\t', '\r']),
                    "{cell:?} in {file}"
                );
            }
        }
    }
    t.finish().await;
}
both!(exported_cells_are_never_formulas);
