//! The store on both databases: migrations, the reference counter, the event log. Runs on
//! a fresh SQLite file, and on PostgreSQL when `TEST_DATABASE_URL` is set (always under CI).

use store::{Db, StoreError, orgs, references, sql};

async fn with_db(test: &str, f: impl AsyncFn(Db)) {
    // SQLite: a fresh file.
    let path = std::env::temp_dir().join(format!("sluss-store-{test}-{}.db", uuid_like()));
    let db = Db::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    f(db.clone()).await;
    db.close().await;
    let _ = std::fs::remove_file(&path);
    // PostgreSQL: a fresh database.
    let admin = match std::env::var("TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            assert!(
                std::env::var("CI").map(|v| v != "true").unwrap_or(true),
                "TEST_DATABASE_URL must be set under CI"
            );
            eprintln!("TEST_DATABASE_URL not set: PostgreSQL run of {test} skipped");
            return;
        }
    };
    let name = format!("sluss_store_{}", uuid_like());
    raw(&admin, &format!("CREATE DATABASE {name}")).await;
    let cut = admin.split('?').next().unwrap().rfind('/').unwrap();
    let url = format!("{}/{name}", &admin[..cut]);
    let db = Db::connect(&url).await.unwrap();
    f(db.clone()).await;
    db.close().await;
    raw(
        &admin,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    )
    .await;
}

/// CREATE and DROP DATABASE cannot run in a transaction: a plain connection runs them.
async fn raw(url: &str, statement: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_string()))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

fn uuid_like() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

/// The versions of the migrations from `first` on: those an older database still lacks.
fn versions_from(first: i64) -> Vec<i64> {
    store::migrate::MIGRATIONS
        .iter()
        .map(|m| m.0)
        .filter(|v| *v >= first)
        .collect()
}

#[tokio::test]
async fn migrations_apply_once_and_again() {
    with_db("migrate", async |db| {
        let all: Vec<i64> = store::migrate::MIGRATIONS.iter().map(|m| m.0).collect();
        // In order from 1, each once, none left out.
        assert_eq!(all, (1..=all.len() as i64).collect::<Vec<_>>());
        assert_eq!(store::migrate::run(&db).await.unwrap(), all);
        assert!(
            store::migrate::run(&db).await.unwrap().is_empty(),
            "second run applies nothing"
        );
        let mut tx = db.read().await.unwrap();
        let (n,): (i64,) = tx
            .fetch_one(sql("SELECT COUNT(*) FROM schema_migrations"))
            .await
            .unwrap();
        assert_eq!(n, all.len() as i64);
    })
    .await;
}

