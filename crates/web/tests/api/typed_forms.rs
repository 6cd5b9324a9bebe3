//! The forms outside the case page and the inbox, posted as their pages write them (issue
//! 18, item 4; issue 19, "forms that don't say what is wrong"): the intake, the follow-up
//! reply, sign-in, the process templates and the workshop pages. A value that does not
//! decode is an error at its field, with what was typed kept; the error summary names each
//! field, and a choice left empty says what to choose.

use crate::both;
use crate::case_forms::{PageForm, form_with, location, page, send};
use crate::support::{Backend, TestApp, client, csrf_in, spawn};
use serde_json::json;

/// The intake form as the page writes it, for region-a.
async fn intake_form(t: &TestApp, c: &reqwest::Client) -> PageForm {
    form_with(&page(t, c, "/lamna").await, "action=\"/lamna\"")
}

async fn the_intake_summary_names_each_field(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let c = client();
    let form = intake_form(&t, &c).await;
    let before = t.submission_count().await;

    // Nothing filled in: each line of the summary names its field, and the radio groups
    // say what to choose.
    let res = send(&t, &c, &form.action, &form.fields).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    for line in [
        "<a href=\"#f-kind\">Välj vad du vill lämna.</a>",
        "<a href=\"#f-title\">Rubrik: Fyll i fältet.</a>",
        "<a href=\"#f-submitter_role\">Välj vem du är.</a>",
    ] {
        assert!(html.contains(line), "{line} in the summary");
    }
    assert!(
        !html.contains(">Fyll i fältet.</a>"),
        "no summary line without its field"
    );
    assert!(html.contains("id=\"e-kind\">Välj vad du vill lämna.</p>"));

    // A kind the form does not offer and a consent box with another value: errors at
    // those fields, everything typed kept, nothing written.
    let typed = form.with(&[
        ("kind", "wish"),
        ("title", "Fler bänkar i väntrummet"),
        (
            "description",
            "Många står upp i väntrummet på morgonen, särskilt äldre patienter.",
        ),
        ("submitter_role", "patient"),
        ("consent", "kanske"),
    ]);
    let res = send(&t, &c, &form.action, &typed).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"e-kind\">Välj vad du vill lämna.</p>"));
    assert!(html.contains("id=\"e-consent\""), "the consent's error");
    assert!(html.contains("value=\"Fler bänkar i väntrummet\""));
    assert!(html.contains("Många står upp i väntrummet"));
    assert!(
        html.contains("value=\"patient\" id=\"f-submitter_role-patient\" checked")
            || html.contains("value=\"patient\" id=\"f-submitter_role\" checked"),
        "the chosen role stays chosen"
    );
    assert_eq!(t.submission_count().await, before, "nothing written");

    // In English, the same.
    let en = client();
    en.get(t.url("/sprak/en?next=/lamna")).send().await.unwrap();
    let form = intake_form(&t, &en).await;
    let html = send(&t, &en, &form.action, &form.fields)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("<a href=\"#f-title\">Title: Fill in this field.</a>"));
    t.finish().await;
}
both!(the_intake_summary_names_each_field);

/// The receipt says what the submitter can count on: with an e-mail address the handler can
/// write back; without one, the link is all there is. The follow-up page shows their text.
async fn the_receipt_and_follow_up_show_what_was_sent(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    for (email, expect, not) in [
        (
            "anna@example.se",
            "Du har lämnat en e-postadress",
            "kan inte skicka länken",
        ),
        (
            "",
            "kan inte skicka länken till dig igen",
            "Du har lämnat en e-postadress",
        ),
    ] {
        let c = client();
        let form = intake_form(&t, &c).await;
        let fields = form.with(&[
            ("kind", "need"),
            ("title", "Väntrummet är fullt"),
            (
                "description",
                "Det finns för få stolar i väntrummet på vårdcentralen om morgnarna.",
            ),
            ("affected", "Äldre patienter"),
            ("submitter_role", "patient"),
            ("contact_email", email),
            ("consent", "on"),
        ]);
        let res = send(&t, &c, &form.action, &fields).await;
        assert_eq!(res.status(), 303, "{:?}", res.text().await);
        let receipt = page(&t, &c, &location(&res)).await;
        assert!(receipt.contains(expect), "{email:?}: {expect}");
        assert!(!receipt.contains(not), "{email:?}: not {not}");
        assert!(receipt.contains("Det du skrev"));
        assert!(receipt.contains(
            "id=\"own-text\">Det finns för få stolar i väntrummet på vårdcentralen om morgnarna.</p>"
        ));
        assert!(receipt.contains("Äldre patienter"));
        assert!(receipt.contains("Din inlämning"));
    }
    t.finish().await;
}
both!(the_receipt_and_follow_up_show_what_was_sent);

