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

async fn join_as(t: &TestApp, code: &str) -> reqwest::Response {
    t.http
        .post(t.url(&format!("/api/v1/campaigns/{code}/participants")))
        .send()
        .await
        .expect("join")
}

async fn idea_as(t: &TestApp, code: &str, participant: &str, text: &str) -> u16 {
    t.http
        .post(t.url(&format!("/api/v1/campaigns/{code}/ideas")))
        .header("x-participant-token", participant)
        .json(&json!({ "text": text }))
        .send()
        .await
        .expect("idea")
        .status()
        .as_u16()
}

/// Finding 5: a workshop behind one office address. Joins have a limit of their own,
/// sized for a workshop, and a participant's writes are limited per participant, so the
/// 21st participant joins and writes, however much the others wrote.
async fn a_workshop_behind_one_address_joins_and_writes(backend: Backend) {
    let defaults = web::Settings::for_public_url("http://x");
    assert_eq!(defaults.public_write_limit, 20);
    assert_eq!(defaults.join_limit, 300);
    let t = spawn_on(TestDb::new(backend).await, defaults).await;
    let (code, _) = workshop(&t).await;

    // Thirty participants behind one address join, and each writes two concepts.
    let mut participants = Vec::new();
    for i in 0..30 {
        let res = join_as(&t, &code).await;
        assert_eq!(res.status(), 201, "participant {}", i + 1);
        let token = res.json::<Value>().await.expect("json")["token"]
            .as_str()
            .expect("token")
            .to_string();
        for n in 0..2 {
            let status = idea_as(&t, &code, &token, &format!("Koncept {i}-{n}")).await;
            assert_eq!(status, 201, "participant {} concept {n}", i + 1);
        }
        participants.push(token);
    }
    // One participant writing much is held back alone, at the public-write limit.
    for n in 2..20 {
        let status = idea_as(&t, &code, &participants[0], &format!("Mer {n}")).await;
        assert_eq!(status, 201, "concept {n}");
    }
    assert_eq!(
        idea_as(&t, &code, &participants[0], "En för mycket").await,
        429
    );
    assert_eq!(
        idea_as(&t, &code, &participants[1], "Min tredje").await,
        201
    );
    // The page's form is limited the same way: the 31st participant joins there and writes.
    let c = crate::support::client();
    let csrf = t.csrf(&c, "/workshop").await;
    let res = c
        .post(t.url("/workshop"))
        .form(&[("_csrf", csrf.as_str()), ("code", code.as_str())])
        .send()
        .await
        .expect("join form");
    assert_eq!(res.status(), 303);
    let csrf = t.csrf(&c, &format!("/workshop/{code}")).await;
    let res = c
        .post(t.url(&format!("/workshop/{code}/koncept")))
        .form(&[("_csrf", csrf.as_str()), ("text", "Från sidan")])
        .send()
        .await
        .expect("concept form");
    assert_eq!(res.status(), 303);
    t.finish().await;
}
both!(a_workshop_behind_one_address_joins_and_writes);

/// The join limit is a bound all the same.
async fn joins_have_a_limit_of_their_own(backend: Backend) {
    let mut s = settings(100_000);
    s.public_write_limit = 2;
    s.join_limit = 5;
    let t = spawn_on(TestDb::new(backend).await, s).await;
    let (code, _) = workshop(&t).await;
    for i in 0..5 {
        assert_eq!(join_as(&t, &code).await.status(), 201, "join {}", i + 1);
    }
    assert_eq!(join_as(&t, &code).await.status(), 429);
    // Public writes are counted apart: a submission from this address still goes in.
    t.submit_ok("region-a", "Behov efter workshopen").await;
    t.finish().await;
}
both!(joins_have_a_limit_of_their_own);

/// Reads from a raw connection until the server closes it; what it answered, or None
/// when it was still open after `wait`.
async fn answer_before_close(
    stream: &mut tokio::net::TcpStream,
    wait: std::time::Duration,
) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let read = tokio::time::timeout(wait, async {
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&got).to_string())
}

fn slow_settings() -> web::Settings {
    let mut s = settings(100_000);
    s.header_read_timeout = std::time::Duration::from_secs(1);
    s.body_read_timeout = std::time::Duration::from_secs(1);
    s
}

