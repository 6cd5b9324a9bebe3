//! The inbox's triage forms, posted as the detail page writes them (issue 18, item 4):
//! assign, ask for more, message, comment, forward, mark as duplicate, reopen, reject,
//! accept and erase the contact details; and a form that does not decode comes back with
//! the error at its field.

use crate::both;
use crate::case_forms::{PageForm, page, page_forms, send};
use crate::support::{Backend, TestApp, spawn};
use serde_json::Value;

/// The route of each triage form, by its action.
const ROUTES: [(&str, &str); 10] = [
    ("assign", "tilldela"),
    ("request_info", "komplettering"),
    ("message", "meddelande"),
    ("forward", "skicka-vidare"),
    ("mark_duplicate", "dubblett"),
    ("reject", "avvisa"),
    ("accept", "anta"),
    ("reopen", "ateroppna"),
    ("erase_contact", "radera-kontakt"),
    ("comment", "kommentar"),
];

/// The triage form of this action on the page: the one that posts to its own route, with
/// no hidden field naming the action.
fn action_form(html: &str, action: &str) -> PageForm {
    let (_, route) = ROUTES
        .iter()
        .find(|(a, _)| *a == action)
        .unwrap_or_else(|| panic!("no route for {action}"));
    let form = page_forms(html)
        .into_iter()
        .find(|f| f.action.ends_with(&format!("/{route}")))
        .unwrap_or_else(|| panic!("no {action} form on the page"));
    assert!(
        form.fields.iter().all(|(k, _)| k != "action"),
        "{action}: no hidden action field"
    );
    form
}

/// Posts the page's form for `action` with `typed` filled in; expects the redirect with
/// the confirmation, and returns the page it leads to.
async fn triage(
    t: &TestApp,
    c: &reqwest::Client,
    id: &str,
    action: &str,
    typed: &[(&str, &str)],
) -> String {
    let html = page(t, c, &format!("/inkorg/{id}")).await;
    let form = action_form(&html, action);
    let res = send(t, c, &form.action, &form.with(typed)).await;
    let status = res.status();
    let to = res
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        status,
        303,
        "{action} refused: {}",
        res.text().await.unwrap_or_default()
    );
    assert_eq!(to, format!("/inkorg/{id}?klart={action}"));
    page(t, c, &to).await
}

async fn status_of(t: &TestApp, token: &str, id: &str) -> String {
    let v: Value = t
        .api_get(token, &format!("/api/v1/submissions/{id}"))
        .await
        .json()
        .await
        .unwrap();
    v["status"].as_str().unwrap_or_default().to_string()
}

async fn every_inbox_form_works_through_the_page(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("unit-a", Some("region-a")).await;
    t.org("unit-b", Some("region-a")).await;
    let pw = t.user("advisor@x.se", "region-a", "advisor").await;
    let token = t.token("advisor@x.se").await;
    let c = t.browser_login("advisor@x.se", &pw).await;
    let mut subs = Vec::new();
    for title in [
        "Köer i receptionen",
        "Samma köer igen",
        "Inget nytt",
        "Ett bra behov",
    ] {
        let s = t.submit_ok("unit-a", title).await;
        subs.push((
            s["id"].as_str().unwrap().to_string(),
            s["reference"].as_str().unwrap().to_string(),
        ));
    }
    let [(one, one_ref), (two, _), (three, _), (four, _)] = &subs[..] else {
        unreachable!()
    };

    let html = triage(&t, &c, one, "assign", &[]).await;
    assert!(html.contains("Tilldelningen är sparad."));
    assert_eq!(status_of(&t, &token, one).await, "in_review");
    let html = triage(
        &t,
        &c,
        one,
        "comment",
        &[("note", "Ringde enheten, de känner igen det.")],
    )
    .await;
    assert!(html.contains("Ringde enheten, de känner igen det."));
    let html = triage(
        &t,
        &c,
        one,
        "message",
        &[("message", "Tack, vi tittar på det här nu.")],
    )
    .await;
    assert!(html.contains("Tack, vi tittar på det här nu."));
    triage(
        &t,
        &c,
        one,
        "request_info",
        &[("message", "Vilka tider är köerna längst?")],
    )
    .await;
    assert_eq!(status_of(&t, &token, one).await, "awaiting_info");
    let html = triage(
        &t,
        &c,
        one,
        "forward",
        &[("note", "Hör hemma hos grannenheten.")],
    )
    .await;
    assert!(html.contains("Hör hemma hos grannenheten."));

    triage(&t, &c, two, "mark_duplicate", &[("duplicate_of", one_ref)]).await;
    assert_eq!(status_of(&t, &token, two).await, "duplicate");
    triage(&t, &c, two, "reopen", &[("note", "Inte samma sak ändå.")]).await;
    assert_eq!(status_of(&t, &token, two).await, "in_review");

    triage(
        &t,
        &c,
        three,
        "reject",
        &[
            ("reason", "not_innovation"),
            (
                "reason_text",
                "Det här är ett förbättringsärende för enheten.",
            ),
        ],
    )
    .await;
    assert_eq!(status_of(&t, &token, three).await, "rejected");

    triage(
        &t,
        &c,
        four,
        "accept",
        &[("note", "Går vidare till ärende.")],
    )
    .await;
    assert_eq!(status_of(&t, &token, four).await, "accepted");
    let html = triage(&t, &c, four, "erase_contact", &[]).await;
    assert!(!html.contains("anna@example.se"), "the contact is erased");
    t.finish().await;
}
both!(every_inbox_form_works_through_the_page);

