//! Every triage action, through the API and the follow-up page, each one an event.

use crate::both;
use crate::support::{Backend, spawn};
use serde_json::{Value, json};

async fn status_of(t: &crate::support::TestApp, token: &str, id: &str) -> Value {
    let res = t.api_get(token, &format!("/api/v1/submissions/{id}")).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Posts an action that must be refused with `status`, and checks nothing changed.
async fn refused(t: &crate::support::TestApp, token: &str, id: &str, body: Value, status: u16) {
    let before = status_of(t, token, id).await;
    let res = t.act(token, id, body.clone()).await;
    assert_eq!(res.status(), status, "{body}");
    let after = status_of(t, token, id).await;
    assert_eq!(
        (before["status"].clone(), before["events"].clone()),
        (after["status"].clone(), after["events"].clone()),
        "a refused action changed nothing: {body}"
    );
}

async fn every_triage_action_is_an_event(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("unit-a", Some("region-a")).await;
    t.org("region-b", None).await;
    t.user("advisor@x.se", "region-a", "advisor").await;
    t.user("colleague@x.se", "region-a", "advisor").await;
    let token = t.token("advisor@x.se").await;
    let first = t.submit_ok("region-a", "Första behovet").await;
    let second = t.submit_ok("region-a", "Andra behovet").await;
    let (id, id2) = (
        first["id"].as_str().unwrap().to_string(),
        second["id"].as_str().unwrap().to_string(),
    );
    let follow_up = first["follow_up_url"].as_str().unwrap().to_string();

    let mut events = t.event_count().await;
    let step = |body: Value, expect_status: &'static str| {
        let t = &t;
        let token = token.clone();
        let id = id.clone();
        async move {
            let res = t.act(&token, &id, body.clone()).await;
            assert_eq!(res.status(), 200, "{body}: {:?}", res.text().await);
            let json: Value = res.json().await.unwrap();
            assert_eq!(json["status"], expect_status, "{body}");
        }
    };

    // Assign to me, then to a colleague.
    step(json!({ "action": "assign" }), "in_review").await;
    let v = status_of(&t, &token, &id).await;
    assert_eq!(v["assignee"]["name"], "Name advisor@x.se");
    let colleague_id = {
        let mut tx = t.app.db.read().await.unwrap();
        store::users::by_email(&mut tx, "colleague@x.se")
            .await
            .unwrap()
            .unwrap()
            .id
    };
    step(
        json!({ "action": "assign", "user_id": colleague_id }),
        "in_review",
    )
    .await;
    assert_eq!(
        status_of(&t, &token, &id).await["assignee"]["name"],
        "Name colleague@x.se"
    );
    // Internal comment: never on the follow-up page.
    step(
        json!({ "action": "comment", "note": "Intern anteckning om behovet" }),
        "in_review",
    )
    .await;
    // Ask for more: shown on the follow-up page.
    step(
        json!({ "action": "request_info", "message": "Hur ofta händer detta?" }),
        "awaiting_info",
    )
    .await;
    let html = t
        .http
        .get(&follow_up)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Hur ofta händer detta?"));
    assert!(!html.contains("Intern anteckning"));
    assert!(html.contains("Svara på frågan"), "reply form shown");
    // The submitter answers on the follow-up page (a form with CSRF).
    let c = crate::support::client();
    let csrf = t.csrf(&c, &follow_up.replace(&t.base, "")).await;
    let res = c
        .post(format!("{follow_up}/svar"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("reply", "Varje morgon mellan åtta och nio."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let v = status_of(&t, &token, &id).await;
    assert_eq!(v["status"], "in_review");
    assert!(
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["body"] == "Varje morgon mellan åtta och nio."
                && m["direction"] == "from_submitter")
    );
    // A message without a status change.
    step(
        json!({ "action": "message", "message": "Tack, vi återkommer." }),
        "in_review",
    )
    .await;
    // Forward to the unit: new again there, unassigned.
    step(
        json!({ "action": "forward", "organisation": "unit-a", "note": "Hör till enheten" }),
        "new",
    )
    .await;
    let v = status_of(&t, &token, &id).await;
    assert_eq!(v["organisation"]["name"], "Org unit-a");
    assert!(v["assignee"].is_null());
    // Forward out of the region, or to where it already is: refused.
    refused(
        &t,
        &token,
        &id,
        json!({ "action": "forward", "organisation": "region-b" }),
        422,
    )
    .await;
    refused(
        &t,
        &token,
        &id,
        json!({ "action": "forward", "organisation": "unit-a" }),
        422,
    )
    .await;
    // Mark as a duplicate of the second submission, by reference; not of itself.
    let self_ref = first["reference"].as_str().unwrap();
    refused(
        &t,
        &token,
        &id,
        json!({ "action": "mark_duplicate", "duplicate_of": self_ref }),
        422,
    )
    .await;
    refused(
        &t,
        &token,
        &id,
        json!({ "action": "mark_duplicate", "duplicate_of": "1999/99999" }),
        422,
    )
    .await;
    step(
        json!({ "action": "mark_duplicate", "duplicate_of": second["reference"] }),
        "duplicate",
    )
    .await;
    assert_eq!(
        status_of(&t, &token, &id).await["duplicate_of"],
        second["reference"]
    );
    // Closed: only comments and reopening.
    let res = t.act(&token, &id, json!({ "action": "accept" })).await;
    assert_eq!(res.status(), 409);
    step(
        json!({ "action": "reopen", "note": "Inte en dubblett ändå" }),
        "in_review",
    )
    .await;
    // Reject with a reason: the submitter sees the explanation and the reason.
    refused(
        &t,
        &token,
        &id,
        json!({ "action": "reject", "reason": "not_innovation" }),
        422,
    )
    .await;
    step(
        json!({ "action": "reject", "reason": "not_innovation", "reason_text": "Detta är förbättringsarbete och har skickats till linjen." }),
        "rejected",
    )
    .await;
    let html = t
        .http
        .get(&follow_up)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Detta är förbättringsarbete och har skickats till linjen."));
    assert!(html.contains("Inte innovation: förbättringsarbete, skickat vidare till linjen"));
    assert!(html.contains(">Avslutad<"));
    refused(
        &t,
        &token,
        &id,
        json!({ "action": "reject", "reason": "other", "reason_text": "Igen" }),
        409,
    )
    .await;
    // Accept the other one.
    let res = t
        .act(
            &token,
            &id2,
            json!({ "action": "accept", "note": "Går vidare" }),
        )
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "accepted");
    // Unknown action and wrong types.
    refused(&t, &token, &id2, json!({ "action": "explode" }), 422).await;
    refused(&t, &token, &id2, json!({ "action": 7 }), 422).await;

    // One event per action, in the timeline, in order.
    let v = status_of(&t, &token, &id).await;
    let kinds: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "submission.received",
            "submission.assigned",
            "submission.assigned",
            "submission.commented",
            "submission.info_requested",
            "submission.reply_received",
            "submission.message_sent",
            "submission.forwarded",
            "submission.marked_duplicate",
            "submission.reopened",
            "submission.rejected",
        ]
    );
    events += 10 + 1; // ten actions and one reply on the first, one accept on the second
    assert_eq!(t.event_count().await, events);
    t.finish().await;
}
both!(every_triage_action_is_an_event);