/// A reply sent twice (a crafted post) is an error at the reply, with the text kept.
async fn the_follow_up_reply_is_decoded_strictly(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.user("advisor@x.se", "region-a", "advisor").await;
    let adv = t.token("advisor@x.se").await;
    let c = client();
    let form = intake_form(&t, &c).await;
    let fields = form.with(&[
        ("kind", "idea"),
        ("title", "Sms före besöket"),
        (
            "description",
            "Ett sms dagen innan besöket skulle minska antalet uteblivna besök.",
        ),
        ("submitter_role", "citizen"),
        ("consent", "on"),
    ]);
    let res = send(&t, &c, &form.action, &fields).await;
    let follow = location(&res).trim_end_matches("?ny=1").to_string();
    let id: String = {
        let mut tx = t.app.db.read().await.unwrap();
        let (id,): (String,) = tx
            .fetch_one(store::sql("SELECT id FROM submissions"))
            .await
            .unwrap();
        id
    };
    let res = t
        .act(
            &adv,
            &id,
            json!({ "action": "request_info", "message": "Vilken vårdcentral gäller det?" }),
        )
        .await;
    assert_eq!(res.status(), 200);

    let html = page(&t, &c, &follow).await;
    let reply = form_with(&html, "/svar");
    let mut twice = reply.with(&[("reply", "Vårdcentralen i Ronneby.")]);
    twice.push(("reply".into(), "Vårdcentralen i Karlskrona.".into()));
    let events = t.event_count().await;
    let res = send(&t, &c, &reply.action, &twice).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"e-reply\""), "the error at the reply");
    assert!(html.contains("<a href=\"#f-reply\">Ditt svar: "));
    assert!(
        html.contains("Vårdcentralen i Karlskrona."),
        "typed text kept"
    );
    assert_eq!(t.event_count().await, events, "nothing written");
    let res = send(
        &t,
        &c,
        &reply.action,
        &reply.with(&[("reply", "Vårdcentralen i Ronneby.")]),
    )
    .await;
    assert_eq!(res.status(), 303);
    t.finish().await;
}
both!(the_follow_up_reply_is_decoded_strictly);

/// Sign-in with a field twice is refused as a failed sign-in, the address kept, no session.
async fn sign_in_is_decoded_strictly(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let pw = t.user("advisor@x.se", "region-a", "advisor").await;
    let c = client();
    let form = form_with(&page(&t, &c, "/logga-in").await, "/logga-in");
    let mut twice = form.with(&[("email", "advisor@x.se"), ("password", pw.as_str())]);
    twice.push(("password".into(), pw.clone()));
    let res = send(&t, &c, &form.action, &twice).await;
    assert_eq!(res.status(), 422);
    assert!(res.headers().get("set-cookie").is_none(), "no session");
    assert!(res.text().await.unwrap().contains("value=\"advisor@x.se\""));
    let res = send(
        &t,
        &c,
        &form.action,
        &form.with(&[("email", "advisor@x.se"), ("password", pw.as_str())]),
    )
    .await;
    assert_eq!(res.status(), 303);
    t.finish().await;
}
both!(sign_in_is_decoded_strictly);

/// A template form with a button the page does not have is refused naming the field;
/// nothing is stored.
async fn a_template_form_with_an_unknown_button_is_refused(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let pw = t.user("owner@x.se", "region-a", "process_owner").await;
    let c = t.browser_login("owner@x.se", &pw).await;
    let before = app::processes::list(&t.app).await.unwrap().len();
    let html = page(&t, &c, "/processer").await;
    let upload = form_with(&html, "name=\"source\"");
    let source = domain::process::BUILT_IN[1]
        .1
        .replacen("version = 1", "version = 2", 1);
    let res = send(
        &t,
        &c,
        &upload.action,
        &upload.with(&[("source", source.as_str()), ("action", "publish")]),
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Välj ett av alternativen.")
    );
    assert_eq!(app::processes::list(&t.app).await.unwrap().len(), before);
    // The page's own preview button works.
    let res = send(
        &t,
        &c,
        &upload.action,
        &upload.with(&[("source", source.as_str()), ("action", "preview")]),
    )
    .await;
    assert_eq!(res.status(), 200);
    t.finish().await;
}
both!(a_template_form_with_an_unknown_button_is_refused);

/// The value of `name="{name}" value="…"` after `after` in a page.
fn value_after(html: &str, after: &str, name: &str) -> String {
    let from = &html[html.find(after).unwrap_or_else(|| panic!("{after}"))..];
    let key = format!("name=\"{name}\" value=\"");
    let i = from.find(&key).unwrap_or_else(|| panic!("{name}")) + key.len();
    from[i..i + from[i..].find('"').unwrap()].to_string()
}