/// Each applied migration's checksum is kept; a database whose record was written before
/// checksums were kept adopts this binary's; an applied migration whose text differs
/// from this binary's stops the start, naming it.
#[tokio::test]
async fn a_changed_migration_stops_the_start_naming_it() {
    with_db("checksums", async |db| {
        store::migrate::run(&db).await.unwrap();
        let mut tx = db.read().await.unwrap();
        let sums: Vec<(i64, Option<String>)> = tx
            .fetch_all(sql(
                "SELECT version, checksum FROM schema_migrations ORDER BY version",
            ))
            .await
            .unwrap();
        drop(tx);
        for ((version, sum), (v, _, script)) in sums.iter().zip(store::migrate::MIGRATIONS) {
            assert_eq!(version, v);
            assert_eq!(
                sum.as_deref(),
                Some(store::migrate::checksum(script.text(db.backend())).as_str())
            );
        }

        // As the runner before checksums left it: no column. It is added and adopted.
        let mut tx = db.write().await.unwrap();
        tx.execute(sql("ALTER TABLE schema_migrations DROP COLUMN checksum"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(
            store::migrate::status(&db)
                .await
                .unwrap()
                .iter()
                .all(|m| !m.changed)
        );
        assert!(store::migrate::run(&db).await.unwrap().is_empty());

        // Migration 3 as if its text had been edited after it was applied.
        let mut tx = db.write().await.unwrap();
        tx.execute(sql(
            "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 3",
        ))
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let e = store::migrate::run(&db).await.unwrap_err().to_string();
        assert!(
            e.contains("migration 3 (cases)") && e.contains("never edited"),
            "{e}"
        );
        let status = store::migrate::status(&db).await.unwrap();
        assert_eq!(
            status
                .iter()
                .filter(|m| m.changed)
                .map(|m| m.version)
                .collect::<Vec<_>>(),
            vec![3]
        );
    })
    .await;
}

/// A migration runs as one script, so a trigger's body may span lines and hold several
/// statements (the runner once split scripts at every ";" ending a line).
#[tokio::test]
async fn a_script_runs_whole_with_a_trigger_across_lines() {
    with_db("script", async |db| {
        let script = match db.backend() {
            store::Backend::Sqlite => {
                "CREATE TABLE t (a BIGINT);
CREATE TABLE log (a BIGINT);
CREATE TRIGGER t_log AFTER INSERT ON t BEGIN
    INSERT INTO log (a) VALUES (new.a);
    INSERT INTO log (a) VALUES (new.a + 1);
END;
INSERT INTO t (a) VALUES (1);"
            }
            store::Backend::Postgres => {
                "CREATE TABLE t (a BIGINT);
CREATE TABLE log (a BIGINT);
CREATE FUNCTION t_log() RETURNS trigger AS $$
BEGIN
    INSERT INTO log (a) VALUES (new.a);
    INSERT INTO log (a) VALUES (new.a + 1);
    RETURN new;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER t_log AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION t_log();
INSERT INTO t (a) VALUES (1);"
            }
        };
        let mut tx = db.write().await.unwrap();
        tx.execute_script(script).await.unwrap();
        let (n,): (i64,) = tx
            .fetch_one(sql("SELECT CAST(SUM(a) AS BIGINT) FROM log"))
            .await
            .unwrap();
        assert_eq!(n, 3);
        tx.commit().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn reference_counter_is_gap_free_per_region_and_year() {
    with_db("counter", async |db| {
        store::migrate::run(&db).await.unwrap();
        let mut tx = db.write().await.unwrap();
        let a = orgs::insert(&mut tx, "region-a", "A", None, "{year}/{seq:5}")
            .await
            .unwrap();
        let b = orgs::insert(&mut tx, "region-b", "B", None, "{year}/{seq:5}")
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut tx = db.write().await.unwrap();
        assert_eq!(references::next(&mut tx, &a.id, 2026).await.unwrap(), 1);
        assert_eq!(references::next(&mut tx, &a.id, 2026).await.unwrap(), 2);
        assert_eq!(
            references::next(&mut tx, &b.id, 2026).await.unwrap(),
            1,
            "each region its own series"
        );
        assert_eq!(
            references::next(&mut tx, &a.id, 2027).await.unwrap(),
            1,
            "a new year starts at 1"
        );
        tx.commit().await.unwrap();

        // A rolled-back registration gives its number back.
        let mut tx = db.write().await.unwrap();
        assert_eq!(references::next(&mut tx, &a.id, 2026).await.unwrap(), 3);
        drop(tx);
        let mut tx = db.write().await.unwrap();
        assert_eq!(references::next(&mut tx, &a.id, 2026).await.unwrap(), 3);
        tx.commit().await.unwrap();

        // Concurrent transactions never share or skip a number.
        let mut handles = Vec::new();
        for _ in 0..20 {
            let db = db.clone();
            let id = a.id.clone();
            handles.push(tokio::spawn(async move {
                let mut tx = db.write().await.unwrap();
                let n = references::next(&mut tx, &id, 2026).await.unwrap();
                tx.commit().await.unwrap();
                n
            }));
        }
        let mut got = Vec::new();
        for h in handles {
            got.push(h.await.unwrap());
        }
        got.sort();
        assert_eq!(got, (4..=23).collect::<Vec<i64>>());
    })
    .await;
}

#[tokio::test]
async fn unique_violations_are_conflicts_and_roll_back() {
    with_db("conflict", async |db| {
        store::migrate::run(&db).await.unwrap();
        let mut tx = db.write().await.unwrap();
        orgs::insert(&mut tx, "region-a", "A", None, "{year}/{seq:5}")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.write().await.unwrap();
        let e = orgs::insert(&mut tx, "region-a", "A again", None, "{year}/{seq:5}")
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
        drop(tx);
        let mut tx = db.read().await.unwrap();
        assert_eq!(orgs::all(&mut tx).await.unwrap().len(), 1);
    })
    .await;
}

/// A closed set's text the code does not know (a row written by a newer version, or by
/// hand) is an error when read, never taken for some default; a nullable one reads as
/// `None` when NULL and as the value otherwise.
#[tokio::test]
async fn a_stored_value_the_code_does_not_know_is_an_error() {
    with_db("unknown_value", async |db| {
        use store::campaigns;
        store::migrate::run(&db).await.unwrap();
        let now = "2026-01-01T00:00:00.000000Z";
        let mut tx = db.write().await.unwrap();
        let c = open_campaign(&mut tx, "ODD1", 5, now).await;
        tx.commit().await.unwrap();
        let mut tx = db.read().await.unwrap();
        let row = campaigns::by_code(&mut tx, "ODD1").await.unwrap().unwrap();
        assert_eq!(row.mode, domain::campaign::Mode::Open);
        assert_eq!(row.phase, domain::campaign::Phase::Open);
        drop(tx);
        let mut tx = db.write().await.unwrap();
        tx.execute(sql("UPDATE campaigns SET mode = 'lottery' WHERE id = ?").bind(c.id.as_str()))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.read().await.unwrap();
        let e = campaigns::by_code(&mut tx, "ODD1").await.unwrap_err();
        // The column is named; sqlx 0.9's derive does not carry the value's message
        // ("unprintable error"), so the log names the column, not the text.
        assert!(
            matches!(&e, StoreError::Db(sqlx::Error::ColumnDecode { index, .. }) if index == "mode"),
            "{e:?}"
        );
        // A nullable column: NULL is None, a known text its value, an unknown one an error.
        #[derive(sqlx::FromRow)]
        struct Chosen {
            #[sqlx(try_from = "store::Nullable")]
            vagval: Option<domain::process::Vagval>,
        }
        for (text, want) in [
            ("CAST(NULL AS TEXT)", Some(None)),
            ("'testbed'", Some(Some(domain::process::Vagval::Testbed))),
            ("'elsewhere'", None),
        ] {
            let got = tx
                .fetch_one::<Chosen>(store::Sql::dynamic(
                    format!("SELECT {text} AS vagval"),
                    vec![],
                ))
                .await
                .map(|p| p.vagval);
            match want {
                Some(w) => assert_eq!(got.unwrap(), w, "{text}"),
                None => assert!(got.is_err(), "{text}"),
            }
        }
    })
    .await;
}

/// Writes an organisation and its event in the caller's transaction.
async fn org_with_event(tx: &mut store::Tx) -> orgs::OrgRow {
    let org = orgs::insert(tx, "region-a", "A", None, "{year}/{seq:5}")
        .await
        .unwrap();
    let event = store::events::NewEvent {
        actor: &store::events::Actor::System,
        kind: "organisation.created",
        subject_type: "organisation",
        subject_id: org.id.as_str(),
        org_id: Some(&org.id),
        payload: serde_json::json!({ "slug": "region-a" }),
    };
    store::events::append(tx, event).await.unwrap();
    org
}

#[tokio::test]
async fn events_are_appended_with_their_change() {
    with_db("events", async |db| {
        store::migrate::run(&db).await.unwrap();
        let mut tx = db.write().await.unwrap();
        org_with_event(&mut tx).await;
        drop(tx); // rolled back: neither the organisation nor its event exists
        let mut tx = db.read().await.unwrap();
        assert_eq!(store::events::count(&mut tx).await.unwrap(), 0);
        assert!(orgs::all(&mut tx).await.unwrap().is_empty());
        drop(tx);
        let mut tx = db.write().await.unwrap();
        let org = org_with_event(&mut tx).await;
        tx.commit().await.unwrap();
        let mut tx = db.read().await.unwrap();
        let timeline = store::events::for_subject(&mut tx, "organisation", org.id.as_str())
            .await
            .unwrap();
        assert_eq!(timeline.len(), 1);
        assert_eq!(timeline[0].actor_kind, "system");
        assert_eq!(timeline[0].payload, r#"{"slug":"region-a"}"#);
    })
    .await;
}

#[derive(sqlx::FromRow, Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
struct Column {
    table_name: String,
    column_name: String,
    nullable: bool,
}

/// An open campaign of four active ideas (A–D) and one participant, for the vote tests.
struct OpenCampaign {
    id: domain::id::CampaignId,
    participant: store::campaigns::ParticipantRow,
    ideas: Vec<domain::id::IdeaId>,
}

impl OpenCampaign {
    fn offer(&self, left: usize, right: usize) -> store::campaigns::BatchOffer {
        store::campaigns::BatchOffer {
            campaign_id: self.id.clone(),
            participant_id: self.participant.id.clone(),
            left_idea_id: self.ideas[left].clone(),
            right_idea_id: self.ideas[right].clone(),
        }
    }
}

async fn open_campaign(tx: &mut store::Tx, code: &str, vote_quota: i64, now: &str) -> OpenCampaign {
    use store::campaigns;
    let slug = format!("region-{}", code.to_lowercase());
    let org = orgs::insert(tx, &slug, "A", None, "{year}/{seq:5}")
        .await
        .unwrap();
    let id = domain::id::CampaignId::from(store::new_id());
    campaigns::insert(
        tx,
        &campaigns::NewCampaign {
            id: &id,
            org_id: &org.id,
            code,
            mode: domain::campaign::Mode::Open,
            title: "Röster",
            question: "Vilken?",
            phase: domain::campaign::Phase::Open,
            vote_quota,
            require_approval: false,
            top_n: 5,
            seed: 1,
            created_by: None,
            now,
        },
    )
    .await
    .unwrap();
    let participant = campaigns::insert_participant(tx, &id, &format!("hash-{code}"), None, now)
        .await
        .unwrap();
    let mut ideas = Vec::new();
    for text in ["A", "B", "C", "D"] {
        ideas.push(
            campaigns::insert_idea(
                tx,
                &id,
                text,
                None,
                domain::campaign::IdeaStatus::Active,
                now,
            )
            .await
            .unwrap()
            .id,
        );
    }
    OpenCampaign {
        id,
        participant,
        ideas,
    }
}

/// The vote writer's own connection on PostgreSQL plans generically, and only it: the
/// pool's connections plan for their values; each of its statements commits by itself,
/// seen at once from other connections; dropped, it is closed, not handed to the pool.
#[tokio::test]
async fn the_writers_own_connection_commits_each_statement_and_plans_once() {
    with_db("plans", async |db| {
        store::migrate::run(&db).await.unwrap();
        let count = async || {
            let mut tx = db.read().await.unwrap();
            let (n,): (i64,) = tx
                .fetch_one(sql("SELECT COUNT(*) FROM organisations"))
                .await
                .unwrap();
            n
        };
        let before = count().await;
        if db.backend() != store::Backend::Postgres {
            // SQLite: an ordinary write transaction, seen once committed.
            let mut tx = db.own_writer().await.unwrap();
            orgs::insert(&mut tx, "region-a", "A", None, "{year}/{seq:5}")
                .await
                .unwrap();
            assert_eq!(count().await, before, "not committed yet");
            tx.commit().await.unwrap();
            assert_eq!(count().await, before + 1);
            return;
        }
        let mode = async |tx: &mut store::Tx| {
            let (m,): (String,) = tx
                .fetch_one(sql("SELECT current_setting('plan_cache_mode')"))
                .await
                .unwrap();
            m
        };
        let alive = async |pid: i64| {
            let mut tx = db.read().await.unwrap();
            let (n,): (i64,) = tx
                .fetch_one(sql("SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ?").bind(pid))
                .await
                .unwrap();
            n == 1
        };
        let mut own = db.own_writer().await.unwrap();
        assert_eq!(mode(&mut own).await, "force_generic_plan");
        orgs::insert(&mut own, "region-a", "A", None, "{year}/{seq:5}")
            .await
            .unwrap();
        assert_eq!(
            count().await,
            before + 1,
            "committed by the statement itself"
        );
        let (pid,): (i64,) = own
            .fetch_one(sql("SELECT CAST(pg_backend_pid() AS BIGINT)"))
            .await
            .unwrap();
        assert!(alive(pid).await);
        own.commit().await.unwrap();
        let mut closed = false;
        for _ in 0..50 {
            closed = !alive(pid).await;
            if closed {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(closed, "the own connection is closed");
        // One at a time, so the pool hands back the connection just used.
        for _ in 0..3 {
            let mut tx = db.read().await.unwrap();
            assert_eq!(mode(&mut tx).await, "auto");
        }
    })
    .await;
}

/// A database with votes in their own table (before migration 8) keeps every vote, now on
/// the offer it answered: the choice, the reason, the timing and when it was cast; a lapsed
/// offer stays answered without a vote, an open one stays open.
#[tokio::test]
async fn votes_move_onto_their_offers_when_migrating() {
    use store::campaigns;
    with_db("votes-migrate", async |db| {
        let now = "2026-11-25T10:00:00.000000Z";
        let mut tx = db.write().await.unwrap();
        tx.execute(sql(
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        ))
        .await
        .unwrap();
        for (version, name, script) in &store::migrate::MIGRATIONS[..7] {
            tx.execute_script(script.text(db.backend())).await.unwrap();
            tx.execute(
                sql("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
                    .bind(*version)
                    .bind(*name)
                    .bind(now),
            )
            .await
            .unwrap();
        }
        let c = open_campaign(&mut tx, "MIG123", 10, now).await;
        let (campaign_id, ideas, p) = (&c.id, &c.ideas, &c.participant);
        let offer = |l: usize, r: usize| c.offer(l, r);
        let offers: Vec<String> =
            campaigns::insert_offers(&mut tx, &[offer(0, 1), offer(1, 2), offer(0, 2), offer(3, 1)], now)
                .await
                .unwrap()
                .into_iter()
                .map(|o| o.unwrap().id)
                .collect();
        // Two votes (B over A; a skip with its reason), a lapsed offer, an open one.
        let old = [
            (&offers[0], "right", Some(&ideas[1]), Some(&ideas[0]), None, Some(900), "2026-11-25T10:00:01.000000Z"),
            (&offers[1], "skip", None, None, Some("Vet inte"), None, "2026-11-25T10:00:02.000000Z"),
        ];
        for (offer, choice, winner, loser, reason, ms, at) in old {
            tx.execute(
                sql("INSERT INTO votes (id, campaign_id, participant_id, offer_id, choice, winner_idea_id, loser_idea_id, skip_reason, response_ms, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                    .bind(store::new_id())
                    .bind(campaign_id.as_str())
                    .bind(&p.id)
                    .bind(offer)
                    .bind(choice)
                    .bind(winner)
                    .bind(loser)
                    .bind(reason.map(str::to_string))
                    .bind(ms)
                    .bind(at),
            )
            .await
            .unwrap();
        }
        tx.execute(
            sql("UPDATE pair_offers SET answered = ? WHERE id IN (?, ?, ?)")
                .bind(true)
                .bind(&offers[0])
                .bind(&offers[1])
                .bind(&offers[2]),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        assert_eq!(store::migrate::run(&db).await.unwrap(), versions_from(8));
        let mut tx = db.read().await.unwrap();
        let export = campaigns::votes_for_export(&mut tx, campaign_id).await.unwrap();
        let got: Vec<String> = export
            .iter()
            .map(|v| {
                let left = ideas.iter().position(|i| *i == v.left_idea_id).unwrap();
                let (reason, ms) = (&v.skip_reason, v.response_ms);
                format!("{left} {} {reason:?} {ms:?} {}", v.choice, v.created_at)
            })
            .collect();
        assert_eq!(
            got,
            [
                "0 right None Some(900) 2026-11-25T10:00:01.000000Z",
                "1 skip Some(\"Vet inte\") None 2026-11-25T10:00:02.000000Z"
            ]
        );
        assert_eq!(
            campaigns::decided_pairs_between(&mut tx, campaign_id, "", "2026-11-26")
                .await
                .unwrap(),
            vec![(1, 0)]
        );
        assert_eq!(campaigns::vote_counts(&mut tx, campaign_id).await.unwrap(), (1, 1));
        let open = campaigns::open_offer(&mut tx, &p.id).await.unwrap();
        assert_eq!(open.map(|o| o.id), Some(offers[3].clone()), "only the open offer is open");
        let lapsed = campaigns::offer(&mut tx, &offers[2]).await.unwrap().unwrap();
        assert!(lapsed.answered, "the lapsed offer stays answered");
    })
    .await;
}

/// Tables, columns and nullability as each database reports them after migrating. The
/// inbox's text search index is left out: SQLite keeps it as an FTS5 table (with tables of
/// its own), PostgreSQL as two indexes of `submissions` (migration 7).
async fn columns(db: &Db) -> Vec<Column> {
    let mut tx = db.read().await.unwrap();
    let text = match db.backend() {
        store::Backend::Sqlite => {
            "SELECT m.name AS table_name, p.name AS column_name, (p.\"notnull\" = 0 AND p.pk = 0) AS nullable
             FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
             AND m.name NOT LIKE 'submissions\\_search%' ESCAPE '\\' ORDER BY 1, 2"
        }
        store::Backend::Postgres => {
            "SELECT table_name::TEXT AS table_name, column_name::TEXT AS column_name, (is_nullable = 'YES') AS nullable
             FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2"
        }
    };
    let mut cols: Vec<Column> = tx.fetch_all(sql(text)).await.unwrap();
    cols.sort();
    cols
}

#[tokio::test]
async fn one_schema_text_gives_the_same_tables_on_both_databases() {
    let seen = std::sync::Mutex::new(Vec::new());
    with_db("schema", async |db| {
        store::migrate::run(&db).await.unwrap();
        let cols = columns(&db).await;
        seen.lock().unwrap().push(cols);
    })
    .await;
    let seen = seen.into_inner().unwrap();
    assert!(
        seen[0]
            .iter()
            .any(|c| c.table_name == "submissions" && c.column_name == "reference" && !c.nullable)
    );
    assert!(
        seen[0].iter().any(|c| c.table_name == "submissions"
            && c.column_name == "contact_email"
            && c.nullable)
    );
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        assert_eq!(seen.len(), 2, "both databases were migrated");
    }
    if seen.len() == 2 {
        let (sqlite, postgres) = (&seen[0], &seen[1]);
        let only_sqlite: Vec<_> = sqlite.iter().filter(|c| !postgres.contains(c)).collect();
        let only_postgres: Vec<_> = postgres.iter().filter(|c| !sqlite.contains(c)).collect();
        assert!(
            only_sqlite.is_empty() && only_postgres.is_empty(),
            "SQLite only: {only_sqlite:?}\nPostgreSQL only: {only_postgres:?}"
        );
    }
}

/// The vote batch writes every vote with its next pair, and keeps the rules on both
/// databases: an offer is answered once, a decided vote needs quota (a skip does not), a
/// closed phase counts nothing, and a next pair already shown to the participant is not
/// offered again.
#[tokio::test]
async fn a_vote_batch_counts_once_within_the_quota_and_offers_the_next_pair() {
    use store::campaigns::{self, BatchOffer, BatchOutcome, BatchVote, VoteAndNext};
    with_db("votes", async |db| {
        store::migrate::run(&db).await.unwrap();
        let now = "2026-11-25T10:00:00.000000Z";
        let mut tx = db.write().await.unwrap();
        let c = open_campaign(&mut tx, "ABC123", 1, now).await;
        let (campaign_id, ideas, p) = (&c.id, &c.ideas, &c.participant);
        let offer = |l: usize, r: usize| c.offer(l, r);
        let offers = campaigns::insert_offers(&mut tx, &[offer(0, 1), offer(2, 3)], now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let (o1, o2) = (offers[0].clone().unwrap().id, offers[1].clone().unwrap().id);
        let vote = |offer_id: &str, choice: &str, next: Option<BatchOffer>| VoteAndNext {
            vote: BatchVote {
                participant_id: p.id.clone(),
                offer_id: offer_id.to_string(),
                choice: domain::campaign::VoteChoice::parse(choice).unwrap(),
                skip_reason: None,
                response_ms: Some(700),
            },
            code: "ABC123".into(),
            next,
        };
        let write = async |batch: Vec<VoteAndNext>| {
            let mut tx = db.write().await.unwrap();
            let w = campaigns::record_votes_and_next(&mut tx, &batch, now)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            w
        };
        let count = async |q: &'static str| {
            let mut tx = db.read().await.unwrap();
            let (n,): (i64,) = tx.fetch_one(sql(q)).await.unwrap();
            n
        };

        // Counted, with the next pair offered; the pair already shown is not offered again.
        let w = write(vec![vote(&o1, "right", Some(offer(0, 2)))]).await;
        assert_eq!(w[0].outcome, BatchOutcome::Counted);
        assert_eq!(w[0].votes_cast, Some(1));
        let next = w[0].next.clone().expect("the next pair");
        assert_eq!(next.left_idea_id, ideas[0]);
        // The same offer again: refused, nothing written, no pair offered.
        let w = write(vec![vote(&o1, "right", Some(offer(1, 3)))]).await;
        assert_eq!(w[0].outcome, BatchOutcome::AlreadyVoted);
        assert!(w[0].next.is_none());
        // The quota of one is used: a decided vote is refused and its offer stays open.
        let w = write(vec![vote(&o2, "left", Some(offer(1, 2)))]).await;
        assert_eq!(w[0].outcome, BatchOutcome::QuotaUsed);
        assert!(w[0].next.is_none());
        assert_eq!(
            count("SELECT COUNT(*) FROM pair_offers WHERE answered OR choice IS NOT NULL OR voted_at IS NOT NULL").await,
            1,
            "the refused vote left nothing on its offer"
        );
        // A skip takes no quota; a next pair shown before is not offered twice.
        let w = write(vec![vote(&o2, "skip", Some(offer(2, 0)))]).await;
        assert_eq!(w[0].outcome, BatchOutcome::Counted);
        assert_eq!(w[0].votes_cast, None);
        assert!(w[0].next.is_none(), "the pair A–C was shown already");
        // A closed phase counts nothing.
        let mut tx = db.write().await.unwrap();
        campaigns::set_phase(&mut tx, campaign_id, domain::campaign::Phase::Closed, now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        for choice in ["skip", "left"] {
            let w = write(vec![vote(&next.id, choice, None)]).await;
            assert_eq!(w[0].outcome, BatchOutcome::AlreadyVoted, "{choice}");
        }

        assert_eq!(
            count("SELECT COUNT(*) FROM pair_offers WHERE voted_at IS NOT NULL").await,
            2
        );
        let mut tx = db.read().await.unwrap();
        assert_eq!(
            campaigns::vote_counts(&mut tx, campaign_id).await.unwrap(),
            (1, 1)
        );
        // The vote is on its offer: "right" makes the right idea (B) the winner.
        assert_eq!(
            campaigns::decided_pairs_between(&mut tx, campaign_id, "", now)
                .await
                .unwrap(),
            vec![(1, 0)]
        );
        let export = campaigns::votes_for_export(&mut tx, campaign_id).await.unwrap();
        let firsts: Vec<(&str, Option<i64>, &str)> = export
            .iter()
            .map(|v| (v.choice.as_str(), v.response_ms, v.created_at.as_str()))
            .collect();
        assert_eq!(firsts, vec![("right", Some(700), now), ("skip", Some(700), now)]);
        assert_eq!(
            campaigns::last_vote_at(&mut tx, campaign_id).await.unwrap().as_deref(),
            Some(now)
        );
        drop(tx);
        assert_eq!(count("SELECT MAX(votes_cast) FROM participants").await, 1);
        assert_eq!(
            count("SELECT COUNT(*) FROM pair_offers").await,
            3,
            "two offered before, one next pair"
        );
        assert_eq!(
            count("SELECT COUNT(*) FROM pair_offers WHERE answered").await,
            2
        );
    })
    .await;
}

/// An offer is written only with its participant and both its ideas in its campaign, and
/// a vote's next pair only in the campaign of the offer it answers: on PostgreSQL, whose
/// offers have no foreign keys (migration 10), the writing statements check it themselves.
#[tokio::test]
async fn offers_are_written_only_within_their_campaign() {
    use store::campaigns::{self, BatchOutcome, BatchVote, VoteAndNext};
    with_db("offers-within", async |db| {
        store::migrate::run(&db).await.unwrap();
        let now = "2026-11-26T10:00:00.000000Z";
        let mut tx = db.write().await.unwrap();
        let a = open_campaign(&mut tx, "AAA111", 10, now).await;
        let b = open_campaign(&mut tx, "BBB222", 10, now).await;
        let mut idea_elsewhere = a.offer(0, 1);
        idea_elsewhere.right_idea_id = b.ideas[2].clone();
        let mut participant_elsewhere = a.offer(0, 2);
        participant_elsewhere.participant_id = b.participant.id.clone();
        let mut no_such_idea = a.offer(0, 3);
        no_such_idea.left_idea_id = store::new_id().into();
        let written = campaigns::insert_offers(
            &mut tx,
            &[
                idea_elsewhere,
                a.offer(1, 2),
                participant_elsewhere,
                no_such_idea,
            ],
            now,
        )
        .await
        .unwrap();
        let kept: Vec<bool> = written.iter().map(Option::is_some).collect();
        assert_eq!(kept, vec![false, true, false, false]);
        tx.commit().await.unwrap();
        let offer = written[1].clone().unwrap().id;

        // A vote on campaign A's offer, its next pair naming campaign B: counted, no pair.
        let mut next = a.offer(0, 3);
        next.campaign_id = b.id.clone();
        let batch = vec![VoteAndNext {
            vote: BatchVote {
                participant_id: a.participant.id.clone(),
                offer_id: offer.clone(),
                choice: domain::campaign::VoteChoice::Left,
                skip_reason: None,
                response_ms: None,
            },
            code: "AAA111".into(),
            next: Some(next),
        }];
        let mut tx = db.own_writer().await.unwrap();
        let w = campaigns::record_votes_and_next(&mut tx, &batch, now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(w[0].outcome, BatchOutcome::Counted);
        assert!(w[0].next.is_none(), "no pair across campaigns");

        let mut tx = db.read().await.unwrap();
        let (offers, answered): (i64, i64) = tx
            .fetch_one(sql(
                "SELECT COUNT(*), SUM(CASE WHEN answered THEN 1 ELSE 0 END) FROM pair_offers",
            ))
            .await
            .unwrap();
        assert_eq!(
            (offers, answered),
            (1, 1),
            "the one offer, answered; nothing else"
        );
    })
    .await;
}

/// A vote whose offer another node answers while the batch waits on it is not counted, and
/// takes no quota: on PostgreSQL the batch waits for the offer's lock and reads it again; on
/// SQLite the batch waits for the other write to end.
#[tokio::test]
async fn a_vote_answered_elsewhere_meanwhile_takes_no_quota() {
    use store::campaigns::{self, BatchOutcome, BatchVote, VoteAndNext};
    with_db("votes-race", async |db| {
        store::migrate::run(&db).await.unwrap();
        let now = "2026-11-25T10:00:00.000000Z";
        let mut tx = db.write().await.unwrap();
        let c = open_campaign(&mut tx, "RACE12", 10, now).await;
        let offers = campaigns::insert_offers(&mut tx, &[c.offer(0, 1)], now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let offer = offers[0].clone().unwrap().id;
        let participant = c.participant.id.clone();

        // The other node's vote, not yet committed.
        let mut other = db.write().await.unwrap();
        other
            .execute(
                sql("UPDATE pair_offers SET answered = ?, choice = 'left', voted_at = ? WHERE id = ?")
                    .bind(true)
                    .bind(now)
                    .bind(&offer),
            )
            .await
            .unwrap();
        other
            .execute(
                sql("UPDATE participants SET votes_cast = votes_cast + 1 WHERE id = ?")
                    .bind(&participant),
            )
            .await
            .unwrap();
        let batch = vec![VoteAndNext {
            vote: BatchVote {
                participant_id: participant.clone(),
                offer_id: offer.clone(),
                choice: domain::campaign::VoteChoice::Right,
                skip_reason: None,
                response_ms: None,
            },
            code: "RACE12".into(),
            next: Some(c.offer(0, 2)),
        }];
        let here = db.clone();
        let writing = tokio::spawn(async move {
            let mut tx = here.own_writer().await.unwrap();
            let w = campaigns::record_votes_and_next(&mut tx, &batch, now)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            w
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!writing.is_finished(), "the batch waits for the other vote");
        other.commit().await.unwrap();
        let w = writing.await.unwrap();
        assert_eq!(w[0].outcome, BatchOutcome::AlreadyVoted);
        assert!(w[0].next.is_none());

        let mut tx = db.read().await.unwrap();
        let (cast,): (i64,) = tx
            .fetch_one(sql("SELECT votes_cast FROM participants WHERE id = ?").bind(&participant))
            .await
            .unwrap();
        assert_eq!(cast, 1, "only the other node's vote took quota");
        let (offers, choice): (i64, String) = tx
            .fetch_one(
                sql("SELECT (SELECT COUNT(*) FROM pair_offers), (SELECT choice FROM pair_offers WHERE id = ?)")
                    .bind(&offer),
            )
            .await
            .unwrap();
        assert_eq!((offers, choice.as_str()), (1, "left"), "no next pair, the vote as the other node cast it");
    })
    .await;
}

/// Uploads stored before templates belonged to a region (migration 11) go to the region
/// that activated them, else to a region their uploader manages; activations keep their
/// templates, whose foreign keys still hold (SQLite rebuilds the table).
#[tokio::test]
async fn uploads_go_to_a_region_when_migrating() {
    with_db("templates-migrate", async |db| {
        let now = "2026-11-30T10:00:00.000000Z";
        let mut tx = db.write().await.unwrap();
        tx.execute(sql(
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        ))
        .await
        .unwrap();
        let before: Vec<_> = store::migrate::MIGRATIONS
            .iter()
            .filter(|m| m.0 < 11)
            .collect();
        for (version, name, script) in before {
            tx.execute_script(script.text(db.backend())).await.unwrap();
            tx.execute(
                sql("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
                    .bind(*version)
                    .bind(*name)
                    .bind(now),
            )
            .await
            .unwrap();
        }
        for (id, slug) in [("org-a", "region-a"), ("org-b", "region-b")] {
            tx.execute(
                sql("INSERT INTO organisations (id, slug, name, parent_id, reference_format, created_at) VALUES (?, ?, ?, NULL, 'X-{yyyy}-{nnnn}', ?)")
                    .bind(id)
                    .bind(slug)
                    .bind(slug)
                    .bind(now),
            )
            .await
            .unwrap();
        }
        tx.execute(
            sql("INSERT INTO users (id, email, name, password_hash, active, created_at) VALUES ('user-b', 'b@x.se', 'B', 'x', ?, ?)")
                .bind(true)
                .bind(now),
        )
        .await
        .unwrap();
        tx.execute(
            sql("INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ('user-b', 'org-b', 'process_owner', ?)")
                .bind(now),
        )
        .await
        .unwrap();
        for (id, version, built_in, by) in [
            ("t1", 1, true, None),
            ("t2", 2, false, Some("user-b")),
            ("t3", 3, false, Some("user-b")),
        ] {
            tx.execute(
                sql("INSERT INTO process_templates (id, template_key, version, name, source, built_in, created_by, created_at) VALUES (?, 'spelplanen', ?, 'S', 's', ?, ?, ?)")
                    .bind(id)
                    .bind(version as i64)
                    .bind(built_in)
                    .bind(by)
                    .bind(now),
            )
            .await
            .unwrap();
        }
        // Region A activated version 2 (uploaded by region B's owner).
        tx.execute(
            sql("INSERT INTO active_templates (org_id, template_key, template_id, activated_by, activated_at) VALUES ('org-a', 'spelplanen', 't2', NULL, ?)")
                .bind(now),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        assert_eq!(store::migrate::run(&db).await.unwrap(), versions_from(11));
        let mut tx = db.write().await.unwrap();
        let rows = store::processes::all(&mut tx).await.unwrap();
        let owners: Vec<(&str, Option<&str>)> = rows
            .iter()
            .map(|r| (r.id.as_str(), r.org_id.as_ref().map(domain::id::OrgId::as_str)))
            .collect();
        assert_eq!(
            owners,
            vec![("t3", Some("org-b")), ("t2", Some("org-a")), ("t1", None)]
        );
        let active = store::processes::active_in(&mut tx, &"org-a".into()).await.unwrap();
        assert_eq!(active.len(), 1);
        assert_eq!(active[0].id, "t2");
        // The activations' key still points at the templates.
        let dangling = tx
            .execute(
                sql("INSERT INTO active_templates (org_id, template_key, template_id, activated_by, activated_at) VALUES ('org-b', 'spelplanen', 'no-such', NULL, ?)")
                    .bind(now),
            )
            .await;
        assert!(dangling.is_err(), "{dangling:?}");
    })
    .await;
}

/// Tokens made before tokens expired (migration 12) are given an expiry a year after the
/// upgrade, in the stored form of every time, so that no token lives for ever.
#[tokio::test]
async fn tokens_made_before_expiry_expire_a_year_after_the_upgrade() {
    with_db("tokens-migrate", async |db| {
        let now = "2026-11-30T10:00:00.000000Z";
        let mut tx = db.write().await.unwrap();
        tx.execute(sql(
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        ))
        .await
        .unwrap();
        for (version, name, script) in store::migrate::MIGRATIONS.iter().filter(|m| m.0 < 12) {
            tx.execute_script(script.text(db.backend())).await.unwrap();
            tx.execute(
                sql("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
                    .bind(*version)
                    .bind(*name)
                    .bind(now),
            )
            .await
            .unwrap();
        }
        tx.execute(
            sql("INSERT INTO users (id, email, name, password_hash, active, created_at) VALUES ('u1', 'a@x.se', 'A', 'x', ?, ?)")
                .bind(true)
                .bind(now),
        )
        .await
        .unwrap();
        tx.execute(
            sql("INSERT INTO api_tokens (id, user_id, token_hash, created_at) VALUES ('t1', 'u1', 'h1', ?)")
                .bind(now),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        assert_eq!(store::migrate::run(&db).await.unwrap(), versions_from(12));
        let mut tx = db.read().await.unwrap();
        let tokens = store::users::tokens_of(&mut tx, &"u1".into()).await.unwrap();
        let expires = tokens[0].expires_at.clone().expect("an expiry");
        let parsed = domain::time::Timestamp::parse_db(&expires).expect("the stored form");
        assert_eq!(parsed.to_db().len(), expires.len(), "{expires}");
        let year_on = domain::time::Timestamp::now().plus_days(365);
        let off = (parsed.inner() - year_on.inner()).whole_seconds().abs();
        assert!(off < 120, "{expires}");
        assert!(tokens[0].revoked_at.is_none());
    })
    .await;
}