async fn inbox_filters_and_pages(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("unit-a", Some("region-a")).await;
    t.user("advisor@x.se", "region-a", "advisor").await;
    let token = t.token("advisor@x.se").await;
    for i in 0..30 {
        let mut body = crate::support::valid_submission(
            if i % 3 == 0 { "unit-a" } else { "region-a" },
            &format!("Behov nummer {i:02}"),
        );
        body["kind"] = json!(if i % 2 == 0 { "idea" } else { "need" });
        body["submitter_role"] = json!(if i % 5 == 0 { "staff" } else { "citizen" });
        let res = t.post_submission(&body).await;
        assert_eq!(res.status(), 201);
    }
    let get = |q: &'static str| {
        let t = &t;
        let token = token.clone();
        async move {
            let res = t.api_get(&token, &format!("/api/v1/submissions{q}")).await;
            assert_eq!(res.status(), 200, "{q}");
            res.json::<Value>().await.unwrap()
        }
    };
    let all = get("").await;
    assert_eq!(all["total"], 30);
    assert_eq!(all["pages"], 2);
    assert_eq!(all["items"].as_array().unwrap().len(), 25);
    assert_eq!(get("?page=2").await["items"].as_array().unwrap().len(), 5);
    assert_eq!(get("?kind=idea").await["total"], 15);
    assert_eq!(get("?submitter_role=staff").await["total"], 6);
    assert_eq!(get("?unit=unit-a").await["total"], 10);
    assert_eq!(get("?kind=idea&unit=unit-a").await["total"], 5);
    assert_eq!(get("?q=nummer%2007").await["total"], 1);
    assert_eq!(get("?status=new").await["total"], 30);
    assert_eq!(get("?status=rejected").await["total"], 0);
    assert_eq!(get("?assignee=me").await["total"], 0);
    let today = time::OffsetDateTime::now_utc().date();
    let tomorrow = today.next_day().unwrap();
    assert_eq!(
        t.api_get(
            &token,
            &format!("/api/v1/submissions?from={today}&to={today}")
        )
        .await
        .json::<Value>()
        .await
        .unwrap()["total"],
        30
    );
    assert_eq!(
        t.api_get(&token, &format!("/api/v1/submissions?from={tomorrow}"))
            .await
            .json::<Value>()
            .await
            .unwrap()["total"],
        0
    );
    // Bad filters are named.
    let res = t
        .api_get(&token, "/api/v1/submissions?status=lost&from=igår")
        .await;
    assert_eq!(res.status(), 422);
    let v: Value = res.json().await.unwrap();
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["status", "from"]);
    t.finish().await;
}
both!(inbox_filters_and_pages);

