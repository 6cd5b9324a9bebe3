//! The public intake through the API: receipts, refusals, concurrency.

use crate::both;
use crate::support::{Backend, spawn, valid_submission};
use serde_json::{Value, json};

async fn submit_gives_reference_and_follow_up_link(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let body = t.submit_ok("region-a", "Digital incheckning").await;
    let year = time::OffsetDateTime::now_utc().year();
    assert_eq!(body["reference"], format!("{year}/00001"));
    assert_eq!(body["id"].as_str().unwrap().len(), 36);
    let link = body["follow_up_url"].as_str().unwrap();
    assert!(link.starts_with(&format!("{}/folj/", t.base)), "{link}");
    let page = t.http.get(link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("{year}/00001")));
    assert!(html.contains("Digital incheckning"));
    assert!(html.contains(">Ny<"), "status shown");
    // The follow-up page never shows the submitter's personal data.
    assert!(!html.contains("anna@example.se") && !html.contains("Anna Andersson"));
    // Submissions without an organisation go to the first region.
    let mut no_org = valid_submission("region-a", "Utan organisation");
    no_org.as_object_mut().unwrap().remove("organisation");
    let res = t.post_submission(&no_org).await;
    assert_eq!(res.status(), 201);
    assert_eq!(
        res.json::<Value>().await.unwrap()["reference"],
        format!("{year}/00002")
    );
    t.finish().await;
}
both!(submit_gives_reference_and_follow_up_link);

