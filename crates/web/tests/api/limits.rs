//! Limits (issue 17, findings 5, 7 and 9): live scores only for those who may see them,
//! lookups of unknown join codes limited per client, joins with a limit of their own,
//! slow headers and bodies timed out, live streams capped per client.

use crate::both;
use crate::support::{Backend, TestApp, TestDb, settings, spawn, spawn_on};
use serde_json::{Value, json};

async fn facilitate(t: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    t.http
        .post(t.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request")
}

/// A workshop in region-a run by facilitator@x.se, with three concepts; returns its code
/// and the facilitator's token.
async fn workshop(t: &TestApp) -> (String, String) {
    t.org("region-a", None).await;
    t.user("facilitator@x.se", "region-a", "advisor").await;
    let fac = t.token("facilitator@x.se").await;
    let body = json!({ "title": "Framtidens vård", "question": "Vilka idéer ska vi gå vidare med?", "mode": "workshop", "organisation": "region-a", "vote_quota": 6 });
    let res = facilitate(t, &fac, "/api/v1/campaigns", body).await;
    assert_eq!(res.status(), 201);
    let code = res.json::<Value>().await.expect("json")["code"]
        .as_str()
        .expect("code")
        .to_string();
    let phase = format!("/api/v1/campaigns/{code}/phase");
    let res = facilitate(t, &fac, &phase, json!({ "phase": "concepts" })).await;
    assert_eq!(res.status(), 200);
    for text in [
        "Digital incheckning",
        "Fler drop-in-tider",
        "Sms-påminnelse",
    ] {
        let path = format!("/api/v1/campaigns/{code}/ideas");
        let res = facilitate(t, &fac, &path, json!({ "text": text })).await;
        assert_eq!(res.status(), 201);
    }
    (code, fac)
}

async fn read_campaign(t: &TestApp, code: &str, token: Option<&str>) -> Value {
    let mut req = t.http.get(t.url(&format!("/api/v1/campaigns/{code}")));
    if let Some(tok) = token {
        req = req.bearer_auth(tok);
    }
    let res = req.send().await.expect("request");
    assert_eq!(res.status(), 200);
    res.json().await.expect("json")
}

async fn scores_are_seen_as_on_the_participants_page(backend: Backend) {
    let t = spawn(backend).await;
    let (code, fac) = workshop(&t).await;
    t.org("region-b", None).await;
    t.user("other@x.se", "region-b", "advisor").await;
    let other = t.token("other@x.se").await;
    let phase = format!("/api/v1/campaigns/{code}/phase");
    let res = facilitate(&t, &fac, &phase, json!({ "phase": "voting" })).await;
    assert_eq!(res.status(), 200);

    // While voting, the public, a participant and another region's facilitator see the
    // campaign, not its scores; the campaign's facilitator sees them.
    for (who, token) in [
        ("the public", None),
        ("another region", Some(other.as_str())),
    ] {
        let r = read_campaign(&t, &code, token).await;
        assert_eq!(r["phase"], "voting", "{who}");
        assert_eq!(r["results_visible"], false, "{who}: {r}");
        assert!(r.get("ideas").is_none(), "{who} sees scores: {r}");
        assert!(r.get("criteria_results").is_none(), "{who}: {r}");
    }
    let r = read_campaign(&t, &code, Some(&fac)).await;
    assert_eq!(r["results_visible"], true);
    assert_eq!(r["ideas"].as_array().map(Vec::len), Some(3), "{r}");
    assert!(r["ideas"][0]["score"].is_number());

    // From the results phase everyone sees them.
    let res = facilitate(&t, &fac, &phase, json!({ "phase": "results" })).await;
    assert_eq!(res.status(), 200);
    let r = read_campaign(&t, &code, None).await;
    assert_eq!(r["results_visible"], true);
    assert_eq!(r["ideas"].as_array().map(Vec::len), Some(3), "{r}");
    t.finish().await;
}
both!(scores_are_seen_as_on_the_participants_page);

async fn get_as(t: &TestApp, ip: &str, path: &str) -> u16 {
    t.http
        .get(t.url(path))
        .header("x-forwarded-for", ip)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

async fn unknown_join_codes_are_limited_per_client(backend: Backend) {
    let limit = web::Settings::for_public_url("http://x").lookup_miss_limit;
    assert!((20..=200).contains(&limit), "{limit}");
    let mut s = settings(100_000);
    s.behind_proxy = true;
    s.lookup_miss_limit = limit;
    let t = spawn_on(TestDb::new(backend).await, s).await;
    let (code, _) = workshop(&t).await;

    // A workshop's worth of participants behind one address opening the right code.
    for _ in 0..(limit + 20) {
        assert_eq!(
            get_as(&t, "10.0.0.3", &format!("/api/v1/campaigns/{code}")).await,
            200
        );
    }
    // Guessing codes: every miss counts, and past the limit no code is looked up.
    for i in 0..limit {
        let guess = format!("/api/v1/campaigns/ZZZ{:03}", i % 1000);
        assert_eq!(get_as(&t, "10.0.0.1", &guess).await, 404);
    }
    assert_eq!(
        get_as(&t, "10.0.0.1", "/api/v1/campaigns/ZZZZZZ").await,
        429
    );
    assert_eq!(
        get_as(&t, "10.0.0.1", &format!("/api/v1/campaigns/{code}")).await,
        429
    );
    assert_eq!(
        get_as(&t, "10.0.0.1", &format!("/workshop/{code}")).await,
        429
    );
    let join = t
        .http
        .post(t.url(&format!("/api/v1/campaigns/{code}/participants")))
        .header("x-forwarded-for", "10.0.0.1")
        .send()
        .await
        .expect("join");
    assert_eq!(join.status(), 429);
    // Another address is not affected.
    assert_eq!(
        get_as(&t, "10.0.0.2", &format!("/api/v1/campaigns/{code}")).await,
        200
    );
    t.finish().await;
}
both!(unknown_join_codes_are_limited_per_client);
