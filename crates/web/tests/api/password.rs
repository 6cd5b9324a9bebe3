//! Password reset by e-mail (the mail arrives at a real SMTP server with a working link;
//! the link works once; an expired one is refused; an unknown address gets the same
//! answer), password change (needs the current one) and signing out everywhere.

use crate::both;
use crate::mail::{Sink, runner, sink_python};
use crate::support::{Backend, TestApp, client, spawn};

async fn ask_reset(t: &TestApp, email: &str) -> (u16, String) {
    let c = client();
    let csrf = t.csrf(&c, "/logga-in/glomt").await;
    let res = c
        .post(t.url("/logga-in/glomt"))
        .form(&[("_csrf", csrf.as_str()), ("email", email)])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn set_password(t: &TestApp, token: &str, password: &str) -> (u16, String) {
    let c = client();
    let path = format!("/losenord/{token}");
    let csrf = t.csrf(&c, &path).await;
    let res = c
        .post(t.url(&path))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("password", password),
            ("password_again", password),
        ])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn signs_in(t: &TestApp, email: &str, password: &str) -> bool {
    let c = client();
    let csrf = t.csrf(&c, "/logga-in").await;
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
    res.status() == 303
}

/// Whether the client's session still opens the account page.
async fn signed_in(t: &TestApp, c: &reqwest::Client) -> bool {
    c.get(t.url("/konto")).send().await.unwrap().status() == 200
}

async fn count(t: &TestApp, q: &str) -> i64 {
    let mut tx = t.app.db.read().await.unwrap();
    let (n,): (i64,) = tx
        .fetch_one(store::Sql::dynamic(q.to_string(), vec![]))
        .await
        .unwrap();
    n
}

async fn reset_by_mail_works_once(backend: Backend) {
    let Some(python) = sink_python() else { return };
    let sink = Sink::start(&python, 0, None);
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let old = t.user("anna@region.example", "region-a", "advisor").await;
    let other_session = t.browser_login("anna@region.example", &old).await;
    assert!(signed_in(&t, &other_session).await);
    let (status, known) = ask_reset(&t, "Anna@region.example").await;
    assert_eq!(status, 200);
    let (status, unknown) = ask_reset(&t, "ingen@region.example").await;
    assert_eq!(status, 200);
    let answer = |html: &str| {
        let start = html.find("<main").unwrap();
        let end = html.find("</main>").unwrap();
        html[start..end].to_string()
    };
    assert_eq!(
        answer(&known),
        answer(&unknown),
        "the same answer either way"
    );
    // One mail, for the known address only; no address or token in any event.
    assert_eq!(count(&t, "SELECT COUNT(*) FROM outbox").await, 1);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM events WHERE kind = 'user.password_reset_requested'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM events WHERE kind LIKE 'user.password%' AND (payload LIKE '%anna@%' OR payload LIKE '%losenord%' OR payload <> '{}')"
        )
        .await,
        0
    );
    assert_eq!(runner(&sink.url()).run_due(&t.app).await.unwrap(), 1);
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert!(m.starts_with("X-Envelope-To: anna@region.example"), "{m}");
    assert!(
        m.contains("Subject: =?utf-8?") || m.contains("Subject: V"),
        "{m}"
    );
    let at = m.find("/losenord/").expect("the link in the mail");
    let token: String = m[at + "/losenord/".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert!(token.len() >= 32, "{token}");
    // Only its hash is stored.
    assert_eq!(
        count(
            &t,
            &format!("SELECT COUNT(*) FROM password_resets WHERE token_hash = '{token}'")
        )
        .await,
        0
    );
    // Too short: refused, the token not used up.
    let (status, _) = set_password(&t, &token, "kort").await;
    assert_eq!(status, 422);
    let (status, body) = set_password(&t, &token, "ett helt nytt lösenord").await;
    assert_eq!(status, 200, "{body}");
    assert!(signs_in(&t, "anna@region.example", "ett helt nytt lösenord").await);
    assert!(!signs_in(&t, "anna@region.example", &old).await);
    assert!(
        !signed_in(&t, &other_session).await,
        "the sessions from before end"
    );
    // Once only.
    let (status, _) = set_password(&t, &token, "ännu ett nytt lösenord").await;
    assert_eq!(status, 409);
    assert!(!signs_in(&t, "anna@region.example", "ännu ett nytt lösenord").await);
    t.finish().await;
}
both!(reset_by_mail_works_once);

