//! Organisations and units on the administration pages, on both databases: an
//! administrator of a region adds a unit, renames and moves one within the region, never
//! under itself; another region's administrator is told it does not exist; the tree every
//! request reads follows at once; each change is an event.

use app::{AppError, Caller};

use crate::both;
use crate::support::{Backend, TestApp, spawn};

async fn caller(t: &TestApp, email: &str) -> Caller {
    let pw = format!("pw-{email}-long-enough");
    let token = app::auth::login(&t.app, email, &pw).await.unwrap();
    app::auth::caller_for_session(&t.app, &token).await.unwrap()
}

async fn id_of(t: &TestApp, slug: &str) -> domain::id::OrgId {
    let mut tx = t.app.db.read().await.unwrap();
    store::orgs::by_slug(&mut tx, slug)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn units_are_added_renamed_and_moved_within_the_region(backend: Backend) {
    let t = spawn(backend).await;
    t.org("ra", None).await;
    t.org("ra-1", Some("ra")).await;
    t.org("rb", None).await;
    t.user("admin@a.se", "ra", "admin").await;
    t.user("admin@b.se", "rb", "admin").await;
    t.user("unitadmin@a.se", "ra-1", "admin").await;
    let a = caller(&t, "admin@a.se").await;
    let b = caller(&t, "admin@b.se").await;
    let ra = id_of(&t, "ra").await;
    let ra1 = id_of(&t, "ra-1").await;

    // The tree: the region first, its unit below it.
    let regions = app::admin::units::regions(&t.app, &a).await.unwrap();
    let names: Vec<(String, usize)> = regions[0]
        .units
        .iter()
        .map(|u| (u.org.slug.clone(), u.depth))
        .collect();
    assert_eq!(names, [("ra".to_string(), 0), ("ra-1".to_string(), 1)]);
    // An administrator of a unit only administers no region.
    let unit_admin = caller(&t, "unitadmin@a.se").await;
    assert!(matches!(
        app::admin::units::regions(&t.app, &unit_admin).await,
        Err(AppError::Forbidden)
    ));

    // Add a unit under the unit; it takes the region's reference format.
    let events = t.event_count().await;
    let added = app::admin::units::add_unit(&t.app, &a, &ra1, "ra-1-x", "Enhet X")
        .await
        .unwrap();
    assert_eq!(added.parent_id.as_ref(), Some(&ra1));
    assert_eq!(t.event_count().await, events + 1);
    let tree = t.app.tree().await.unwrap();
    assert!(
        tree.all.iter().any(|o| o.id == added.id),
        "the tree follows"
    );
    // The same slug again is a conflict; another region's parent is not found.
    assert!(matches!(
        app::admin::units::add_unit(&t.app, &a, &ra, "ra-1-x", "Igen").await,
        Err(AppError::Conflict(_))
    ));
    assert!(matches!(
        app::admin::units::add_unit(&t.app, &b, &ra, "rb-x", "Annan").await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        app::admin::units::add_unit(&t.app, &b, &"no-such-id".into(), "rb-x", "Annan").await,
        Err(AppError::NotFound)
    ));

    // Rename, and move X up under the region.
    let moved = app::admin::units::change(&t.app, &a, &added.id, "Enhet Y", Some(ra.as_str()))
        .await
        .unwrap();
    assert_eq!(moved.name, "Enhet Y");
    assert_eq!(moved.parent_id.as_ref(), Some(&ra));
    let tree = t.app.tree().await.unwrap();
    let row = tree.all.iter().find(|o| o.id == added.id).unwrap();
    assert_eq!(row.name, "Enhet Y");
    assert_eq!(row.parent_id.as_ref(), Some(&ra));

    // Move the unit under itself, under its own child, or into another region: refused.
    app::admin::units::change(&t.app, &a, &added.id, "Enhet Y", Some(ra1.as_str()))
        .await
        .unwrap();
    for target in [ra1.as_str(), added.id.as_str()] {
        assert!(matches!(
            app::admin::units::change(&t.app, &a, &ra1, "Enhet 1", Some(target)).await,
            Err(AppError::Validation(_))
        ));
    }
    let rb = id_of(&t, "rb").await;
    assert!(matches!(
        app::admin::units::change(&t.app, &a, &ra1, "Enhet 1", Some(rb.as_str())).await,
        Err(AppError::Validation(_))
    ));
    // A region is not moved; another region's administrator does not find it.
    assert!(matches!(
        app::admin::units::change(&t.app, &a, &ra, "Region", Some(ra1.as_str())).await,
        Err(AppError::Validation(_))
    ));
    assert!(matches!(
        app::admin::units::change(&t.app, &b, &ra1, "Kapad", None).await,
        Err(AppError::NotFound)
    ));
    t.finish().await;
}
both!(units_are_added_renamed_and_moved_within_the_region);