/// Finding 7: a connection that never finishes its headers is closed after the header
/// timeout, and a request whose body never arrives is answered 408 after the body timeout.
async fn slow_headers_and_bodies_are_cut_off(backend: Backend) {
    use tokio::io::AsyncWriteExt;
    let defaults = web::Settings::for_public_url("http://x");
    assert_eq!(
        defaults.header_read_timeout,
        std::time::Duration::from_secs(10)
    );
    assert_eq!(
        defaults.body_read_timeout,
        std::time::Duration::from_secs(30)
    );
    let t = spawn_on(TestDb::new(backend).await, slow_settings()).await;
    let addr = t.base.trim_start_matches("http://").to_string();

    // Half a header, then nothing.
    let mut slow = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    slow.write_all(b"GET /api/v1/diarium HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .expect("write");
    let started = std::time::Instant::now();
    let answer = answer_before_close(&mut slow, std::time::Duration::from_secs(6)).await;
    assert!(answer.is_some(), "still open after 6 s");
    assert!(started.elapsed() < std::time::Duration::from_secs(4));

    // Headers in full, and half a body.
    let mut slow = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    slow.write_all(
        b"POST /api/v1/submissions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"kind\": ",
    )
    .await
    .expect("write");
    let answer = answer_before_close(&mut slow, std::time::Duration::from_secs(6))
        .await
        .expect("still open after 6 s");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    // A request sent in time is served as ever, on the same server.
    assert_eq!(
        t.http
            .get(t.url("/api/v1/diarium"))
            .send()
            .await
            .expect("diarium")
            .status(),
        200
    );
    t.finish().await;
}
both!(slow_headers_and_bodies_are_cut_off);

/// Finding 7: live-result streams are capped per client address.
async fn live_streams_are_capped_per_client(backend: Backend) {
    let mut s = settings(100_000);
    s.behind_proxy = true;
    let limit = web::Settings::for_public_url("http://x").live_stream_limit;
    assert_eq!(limit, 20);
    s.live_stream_limit = limit;
    let t = spawn_on(TestDb::new(backend).await, s).await;
    let (code, _) = workshop(&t).await;
    let open = |ip: &'static str| {
        let (http, url) = (t.http.clone(), t.url(&format!("/workshop/{code}/live")));
        async move {
            http.get(url)
                .header("x-forwarded-for", ip)
                .send()
                .await
                .expect("live")
        }
    };
    let mut streams = Vec::new();
    for i in 0..limit {
        let res = open("10.0.0.1").await;
        assert_eq!(res.status(), 200, "stream {}", i + 1);
        streams.push(res);
    }
    assert_eq!(open("10.0.0.1").await.status(), 429);
    // Another address has streams of its own.
    assert_eq!(open("10.0.0.2").await.status(), 200);
    // A stream that ends gives its place back.
    drop(streams.pop());
    let mut again = 0;
    for _ in 0..50 {
        let res = open("10.0.0.1").await;
        if res.status() == 200 {
            again += 1;
            streams.push(res);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(again, 1, "the place of a closed stream is given back");
    drop(streams);
    t.finish().await;
}
both!(live_streams_are_capped_per_client);

/// Only codes that find no campaign count as guesses: a participant told "no pair now"
/// (404 on a code that exists) many times is not taken for a guesser.
async fn a_known_code_answering_404_is_no_guess(backend: Backend) {
    let limit = web::Settings::for_public_url("http://x").lookup_miss_limit;
    let mut s = settings(100_000);
    s.lookup_miss_limit = limit;
    let t = spawn_on(TestDb::new(backend).await, s).await;
    let (code, fac) = workshop(&t).await;
    let ideas = read_campaign(&t, &code, Some(&fac)).await["ideas"].clone();
    for idea in ideas.as_array().expect("ideas").iter().skip(1) {
        let id = idea["id"].as_str().expect("id");
        let path = format!("/api/v1/campaigns/{code}/ideas/{id}/status");
        let res = facilitate(&t, &fac, &path, json!({ "status": "withdrawn" })).await;
        assert_eq!(res.status(), 200);
    }
    let phase = format!("/api/v1/campaigns/{code}/phase");
    let res = facilitate(&t, &fac, &phase, json!({ "phase": "voting" })).await;
    assert_eq!(res.status(), 200);
    let token = join_as(&t, &code)
        .await
        .json::<Value>()
        .await
        .expect("json")["token"]
        .as_str()
        .expect("token")
        .to_string();
    for _ in 0..(limit + 10) {
        let res = t
            .http
            .get(t.url(&format!("/api/v1/campaigns/{code}/pair")))
            .header("x-participant-token", &token)
            .send()
            .await
            .expect("pair");
        assert_eq!(res.status(), 404, "one active idea: no pair");
    }
    let res = t
        .http
        .get(t.url(&format!("/api/v1/campaigns/{code}")))
        .send()
        .await
        .expect("campaign");
    assert_eq!(res.status(), 200);
    t.finish().await;
}
both!(a_known_code_answering_404_is_no_guess);
