//! "Mitt arbete": each role lands on it after signing in and sees what waits for it — the
//! submissions to triage, the gates it decides, the steps its function is assigned, the
//! cases it works and those it follows read-only — and nothing of another region's.

use crate::both;
use crate::support::{Backend, TestApp, client, csrf_in, spawn};
use serde_json::{Value, json};

/// Signs in through the form without following the redirect: (client, where it leads).
async fn sign_in(t: &TestApp, email: &str, password: &str) -> (reqwest::Client, String) {
    let c = client();
    let html = c
        .get(t.url("/logga-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&html).unwrap();
    let res = c
        .post(t.url("/logga-in"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    (c, to)
}

async fn page(c: &reqwest::Client, t: &TestApp, path: &str) -> (u16, String) {
    let res = c.get(t.url(path)).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// The part of the page under the heading with `id`, up to the next section.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let Some(start) = html.find(&format!("<h2 id=\"{id}\"")) else {
        return "";
    };
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

async fn each_role_sees_what_waits_for_it(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("unit-a", Some("region-a")).await;
    t.org("region-b", None).await;
    let mut pw = std::collections::HashMap::new();
    for (email, org, role) in [
        ("advisor@x.se", "region-a", "advisor"),
        ("decider@x.se", "region-a", "decision_maker"),
        ("buyer@x.se", "region-a", "procurement"),
        ("staff@x.se", "unit-a", "staff"),
        ("company@x.se", "region-a", "company"),
        ("buyer-b@x.se", "region-b", "procurement"),
    ] {
        pw.insert(email, t.user(email, org, role).await);
    }
    let adv = t.token("advisor@x.se").await;
    let buyer_token = t.token("buyer@x.se").await;
    t.submit_ok("unit-a", "Köer i receptionen").await;

    let mut ids = Vec::new();
    for (key, title) in [
        ("spelplanen", "Digital incheckning"),
        ("blekinge", "Tolkning via video"),
    ] {
        let res = t.api_post(&adv,
            "/api/v1/cases",
            json!({ "title": title, "description": "Ett behov att utreda.", "unit": "unit-a", "template": t.template_id(key).await }),
        )
        .await;
        assert_eq!(res.status(), 201, "{:?}", res.text().await);
        let v: Value = res.json().await.unwrap();
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    let (spel, blek) = (&ids[0], &ids[1]);
    // The staff member works in the Spelplanen case for the service that owns the need.
    let staff_id = {
        let mut tx = t.app.db.read().await.unwrap();
        store::users::by_email(&mut tx, "staff@x.se")
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let res = t
        .api_post(
            &adv,
            &format!("/api/v1/cases/{spel}/members"),
            json!({ "user_id": staff_id, "function": "verksamheten" }),
        )
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);

    // Every role lands on "Mitt arbete" after signing in (unless it asked for a page).
    let mut c = std::collections::HashMap::new();
    for email in pw.keys() {
        let (client, to) = sign_in(&t, email, &pw[email]).await;
        assert_eq!(to, "/mitt-arbete", "{email}");
        c.insert(*email, client);
    }

    // The advisor: a new submission to triage, the cases it handles, Blekinge's first gate.
    let (status, html) = page(&c["advisor@x.se"], &t, "/mitt-arbete").await;
    assert_eq!(status, 200);
    assert!(
        section(&html, "triage").contains("Köer i receptionen"),
        "{html}"
    );
    assert!(html.contains("id=\"count-triage\">1<"));
    // One is said in the singular, two in the plural (issue 19: "1 ärenden").
    assert!(
        html.contains("</span> ny inlämning att ta emot</a>"),
        "{html}"
    );
    assert!(html.contains("</span> ärenden som är dina</a>"), "{html}");
    let mine = section(&html, "cases");
    assert!(mine.contains("Digital incheckning") && mine.contains("Tolkning via video"));
    let gates = section(&html, "gates");
    assert!(gates.contains(&format!("/arenden/{blek}#gate")), "{gates}");
    assert!(
        !gates.contains(spel.as_str()),
        "Spelplanen's gates are the decision maker's"
    );

    // The decision maker: the gate of the Spelplanen case, and nothing to triage.
    let (_, html) = page(&c["decider@x.se"], &t, "/mitt-arbete").await;
    let gates = section(&html, "gates");
    assert!(gates.contains(&format!("/arenden/{spel}#gate")), "{html}");
    assert!(gates.contains("Beslut: behovet är verifierat"));
    assert!(section(&html, "triage").is_empty());

    // The staff member: the step assigned to its function in the working group, and the case.
    let (_, html) = page(&c["staff@x.se"], &t, "/mitt-arbete").await;
    let steps = section(&html, "steps");
    assert!(steps.contains("Utred det egentliga behovet"), "{html}");
    assert!(steps.contains("Öppna punkter: 3 av 3"));
    assert!(section(&html, "cases").contains("Digital incheckning"));
    assert!(!html.contains("Tolkning via video"));

    // Procurement follows the Spelplanen case (a step names the function that buys) and
    // reads it, without working it; Blekinge's case names procurement only on its path.
    let (_, html) = page(&c["buyer@x.se"], &t, "/mitt-arbete").await;
    let following = section(&html, "following");
    assert!(following.contains(spel.as_str()), "{html}");
    assert!(!html.contains(blek.as_str()));
    assert_eq!(
        page(&c["buyer@x.se"], &t, &format!("/arenden/{spel}"))
            .await
            .0,
        200
    );
    assert_eq!(
        page(&c["buyer@x.se"], &t, &format!("/arenden/{blek}"))
            .await
            .0,
        404
    );
    let res = t
        .api_post(
            &buyer_token,
            &format!("/api/v1/cases/{spel}/checklist"),
            json!({ "step": "roller", "item": "roll-bestamd" }),
        )
        .await;
    assert_eq!(res.status(), 403, "read-only");

    // Nothing waits for the company, nor for procurement of another region.
    for who in ["company@x.se", "buyer-b@x.se"] {
        let (status, html) = page(&c[who], &t, "/mitt-arbete").await;
        assert_eq!(status, 200);
        assert!(html.contains("id=\"work-empty\""), "{who}: {html}");
        assert!(!html.contains(spel.as_str()) && !html.contains(blek.as_str()));
    }
    assert_eq!(
        page(&c["buyer-b@x.se"], &t, &format!("/arenden/{spel}"))
            .await
            .0,
        404
    );

    // In English, process names are English where the template has them, and Swedish
    // marked as such where it has none (Blekinge).
    let en = &c["advisor@x.se"];
    en.get(t.url("/sprak/en?next=/mitt-arbete"))
        .send()
        .await
        .unwrap();
    let (_, html) = page(en, &t, "/mitt-arbete").await;
    assert!(html.contains("<span lang=\"sv\">Ta emot</span>"), "{html}");
    // The choice of process when opening a case: Spelplanen by its English name, Blekinge's
    // (which has none) in Swedish marked as such.
    let (_, html) = page(en, &t, "/arenden/nytt").await;
    assert!(
        html.contains("Spelplanen – the game plan (Region Skåne)"),
        "{html}"
    );
    assert!(
        html.contains(
            "<span lang=\"sv\">Att främja utveckling och innovation (Region Blekinge)</span>"
        ),
        "{html}"
    );
    let en = &c["decider@x.se"];
    en.get(t.url("/sprak/en?next=/mitt-arbete"))
        .send()
        .await
        .unwrap();
    let (_, html) = page(en, &t, "/mitt-arbete").await;
    assert!(html.contains("Decision: the need is verified"), "{html}");
    assert!(html.contains("Needs and environment analysis"));
    t.finish().await;
}

both!(each_role_sees_what_waits_for_it);
