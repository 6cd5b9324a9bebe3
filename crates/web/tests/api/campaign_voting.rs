//! The vote path through the API: a vote answers with the next pair, a participant may move
//! between nodes, an idea added during voting is offered at once, and the pair fits agree
//! with a fit of every vote.

use crate::both;
use crate::campaigns::{
    as_participant, count, facilitate, join, only_campaign_id, read_until, results_of, shown_pair,
    two_nodes,
};
use crate::support::{Backend, TestApp, spawn};
use serde_json::{Value, json};

/// Makes an open question of `ideas` ideas with quota `quota` on `t`; returns the code and
/// the facilitator's token.
async fn open_question(t: &TestApp, ideas: usize, quota: i64) -> (String, String) {
    t.org("region-a", None).await;
    t.user("facilitator@x.se", "region-a", "advisor").await;
    let fac = t.token("facilitator@x.se").await;
    let res = facilitate(t, &fac, "/api/v1/campaigns", json!({ "title": "Nästa par", "question": "Vilken?", "mode": "open", "organisation": "region-a", "vote_quota": quota })).await;
    assert_eq!(res.status(), 201);
    let code = res.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    for i in 0..ideas {
        let res = facilitate(
            t,
            &fac,
            &format!("/api/v1/campaigns/{code}/ideas"),
            json!({ "text": format!("Idé {i}") }),
        )
        .await;
        assert_eq!(res.status(), 201);
    }
    let res = facilitate(
        t,
        &fac,
        &format!("/api/v1/campaigns/{code}/phase"),
        json!({ "phase": "open" }),
    )
    .await;
    assert_eq!(res.status(), 200);
    (code, fac)
}

fn pair_key(p: &Value) -> (String, String) {
    let (l, r) = (
        p["left"]["id"].as_str().unwrap().to_string(),
        p["right"]["id"].as_str().unwrap().to_string(),
    );
    if l < r { (l, r) } else { (r, l) }
}

/// A vote's answer carries the next pair, offered in the same transaction: asking for the
/// pair afterwards shows that same offer, voting on it counts, and the last vote of the
/// quota carries none. Skips do not take the quota.
async fn a_vote_answers_with_the_next_pair(backend: Backend) {
    let t = spawn(backend).await;
    let (code, _) = open_question(&t, 5, 4).await;
    let voter = join(&t, &code).await;
    let pair_path = format!("/api/v1/campaigns/{code}/pair");
    let vote_path = format!("/api/v1/campaigns/{code}/votes");
    let mut p: Value = as_participant(&t, reqwest::Method::GET, &pair_path, &voter, None)
        .await
        .json()
        .await
        .unwrap();
    let mut seen = vec![pair_key(&p)];
    let mut counted = 0;
    for step in 0..5 {
        let choice = if step == 1 { "skip" } else { "left" };
        let res = as_participant(
            &t,
            reqwest::Method::POST,
            &vote_path,
            &voter,
            Some(json!({ "offer_id": p["offer_id"], "choice": choice })),
        )
        .await;
        assert_eq!(res.status(), 201);
        let answer: Value = res.json().await.unwrap();
        counted += i64::from(choice != "skip");
        assert_eq!(answer["remaining"], 4 - counted, "{answer}");
        if counted == 4 {
            assert!(answer["next"].is_null(), "no pair past the quota: {answer}");
            break;
        }
        let next = answer["next"].clone();
        assert_eq!(next["remaining"], 4 - counted);
        assert!(
            !seen.contains(&pair_key(&next)),
            "never the same pair twice"
        );
        seen.push(pair_key(&next));
        let shown: Value = as_participant(&t, reqwest::Method::GET, &pair_path, &voter, None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            shown["offer_id"], next["offer_id"],
            "the pair already offered"
        );
        p = next;
    }
    assert_eq!(counted, 4);
    let res = as_participant(&t, reqwest::Method::GET, &pair_path, &voter, None).await;
    assert_eq!(res.status(), 409);
    // Guessed tokens are refused and leave nothing behind in the node's memory.
    let held = t.app.votes.voters_held();
    for guess in ["a-guess", "another-guess"] {
        let res = as_participant(&t, reqwest::Method::GET, &pair_path, guess, None).await;
        assert_eq!(res.status(), 401);
        let res = as_participant(
            &t,
            reqwest::Method::POST,
            &vote_path,
            guess,
            Some(json!({ "offer_id": "x", "choice": "left" })),
        )
        .await;
        assert_eq!(res.status(), 401);
    }
    assert_eq!(t.app.votes.voters_held(), held);
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM pair_offers WHERE answered").await,
        5
    );
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM pair_offers").await,
        5,
        "no pair offered that was not shown"
    );
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM pair_offers WHERE voted_at IS NOT NULL"
        )
        .await,
        5
    );
    t.finish().await;
}
both!(a_vote_answers_with_the_next_pair);

