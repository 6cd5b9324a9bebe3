//! The case page's forms, posted as the page writes them (issue 18, item 4): each form is
//! read from the rendered page (its action and hidden fields) and sent with what a person
//! would type, so a form and its handler cannot drift apart unnoticed.

use crate::both;
use crate::support::{Backend, TestApp, spawn};
use serde_json::{Value, json};

/// One `<form method="post">` of a page: its action, its fields with their values as the
/// page fills them in (hidden fields, text, the checked radio or checkbox, the selected or
/// first option), and its text.
#[derive(Debug, Clone)]
pub struct PageForm {
    pub action: String,
    pub fields: Vec<(String, String)>,
    pub html: String,
}

impl PageForm {
    /// The fields with some replaced or added.
    pub fn with(&self, changes: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut out = self.fields.clone();
        for (k, v) in changes {
            match out.iter_mut().find(|(name, _)| name == k) {
                Some(f) => f.1 = v.to_string(),
                None => out.push((k.to_string(), v.to_string())),
            }
        }
        out
    }
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let i = tag.find(&key)? + key.len();
    let v = &tag[i..i + tag[i..].find('"')?];
    Some(
        v.replace("&amp;", "&")
            .replace("&#x2f;", "/")
            .replace("&#47;", "/"),
    )
}

/// The post forms of a page, in order.
pub fn page_forms(html: &str) -> Vec<PageForm> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<form ") {
        let from = &rest[i..];
        let end = from
            .find("</form>")
            .map_or(from.len(), |e| e + "</form>".len());
        let form = &from[..end];
        rest = &from[end..];
        let open = &form[..form.find('>').unwrap_or(form.len())];
        if attr(open, "method").as_deref() != Some("post") {
            continue;
        }
        let mut fields = Vec::new();
        let mut scan = form;
        while let Some(j) = scan.find('<') {
            scan = &scan[j..];
            let tag_end = scan.find('>').map_or(scan.len(), |e| e + 1);
            let tag = &scan[..tag_end];
            if tag.starts_with("<input ") {
                let kind = attr(tag, "type").unwrap_or_else(|| "text".into());
                if let Some(name) = attr(tag, "name") {
                    let value = attr(tag, "value").unwrap_or_default();
                    let checked = tag.contains(" checked");
                    match kind.as_str() {
                        "radio" | "checkbox" if !checked => {}
                        _ => fields.push((name, value)),
                    }
                }
            } else if tag.starts_with("<textarea ")
                && let Some(name) = attr(tag, "name")
            {
                let body = &scan[tag_end..];
                let text = &body[..body.find("</textarea>").unwrap_or(0)];
                fields.push((name, text.to_string()));
            } else if tag.starts_with("<select ")
                && let Some(name) = attr(tag, "name")
            {
                let body = &scan[tag_end..];
                let options = &body[..body.find("</select>").unwrap_or(0)];
                let mut first = None;
                let mut selected = None;
                for o in options.split("<option").skip(1) {
                    let v = attr(o, "value").unwrap_or_default();
                    if first.is_none() {
                        first = Some(v.clone());
                    }
                    if o[..o.find('>').unwrap_or(0)].contains(" selected") {
                        selected = Some(v);
                    }
                }
                fields.push((name, selected.or(first).unwrap_or_default()));
            }
            scan = &scan[tag_end.min(scan.len())..];
            if scan.is_empty() {
                break;
            }
        }
        out.push(PageForm {
            action: attr(open, "action").unwrap_or_default(),
            fields,
            html: form.to_string(),
        });
    }
    out
}

