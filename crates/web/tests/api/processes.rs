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
        app::processes::upload(&t.app, &staff, &v2).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        app::processes::upload(&t.app, &Caller::Public, &v2).await,
        Err(AppError::Unauthenticated)
    ));
    let stored = app::processes::upload(&t.app, &owner, &v2).await.unwrap();
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
        app::processes::upload(&t.app, &owner, &v2).await,
        Err(AppError::Conflict("template_version_exists"))
    ));
    // A malformed template is refused with its lines, and nothing is stored.
    let bad = v2.replacen("version = 2", "version = 3", 1).replacen(
        "role = \"decision_maker\"",
        "role = \"chief\"",
        1,
    );
    match app::processes::upload(&t.app, &owner, &bad).await {
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
        app::processes::activate(&t.app, &owner, "unit-a", &stored.id).await,
        Err(AppError::Validation(_))
    ));
    assert!(matches!(
        app::processes::activate(&t.app, &owner_b, "region-a", &stored.id).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        app::processes::activate(&t.app, &owner, "region-a", "no-such-id").await,
        Err(AppError::NotFound)
    ));
    app::processes::activate(&t.app, &owner, "region-a", &stored.id)
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
    app::processes::activate(&t.app, &owner, "region-a", &v1.id)
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
