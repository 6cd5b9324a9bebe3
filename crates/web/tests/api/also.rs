//! Issue 17, "Also": the CSRF token is bound to the session it was given in, and only
//! those who handle submissions see a submitter's contact details.

use crate::both;
use crate::support::{Backend, client, csrf_in, spawn};

async fn a_csrf_token_is_bound_to_its_session(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let pa = t.user("a@x.se", "region-a", "advisor").await;
    let pb = t.user("b@x.se", "region-a", "advisor").await;
    // One browser (one CSRF cookie): A signs in, takes a form's token, signs out; B signs in.
    let c = client();
    let sign_in = |email: &'static str, password: String| {
        let (c, t) = (c.clone(), &t);
        async move {
            let csrf = t.csrf(&c, "/logga-in").await;
            let res = c
                .post(t.url("/logga-in"))
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("email", email),
                    ("password", password.as_str()),
                ])
                .send()
                .await
                .expect("sign in");
            assert_eq!(res.status(), 303, "{email} signs in");
        }
    };
    sign_in("a@x.se", pa).await;
    let token_a = t.csrf(&c, "/inkorg").await;
    let res = c
        .post(t.url("/logga-ut"))
        .form(&[("_csrf", token_a.as_str())])
        .send()
        .await
        .expect("sign out");
    assert_eq!(res.status(), 303, "A's own token works in A's session");
    sign_in("b@x.se", pb).await;
    let token_b = t.csrf(&c, "/inkorg").await;
    assert_ne!(token_a, token_b, "each session has its own token");
    // A's token, in B's session, is refused.
    let res = c
        .post(t.url("/logga-ut"))
        .form(&[("_csrf", token_a.as_str())])
        .send()
        .await
        .expect("sign out");
    assert_eq!(res.status(), 403, "A's token accepted in B's session");
    assert_eq!(
        c.get(t.url("/inkorg"))
            .send()
            .await
            .expect("inbox")
            .status(),
        200,
        "B is still signed in"
    );
    // An anonymous form works as before, with the token of its page.
    let anon = client();
    let html = anon
        .get(t.url("/lamna"))
        .send()
        .await
        .expect("form")
        .text()
        .await
        .expect("text");
    let csrf = csrf_in(&html).expect("csrf");
    let res = anon
        .post(t.url("/lamna"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("kind", "need"),
            ("title", "Kö vid receptionen"),
            (
                "description",
                "Patienter står i kö vid receptionen varje morgon trots bokad tid.",
            ),
            ("submitter_role", "patient"),
            ("organisation", "region-a"),
            ("consent", "on"),
        ])
        .send()
        .await
        .expect("submit");
    assert_eq!(res.status(), 303, "{:?}", res.text().await);
    t.finish().await;
}
both!(a_csrf_token_is_bound_to_its_session);

async fn only_handlers_see_contact_details(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.user("advisor@x.se", "region-a", "advisor").await;
    let pd = t.user("decider@x.se", "region-a", "decision_maker").await;
    let pa = t.user("advisor2@x.se", "region-a", "advisor").await;
    let s = t.submit_ok("region-a", "Behov med kontaktuppgifter").await;
    let id = s["id"].as_str().expect("id");
    let (advisor, decider) = (t.token("advisor@x.se").await, t.token("decider@x.se").await);
    let path = format!("/api/v1/submissions/{id}");

    let seen = t.api_get(&advisor, &path).await.text().await.expect("text");
    assert!(seen.contains("anna@example.se") && seen.contains("Anna Andersson"));
    let res = t.api_get(&decider, &path).await;
    assert_eq!(res.status(), 200, "the decision maker reads the submission");
    let seen = res.text().await.expect("text");
    assert!(seen.contains("Behov med kontaktuppgifter"));
    assert!(
        !seen.contains("anna@example.se") && !seen.contains("Anna Andersson"),
        "{seen}"
    );

    let page = format!("/inkorg/{id}");
    let html = t
        .browser_login("advisor2@x.se", &pa)
        .await
        .get(t.url(&page))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("anna@example.se"));
    let res = t
        .browser_login("decider@x.se", &pd)
        .await
        .get(t.url(&page))
        .send()
        .await
        .expect("page");
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("html");
    assert!(html.contains("Behov med kontaktuppgifter"));
    assert!(
        !html.contains("anna@example.se") && !html.contains("Anna Andersson"),
        "the decision maker's page shows the contact details"
    );
    t.finish().await;
}
both!(only_handlers_see_contact_details);