/// A region with an advisor and a decision maker, and a case opened by the advisor from an
/// accepted submission; returns the signed-in advisor and decision maker and the case id.
pub async fn a_case(t: &TestApp) -> (reqwest::Client, reqwest::Client, String, String) {
    t.org("region-a", None).await;
    t.org("unit-a", Some("region-a")).await;
    let pw = t.user("advisor@x.se", "region-a", "advisor").await;
    let dm_pw = t.user("decider@x.se", "region-a", "decision_maker").await;
    let adv = t.token("advisor@x.se").await;
    let sub = t.submit_ok("unit-a", "Digital incheckning").await;
    let res = t
        .act(
            &adv,
            sub["id"].as_str().unwrap(),
            json!({ "action": "accept" }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = t
        .http
        .post(t.url("/api/v1/cases"))
        .bearer_auth(&adv)
        .json(&json!({ "title": "Incheckning", "description": "Köer i receptionen.", "unit": "unit-a", "template": "spelplanen", "submissions": [sub["reference"]] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let opened: Value = res.json().await.unwrap();
    let id = opened["id"].as_str().unwrap().to_string();
    let advisor = t.browser_login("advisor@x.se", &pw).await;
    let dm = t.browser_login("decider@x.se", &dm_pw).await;
    (advisor, dm, id, adv)
}

pub async fn page(t: &TestApp, c: &reqwest::Client, path: &str) -> String {
    let res = c.get(t.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res.text().await.unwrap()
}

/// The first form of the page whose HTML contains `marker`.
pub fn form_with(html: &str, marker: &str) -> PageForm {
    page_forms(html)
        .into_iter()
        .find(|f| f.html.contains(marker))
        .unwrap_or_else(|| panic!("no form with {marker:?} on the page"))
}

pub async fn send(
    t: &TestApp,
    c: &reqwest::Client,
    action: &str,
    fields: &[(String, String)],
) -> reqwest::Response {
    c.post(t.url(action)).form(fields).send().await.unwrap()
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Ticking an item and taking the tick back, both through the page's own forms. The undo
/// form used to post `undo=1`, which did not decode into the handler's `bool`; the whole
/// input then fell back to empty, and every undo was refused with 409 "not ticked".
async fn a_tick_is_undone_through_the_page(backend: Backend) {
    let t = spawn(backend).await;
    let (advisor, _, id, _) = a_case(&t).await;
    let case_path = format!("/arenden/{id}");
    let html = page(&t, &advisor, &case_path).await;
    let tick = form_with(&html, "class=\"tick-form\"");
    let res = send(
        &t,
        &advisor,
        &tick.action,
        &tick.with(&[("note", "Klart.")]),
    )
    .await;
    assert_eq!(res.status(), 303, "{:?}", res.text().await);
    assert!(location(&res).contains("klart=ticked"));
    let html = page(&t, &advisor, &case_path).await;
    assert_eq!(html.matches("class=\"item item-done\"").count(), 1);

    let undo = form_with(&html, "Ångra");
    let res = send(&t, &advisor, &undo.action, &undo.fields).await;
    assert_eq!(
        res.status(),
        303,
        "the undo form is refused: {}",
        res.text().await.unwrap_or_default()
    );
    let to = location(&res);
    assert!(to.contains("klart=unticked"), "{to}");
    let html = page(&t, &advisor, to.split('#').next().unwrap()).await;
    assert!(html.contains("Markeringen är ångrad."));
    assert_eq!(html.matches("class=\"item item-done\"").count(), 0);
    t.finish().await;
}
both!(a_tick_is_undone_through_the_page);

/// Posts a page form and expects a redirect back to the case with this confirmation;
/// returns the page it leads to.
async fn done(
    t: &TestApp,
    c: &reqwest::Client,
    form: &PageForm,
    fields: &[(String, String)],
    klart: &str,
) -> String {
    let res = send(t, c, &form.action, fields).await;
    let status = res.status();
    let to = location(&res);
    assert_eq!(
        status,
        303,
        "{} refused: {}",
        form.action,
        res.text().await.unwrap_or_default()
    );
    assert!(to.contains(&format!("klart={klart}")), "{to}");
    page(t, c, to.split('#').next().unwrap()).await
}

/// The form whose action ends with `/{path}`.
fn form_to(html: &str, path: &str) -> PageForm {
    page_forms(html)
        .into_iter()
        .find(|f| f.action.ends_with(&format!("/{path}")))
        .unwrap_or_else(|| panic!("no form posting to …/{path} on the page"))
}

/// Every form of the case page, as the page writes it, with what a person would choose or
/// type: tick and untick, the working group (add, remove), the three parts of the result,
/// the details, and, as the decision maker, the gate and the vägval.
async fn every_case_form_works_through_the_page(backend: Backend) {
    let t = spawn(backend).await;
    let (advisor, dm, id, _) = a_case(&t).await;
    let case_path = format!("/arenden/{id}");
    let html = page(&t, &advisor, &case_path).await;

    let tick = form_with(&html, "class=\"tick-form\"");
    let html = done(&t, &advisor, &tick, &tick.fields, "ticked").await;
    assert!(html.contains("Punkten är markerad som klar."));
    let undo = form_to(&html, "bock/angra");
    let html = done(&t, &advisor, &undo, &undo.fields, "unticked").await;
    assert!(!html.contains("item-done"));

    let add = form_to(&html, "grupp");
    let fields = add.with(&[("function", "testa"), ("name", "Tomas Testledare")]);
    let html = done(&t, &advisor, &add, &fields, "member_added").await;
    let members = |html: &str| {
        html.split("class=\"plain-list members\"")
            .nth(1)
            .map(|m| m[..m.find("</ul>").unwrap_or(0)].to_string())
            .unwrap_or_default()
    };
    assert!(members(&html).contains("Tomas Testledare"));
    let remove = form_to(&html, "grupp/ta-bort");
    let html = done(&t, &advisor, &remove, &remove.fields, "member_removed").await;
    assert!(!members(&html).contains("Tomas Testledare"));

    let adopt = form_to(&html, "resultat/infort");
    let unit = adopt.with(&[("unit", "unit-a")]);
    let html = done(&t, &advisor, &adopt, &unit, "adopted").await;
    assert!(html.contains("Org unit-a"));
    let measure = form_to(&html, "resultat/matt");
    let fields = measure.with(&[
        ("name", "Väntetid i receptionen"),
        ("measure_unit", "minuter"),
        ("before", "25"),
        ("after", "7,5"),
    ]);
    let html = done(&t, &advisor, &measure, &fields, "measured").await;
    assert!(html.contains("Väntetid i receptionen"));
    let handover = form_to(&html, "resultat/overlamning");
    let fields = handover.with(&[
        ("receiver", "Förvaltning Primärvård"),
        ("note", "Överlämnad med driftsdokumentation."),
    ]);
    let html = done(&t, &advisor, &handover, &fields, "handover").await;
    assert!(html.contains("Förvaltning Primärvård: Överlämnad med driftsdokumentation."));

    let details = form_to(&html, "uppgifter");
    let fields = details.with(&[("title", "Incheckning i receptionen")]);
    let html = done(&t, &advisor, &details, &fields, "updated").await;
    assert!(html.contains("<h1>Incheckning i receptionen</h1>"));
    // The advisor has no mandate at the gate: no decision form.
    assert!(
        page_forms(&html)
            .iter()
            .all(|f| !f.action.ends_with("/beslut"))
    );

    // The decision maker passes the gate with items open, then chooses the path.
    let html = page(&t, &dm, &case_path).await;
    let gate = form_to(&html, "beslut");
    let fields = gate.with(&[
        ("decision", "proceed"),
        ("rationale", "Behovet är verifierat."),
        ("override_reason", "Punkterna görs i nästa fas."),
    ]);
    let html = done(&t, &dm, &gate, &fields, "decided").await;
    let path = form_to(&html, "vagval");
    let fields = path.with(&[
        ("vagval", "innovation_procurement"),
        ("rationale", "Ingen lösning finns på marknaden."),
    ]);
    let html = done(&t, &dm, &path, &fields, "path").await;
    assert!(html.contains("Innovationsupphandling"));
    t.finish().await;
}
both!(every_case_form_works_through_the_page);

/// A value that does not decode is a field error in its form, with what was typed kept,
/// and changes nothing; a malformed hidden field is a clear 422 page; a field the form does
/// not have (the undo form of an older page, posted to the tick route) is refused rather
/// than read as a tick; a form the case page does not have is not found.
async fn a_malformed_field_is_a_field_error_not_a_default(backend: Backend) {
    let t = spawn(backend).await;
    let (advisor, _, id, token) = a_case(&t).await;
    let case_path = format!("/arenden/{id}");
    let html = page(&t, &advisor, &case_path).await;
    let events = t.event_count().await;
    let before = case_now(&t, &token, &id).await;

    let details = form_to(&html, "uppgifter");
    let fields = details.with(&[
        ("title", "En ny titel som skrevs"),
        ("confidential", "kanske"),
    ]);
    let res = send(&t, &advisor, &details.action, &fields).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"error-summary\""));
    assert!(html.contains("href=\"#f-uppgifter-confidential\""));
    assert!(html.contains("id=\"e-uppgifter-confidential\""));
    assert!(
        html.contains("value=\"En ny titel som skrevs\""),
        "typed text kept"
    );
    assert!(html.contains("<details open>"), "the form is open");

    // A field sent twice is named too.
    let mut twice = details.with(&[("title", "Två titlar")]);
    twice.push(("title".into(), "En till".into()));
    let res = send(&t, &advisor, &details.action, &twice).await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("id=\"e-uppgifter-title\"")
    );

    // A hidden field: an error page, no form to show it in.
    let tick = form_with(&page(&t, &advisor, &case_path).await, "class=\"tick-form\"");
    let mut fields = tick.fields.clone();
    fields.push(("step".into(), "en-till".into()));
    let res = send(&t, &advisor, &tick.action, &fields).await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("Något stämmer inte") && body.contains("Fel format."));

    // The undo form of a page from before: its undo=1 is not a field of the tick form.
    let undo_then = tick.with(&[("undo", "1")]);
    let res = send(&t, &advisor, &tick.action, &undo_then).await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Formuläret gick inte att läsa")
    );

    // Not UTF-8: not a form.
    let csrf = crate::support::csrf_in(&html).unwrap();
    let res = advisor
        .post(t.url(&tick.action))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("_csrf={csrf}&step=%FF&item=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // The remove form without its member: a page, not an addition to the group.
    let res = send(
        &t,
        &advisor,
        &format!("{case_path}/grupp/ta-bort"),
        &[
            ("_csrf".into(), csrf.clone()),
            ("member".into(), String::new()),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Något stämmer inte"));

    // A form the case page does not have.
    let res = send(
        &t,
        &advisor,
        &format!("{case_path}/okand"),
        &[("_csrf".into(), csrf.clone())],
    )
    .await;
    assert_eq!(res.status(), 404);

    assert_eq!(case_now(&t, &token, &id).await, before, "nothing changed");
    assert_eq!(t.event_count().await, events, "no event for a refusal");
    t.finish().await;
}
both!(a_malformed_field_is_a_field_error_not_a_default);

/// What a refused form must not change: the case's title, process and last change.
async fn case_now(t: &TestApp, token: &str, id: &str) -> (Value, Value, Value) {
    let v: Value = t
        .api_get(token, &format!("/api/v1/cases/{id}"))
        .await
        .json()
        .await
        .unwrap();
    (
        v["title"].clone(),
        v["process"].clone(),
        v["updated_at"].clone(),
    )
}
