//! Retention (gallring) and the accessibility report (issue 20, items 7 and 8): a dry-run
//! and a run on a database with records on both sides of each rule's limit, the event that
//! names what was removed and holds none of it, a rule set to keep, another region's rules
//! out of reach, and the report form queueing its mail with its event.

use std::sync::Arc;

use crate::both;
use crate::support::{Backend, TestApp, TestDb, csrf_in, settings, spawn, spawn_on};
use app::jobs::Runner;
use domain::time::Timestamp;
use serde_json::{Value, json};

const ADMIN_A: &str = "admin@a.se";
const ADMIN_B: &str = "admin@b.se";

fn runner() -> Runner {
    Runner::new(vec![
        Arc::new(app::retention::Daily),
        Arc::new(app::retention::RunNow),
    ])
}

async fn exec(t: &TestApp, text: String, args: Vec<store::Arg>) {
    let mut tx = t.app.db.write().await.unwrap();
    tx.execute(store::Sql::dynamic(text, args)).await.unwrap();
    tx.commit().await.unwrap();
}

async fn one<T: store::Record>(t: &TestApp, text: &str, args: Vec<store::Arg>) -> T {
    let mut tx = t.app.db.read().await.unwrap();
    let row = tx
        .fetch_one(store::Sql::dynamic(text.to_string(), args))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    row
}

/// A submission with contact details, decided (`status`) `months_ago` months ago (and a
/// few days, so that it lies clearly on its side of a limit).
async fn decided(
    t: &TestApp,
    org: &str,
    title: &str,
    status: &str,
    months_ago: u32,
) -> (String, String) {
    let r = t.submit_ok(org, title).await;
    let id = r["id"].as_str().unwrap().to_string();
    let at = Timestamp::now()
        .minus_months(months_ago)
        .plus_days(-3)
        .to_db();
    exec(
        t,
        // Decided long ago, edited just now: the months count from the decision.
        "UPDATE submissions SET status = ?, status_at = ?, updated_at = ? WHERE id = ?".into(),
        vec![
            status.into(),
            at.into(),
            Timestamp::now().to_db().into(),
            id.as_str().into(),
        ],
    )
    .await;
    (id, r["reference"].as_str().unwrap().to_string())
}

async fn contact_of(t: &TestApp, id: &str) -> Option<String> {
    let (email,): (Option<String>,) = one(
        t,
        "SELECT contact_email FROM submissions WHERE id = ?",
        vec![id.into()],
    )
    .await;
    email
}

