//! Cases through the API and the pages: opened from an accepted submission, walked through
//! Spelplanen with ticks, gates under mandate, an override, the vägval and the result; the
//! refusals change nothing; the register and the follow-up page show the public status.

use crate::both;
use crate::support::{Backend, TestApp, csrf_in, spawn};
use serde_json::{Value, json};

async fn post(t: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    t.http
        .post(t.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request")
}

async fn case(t: &TestApp, token: &str, id: &str) -> Value {
    let res = t.api_get(token, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn case_count(t: &TestApp) -> i64 {
    let mut tx = t.app.db.read().await.unwrap();
    let (n,): (i64,) = tx
        .fetch_one(store::sql("SELECT COUNT(*) FROM cases"))
        .await
        .unwrap();
    n
}

/// Posts a change that must be refused with `status` (and `check` on its body), and checks
/// that the case and the event log are unchanged.
async fn refused(
    t: &TestApp,
    token: &str,
    id: &str,
    path: &str,
    body: Value,
    status: u16,
    check: impl Fn(&Value),
) {
    let before = case(t, token, id).await;
    let events = t.event_count().await;
    let res = post(
        t,
        token,
        &format!("/api/v1/cases/{id}/{path}"),
        body.clone(),
    )
    .await;
    assert_eq!(res.status(), status, "{body}");
    check(&res.json().await.unwrap());
    let after = case(t, token, id).await;
    assert_eq!(before["process"], after["process"], "refused: {body}");
    assert_eq!(before["updated_at"], after["updated_at"]);
    assert_eq!(events, t.event_count().await, "no event for a refusal");
}

fn field_error(v: &Value, field: &str, code: &str) {
    assert!(
        v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == field && e["code"] == code),
        "expected {field}/{code} in {v}"
    );
}

async fn tick_all_required(t: &TestApp, token: &str, id: &str) {
    let c = case(t, token, id).await;
    for open in c["process"]["open_required_items"].as_array().unwrap() {
        let res = post(
            t,
            token,
            &format!("/api/v1/cases/{id}/checklist"),
            json!({ "step": open["step"], "item": open["item"], "note": "Klart enligt arbetsgruppen." }),
        )
        .await;
        assert_eq!(res.status(), 200, "{:?}", res.text().await);
    }
}

async fn a_case_walks_spelplanen_on_the_record(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("unit-a", Some("region-a")).await;
    t.org("region-b", None).await;
    t.user("advisor@x.se", "region-a", "advisor").await;
    t.user("decider@x.se", "region-a", "decision_maker").await;
    t.user("advisor-b@x.se", "region-b", "advisor").await;
    t.user("decider-b@x.se", "region-b", "decision_maker").await;
    let adv = t.token("advisor@x.se").await;
    let dec = t.token("decider@x.se").await;
    let adv_b = t.token("advisor-b@x.se").await;
    let dec_b = t.token("decider-b@x.se").await;

    let accepted = t.submit_ok("unit-a", "Digital incheckning").await;
    let open_one = t.submit_ok("region-a", "Inte antagen ännu").await;
    let sub_id = accepted["id"].as_str().unwrap();
    let res = t.act(&adv, sub_id, json!({ "action": "accept" })).await;
    assert_eq!(res.status(), 200);
    let templates = app::processes::list(&t.app).await.unwrap();
    let spelplanen = templates
        .iter()
        .find(|x| x.template_key == "spelplanen")
        .unwrap()
        .id
        .clone();

    // Bad input: nothing is written.
    let (cases0, events0) = (case_count(&t).await, t.event_count().await);
    for (subs, code) in [
        (json!(["2026/99999"]), "unknown_submission"),
        (json!([open_one["reference"]]), "not_accepted"),
    ] {
        let res = post(&t, &adv, "/api/v1/cases", json!({ "title": "Incheckning", "description": "Köer i receptionen.", "unit": "unit-a", "template": spelplanen, "submissions": subs })).await;
        assert_eq!(res.status(), 422);
        field_error(&res.json().await.unwrap(), "submissions", code);
    }
    let res = post(
        &t,
        &adv,
        "/api/v1/cases",
        json!({ "title": "", "unit": "region-b", "template": "nej" }),
    )
    .await;
    assert_eq!(res.status(), 422);
    let v: Value = res.json().await.unwrap();
    for (f, c) in [
        ("title", "required"),
        ("description", "required"),
        ("unit", "unknown_organisation"),
    ] {
        field_error(&v, f, c);
    }
    // Staff of another region cannot open a case here; a decision maker cannot open one.
    let res = post(&t, &dec, "/api/v1/cases", json!({ "title": "Incheckning", "description": "x", "unit": "unit-a", "template": spelplanen })).await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        (cases0, events0),
        (case_count(&t).await, t.event_count().await)
    );

    // Opened from the accepted submission, in the region's diarium series.
    let res = post(
        &t,
        &adv,
        "/api/v1/cases",
        json!({
            "title": "Digital incheckning på vårdcentralen",
            "public_title": "Digital incheckning",
            "description": "Patienter köar för att anmäla sin ankomst.",
            "unit": "unit-a",
            "template": spelplanen,
            "submissions": [accepted["reference"]],
        }),
    )
    .await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let opened: Value = res.json().await.unwrap();
    let id = opened["id"].as_str().unwrap().to_string();
    let reference = opened["reference"].as_str().unwrap().to_string();
    assert!(reference.as_str() > open_one["reference"].as_str().unwrap());
    let c = case(&t, &adv, &id).await;
    assert_eq!(c["process"]["phase"], "behovsanalys");
    assert_eq!(c["template"]["version"], 1);
    assert_eq!(c["submissions"][0]["reference"], accepted["reference"]);
    assert_eq!(c["handler"]["name"], "Name advisor@x.se");

    // Another region sees nothing of it.
    assert_eq!(
        t.api_get(&adv_b, &format!("/api/v1/cases/{id}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        post(
            &t,
            &dec_b,
            &format!("/api/v1/cases/{id}/decisions"),
            json!({ "decision": "proceed", "rationale": "Ja." })
        )
        .await
        .status(),
        404
    );

    // The working group: members carry a function of the template.
    let res = post(
        &t,
        &adv,
        &format!("/api/v1/cases/{id}/members"),
        json!({ "name": "Tomas Testledare", "function": "testa" }),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["members"][0]["function"],
        "testa"
    );
    refused(
        &t,
        &adv,
        &id,
        "members",
        json!({ "name": "X Y", "function": "astronaut" }),
        422,
        |v| field_error(v, "function", "invalid_choice"),
    )
    .await;

    // A tick records who and a note; an unknown item and a second tick are refused.
    let res = post(
        &t,
        &adv,
        &format!("/api/v1/cases/{id}/checklist"),
        json!({ "step": "arbetsgrupp", "item": "testa", "note": "Testledaren är med." }),
    )
    .await;
    assert_eq!(res.status(), 200);
    let c: Value = res.json().await.unwrap();
    let item = &c["process"]["checklist"][0]["items"][1];
    assert_eq!(
        (item["done"].clone(), item["note"].clone()),
        (json!(true), json!("Testledaren är med."))
    );
    refused(
        &t,
        &adv,
        &id,
        "checklist",
        json!({ "step": "arbetsgrupp", "item": "testa" }),
        409,
        |v| assert_eq!(v["code"], "already_ticked"),
    )
    .await;
    refused(
        &t,
        &adv,
        &id,
        "checklist",
        json!({ "step": "arbetsgrupp", "item": "nope" }),
        422,
        |v| field_error(v, "item", "invalid_choice"),
    )
    .await;

    // A decision without mandate is refused, naming the role that has it.
    refused(
        &t,
        &adv,
        &id,
        "decisions",
        json!({ "decision": "proceed", "rationale": "Vidare." }),
        403,
        |v| {
            assert_eq!(
                (v["error"].clone(), v["role"].clone()),
                (json!("no_mandate"), json!("decision_maker"))
            );
        },
    )
    .await;
    // Open required items need an override reason, which is then on the record.
    refused(
        &t,
        &dec,
        &id,
        "decisions",
        json!({ "decision": "proceed", "rationale": "Vidare." }),
        422,
        |v| field_error(v, "override_reason", "override_required"),
    )
    .await;
    refused(
        &t,
        &dec,
        &id,
        "decisions",
        json!({ "decision": "proceed" }),
        422,
        |v| field_error(v, "rationale", "required"),
    )
    .await;
    refused(
        &t,
        &dec,
        &id,
        "decisions",
        json!({ "decision": "send_back", "rationale": "Tillbaka." }),
        409,
        |v| assert_eq!(v["code"], "nothing_before"),
    )
    .await;
    let res = post(&t, &dec, &format!("/api/v1/cases/{id}/decisions"), json!({ "decision": "proceed", "rationale": "Behovet är tydligt.", "override_reason": "Omvärldsanalysen görs parallellt." })).await;
    assert_eq!(res.status(), 200);
    let c: Value = res.json().await.unwrap();
    assert_eq!(c["process"]["phase"], "planering");
    let d = &c["process"]["decisions"][0];
    assert_eq!(d["override_reason"], "Omvärldsanalysen görs parallellt.");
    assert_eq!(d["role"], "decision_maker");
    assert!(d["open_items"].as_array().unwrap().len() >= 5);

    // Planering och vägval: the gate needs the path; the path adds its steps.
    tick_all_required(&t, &adv, &id).await;
    refused(
        &t,
        &dec,
        &id,
        "decisions",
        json!({ "decision": "proceed", "rationale": "Vidare." }),
        409,
        |v| assert_eq!(v["code"], "path_required"),
    )
    .await;
    refused(
        &t,
        &adv,
        &id,
        "path",
        json!({ "vagval": "innovation_procurement", "rationale": "Marknaden saknar lösning." }),
        403,
        |v| assert_eq!(v["error"], "no_mandate"),
    )
    .await;
    refused(
        &t,
        &dec,
        &id,
        "path",
        json!({ "vagval": "teleport", "rationale": "Snabbt." }),
        422,
        |v| field_error(v, "vagval", "invalid_choice"),
    )
    .await;
    let res = post(&t, &dec, &format!("/api/v1/cases/{id}/path"), json!({ "vagval": "innovation_procurement", "rationale": "Marknaden saknar lösning; innovationspartnerskap." })).await;
    assert_eq!(res.status(), 200);
    refused(
        &t,
        &dec,
        &id,
        "path",
        json!({ "vagval": "testbed", "rationale": "Ändrat." }),
        409,
        |v| assert_eq!(v["code"], "path_already_chosen"),
    )
    .await;
    let res = post(
        &t,
        &dec,
        &format!("/api/v1/cases/{id}/decisions"),
        json!({ "decision": "proceed", "rationale": "Vägvalet är gjort." }),
    )
    .await;
    assert_eq!(res.status(), 200);
    let c: Value = res.json().await.unwrap();
    assert_eq!(
        (c["process"]["phase"].clone(), c["vagval"].clone()),
        (json!("genomforande"), json!("innovation_procurement"))
    );
    let steps: Vec<&str> = c["process"]["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert!(steps.contains(&"innovationsupphandling"), "{steps:?}");

    // Projektgenomförande, then Resultat, whose gate needs the handover.
    tick_all_required(&t, &adv, &id).await;
    let res = post(
        &t,
        &dec,
        &format!("/api/v1/cases/{id}/decisions"),
        json!({ "decision": "proceed", "rationale": "Testad och klar för införande." }),
    )
    .await;
    assert_eq!(res.status(), 200);
    tick_all_required(&t, &adv, &id).await;
    refused(
        &t,
        &dec,
        &id,
        "decisions",
        json!({ "decision": "proceed", "rationale": "Klart." }),
        409,
        |v| assert_eq!(v["code"], "handover_required"),
    )
    .await;
    refused(&t, &adv, &id, "result", json!({ "kind": "measure", "name": "Väntetid", "measure_unit": "minuter", "before": "tolv", "after": "3" }), 422, |v| field_error(v, "before", "invalid_number")).await;
    refused(
        &t,
        &adv,
        &id,
        "result",
        json!({ "kind": "adopt", "unit": "region-b" }),
        422,
        |v| field_error(v, "unit", "unknown_organisation"),
    )
    .await;
    for body in [
        json!({ "kind": "adopt", "unit": "unit-a" }),
        json!({ "kind": "measure", "name": "Väntetid i receptionen", "measure_unit": "minuter", "before": "12", "after": "3,5" }),
        json!({ "kind": "handover", "receiver": "Vårdcentralernas linjeorganisation", "note": "Förvaltning och support är överlämnade." }),
    ] {
        let res = post(
            &t,
            &adv,
            &format!("/api/v1/cases/{id}/result"),
            body.clone(),
        )
        .await;
        assert_eq!(res.status(), 200, "{body}");
    }
    let res = post(
        &t,
        &dec,
        &format!("/api/v1/cases/{id}/decisions"),
        json!({ "decision": "proceed", "rationale": "Överlämnat till linjen." }),
    )
    .await;
    assert_eq!(res.status(), 200);
    let c: Value = res.json().await.unwrap();
    assert_eq!(c["status"], "completed");
    // The submitter the case grew from hears that it was implemented (issue 20), once.
    let mut tx = t.app.db.read().await.unwrap();
    let implemented: Vec<(String, String)> = tx
        .fetch_all(store::sql(
            "SELECT recipient, params FROM outbox WHERE kind = 'case_implemented'",
        ))
        .await
        .unwrap();
    drop(tx);
    assert_eq!(implemented.len(), 1, "{implemented:?}");
    assert_eq!(implemented[0].0, "anna@example.se");
    assert!(implemented[0].1.contains(c["reference"].as_str().unwrap()));
    let result = &c["process"]["result"];
    assert_eq!(result["adopted_by"][0]["name"], "Org unit-a");
    assert_eq!(result["measures"][0]["after"], "3.5");
    assert_eq!(
        result["handover"]["receiver"],
        "Vårdcentralernas linjeorganisation"
    );
    refused(
        &t,
        &adv,
        &id,
        "checklist",
        json!({ "step": "spridning", "item": "delat" }),
        409,
        |v| assert_eq!(v["code"], "case_not_active"),
    )
    .await;

    // The event log: every change in order, and it is what the state was rebuilt from.
    let res = t.api_get(&adv, &format!("/api/v1/cases/{id}/events")).await;
    assert_eq!(res.status(), 200);
    let events: Value = res.json().await.unwrap();
    let items = events["items"].as_array().unwrap();
    assert_eq!(items[0]["kind"], "case.opened");
    let versions: Vec<i64> = items
        .iter()
        .map(|e| e["payload"]["v"].as_i64().unwrap())
        .collect();
    assert!(
        versions.windows(2).all(|w| w[1] == w[0] + 1),
        "{versions:?}"
    );
    assert_eq!(
        items
            .iter()
            .filter(|e| e["kind"] == "case.gate_decided")
            .count(),
        4
    );
    assert_eq!(
        t.api_get(&adv_b, &format!("/api/v1/cases/{id}/events"))
            .await
            .status(),
        404
    );

    // The submitter's follow-up page shows the case and where it stands.
    let html = t
        .http
        .get(accepted["follow_up_url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&reference) && html.contains("Genomfört och överlämnat"),
        "{html}"
    );

    // The board filters by path; the register shows the case without personal data.
    let res = t
        .api_get(
            &adv,
            "/api/v1/cases?status=all&vagval=innovation_procurement",
        )
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["total"], 1);
    let res = t
        .api_get(&adv, "/api/v1/cases?vagval=testbed&status=all")
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["total"], 0);
    let res = t.api_get(&adv, "/api/v1/cases?vagval=nope").await;
    assert_eq!(res.status(), 422);
    let d: Value = t
        .http
        .get(t.url(&format!("/api/v1/diarium?q={reference}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["total"], 1);
    assert_eq!(d["items"][0]["heading"], "Digital incheckning");
    let page = t
        .http
        .get(t.url("/diarium"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&reference) && page.contains(accepted["reference"].as_str().unwrap()));
    assert!(!page.contains("anna@example.se") && !page.contains("Anna Andersson"));
    t.finish().await;
}
both!(a_case_walks_spelplanen_on_the_record);

async fn confidential_cases_are_masked_and_forms_keep_input(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let pw = t.user("advisor@x.se", "region-a", "advisor").await;
    let adv = t.token("advisor@x.se").await;
    let res = post(&t, &adv, "/api/v1/cases", json!({ "title": "Hemlig upphandling av robotar", "description": "Affärshemligheter.", "unit": "region-a", "template": app::processes::list(&t.app).await.unwrap()[0].id })).await;
    assert_eq!(res.status(), 201);
    let opened: Value = res.json().await.unwrap();
    let (id, reference) = (
        opened["id"].as_str().unwrap(),
        opened["reference"].as_str().unwrap(),
    );

    let c = t.browser_login("advisor@x.se", &pw).await;
    let page = c
        .get(t.url(&format!("/arenden/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&page).unwrap();
    // Confidential without a legal ground: refused, with the typed title kept.
    let form = |legal: &str| {
        vec![
            ("_csrf", csrf.clone()),
            ("title", "Hemlig upphandling av robotar (ny)".to_string()),
            ("public_title", String::new()),
            ("description", "Affärshemligheter.".to_string()),
            ("unit", "region-a".to_string()),
            ("handler", String::new()),
            ("confidential", "on".to_string()),
            ("legal_ground", legal.to_string()),
        ]
    };
    let res = c
        .post(t.url(&format!("/arenden/{id}/uppgifter")))
        .form(&form(""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Hemlig upphandling av robotar (ny)")
            && html.contains("id=\"e-uppgifter-legal_ground\"")
    );
    let res = c
        .post(t.url(&format!("/arenden/{id}/uppgifter")))
        .form(&form("31 kap. 16 § OSL"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // The register lists the entry with its legal ground, never its title.
    let page = t
        .http
        .get(t.url(&format!("/diarium?q={reference}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(reference) && page.contains("31 kap. 16 § OSL"));
    assert!(!page.contains("robotar"), "the title is masked");
    let d: Value = t
        .http
        .get(t.url(&format!("/api/v1/diarium?q={reference}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["items"][0]["heading"], Value::Null);
    // Through the API the mark is lifted again (a JSON boolean), and the title is public.
    let res = post(&t, &adv, &format!("/api/v1/cases/{id}/details"), json!({ "title": "Upphandling av robotar", "description": "Nu offentligt.", "unit": "region-a", "confidential": false })).await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let d: Value = t
        .http
        .get(t.url(&format!("/api/v1/diarium?q={reference}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            d["items"][0]["heading"].clone(),
            d["items"][0]["confidential"].clone()
        ),
        (json!("Upphandling av robotar"), json!(false))
    );
    let res = post(&t, &adv, &format!("/api/v1/cases/{id}/details"), json!({ "title": "Upphandling av robotar", "description": "x", "unit": "region-a", "confidential": true })).await;
    assert_eq!(res.status(), 422);
    field_error(&res.json().await.unwrap(), "legal_ground", "required");
    // The register searches by date too, and a bad date is a clear error.
    let res = t
        .http
        .get(t.url("/diarium?from=igår"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let d: Value = t
        .http
        .get(t.url("/api/v1/diarium?to=2000-01-01"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["total"], 0);

    // A case-page form that is refused comes back with the typed text and the message.
    let res = c
        .post(t.url(&format!("/arenden/{id}/resultat/matt")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "Ledtid"),
            ("measure_unit", "dagar"),
            ("before", "många"),
            ("after", "2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"många\"") && html.contains("id=\"e-resultat-measure-before\""));
    // Without the CSRF token nothing is accepted.
    let res = c
        .post(t.url(&format!("/arenden/{id}/bock")))
        .form(&[("step", "arbetsgrupp"), ("item", "testa")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    t.finish().await;
}
both!(confidential_cases_are_masked_and_forms_keep_input);

async fn concurrent_changes_apply_once(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.user("advisor@x.se", "region-a", "advisor").await;
    let adv = t.token("advisor@x.se").await;
    let res = post(&t, &adv, "/api/v1/cases", json!({ "title": "Samtidiga ändringar", "description": "x", "unit": "region-a", "template": app::processes::list(&t.app).await.unwrap()[1].id })).await;
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let first_item = case(&t, &adv, &id).await["process"]["checklist"][0]["items"][0].clone();
    let step = case(&t, &adv, &id).await["process"]["checklist"][0]["step"].clone();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (t2, adv, id) = (t.http.clone(), adv.clone(), id.clone());
        let url = t.url(&format!("/api/v1/cases/{id}/checklist"));
        let body = json!({ "step": step, "item": first_item["item"] });
        tasks.push(tokio::spawn(async move {
            t2.post(url)
                .bearer_auth(adv)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut codes = Vec::new();
    for task in tasks {
        codes.push(task.await.unwrap());
    }
    assert_eq!(codes.iter().filter(|c| **c == 200).count(), 1, "{codes:?}");
    assert!(codes.iter().all(|c| *c == 200 || *c == 409), "{codes:?}");
    let events: Value = t
        .api_get(&adv, &format!("/api/v1/cases/{id}/events"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        events["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "case.item_ticked")
            .count(),
        1
    );
    t.finish().await;
}
both!(concurrent_changes_apply_once);

async fn open_on(t: &TestApp, token: &str, template: &str) -> String {
    let res = post(t, token, "/api/v1/cases", json!({ "title": "Ett ärende", "description": "x", "unit": "region-a", "template": template })).await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn process_templates_are_previewed_and_activated_in_the_ui(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let pw = t.user("owner@x.se", "region-a", "process_owner").await;
    let staff_pw = t.user("staff@x.se", "region-a", "staff").await;
    t.user("advisor@x.se", "region-a", "advisor").await;
    let adv = t.token("advisor@x.se").await;
    let before = open_on(&t, &adv, "blekinge").await;
    let c = t.browser_login("owner@x.se", &pw).await;
    let csrf = t.csrf(&c, "/processer").await;
    let source = domain::process::BUILT_IN[1]
        .1
        .replacen("version = 1", "version = 2", 1);
    let bad = source.replacen("role = \"decision_maker\"", "role = \"kung\"", 1);
    let line = bad.lines().position(|l| l.contains("kung")).unwrap() + 1;
    let res = c
        .post(t.url("/processer"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("source", bad.as_str()),
            ("action", "preview"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!("Rad {line}, kolumn"))
            && html.contains("gate.role")
            && html.contains("är inte en roll"),
        "{html}"
    );
    let res = c
        .post(t.url("/processer"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("source", source.as_str()),
            ("action", "preview"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("id=\"preview\""));
    assert_eq!(
        app::processes::list(&t.app).await.unwrap().len(),
        2,
        "a preview stores nothing"
    );
    let res = c
        .post(t.url("/processer"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("source", source.as_str()),
            ("action", "save"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let stored = app::processes::list(&t.app).await.unwrap();
    let v2 = stored.iter().find(|x| x.version == 2).unwrap();
    let res = c
        .post(t.url("/processer/aktivera"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("region", "region-a"),
            ("template", v2.id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let active = app::processes::active_in(&t.app, "region-a").await.unwrap();
    assert_eq!(
        active.iter().map(|a| a.version).collect::<Vec<_>>(),
        vec![2]
    );
    // New cases take the active version; a case keeps the version it began with.
    let after = open_on(&t, &adv, "blekinge").await;
    assert_eq!(case(&t, &adv, &after).await["template"]["version"], 2);
    assert_eq!(case(&t, &adv, &before).await["template"]["version"], 1);
    // Only the active template is offered now.
    let res = post(&t, &adv, "/api/v1/cases", json!({ "title": "Ett ärende", "description": "x", "unit": "region-a", "template": "spelplanen" })).await;
    assert_eq!(res.status(), 422);
    // Others may not see the page.
    let s = t.browser_login("staff@x.se", &staff_pw).await;
    assert_eq!(
        s.get(t.url("/processer")).send().await.unwrap().status(),
        403
    );
    t.finish().await;
}
both!(process_templates_are_previewed_and_activated_in_the_ui);

async fn overdue(t: &TestApp, token: &str) -> i64 {
    let v: Value = t
        .api_get(token, "/api/v1/cases?overdue=1")
        .await
        .json()
        .await
        .unwrap();
    v["total"].as_i64().unwrap()
}

async fn overdue_steps_follow_the_checklist(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let pw = t.user("advisor@x.se", "region-a", "advisor").await;
    let adv = t.token("advisor@x.se").await;
    let spelplanen = app::processes::list(&t.app).await.unwrap()[1].id.clone();
    let res = post(&t, &adv, "/api/v1/cases", json!({ "title": "Försenat ärende", "description": "x", "unit": "region-a", "template": spelplanen })).await;
    let opened: Value = res.json().await.unwrap();
    let (id, reference) = (
        opened["id"].as_str().unwrap(),
        opened["reference"].as_str().unwrap(),
    );
    // A fresh case has due dates ahead of it: nothing is overdue.
    assert!(case(&t, &adv, id).await["next_due_at"].is_string());
    assert_eq!(overdue(&t, &adv).await, 0);
    // Sixty days pass (the phase began long ago).
    let then = domain::time::Timestamp::now().plus_days(-60).to_db();
    {
        let mut tx = t.app.db.write().await.unwrap();
        tx.execute(
            store::sql("UPDATE cases SET phase_started_at = ?, next_due_at = ? WHERE id = ?")
                .bind(then.as_str())
                .bind(then.as_str())
                .bind(id),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(overdue(&t, &adv).await, 1);
    let c = t.browser_login("advisor@x.se", &pw).await;
    let page = c
        .get(t.url("/arenden/forsenade"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for step in [
        "Bilda arbetsgrupp",
        "Utred det egentliga behovet",
        "Omvärldsanalys",
        reference,
    ] {
        assert!(page.contains(step), "{step} in {page}");
    }
    let board = c
        .get(t.url("/arenden?overdue=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(board.contains(reference) && board.contains("Försenat steg"));
    // Every item of the due steps done: the due date is recomputed and nothing is overdue.
    let checklist = case(&t, &adv, id).await["process"]["checklist"].clone();
    for step in checklist
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["due_days"].is_i64())
    {
        for item in step["items"].as_array().unwrap() {
            let res = post(
                &t,
                &adv,
                &format!("/api/v1/cases/{id}/checklist"),
                json!({ "step": step["step"], "item": item["item"] }),
            )
            .await;
            assert_eq!(res.status(), 200);
        }
    }
    assert_eq!(case(&t, &adv, id).await["next_due_at"], Value::Null);
    assert_eq!(overdue(&t, &adv).await, 0);
    let page = c
        .get(t.url("/arenden/forsenade"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains(reference));
    t.finish().await;
}
both!(overdue_steps_follow_the_checklist);

/// A working-group member works on the checklist; the case's details (confidentiality,
/// unit, handler, title), its group and its result stay with the handler.
async fn a_working_group_member_cannot_lift_confidentiality(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("unit-a", Some("region-a")).await;
    t.user("advisor@x.se", "region-a", "advisor").await;
    t.user("company@x.se", "region-a", "company").await;
    let adv = t.token("advisor@x.se").await;
    let company = t.token("company@x.se").await;
    let spelplanen = app::processes::list(&t.app)
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.template_key == "spelplanen")
        .unwrap()
        .id;
    let res = post(&t, &adv, "/api/v1/cases", json!({ "title": "Hemlig upphandling av robotar", "description": "Affärshemligheter.", "unit": "region-a", "template": spelplanen })).await;
    assert_eq!(res.status(), 201);
    let opened: Value = res.json().await.unwrap();
    let (id, reference) = (
        opened["id"].as_str().unwrap().to_string(),
        opened["reference"].as_str().unwrap().to_string(),
    );
    let res = post(&t, &adv, &format!("/api/v1/cases/{id}/details"), json!({ "title": "Hemlig upphandling av robotar", "description": "Affärshemligheter.", "unit": "region-a", "confidential": true, "legal_ground": "31 kap. 16 § OSL" })).await;
    assert_eq!(res.status(), 200);
    let company_id = {
        let mut tx = t.app.db.read().await.unwrap();
        store::users::by_email(&mut tx, "company@x.se")
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let res = post(
        &t,
        &adv,
        &format!("/api/v1/cases/{id}/members"),
        json!({ "user_id": company_id, "function": "testa" }),
    )
    .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);

    // The member may not change the details: not confidentiality, nor unit, nor handler.
    let forbidden = |v: &Value| assert_eq!(v["error"], "forbidden", "{v}");
    for body in [
        json!({ "title": "Hemlig upphandling av robotar", "description": "Affärshemligheter.", "unit": "region-a", "confidential": false }),
        json!({ "title": "Hemlig upphandling av robotar", "description": "Affärshemligheter.", "unit": "unit-a", "confidential": true, "legal_ground": "31 kap. 16 § OSL" }),
        json!({ "title": "Hemlig upphandling av robotar", "description": "Affärshemligheter.", "unit": "region-a", "handler": company_id, "confidential": true, "legal_ground": "31 kap. 16 § OSL" }),
    ] {
        refused(&t, &company, &id, "details", body, 403, forbidden).await;
    }
    // Nor the group, nor the result.
    refused(
        &t,
        &company,
        &id,
        "members",
        json!({ "name": "Okänd Person", "function": "testa" }),
        403,
        forbidden,
    )
    .await;
    refused(
        &t,
        &company,
        &id,
        "result",
        json!({ "kind": "adopt", "unit": "unit-a" }),
        403,
        forbidden,
    )
    .await;
    for path in ["/diarium", "/api/v1/diarium"] {
        let page = t
            .http
            .get(t.url(&format!("{path}?q={reference}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(&reference), "{page}");
        assert!(!page.contains("robotar"), "the title stays masked: {page}");
    }
    // What the member may do: tick checklist items with a note, and take a tick back.
    let res = post(
        &t,
        &company,
        &format!("/api/v1/cases/{id}/checklist"),
        json!({ "step": "arbetsgrupp", "item": "testa", "note": "Vi testar i vår miljö." }),
    )
    .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let res = post(
        &t,
        &company,
        &format!("/api/v1/cases/{id}/checklist"),
        json!({ "step": "arbetsgrupp", "item": "testa", "undo": true }),
    )
    .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    t.finish().await;
}
both!(a_working_group_member_cannot_lift_confidentiality);
