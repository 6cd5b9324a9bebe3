//! The authorization matrix (issue 17): every route of the router × every caller, with the
//! answer each should get. Two regions: A with units A1 and A2, and B. One user per role
//! holding it in region A (a role held in a region reaches its units), an advisor of unit A1
//! only, an administrator of region B, a company user in the working group of the case, a
//! workshop participant without an account, and the anonymous caller. What is asked for lies
//! in unit A2: a submission, a case, a workshop in its voting phase, an open question, a
//! workshop in draft, and region A's own process template upload.
//!
//! A cell is the status code; `L` is a redirect to the sign-in page (an anonymous page
//! caller), `J` one to a workshop's join form (a page caller who has not joined). Writes that would change what later rows look at are sent with input that is
//! refused after the permission check, so a 422 (or 409) means "allowed, but not this
//! input", and the table may run in any order of callers. Another region's resources answer
//! 404, never 403, so that their existence does not leak; campaigns are the exception, as
//! their join code is public (anyone may look one up and join).
//! Procurement reads the case read-only (a step of Spelplanen names the function that buys,
//! whose role it holds): 200 on reading it, 403 on changing it.
//!
//! Every route in `web::router` must have at least one row (method + path, read from
//! lib.rs), so a new route cannot be added without deciding who may use it.

use std::collections::{BTreeSet, HashMap};

use crate::both;
use crate::support::{Backend, TestApp, client, spawn};
use serde_json::{Value, json};

/// The callers, in the order of the table's columns.
pub const CALLERS: [&str; 15] = [
    "anon",
    "staff",
    "advisor",
    "decision_maker",
    "process_owner",
    "procurement",
    "company",
    "reviewer",
    "fund_manager",
    "coordinator",
    "admin",
    "unit_advisor",
    "admin_b",
    "member",
    "participant",
];