async fn refused_input_gives_422_per_field_and_writes_nothing(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let events_before = t.event_count().await;
    let cases: Vec<(&str, Value)> = vec![
        ("title", json!("")),
        ("title", json!("x".repeat(121))),
        ("kind", json!("wish")),
        ("kind", json!(5)),
        ("description", json!("för kort")),
        (
            "description",
            json!("<script>alert('x')</script> och lite mer text för längden"),
        ),
        ("submitter_role", json!("king")),
        ("organisation", json!("finns-inte")),
        ("contact_email", json!("not-an-address")),
        ("contact_name", json!("<b>Anna</b>")),
        ("consent", json!(false)),
    ];
    for (field, value) in cases {
        let mut body = valid_submission("region-a", "Ett giltigt behov");
        body[field] = value.clone();
        let res = t.post_submission(&body).await;
        assert_eq!(res.status(), 422, "{field} = {value}");
        let json: Value = res.json().await.unwrap();
        let errors = json["errors"].as_array().unwrap();
        let e = errors
            .iter()
            .find(|e| e["field"] == field)
            .unwrap_or_else(|| panic!("no error for {field}: {json}"));
        assert!(!e["message"].as_str().unwrap().is_empty());
    }
    // Every problem at once, and messages in the caller's language.
    let res = t
        .http
        .post(t.url("/api/v1/submissions"))
        .header("accept-language", "en")
        .json(&json!({ "kind": "", "title": "", "description": "", "submitter_role": "" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let json: Value = res.json().await.unwrap();
    let fields: Vec<&str> = json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in ["kind", "title", "description", "submitter_role"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    assert_eq!(json["errors"][0]["message"], "Fill in this field.");
    let sv: Value = t
        .post_submission(&json!({ "title": "" }))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        sv["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["message"] == "Fyll i fältet.")
    );
    // Not JSON at all.
    let res = t
        .http
        .post(t.url("/api/v1/submissions"))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(t.submission_count().await, 0, "nothing written");
    assert_eq!(t.event_count().await, events_before, "no event written");
    t.finish().await;
}
both!(refused_input_gives_422_per_field_and_writes_nothing);

async fn fifty_concurrent_submissions_get_fifty_consecutive_references(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("unit-a", Some("region-a")).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let http = t.http.clone();
        let url = t.url("/api/v1/submissions");
        // Half to the region, half to its unit: one series for both.
        let body = valid_submission(
            if i % 2 == 0 { "region-a" } else { "unit-a" },
            &format!("Samtidigt behov nummer {i}"),
        );
        tasks.push(tokio::spawn(async move {
            http.post(url).json(&body).send().await.unwrap()
        }));
    }
    let mut refs = Vec::new();
    for task in tasks {
        let res = task.await.unwrap();
        assert_eq!(res.status(), 201);
        refs.push(
            res.json::<Value>().await.unwrap()["reference"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    refs.sort();
    let year = time::OffsetDateTime::now_utc().year();
    let expected: Vec<String> = (1..=50).map(|n| format!("{year}/{n:05}")).collect();
    assert_eq!(refs, expected);
    assert_eq!(t.submission_count().await, 50);
    t.finish().await;
}
both!(fifty_concurrent_submissions_get_fifty_consecutive_references);

async fn regions_have_their_own_series_and_formats(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    app::admin::add_org(
        &t.app,
        &store::events::Actor::System,
        app::admin::NewOrg {
            slug: "region-b",
            name: "Region B",
            parent: None,
            reference_format: Some("RB-{year}-{seq:3}"),
        },
    )
    .await
    .unwrap();
    let a = t.submit_ok("region-a", "Behov i region A").await;
    let b = t.submit_ok("region-b", "Behov i region B").await;
    let year = time::OffsetDateTime::now_utc().year();
    assert_eq!(a["reference"], format!("{year}/00001"));
    assert_eq!(b["reference"], format!("RB-{year}-001"));
    t.finish().await;
}
both!(regions_have_their_own_series_and_formats);

async fn public_writes_are_rate_limited(backend: Backend) {
    let db = crate::support::TestDb::new(backend).await;
    let t = crate::support::spawn_on(db, crate::support::settings(3)).await;
    t.org("region-a", None).await;
    for _ in 0..3 {
        t.submit_ok("region-a", "Inom gränsen").await;
    }
    let res = t
        .post_submission(&valid_submission("region-a", "Över gränsen"))
        .await;
    assert_eq!(res.status(), 429);
    assert_eq!(t.submission_count().await, 3);
    // Sign-in has its own allowance: the blocked intake does not block it.
    let c = crate::support::client();
    let csrf = t.csrf(&c, "/logga-in").await;
    for attempt in 1..=4 {
        let res = c
            .post(t.url("/logga-in"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("email", "nobody@x.se"),
                ("password", "wrong-password"),
            ])
            .send()
            .await
            .unwrap();
        let expected = if attempt <= 3 { 401 } else { 429 };
        assert_eq!(res.status(), expected, "sign-in attempt {attempt}");
    }
    t.finish().await;
}
both!(public_writes_are_rate_limited);

async fn demo_data_loads_once_with_every_status(backend: Backend) {
    let t = spawn(backend).await;
    let users = app::demo::load(&t.app).await.unwrap();
    assert_eq!(users.len(), 10, "one user per role");
    let again = app::demo::load(&t.app).await.unwrap();
    assert_eq!(again.len(), 10);
    assert_eq!(
        t.submission_count().await,
        30,
        "loading twice changes nothing"
    );
    let mut tx = t.app.db.read().await.unwrap();
    let statuses: Vec<(String,)> = tx
        .fetch_all(store::sql(
            "SELECT DISTINCT status FROM submissions ORDER BY status",
        ))
        .await
        .unwrap();
    let statuses: Vec<String> = statuses.into_iter().map(|s| s.0).collect();
    assert_eq!(
        statuses,
        vec![
            "accepted",
            "awaiting_info",
            "duplicate",
            "in_review",
            "new",
            "rejected"
        ]
    );
    drop(tx);
    // Every demo password signs in.
    for u in &users {
        app::auth::login(&t.app, &u.email, &u.password)
            .await
            .unwrap();
    }
    // A unit cannot be given its own series.
    let e = app::admin::add_org(
        &t.app,
        &store::events::Actor::System,
        app::admin::NewOrg {
            slug: "ny-enhet",
            name: "Ny enhet",
            parent: Some("region-sydost"),
            reference_format: Some("E-{seq}"),
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, app::AppError::Validation(ref f) if f.has("reference_format")),
        "{e:?}"
    );
    t.finish().await;
}
both!(demo_data_loads_once_with_every_status);

/// Characters that hide or reorder text (a right-to-left override turns "gpj.exe" into
/// what looks like "exe.jpg"; a zero-width space splits a word invisibly) are refused in
/// every text field, with the field named and a message in each language; nothing is
/// written.
async fn hidden_and_reordering_characters_are_refused(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let (events, submissions) = (t.event_count().await, t.submission_count().await);
    for (field, value) in [
        ("title", "Faktura\u{202E}gpj.exe"),
        ("title", "Ett\u{200B}behov i vården"),
        ("title", "\u{FEFF}Ett behov i vården"),
        ("title", "Ett behov \u{2066}i vården\u{2069}"),
        ("contact_name", "Anna\u{200F} Andersson"),
        (
            "description",
            "Patienter står i kö vid receptionen\u{202D} varje morgon.",
        ),
    ] {
        let mut body = valid_submission("region-a", "Ett giltigt behov");
        body[field] = json!(value);
        let res = t.post_submission(&body).await;
        assert_eq!(res.status(), 422, "{field} = {value:?}");
        let json: Value = res.json().await.unwrap();
        let e = &json["errors"][0];
        assert_eq!(
            (e["field"].as_str(), e["code"].as_str()),
            (Some(field), Some("hidden_characters")),
            "{json}"
        );
        assert!(
            e["message"].as_str().unwrap().contains("osynliga"),
            "in Swedish by default: {json}"
        );
    }
    let mut body = valid_submission("region-a", "Faktura\u{202E}gpj.exe");
    body["title"] = json!("Faktura\u{202E}gpj.exe");
    let res = t
        .http
        .post(t.url("/api/v1/submissions"))
        .header("accept-language", "en")
        .json(&body)
        .send()
        .await
        .unwrap();
    let json: Value = res.json().await.unwrap();
    assert!(
        json["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("invisible"),
        "{json}"
    );
    assert_eq!(
        (t.event_count().await, t.submission_count().await),
        (events, submissions),
        "nothing written"
    );
    // Line breaks and tabs stay allowed where a field has lines; letters of any script too.
    let mut body = valid_submission("region-a", "Behov på vårdcentralen – حاجة");
    body["description"] =
        json!("Patienter står i kö vid receptionen.\n\tVarje morgon, trots bokad tid.");
    let res = t.post_submission(&body).await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    t.finish().await;
}
both!(hidden_and_reordering_characters_are_refused);