/// Opens a phase with the lead page's own button for it.
async fn set_phase(t: &TestApp, lead: &reqwest::Client, lead_path: &str, phase: &str) {
    let html = page(t, lead, lead_path).await;
    let form = form_with(&html, &format!("name=\"phase\" value=\"{phase}\""));
    let res = send(t, lead, &form.action, &form.fields).await;
    assert_eq!(res.status(), 303, "{phase}");
    assert!(location(&res).contains("klart=phase"));
}

/// A workshop run through its pages' forms: a new campaign (a quota that is not a number
/// comes back at its field), phases, a research question, joining, concepts, scores on the
/// criteria, a vote, a flag, moderating an idea, a forward with a count that is not a
/// number, and the criteria form's keyed weights.
async fn the_workshop_forms_work_through_their_pages(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let pw = t.user("facilitator@x.se", "region-a", "advisor").await;
    let lead = t.browser_login("facilitator@x.se", &pw).await;

    let new = form_with(&page(&t, &lead, "/workshop/ny").await, "/workshop/ny");
    let typed = [
        ("title", "Bättre väntrum"),
        ("question", "Hur kan väntrummet bli bättre?"),
        ("vote_quota", "tjugo"),
    ];
    let res = send(&t, &lead, &new.action, &new.with(&typed)).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Röster per deltagare: Skriv ett tal"),
        "{html}"
    );
    assert!(html.contains("value=\"tjugo\"") && html.contains("value=\"Bättre väntrum\""));
    let res = send(
        &t,
        &lead,
        &new.action,
        &new.with(&[typed[0], typed[1], ("vote_quota", "10")]),
    )
    .await;
    assert_eq!(res.status(), 303, "{:?}", res.text().await);
    let lead_path = location(&res);
    let code = lead_path
        .trim_start_matches("/workshop/")
        .trim_end_matches("/leda")
        .to_string();

    let html = page(&t, &lead, &lead_path).await;
    let question = form_with(&html, "/fraga");
    let res = send(
        &t,
        &lead,
        &question.action,
        &question.with(&[("question", "Vad saknas i väntrummet?")]),
    )
    .await;
    assert_eq!(res.status(), 303);
    set_phase(&t, &lead, &lead_path, "ideas").await;

    // A participant joins with the code as typed, in lower case.
    let p = client();
    let join = form_with(&page(&t, &p, "/workshop").await, "name=\"code\"");
    let lower = code.to_lowercase();
    let res = send(
        &t,
        &p,
        &join.action,
        &join.with(&[("code", lower.as_str())]),
    )
    .await;
    assert_eq!(res.status(), 303);
    let own = format!("/workshop/{code}");
    for text in ["Fler sittplatser", "Tydligare skyltar", "Bättre ljus"] {
        let concept = form_with(&page(&t, &p, &own).await, "/koncept");
        let res = send(&t, &p, &concept.action, &concept.with(&[("text", text)])).await;
        assert_eq!(res.status(), 303, "{text}");
    }
    let concept = form_with(&page(&t, &p, &own).await, "/koncept");
    let mut twice = concept.with(&[("text", "Växter")]);
    twice.push(("text".into(), "Växter och ljus".into()));
    let res = send(&t, &p, &concept.action, &twice).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"e-text\"") && html.contains("Växter och ljus"));

    // Scores on the criteria: one that is not a number is refused, never dropped.
    set_phase(&t, &lead, &lead_path, "criteria").await;
    let html = page(&t, &p, &own).await;
    let score = form_with(&html, "/bedomning");
    let criterion = {
        let i = score.html.find("name=\"c-").expect("a criterion") + "name=\"".len();
        score.html[i..i + score.html[i..].find('"').unwrap()].to_string()
    };
    let res = send(
        &t,
        &p,
        &score.action,
        &score.with(&[(criterion.as_str(), "fem")]),
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Skriv ett tal"));
    let res = send(
        &t,
        &p,
        &score.action,
        &score.with(&[(criterion.as_str(), "4")]),
    )
    .await;
    assert_eq!(res.status(), 303, "{:?}", res.text().await);
    assert!(location(&res).contains("klart=score"));

    set_phase(&t, &lead, &lead_path, "voting").await;
    let html = page(&t, &p, &own).await;
    let vote = form_with(&html, "/rost");
    let res = send(
        &t,
        &p,
        &vote.action,
        &vote.with(&[("choice", "left"), ("response_ms", "snabbt")]),
    )
    .await;
    assert_eq!(res.status(), 422, "a time that is not a number");
    let res = send(
        &t,
        &p,
        &vote.action,
        &vote.with(&[("choice", "left"), ("response_ms", "1200")]),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert!(location(&res).contains("klart=vote"));
    // The flag buttons share the vote's form (formaction): its fields come along.
    let html = page(&t, &p, &own).await;
    let vote = form_with(&html, "/rost");
    let idea = value_after(&html, "/flagga\"", "idea_id");
    let res = send(
        &t,
        &p,
        &format!("/workshop/{code}/flagga"),
        &vote.with(&[("idea_id", idea.as_str())]),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert!(location(&res).contains("klart=flag"));

    let html = page(&t, &lead, &lead_path).await;
    let moderate = form_with(&html, "/ide/");
    let res = send(&t, &lead, &moderate.action, &moderate.fields).await;
    assert_eq!(res.status(), 303);
    assert!(location(&res).contains("klart=idea"));
    let html = page(&t, &lead, &lead_path).await;
    let forward = form_with(&html, "/vidare");
    let res = send(&t, &lead, &forward.action, &forward.with(&[("n", "många")])).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Skriv ett tal"));
    // The criteria form's weights are keyed by the criteria's ids; a field neither a weight
    // nor the form's own is refused, not ignored.
    let csrf = csrf_in(&html).expect("a CSRF token");
    let criteria = format!("/workshop/{code}/kriterier");
    let fields = |extra: (&str, &str)| {
        vec![
            ("_csrf".to_string(), csrf.clone()),
            ("new_name".to_string(), "Går att testa snart".to_string()),
            (extra.0.to_string(), extra.1.to_string()),
        ]
    };
    let res = send(&t, &lead, &criteria, &fields(("weight_nej", "3"))).await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Formuläret gick inte att läsa")
    );
    let res = send(&t, &lead, &criteria, &fields(("new_weight", "2"))).await;
    assert_eq!(res.status(), 303);
    t.finish().await;
}
both!(the_workshop_forms_work_through_their_pages);

/// The gate's override field says when it is required (it was labelled optional, and came
/// back required); passing with items open and no reason names the field in the summary.
async fn the_gate_override_says_when_it_is_required(backend: Backend) {
    let t = spawn(backend).await;
    let (_, dm, id, _) = crate::case_forms::a_case(&t).await;
    let case_path = format!("/arenden/{id}");
    let html = page(&t, &dm, &case_path).await;
    assert!(html.contains("(krävs om du går vidare)"));
    let gate = form_with(&html, "name=\"override_reason\"");
    let fields = gate.with(&[
        ("decision", "proceed"),
        ("rationale", "Behovet är verifierat."),
    ]);
    let res = send(&t, &dm, &gate.action, &fields).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(
            "Skäl att gå vidare trots öppna punkter: Obligatoriska punkter är inte klara."
        ),
        "the summary names the field"
    );
    // A decision left unchosen says what to choose.
    let res = send(
        &t,
        &dm,
        &gate.action,
        &gate.with(&[("rationale", "Därför.")]),
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains(">Välj ett beslut.</a>"));
    t.finish().await;
}
both!(the_gate_override_says_when_it_is_required);

