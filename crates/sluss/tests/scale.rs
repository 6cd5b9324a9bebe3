//! `sluss demo --scale small`: the loader at scale writes what it promises, through the
//! use cases (every case has its events), with every participant's quota matching their
//! votes and no pair shown twice to anyone; a second run adds nothing. On SQLite and on
//! PostgreSQL (under CI the PostgreSQL half may not be skipped).

mod support;
use support::{cli, fresh_database};

async fn count(db: &store::Db, query: &'static str) -> i64 {
    let mut tx = db.read().await.expect("read");
    let (n,): (i64,) = tx.fetch_one(store::sql(query)).await.expect(query);
    n
}

async fn loads_at_scale(backend: &str) {
    let Some(url) = fresh_database("scale", backend).await else {
        return;
    };
    cli(&url, &["demo", "--scale", "small"]);
    let db = store::Db::connect(&url).await.expect("connect");
    let counts = |db: &store::Db| {
        let db = db.clone();
        async move {
            (
                count(&db, "SELECT COUNT(*) FROM submissions").await,
                count(&db, "SELECT COUNT(*) FROM cases").await,
                count(
                    &db,
                    "SELECT COUNT(*) FROM pair_offers WHERE voted_at IS NOT NULL",
                )
                .await,
                // Signing the demo accounts in is an event of its own; cases' events are not.
                count(
                    &db,
                    "SELECT COUNT(*) FROM events WHERE subject_type = 'case'",
                )
                .await,
            )
        }
    };
    let first = counts(&db).await;
    let (submissions, cases, votes, _) = first;
    // The ordinary demo's 30 submissions and 16 cases are part of the totals.
    assert_eq!(submissions, 300, "submissions");
    assert_eq!(cases, 30, "cases");
    let scale_votes = count(
        &db,
        "SELECT COUNT(*) FROM pair_offers o JOIN campaigns c ON c.id = o.campaign_id WHERE o.voted_at IS NOT NULL AND c.title LIKE '%storskalig demo%'",
    )
    .await;
    assert_eq!(scale_votes, 20 * 50, "votes of the loaded question");
    assert!(
        votes > scale_votes,
        "the ordinary demo's votes are there too"
    );
    // Every case carries its history: opening it is an event, and some were ticked.
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.subject_type = 'case' AND e.subject_id = c.id)"
        )
        .await,
        0,
        "cases without events"
    );
    assert!(
        count(
            &db,
            "SELECT COUNT(*) FROM events WHERE subject_type = 'case'"
        )
        .await
            > cases,
        "ticks beyond the openings"
    );
    // Quotas agree with the votes, every vote is on an answered offer with a valid choice,
    // no pair repeats.
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM participants p WHERE p.votes_cast <> (SELECT COUNT(*) FROM pair_offers o WHERE o.participant_id = p.id AND o.voted_at IS NOT NULL AND o.choice <> 'skip')"
        )
        .await,
        0,
        "participants whose quota disagrees with their votes"
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM pair_offers WHERE voted_at IS NOT NULL AND answered AND choice IN ('left', 'right', 'skip')"
        )
        .await,
        votes
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM (SELECT participant_id, pair_key FROM pair_offers GROUP BY participant_id, pair_key HAVING COUNT(*) > 1) d"
        )
        .await,
        0
    );
    // Some submissions were triaged, most are new: the inbox's filters have something to find.
    assert!(
        count(
            &db,
            "SELECT COUNT(*) FROM submissions WHERE status = 'accepted'"
        )
        .await
            >= 27
    );
    // Of the loader's 270, one in ten is accepted, one refused, one in review; 189 are new.
    assert!(
        count(
            &db,
            "SELECT COUNT(*) FROM submissions WHERE status = 'rejected'"
        )
        .await
            >= 27
    );
    assert!(
        count(
            &db,
            "SELECT COUNT(*) FROM submissions WHERE status = 'in_review'"
        )
        .await
            >= 27
    );
    assert!(count(&db, "SELECT COUNT(*) FROM submissions WHERE status = 'new'").await >= 189);
    // The public register pages through both halves (submissions and cases, each read newest
    // first only as far as the page reaches): every entry once, newest first.
    let mut seen = Vec::new();
    let mut total = 0;
    for page in 0.. {
        let mut tx = db.read().await.expect("read");
        let (rows, t) = store::cases::diarium(
            &mut tx,
            &store::cases::DiariumFilter {
                limit: 25,
                offset: page * 25,
                ..Default::default()
            },
        )
        .await
        .expect("diarium");
        total = t;
        if rows.is_empty() {
            break;
        }
        seen.extend(
            rows.into_iter()
                .map(|r| (r.registered_at, r.reference, r.entry_type)),
        );
    }
    assert_eq!(total, submissions + cases);
    assert_eq!(seen.len() as i64, total, "every entry once");
    assert!(
        seen.windows(2)
            .all(|w| (&w[0].0, &w[0].1) >= (&w[1].0, &w[1].1)),
        "newest first"
    );
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len());
    assert!(
        seen.iter().take(25).any(|e| e.2 == "case") && seen.iter().any(|e| e.2 == "submission")
    );
    // Loading again adds nothing.
    cli(&url, &["demo", "--scale", "small"]);
    assert_eq!(counts(&db).await, first, "a second run changed the data");
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_loads_at_scale() {
    loads_at_scale("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_loads_at_scale() {
    loads_at_scale("postgres").await;
}