/// The inbox's text search finds any part of a title or a reference, in any case (Å as
/// well as A), reads nothing in the text as query syntax, and takes one or two characters.
async fn inbox_search_finds_parts_in_any_case(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.user("advisor@x.se", "region-a", "advisor").await;
    let token = t.token("advisor@x.se").await;
    let mut references = Vec::new();
    for title in [
        "Åtgärder mot köer på vårdcentralen",
        "Sjukhusets väntrum",
        "100% \"digitalt\" och_understreck",
        "Bättre skyltning",
    ] {
        let res = t
            .post_submission(&crate::support::valid_submission("region-a", title))
            .await;
        assert_eq!(res.status(), 201);
        references.push(
            res.json::<Value>().await.unwrap()["reference"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let found = |q: String| {
        let (t, token) = (&t, token.clone());
        async move {
            let path = format!("/api/v1/submissions?q={}", urlencoding(&q));
            let res = t.api_get(&token, &path).await;
            assert_eq!(res.status(), 200, "{q}");
            let v = res.json::<Value>().await.unwrap();
            let mut titles: Vec<String> = v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["title"].as_str().unwrap().to_string())
                .collect();
            titles.sort();
            assert_eq!(v["total"], titles.len(), "{q}");
            titles
        }
    };
    let first = vec!["Åtgärder mot köer på vårdcentralen".to_string()];
    assert_eq!(found("ÅTGÄRDER".into()).await, first);
    assert_eq!(found("vårdcentral".into()).await, first);
    assert_eq!(found("KöEr PÅ".into()).await, first);
    assert_eq!(
        found("\"digitalt\"".into()).await,
        vec!["100% \"digitalt\" och_understreck"]
    );
    assert_eq!(found("100%".into()).await.len(), 1);
    assert_eq!(found("och_u".into()).await.len(), 1);
    // FTS5 syntax is text here: no error, and no match where the text is not found.
    for q in [
        "väntrum OR skyltning",
        "vänt*",
        "-väntrum",
        "NEAR(a b)",
        "rum\" OR \"bätt",
    ] {
        assert!(found(q.into()).await.is_empty(), "{q}");
    }
    // One or two characters.
    assert_eq!(found("yl".into()).await, vec!["Bättre skyltning"]);
    assert_eq!(found("%".into()).await.len(), 1);
    assert_eq!(found("_".into()).await.len(), 1);
    // A reference, whole or in part.
    assert_eq!(
        found(references[1].clone()).await,
        vec!["Sjukhusets väntrum"]
    );
    let tail = &references[3][references[3].len() - 3..];
    assert!(
        found(tail.to_string())
            .await
            .contains(&"Bättre skyltning".to_string())
    );
    // Submissions written after the search index was made are found as well as those before.
    let res = t
        .post_submission(&crate::support::valid_submission(
            "region-a",
            "Ännu en vårdcentral",
        ))
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(found("VÅRDCENTRAL".into()).await.len(), 2);
    t.finish().await;
}
both!(inbox_search_finds_parts_in_any_case);

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn personal_data_is_exportable_and_erasable(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("unit-a", Some("region-a")).await;
    t.user("advisor@x.se", "region-a", "advisor").await;
    let token = t.token("advisor@x.se").await;
    let first = t.submit_ok("region-a", "Första behovet").await;
    t.submit_ok("unit-a", "Andra behovet").await;
    let mut other = crate::support::valid_submission("region-a", "Någon annans behov");
    other["contact_email"] = json!("bertil@example.se");
    assert_eq!(t.post_submission(&other).await.status(), 201);

    // Export: everything under the address, and nothing else.
    let data = app::personal_data::export(&t.app, "Anna@Example.se")
        .await
        .unwrap();
    let subs = data["submissions"].as_array().unwrap();
    assert_eq!(subs.len(), 2);
    assert!(subs.iter().all(|s| s["contact_name"] == "Anna Andersson"));
    assert!(subs.iter().any(|s| s["title"] == "Andra behovet"));

    // A handler erases one submission's contact details from the inbox.
    let id = first["id"].as_str().unwrap();
    let res = t
        .act(&token, id, json!({ "action": "erase_contact" }))
        .await;
    assert_eq!(res.status(), 200);
    let v = status_of(&t, &token, id).await;
    assert!(v["contact"]["name"].is_null() && v["contact"]["email"].is_null());
    assert_eq!(
        v["events"].as_array().unwrap().last().unwrap()["kind"],
        "submission.contact_erased"
    );

    // Erasing by address takes the rest; the other submitter is untouched.
    assert_eq!(
        app::personal_data::erase(&t.app, &store::events::Actor::System, "anna@example.se")
            .await
            .unwrap(),
        1
    );
    let data = app::personal_data::export(&t.app, "anna@example.se")
        .await
        .unwrap();
    assert!(data["submissions"].as_array().unwrap().is_empty());
    assert_eq!(
        app::personal_data::export(&t.app, "bertil@example.se")
            .await
            .unwrap()["submissions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The address is nowhere in the event log.
    let mut tx = t.app.db.read().await.unwrap();
    let (n,): (i64,) = tx
        .fetch_one(
            store::sql("SELECT COUNT(*) FROM events WHERE payload LIKE ?")
                .bind("%anna@example.se%"),
        )
        .await
        .unwrap();
    assert_eq!(n, 0);
    drop(tx);
    // A malformed address is refused, not treated as "nothing found".
    assert!(matches!(
        app::personal_data::export(&t.app, "not an address").await,
        Err(app::AppError::Validation(_))
    ));
    t.finish().await;
}
both!(personal_data_is_exportable_and_erasable);