/// Two nodes on one PostgreSQL, one participant going back and forth between them: what a
/// node remembers of the participant may be stale, but every vote counts once, no pair is
/// shown twice, and the quota holds. A withdrawn idea and a closed phase, set on one node,
/// hold on the other at once. PostgreSQL only: one SQLite file is one node.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_participant_may_move_between_nodes() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (code, fac) = open_question(&a, 8, 14).await;
    let voter = join(&a, &code).await;
    let pair_path = format!("/api/v1/campaigns/{code}/pair");
    let vote_path = format!("/api/v1/campaigns/{code}/votes");
    let nodes = [&a, &b];
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut counted = 0;
    let mut next: Option<Value> = None;
    for step in 0..10 {
        let node = nodes[step % 2];
        // Every third step asks the node for the pair instead of using the last answer's.
        let p = match next.take().filter(|_| step % 3 != 0) {
            Some(p) => p,
            None => as_participant(node, reqwest::Method::GET, &pair_path, &voter, None)
                .await
                .json()
                .await
                .unwrap(),
        };
        let key = pair_key(&p);
        if !seen.contains(&key) {
            seen.push(key);
        }
        let vote_node = nodes[(step + 1) % 2];
        let res = as_participant(
            vote_node,
            reqwest::Method::POST,
            &vote_path,
            &voter,
            Some(json!({ "offer_id": p["offer_id"], "choice": "right" })),
        )
        .await;
        assert_eq!(res.status(), 201, "step {step}");
        counted += 1;
        let answer: Value = res.json().await.unwrap();
        assert_eq!(answer["remaining"], 14 - counted, "step {step}: {answer}");
        next = Some(answer["next"].clone()).filter(|n| !n.is_null());
    }
    let offered = count(&a, "SELECT COUNT(*) FROM pair_offers").await;
    let distinct = count(
        &a,
        "SELECT COUNT(*) FROM (SELECT DISTINCT participant_id, pair_key FROM pair_offers) d",
    )
    .await;
    assert_eq!(offered, distinct, "no pair offered twice");
    assert_eq!(
        count(
            &a,
            "SELECT COUNT(*) FROM pair_offers WHERE voted_at IS NOT NULL"
        )
        .await,
        10
    );
    assert_eq!(
        count(&a, "SELECT MAX(votes_cast) FROM participants").await,
        10
    );

    // A withdrawn idea, set on node a, is never offered by node b, which read the campaign
    // before: b heard of the change (its live stream shows it) before it is asked.
    let withdrawn = results_of(&a, &fac, &code).await["ideas"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut stream = b
        .http
        .get(b.url(&format!("/workshop/{code}/live")))
        .send()
        .await
        .unwrap();
    let mut heard = String::new();
    read_until(&mut stream, &mut heard, "data: open:10:0:8").await;
    let res = facilitate(
        &a,
        &fac,
        &format!("/api/v1/campaigns/{code}/ideas/{withdrawn}/status"),
        json!({ "status": "withdrawn" }),
    )
    .await;
    assert_eq!(res.status(), 200);
    read_until(&mut stream, &mut heard, "data: open:10:0:7").await;
    let fresh = join(&b, &code).await;
    for _ in 0..12 {
        let p: Value = as_participant(&b, reqwest::Method::GET, &pair_path, &fresh, None)
            .await
            .json()
            .await
            .unwrap();
        assert!(
            p["left"]["id"] != withdrawn.as_str() && p["right"]["id"] != withdrawn.as_str(),
            "a withdrawn idea offered by the other node: {p}"
        );
        let res = as_participant(
            &b,
            reqwest::Method::POST,
            &vote_path,
            &fresh,
            Some(json!({ "offer_id": p["offer_id"], "choice": "left" })),
        )
        .await;
        assert_eq!(res.status(), 201);
    }
    // Voting closed on node a is closed on node b.
    let p: Value = as_participant(&b, reqwest::Method::GET, &pair_path, &fresh, None)
        .await
        .json()
        .await
        .unwrap();
    let res = facilitate(
        &a,
        &fac,
        &format!("/api/v1/campaigns/{code}/phase"),
        json!({ "phase": "closed" }),
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = as_participant(
        &b,
        reqwest::Method::POST,
        &vote_path,
        &fresh,
        Some(json!({ "offer_id": p["offer_id"], "choice": "left" })),
    )
    .await;
    assert_eq!(res.status(), 409);
    assert_eq!(
        count(
            &a,
            "SELECT COUNT(*) FROM pair_offers WHERE voted_at IS NOT NULL"
        )
        .await,
        22
    );
    drop(stream);
    b.stop().await;
    a.finish().await;
}

/// An idea added while votes come in is offered at once, before any refit includes it (it
/// starts at the prior, with no comparisons): every vote is answered with a pair, and the
/// new idea is among the next pairs. (Under uniform choice it would be missing from all
/// nine with a chance of 1 in 5005.)
async fn an_idea_added_during_voting_is_offered_at_once(backend: Backend) {
    let t = spawn(backend).await;
    let (code, fac) = open_question(&t, 6, 40).await;
    let voter = join(&t, &code).await;
    let vote_path = format!("/api/v1/campaigns/{code}/votes");
    let mut p: Value = shown_pair(&t, &code, &voter).await;
    let vote = |p: Value| {
        as_participant(
            &t,
            reqwest::Method::POST,
            &vote_path,
            &voter,
            Some(json!({ "offer_id": p["offer_id"], "choice": "left" })),
        )
    };
    for _ in 0..6 {
        let res = vote(p).await;
        assert_eq!(res.status(), 201);
        p = res.json::<Value>().await.unwrap()["next"].clone();
    }
    let res = facilitate(
        &t,
        &fac,
        &format!("/api/v1/campaigns/{code}/ideas"),
        json!({ "text": "En idé som kom sent" }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let late = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut shown = 0;
    for _ in 0..9 {
        let res = vote(p).await;
        assert_eq!(res.status(), 201);
        p = res.json::<Value>().await.unwrap()["next"].clone();
        assert!(p["offer_id"].is_string(), "{p}");
        if p["left"]["id"] == late.as_str() || p["right"]["id"] == late.as_str() {
            shown += 1;
        }
    }
    assert!(
        shown >= 1,
        "the late idea was not among the next nine pairs"
    );
    t.finish().await;
}
both!(an_idea_added_during_voting_is_offered_at_once);

/// Fits for choosing pairs are refitted every second from the votes cast since the last
/// fit, added to its comparisons: after several such refits the node's fit holds exactly
/// the comparisons of every decided vote up to its latest, each counted once.
async fn pair_fits_add_new_votes_as_reading_all_would(backend: Backend) {
    let t = spawn(backend).await;
    let (code, _) = open_question(&t, 8, 100).await;
    let id = only_campaign_id(&t).await;
    let voter = join(&t, &code).await;
    let vote_url = format!("/api/v1/campaigns/{code}/votes");
    let mut offer = shown_pair(&t, &code, &voter).await["offer_id"].clone();
    let fit = |t: &TestApp| t.app.rankings.lock().unwrap().get(&id).cloned();
    let mut added_since = 0;
    for round in 0..5 {
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        for k in 0..4 {
            let choice = match (round + k) % 4 {
                0 => "skip",
                1 | 2 => "left",
                _ => "right",
            };
            let body = json!({ "offer_id": offer, "choice": choice });
            let before = fit(&t).map(|f| f.at);
            let res =
                as_participant(&t, reqwest::Method::POST, &vote_url, &voter, Some(body)).await;
            assert_eq!(
                res.status(),
                201,
                "round {round}, vote {k}: {}",
                res.text().await.unwrap()
            );
            offer = res.json::<Value>().await.unwrap()["next"]["offer_id"].clone();
            if k == 0 {
                // The first vote of a round chose its next pair from a fit over a second old,
                // which starts a refit in the background: wait for it.
                let mut waited = 0;
                while fit(&t).map(|f| f.at) == before {
                    waited += 1;
                    assert!(waited < 100, "a background refit in round {round}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                let f = fit(&t).unwrap();
                if f.read_all_at + std::time::Duration::from_millis(500) < f.at {
                    added_since += 1;
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    assert!(
        added_since >= 3,
        "refits added new votes to the last fit ({added_since})"
    );
    // The node's comparisons against every decided vote up to its latest, aggregated anew.
    let f = fit(&t).unwrap();
    let last = f.last_vote.clone().expect("votes were fitted");
    let mut tx = t.app.db.read().await.unwrap();
    let shown: Vec<(String, i64, i64)> = tx
        .fetch_all(
            store::sql(
                "SELECT o.choice, l.seq, r.seq FROM pair_offers o JOIN ideas l ON l.id = o.left_idea_id JOIN ideas r ON r.id = o.right_idea_id WHERE o.choice IS NOT NULL AND o.voted_at <= ?",
            )
            .bind(last.as_str()),
        )
        .await
        .unwrap();
    let votes: Vec<(i64, i64)> = shown
        .into_iter()
        .filter_map(|(choice, left, right)| match choice.as_str() {
            "left" => Some((left, right)),
            "right" => Some((right, left)),
            _ => None,
        })
        .collect();
    let seqs: Vec<(i64,)> = tx
        .fetch_all(store::sql("SELECT seq FROM ideas ORDER BY seq"))
        .await
        .unwrap();
    drop(tx);
    let index = |s: i64| seqs.iter().position(|x| x.0 == s).unwrap();
    let pairs: Vec<(usize, usize)> = votes.iter().map(|(w, l)| (index(*w), index(*l))).collect();
    assert!(pairs.len() >= 10, "{} decided votes fitted", pairs.len());
    let anew = domain::ranking::Comparisons::from_votes(seqs.len(), &pairs);
    assert_eq!(f.votes as usize, pairs.len());
    assert_eq!(f.comparisons.pairs, anew.pairs);
    t.finish().await;
}
both!(pair_fits_add_new_votes_as_reading_all_would);
