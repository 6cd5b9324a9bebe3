//! The organisation tree a node keeps (`app::access`): kept between requests, and forgotten
//! when an organisation is added, on this node at once and on every other node on the same
//! PostgreSQL database through the live channel. On SQLite always; on PostgreSQL when
//! `TEST_DATABASE_URL` is set (under CI it must be).

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::admin::{self, NewOrg};
use app::{App, Caller, Config, CurrentUser};
use domain::role::Role;
use store::events::Actor;

fn postgres_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "TEST_DATABASE_URL must be set under CI: the PostgreSQL half may not be skipped"
                );
            }
            eprintln!("TEST_DATABASE_URL is not set: skipping the PostgreSQL run of this test");
            None
        }
    }
}

/// A fresh database: a new SQLite file, or a new database on the PostgreSQL server.
struct TestDb {
    url: String,
    name: String,
    admin: Option<String>,
}

impl TestDb {
    async fn new(postgres: bool) -> Option<TestDb> {
        let name = format!("sluss_access_{}", uuid::Uuid::now_v7().simple());
        if !postgres {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            return Some(TestDb {
                url: format!("sqlite://{}", path.display()),
                name,
                admin: None,
            });
        }
        let admin = postgres_url()?;
        let server = store::Db::connect(&admin).await.expect("connect");
        server
            .run_alone(store::Sql::dynamic(
                format!("CREATE DATABASE {name}"),
                vec![],
            ))
            .await
            .expect("create database");
        server.close().await;
        let base = admin.split('?').next().unwrap_or(&admin);
        let cut = base.rfind('/').expect("a database name in the URL");
        Some(TestDb {
            url: format!("{}/{name}", &base[..cut]),
            name,
            admin: Some(admin),
        })
    }

    async fn open(&self) -> App {
        App::open(&self.url, Config::default()).await.expect("open")
    }

    async fn drop_db(self) {
        match self.admin {
            None => {
                let path = self.url.trim_start_matches("sqlite://").to_string();
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{path}{suffix}"));
                }
            }
            Some(admin) => {
                let server = store::Db::connect(&admin).await.expect("connect");
                let _ = server
                    .run_alone(store::Sql::dynamic(
                        format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
                        vec![],
                    ))
                    .await;
                server.close().await;
            }
        }
    }
}

async fn add_org(app: &App, slug: &str, parent: Option<&str>) -> domain::id::OrgId {
    admin::add_org(
        app,
        &Actor::System,
        NewOrg {
            slug,
            name: slug,
            parent,
            reference_format: None,
        },
    )
    .await
    .expect("add organisation")
    .id
}

/// An advisor in `org_id` (the use cases take the caller as the web layer builds it).
fn advisor_in(org_id: &domain::id::OrgId) -> Caller {
    Caller::User(CurrentUser {
        id: "00000000-0000-0000-0000-000000000001".into(),
        name: "Rådgivare".into(),
        email: "advisor@x.se".into(),
        memberships: vec![(org_id.clone(), Role::Advisor)],
    })
}

/// The units the caller may open a case in (a use case that goes through the tree).
async fn workable_units(app: &App, caller: &Caller) -> Vec<String> {
    let mut slugs: Vec<String> = app::cases::open_choices(app, caller)
        .await
        .expect("open choices")
        .units
        .into_iter()
        .map(|u| u.slug)
        .collect();
    slugs.sort();
    slugs
}

async fn a_unit_added_is_reachable_at_once(postgres: bool) {
    let Some(db) = TestDb::new(postgres).await else {
        return;
    };
    let app = db.open().await;
    let region = add_org(&app, "region-a", None).await;
    let advisor = advisor_in(&region);
    assert_eq!(workable_units(&app, &advisor).await, ["region-a"]);
    // Kept between requests: the same tree, not read again.
    let kept = app.tree().await.unwrap();
    assert!(Arc::ptr_eq(&kept, &app.tree().await.unwrap()));

    add_org(&app, "unit-b", Some("region-a")).await;
    assert_eq!(workable_units(&app, &advisor).await, ["region-a", "unit-b"]);
    assert!(!Arc::ptr_eq(&kept, &app.tree().await.unwrap()));
    app.db.close().await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_added_is_reachable_at_once_sqlite() {
    a_unit_added_is_reachable_at_once(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_added_is_reachable_at_once_postgres() {
    a_unit_added_is_reachable_at_once(true).await;
}

/// Two nodes on one PostgreSQL database: the second keeps its tree until the first adds a
/// unit, and hears of it through the live channel (well within the safety TTL).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_added_on_one_node_is_reachable_on_another() {
    let Some(db) = TestDb::new(true).await else {
        return;
    };
    let (a, b) = (db.open().await, db.open().await);
    let region = add_org(&a, "region-a", None).await;
    let advisor = advisor_in(&region);
    assert_eq!(workable_units(&b, &advisor).await, ["region-a"]);
    let kept = b.tree().await.unwrap();
    assert!(Arc::ptr_eq(&kept, &b.tree().await.unwrap()));

    add_org(&a, "unit-b", Some("region-a")).await;
    let started = Instant::now();
    while b.tree().await.unwrap().all.len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the second node did not hear of the new unit"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(started.elapsed() < app::access::TREE_TTL);
    assert_eq!(workable_units(&b, &advisor).await, ["region-a", "unit-b"]);
    a.db.close().await;
    b.db.close().await;
    db.drop_db().await;
}
