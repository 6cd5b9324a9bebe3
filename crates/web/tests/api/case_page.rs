//! The case page as a work surface: progress per phase, finished phases to review, the
//! timeline collapsed to its latest entries, a tick that comes back at its item, and the
//! template's English names (Swedish, marked so, where a template has none).

use crate::both;
use crate::support::{Backend, TestApp, csrf_in, spawn};
use serde_json::{Value, json};

async fn open_case(t: &TestApp, token: &str, key: &str) -> String {
    let template = t.template_id(key).await;
    let res = t.api_post(token,
        "/api/v1/cases",
        json!({ "title": "Digital incheckning", "description": "Köer i receptionen.", "unit": "unit-a", "template": template }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.unwrap();
    v["id"].as_str().unwrap().to_string()
}

async fn text(c: &reqwest::Client, t: &TestApp, path: &str) -> String {
    let res = c.get(t.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}

async fn the_case_page_is_a_work_surface(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("unit-a", Some("region-a")).await;
    let pw = t.user("advisor@x.se", "region-a", "advisor").await;
    t.user("decider@x.se", "region-a", "decision_maker").await;
    let adv = t.token("advisor@x.se").await;
    let dec = t.token("decider@x.se").await;
    let id = open_case(&t, &adv, "spelplanen").await;
    let c: Value = t
        .api_get(&adv, &format!("/api/v1/cases/{id}"))
        .await
        .json()
        .await
        .unwrap();
    for open in c["process"]["open_required_items"].as_array().unwrap() {
        let res = t
            .api_post(
                &adv,
                &format!("/api/v1/cases/{id}/checklist"),
                json!({ "step": open["step"], "item": open["item"] }),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    let res = t
        .api_post(
            &dec,
            &format!("/api/v1/cases/{id}/decisions"),
            json!({ "decision": "proceed", "rationale": "Behovet är verifierat." }),
        )
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);

    let b = t.browser_login("advisor@x.se", &pw).await;
    let html = text(&b, &t, &format!("/arenden/{id}")).await;
    // The board of phases shows each phase's progress; the passed phase is there to review,
    // collapsed; the current phase's checklist says how far it has come.
    assert!(html.contains("id=\"stepper\""));
    assert!(html.contains("0 av 11 klara"), "{html}");
    assert!(html.contains("<details class=\"phase-review\" id=\"phase-behovsanalys\">"));
    assert!(html.contains("<summary>Behovs- och omvärldsanalys – 9 av 10 klara</summary>"));
    assert!(html.contains("id=\"phase-progress\""));
    // Notes only when asked for.
    assert!(html.contains("<details class=\"note\">"));
    // The timeline: its latest entries, and a link to all that works without JavaScript.
    let all_link = format!("/arenden/{id}?alla=1#h-timeline");
    assert!(html.contains(&all_link), "{html}");
    let all = text(&b, &t, &format!("/arenden/{id}?alla=1")).await;
    assert!(!all.contains(&all_link));
    assert!(
        all.matches("<p class=\"meta\"><time>").count()
            > html.matches("<p class=\"meta\"><time>").count()
    );

    // A tick through the page comes back at its item (and says so with htmx attributes).
    assert!(html.contains(&format!(
        "data-hx-post=\"/arenden/{id}/bock\" data-hx-target=\"#item-roller-roll-bestamd\""
    )));
    let csrf = csrf_in(&html).unwrap();
    let res = b
        .post(t.url(&format!("/arenden/{id}/bock")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("step", "roller"),
            ("item", "roll-bestamd"),
            ("note", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        to.ends_with("?klart=ticked#item-roller-roll-bestamd"),
        "{to}"
    );
    let html = text(&b, &t, &to).await;
    assert!(html.contains("id=\"item-roller-roll-bestamd\""));
    assert!(html.contains("1 av 11 klara"));

    // In English: the template's English names; Blekinge has none, so Swedish, marked so.
    b.get(t.url("/sprak/en?next=/")).send().await.unwrap();
    let html = text(&b, &t, &format!("/arenden/{id}")).await;
    assert!(html.contains("Planning and choice of path"), "{html}");
    assert!(html.contains("Customer or development partner"));
    assert!(html.contains("1 of 11 done"));
    assert!(html.contains(">The function that tests the solution</option>"));
    assert!(!html.contains("lang=\"sv\">Planering"));
    let blekinge = open_case(&t, &adv, "blekinge").await;
    let html = text(&b, &t, &format!("/arenden/{blekinge}")).await;
    assert!(html.contains("<span lang=\"sv\">Ta emot</span>"), "{html}");
    assert!(html.contains("<span lang=\"sv\">Registrera behovet</span>"));
    assert!(
        html.contains("<option value=\"mottagarfunktion\" lang=\"sv\">Mottagarfunktionen</option>")
    );
    // The public register and the board name the phases alike.
    let visitor = crate::support::client();
    visitor.get(t.url("/sprak/en?next=/")).send().await.unwrap();
    let html = text(&visitor, &t, "/diarium").await;
    assert!(html.contains("Planning and choice of path"), "{html}");
    assert!(html.contains("<span lang=\"sv\">Ta emot</span>"));
    let html = text(&b, &t, "/arenden").await;
    assert!(html.contains("Needs and environment analysis"));
    assert!(html.contains("<span lang=\"sv\">Utreda</span>"));
    t.finish().await;
}

both!(the_case_page_is_a_work_surface);
