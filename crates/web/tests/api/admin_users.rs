//! People, API tokens and the audit view on the administration pages, on both databases:
//! an invitation arrives at a real SMTP server and its link sets a password once and signs
//! the person in; a used or expired link is refused; another region's administrator finds
//! nobody; deactivating ends sessions and tokens; the audit view filters by actor and kind;
//! a refused admin form comes back with what was typed.

use app::{AppError, Caller};

use crate::both;
use crate::mail::{Sink, runner, sink_python};
use crate::support::{Backend, TestApp, client, spawn};

async fn count(t: &TestApp, q: &str) -> i64 {
    let mut tx = t.app.db.read().await.unwrap();
    let (n,): (i64,) = tx
        .fetch_one(store::Sql::dynamic(q.to_string(), vec![]))
        .await
        .unwrap();
    n
}

async fn org_id(t: &TestApp, slug: &str) -> domain::id::OrgId {
    let mut tx = t.app.db.read().await.unwrap();
    store::orgs::by_slug(&mut tx, slug)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn user_id(t: &TestApp, email: &str) -> domain::id::UserId {
    let mut tx = t.app.db.read().await.unwrap();
    store::users::by_email(&mut tx, email)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn caller(t: &TestApp, email: &str) -> Caller {
    let pw = format!("pw-{email}-long-enough");
    let token = app::auth::login(&t.app, email, &pw).await.unwrap();
    app::auth::caller_for_session(&t.app, &token).await.unwrap()
}

/// Posts a form of a page with the client's CSRF token (read from `page`).
async fn post_form(
    t: &TestApp,
    c: &reqwest::Client,
    page: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let csrf = t.csrf(c, page).await;
    let mut form = vec![("_csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let res = c.post(t.url(path)).form(&form).send().await.unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, location, res.text().await.unwrap())
}

async fn accept(t: &TestApp, c: &reqwest::Client, token: &str, pw: &str, again: &str) -> u16 {
    let path = format!("/inbjudan/{token}");
    post_form(
        t,
        c,
        &path,
        &path,
        &[("password", pw), ("password_again", again)],
    )
    .await
    .0
}

async fn signs_in(t: &TestApp, email: &str, password: &str) -> bool {
    let c = client();
    let (status, _, _) = post_form(
        t,
        &c,
        "/logga-in",
        "/logga-in",
        &[("email", email), ("password", password)],
    )
    .await;
    status == 303
}

/// The token of the newest invitation mail in the outbox (its link).
async fn invite_token_in_outbox(t: &TestApp, email: &str) -> String {
    let mut tx = t.app.db.read().await.unwrap();
    let (params,): (String,) = tx
        .fetch_one(
            store::sql("SELECT params FROM outbox WHERE recipient = ? AND kind = 'invite' ORDER BY created_at DESC, id DESC LIMIT 1")
                .bind(email),
        )
        .await
        .unwrap();
    let p: serde_json::Value = serde_json::from_str(&params).unwrap();
    let url = p["invite_url"].as_str().unwrap();
    url[url.find("/inbjudan/").unwrap() + "/inbjudan/".len()..].to_string()
}

async fn an_invitation_sets_a_password_once_and_signs_in(backend: Backend) {
    let Some(python) = sink_python() else { return };
    let sink = Sink::start(&python, 0, None);
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("unit-a1", Some("region-a")).await;
    let pw = t.user("admin@a.se", "region-a", "admin").await;
    let admin = t.browser_login("admin@a.se", &pw).await;
    let unit = org_id(&t, "unit-a1").await;
    let events = t.event_count().await;

    let (status, location, body) = post_form(
        &t,
        &admin,
        "/admin/anvandare",
        "/admin/anvandare",
        &[
            ("name", "Ines Inbjuden"),
            ("email", "Ines@Region.example"),
            ("org", unit.as_str()),
            ("role", "advisor"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert!(location.starts_with("/admin/anvandare/"), "{location}");
    // The account, its role, the invitation and its mail, with their events: all at once.
    let id = user_id(&t, "ines@region.example").await;
    assert_eq!(location, format!("/admin/anvandare/{id}?klart=invited"));
    assert_eq!(t.event_count().await, events + 2);
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM outbox WHERE kind = 'invite'").await,
        1
    );
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM invites WHERE used_at IS NULL").await,
        1
    );
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM events WHERE payload LIKE '%ines@%' OR payload LIKE '%inbjudan%'"
        )
        .await,
        0,
        "no address or link in an event"
    );
    // The user's page says the invitation is pending; the list shows the person.
    let page = t.html(&admin, &location).await;
    assert!(page.contains("Inbjuden, har inte valt lösenord"), "{page}");
    let list = t.html(&admin, "/admin/anvandare?q=ines").await;
    assert!(
        list.contains("Ines Inbjuden") && list.contains("Innovationsrådgivare"),
        "{list}"
    );
    // The outbox shows the mail to the administrator without its link.
    let outbox = t.html(&admin, "/admin/utkorg").await;
    assert!(outbox.contains("Du är inbjuden till Sluss"), "{outbox}");
    assert!(
        !outbox.contains("/inbjudan/"),
        "the link is the invitee's alone"
    );

    // The mail arrives, with the link.
    assert_eq!(runner(&sink.url()).run_due(&t.app).await.unwrap(), 1);
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert!(m.starts_with("X-Envelope-To: ines@region.example"), "{m}");
    let at = m.find("/inbjudan/").expect("the link in the mail");
    let token: String = m[at + "/inbjudan/".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert_eq!(
        token,
        invite_token_in_outbox(&t, "ines@region.example").await
    );
    // Only its hash is stored; no password signs in before it is set.
    assert_eq!(
        count(
            &t,
            &format!("SELECT COUNT(*) FROM invites WHERE token_hash = '{token}'")
        )
        .await,
        0
    );
    assert!(!signs_in(&t, "ines@region.example", "!invited").await);
    assert!(!signs_in(&t, "ines@region.example", "").await);

    // The two passwords differ: refused, the link not used up.
    let invitee = client();
    assert_eq!(
        invitee
            .get(t.url(&format!("/inbjudan/{token}")))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        accept(
            &t,
            &invitee,
            &token,
            "ett långt lösenord",
            "ett annat lösenord"
        )
        .await,
        422
    );
    assert_eq!(accept(&t, &invitee, &token, "kort", "kort").await, 422);
    // Set: signed in at once.
    assert_eq!(
        accept(
            &t,
            &invitee,
            &token,
            "ett långt lösenord",
            "ett långt lösenord"
        )
        .await,
        303
    );
    assert_eq!(
        invitee.get(t.url("/konto")).send().await.unwrap().status(),
        200
    );
    assert!(signs_in(&t, "ines@region.example", "ett långt lösenord").await);
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM events WHERE kind = 'user.joined'").await,
        1
    );
    // Once only; and a resend is refused now that the password is set.
    let other = client();
    assert_eq!(
        accept(&t, &other, &token, "ännu ett lösenord", "ännu ett lösenord").await,
        409
    );
    assert!(!signs_in(&t, "ines@region.example", "ännu ett lösenord").await);
    let (status, _, _) = post_form(
        &t,
        &admin,
        &location,
        &format!("/admin/anvandare/{id}/inbjudan"),
        &[],
    )
    .await;
    assert_eq!(status, 409);
    t.finish().await;
}
both!(an_invitation_sets_a_password_once_and_signs_in);

async fn an_expired_or_replaced_invitation_is_refused(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.user("admin@a.se", "region-a", "admin").await;
    let a = caller(&t, "admin@a.se").await;
    let region = org_id(&t, "region-a").await;
    let invite = |email: &'static str| app::admin::people::Invitation {
        name: "Ines Inbjuden",
        email,
        org_id: region.as_str(),
        role: "staff",
        lang: "sv",
    };
    let ines = app::admin::people::invite(&t.app, &a, &invite("ines@region.example"))
        .await
        .unwrap();
    let first = invite_token_in_outbox(&t, "ines@region.example").await;
    // The language of the invitation is the one the person's mail comes in.
    let english = app::admin::people::Invitation {
        lang: "en",
        ..invite("ian@region.example")
    };
    let ian = app::admin::people::invite(&t.app, &a, &english)
        .await
        .unwrap();
    let mut tx = t.app.db.read().await.unwrap();
    assert_eq!(store::users::lang_of(&mut tx, &ian.id).await.unwrap(), "en");
    assert_eq!(
        store::users::lang_of(&mut tx, &ines.id).await.unwrap(),
        "sv"
    );
    drop(tx);
    // The same address again: refused, nothing written.
    let events = t.event_count().await;
    assert!(matches!(
        app::admin::people::invite(&t.app, &a, &invite("INES@region.example")).await,
        Err(AppError::Conflict(app::Conflict::EmailTaken))
    ));
    assert_eq!(t.event_count().await, events);
    // Sent again: the first link stops working, the new one works.
    app::admin::people::resend(&t.app, &a, &ines.id, "en")
        .await
        .unwrap();
    let second = invite_token_in_outbox(&t, "ines@region.example").await;
    assert_ne!(first, second);
    assert!(matches!(
        app::admin::people::accept(&t.app, &first, "ett långt lösenord").await,
        Err(AppError::Conflict(app::Conflict::InviteLinkInvalid))
    ));
    // Made older than its life: refused.
    let mut tx = t.app.db.write().await.unwrap();
    let past = domain::time::Timestamp::now().plus_seconds(-60).to_db();
    tx.execute(store::sql("UPDATE invites SET expires_at = ?").bind(past))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(matches!(
        app::admin::people::accept(&t.app, &second, "ett långt lösenord").await,
        Err(AppError::Conflict(app::Conflict::InviteLinkInvalid))
    ));
    let c = client();
    assert_eq!(
        accept(&t, &c, &second, "ett långt lösenord", "ett långt lösenord").await,
        409
    );
    assert_eq!(
        accept(&t, &c, "nej", "ett långt lösenord", "ett långt lösenord").await,
        409
    );
    assert!(!signs_in(&t, "ines@region.example", "ett långt lösenord").await);
    // A new one, then the account is turned off: its link is refused too.
    app::admin::people::resend(&t.app, &a, &ines.id, "sv")
        .await
        .unwrap();
    let third = invite_token_in_outbox(&t, "ines@region.example").await;
    app::admin::people::deactivate(&t.app, &a, &ines.id)
        .await
        .unwrap();
    assert!(matches!(
        app::admin::people::accept(&t.app, &third, "ett långt lösenord").await,
        Err(AppError::Conflict(app::Conflict::InviteLinkInvalid))
    ));
    t.finish().await;
}
both!(an_expired_or_replaced_invitation_is_refused);

async fn another_regions_administrator_finds_nobody(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("unit-a1", Some("region-a")).await;
    t.org("region-b", None).await;
    t.user("admin@a.se", "region-a", "admin").await;
    let pw_b = t.user("admin@b.se", "region-b", "admin").await;
    t.user("anna@a.se", "unit-a1", "advisor").await;
    let anna = user_id(&t, "anna@a.se").await;
    let a = caller(&t, "admin@a.se").await;
    let b = caller(&t, "admin@b.se").await;
    let region_b = org_id(&t, "region-b").await;
    let unit_a1 = org_id(&t, "unit-a1").await;

    // Each sees their own region's people only.
    let names = |p: app::admin::people::UsersPage| -> Vec<String> {
        p.users.into_iter().map(|u| u.user.email).collect()
    };
    let seen_a = names(
        app::admin::people::list(&t.app, &a, "", None)
            .await
            .unwrap(),
    );
    assert_eq!(seen_a, ["admin@a.se", "anna@a.se"]);
    let seen_b = names(
        app::admin::people::list(&t.app, &b, "", None)
            .await
            .unwrap(),
    );
    assert_eq!(seen_b, ["admin@b.se"]);
    let found = names(
        app::admin::people::list(&t.app, &a, "ANNA", None)
            .await
            .unwrap(),
    );
    assert_eq!(found, ["anna@a.se"]);
    // Wildcards are searched for as typed.
    assert!(
        names(
            app::admin::people::list(&t.app, &a, "%", None)
                .await
                .unwrap()
        )
        .is_empty()
    );

    // Region A's user is not found by B, on every page and form.
    let browser_b = t.browser_login("admin@b.se", &pw_b).await;
    let page = format!("/admin/anvandare/{anna}");
    assert_eq!(
        browser_b.get(t.url(&page)).send().await.unwrap().status(),
        404
    );
    for (path, fields) in [
        (format!("{page}/avaktivera"), vec![]),
        (format!("{page}/aktivera"), vec![]),
        (format!("{page}/inbjudan"), vec![]),
        (
            format!("{page}/roller"),
            vec![("org", region_b.as_str()), ("role", "staff")],
        ),
        (
            format!("{page}/roller/ta-bort"),
            vec![("org", unit_a1.as_str()), ("role", "advisor")],
        ),
    ] {
        let (status, _, _) = post_form(&t, &browser_b, "/admin", &path, &fields).await;
        assert_eq!(status, 404, "{path}");
    }
    assert!(
        signs_in(&t, "anna@a.se", "pw-anna@a.se-long-enough").await,
        "untouched"
    );
    // A may not give a role in B's region, nor invite into it.
    assert!(matches!(
        app::admin::people::grant(&t.app, &a, &anna, region_b.as_str(), "staff").await,
        Err(AppError::Validation(_))
    ));
    let invitation = app::admin::people::Invitation {
        name: "Bo Bortom",
        email: "bo@b.se",
        org_id: region_b.as_str(),
        role: "staff",
        lang: "sv",
    };
    assert!(matches!(
        app::admin::people::invite(&t.app, &a, &invitation).await,
        Err(AppError::Validation(_))
    ));
    // Roles: given and taken within the region; the last one stays.
    assert!(
        app::admin::people::grant(&t.app, &a, &anna, unit_a1.as_str(), "staff")
            .await
            .unwrap()
    );
    app::admin::people::remove(&t.app, &a, &anna, &unit_a1, "advisor")
        .await
        .unwrap();
    assert!(matches!(
        app::admin::people::remove(&t.app, &a, &anna, &unit_a1, "staff").await,
        Err(AppError::Conflict(app::Conflict::LastRole))
    ));
    // Tokens: B cannot make one for A's user, nor see A's.
    assert!(matches!(
        app::admin::tokens::create(&t.app, &b, "anna@a.se", "Integration", Some(30)).await,
        Err(AppError::Validation(_))
    ));
    app::admin::tokens::create(&t.app, &a, "anna@a.se", "Integration", Some(30))
        .await
        .unwrap();
    assert_eq!(
        app::admin::tokens::list(&t.app, &a, None)
            .await
            .unwrap()
            .tokens
            .len(),
        1
    );
    assert!(
        app::admin::tokens::list(&t.app, &b, None)
            .await
            .unwrap()
            .tokens
            .is_empty()
    );
    t.finish().await;
}
both!(another_regions_administrator_finds_nobody);

async fn deactivation_ends_sessions_and_tokens(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    let pw = t.user("admin@a.se", "region-a", "admin").await;
    let anna_pw = t.user("anna@a.se", "region-a", "advisor").await;
    let anna = user_id(&t, "anna@a.se").await;
    let admin = t.browser_login("admin@a.se", &pw).await;
    let session = t.browser_login("anna@a.se", &anna_pw).await;
    assert_eq!(
        session.get(t.url("/konto")).send().await.unwrap().status(),
        200
    );

    // A token made on the tokens page: its secret on the answer, once; it works.
    let (status, _, body) = post_form(
        &t,
        &admin,
        "/admin/nycklar",
        "/admin/nycklar",
        &[
            ("email", "anna@a.se"),
            ("name", "Ärendesystemet"),
            ("days", "30"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let at = body.find("sluss_").expect("the secret is shown");
    let secret: String = body[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    assert_eq!(
        t.api_get(&secret, "/api/v1/submissions").await.status(),
        200
    );
    let list = t.html(&admin, "/admin/nycklar").await;
    assert!(
        list.contains("Ärendesystemet") && !list.contains(&secret),
        "shown once"
    );

    let (status, location, _) = post_form(
        &t,
        &admin,
        &format!("/admin/anvandare/{anna}"),
        &format!("/admin/anvandare/{anna}/avaktivera"),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.ends_with("klart=deactivated"));
    assert_ne!(
        session.get(t.url("/konto")).send().await.unwrap().status(),
        200
    );
    assert_eq!(
        t.api_get(&secret, "/api/v1/submissions").await.status(),
        401
    );
    assert!(!signs_in(&t, "anna@a.se", &anna_pw).await);
    // On again: the password works, the token stays revoked.
    let (status, _, _) = post_form(
        &t,
        &admin,
        &format!("/admin/anvandare/{anna}"),
        &format!("/admin/anvandare/{anna}/aktivera"),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    assert!(signs_in(&t, "anna@a.se", &anna_pw).await);
    assert_eq!(
        t.api_get(&secret, "/api/v1/submissions").await.status(),
        401
    );
    t.finish().await;
}
both!(deactivation_ends_sessions_and_tokens);

async fn the_audit_view_filters_by_actor_and_kind(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("unit-a1", Some("region-a")).await;
    t.org("region-b", None).await;
    let pw = t.user("admin@a.se", "region-a", "admin").await;
    t.user("admin2@a.se", "region-a", "admin").await;
    t.user("admin@b.se", "region-b", "admin").await;
    let a = caller(&t, "admin@a.se").await;
    let a2 = caller(&t, "admin2@a.se").await;
    let b = caller(&t, "admin@b.se").await;
    let unit = org_id(&t, "unit-a1").await;
    let (admin_id, admin2_id) = (
        user_id(&t, "admin@a.se").await,
        user_id(&t, "admin2@a.se").await,
    );
    let invite = |email: &'static str| app::admin::people::Invitation {
        name: "En Inbjuden",
        email,
        org_id: unit.as_str(),
        role: "staff",
        lang: "sv",
    };
    app::admin::people::invite(&t.app, &a, &invite("ett@a.se"))
        .await
        .unwrap();
    app::admin::people::invite(&t.app, &a2, &invite("tva@a.se"))
        .await
        .unwrap();
    app::admin::units::add_unit(&t.app, &a, &unit, "unit-a1-x", "Enhet X")
        .await
        .unwrap();

    let list = async |who: &Caller, actor: &str, kind: &str| -> Vec<(String, Option<String>)> {
        let filter = app::admin::audit::AuditFilter {
            actor: actor.to_string(),
            kind: kind.to_string(),
            ..Default::default()
        };
        app::admin::audit::list(&t.app, who, &filter, None)
            .await
            .unwrap()
            .events
            .into_iter()
            .map(|e| (e.kind, e.actor_id.map(|a| a.as_str().to_string())))
            .collect()
    };
    let invited = list(&a, "", "user.invited").await;
    assert_eq!(invited.len(), 2);
    assert_eq!(
        invited[0].1.as_deref(),
        Some(admin2_id.as_str()),
        "newest first"
    );
    let by_a = list(&a, admin_id.as_str(), "").await;
    let kinds: Vec<&str> = by_a.iter().map(|(k, _)| k.as_str()).collect();
    // Signing in is filed under the person's region too (it names no organisation itself).
    assert_eq!(
        kinds,
        [
            "organisation.created",
            "user.role_granted",
            "user.invited",
            "user.signed_in"
        ]
    );
    let family = list(&a, admin_id.as_str(), "user").await;
    assert_eq!(family.len(), 3);
    assert!(list(&a, "", "user.nothing").await.is_empty());
    // Region B's administrator sees none of it, only their region's own.
    assert!(list(&b, "", "user.invited").await.is_empty());
    assert!(list(&b, admin_id.as_str(), "").await.is_empty());
    let own: Vec<String> = list(&b, "", "user")
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(own, ["user.signed_in", "user.role_granted", "user.created"]);
    // A bad filter is a field error; the page shows it at the field.
    let bad = app::admin::audit::AuditFilter {
        from: "igår".into(),
        kind: "USER; DROP".into(),
        ..Default::default()
    };
    match app::admin::audit::list(&t.app, &a, &bad, None).await {
        Err(AppError::Validation(e)) => {
            let fields: Vec<&str> = e.0.iter().map(|f| f.field).collect();
            assert_eq!(fields, ["kind", "from"]);
        }
        other => panic!("{other:?}"),
    }
    let browser = t.browser_login("admin@a.se", &pw).await;
    let res = browser
        .get(t.url("/admin/handelser?kind=user.invited"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert_eq!(
        html.matches("<code>user.invited</code>").count(),
        2,
        "{html}"
    );
    assert!(
        !html.contains("ett@a.se"),
        "no personal data beyond the actor's name"
    );
    let res = browser
        .get(t.url("/admin/handelser?from=ig%C3%A5r"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("id=\"e-filter-from\"") && html.contains("value=\"igår\""),
        "{html}"
    );
    // Paging: a page of one region's events continues after its last.
    for i in 0..app::admin::audit::AUDIT_PAGE {
        app::admin::people::invite(
            &t.app,
            &a,
            &app::admin::people::Invitation {
                name: "Många Inbjudna",
                email: Box::leak(format!("m{i}@a.se").into_boxed_str()),
                org_id: unit.as_str(),
                role: "staff",
                lang: "sv",
            },
        )
        .await
        .unwrap();
    }
    let filter = app::admin::audit::AuditFilter {
        kind: "user.invited".into(),
        ..Default::default()
    };
    let first = app::admin::audit::list(&t.app, &a, &filter, None)
        .await
        .unwrap();
    assert_eq!(first.events.len() as i64, app::admin::audit::AUDIT_PAGE);
    let (at, id) = first.next.clone().expect("a next page");
    let second = app::admin::audit::list(&t.app, &a, &filter, Some((&at, &id)))
        .await
        .unwrap();
    assert_eq!(second.events.len(), 2);
    assert!(second.next.is_none());
    t.finish().await;
}
both!(the_audit_view_filters_by_actor_and_kind);

async fn refused_admin_forms_keep_what_was_typed(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("unit-a1", Some("region-a")).await;
    let pw = t.user("admin@a.se", "region-a", "admin").await;
    let admin = t.browser_login("admin@a.se", &pw).await;
    let region = org_id(&t, "region-a").await;
    let unit = org_id(&t, "unit-a1").await;
    let events = t.event_count().await;

    // Units: a bad slug, a taken slug, an empty name on a unit's row.
    let (status, _, html) = post_form(
        &t,
        &admin,
        "/admin/organisationer",
        "/admin/organisationer",
        &[
            ("parent", region.as_str()),
            ("slug", "Inte OK!"),
            ("name", "Mitt nya namn"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("id=\"e-slug\"")
            && html.contains("value=\"Mitt nya namn\"")
            && html.contains("value=\"Inte OK!\""),
        "{html}"
    );
    let (status, _, html) = post_form(
        &t,
        &admin,
        "/admin/organisationer",
        "/admin/organisationer",
        &[
            ("parent", region.as_str()),
            ("slug", "unit-a1"),
            ("name", "Dubbletten"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("id=\"e-slug\"") && html.contains("value=\"Dubbletten\""),
        "{html}"
    );
    let (status, _, html) = post_form(
        &t,
        &admin,
        "/admin/organisationer",
        &format!("/admin/organisationer/{unit}"),
        &[("name", "x"), ("parent", region.as_str())],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains(&format!("id=\"e-u{unit}-name\"")) && html.contains("value=\"x\""),
        "{html}"
    );

    // Invitation: a bad address keeps the name typed; an unknown role is named.
    let (status, _, html) = post_form(
        &t,
        &admin,
        "/admin/anvandare",
        "/admin/anvandare",
        &[
            ("name", "Ines Inbjuden"),
            ("email", "inte en adress"),
            ("org", unit.as_str()),
            ("role", "kung"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("id=\"e-invite-email\"") && html.contains("id=\"e-invite-role\""),
        "{html}"
    );
    assert!(
        html.contains("value=\"Ines Inbjuden\"") && html.contains("value=\"inte en adress\""),
        "{html}"
    );
    // Taken address: at its field.
    let (status, _, html) = post_form(
        &t,
        &admin,
        "/admin/anvandare",
        "/admin/anvandare",
        &[
            ("name", "Igen"),
            ("email", "admin@a.se"),
            ("org", unit.as_str()),
            ("role", "staff"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("id=\"e-invite-email\"") && html.contains("Det finns redan ett konto"),
        "{html}"
    );
    // Tokens: a number of days that is not one.
    let (status, _, html) = post_form(
        &t,
        &admin,
        "/admin/nycklar",
        "/admin/nycklar",
        &[
            ("email", "admin@a.se"),
            ("name", "Mitt system"),
            ("days", "tusen"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("id=\"e-token-days\"") && html.contains("value=\"Mitt system\""),
        "{html}"
    );
    // A role form on a user's page.
    let me = user_id(&t, "admin@a.se").await;
    let (status, _, html) = post_form(
        &t,
        &admin,
        &format!("/admin/anvandare/{me}"),
        &format!("/admin/anvandare/{me}/roller"),
        &[("org", unit.as_str()), ("role", "kung")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"e-grant-role\""), "{html}");
    assert_eq!(t.event_count().await, events, "nothing written");
    t.finish().await;
}
both!(refused_admin_forms_keep_what_was_typed);