async fn an_expired_link_is_refused(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let old = t.user("anna@region.example", "region-a", "advisor").await;
    // Asked for with a known token, then made older than its life.
    let token = "a-known-token-for-the-test-of-expiry-0123456789";
    let mut tx = t.app.db.write().await.unwrap();
    let user = store::users::by_email(&mut tx, "anna@region.example")
        .await
        .unwrap()
        .unwrap();
    let past = domain::time::Timestamp::now().plus_seconds(-3600);
    store::password_resets::insert(
        &mut tx,
        &app::secret::hash_token(token),
        &user.id,
        &past.to_db(),
        &past.plus_seconds(1800).to_db(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (status, body) = set_password(&t, token, "ett helt nytt lösenord").await;
    assert_eq!(status, 409, "{body}");
    assert!(signs_in(&t, "anna@region.example", &old).await);
    // A token never given: the same.
    let (status, _) = set_password(&t, "nej", "ett helt nytt lösenord").await;
    assert_eq!(status, 409);
    t.finish().await;
}
both!(an_expired_link_is_refused);

async fn change_needs_the_current_password(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let old = t.user("anna@region.example", "region-a", "advisor").await;
    let here = t.browser_login("anna@region.example", &old).await;
    let elsewhere = t.browser_login("anna@region.example", &old).await;
    let change = async |current: &str, new: &str, again: &str| {
        let csrf = t.csrf(&here, "/konto").await;
        here.post(t.url("/konto/losenord"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("current_password", current),
                ("password", new),
                ("password_again", again),
            ])
            .send()
            .await
            .unwrap()
    };
    let res = change(
        "fel lösenord här",
        "ett helt nytt lösenord",
        "ett helt nytt lösenord",
    )
    .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("f-current_password"), "{html}");
    let res = change(&old, "ett helt nytt lösenord", "ett annat nytt lösenord").await;
    assert_eq!(res.status(), 422, "typed twice alike");
    assert!(signs_in(&t, "anna@region.example", &old).await);
    let res = change(&old, "ett helt nytt lösenord", "ett helt nytt lösenord").await;
    assert_eq!(res.status(), 303);
    assert!(signs_in(&t, "anna@region.example", "ett helt nytt lösenord").await);
    assert!(!signs_in(&t, "anna@region.example", &old).await);
    assert!(signed_in(&t, &here).await, "this session stays");
    assert!(!signed_in(&t, &elsewhere).await, "the others end");
    t.finish().await;
}
both!(change_needs_the_current_password);

async fn sign_out_everywhere_ends_every_session(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let pw = t.user("anna@region.example", "region-a", "advisor").await;
    let here = t.browser_login("anna@region.example", &pw).await;
    let elsewhere = t.browser_login("anna@region.example", &pw).await;
    let csrf = t.csrf(&here, "/konto").await;
    let res = here
        .post(t.url("/konto/logga-ut-overallt"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(!signed_in(&t, &here).await);
    assert!(!signed_in(&t, &elsewhere).await);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM sessions").await, 0);
    t.finish().await;
}
both!(sign_out_everywhere_ends_every_session);

async fn the_accessibility_statement_names_the_organisation(backend: Backend) {
    let t = spawn(backend).await;
    for (lang, words) in [
        ("sv", "Tillgänglighetsredogörelse"),
        ("en", "Accessibility statement"),
    ] {
        let res = client()
            .get(t.url("/tillganglighet"))
            .header("cookie", format!("sluss_lang={lang}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains(words), "{html}");
        assert!(html.contains("DIGG"), "{html}");
        assert!(html.contains("axe-core"), "{html}");
    }
    // Linked from the footer of every page.
    let home = client()
        .get(t.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("href=\"/tillganglighet\""));
    t.finish().await;
}
both!(the_accessibility_statement_names_the_organisation);
