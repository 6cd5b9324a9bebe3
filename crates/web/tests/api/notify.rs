//! Notifications against the real SMTP sink (`mail.rs`): the choices a link in a mail opens
//! without signing in, the daily digest, a kind set to never, the one-click unsubscribe of
//! RFC 8058, the mails to colleagues (assignment, mention) and the daily reminder of
//! overdue checklist steps.

use std::sync::Arc;

use app::jobs::Runner;
use app::mail::{Sender, Smtp};
use serde_json::{Value, json};

use crate::both;
use crate::mail::{Sink, sink_python};
use crate::support::{Backend, TestApp, client, csrf_in, spawn, valid_submission};

/// Sends mail and runs the daily jobs, as `sluss serve` does with SMTP configured.
fn runner(url: &str) -> Runner {
    let smtp = Smtp::new(url, "Sluss <sluss@region.example>").expect("smtp settings");
    Runner::new(vec![
        Arc::new(Sender {
            smtp,
            compose: Arc::new(web::mail::Mails),
        }),
        Arc::new(app::notify::Digest),
        Arc::new(app::notify::Overdue),
    ])
}

/// Makes the daily jobs due now (as at five in the morning).
async fn daily_jobs_due(t: &TestApp) {
    app::notify::schedule_daily(&t.app).await.unwrap();
    let mut tx = t.app.db.write().await.unwrap();
    tx.execute(
        store::sql("UPDATE jobs SET run_at = ? WHERE kind IN ('notify.digest', 'notify.overdue') AND state = 'pending'")
            .bind(domain::time::Timestamp::now().to_db()),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn submit(t: &TestApp, email: &str, title: &str) -> Value {
    let mut body = valid_submission("region-a", title);
    body["contact_email"] = email.into();
    let res = t
        .http
        .post(t.url("/api/v1/submissions"))
        .header("accept-language", "en")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

async fn act(t: &TestApp, token: &str, s: &Value, body: Value) {
    let res = t.act(token, s["id"].as_str().unwrap(), body).await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
}

/// The path of the choices link in a mail (`/aviseringar/{64 hex}`).
fn choices_path(mail: &str) -> String {
    let i = mail.find("/aviseringar/").expect("a choices link");
    mail[i..i + "/aviseringar/".len() + 64].to_string()
}

fn header<'a>(mail: &'a str, name: &str) -> Option<&'a str> {
    mail.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

/// A mail's body with quoted-printable undone (Swedish letters are encoded).
fn decoded(mail: &str) -> String {
    let bytes = mail.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let (Some(a), Some(b)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((a * 16 + b) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The subjects of the mails queued to one address, oldest first (as the outbox renders
/// them: a Swedish subject is encoded in the mail's header).
async fn subjects_to(t: &TestApp, recipient: &str) -> Vec<String> {
    let mut tx = t.app.db.read().await.unwrap();
    let ids: Vec<(String,)> = tx
        .fetch_all(
            store::sql("SELECT id FROM outbox WHERE recipient = ? ORDER BY created_at, id")
                .bind(recipient),
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    for (id,) in ids {
        let row = store::outbox::by_id(&mut tx, &id).await.unwrap().unwrap();
        out.push(web::mail::compose(&row).unwrap().subject);
    }
    out
}

async fn user_id(t: &TestApp, email: &str) -> String {
    let mut tx = t.app.db.read().await.unwrap();
    store::users::by_email(&mut tx, email)
        .await
        .unwrap()
        .unwrap()
        .id
        .into_string()
}

async fn digest_and_never_follow_the_choices_made_through_the_link(backend: Backend) {
    let Some(python) = sink_python() else { return };
    let sink = Sink::start(&python, 0, None);
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.user("advisor@region.example", "region-a", "advisor")
        .await;
    let token = t.token("advisor@region.example").await;
    let runner = runner(&sink.url());
    let first = submit(&t, "eva@example.org", "Digital check-in").await;
    act(&t, &token, &first, json!({ "action": "accept" })).await;
    assert_eq!(runner.run_due(&t.app).await.unwrap(), 2);
    let mails = sink.mails();
    // The receipt is no notification: no choices link; the decision has one.
    assert!(!mails[0].contains("/aviseringar/"), "{}", mails[0]);
    let path = choices_path(&mails[1]);
    // The link opens the choices without signing in; another token is not found.
    let visitor = client();
    let page = visitor.get(t.url(&path)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"accepted\""), "{html}");
    // A submitter without an account is offered only the kinds that can reach them.
    for staff_kind in ["assigned", "gate_waiting", "steps_overdue", "mentioned"] {
        assert!(!html.contains(&format!("name=\"{staff_kind}\"")), "{html}");
    }
    let wrong = format!("/aviseringar/{}", "0".repeat(64));
    assert_eq!(
        visitor.get(t.url(&wrong)).send().await.unwrap().status(),
        404
    );
    let csrf = csrf_in(&html).unwrap();
    assert_eq!(
        t.post_form(
            &visitor,
            &path,
            &[
                ("_csrf", csrf.as_str()),
                ("accepted", "daily"),
                ("rejected", "never"),
            ]
        )
        .await,
        303
    );
    let html = t.html(&visitor, &format!("{path}?sparat=1")).await;
    assert!(html.contains("value=\"daily\" selected"), "{html}");
    // A value that is no choice is refused, and changes nothing.
    assert_eq!(
        t.post_form(
            &visitor,
            &path,
            &[("_csrf", csrf.as_str()), ("accepted", "hourly")]
        )
        .await,
        422
    );
    // Nor can a kind only staff get be chosen through the link.
    assert_eq!(
        t.post_form(
            &visitor,
            &path,
            &[("_csrf", csrf.as_str()), ("mentioned", "never")]
        )
        .await,
        422
    );
    // An acceptance now waits for the digest; a rejection is not sent at all.
    let second = submit(&t, "eva@example.org", "Parking signs").await;
    let third = submit(&t, "Eva@Example.org", "Bike racks").await;
    act(&t, &token, &second, json!({ "action": "accept" })).await;
    act(&t, &token, &third, json!({ "action": "reject", "reason": "already_solved", "reason_text": "There are racks." })).await;
    assert_eq!(runner.run_due(&t.app).await.unwrap(), 2, "the two receipts");
    assert_eq!(sink.mails().len(), 4);
    daily_jobs_due(&t).await;
    // The digest job, the overdue job (nothing overdue) and the digest's mail.
    assert_eq!(runner.run_due(&t.app).await.unwrap(), 3);
    let mails = sink.mails();
    assert_eq!(mails.len(), 5, "one digest, no rejection");
    let digest = &mails[4];
    let second_ref = second["reference"].as_str().unwrap();
    assert!(
        digest.starts_with("X-Envelope-To: eva@example.org"),
        "{digest}"
    );
    assert!(
        digest.contains("Subject: Sluss: 1 new thing since yesterday"),
        "{digest}"
    );
    assert!(
        digest.contains(&format!(
            "Your submission {second_ref} has been accepted for further work"
        )),
        "{digest}"
    );
    assert!(!digest.contains("There are racks."), "{digest}");
    // The digest links to the choices too.
    let digest_path = choices_path(digest);
    assert_eq!(
        client()
            .get(t.url(&digest_path))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // Nothing waits any more: the next run sends nothing.
    daily_jobs_due(&t).await;
    runner.run_due(&t.app).await.unwrap();
    assert_eq!(sink.mails().len(), 5);
    // Erasing the address takes the choices and their links with it.
    app::personal_data::erase(&t.app, &store::events::Actor::System, "eva@example.org")
        .await
        .unwrap();
    assert_eq!(
        client().get(t.url(&path)).send().await.unwrap().status(),
        404
    );
    t.finish().await;
}
both!(digest_and_never_follow_the_choices_made_through_the_link);

async fn one_click_unsubscribe_turns_the_kind_off(backend: Backend) {
    let Some(python) = sink_python() else { return };
    let sink = Sink::start(&python, 0, None);
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.user("advisor@region.example", "region-a", "advisor")
        .await;
    let token = t.token("advisor@region.example").await;
    let runner = runner(&sink.url());
    let first = submit(&t, "eva@example.org", "Digital check-in").await;
    act(&t, &token, &first, json!({ "action": "accept" })).await;
    runner.run_due(&t.app).await.unwrap();
    let mails = sink.mails();
    let receipt = &mails[0];
    assert!(header(receipt, "List-Unsubscribe").is_none(), "{receipt}");
    let m = &mails[1];
    let path = choices_path(m);
    assert_eq!(
        header(m, "List-Unsubscribe"),
        Some(format!("<{}{path}/av>", t.base).as_str()),
        "{m}"
    );
    assert_eq!(
        header(m, "List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click"),
        "{m}"
    );
    // Following the link only asks; nothing changes on a GET.
    let page = client()
        .get(t.url(&format!("{path}/av")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    // The mail program's POST: no cookie, no CSRF token.
    let res = reqwest::Client::new()
        .post(t.url(&format!("{path}/av")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // An unknown token changes nothing and is not found.
    let res = reqwest::Client::new()
        .post(t.url(&format!("/aviseringar/{}/av", "a".repeat(64))))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // The next acceptance sends nothing; a rejection still arrives.
    let second = submit(&t, "eva@example.org", "Parking signs").await;
    let third = submit(&t, "eva@example.org", "Bike racks").await;
    act(&t, &token, &second, json!({ "action": "accept" })).await;
    act(&t, &token, &third, json!({ "action": "reject", "reason": "already_solved", "reason_text": "There are racks." })).await;
    runner.run_due(&t.app).await.unwrap();
    let mails = sink.mails();
    assert_eq!(mails.len(), 5, "two receipts and the rejection");
    assert!(mails[4].contains("There are racks."), "{}", mails[4]);
    assert!(
        !mails
            .iter()
            .skip(2)
            .any(|m| m.contains("accepted for further work")),
        "no acceptance after the unsubscribe"
    );
    // The change is an event, without the address.
    assert_eq!(t.count("SELECT COUNT(*) FROM events WHERE kind = 'notify.choices_changed' AND payload NOT LIKE '%eva@%'", vec![]).await, 1);
    t.finish().await;
}
both!(one_click_unsubscribe_turns_the_kind_off);

async fn assignment_and_mention_reach_the_right_colleague(backend: Backend) {
    let Some(python) = sink_python() else { return };
    let sink = Sink::start(&python, 0, None);
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("region-b", None).await;
    t.user("advisor@region.example", "region-a", "advisor")
        .await;
    let anna_pw = t
        .user("anna.berg@region.example", "region-a", "advisor")
        .await;
    t.user("bo@region.example", "region-a", "advisor").await;
    // The same name in another region: not a colleague of this submission.
    t.user("anna.berg@other.example", "region-b", "advisor")
        .await;
    let token = t.token("advisor@region.example").await;
    let runner = runner(&sink.url());
    let s = t.submit_ok("region-a", "Digital check-in").await;
    let reference = s["reference"].as_str().unwrap();
    let anna = user_id(&t, "anna.berg@region.example").await;
    act(
        &t,
        &token,
        &s,
        json!({ "action": "assign", "user_id": anna }),
    )
    .await;
    act(
        &t,
        &token,
        &s,
        json!({ "action": "comment", "note": "Kan @Anna.Berg titta på det här?" }),
    )
    .await;
    // Assigning oneself mails nobody.
    act(&t, &token, &s, json!({ "action": "assign" })).await;
    runner.run_due(&t.app).await.unwrap();
    let staff_mails = || {
        let receipt = "X-Envelope-To: anna@example.se";
        sink.mails()
            .into_iter()
            .filter(|m| !m.starts_with(receipt))
            .collect::<Vec<_>>()
    };
    let mails = staff_mails();
    assert_eq!(mails.len(), 2, "{mails:?}");
    for m in &mails {
        assert!(
            m.starts_with("X-Envelope-To: anna.berg@region.example"),
            "{m}"
        );
    }
    assert_eq!(
        subjects_to(&t, "anna.berg@region.example").await,
        vec![
            format!("Du handlägger nu {reference}"),
            format!("Du har nämnts i en kommentar om {reference}"),
        ]
    );
    let assigned = decoded(&mails[0]);
    assert!(
        assigned.contains(&format!("Du har fått {reference} att handlägga.")),
        "{assigned}"
    );
    assert!(assigned.contains(&format!("/inkorg/{}", s["id"].as_str().unwrap())));
    // A colleague's link offers every kind, the staff kinds too.
    let own = t.html(&client(), &choices_path(&assigned)).await;
    assert!(own.contains("name=\"mentioned\""), "{own}");
    assert!(own.contains("name=\"accepted\""), "{own}");
    let mention = decoded(&mails[1]);
    assert!(mention.contains("Kan @Anna.Berg titta"), "{mention}");
    // Anna turns mentions off on her account page; the next mention sends nothing.
    let c = t.browser_login("anna.berg@region.example", &anna_pw).await;
    let page = t.html(&c, "/konto").await;
    assert!(page.contains("name=\"mentioned\""), "{page}");
    let csrf = csrf_in(&page).unwrap();
    assert!(
        page.contains("<option value=\"sv\" lang=\"sv\" selected>"),
        "{page}"
    );
    // A language that is no choice is refused; through a mail's link it is no choice.
    assert_eq!(
        t.post_form(
            &c,
            "/konto/aviseringar",
            &[("_csrf", csrf.as_str()), ("lang", "de")]
        )
        .await,
        422
    );
    assert_eq!(
        t.post_form(
            &c,
            &choices_path(&assigned),
            &[("_csrf", csrf.as_str()), ("lang", "en")]
        )
        .await,
        422
    );
    // She turns mentions off and chooses mail in English.
    assert_eq!(
        t.post_form(
            &c,
            "/konto/aviseringar",
            &[
                ("_csrf", csrf.as_str()),
                ("mentioned", "never"),
                ("lang", "en"),
            ]
        )
        .await,
        303
    );
    act(
        &t,
        &token,
        &s,
        json!({ "action": "comment", "note": "@anna.berg och @bo: klart?" }),
    )
    .await;
    runner.run_due(&t.app).await.unwrap();
    let mails = staff_mails();
    assert_eq!(mails.len(), 3, "only Bo's");
    assert!(
        mails[2].starts_with("X-Envelope-To: bo@region.example"),
        "{}",
        mails[2]
    );
    // Bo's mail is in Swedish still; Anna's next one is in English.
    assert!(decoded(&mails[2]).contains("nämnde dig"), "{}", mails[2]);
    act(
        &t,
        &token,
        &s,
        json!({ "action": "assign", "user_id": anna }),
    )
    .await;
    runner.run_due(&t.app).await.unwrap();
    let mails = staff_mails();
    assert_eq!(mails.len(), 4);
    let english = decoded(&mails[3]);
    assert!(
        english.starts_with("X-Envelope-To: anna.berg@region.example")
            && english.contains(&format!("You have been given {reference} to handle.")),
        "{english}"
    );
    assert!(
        t.html(&c, "/konto")
            .await
            .contains("<option value=\"en\" lang=\"en\" selected>"),
        "the account page shows the choice"
    );
    t.finish().await;
}
both!(assignment_and_mention_reach_the_right_colleague);

async fn the_overdue_reminder_lists_the_steps(backend: Backend) {
    let Some(python) = sink_python() else { return };
    let sink = Sink::start(&python, 0, None);
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.user("advisor@region.example", "region-a", "advisor")
        .await;
    t.user("handler@region.example", "region-a", "advisor")
        .await;
    let adv = t.token("advisor@region.example").await;
    let handler = user_id(&t, "handler@region.example").await;
    let spelplanen = app::processes::list(&t.app).await.unwrap()[1].id.clone();
    let res = t
        .api_post(
            &adv,
            "/api/v1/cases",
            json!({ "title": "Försenat ärende", "description": "x", "unit": "region-a", "template": spelplanen, "handler": handler }),
        )
        .await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let opened: Value = res.json().await.unwrap();
    let (id, reference) = (
        opened["id"].as_str().unwrap(),
        opened["reference"].as_str().unwrap(),
    );
    let runner = runner(&sink.url());
    // The handler named by someone else hears of it.
    runner.run_due(&t.app).await.unwrap();
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].starts_with("X-Envelope-To: handler@region.example"));
    assert!(mails[0].contains(&format!("/arenden/{id}")), "{}", mails[0]);
    // Nothing is overdue yet: the daily job mails nobody.
    daily_jobs_due(&t).await;
    runner.run_due(&t.app).await.unwrap();
    assert_eq!(sink.mails().len(), 1);
    // Sixty days pass.
    let then = domain::time::Timestamp::now().plus_days(-60).to_db();
    let mut tx = t.app.db.write().await.unwrap();
    tx.execute(
        store::sql("UPDATE cases SET phase_started_at = ?, next_due_at = ? WHERE id = ?")
            .bind(then.as_str())
            .bind(then.as_str())
            .bind(id),
    )
    .await
    .unwrap();
    tx.execute(store::sql(
        "DELETE FROM jobs WHERE kind IN ('notify.digest', 'notify.overdue')",
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    daily_jobs_due(&t).await;
    runner.run_due(&t.app).await.unwrap();
    let mails = sink.mails();
    assert_eq!(mails.len(), 2, "one reminder, to the handler only");
    let m = &decoded(&mails[1]);
    assert!(
        m.starts_with("X-Envelope-To: handler@region.example"),
        "{m}"
    );
    for step in ["Bilda arbetsgrupp", "Omvärldsanalys", reference] {
        assert!(m.contains(step), "{step} in {m}");
    }
    assert!(m.contains("/arenden/forsenade"), "{m}");
    // The job scheduled its next day.
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM jobs WHERE kind = 'notify.overdue' AND state = 'pending'",
            vec![]
        )
        .await,
        1
    );
    t.finish().await;
}
both!(the_overdue_reminder_lists_the_steps);

async fn workshop_participants_who_left_an_address_hear_the_top_five(backend: Backend) {
    use crate::campaigns::facilitate;
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.user("facilitator@x.se", "region-a", "advisor").await;
    let fac = t.token("facilitator@x.se").await;
    let body = json!({ "title": "Framtidens vård", "question": "Vilka idéer ska vi gå vidare med?", "mode": "workshop", "organisation": "region-a", "vote_quota": 6 });
    let res = facilitate(&t, &fac, "/api/v1/campaigns", body).await;
    assert_eq!(res.status(), 201);
    let code = res.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    let phase = format!("/api/v1/campaigns/{code}/phase");
    facilitate(&t, &fac, &phase, json!({ "phase": "concepts" })).await;
    for i in 0..6 {
        let res = facilitate(
            &t,
            &fac,
            &format!("/api/v1/campaigns/{code}/ideas"),
            json!({ "text": format!("Koncept {i}: digital vårdcentral") }),
        )
        .await;
        assert_eq!(res.status(), 201, "{:?}", res.text().await);
    }
    // Three join through the page: one leaves an address, one a wrong one (refused at
    // the field, what was typed kept), one none.
    let join = async |email: &str| {
        let c = client();
        let csrf = t.csrf(&c, "/workshop").await;
        c.post(t.url("/workshop"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("code", code.as_str()),
                ("email", email),
            ])
            .send()
            .await
            .unwrap()
    };
    assert_eq!(join("Deltagare@Example.org").await.status(), 303);
    let wrong = join("inte en adress").await;
    assert_eq!(wrong.status(), 422);
    let html = wrong.text().await.unwrap();
    assert!(
        html.contains("id=\"e-email\"") && html.contains("value=\"inte en adress\""),
        "{html}"
    );
    assert_eq!(join("").await.status(), 303);
    facilitate(&t, &fac, &phase, json!({ "phase": "voting" })).await;
    facilitate(&t, &fac, &phase, json!({ "phase": "results" })).await;
    let res = facilitate(
        &t,
        &fac,
        &format!("/api/v1/campaigns/{code}/next-steps"),
        json!({ "n": 2 }),
    )
    .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let forwarded: Value = res.json().await.unwrap();
    let mut tx = t.app.db.read().await.unwrap();
    let rows: Vec<(String,)> = tx
        .fetch_all(store::sql(
            "SELECT id FROM outbox WHERE kind = 'workshop_closed' ORDER BY recipient",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "the one who left an address");
    let row = store::outbox::by_id(&mut tx, &rows[0].0)
        .await
        .unwrap()
        .unwrap();
    drop(tx);
    assert_eq!(row.recipient, "deltagare@example.org");
    let mail = web::mail::compose(&row).unwrap();
    assert_eq!(mail.subject, "Resultatet av workshoppen Framtidens vård");
    assert_eq!(
        mail.text.matches(": digital vårdcentral").count(),
        5,
        "{}",
        mail.text
    );
    let first = forwarded["items"][0]["reference"].as_str().unwrap();
    assert!(mail.text.contains(first), "{}", mail.text);
    // Erasure takes the address out of the workshop.
    app::personal_data::erase(
        &t.app,
        &store::events::Actor::System,
        "deltagare@example.org",
    )
    .await
    .unwrap();
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM participants WHERE email IS NOT NULL",
            vec![]
        )
        .await,
        0
    );
    t.finish().await;
}
both!(workshop_participants_who_left_an_address_hear_the_top_five);

async fn a_question_from_the_handler_reaches_the_submitter(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.user("advisor@region.example", "region-a", "advisor")
        .await;
    let token = t.token("advisor@region.example").await;
    let s = submit(&t, "eva@example.org", "Digital check-in").await;
    act(
        &t,
        &token,
        &s,
        json!({ "action": "request_info", "message": "Which clinic do you mean?" }),
    )
    .await;
    let subjects = subjects_to(&t, "eva@example.org").await;
    let reference = s["reference"].as_str().unwrap();
    assert_eq!(
        subjects[1],
        format!("A question about your submission {reference}")
    );
    t.finish().await;
}
both!(a_question_from_the_handler_reaches_the_submitter);

async fn a_gate_waiting_reaches_those_who_decide_it_once_its_items_are_done(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("unit-a", Some("region-a")).await;
    t.org("region-b", None).await;
    t.user("advisor@region.example", "region-a", "advisor")
        .await;
    t.user("decider@region.example", "region-a", "decision_maker")
        .await;
    // Who decides in another region hears nothing of this case.
    t.user("decider@other.example", "region-b", "decision_maker")
        .await;
    let token = t.token("advisor@region.example").await;
    let template = t.template_id("spelplanen").await;
    let res = t
        .api_post(
            &token,
            "/api/v1/cases",
            json!({ "title": "Digital incheckning", "description": "Köer.", "unit": "unit-a", "template": template }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let case: Value = res.json().await.unwrap();
    let id = case["id"].as_str().unwrap();
    let reference = case["reference"].as_str().unwrap();
    let c: Value = t
        .api_get(&token, &format!("/api/v1/cases/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let open = c["process"]["open_required_items"]
        .as_array()
        .unwrap()
        .clone();
    assert!(open.len() >= 2, "{c}");
    // No mail while items remain; one when the last required item is ticked.
    for (i, item) in open.iter().enumerate() {
        let res = t
            .api_post(
                &token,
                &format!("/api/v1/cases/{id}/checklist"),
                json!({ "step": item["step"], "item": item["item"], "note": "Klart." }),
            )
            .await;
        assert_eq!(res.status(), 200, "{:?}", res.text().await);
        let mails = subjects_to(&t, "decider@region.example").await;
        let last = i + 1 == open.len();
        assert_eq!(
            mails.len(),
            usize::from(last),
            "after {} of {}",
            i + 1,
            open.len()
        );
    }
    let mut tx = t.app.db.read().await.unwrap();
    let (kind, params): (String, String) = tx
        .fetch_one(
            store::sql("SELECT kind, params FROM outbox WHERE recipient = ?")
                .bind("decider@region.example"),
        )
        .await
        .unwrap();
    drop(tx);
    assert_eq!(kind, "gate_waiting");
    assert!(params.contains(reference), "{params}");
    assert!(subjects_to(&t, "decider@other.example").await.is_empty());
    assert!(subjects_to(&t, "advisor@region.example").await.is_empty());
    t.finish().await;
}
both!(a_gate_waiting_reaches_those_who_decide_it_once_its_items_are_done);
