//! Stored process templates: built-ins at start, validated uploads, versions kept, and the
//! version a region uses.

use crate::both;
use crate::support::{Backend, settings, spawn, spawn_on};
use app::{AppError, Caller};

async fn caller(t: &crate::support::TestApp, email: &str) -> Caller {
    let pw = format!("pw-{email}-long-enough");
    let token = app::auth::login(&t.app, email, &pw).await.unwrap();
    app::auth::caller_for_session(&t.app, &token).await.unwrap()
}

async fn templates_are_stored_validated_and_activated(backend: Backend) {
    let t = spawn(backend).await;
    // The built-ins are stored when the app opens, once.
    let list = app::processes::list(&t.app).await.unwrap();
    let keys: Vec<(&str, i64, bool)> = list
        .iter()
        .map(|r| (r.template_key.as_str(), r.version, r.built_in))
        .collect();
    assert_eq!(keys, vec![("blekinge", 1, true), ("spelplanen", 1, true)]);
    assert_eq!(app::processes::install_built_ins(&t.app).await.unwrap(), 0);

    t.org("region-a", None).await;
    t.org("unit-a", Some("region-a")).await;
    t.org("region-b", None).await;
    t.user("owner@x.se", "region-a", "process_owner").await;
    t.user("owner-b@x.se", "region-b", "process_owner").await;
    t.user("staff@x.se", "region-a", "staff").await;
    let owner = caller(&t, "owner@x.se").await;
    let staff = caller(&t, "staff@x.se").await;
    let owner_b = caller(&t, "owner-b@x.se").await;

    // Uploading needs a process owner or an administrator.
    let v2 = domain::process::BUILT_IN[0]
        .1
        .replacen("version = 1", "version = 2", 1);
    assert!(matches!(
        app::processes::upload(&t.app, &staff, "region-a", &v2).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        app::processes::upload(&t.app, &Caller::Public, "region-a", &v2).await,
        Err(AppError::Unauthenticated)
    ));
    let stored = app::processes::upload(&t.app, &owner, "region-a", &v2)
        .await
        .unwrap();
    assert_eq!(
        (
            stored.template_key.as_str(),
            stored.version,
            stored.built_in
        ),
        ("spelplanen", 2, false)
    );
    assert_eq!(stored.source, v2, "the source is kept as uploaded");
    // A version is never replaced.
    assert!(matches!(
        app::processes::upload(&t.app, &owner, "region-a", &v2).await,
        Err(AppError::Conflict(app::Conflict::TemplateVersionExists))
    ));
    // A malformed template is refused with its lines, and nothing is stored.
    let bad = v2.replacen("version = 2", "version = 3", 1).replacen(
        "role = \"decision_maker\"",
        "role = \"chief\"",
        1,
    );
    match app::processes::upload(&t.app, &owner, "region-a", &bad).await {
        Err(AppError::Template(problems)) => {
            assert_eq!(problems.len(), 1);
            assert_eq!(problems[0].field, "phases[1].gate.role");
            assert_eq!(
                problems[0].line,
                bad.lines().position(|l| l.contains("chief")).unwrap() + 1
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(app::processes::list(&t.app).await.unwrap().len(), 3);

    // Activation is per region, by that region's process owner.
    assert!(matches!(
        app::processes::activate(&t.app, &owner, "unit-a", stored.id.as_str()).await,
        Err(AppError::Validation(_))
    ));
    assert!(matches!(
        app::processes::activate(&t.app, &owner_b, "region-a", stored.id.as_str()).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        app::processes::activate(&t.app, &owner, "region-a", "no-such-id").await,
        Err(AppError::NotFound)
    ));
    app::processes::activate(&t.app, &owner, "region-a", stored.id.as_str())
        .await
        .unwrap();
    let active = app::processes::active_in(&t.app, "region-a").await.unwrap();
    assert_eq!(
        active.iter().map(|r| r.version).collect::<Vec<_>>(),
        vec![2]
    );
    // Going back to version 1 replaces the choice; region B is untouched.
    let v1 = app::processes::list(&t.app)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.template_key == "spelplanen" && r.version == 1)
        .unwrap();
    app::processes::activate(&t.app, &owner, "region-a", v1.id.as_str())
        .await
        .unwrap();
    assert_eq!(
        app::processes::active_in(&t.app, "region-a").await.unwrap()[0].version,
        1
    );
    assert!(
        app::processes::active_in(&t.app, "region-b")
            .await
            .unwrap()
            .is_empty()
    );

    // After a restart nothing is stored twice.
    let db = t.stop().await;
    let t = spawn_on(db, settings(100_000)).await;
    assert_eq!(app::processes::list(&t.app).await.unwrap().len(), 3);
    t.finish().await;
}
both!(templates_are_stored_validated_and_activated);

/// Posts the upload form of `/processer` as a signed-in process owner.
async fn upload_form(
    t: &crate::support::TestApp,
    c: &reqwest::Client,
    region: &str,
    source: &str,
) -> reqwest::Response {
    let csrf = t.csrf(c, "/processer").await;
    c.post(t.url("/processer"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("region", region),
            ("source", source),
            ("action", "save"),
        ])
        .send()
        .await
        .unwrap()
}

/// A region's upload is its own: another region without an activation keeps the built-in
/// version, cannot activate or see the upload, and nobody uploads for a region they do not
/// manage.
async fn one_region_never_sets_another_regions_process(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("region-b", None).await;
    let pw_a = t.user("owner-a@x.se", "region-a", "process_owner").await;
    let pw_b = t.user("owner-b@x.se", "region-b", "process_owner").await;
    t.user("advisor-b@x.se", "region-b", "advisor").await;
    let adv_b = t.token("advisor-b@x.se").await;
    let a = t.browser_login("owner-a@x.se", &pw_a).await;
    let b = t.browser_login("owner-b@x.se", &pw_b).await;
    // Version 2 of Spelplanen with every gate passable by a company.
    let spelplanen = domain::process::BUILT_IN
        .iter()
        .find(|(_, s)| s.contains("key = \"spelplanen\""))
        .unwrap()
        .1;
    let v2 = spelplanen
        .replacen("version = 1", "version = 2", 1)
        .replace("role = \"decision_maker\"", "role = \"company\"")
        .replace("role = \"advisor\"", "role = \"company\"");

    // Region A's owner may not upload for region B; nothing is stored.
    let events = t.event_count().await;
    assert_eq!(upload_form(&t, &a, "region-b", &v2).await.status(), 403);
    assert_eq!(app::processes::list(&t.app).await.unwrap().len(), 2);
    assert_eq!(t.event_count().await, events);
    // For its own region it may.
    assert_eq!(upload_form(&t, &a, "region-a", &v2).await.status(), 303);
    let stored = app::processes::list(&t.app).await.unwrap();
    let v2_id = stored
        .iter()
        .find(|r| r.template_key == "spelplanen" && r.version == 2)
        .unwrap()
        .id
        .clone();

    // Region A's owner sees it, marked with the region it belongs to.
    let html = a
        .get(t.url("/processer"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(v2_id.as_str()) && html.contains("Uppladdad (Org region-a)"),
        "{html}"
    );

    // Region B has no activation: its new cases follow the built-in version 1.
    let res = t
        .http
        .post(t.url("/api/v1/cases"))
        .bearer_auth(&adv_b)
        .json(&serde_json::json!({ "title": "Ett ärende", "description": "x", "unit": "region-b", "template": "spelplanen" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let case: serde_json::Value = t
        .api_get(&adv_b, &format!("/api/v1/cases/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(case["template"]["version"], 1, "{case}");
    // Region A's upload cannot be chosen by id in region B either.
    let res = t
        .http
        .post(t.url("/api/v1/cases"))
        .bearer_auth(&adv_b)
        .json(&serde_json::json!({ "title": "Ett ärende", "description": "x", "unit": "region-b", "template": v2_id }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);

    // Region B's owner can neither activate region A's upload nor see it.
    let csrf = t.csrf(&b, "/processer").await;
    let res = b
        .post(t.url("/processer/aktivera"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("region", "region-b"),
            ("template", v2_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(
        app::processes::active_in(&t.app, "region-b")
            .await
            .unwrap()
            .is_empty()
    );
    let html = b
        .get(t.url("/processer"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains(v2_id.as_str()),
        "region A's upload is not listed for B"
    );
    // Region B may upload a version 2 of its own: versions are counted per region.
    assert_eq!(upload_form(&t, &b, "region-b", &v2).await.status(), 303);
    t.finish().await;
}
both!(one_region_never_sets_another_regions_process);