/// What a row sends.
#[derive(Clone)]
pub enum Body {
    Nothing,
    Json(Value),
    Form(Vec<(&'static str, &'static str)>),
    /// A `multipart/form-data` form: its text fields and one file (name, bytes) as `files`.
    Multipart(Vec<(&'static str, &'static str)>, &'static str, Vec<u8>),
}

/// The boundary of the multipart bodies the tests send.
pub const BOUNDARY: &str = "sluss-test-boundary-7MA4YWxkTrZu0gW";
/// Their content type.
pub const MULTIPART: &str = "multipart/form-data; boundary=sluss-test-boundary-7MA4YWxkTrZu0gW";

/// A multipart body: the CSRF token first (as the pages' forms put it), the text fields,
/// then the files, each as the field `files`.
pub fn multipart_body(csrf: &str, fields: &[(String, String)], files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut text = |name: &str, value: &str| {
        out.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    text("_csrf", csrf);
    for (k, v) in fields {
        text(k, v);
    }
    for (name, bytes) in files {
        out.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

/// A Windows program's first bytes, as a file named `.pdf` would carry them.
pub fn exe_bytes() -> Vec<u8> {
    let mut b = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec();
    b.resize(512, 0);
    b
}

#[derive(Clone)]
pub struct Row {
    pub method: &'static str,
    /// The route as lib.rs writes it (with `/api/v1` for the API).
    pub route: &'static str,
    /// The path asked for, with `{sub}`, `{case}`, `{W}`, `{O}`, `{D}`, `{idea}`, `{oidea}`,
    /// `{follow}`, `{sub1}` (in unit A1), `{victim}` and `{victim_token}` (a user of unit A2
    /// and their token) for the resources of the setup.
    pub path: &'static str,
    pub send: Body,
    /// One cell per caller, in the order of [`CALLERS`].
    pub expect: &'static str,
}

fn row(
    method: &'static str,
    route: &'static str,
    path: &'static str,
    send: Body,
    expect: &'static str,
) -> Row {
    Row {
        method,
        route,
        path,
        send,
        expect,
    }
}

/// The table. Columns:
/// anon staff advisor decision_maker process_owner procurement company reviewer fund_manager
/// coordinator admin unit_advisor admin_b member participant
#[rustfmt::skip]
pub fn table() -> Vec<Row> {
    use Body::{Form, Json, Multipart, Nothing};
    let submission = json!({
        "kind": "need", "title": "Ett behov i matrisen",
        "description": "Patienter står i kö vid receptionen varje morgon trots bokad tid.",
        "submitter_role": "patient", "organisation": "unit-a2",
        "contact_name": "Anna Andersson", "contact_email": "anna@example.se",
    });
    vec![
        // ---- The API ----
        row("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", Nothing,
            "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        row("POST", "/api/v1/submissions", "/api/v1/submissions", Json(submission),
            "201 201 201 201 201 201 201 201 201 201 201 201 201 201 201"),
        row("GET", "/api/v1/submissions", "/api/v1/submissions", Nothing,
            "401 403 200 200 200 403 403 403 403 200 200 200 200 403 401"),
        row("GET", "/api/v1/submissions/{id}", "/api/v1/submissions/{sub}", Nothing,
            "401 403 200 200 200 403 403 403 403 200 200 404 404 403 401"),
        row("POST", "/api/v1/submissions/{id}/actions", "/api/v1/submissions/{sub}/actions",
            Json(json!({ "action": "comment", "note": "En anteckning." })),
            "401 403 200 403 200 403 403 403 403 200 200 404 404 403 401"),
        // Unit A1's own submission: its advisor reaches it too.
        row("GET", "/api/v1/submissions/{id}", "/api/v1/submissions/{sub1}", Nothing,
            "401 403 200 200 200 403 403 403 403 200 200 200 404 403 401"),
        row("POST", "/api/v1/submissions/{id}/actions", "/api/v1/submissions/{sub1}/actions",
            Json(json!({ "action": "comment", "note": "En anteckning." })),
            "401 403 200 403 200 403 403 403 403 200 200 200 404 403 401"),
        row("GET", "/api/v1/cases", "/api/v1/cases", Nothing,
            "401 403 200 200 200 403 403 403 403 200 200 200 200 403 401"),
        row("POST", "/api/v1/cases", "/api/v1/cases",
            Json(json!({ "title": "Ett ärende", "description": "Något att utreda.", "unit": "unit-a2", "template": "spelplanen" })),
            "401 403 201 403 201 403 403 403 403 201 201 422 422 403 401"),
        row("GET", "/api/v1/cases/{id}", "/api/v1/cases/{case}", Nothing,
            "401 404 200 200 200 200 404 404 404 200 200 404 404 200 401"),
        row("GET", "/api/v1/cases/{id}/events", "/api/v1/cases/{case}/events", Nothing,
            "401 404 200 200 200 200 404 404 404 200 200 404 404 200 401"),
        row("POST", "/api/v1/cases/{id}/checklist", "/api/v1/cases/{case}/checklist",
            Json(json!({ "step": "nej", "item": "nej" })),
            "401 404 422 403 422 403 404 404 404 422 422 404 404 422 401"),
        row("POST", "/api/v1/cases/{id}/decisions", "/api/v1/cases/{case}/decisions",
            Json(json!({ "decision": "nej", "rationale": "Därför." })),
            "401 404 403 422 403 403 404 404 404 403 403 404 404 403 401"),
        row("POST", "/api/v1/cases/{id}/path", "/api/v1/cases/{case}/path",
            Json(json!({ "vagval": "nej", "rationale": "Därför." })),
            "401 404 403 422 403 403 404 404 404 403 403 404 404 403 401"),
        row("POST", "/api/v1/cases/{id}/result", "/api/v1/cases/{case}/result",
            Json(json!({ "kind": "nej" })),
            "401 404 422 403 422 403 404 404 404 422 422 404 404 403 401"),
        row("POST", "/api/v1/cases/{id}/members", "/api/v1/cases/{case}/members",
            Json(json!({ "name": "Tomas Testledare", "function": "nej" })),
            "401 404 422 403 422 403 404 404 404 422 422 404 404 403 401"),
        row("POST", "/api/v1/cases/{id}/details", "/api/v1/cases/{case}/details",
            Json(json!({ "title": "", "unit": "unit-a2", "confidential": false })),
            "401 404 422 403 422 403 404 404 404 422 422 404 404 403 401"),
        row("GET", "/api/v1/diarium", "/api/v1/diarium", Nothing,
            "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        // Accounts: the administrators of the user's region only; another region's
        // administrator finds no such user. The user acted on is nobody's caller, and both
        // writes may be repeated.
        row("GET", "/api/v1/users/{id}/tokens", "/api/v1/users/{victim}/tokens", Nothing,
            "401 403 403 403 403 403 403 403 403 403 200 403 404 403 401"),
        row("POST", "/api/v1/tokens/{id}/revoke", "/api/v1/tokens/{victim_token}/revoke", Nothing,
            "401 403 403 403 403 403 403 403 403 403 200 403 404 403 401"),
        row("POST", "/api/v1/users/{id}/deactivate", "/api/v1/users/{victim}/deactivate", Nothing,
            "401 403 403 403 403 403 403 403 403 403 200 403 404 403 401"),
        row("POST", "/api/v1/campaigns", "/api/v1/campaigns",
            Json(json!({ "title": "En workshop", "question": "Vad behöver vi?", "mode": "workshop", "organisation": "unit-a2" })),
            "401 403 201 403 201 403 403 403 403 201 201 422 422 403 401"),
        row("GET", "/api/v1/campaigns/{code}", "/api/v1/campaigns/{W}", Nothing,
            "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        row("POST", "/api/v1/campaigns/{code}/phase", "/api/v1/campaigns/{W}/phase",
            Json(json!({ "phase": "nej" })),
            "401 403 422 403 422 403 403 403 403 422 422 403 403 403 401"),
        row("POST", "/api/v1/campaigns/{code}/participants", "/api/v1/campaigns/{W}/participants", Nothing,
            "201 201 201 201 201 201 201 201 201 201 201 201 201 201 201"),
        row("POST", "/api/v1/campaigns/{code}/ideas", "/api/v1/campaigns/{O}/ideas",
            Json(json!({ "text": "En idé till frågan" })),
            "401 403 201 403 201 403 403 403 403 201 201 403 403 403 201"),
        row("POST", "/api/v1/campaigns/{code}/ideas/{idea}/status", "/api/v1/campaigns/{W}/ideas/{idea}/status",
            Json(json!({ "status": "active" })),
            "401 403 200 403 200 403 403 403 403 200 200 403 403 403 401"),
        row("GET", "/api/v1/campaigns/{code}/pair", "/api/v1/campaigns/{W}/pair", Nothing,
            "401 401 401 401 401 401 401 401 401 401 401 401 401 401 200"),
        row("POST", "/api/v1/campaigns/{code}/votes", "/api/v1/campaigns/{W}/votes",
            Json(json!({ "offer_id": "nej", "choice": "left" })),
            "401 401 401 401 401 401 401 401 401 401 401 401 401 401 422"),
        row("POST", "/api/v1/campaigns/{code}/scores", "/api/v1/campaigns/{W}/scores",
            Json(json!({ "idea_id": "nej", "scores": {} })),
            "401 401 401 401 401 401 401 401 401 401 401 401 401 401 409"),
        row("POST", "/api/v1/campaigns/{code}/ideas/{idea}/flag", "/api/v1/campaigns/{O}/ideas/{oidea}/flag", Nothing,
            "401 401 401 401 401 401 401 401 401 401 401 401 401 401 200"),
        row("POST", "/api/v1/campaigns/{code}/next-steps", "/api/v1/campaigns/{W}/next-steps",
            Json(json!({ "n": 0 })),
            "401 403 422 403 422 403 403 403 403 422 422 403 403 403 401"),
        // ---- Outside the API and the pages ----
        row("GET", "/healthz", "/healthz", Nothing,
            "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        row("GET", "/livez", "/livez", Nothing,
            "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        row("GET", "/static/{file}", "/static/style.css", Nothing,
            "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        // ---- The pages ----
        row("GET", "/", "/", Nothing,
            "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        row("GET", "/lamna", "/lamna", Nothing,
            "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        row("POST", "/lamna", "/lamna",
            Form(vec![("kind", "need"), ("title", "Ett behov i matrisen"),
                ("description", "Patienter står i kö vid receptionen varje morgon."),
                ("submitter_role", "patient"), ("organisation", "unit-a2"),
                ("contact_name", "Anna Andersson"), ("contact_email", "anna@example.se"), ("consent", "on")]),
            "303 303 303 303 303 303 303 303 303 303 303 303 303 303 303"),
        row("GET", "/folj/{token}", "/folj/{follow}", Nothing,
            "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        row("POST", "/folj/{token}/svar", "/folj/{follow}/svar", Form(vec![("reply", "Här är mer.")]),
            "409 409 409 409 409 409 409 409 409 409 409 409 409 409 409"),
        row("GET", "/logga-in", "/logga-in", Nothing,
            "200 303 303 303 303 303 303 303 303 303 303 303 303 303 200"),
        row("POST", "/logga-in", "/logga-in",
            Form(vec![("email", "ingen@x.se"), ("password", "fel-lösenord")]),
            "401 401 401 401 401 401 401 401 401 401 401 401 401 401 401"),
        row("GET", "/inkorg", "/inkorg", Nothing,
            "L 403 200 200 200 403 403 403 403 200 200 200 200 403 L"),
        row("GET", "/inkorg/{id}", "/inkorg/{sub}", Nothing,
            "L 403 200 200 200 403 403 403 403 200 200 404 404 403 L"),
        // The triage forms (issue 18, item 4). The submission is closed (a case was opened
        // from it): an action that needs an open one is refused after the permission check
        // with 409, input that does not parse with 422; the comment and erasing the contact
        // change nothing later rows see.
        row("POST", "/inkorg/{id}/kommentar", "/inkorg/{sub}/kommentar",
            Form(vec![("note", "En anteckning.")]),
            "L 403 303 403 303 403 403 403 403 303 303 404 404 403 L"),
        row("POST", "/inkorg/{id}/tilldela", "/inkorg/{sub}/tilldela", Form(vec![("user_id", "nej")]),
            "L 403 409 403 409 403 403 403 403 409 409 404 404 403 L"),
        row("POST", "/inkorg/{id}/komplettering", "/inkorg/{sub}/komplettering", Form(vec![("message", "")]),
            "L 403 422 403 422 403 403 403 403 422 422 404 404 403 L"),
        row("POST", "/inkorg/{id}/meddelande", "/inkorg/{sub}/meddelande", Form(vec![("message", "")]),
            "L 403 422 403 422 403 403 403 403 422 422 404 404 403 L"),
        row("POST", "/inkorg/{id}/skicka-vidare", "/inkorg/{sub}/skicka-vidare", Form(vec![("organisation", "nej"), ("note", "")]),
            "L 403 409 403 409 403 403 403 403 409 409 404 404 403 L"),
        row("POST", "/inkorg/{id}/dubblett", "/inkorg/{sub}/dubblett", Form(vec![("duplicate_of", "nej")]),
            "L 403 409 403 409 403 403 403 403 409 409 404 404 403 L"),
        row("POST", "/inkorg/{id}/avvisa", "/inkorg/{sub}/avvisa", Form(vec![("reason", ""), ("reason_text", "Därför.")]),
            "L 403 422 403 422 403 403 403 403 422 422 404 404 403 L"),
        row("POST", "/inkorg/{id}/anta", "/inkorg/{sub}/anta", Form(vec![("note", "dold\u{202E}text")]),
            "L 403 422 403 422 403 403 403 403 422 422 404 404 403 L"),
        row("POST", "/inkorg/{id}/ateroppna", "/inkorg/{sub}/ateroppna", Form(vec![("note", "dold\u{202E}text")]),
            "L 403 422 403 422 403 403 403 403 422 422 404 404 403 L"),
        row("POST", "/inkorg/{id}/radera-kontakt", "/inkorg/{sub}/radera-kontakt", Form(vec![]),
            "L 403 303 403 303 403 403 403 403 303 303 404 404 403 L"),
        row("GET", "/inkorg/{id}", "/inkorg/{sub1}", Nothing,
            "L 403 200 200 200 403 403 403 403 200 200 200 404 403 L"),
        row("GET", "/mitt-arbete", "/mitt-arbete", Nothing,
            "L 200 200 200 200 200 200 200 200 200 200 200 200 200 L"),
        row("GET", "/arenden", "/arenden", Nothing,
            "L 403 200 200 200 403 403 403 403 200 200 200 200 403 L"),
        row("GET", "/arenden/mina", "/arenden/mina", Nothing,
            "L 200 200 200 200 200 200 200 200 200 200 200 200 200 L"),
        row("GET", "/arenden/forsenade", "/arenden/forsenade", Nothing,
            "L 403 200 200 200 403 403 403 403 200 200 200 200 403 L"),
        row("GET", "/arenden/nytt", "/arenden/nytt", Nothing,
            "L 403 200 403 200 403 403 403 403 200 200 200 200 403 L"),
        row("POST", "/arenden/nytt", "/arenden/nytt",
            Form(vec![("title", "Ett ärende"), ("description", "Något att utreda."), ("unit", "unit-a2"), ("template", "spelplanen")]),
            "L 403 303 403 303 403 403 403 403 303 303 422 422 403 L"),
        row("GET", "/arenden/{id}", "/arenden/{case}", Nothing,
            "L 404 200 200 200 200 404 404 404 200 200 404 404 200 L"),
        row("POST", "/arenden/{id}/bock", "/arenden/{case}/bock", Form(vec![("step", "nej"), ("item", "nej")]),
            "L 404 422 403 422 403 404 404 404 422 422 404 404 422 L"),
        // An item that is not ticked (as no item called "nej" is) cannot be taken back.
        row("POST", "/arenden/{id}/bock/angra", "/arenden/{case}/bock/angra", Form(vec![("step", "nej"), ("item", "nej")]),
            "L 404 409 403 409 403 404 404 404 409 409 404 404 409 L"),
        row("POST", "/arenden/{id}/beslut", "/arenden/{case}/beslut", Form(vec![("decision", "nej"), ("rationale", "Därför.")]),
            "L 404 403 422 403 403 404 404 404 403 403 404 404 403 L"),
        row("POST", "/arenden/{id}/vagval", "/arenden/{case}/vagval", Form(vec![("vagval", "nej"), ("rationale", "Därför.")]),
            "L 404 403 422 403 403 404 404 404 403 403 404 404 403 L"),
        row("POST", "/arenden/{id}/resultat/infort", "/arenden/{case}/resultat/infort", Form(vec![("unit", "nej")]),
            "L 404 422 403 422 403 404 404 404 422 422 404 404 403 L"),
        row("POST", "/arenden/{id}/resultat/matt", "/arenden/{case}/resultat/matt", Form(vec![("name", "Väntetid"), ("measure_unit", "min"), ("before", "nej"), ("after", "5")]),
            "L 404 422 403 422 403 404 404 404 422 422 404 404 403 L"),
        row("POST", "/arenden/{id}/resultat/overlamning", "/arenden/{case}/resultat/overlamning", Form(vec![("receiver", ""), ("note", "Överlämnad.")]),
            "L 404 422 403 422 403 404 404 404 422 422 404 404 403 L"),
        row("POST", "/arenden/{id}/grupp", "/arenden/{case}/grupp", Form(vec![("name", "Tomas Testledare"), ("function", "nej")]),
            "L 404 422 403 422 403 404 404 404 422 422 404 404 403 L"),
        // Nobody's membership has this id: not found, once the case is within reach.
        row("POST", "/arenden/{id}/grupp/ta-bort", "/arenden/{case}/grupp/ta-bort", Form(vec![("member", "nej")]),
            "L 404 404 403 404 403 404 404 404 404 404 404 404 403 L"),
        row("POST", "/arenden/{id}/uppgifter", "/arenden/{case}/uppgifter", Form(vec![("title", ""), ("unit", "unit-a2")]),
            "L 404 422 403 422 403 404 404 404 422 422 404 404 403 L"),
        // Attachments (issue 20 item 6): a file is read by whoever may read its owner (a
        // submission of unit A1, the case, the workshop's facilitators), a public one by
        // anyone; files are added by who may work the case or run the workshop. A program
        // renamed .pdf is refused (422) after the permission check; an attachment that is
        // not the item's is not found.
        row("GET", "/bilagor/{id}", "/bilagor/{att_sub}", Nothing,
            "L 403 200 200 200 403 403 403 403 200 200 200 404 403 L"),
        row("GET", "/bilagor/{id}", "/bilagor/{att_case}", Nothing,
            "L 404 200 200 200 200 404 404 404 200 200 404 404 200 L"),
        row("GET", "/bilagor/{id}", "/bilagor/{att_w}", Nothing,
            "L 404 200 404 200 404 404 404 404 200 200 404 404 404 L"),
        row("GET", "/bilagor/{id}", "/bilagor/{att_pub}", Nothing,
            "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        row("POST", "/arenden/{id}/bilagor", "/arenden/{case}/bilagor", Multipart(vec![], "faktura.pdf", exe_bytes()),
            "L 404 422 403 422 403 404 404 404 422 422 404 404 422 L"),
        row("POST", "/arenden/{id}/bilagor/ta-bort", "/arenden/{case}/bilagor/ta-bort", Form(vec![("attachment", "nej")]),
            "L 404 404 403 404 403 404 404 404 404 404 404 404 404 L"),
        row("POST", "/workshop/{code}/bilagor", "/workshop/{W}/bilagor", Multipart(vec![("public", "on")], "faktura.pdf", exe_bytes()),
            "L 403 422 403 422 403 403 403 403 422 422 403 403 403 L"),
        row("POST", "/workshop/{code}/bilagor/ta-bort", "/workshop/{W}/bilagor/ta-bort", Form(vec![("attachment", "nej")]),
            "L 403 404 403 404 403 403 403 403 404 404 403 403 403 L"),
        // The intake as its page sends it (multipart, with a PDF): anyone.
        row("POST", "/lamna", "/lamna",
            Multipart(vec![("kind", "need"), ("title", "Ett behov med bilaga"),
                ("description", "Patienter står i kö vid receptionen varje morgon."),
                ("submitter_role", "patient"), ("organisation", "unit-a2"), ("consent", "on")],
                "skiss.pdf", domain::attachment::tiny_pdf()),
            "303 303 303 303 303 303 303 303 303 303 303 303 303 303 303"),
        row("GET", "/diarium", "/diarium", Nothing,
            "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        // E-mail (issue 20): the outbox and the jobs are for administrators, each of their own region.
        row("GET", "/admin/utkorg", "/admin/utkorg", Nothing,
            "L 403 403 403 403 403 403 403 403 403 200 403 200 403 L"),
        row("GET", "/admin/jobb", "/admin/jobb", Nothing,
            "L 403 403 403 403 403 403 403 403 403 200 403 200 403 L"),
        // Administration pages (issue 20 item 5): an administrator of a region, of their region only.
        row("GET", "/admin", "/admin", Nothing,
            "L 403 403 403 403 403 403 403 403 403 200 403 200 403 L"),
        row("GET", "/admin/organisationer", "/admin/organisationer", Nothing,
            "L 403 403 403 403 403 403 403 403 403 200 403 200 403 L"),
        row("POST", "/admin/organisationer", "/admin/organisationer", Form(vec![("parent", "{unit_a2}"), ("slug", ""), ("name", "")]),
            "L 403 403 403 403 403 403 403 403 403 422 403 404 403 L"),
        row("POST", "/admin/organisationer/{id}", "/admin/organisationer/{unit_a2}", Form(vec![("name", ""), ("parent", "")]),
            "L 403 403 403 403 403 403 403 403 403 422 403 404 403 L"),
        // People, API tokens and the audit view (issue 20 item 5): a region's administrator,
        // over the users of their region only (the victim, in unit A2, is not region B's).
        // Inviting with the fields left empty is refused after the check; a unit of another
        // region is not among region B's choices (422, as for any unknown choice). The
        // victim has a password, so a new invitation is a conflict; removing a role they do
        // not hold is not found; turning the account off and on may be repeated.
        row("GET", "/admin/anvandare", "/admin/anvandare", Nothing,
            "L 403 403 403 403 403 403 403 403 403 200 403 200 403 L"),
        row("POST", "/admin/anvandare", "/admin/anvandare", Form(vec![("name", ""), ("email", ""), ("org", "{unit_a2}"), ("role", "staff")]),
            "L 403 403 403 403 403 403 403 403 403 422 403 422 403 L"),
        row("GET", "/admin/anvandare/{id}", "/admin/anvandare/{victim}", Nothing,
            "L 403 403 403 403 403 403 403 403 403 200 403 404 403 L"),
        row("POST", "/admin/anvandare/{id}/roller", "/admin/anvandare/{victim}/roller", Form(vec![("org", "{unit_a2}"), ("role", "kung")]),
            "L 403 403 403 403 403 403 403 403 403 422 403 404 403 L"),
        row("POST", "/admin/anvandare/{id}/roller/ta-bort", "/admin/anvandare/{victim}/roller/ta-bort", Form(vec![("org", "{unit_a2}"), ("role", "admin")]),
            "L 403 403 403 403 403 403 403 403 403 404 403 404 403 L"),
        row("POST", "/admin/anvandare/{id}/inbjudan", "/admin/anvandare/{victim}/inbjudan", Form(vec![]),
            "L 403 403 403 403 403 403 403 403 403 409 403 404 403 L"),
        row("POST", "/admin/anvandare/{id}/avaktivera", "/admin/anvandare/{victim}/avaktivera", Form(vec![]),
            "L 403 403 403 403 403 403 403 403 403 303 403 404 403 L"),
        row("POST", "/admin/anvandare/{id}/aktivera", "/admin/anvandare/{victim}/aktivera", Form(vec![]),
            "L 403 403 403 403 403 403 403 403 403 303 403 404 403 L"),
        row("GET", "/admin/nycklar", "/admin/nycklar", Nothing,
            "L 403 403 403 403 403 403 403 403 403 200 403 200 403 L"),
        row("POST", "/admin/nycklar", "/admin/nycklar", Form(vec![("email", "victim@a.se"), ("name", ""), ("days", "0")]),
            "L 403 403 403 403 403 403 403 403 403 422 403 422 403 L"),
        row("POST", "/admin/nycklar/{id}/aterkalla", "/admin/nycklar/{victim_token}/aterkalla", Form(vec![]),
            "L 403 403 403 403 403 403 403 403 403 303 403 404 403 L"),
        row("GET", "/admin/handelser", "/admin/handelser", Nothing,
            "L 403 403 403 403 403 403 403 403 403 200 403 200 403 L"),
        row("GET", "/admin/handelser", "/admin/handelser?kind=user&from=2026-01-01", Nothing,
            "L 403 403 403 403 403 403 403 403 403 200 403 200 403 L"),
        // The invited person's page: anyone; a password too short is refused before the
        // link is looked at.
        row("GET", "/inbjudan/{token}", "/inbjudan/nej", Nothing,
            "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        row("POST", "/inbjudan/{token}", "/inbjudan/nej",
            Form(vec![("password", "kort"), ("password_again", "kort")]),
            "422 422 422 422 422 422 422 422 422 422 422 422 422 422 422"),
        row("GET", "/processer", "/processer", Nothing,
            "L 403 403 403 200 403 403 403 403 403 200 403 200 403 L"),
        row("POST", "/processer", "/processer", Form(vec![("action", "preview"), ("source", "inte toml")]),
            "L 403 403 403 422 403 403 403 403 403 422 403 422 403 L"),
        row("POST", "/processer", "/processer", Form(vec![("action", "save"), ("region", "region-a"), ("source", "inte toml")]),
            "L 403 403 403 422 403 403 403 403 403 422 403 403 403 L"),
        row("POST", "/processer/aktivera", "/processer/aktivera", Form(vec![("region", "region-a"), ("template", "{upload}")]),
            "L 403 403 403 303 403 403 403 403 403 303 403 403 403 L"),
        row("GET", "/workshop", "/workshop", Nothing,
            "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        row("POST", "/workshop", "/workshop", Form(vec![("code", "{D}")]),
            "303 303 303 303 303 303 303 303 303 303 303 303 303 303 303"),
        row("GET", "/workshop/ny", "/workshop/ny", Nothing,
            "L 403 200 403 200 403 403 403 403 200 200 200 200 403 L"),
        row("POST", "/workshop/ny", "/workshop/ny",
            Form(vec![("title", "En workshop"), ("question", "Vad behöver vi?"), ("mode", "workshop"), ("organisation", "unit-a2"), ("vote_quota", "20")]),
            "L 403 303 403 303 403 403 403 403 303 303 422 422 403 L"),
        row("GET", "/workshop/{code}", "/workshop/{W}", Nothing,
            "J J J J J J J J J J J J J J 200"),
        row("POST", "/workshop/{code}/koncept", "/workshop/{O}/koncept", Form(vec![("text", "Ett koncept till")]),
            "J J J J J J J J J J J J J J 303"),
        row("POST", "/workshop/{code}/rost", "/workshop/{W}/rost", Form(vec![("offer_id", "nej"), ("choice", "left")]),
            "J J J J J J J J J J J J J J 422"),
        row("POST", "/workshop/{code}/bedomning", "/workshop/{W}/bedomning", Form(vec![("idea_id", "nej")]),
            "J J J J J J J J J J J J J J 409"),
        row("POST", "/workshop/{code}/svar", "/workshop/{W}/svar", Form(vec![("question_id", "nej"), ("answer", "Ett svar")]),
            "J J J J J J J J J J J J J J 409"),
        row("POST", "/workshop/{code}/flagga", "/workshop/{O}/flagga", Form(vec![("idea_id", "{oidea}")]),
            "J J J J J J J J J J J J J J 303"),
        row("POST", "/workshop/{code}/fraga", "/workshop/{W}/fraga", Form(vec![("question", "x")]),
            "L 403 422 403 422 403 403 403 403 422 422 403 403 403 L"),
        row("POST", "/workshop/{code}/kriterier", "/workshop/{W}/kriterier", Form(vec![("new_name", "Ett kriterium"), ("new_weight", "nej")]),
            "L 403 422 403 422 403 403 403 403 422 422 403 403 403 L"),
        row("GET", "/fragor", "/fragor", Nothing,
            "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        row("GET", "/workshop/{code}/leda", "/workshop/{W}/leda", Nothing,
            "L 403 200 403 200 403 403 403 403 200 200 403 403 403 L"),
        row("GET", "/workshop/{code}/projektor", "/workshop/{W}/projektor", Nothing,
            "L 403 200 403 200 403 403 403 403 200 200 403 403 403 L"),
        row("POST", "/workshop/{code}/fas", "/workshop/{W}/fas", Form(vec![("phase", "nej")]),
            "L 403 422 403 422 403 403 403 403 422 422 403 403 403 L"),
        row("POST", "/workshop/{code}/ide/{idea}", "/workshop/{W}/ide/{idea}", Form(vec![("status", "active")]),
            "L 403 303 403 303 403 403 403 403 303 303 403 403 403 L"),
        row("GET", "/workshop/{code}/live", "/workshop/{W}/live", Nothing,
            "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        row("POST", "/workshop/{code}/vidare", "/workshop/{W}/vidare", Form(vec![("n", "0")]),
            "L 403 422 403 422 403 403 403 403 422 422 403 403 403 L"),
        row("GET", "/workshop/{code}/export/{file}", "/workshop/{W}/export/ideas.csv", Nothing,
            "L 403 200 403 200 403 403 403 403 200 200 403 403 403 L"),
        row("GET", "/sprak/{lang}", "/sprak/sv?next=/diarium", Nothing,
            "303 303 303 303 303 303 303 303 303 303 303 303 303 303 303"),
        // Account and password (issue 20): a reset is asked for and set by anyone (the
        // same answer whether the address exists; a bad password before the token is
        // looked at), the account page is a signed-in person's own.
        row("GET", "/logga-in/glomt", "/logga-in/glomt", Nothing,
            "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        row("POST", "/logga-in/glomt", "/logga-in/glomt", Form(vec![("email", "ingen@x.se")]),
            "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        row("GET", "/losenord/{token}", "/losenord/nej", Nothing,
            "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        row("POST", "/losenord/{token}", "/losenord/nej",
            Form(vec![("password", "kort"), ("password_again", "kort")]),
            "422 422 422 422 422 422 422 422 422 422 422 422 422 422 422"),
        row("GET", "/konto", "/konto", Nothing,
            "L 200 200 200 200 200 200 200 200 200 200 200 200 200 L"),
        row("POST", "/konto/losenord", "/konto/losenord",
            Form(vec![("current_password", "fel-lösenord"), ("password", "ett nytt långt lösenord"), ("password_again", "ett nytt långt lösenord")]),
            "L 422 422 422 422 422 422 422 422 422 422 422 422 422 L"),
        row("GET", "/tillganglighet", "/tillganglighet", Nothing,
            "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        // Notification choices: a mail's link opens them for anyone who holds it (an
        // unknown link is not found, for everyone alike; the one-click unsubscribe takes no
        // CSRF token); the account page's section is a signed-in person's own.
        row("GET", "/aviseringar/{token}", "/aviseringar/nej", Nothing,
            "404 404 404 404 404 404 404 404 404 404 404 404 404 404 404"),
        row("POST", "/aviseringar/{token}", "/aviseringar/nej", Form(vec![("accepted", "daily")]),
            "404 404 404 404 404 404 404 404 404 404 404 404 404 404 404"),
        row("GET", "/aviseringar/{token}/av", "/aviseringar/nej/av", Nothing,
            "404 404 404 404 404 404 404 404 404 404 404 404 404 404 404"),
        row("POST", "/aviseringar/{token}/av", "/aviseringar/nej/av", Form(vec![("List-Unsubscribe", "One-Click")]),
            "404 404 404 404 404 404 404 404 404 404 404 404 404 404 404"),
        row("POST", "/konto/aviseringar", "/konto/aviseringar", Form(vec![("mentioned", "hourly")]),
            "L 422 422 422 422 422 422 422 422 422 422 422 422 422 L"),
        // Retention, personal data and the accessibility report (issue 20, items 7 and 8):
        // a region's rules are its administrators' (another region's answer 404); the page
        // on personal data and the report form are everyone's (the form's empty fields 422).
        row("GET", "/admin/gallring", "/admin/gallring", Nothing,
            "L 403 403 403 403 403 403 403 403 403 200 403 200 403 L"),
        row("GET", "/admin/gallring/{region}/{rule}", "/admin/gallring/region-a/rejected_contact", Nothing,
            "L 403 403 403 403 403 403 403 403 403 200 403 404 403 L"),
        row("POST", "/admin/gallring/{region}/{rule}", "/admin/gallring/region-a/rejected_contact", Form(vec![("months", "nej")]),
            "L 403 403 403 403 403 403 403 403 403 422 403 404 403 L"),
        row("POST", "/admin/gallring/kor", "/admin/gallring/kor", Form(vec![("region", "region-a")]),
            "L 403 403 403 403 403 403 403 403 403 303 403 404 403 L"),
        row("GET", "/om-personuppgifter", "/om-personuppgifter", Nothing,
            "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        row("POST", "/tillganglighet", "/tillganglighet", Form(vec![("page", ""), ("problem", ""), ("email", "")]),
            "422 422 422 422 422 422 422 422 422 422 422 422 422 422 422"),
        // Sign-in through an identity provider (issue 20): none is configured here, so both
        // answer 404 to everyone; tests/api/oidc.rs signs in through a real one.
        row("GET", "/logga-in/oidc", "/logga-in/oidc", Nothing,
            "404 404 404 404 404 404 404 404 404 404 404 404 404 404 404"),
        row("GET", "/logga-in/oidc/klar", "/logga-in/oidc/klar?state=nej&code=nej", Nothing,
            "404 404 404 404 404 404 404 404 404 404 404 404 404 404 404"),
        // Last: it ends the session.
        row("POST", "/logga-ut", "/logga-ut", Form(vec![]),
            "303 303 303 303 303 303 303 303 303 303 303 303 303 303 303"),
        // After signing out, as it would leave the next row's session and CSRF token
        // unusable: the signed-out callers' CSRF tokens (bound to the ended session) are
        // refused (403), the anonymous are sent to sign in. Who may sign out everywhere is
        // tested in password.rs (a signed-in person, of their own sessions).
        row("POST", "/konto/logga-ut-overallt", "/konto/logga-ut-overallt", Form(vec![]),
            "L 403 403 403 403 403 403 403 403 403 403 403 403 403 L"),
    ]
}

/// Every route of `web::router` as (method, path), read from lib.rs as the OpenAPI test
/// does: the API's routes under `/api/v1`.
pub fn routes_in_lib() -> BTreeSet<(String, String)> {
    let src = include_str!("../../src/lib.rs");
    let start = src.find("pub fn router(").expect("the router");
    let end = start + src[start..].find("pub async fn serve(").expect("serve");
    let api_start = src.find("let api = Router::new()").expect("api router");
    let api_end = api_start + src[api_start..].find(".fallback(").expect("fallback");
    let mut out = BTreeSet::new();
    let mut at = start;
    while let Some(i) = src[at..end].find(".route(") {
        let pos = at + i;
        let chunk_end = src[pos + 1..end]
            .find(".route(")
            .map_or(end, |j| pos + 1 + j);
        let chunk = &src[pos..chunk_end];
        let path = chunk.split('"').nth(1).expect("a path");
        let full = if (api_start..api_end).contains(&pos) {
            format!("/api/v1{path}")
        } else {
            path.to_string()
        };
        for method in ["get", "post", "put", "patch", "delete"] {
            if chunk.contains(&format!("{method}(")) {
                out.insert((method.to_uppercase(), full.clone()));
            }
        }
        at = pos + 1;
    }
    assert!(out.len() >= 70, "found only {} routes", out.len());
    out
}

/// The resources of the setup, by placeholder.
pub struct Fixture {
    pub values: HashMap<&'static str, String>,
}

impl Fixture {
    pub fn fill(&self, s: &str) -> String {
        let mut s = s.to_string();
        for (k, v) in &self.values {
            s = s.replace(k, v);
        }
        s
    }
}

/// One caller: an API token, a signed-in browser (with its CSRF token), and for the
/// participant the tokens of the campaigns they joined.
pub struct Who {
    pub name: &'static str,
    pub token: Option<String>,
    pub browser: reqwest::Client,
    pub csrf: String,
    pub participant: HashMap<String, String>,
}

/// Regions A (units A1, A2) and B; a user per role in A; the setup's resources in A2.
pub async fn setup(t: &TestApp) -> (Vec<Who>, Fixture) {
    t.org("region-a", None).await;
    t.org("unit-a1", Some("region-a")).await;
    t.org("unit-a2", Some("region-a")).await;
    t.org("region-b", None).await;
    let mut accounts: Vec<(&'static str, String, String)> = Vec::new();
    for name in &CALLERS[1..11] {
        let email = format!("{name}@a.se");
        let pw = t.user(&email, "region-a", name).await;
        accounts.push((name, email, pw));
    }
    for (name, email, org, role) in [
        ("unit_advisor", "unit-advisor@a.se", "unit-a1", "advisor"),
        ("admin_b", "admin@b.se", "region-b", "admin"),
        ("member", "member@a.se", "region-a", "company"),
    ] {
        let pw = t.user(email, org, role).await;
        accounts.push((name, email.to_string(), pw));
    }
    let mut callers = Vec::new();
    let anon = client();
    let csrf = t.csrf(&anon, "/logga-in").await;
    callers.push(Who {
        name: "anon",
        token: None,
        browser: anon,
        csrf,
        participant: HashMap::new(),
    });
    for (name, email, pw) in &accounts {
        let browser = t.browser_login(email, pw).await;
        let csrf = t.csrf(&browser, "/diarium").await;
        callers.push(Who {
            name,
            token: Some(t.token(email).await),
            browser,
            csrf,
            participant: HashMap::new(),
        });
    }
    let token_of = |name: &str| {
        callers
            .iter()
            .find(|w| w.name == name)
            .and_then(|w| w.token.clone())
            .expect("a caller")
    };
    let advisor = token_of("advisor");
    let post = async |path: &str, body: Value| -> Value {
        let res = t
            .http
            .post(t.url(path))
            .bearer_auth(&advisor)
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = res.status();
        let v: Value = res.json().await.expect("json");
        assert!(status.is_success(), "setup {path}: {status} {v}");
        v
    };
    let mut values = HashMap::new();

    // A submission in unit A2, accepted; its follow-up page.
    let sub = t.submit_ok("unit-a2", "Ett behov i enhet A2").await;
    let sub_id = sub["id"].as_str().expect("id").to_string();
    post(
        &format!("/api/v1/submissions/{sub_id}/actions"),
        json!({ "action": "accept" }),
    )
    .await;
    let sub1 = t.submit_ok("unit-a1", "Ett behov i enhet A1").await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let follow = sub["follow_up_url"].as_str().expect("follow-up url");
    let follow = follow[follow.find("/folj/").expect("/folj/") + 6..].to_string();

    // A case in unit A2 from it, handled by the advisor; the member in its working group.
    let case = post(
        "/api/v1/cases",
        json!({ "title": "Ett ärende i enhet A2", "description": "Något att utreda.", "unit": "unit-a2", "template": "spelplanen", "submissions": [sub["reference"]] }),
    )
    .await;
    let case_id = case["id"].as_str().expect("id").to_string();
    let member_id = {
        let mut tx = t.app.db.read().await.expect("read");
        let (id,): (String,) = tx
            .fetch_one(store::sql("SELECT id FROM users WHERE email = ?").bind("member@a.se"))
            .await
            .expect("member");
        id
    };
    post(
        &format!("/api/v1/cases/{case_id}/members"),
        json!({ "user_id": member_id, "function": "testa" }),
    )
    .await;

    // A workshop in its voting phase with three concepts; an open question with an idea.
    let w = post(
        "/api/v1/campaigns",
        json!({ "title": "Workshop i A2", "question": "Vad behöver vi?", "mode": "workshop", "organisation": "unit-a2" }),
    )
    .await;
    let w_code = w["code"].as_str().expect("code").to_string();
    let mut idea = String::new();
    for text in ["Första konceptet", "Andra konceptet", "Tredje konceptet"] {
        let i = post(
            &format!("/api/v1/campaigns/{w_code}/ideas"),
            json!({ "text": text }),
        )
        .await;
        idea = i["id"].as_str().expect("idea id").to_string();
    }
    post(
        &format!("/api/v1/campaigns/{w_code}/phase"),
        json!({ "phase": "voting" }),
    )
    .await;
    let o = post(
        "/api/v1/campaigns",
        json!({ "title": "Öppen fråga i A2", "question": "Vad ska vi göra?", "mode": "open", "organisation": "unit-a2" }),
    )
    .await;
    let o_code = o["code"].as_str().expect("code").to_string();
    let oidea = post(
        &format!("/api/v1/campaigns/{o_code}/ideas"),
        json!({ "text": "En idé att flagga" }),
    )
    .await["id"]
        .as_str()
        .expect("idea id")
        .to_string();
    post(
        &format!("/api/v1/campaigns/{o_code}/phase"),
        json!({ "phase": "open" }),
    )
    .await;

    // A workshop still in draft, that every caller joins through the join form.
    let d_code = post(
        "/api/v1/campaigns",
        json!({ "title": "Utkast i A2", "question": "Vad behöver vi?", "mode": "workshop", "organisation": "unit-a2" }),
    )
    .await["code"]
        .as_str()
        .expect("code")
        .to_string();

    // Region A's own upload of a process template (a new version of Spelplanen).
    let po = app::auth::caller_for_api_token(&t.app, &token_of("process_owner"))
        .await
        .expect("caller");
    let source = app::processes::list(&t.app)
        .await
        .expect("templates")
        .into_iter()
        .find(|x| x.template_key == "spelplanen")
        .expect("spelplanen")
        .source
        .replacen("version = 1", "version = 2", 1);
    let upload = app::processes::upload(&t.app, &po, "region-a", &source)
        .await
        .expect("upload")
        .id;

    // The participant: joined both campaigns, by the API and by the page.
    let browser = client();
    let mut csrf = t.csrf(&browser, "/workshop").await;
    let mut participant = HashMap::new();
    for code in [&w_code, &o_code] {
        let res = t
            .http
            .post(t.url(&format!("/api/v1/campaigns/{code}/participants")))
            .send()
            .await
            .expect("join");
        let v: Value = res.json().await.expect("json");
        participant.insert(
            code.clone(),
            v["token"].as_str().expect("token").to_string(),
        );
        let res = browser
            .post(t.url("/workshop"))
            .form(&[("_csrf", csrf.as_str()), ("code", code.as_str())])
            .send()
            .await
            .expect("join page");
        assert_eq!(res.status(), 303);
        csrf = t.csrf(&browser, "/workshop").await;
    }
    callers.push(Who {
        name: "participant",
        token: None,
        browser,
        csrf,
        participant,
    });

    // A user of unit A2 whom no caller signs in as, with a token: the accounts rows act on
    // them.
    t.user("victim@a.se", "unit-a2", "staff").await;
    t.token("victim@a.se").await;
    let (victim, victim_token) = {
        let mut tx = t.app.db.read().await.expect("read");
        let user = store::users::by_email(&mut tx, "victim@a.se")
            .await
            .expect("user")
            .expect("the victim");
        let tokens = store::users::tokens_of(&mut tx, &user.id)
            .await
            .expect("tokens");
        (
            user.id.into_string(),
            tokens.first().expect("a token").id.clone(),
        )
    };

    // Attachments: on a submission of unit A1 (the submitter's), on the case, and on the
    // workshop, one internal and one public (the advisor runs it).
    let (att_sub, att_case, att_w, att_pub) = {
        let advisor = app::auth::caller_for_api_token(&t.app, &advisor)
            .await
            .expect("the advisor");
        let pdf = || {
            vec![domain::attachment::Upload {
                file_name: "skiss.pdf".into(),
                bytes: domain::attachment::tiny_pdf(),
            }]
        };
        let input = domain::submission::SubmissionInput {
            kind: "need".into(),
            title: "Ett behov med bilaga".into(),
            description: "Patienter står i kö vid receptionen varje morgon.".into(),
            submitter_role: "patient".into(),
            organisation: "unit-a1".into(),
            ..Default::default()
        };
        let receipt = app::intake::submit_with_files(
            &t.app,
            &app::Caller::Public,
            &input,
            &pdf(),
            app::intake::Channel::Api,
            "sv",
        )
        .await
        .expect("a submission with a file");
        let case = domain::id::CaseId::from(case_id.clone());
        app::cases::add_attachments(&t.app, &advisor, &case, &pdf())
            .await
            .expect("a file on the case");
        app::campaigns::add_attachments(&t.app, &advisor, &w_code, &pdf(), false)
            .await
            .expect("an internal file on the workshop");
        app::campaigns::add_attachments(&t.app, &advisor, &w_code, &pdf(), true)
            .await
            .expect("a public file on the workshop");
        let mut tx = t.app.db.read().await.expect("read");
        let (s,): (String,) = tx
            .fetch_one(
                store::sql(
                    "SELECT id FROM attachments WHERE owner_kind = 'submission' AND owner_id = ?",
                )
                .bind(receipt.id.as_str()),
            )
            .await
            .expect("the submission's file");
        let (c,): (String,) = tx
            .fetch_one(store::sql(
                "SELECT id FROM attachments WHERE owner_kind = 'case'",
            ))
            .await
            .expect("the case's file");
        let (w,): (String,) = tx
            .fetch_one(
                store::sql(
                    "SELECT id FROM attachments WHERE owner_kind = 'campaign' AND public = ?",
                )
                .bind(false),
            )
            .await
            .expect("the internal file");
        let (p,): (String,) = tx
            .fetch_one(
                store::sql(
                    "SELECT id FROM attachments WHERE owner_kind = 'campaign' AND public = ?",
                )
                .bind(true),
            )
            .await
            .expect("the public file");
        (s, c, w, p)
    };

    let unit_a2 = {
        let mut tx = t.app.db.read().await.expect("read");
        store::orgs::by_slug(&mut tx, "unit-a2")
            .await
            .expect("org")
            .expect("unit A2")
            .id
    };

    for (k, v) in [
        ("{victim}", victim),
        ("{unit_a2}", unit_a2.into_string()),
        ("{victim_token}", victim_token.into_string()),
        ("{sub}", sub_id),
        ("{sub1}", sub1),
        ("{case}", case_id),
        ("{W}", w_code),
        ("{O}", o_code),
        ("{D}", d_code),
        ("{idea}", idea),
        ("{oidea}", oidea),
        ("{follow}", follow),
        ("{upload}", upload.into_string()),
        ("{att_sub}", att_sub),
        ("{att_case}", att_case),
        ("{att_w}", att_w),
        ("{att_pub}", att_pub),
    ] {
        values.insert(k, v);
    }
    assert_eq!(
        callers.iter().map(|w| w.name).collect::<Vec<_>>(),
        CALLERS.to_vec()
    );
    (callers, Fixture { values })
}

/// What a request carries, filled in.
pub enum Sent {
    Nothing,
    /// JSON text.
    Json(String),
    /// Form fields, to which the caller's CSRF token is added.
    Form(Vec<(String, String)>),
    /// A body as it is, with its content type.
    Raw(Vec<u8>, &'static str),
    /// Multipart form fields and one file (name, bytes), to which the CSRF token is added.
    Multipart(Vec<(String, String)>, String, Vec<u8>),
}

/// Sends one row as one caller: to the API with the caller's bearer token (and participant
/// token for the campaign in the path), to a page with the caller's browser and CSRF token.
pub fn request(t: &TestApp, fx: &Fixture, who: &Who, r: &Row) -> reqwest::RequestBuilder {
    let sent = match &r.send {
        Body::Nothing => Sent::Nothing,
        Body::Json(v) => Sent::Json(fx.fill(&v.to_string())),
        Body::Form(fields) => Sent::Form(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), fx.fill(v)))
                .collect(),
        ),
        Body::Multipart(fields, name, bytes) => Sent::Multipart(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), fx.fill(v)))
                .collect(),
            name.to_string(),
            bytes.clone(),
        ),
    };
    request_to(t, who, r.method, &fx.fill(r.path), sent)
}

/// Sends `sent` to `path` (already filled in) as `who`, as [`request`] does.
pub fn request_to(
    t: &TestApp,
    who: &Who,
    method: &str,
    path: &str,
    sent: Sent,
) -> reqwest::RequestBuilder {
    let api = path.starts_with("/api/");
    let client = if api { &t.http } else { &who.browser };
    let mut req = match method {
        "GET" => client.get(t.url(path)),
        _ => client.post(t.url(path)),
    };
    if api {
        if let Some(token) = &who.token {
            req = req.bearer_auth(token);
        }
        if let Some((_, token)) = who
            .participant
            .iter()
            .find(|(code, _)| path.contains(code.as_str()))
        {
            req = req.header("x-participant-token", token);
        }
    }
    match sent {
        Sent::Nothing => req,
        Sent::Json(text) => req.header("content-type", "application/json").body(text),
        Sent::Form(mut form) => {
            form.push(("_csrf".into(), who.csrf.clone()));
            req.form(&form)
        }
        Sent::Raw(bytes, kind) => req.header("content-type", kind).body(bytes),
        Sent::Multipart(fields, name, bytes) => req
            .header("content-type", MULTIPART)
            .body(multipart_body(&who.csrf, &fields, &[(&name, &bytes)])),
    }
}

/// The cell an answer makes: its status, `L` for a redirect to the sign-in page, `J` for
/// one to a workshop's join form.
fn cell(res: &reqwest::Response) -> String {
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default();
    match status {
        303 if location.starts_with("/logga-in") => "L".into(),
        303 if location.starts_with("/workshop?code=") => "J".into(),
        _ => status.to_string(),
    }
}

async fn the_authorization_matrix_holds(backend: Backend) {
    let t = spawn(backend).await;
    let rows = table();
    let mut problems = Vec::new();

    // Every route of the router has a row, and every row a route.
    let in_lib = routes_in_lib();
    let in_table: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.method.to_string(), r.route.to_string()))
        .collect();
    for (m, p) in in_lib.difference(&in_table) {
        problems.push(format!("{m} {p}: a route without a row in the matrix"));
    }
    for (m, p) in in_table.difference(&in_lib) {
        problems.push(format!("{m} {p}: a row for a route that does not exist"));
    }

    let (callers, fx) = setup(&t).await;
    for r in &rows {
        let expect: Vec<&str> = r.expect.split_whitespace().collect();
        assert_eq!(
            expect.len(),
            CALLERS.len(),
            "{} {}: one cell per caller",
            r.method,
            r.path
        );
        for (who, want) in callers.iter().zip(&expect) {
            let res = request(&t, &fx, who, r).send().await.expect("request");
            let got = cell(&res);
            drop(res);
            if got != *want {
                problems.push(format!(
                    "{} {} as {}: expected {want}, got {got}",
                    r.method, r.path, who.name
                ));
            }
        }
    }
    t.finish().await;
    assert!(
        problems.is_empty(),
        "{} wrong cells or routes without a row ({backend:?}):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
both!(the_authorization_matrix_holds);