/// A field sent twice is an error at that field, in the form shown again with what was
/// typed; a field no triage form has is refused with a page; nothing is written.
async fn a_triage_form_that_does_not_decode_writes_nothing(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let pw = t.user("advisor@x.se", "region-a", "advisor").await;
    let c = t.browser_login("advisor@x.se", &pw).await;
    let s = t.submit_ok("region-a", "Köer i receptionen").await;
    let id = s["id"].as_str().unwrap();
    let events = t.event_count().await;
    let html = page(&t, &c, &format!("/inkorg/{id}")).await;
    let form = action_form(&html, "comment");
    let mut fields = form.with(&[("note", "Första anteckningen")]);
    fields.push(("note".into(), "Andra anteckningen".into()));
    let res = send(&t, &c, &form.action, &fields).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("id=\"e-comment-note\""),
        "the error at the field"
    );
    assert!(html.contains("href=\"#f-comment-note\""));
    assert!(
        html.contains("Andra anteckningen"),
        "what was typed is kept"
    );

    let res = send(
        &t,
        &c,
        &form.action,
        &form.with(&[("note", "En anteckning"), ("undo", "1")]),
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Formuläret gick inte att läsa")
    );
    assert_eq!(t.event_count().await, events, "nothing written");
    t.finish().await;
}
both!(a_triage_form_that_does_not_decode_writes_nothing);

/// Marking a duplicate without typing: the form offers the region's other submissions to
/// pick from (never the submission itself), narrowed by a search that works without
/// JavaScript; the typed number stays as a fallback.
async fn a_duplicate_is_picked_from_the_list(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("unit-a", Some("region-a")).await;
    let pw = t.user("advisor@x.se", "region-a", "advisor").await;
    let token = t.token("advisor@x.se").await;
    let c = t.browser_login("advisor@x.se", &pw).await;
    let one = t.submit_ok("unit-a", "Köer i receptionen").await;
    let other = t.submit_ok("unit-a", "Parkeringen är full").await;
    let two = t.submit_ok("unit-a", "Samma köer igen").await;
    let (one_ref, other_ref) = (
        one["reference"].as_str().unwrap(),
        other["reference"].as_str().unwrap(),
    );
    let (two_id, two_ref) = (
        two["id"].as_str().unwrap(),
        two["reference"].as_str().unwrap(),
    );
    let pick = |r: &str| format!("name=\"duplicate_pick\" value=\"{r}\"");

    let html = page(&t, &c, &format!("/inkorg/{two_id}")).await;
    assert!(html.contains(&pick(one_ref)) && html.contains(&pick(other_ref)));
    assert!(!html.contains(&pick(two_ref)), "not itself");
    let html = page(&t, &c, &format!("/inkorg/{two_id}?dubblett=k%C3%B6er")).await;
    assert!(
        html.contains("<details open id=\"duplicate\">"),
        "the form is open"
    );
    assert!(html.contains(&pick(one_ref)) && !html.contains(&pick(other_ref)));
    let html = page(
        &t,
        &c,
        &format!("/inkorg/{two_id}?dubblett=inget+s%C3%A5dant"),
    )
    .await;
    assert!(html.contains("id=\"no-duplicates\""));

    // Nothing picked and nothing typed: the error says what to do.
    let form = action_form(&html, "mark_duplicate");
    let res = send(&t, &c, &form.action, &form.fields).await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Välj originalet i listan eller skriv dess diarienummer.")
    );
    let html = page(&t, &c, &format!("/inkorg/{two_id}")).await;
    let form = action_form(&html, "mark_duplicate");
    let res = send(
        &t,
        &c,
        &form.action,
        &form.with(&[("duplicate_pick", one_ref)]),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(status_of(&t, &token, two_id).await, "duplicate");
    let html = page(&t, &c, &format!("/inkorg/{two_id}")).await;
    assert!(html.contains(one_ref), "the original is named on the page");
    t.finish().await;
}
both!(a_duplicate_is_picked_from_the_list);

/// A case opened from a submission starts from it: its title, description and unit, the
/// region's process and the submission's number are filled in, and the form opens the case
/// as it stands.
async fn a_case_opened_from_a_submission_starts_from_it(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("unit-a", Some("region-a")).await;
    let pw = t.user("advisor@x.se", "region-a", "advisor").await;
    let token = t.token("advisor@x.se").await;
    let c = t.browser_login("advisor@x.se", &pw).await;
    let s = t.submit_ok("unit-a", "Köer i receptionen").await;
    let id = s["id"].as_str().unwrap();
    let reference = s["reference"].as_str().unwrap();
    triage(&t, &c, id, "accept", &[]).await;
    assert_eq!(status_of(&t, &token, id).await, "accepted");

    let html = page(&t, &c, &format!("/inkorg/{id}")).await;
    let href = format!("/arenden/nytt?fran={reference}");
    assert!(
        html.contains(&format!("href=\"{href}\"")),
        "the link to open a case"
    );
    let html = page(&t, &c, &href).await;
    let form = page_forms(&html)
        .into_iter()
        .find(|f| f.action == "/arenden/nytt")
        .expect("the new case form");
    let field = |k: &str| {
        form.fields
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(field("title"), "Köer i receptionen");
    assert_eq!(
        field("description"),
        "Patienter står i kö vid receptionen varje morgon trots bokad tid."
    );
    assert_eq!(field("unit"), "unit-a");
    assert_eq!(field("submissions"), reference);
    assert!(!field("template").is_empty(), "a process is chosen");
    let res = send(&t, &c, &form.action, &form.fields).await;
    assert_eq!(res.status(), 303, "{:?}", res.text().await);
    let html = page(&t, &c, &format!("/inkorg/{id}")).await;
    assert!(html.contains("Köer i receptionen"));
    t.finish().await;
}
both!(a_case_opened_from_a_submission_starts_from_it);