/// An open question in `org` with two participants, closed `months_ago` months ago.
async fn closed_workshop(t: &TestApp, fac: &str, org: &str, months_ago: u32) -> String {
    let res = crate::campaigns::facilitate(
        t,
        fac,
        "/api/v1/campaigns",
        json!({ "title": "Gallring", "question": "Vilken idé?", "mode": "open", "organisation": org }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let code = res.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    crate::campaigns::join(t, &code).await;
    crate::campaigns::join(t, &code).await;
    let at = Timestamp::now()
        .minus_months(months_ago)
        .plus_days(-3)
        .to_db();
    exec(
        t,
        "UPDATE campaigns SET phase = 'closed', phase_at = ?, updated_at = ? WHERE code = ?".into(),
        vec![
            at.into(),
            Timestamp::now().to_db().into(),
            code.as_str().into(),
        ],
    )
    .await;
    code
}

async fn linked_participants(t: &TestApp, code: &str) -> i64 {
    let (n,): (i64,) = one(
        t,
        "SELECT COUNT(*) FROM participants p JOIN campaigns c ON c.id = p.campaign_id WHERE c.code = ? AND p.erased_at IS NULL AND p.token_hash NOT LIKE 'erased:%'",
        vec![code.into()],
    )
    .await;
    n
}

async fn events_of(t: &TestApp, kind: &str) -> Vec<Value> {
    let mut tx = t.app.db.read().await.unwrap();
    let rows: Vec<(String,)> = tx
        .fetch_all(
            store::sql("SELECT payload FROM events WHERE kind = ? ORDER BY occurred_at, id")
                .bind(kind),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    rows.iter()
        .map(|(p,)| serde_json::from_str(p).unwrap())
        .collect()
}

async fn two_regions(t: &TestApp) -> (reqwest::Client, reqwest::Client) {
    t.org("region-a", None).await;
    t.org("unit-a1", Some("region-a")).await;
    t.org("region-b", None).await;
    let pa = t.user(ADMIN_A, "region-a", "admin").await;
    let pb = t.user(ADMIN_B, "region-b", "admin").await;
    (
        t.browser_login(ADMIN_A, &pa).await,
        t.browser_login(ADMIN_B, &pb).await,
    )
}

async fn page(t: &TestApp, c: &reqwest::Client, path: &str) -> (u16, String) {
    let res = c.get(t.url(path)).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn post(
    t: &TestApp,
    c: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let csrf = t.csrf(c, "/admin/gallring").await;
    let mut form: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let res = c.post(t.url(path)).form(&form).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn a_dry_run_and_a_run_remove_exactly_what_passed_each_limit(backend: Backend) {
    let t = spawn(backend).await;
    let (admin_a, _) = two_regions(&t).await;
    t.user("fac@a.se", "region-a", "advisor").await;
    let fac = t.token("fac@a.se").await;

    // Defaults: rejected 12 months, answered 24, workshops 24.
    let (rej_old, rej_old_ref) =
        decided(&t, "unit-a1", "Avvisat för länge sedan", "rejected", 13).await;
    let (rej_new, rej_new_ref) = decided(&t, "region-a", "Avvisat nyligen", "rejected", 11).await;
    let (acc_old, acc_old_ref) =
        decided(&t, "region-a", "Antaget för länge sedan", "accepted", 25).await;
    let (acc_new, _) = decided(&t, "region-a", "Antaget nyligen", "accepted", 23).await;
    let (open_old, _) = decided(&t, "region-a", "Öppet men gammalt", "in_review", 40).await;
    let (b_old, _) = decided(&t, "region-b", "Region B:s gamla", "rejected", 13).await;
    let ws_old = closed_workshop(&t, &fac, "region-a", 25).await;
    let ws_new = closed_workshop(&t, &fac, "region-a", 23).await;
    // The receipt mail of the old rejected submission holds the address too.
    let (mails,): (i64,) = one(
        &t,
        "SELECT COUNT(*) FROM outbox WHERE subject_id = ?",
        vec![rej_old.as_str().into()],
    )
    .await;
    assert_eq!(mails, 1, "the receipt was queued");
    // Housekeeping: an expired session and a used reset link.
    let (user_id,): (String,) = one(
        &t,
        "SELECT id FROM users WHERE email = ?",
        vec![ADMIN_A.into()],
    )
    .await;
    let past = Timestamp::now().plus_days(-1).to_db();
    exec(&t, "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ('old-session', ?, ?, ?)".into(),
        vec![user_id.as_str().into(), past.as_str().into(), past.as_str().into()]).await;
    exec(&t, "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at, used_at) VALUES ('old-reset', ?, ?, ?, ?)".into(),
        vec![user_id.as_str().into(), past.as_str().into(), Timestamp::now().plus_days(1).to_db().into(), past.as_str().into()]).await;

    // The overview counts, the dry-run lists; nothing is removed by either.
    let (status, html) = page(&t, &admin_a, "/admin/gallring").await;
    assert_eq!(status, 200);
    assert!(html.contains("Org region-a"), "{html}");
    assert!(
        !html.contains("Org region-b"),
        "another region's rules: {html}"
    );
    assert_eq!(
        html.matches("1 post skulle gallras nu.").count(),
        2,
        "{html}"
    );
    assert!(
        html.contains("2 poster skulle gallras nu."),
        "the old workshop's two participants: {html}"
    );
    let (status, html) = page(&t, &admin_a, "/admin/gallring/region-a/rejected_contact").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("<code>{rej_old_ref}</code>")),
        "{html}"
    );
    assert!(
        !html.contains(&format!("<code>{rej_new_ref}</code>")),
        "{html}"
    );
    let (_, html) = page(&t, &admin_a, "/admin/gallring/region-a/answered_contact").await;
    assert!(
        html.contains(&format!("<code>{acc_old_ref}</code>")),
        "{html}"
    );
    let (_, html) = page(
        &t,
        &admin_a,
        "/admin/gallring/region-a/workshop_participants",
    )
    .await;
    assert!(
        html.contains(&format!("<code>{ws_old} #1</code>"))
            && html.contains(&format!("<code>{ws_old} #2</code>")),
        "{html}"
    );
    assert!(!html.contains(&ws_new), "{html}");
    assert_eq!(
        page(&t, &admin_a, "/admin/gallring/region-a/nej").await.0,
        404
    );
    assert_eq!(
        page(&t, &admin_a, "/admin/gallring/region-a/housekeeping")
            .await
            .0,
        404
    );
    assert!(contact_of(&t, &rej_old).await.is_some());

    // Run now: the job for region A only.
    let (status, _) = post(
        &t,
        &admin_a,
        "/admin/gallring/kor",
        &[("region", "region-a")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(events_of(&t, "retention.run_requested").await.len(), 1);
    assert_eq!(runner().run_due(&t.app).await.unwrap(), 1);
    assert_eq!(contact_of(&t, &rej_old).await, None, "past the limit");
    assert_eq!(
        contact_of(&t, &rej_new).await.as_deref(),
        Some("anna@example.se"),
        "within the limit"
    );
    assert_eq!(contact_of(&t, &acc_old).await, None);
    assert_eq!(
        contact_of(&t, &acc_new).await.as_deref(),
        Some("anna@example.se")
    );
    assert!(
        contact_of(&t, &open_old).await.is_some(),
        "not decided: no rule applies"
    );
    assert!(
        contact_of(&t, &b_old).await.is_some(),
        "another region's run"
    );
    let (name,): (Option<String>,) = one(
        &t,
        "SELECT contact_name FROM submissions WHERE id = ?",
        vec![rej_old.as_str().into()],
    )
    .await;
    assert_eq!(name, None);
    let (mails,): (i64,) = one(
        &t,
        "SELECT COUNT(*) FROM outbox WHERE subject_id = ?",
        vec![rej_old.as_str().into()],
    )
    .await;
    assert_eq!(mails, 0, "its mails went with the address");
    assert_eq!(linked_participants(&t, &ws_old).await, 0);
    assert_eq!(linked_participants(&t, &ws_new).await, 2);

    // The events name the rule, the count and the references, never the data.
    let applied = events_of(&t, "retention.applied").await;
    assert_eq!(applied.len(), 3, "{applied:?}");
    let rejected = applied
        .iter()
        .find(|e| e["rule"] == "rejected_contact")
        .unwrap();
    assert_eq!(rejected["count"], 1);
    assert_eq!(rejected["months"], 12);
    assert_eq!(rejected["references"], json!([rej_old_ref]));
    assert_eq!(rejected["ids"], json!([rej_old]));
    let ws = applied
        .iter()
        .find(|e| e["rule"] == "workshop_participants")
        .unwrap();
    assert_eq!(ws["count"], 2);
    let all = serde_json::to_string(&applied).unwrap();
    for data in ["anna@example.se", "Anna Andersson"] {
        assert!(!all.contains(data), "the event holds {data}: {all}");
    }

    // A dry-run now finds nothing more.
    let (_, html) = page(&t, &admin_a, "/admin/gallring/region-a/rejected_contact").await;
    assert!(html.contains("0 poster skulle gallras nu."), "{html}");

    // The daily run: every region and the housekeeping, and tomorrow's run scheduled.
    app::retention::schedule(&t.app).await.unwrap();
    app::retention::schedule(&t.app).await.unwrap();
    assert_eq!(
        runner().run_due(&t.app).await.unwrap(),
        1,
        "one job per day, however often scheduled"
    );
    assert_eq!(contact_of(&t, &b_old).await, None);
    assert_eq!(
        contact_of(&t, &rej_new).await.as_deref(),
        Some("anna@example.se")
    );
    let (left,): (i64,) = one(
        &t,
        "SELECT COUNT(*) FROM sessions WHERE token_hash = 'old-session'",
        vec![],
    )
    .await;
    assert_eq!(left, 0);
    let (left,): (i64,) = one(&t, "SELECT COUNT(*) FROM password_resets", vec![]).await;
    assert_eq!(left, 0);
    let (live,): (i64,) = one(&t, "SELECT COUNT(*) FROM sessions", vec![]).await;
    assert!(live >= 2, "the live sessions stay");
    let tomorrow = Timestamp::now().plus_days(1).date_string();
    let (next,): (i64,) = one(
        &t,
        "SELECT COUNT(*) FROM jobs WHERE id = ? AND state = 'pending'",
        vec![format!("retention.daily:{tomorrow}").into()],
    )
    .await;
    assert_eq!(next, 1);
    let applied = events_of(&t, "retention.applied").await;
    assert_eq!(
        applied.len(),
        5,
        "region B's rule and the housekeeping: {applied:?}"
    );
    assert_eq!(applied[4]["rule"], "housekeeping");
    assert_eq!(applied[4]["count"], 2);

    // Applied again at once: nothing left, nothing recorded.
    app::retention::apply(&t.app, None, &Timestamp::now())
        .await
        .unwrap();
    assert_eq!(events_of(&t, "retention.applied").await.len(), 5);
    t.finish().await;
}
both!(a_dry_run_and_a_run_remove_exactly_what_passed_each_limit);

async fn a_rule_set_to_keep_removes_nothing(backend: Backend) {
    let t = spawn(backend).await;
    let (admin_a, _) = two_regions(&t).await;
    let (old, _) = decided(&t, "region-a", "Avvisat för länge sedan", "rejected", 30).await;

    // A bad number is refused at its field, as typed, and nothing is written.
    let (status, html) = post(
        &t,
        &admin_a,
        "/admin/gallring/region-a/rejected_contact",
        &[("months", "tolv")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("Skriv ett helt antal månader mellan 1 och 600"),
        "{html}"
    );
    assert!(html.contains("value=\"tolv\""), "{html}");
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
    let (status, _) = post(
        &t,
        &admin_a,
        "/admin/gallring/region-a/rejected_contact",
        &[("months", "0")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(events_of(&t, "retention.rule_set").await.is_empty());

    // Keep: the rule removes nothing, and says so.
    let (status, _) = post(
        &t,
        &admin_a,
        "/admin/gallring/region-a/rejected_contact",
        &[("months", "12"), ("keep", "on")],
    )
    .await;
    assert_eq!(status, 303);
    let set = events_of(&t, "retention.rule_set").await;
    assert_eq!(
        set,
        vec![json!({ "rule": "rejected_contact", "months": null, "previous_months": 12 })]
    );
    let (_, html) = page(&t, &admin_a, "/admin/gallring").await;
    assert!(
        html.contains("bevaras (arkivreglerna säger bevara)"),
        "{html}"
    );
    let (_, html) = page(&t, &admin_a, "/admin/gallring/region-a/rejected_contact").await;
    assert!(html.contains("0 poster skulle gallras nu."), "{html}");
    app::retention::apply(&t.app, None, &Timestamp::now())
        .await
        .unwrap();
    assert!(contact_of(&t, &old).await.is_some(), "kept");
    assert!(
        events_of(&t, "retention.applied")
            .await
            .iter()
            .all(|e| e["rule"] != "rejected_contact")
    );

    // A shorter period than the default is honoured, and shown on the public page.
    let (status, _) = post(
        &t,
        &admin_a,
        "/admin/gallring/region-a/rejected_contact",
        &[("months", "36")],
    )
    .await;
    assert_eq!(status, 303);
    let (_, html) = page(&t, &crate::support::client(), "/om-personuppgifter").await;
    assert!(html.contains("36 månader"), "{html}");
    app::retention::apply(&t.app, None, &Timestamp::now())
        .await
        .unwrap();
    assert!(
        contact_of(&t, &old).await.is_some(),
        "30 months is within 36"
    );
    let (status, _) = post(
        &t,
        &admin_a,
        "/admin/gallring/region-a/rejected_contact",
        &[("months", "24")],
    )
    .await;
    assert_eq!(status, 303);
    app::retention::apply(&t.app, None, &Timestamp::now())
        .await
        .unwrap();
    assert_eq!(contact_of(&t, &old).await, None);
    t.finish().await;
}
both!(a_rule_set_to_keep_removes_nothing);

async fn another_regions_rules_are_out_of_reach(backend: Backend) {
    let t = spawn(backend).await;
    let (_, admin_b) = two_regions(&t).await;
    let (old, _) = decided(&t, "region-a", "Avvisat för länge sedan", "rejected", 30).await;
    let (status, html) = page(&t, &admin_b, "/admin/gallring").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Org region-b") && !html.contains("Org region-a"),
        "{html}"
    );
    assert_eq!(
        page(&t, &admin_b, "/admin/gallring/region-a/rejected_contact")
            .await
            .0,
        404
    );
    for (path, fields) in [
        (
            "/admin/gallring/region-a/rejected_contact",
            vec![("months", "1")],
        ),
        (
            "/admin/gallring/region-a/rejected_contact",
            vec![("months", "nej")],
        ),
        ("/admin/gallring/kor", vec![("region", "region-a")]),
    ] {
        let (status, _) = post(&t, &admin_b, path, &fields).await;
        assert_eq!(status, 404, "{path} {fields:?}");
    }
    assert!(events_of(&t, "retention.rule_set").await.is_empty());
    assert!(events_of(&t, "retention.run_requested").await.is_empty());
    assert!(contact_of(&t, &old).await.is_some());
    t.finish().await;
}
both!(another_regions_rules_are_out_of_reach);

async fn the_files_of_finished_cases_go_once_a_region_sets_a_limit(backend: Backend) {
    use crate::matrix::{MULTIPART, multipart_body};
    let t = spawn(backend).await;
    let (admin_a, _) = two_regions(&t).await;
    let pw = t.user("advisor@a.se", "region-a", "advisor").await;
    let advisor = t.browser_login("advisor@a.se", &pw).await;
    let token = t.token("advisor@a.se").await;
    let template = t.template_id("spelplanen").await;
    let mut cases = Vec::new();
    for title in [
        "Avslutat länge sedan",
        "Stängt nyss",
        "Pågående sedan länge",
    ] {
        let res = t
            .api_post(
                &token,
                "/api/v1/cases",
                json!({ "title": title, "description": "Köer.", "unit": "unit-a1", "template": template }),
            )
            .await;
        assert_eq!(res.status(), 201);
        let case: Value = res.json().await.unwrap();
        let case = case["id"].as_str().unwrap().to_string();
        let csrf = t.csrf(&advisor, &format!("/arenden/{case}")).await;
        let pdf = domain::attachment::tiny_pdf();
        let res = advisor
            .post(t.url(&format!("/arenden/{case}/bilagor")))
            .header("content-type", MULTIPART)
            .body(multipart_body(&csrf, &[], &[("Utredning.pdf", &pdf)]))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        cases.push(case);
    }
    // Completed 30 months ago, closed 6 months ago, and still going after 30 months.
    for (case, status, months) in [
        (&cases[0], "completed", 30),
        (&cases[1], "closed", 6),
        (&cases[2], "active", 30),
    ] {
        let at = Timestamp::now().minus_months(months).plus_days(-3).to_db();
        exec(
            &t,
            "UPDATE cases SET status = ?, status_at = ?, updated_at = ? WHERE id = ?".into(),
            vec![
                status.into(),
                at.into(),
                Timestamp::now().to_db().into(),
                case.as_str().into(),
            ],
        )
        .await;
    }
    let files = || crate::attachments::files_on_disk(&t).len();
    assert_eq!(files(), 3);
    let rule = "/admin/gallring/region-a/case_attachments";

    // Kept until the region sets a limit: a case's documents are the archive's to judge.
    let (_, html) = page(&t, &admin_a, rule).await;
    assert!(html.contains("0 poster skulle gallras nu."), "{html}");
    app::retention::apply(&t.app, None, &Timestamp::now())
        .await
        .unwrap();
    assert_eq!(files(), 3);

    // Twelve months: the dry-run names the case completed long ago, and the run takes its
    // file off the disk and its row away; the others' stay.
    let (status, _) = post(&t, &admin_a, rule, &[("months", "12")]).await;
    assert_eq!(status, 303);
    let (_, html) = page(&t, &admin_a, rule).await;
    assert!(html.contains("1 post skulle gallras nu."), "{html}");
    app::retention::apply(&t.app, None, &Timestamp::now())
        .await
        .unwrap();
    assert_eq!(files(), 2);
    let per_case = |case: &str| {
        let case = case.to_string();
        let t = &t;
        async move {
            let (n,): (i64,) = one(
                t,
                "SELECT COUNT(*) FROM attachments WHERE owner_id = ?",
                vec![case.as_str().into()],
            )
            .await;
            n
        }
    };
    assert_eq!(per_case(&cases[0]).await, 0);
    assert_eq!(per_case(&cases[1]).await, 1);
    assert_eq!(per_case(&cases[2]).await, 1);
    let applied = events_of(&t, "retention.applied").await;
    let event = applied
        .iter()
        .find(|e| e["rule"] == "case_attachments")
        .expect("an event of the rule");
    assert_eq!(event["count"], 1);
    assert!(!event.to_string().contains("Utredning"), "{event}");
    t.finish().await;
}
both!(the_files_of_finished_cases_go_once_a_region_sets_a_limit);

async fn the_report_form_queues_a_mail_to_the_contact(backend: Backend) {
    let mut s = settings(100_000);
    s.accessibility_contact = Some("tillganglighet@region.se".into());
    // (A contact that is no address is tried last.)
    let t = spawn_on(TestDb::new(backend).await, s).await;
    t.org("region-a", None).await;
    let c = crate::support::client();
    let html = c
        .get(t.url("/tillganglighet"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("action=\"/tillganglighet\""), "{html}");
    let csrf = csrf_in(&html).unwrap();

    // Bad input: each field named, what was typed kept, nothing queued.
    let res = c
        .post(t.url("/tillganglighet"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("page", ""),
            ("problem", "Knappen syns inte."),
            ("email", "inte-en-adress"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("id=\"e-page\"") && html.contains("id=\"e-email\""),
        "{html}"
    );
    assert!(
        html.contains("Knappen syns inte.") && html.contains("value=\"inte-en-adress\""),
        "{html}"
    );
    let (n,): (i64,) = one(&t, "SELECT COUNT(*) FROM outbox", vec![]).await;
    assert_eq!(n, 0);

    let res = c
        .post(t.url("/tillganglighet"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("page", "Lämna ett förslag"),
            (
                "problem",
                "Knappen Skicka går inte att nå med tangentbordet.",
            ),
            ("email", "Rapport@Example.se"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/tillganglighet?skickat=1#skickat"
    );
    let html = c
        .get(t.url("/tillganglighet?skickat=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Tack för din rapport"), "{html}");

    let mut tx = t.app.db.read().await.unwrap();
    let rows: Vec<store::outbox::OutboxRow> = tx.fetch_all(store::sql("SELECT id, org_id, kind, lang, recipient, subject_type, subject_id, params, state, created_at, sent_at FROM outbox")).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(rows.len(), 1);
    let mail = &rows[0];
    assert_eq!(mail.kind, domain::jobs::MailKind::AccessibilityReport);
    assert_eq!(mail.recipient, "tillganglighet@region.se");
    let (jobs,): (i64,) = one(
        &t,
        "SELECT COUNT(*) FROM jobs WHERE kind = 'mail.send' AND subject_id = ?",
        vec![mail.id.as_str().into()],
    )
    .await;
    assert_eq!(jobs, 1, "its send job");
    let composed = web::mail::compose(mail).unwrap();
    assert!(
        composed.text.contains("Sida: Lämna ett förslag"),
        "{}",
        composed.text
    );
    assert!(
        composed
            .text
            .contains("Knappen Skicka går inte att nå med tangentbordet.")
    );
    assert!(composed.text.contains("rapport@example.se"));
    let reported = events_of(&t, "accessibility.reported").await;
    assert_eq!(
        reported,
        vec![json!({})],
        "the event holds nothing of the report"
    );

    // The reporter's address is exported and erased with them.
    let export = app::personal_data::export(&t.app, "rapport@example.se")
        .await
        .unwrap();
    assert_eq!(
        export["accessibility_reports"][0]["page"],
        "Lämna ett förslag"
    );
    app::personal_data::erase(&t.app, &store::events::Actor::System, "rapport@example.se")
        .await
        .unwrap();
    let (n,): (i64,) = one(&t, "SELECT COUNT(*) FROM outbox", vec![]).await;
    assert_eq!(n, 0);

    // Without an e-mail address to send to, no form is offered and none is taken.
    let mut s = settings(100_000);
    s.accessibility_contact = Some("Regionens växel, 0480-840 00".into());
    let t2 = spawn_on(TestDb::new(backend).await, s).await;
    let html = crate::support::client()
        .get(t2.url("/tillganglighet"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("action=\"/tillganglighet\""), "{html}");
    t2.finish().await;
    t.finish().await;
}
both!(the_report_form_queues_a_mail_to_the_contact);

/// The months count from the decision: a change of status records its time, and a later
/// comment on the decided submission does not move it (it moves `updated_at`).
async fn the_months_count_from_the_decision_not_the_last_edit(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.user("advisor@a.se", "region-a", "advisor").await;
    let token = t.token("advisor@a.se").await;
    let s = t.submit_ok("region-a", "Parkeringsskyltar").await;
    let id = s["id"].as_str().unwrap().to_string();
    let times = async || -> (Option<String>, String) {
        one(
            &t,
            "SELECT status_at, updated_at FROM submissions WHERE id = ?",
            vec![id.as_str().into()],
        )
        .await
    };
    assert_eq!(times().await.0, None, "no decision yet");
    let res = t
        .act(
            &token,
            &id,
            json!({ "action": "reject", "reason": "already_solved", "reason_text": "Skyltarna finns." }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let (decided_at, decided_updated) = times().await;
    assert!(decided_at.is_some(), "the decision is recorded");
    let long_ago = Timestamp::now().minus_months(30).to_db();
    exec(
        &t,
        "UPDATE submissions SET status_at = ? WHERE id = ?".into(),
        vec![long_ago.as_str().into(), id.as_str().into()],
    )
    .await;
    let res = t
        .act(
            &token,
            &id,
            json!({ "action": "comment", "note": "Svarat i telefon." }),
        )
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let (status_at, updated_at) = times().await;
    assert_eq!(status_at.as_deref(), Some(long_ago.as_str()));
    assert!(updated_at > decided_updated, "the comment is an edit");
    // So the rule (12 months by default) removes the contact details now.
    app::retention::apply(&t.app, None, &Timestamp::now())
        .await
        .unwrap();
    assert_eq!(contact_of(&t, &id).await, None);
    t.finish().await;
}
both!(the_months_count_from_the_decision_not_the_last_edit);
