//! The HTML flows without JavaScript: forms, CSRF, kept input, escaping, sign-in, language.

use crate::both;
use crate::support::{Backend, client, csrf_in, spawn};
use serde_json::Value;

fn intake_form<'a>(csrf: &'a str, title: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("_csrf", csrf),
        ("kind", "idea"),
        ("title", title),
        (
            "description",
            "Ett sms dagen innan besöket skulle minska antalet uteblivna besök.",
        ),
        ("affected", "Patienter och personal"),
        ("current_solution", ""),
        ("submitter_role", "citizen"),
        ("organisation", "region-a"),
        ("contact_name", ""),
        ("contact_email", ""),
        ("consent", "on"),
        ("website", ""),
    ]
}

async fn intake_form_works_without_javascript(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let c = client();
    let csrf = t.csrf(&c, "/lamna").await;
    let res = c
        .post(t.url("/lamna"))
        .form(&intake_form(&csrf, "Påminnelse via sms"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with("/folj/") && location.ends_with("?ny=1"),
        "{location}"
    );
    let html = c
        .get(t.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let year = time::OffsetDateTime::now_utc().year();
    assert!(html.contains(&format!("{year}/00001")));
    assert!(html.contains("Tack! Vi har tagit emot det du skickade."));
    assert!(
        html.contains(&format!("{}{}", t.base, location.trim_end_matches("?ny=1"))),
        "the private link is shown"
    );
    t.finish().await;
}
both!(intake_form_works_without_javascript);

async fn refused_form_keeps_what_was_typed_and_writes_nothing(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let c = client();
    let csrf = t.csrf(&c, "/lamna").await;
    let mut form = intake_form(&csrf, "Kö < 5 & \"snabbt\"");
    form.retain(|(k, _)| *k != "consent");
    form.push(("contact_email", "inte-en-adress"));
    form.retain(|(k, v)| !(*k == "contact_email" && v.is_empty()));
    let res = c.post(t.url("/lamna")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("Det finns fel i formuläret"));
    assert!(html.contains("Du behöver godkänna hur dina uppgifter hanteras"));
    assert!(html.contains("Skriv en e-postadress i formatet"));
    // What was typed comes back, escaped.
    assert!(
        html.contains("value=\"Kö &#60; 5 &#38; &#34;snabbt&#34;\"")
            || html.contains("value=\"Kö &lt; 5 &amp; &quot;snabbt&quot;\""),
        "title kept and escaped"
    );
    assert!(html.contains("value=\"inte-en-adress\""));
    assert!(html.contains("Ett sms dagen innan besöket"));
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(html.contains("<title>Fel: "));
    // Markup is refused with its own message.
    let form = intake_form(&csrf, "<script>alert(1)</script>");
    let res = c.post(t.url("/lamna")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("får inte innehålla HTML-kod"), "{html}");
    assert!(
        !html.contains("<script>alert(1)</script>"),
        "never echoed raw"
    );
    // The honeypot and a missing CSRF token: refused.
    let mut bot = intake_form(&csrf, "Botten fyller i allt");
    bot.retain(|(k, _)| *k != "website");
    bot.push(("website", "http://spam.example"));
    assert_eq!(
        c.post(t.url("/lamna"))
            .form(&bot)
            .send()
            .await
            .unwrap()
            .status(),
        422
    );
    // A field sent twice: an error at that field, in the form shown again, nothing written.
    let res = c
        .post(t.url("/lamna"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("_csrf={csrf}&title=a&title=b"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("id=\"e-title\""));
    // A body that is not a form at all: a page in Swedish.
    let res = c
        .post(t.url("/lamna"))
        .header("content-type", "text/plain")
        .body(format!("_csrf={csrf}&title=a"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
    let res = client()
        .post(t.url("/lamna"))
        .form(&intake_form("", "Utan token"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = c
        .post(t.url("/lamna"))
        .form(&intake_form("0".repeat(64).as_str(), "Fel token"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(t.submission_count().await, 0);
    t.finish().await;
}
both!(refused_form_keeps_what_was_typed_and_writes_nothing);

async fn advisor_works_the_inbox_with_forms(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let pw = t.user("advisor@x.se", "region-a", "advisor").await;
    let receipt = t.submit_ok("region-a", "Titel med < och & tecken").await;
    let id = receipt["id"].as_str().unwrap();

    // A wrong password: 401 and a general message, nothing about which part was wrong.
    let c = client();
    let csrf = t.csrf(&c, "/logga-in").await;
    let res = c
        .post(t.url("/logga-in"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", "advisor@x.se"),
            ("password", "wrong-password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Fel e-postadress eller lösenord")
    );

    let b = t.browser_login("advisor@x.se", &pw).await;
    let html = b
        .get(t.url("/inkorg"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("1 träff<"));
    assert!(
        html.contains("Titel med &#60; och &#38; tecken")
            || html.contains("Titel med &lt; och &amp; tecken"),
        "escaped"
    );
    let html = b
        .get(t.url("/inkorg?kind=offer"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Inget matchar filtren"));

    let detail = b
        .get(t.url(&format!("/inkorg/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        detail.contains("anna@example.se"),
        "handlers see contact details"
    );
    let csrf = csrf_in(&detail).unwrap();
    // A reject without a reason: the form comes back open with the text kept.
    let res = b
        .post(t.url(&format!("/inkorg/{id}/avvisa")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("reason", ""),
            ("reason_text", "Min motivering"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<details open>"),
        "the reject form is open again"
    );
    assert!(html.contains("Min motivering"), "the typed text is kept");
    assert!(
        html.contains("id=\"e-reject-reason\">Välj ett skäl.</p>"),
        "the reason's error sits at the reason"
    );
    let res = b
        .post(t.url(&format!("/inkorg/{id}/avvisa")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("reason", "not_innovation"),
            ("reason_text", "Förbättringsarbete, skickat till linjen."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = b
        .get(t.url(res.headers()["location"].to_str().unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Inlämningen är avslutad och motiveringen är skickad till inlämnaren."));
    assert!(html.contains("id=\"status\">Avslutad<"));

    // Signing out ends the session.
    let csrf = csrf_in(&html).unwrap();
    assert_eq!(
        b.post(t.url("/logga-ut"))
            .form(&[("_csrf", csrf.as_str())])
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    assert_eq!(b.get(t.url("/inkorg")).send().await.unwrap().status(), 303);
    t.finish().await;
}
both!(advisor_works_the_inbox_with_forms);

async fn language_health_openapi_and_headers(backend: Backend) {
    let t = spawn(backend).await;
    let c = client();
    let res = c.get(t.url("/")).send().await.unwrap();
    let headers = res.headers().clone();
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    assert_eq!(headers["referrer-policy"], "no-referrer");
    let cookie = headers["set-cookie"].to_str().unwrap();
    // Before any organisation exists, the intake says so instead of showing a form that cannot work.
    let html = c
        .get(t.url("/lamna"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("ingen organisation är upplagd")
            && !html.contains("<form method=\"post\" action=\"/lamna\"")
    );
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(res.text().await.unwrap().contains("<html lang=\"sv\">"));
    let res = c.get(t.url("/sprak/en?next=/lamna")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/lamna");
    let html = c
        .get(t.url("/lamna"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"en\">") && html.contains("Submit a need or an idea"));
    // An open redirect is not possible.
    let res = c
        .get(t.url("/sprak/sv?next=//evil.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/");
    let health = c.get(t.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let health: Value = health.json().await.unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    let spec: Value = c
        .get(t.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    for p in [
        "/api/v1/submissions",
        "/api/v1/submissions/{id}",
        "/api/v1/submissions/{id}/actions",
        "/healthz",
    ] {
        assert!(spec["paths"].get(p).is_some(), "{p}");
    }
    assert_eq!(
        c.get(t.url("/finns-inte")).send().await.unwrap().status(),
        404
    );
    assert_eq!(
        c.get(t.url("/folj/abc")).send().await.unwrap().status(),
        404
    );
    assert_eq!(
        c.get(t.url(&format!("/folj/{}", "a".repeat(48))))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    t.finish().await;
}
both!(language_health_openapi_and_headers);

async fn hsts_is_sent_only_at_an_https_address(backend: Backend) {
    let plain = crate::support::spawn(backend).await;
    let res = plain.http.get(plain.url("/")).send().await.unwrap();
    assert!(
        res.headers().get("strict-transport-security").is_none(),
        "no HSTS at an http address"
    );
    let db = plain.stop().await;
    let mut settings = crate::support::settings(100_000);
    settings.secure_cookies = true;
    let https = crate::support::spawn_on(db, settings).await;
    for path in ["/", "/lamna", "/api/v1/diarium", "/finns-inte"] {
        let res = https.http.get(https.url(path)).send().await.unwrap();
        assert_eq!(
            res.headers()["strict-transport-security"],
            "max-age=63072000",
            "{path}"
        );
    }
    https.finish().await;
}
both!(hsts_is_sent_only_at_an_https_address);

/// Neither the language switch nor the sign-in page sends anyone to another origin.
async fn redirects_stay_on_this_site(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let pw = t.user("staff@x.se", "region-a", "staff").await;
    let payloads = [
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%0d%0a/evil.example",
        "%09//evil.example",
        "//evil",
        "/%5Cevil",
        "%5C%5Cevil",
        "https://evil",
        "/%252F%252Fevil",
        "/%2F%2Fevil",
    ];
    let signed_in = t.browser_login("staff@x.se", &pw).await;
    for p in payloads {
        let res = client()
            .get(t.url(&format!("/sprak/en?next={p}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], "/", "/sprak: {p}");
        // Signed in already: the sign-in page sends on at once.
        let res = signed_in
            .get(t.url(&format!("/logga-in?next={p}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], "/mitt-arbete", "/logga-in: {p}");
        // Signing in with the form.
        let c = client();
        let csrf = t.csrf(&c, &format!("/logga-in?next={p}")).await;
        let res = c
            .post(t.url("/logga-in"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("email", "staff@x.se"),
                ("password", pw.as_str()),
                ("next", &p.replace("%09", "\t").replace("%0a", "\n")),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(
            res.headers()["location"],
            "/mitt-arbete",
            "sign-in form: {p}"
        );
    }
    let res = client()
        .get(t.url("/sprak/en?next=/lamna%3Fx%3D1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/lamna?x=1");
    t.finish().await;
}
both!(redirects_stay_on_this_site);

/// Every answer names its request; an internal error gives the person the id to quote, on
/// the page and in the API's body, the same as in the header (and the server's log line).
async fn errors_name_their_request(backend: Backend) {
    let t = crate::support::spawn(backend).await;
    let res = t.http.get(t.url("/")).send().await.unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 16, "{id}");
    let again = t.http.get(t.url("/")).send().await.unwrap();
    assert_ne!(again.headers()["x-request-id"].to_str().unwrap(), id);
    // Not behind a proxy: a client's own id is not taken.
    let res = t
        .http
        .get(t.url("/"))
        .header("x-request-id", "mine-123")
        .send()
        .await
        .unwrap();
    assert_ne!(res.headers()["x-request-id"], "mine-123");

    // The database goes away under the server: the register fails on our side.
    t.app.db.close().await;
    let res = t.http.get(t.url("/diarium")).send().await.unwrap();
    assert_eq!(res.status(), 500);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("Felkod: {id}.")), "{html}");
    let res = t.http.get(t.url("/api/v1/diarium")).send().await.unwrap();
    assert_eq!(res.status(), 500);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "internal");
    assert_eq!(body["request_id"], id.as_str());
    assert!(body["message"].as_str().unwrap().contains(&id));
    t.finish().await;
}
both!(errors_name_their_request);

/// Behind a proxy, the proxy's request id is used, so its log and ours share it; one that
/// is not a plain id is replaced.
async fn a_proxys_request_id_is_kept(backend: Backend) {
    let db = crate::support::TestDb::new(backend).await;
    let mut settings = crate::support::settings(100_000);
    settings.behind_proxy = true;
    let t = crate::support::spawn_on(db, settings).await;
    let res = t
        .http
        .get(t.url("/"))
        .header("x-request-id", "proxy-7f3a.1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "proxy-7f3a.1");
    let res = t
        .http
        .get(t.url("/"))
        .header("x-request-id", "bad id\tx")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"].len(), 16);
    t.finish().await;
}
both!(a_proxys_request_id_is_kept);
