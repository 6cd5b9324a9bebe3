//! Who may see and act on what: roles reach down the organisation tree, never across regions.

use crate::both;
use crate::support::{Backend, spawn};
use serde_json::{Value, json};

async fn one_region_cannot_see_another_regions_inbox(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("unit-a", Some("region-a")).await;
    t.org("region-b", None).await;
    t.user("advisor-a@x.se", "region-a", "advisor").await;
    t.user("advisor-b@x.se", "region-b", "advisor").await;
    t.user("unit-advisor@x.se", "unit-a", "advisor").await;
    t.user("staff-a@x.se", "region-a", "staff").await;
    t.user("decider-a@x.se", "region-a", "decision_maker").await;
    let in_a = t.submit_ok("region-a", "Behov i region A").await;
    let in_unit = t.submit_ok("unit-a", "Behov i enhet A").await;
    let in_b = t.submit_ok("region-b", "Behov i region B").await;
    let (ta, tb, tu, ts, td) = (
        t.token("advisor-a@x.se").await,
        t.token("advisor-b@x.se").await,
        t.token("unit-advisor@x.se").await,
        t.token("staff-a@x.se").await,
        t.token("decider-a@x.se").await,
    );
    let titles = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_string())
            .collect()
    };

    // The region's advisor sees the region and its unit, not region B.
    let list: Value = t
        .api_get(&ta, "/api/v1/submissions")
        .await
        .json()
        .await
        .unwrap();
    let seen = titles(&list);
    assert!(
        seen.contains(&"Behov i region A".to_string())
            && seen.contains(&"Behov i enhet A".to_string())
    );
    assert!(!seen.contains(&"Behov i region B".to_string()));
    assert_eq!(list["total"], 2);
    // Region B's advisor sees only region B.
    let list: Value = t
        .api_get(&tb, "/api/v1/submissions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(titles(&list), vec!["Behov i region B".to_string()]);
    // A unit's advisor sees the unit only.
    let list: Value = t
        .api_get(&tu, "/api/v1/submissions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(titles(&list), vec!["Behov i enhet A".to_string()]);

    // Another region's submission is not found, to read or to act on.
    let id_b = in_b["id"].as_str().unwrap();
    assert_eq!(
        t.api_get(&ta, &format!("/api/v1/submissions/{id_b}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        t.act(&ta, id_b, json!({ "action": "assign" }))
            .await
            .status(),
        404
    );
    assert_eq!(
        t.api_get(
            &tu,
            &format!("/api/v1/submissions/{}", in_a["id"].as_str().unwrap())
        )
        .await
        .status(),
        404
    );

    // Staff without an inbox role: forbidden. A decision maker may read but not act.
    assert_eq!(t.api_get(&ts, "/api/v1/submissions").await.status(), 403);
    assert_eq!(t.api_get(&td, "/api/v1/submissions").await.status(), 200);
    let id_unit = in_unit["id"].as_str().unwrap();
    assert_eq!(
        t.act(
            &td,
            id_unit,
            json!({ "action": "comment", "note": "Jag tycker till" })
        )
        .await
        .status(),
        403
    );

    // No token, a wrong token: 401 with a Bearer challenge.
    let res = t
        .http
        .get(t.url("/api/v1/submissions"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        t.api_get("sluss_wrong", "/api/v1/submissions")
            .await
            .status(),
        401
    );

    // The HTML inbox follows the same rules.
    let pw = t.user("advisor-b2@x.se", "region-b", "advisor").await;
    let browser = t.browser_login("advisor-b2@x.se", &pw).await;
    let html = browser
        .get(t.url("/inkorg"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Behov i region B") && !html.contains("Behov i region A"));
    let res = browser
        .get(t.url(&format!("/inkorg/{}", in_a["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let staff_pw = t.user("staff-b@x.se", "region-b", "staff").await;
    let staff = crate::support::client();
    let csrf = t.csrf(&staff, "/logga-in").await;
    let res = staff
        .post(t.url("/logga-in"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", "staff-b@x.se"),
            ("password", staff_pw.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["location"],
        "/mitt-arbete",
        "staff without an inbox land on their start page, Mitt arbete"
    );
    assert_eq!(
        staff
            .get(t.url("/logga-in"))
            .send()
            .await
            .unwrap()
            .headers()["location"],
        "/mitt-arbete",
        "already signed in"
    );
    assert_eq!(
        staff.get(t.url("/inkorg")).send().await.unwrap().status(),
        403
    );
    // Not signed in: sent to the sign-in page, and back afterwards.
    let anon = crate::support::client();
    let res = anon.get(t.url("/inkorg?status=new")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/logga-in?next=%2Finkorg%3Fstatus%3Dnew"
    );
    t.finish().await;
}
both!(one_region_cannot_see_another_regions_inbox);

/// A reference names a submission only for someone who may see it: a unit's advisor naming
/// a sibling unit's submission (to open a case from it, or to mark a duplicate of it) gets
/// exactly the answer for a reference that does not exist, and nothing is written.
async fn a_reference_reaches_only_what_the_caller_may_see(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("unit-a", Some("region-a")).await;
    t.org("unit-b", Some("region-a")).await;
    t.user("advisor-a@x.se", "unit-a", "advisor").await;
    t.user("advisor-b@x.se", "unit-b", "advisor").await;
    let (ta, tb) = (
        t.token("advisor-a@x.se").await,
        t.token("advisor-b@x.se").await,
    );
    let own = t.submit_ok("unit-a", "Behov i enhet A").await;
    let sibling = t.submit_ok("unit-b", "Hemligt behov i enhet B").await;
    let fresh = t.submit_ok("unit-a", "Kanske en dubblett").await;
    for (token, s) in [(&ta, &own), (&tb, &sibling)] {
        let res = t
            .act(
                token,
                s["id"].as_str().unwrap(),
                json!({ "action": "accept" }),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    let sibling_ref = sibling["reference"].as_str().unwrap();
    // The sibling's submission is not found to read.
    assert_eq!(
        t.api_get(
            &ta,
            &format!("/api/v1/submissions/{}", sibling["id"].as_str().unwrap())
        )
        .await
        .status(),
        404
    );
    let cases = async || -> i64 {
        let mut tx = t.app.db.read().await.unwrap();
        let (n,): (i64,) = tx
            .fetch_one(store::sql("SELECT COUNT(*) FROM cases"))
            .await
            .unwrap();
        n
    };
    let (cases0, events0) = (cases().await, t.event_count().await);
    let open = async |reference: &str| {
        let res = t
            .http
            .post(t.url("/api/v1/cases"))
            .bearer_auth(&ta)
            .json(&json!({ "title": "Ett ärende", "description": "x", "unit": "unit-a", "template": "spelplanen", "submissions": [reference] }))
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json::<Value>().await.unwrap())
    };
    let hidden = open(sibling_ref).await;
    let missing = open("2099/99999").await;
    assert_eq!(hidden.0, 422, "{:?}", hidden.1);
    assert_eq!(
        hidden, missing,
        "a hidden reference answers as a missing one"
    );
    assert_eq!(
        hidden.1["errors"][0]["field"], "submissions",
        "{:?}",
        hidden.1
    );
    assert_eq!(hidden.1["errors"][0]["code"], "unknown_submission");
    assert_eq!((cases().await, t.event_count().await), (cases0, events0));
    // Nothing of it reaches the submitter's follow-up page.
    let follow_url = sibling["follow_up_url"].as_str().unwrap();
    let path = &follow_url[follow_url.find("/folj/").unwrap()..];
    let follow = t
        .http
        .get(t.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!follow.to_string().contains("Ett ärende"), "{follow}");

    // Marking a duplicate of it: the same.
    let dup = async |reference: &str| {
        let res = t
            .act(
                &ta,
                fresh["id"].as_str().unwrap(),
                json!({ "action": "mark_duplicate", "duplicate_of": reference }),
            )
            .await;
        (res.status().as_u16(), res.json::<Value>().await.unwrap())
    };
    let hidden = dup(sibling_ref).await;
    let missing = dup("2099/99999").await;
    assert_eq!(hidden.0, 422, "{:?}", hidden.1);
    assert_eq!(
        hidden, missing,
        "a hidden reference answers as a missing one"
    );
    assert_eq!(t.event_count().await, events0);
    t.finish().await;
}
both!(a_reference_reaches_only_what_the_caller_may_see);