/// An open question whose proposals wait for the facilitator: the participant is told that
/// the proposal waits for approval (in the open question's words), never that it is added.
async fn a_proposal_that_waits_for_approval_says_so(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let pw = t.user("facilitator@x.se", "region-a", "advisor").await;
    let lead = t.browser_login("facilitator@x.se", &pw).await;
    let new = form_with(&page(&t, &lead, "/workshop/ny").await, "/workshop/ny");
    let fields = new.with(&[
        ("title", "Bättre väntrum"),
        ("question", "Hur kan väntrummet bli bättre?"),
        ("mode", "open"),
        ("require_approval", "on"),
    ]);
    let res = send(&t, &lead, &new.action, &fields).await;
    assert_eq!(res.status(), 303, "{:?}", res.text().await);
    let lead_path = location(&res);
    let code = lead_path
        .trim_start_matches("/workshop/")
        .trim_end_matches("/leda")
        .to_string();
    set_phase(&t, &lead, &lead_path, "open").await;

    let p = client();
    let join = form_with(&page(&t, &p, "/workshop").await, "name=\"code\"");
    let res = send(&t, &p, &join.action, &join.with(&[("code", code.as_str())])).await;
    assert_eq!(res.status(), 303);
    let own = format!("/workshop/{code}");
    let proposal = form_with(&page(&t, &p, &own).await, "/koncept");
    let res = send(
        &t,
        &p,
        &proposal.action,
        &proposal.with(&[("text", "Fler sittplatser")]),
    )
    .await;
    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert!(to.contains("klart=concept_pending"), "{to}");
    let html = page(&t, &p, &to).await;
    assert!(
        html.contains("Förslaget visas för de andra när facilitatorn har godkänt det."),
        "{html}"
    );
    assert!(!html.contains("är tillagt"));
    t.finish().await;
}
both!(a_proposal_that_waits_for_approval_says_so);
