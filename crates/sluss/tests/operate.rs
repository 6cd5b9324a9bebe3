//! What a region's IT department runs: `sluss backup` while Sluss serves (the copy serves
//! the same register), `sluss move` from SQLite to PostgreSQL (the register, a citizen's
//! follow-up link and an API token work the same on the other side; an interrupted move
//! leaves no rows and can be run again), and `sluss migrate --status`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

mod support;
use support::{BIN, cli, fresh_database, run, serve, stop};

/// Runs a `sluss` command that must fail; returns what it printed to stderr.
fn refused(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run sluss");
    assert!(
        !out.status.success(),
        "sluss {args:?} should have failed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn file_of(sqlite_url: &str) -> std::path::PathBuf {
    sqlite_url.trim_start_matches("sqlite://").into()
}

/// A submission with an e-mail address, as a citizen hands it in; returns its reference
/// and follow-up link.
async fn submit(http: &reqwest::Client, base: &str, title: &str) -> (String, String) {
    let res = http
        .post(format!("{base}/api/v1/submissions"))
        .json(&json!({
            "kind": "idea",
            "title": title,
            "description": "Ett enklare sätt att boka om en tid, direkt från kallelsen.",
            "submitter_role": "patient",
            "organisation": app::demo::REGION,
            "contact_email": "medborgare@example.se",
        }))
        .send()
        .await
        .expect("submit");
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let body: Value = res.json().await.expect("json");
    (
        body["reference"].as_str().expect("reference").to_string(),
        body["follow_up_url"]
            .as_str()
            .expect("follow-up link")
            .to_string(),
    )
}

/// The whole public register, page by page.
async fn register(http: &reqwest::Client, base: &str) -> Vec<Value> {
    let mut items = Vec::new();
    for page in 1.. {
        let body: Value = http
            .get(format!("{base}/api/v1/diarium?page={page}"))
            .send()
            .await
            .expect("diarium")
            .json()
            .await
            .expect("json");
        let page_items = body["items"].as_array().expect("items").clone();
        if page_items.is_empty() {
            break;
        }
        items.extend(page_items);
    }
    items
}

/// What a citizen's follow-up link shows, with the address of the server taken out.
async fn follow_up(http: &reqwest::Client, link_on: &str) -> String {
    let res = http.get(link_on).send().await.expect("follow-up page");
    assert_eq!(res.status(), 200, "{link_on}");
    res.text().await.expect("text")
}

/// The advisor's view of the inbox through an API token.
async fn inbox(http: &reqwest::Client, base: &str, token: &str) -> Value {
    let res = http
        .get(format!("{base}/api/v1/submissions"))
        .bearer_auth(token)
        .send()
        .await
        .expect("inbox");
    assert_eq!(res.status(), 200, "the token is accepted");
    res.json().await.expect("json")
}

fn on(base: &str, link: &str) -> String {
    let path = &link[link.find("/folj/").expect("a follow-up path")..];
    format!("{base}{path}")
}

#[tokio::test]
async fn a_backup_taken_while_serving_serves_the_same_register() {
    let db = fresh_database("backup", "sqlite").await.expect("sqlite");
    cli(&db, &["demo"]);
    app::oidc::install_tls();
    let http = reqwest::Client::new();
    let (server, base) = serve(&db, &["--public-write-limit", "100000"]);
    let (_, link) = submit(&http, &base, "Omboka tider i appen").await;
    let before = register(&http, &base).await;
    let dir = file_of(&db).parent().expect("dir").to_path_buf();

    // A copy while the server serves, and one while it takes submissions.
    let copy = dir.join("copy.db");
    let copy_str = copy.display().to_string();
    let said = cli(&db, &["backup", "--out", &copy_str]);
    assert!(
        said.contains("Backed up") && said.contains("checked"),
        "{said}"
    );
    let writer = {
        let (http, base) = (http.clone(), base.clone());
        tokio::spawn(async move {
            for i in 0..40 {
                submit(
                    &http,
                    &base,
                    &format!("Idé nummer {i} under säkerhetskopian"),
                )
                .await;
            }
        })
    };
    let during = dir.join("during.db");
    cli(&db, &["backup", "--out", &during.display().to_string()]);
    writer.await.expect("writer");
    let after = register(&http, &base).await;

    // Refused: a name that exists (the file there is left as it was) and a folder that
    // does not.
    let kept = std::fs::read(&copy).expect("copy");
    let e = refused(&["backup", "--database-url", &db, "--out", &copy_str]);
    assert!(e.contains("exists already"), "{e}");
    assert_eq!(
        std::fs::read(&copy).expect("copy"),
        kept,
        "the old copy is untouched"
    );
    let e = refused(&[
        "backup",
        "--database-url",
        &db,
        "--out",
        "/no/such/folder/x.db",
    ]);
    assert!(e.contains("is not a directory that exists"), "{e}");
    let e = refused(&[
        "backup",
        "--database-url",
        &format!("sqlite://{}/missing.db", dir.display()),
        "--out",
        &dir.join("x.db").display().to_string(),
    ]);
    assert!(e.contains("there is no database"), "{e}");
    assert!(
        !dir.join("missing.db").exists(),
        "a missing database is not created"
    );
    stop(server);

    // Restore: serve the copy. Its register is the one at the time of the copy, and the
    // citizen's link works.
    let (restored, restored_base) = serve(&format!("sqlite://{copy_str}"), &[]);
    assert_eq!(register(&http, &restored_base).await, before);
    assert!(
        follow_up(&http, &on(&restored_base, &link))
            .await
            .contains("Omboka tider i appen")
    );
    stop(restored);
    // The copy taken under load holds the register of one moment between the two.
    let (mid, mid_base) = serve(&format!("sqlite://{}", during.display()), &[]);
    let seen = register(&http, &mid_base).await;
    stop(mid);
    assert!(
        before.len() <= seen.len() && seen.len() <= after.len(),
        "{} ≤ {} ≤ {}",
        before.len(),
        seen.len(),
        after.len()
    );
    assert_eq!(
        seen.iter().collect::<Vec<_>>(),
        after[after.len() - seen.len()..].iter().collect::<Vec<_>>(),
        "the copy is the register as it was at one moment: the newest entries are missing, nothing else"
    );
}

#[tokio::test]
async fn a_move_to_postgres_keeps_the_register_links_and_tokens() {
    let Some(target) = fresh_database("move", "postgres").await else {
        return;
    };
    let source = fresh_database("move", "sqlite").await.expect("sqlite");
    cli(&source, &["demo", "--scale", "small"]);
    let token = cli(
        &source,
        &["token", "create", "--email", "advisor@demo.sluss.se"],
    )
    .lines()
    .last()
    .expect("a token")
    .to_string();
    app::oidc::install_tls();
    let http = reqwest::Client::new();
    let (server, base) = serve(&source, &[]);
    let (reference, link) = submit(&http, &base, "Omboka tider i appen").await;
    let register_before = register(&http, &base).await;
    let page_before = follow_up(&http, &on(&base, &link)).await;
    let inbox_before = inbox(&http, &base, &token).await;
    stop(server);
    assert!(register_before.len() > 300, "the demo at scale is there");

    // A source whose schema is newer than this binary is refused, and so is a target that
    // is not a database of ours.
    let dir = file_of(&source).parent().expect("dir").to_path_buf();
    let newer = dir.join("newer.db");
    std::fs::copy(file_of(&source), &newer).expect("copy");
    {
        let db = store::Db::connect_existing(&format!("sqlite://{}", newer.display()))
            .await
            .expect("open");
        let mut tx = db.write().await.expect("write");
        tx.execute(store::sql(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', '2030-01-01T00:00:00Z')",
        ))
        .await
        .expect("insert");
        tx.commit().await.expect("commit");
        db.close().await;
    }
    let e = refused(&[
        "move",
        "--from",
        &format!("sqlite://{}", newer.display()),
        "--to",
        &target,
    ]);
    assert!(e.contains("newer than this sluss knows"), "{e}");

    // A move killed half-way leaves the schema and no rows.
    let mut child = Command::new(BIN)
        .args(["move", "--from", &source, "--to", &target])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sluss move");
    let lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    for line in lines {
        if line.expect("read").starts_with("pair_offers") {
            child.kill().expect("SIGKILL");
            break;
        }
    }
    assert!(
        !child.wait().expect("wait").success(),
        "killed before it finished"
    );
    let pg = store::Db::connect_existing(&target)
        .await
        .expect("open target");
    {
        let mut tx = pg.read().await.expect("read");
        for table in [
            "events",
            "submissions",
            "cases",
            "users",
            "reference_counters",
        ] {
            let (n,): (i64,) = tx
                .fetch_one(store::Sql::dynamic(
                    format!("SELECT COUNT(*) FROM {table}"),
                    vec![],
                ))
                .await
                .expect("count");
            assert_eq!(n, 0, "{table} after the interrupted move");
        }
    }

    // The move, run again, completes and says what it moved.
    let said = run(&["move", "--from", &source, "--to", &target]);
    assert!(said.contains("checksum agree"), "{said}");
    assert!(
        said.lines()
            .any(|l| l.trim_start().starts_with("submissions") && l.contains(" 301 rows")),
        "{said}"
    );

    // Sluss on PostgreSQL: the same register, the same follow-up page, the token works.
    let (server, pg_base) = serve(&target, &[]);
    assert_eq!(register(&http, &pg_base).await, register_before);
    assert_eq!(
        follow_up(&http, &on(&pg_base, &link)).await,
        page_before,
        "the citizen's follow-up link shows the same page"
    );
    assert_eq!(inbox(&http, &pg_base, &token).await, inbox_before);
    // The diarienummer series goes on where it stood.
    let (next, _) = submit(&http, &pg_base, "Nästa idé efter flytten").await;
    let seq = |r: &str| {
        r.rsplit('/')
            .next()
            .unwrap_or_default()
            .parse::<u32>()
            .unwrap_or(0)
    };
    assert_eq!(seq(&next), seq(&reference) + 1, "{reference} → {next}");
    stop(server);

    // Once it holds rows, the target is refused, and left as it is.
    let e = refused(&["move", "--from", &source, "--to", &target]);
    assert!(e.contains("is not empty"), "{e}");
    let mut tx = pg.read().await.expect("read");
    let (n,): (i64,) = tx
        .fetch_one(store::sql("SELECT COUNT(*) FROM submissions"))
        .await
        .expect("count");
    assert_eq!(n, 302);
    drop(tx);
    pg.close().await;
}

#[tokio::test]
async fn migrate_status_lists_applied_and_pending_without_applying() {
    let db = fresh_database("status", "sqlite").await.expect("sqlite");
    // A database that does not exist is not created by a look at its status.
    let e = refused(&["migrate", "--status", "--database-url", &db]);
    assert!(e.contains("there is no database"), "{e}");
    cli(&db, &["migrate"]);
    let said = cli(&db, &["migrate", "--status"]);
    let latest = store::migrate::latest();
    assert!(said.contains("Nothing is pending."), "{said}");
    assert!(
        said.lines()
            .any(|l| l.trim_start().starts_with(&format!("{latest} ")) && l.contains("applied")),
        "{said}"
    );
    let conn = store::Db::connect_existing(&db).await.expect("open");
    let mut tx = conn.write().await.expect("write");
    tx.execute(store::sql(
        "DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)",
    ))
    .await
    .expect("forget the last");
    tx.execute(store::sql(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', '2030-01-01T00:00:00Z')",
    ))
    .await
    .expect("insert");
    tx.commit().await.expect("commit");
    conn.close().await;
    let said = cli(&db, &["migrate", "--status"]);
    assert!(said.contains("1 pending"), "{said}");
    assert!(said.contains("by a newer sluss"), "{said}");
    // A binary older than its database refuses to start on it.
    let e = refused(&["serve", "--bind", "127.0.0.1:0", "--database-url", &db]);
    assert!(e.contains("newer than this sluss knows"), "{e}");
}

/// `sluss token create --expires-in-days`, `token list`, `token revoke` and `user
/// deactivate` (issue 17, finding 10), on a server that is running: what is revoked or
/// deactivated stops working at once.
async fn token_lifecycle_on(backend: &str) {
    let Some(db) = fresh_database("tokens", backend).await else {
        return;
    };
    cli(
        &db,
        &["org", "add", "--slug", "region", "--name", "Regionen"],
    );
    let add = |email: &str| {
        cli(
            &db,
            &[
                "user",
                "add",
                "--email",
                email,
                "--name",
                "Ada Admin",
                "--org",
                "region",
                "--role",
                "advisor",
                "--password",
                "ett-långt-lösenord",
            ],
        )
    };
    add("ada@x.se");
    let create = |days: &str| {
        let out = cli(
            &db,
            &[
                "token",
                "create",
                "--email",
                "ada@x.se",
                "--expires-in-days",
                days,
            ],
        );
        out.lines().last().expect("the token").trim().to_string()
    };
    let first = create("30");
    let second = create("365");
    let listed = cli(&db, &["token", "list", "--email", "ada@x.se"]);
    let ids: Vec<String> = listed
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    assert_eq!(ids.len(), 2, "{listed}");
    let in_30 = domain::time::Timestamp::now().plus_days(30).date_string();
    let in_365 = domain::time::Timestamp::now().plus_days(365).date_string();
    assert!(
        listed.lines().nth(2).is_some_and(|l| l.contains(&in_30)),
        "{listed}"
    );
    assert!(
        listed.lines().nth(3).is_some_and(|l| l.contains(&in_365)),
        "{listed}"
    );
    assert!(!listed.contains("sluss_"), "a token shown again: {listed}");
    let e = refused(&[
        "token",
        "create",
        "--email",
        "ada@x.se",
        "--expires-in-days",
        "0",
        "--database-url",
        &db,
    ]);
    assert!(e.contains("expires-in-days"), "{e}");

    app::oidc::install_tls();
    let http = reqwest::Client::new();
    let (server, base) = serve(&db, &[]);
    let status = |token: String| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            http.get(format!("{base}/api/v1/submissions"))
                .bearer_auth(token)
                .send()
                .await
                .expect("request")
                .status()
                .as_u16()
        }
    };
    assert_eq!(status(first.clone()).await, 200);
    assert_eq!(status(second.clone()).await, 200);
    // Revoked by the first part of its id, while serving.
    let said = cli(&db, &["token", "revoke", &ids[0][..13]]);
    assert!(said.contains(&ids[0]), "{said}");
    assert_eq!(status(first).await, 401);
    assert_eq!(status(second.clone()).await, 200);
    let e = refused(&["token", "revoke", "ffffffff-0000", "--database-url", &db]);
    assert!(e.contains("no API token"), "{e}");
    let listed = cli(&db, &["token", "list", "--email", "ada@x.se"]);
    let today = domain::time::Timestamp::now().date_string();
    assert!(
        listed
            .lines()
            .nth(2)
            .is_some_and(|l| l.trim_end().ends_with("UTC") && l.matches(&today).count() == 3),
        "created, last used and revoked today: {listed}"
    );

    let said = cli(&db, &["user", "deactivate", "--email", "ada@x.se"]);
    assert!(said.contains("1 API token(s) revoked"), "{said}");
    assert_eq!(status(second).await, 401);
    let e = refused(&[
        "token",
        "create",
        "--email",
        "ada@x.se",
        "--database-url",
        &db,
    ]);
    assert!(e.contains("no such user"), "{e}");
    stop(server);
}

#[tokio::test]
async fn token_lifecycle_sqlite() {
    token_lifecycle_on("sqlite").await;
}

#[tokio::test]
async fn token_lifecycle_postgres() {
    token_lifecycle_on("postgres").await;
}
