//! The lifecycle of accounts and tokens (issue 17, finding 10): tokens expire, a region's
//! administrator revokes a token or deactivates a user of that region, and what ended
//! answers exactly as what never existed. Every change writes its event.

use crate::both;
use crate::support::{Backend, TestApp, spawn};
use serde_json::Value;

async fn user_id(t: &TestApp, email: &str) -> String {
    let mut tx = t.app.db.read().await.expect("read");
    let (id,): (String,) = tx
        .fetch_one(store::sql("SELECT id FROM users WHERE email = ?").bind(email))
        .await
        .expect("user");
    id
}

async fn events_of_kind(t: &TestApp, kind: &str) -> i64 {
    let mut tx = t.app.db.read().await.expect("read");
    let (n,): (i64,) = tx
        .fetch_one(store::sql("SELECT COUNT(*) FROM events WHERE kind = ?").bind(kind))
        .await
        .expect("count");
    n
}

async fn post(t: &TestApp, token: &str, path: &str) -> reqwest::Response {
    t.http
        .post(t.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

async fn status_of(t: &TestApp, token: &str) -> u16 {
    t.api_get(token, "/api/v1/submissions")
        .await
        .status()
        .as_u16()
}

async fn tokens_expire_and_region_admins_revoke_and_deactivate(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("unit-a", Some("region-a")).await;
    t.org("region-b", None).await;
    t.user("admin-a@x.se", "region-a", "admin").await;
    t.user("admin-b@x.se", "region-b", "admin").await;
    t.user("unit-admin@x.se", "unit-a", "admin").await;
    let password = t.user("advisor@x.se", "unit-a", "advisor").await;
    t.user("advisor-b@x.se", "region-b", "advisor").await;
    let (admin_a, admin_b, unit_admin) = (
        t.token("admin-a@x.se").await,
        t.token("admin-b@x.se").await,
        t.token("unit-admin@x.se").await,
    );
    let advisor = user_id(&t, "advisor@x.se").await;
    let advisor_b = user_id(&t, "advisor-b@x.se").await;
    let token = t.token("advisor@x.se").await;
    assert_eq!(status_of(&t, &token).await, 200);

    // A new token expires, a year on by default.
    let list = t
        .api_get(&admin_a, &format!("/api/v1/users/{advisor}/tokens"))
        .await;
    assert_eq!(list.status(), 200);
    let list: Value = list.json().await.expect("json");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{list}");
    let token_id = items[0]["id"].as_str().expect("id").to_string();
    let expires = items[0]["expires_at"].as_str().expect("an expiry");
    let year_on = domain::time::Timestamp::now().plus_days(365).to_db();
    assert_eq!(&expires[..10], &year_on[..10], "{expires}");
    assert!(items[0]["revoked_at"].is_null());
    assert!(items[0]["last_used_at"].is_string(), "used once: {list}");
    assert!(items[0].get("token_hash").is_none());

    // Another region's administrator, a unit's administrator and the user themselves
    // reach neither the list nor the token.
    for (who, status) in [(&admin_b, 404), (&unit_admin, 403), (&token, 403)] {
        let res = t
            .api_get(who, &format!("/api/v1/users/{advisor}/tokens"))
            .await;
        assert_eq!(res.status(), status);
        let res = post(&t, who, &format!("/api/v1/tokens/{token_id}/revoke")).await;
        assert_eq!(res.status(), status);
        let res = post(&t, who, &format!("/api/v1/users/{advisor}/deactivate")).await;
        assert_eq!(res.status(), status);
    }
    // Region A's administrator does not reach region B's users either.
    let res = post(
        &t,
        &admin_a,
        &format!("/api/v1/users/{advisor_b}/deactivate"),
    )
    .await;
    assert_eq!(res.status(), 404);
    assert_eq!(status_of(&t, &token).await, 200);
    assert_eq!(events_of_kind(&t, "api_token.revoked").await, 0);
    assert_eq!(events_of_kind(&t, "user.deactivated").await, 0);

    // Revoked: the token answers as an unknown one, and the revocation is an event.
    let unknown = t.api_get("sluss_unknown", "/api/v1/submissions").await;
    assert_eq!(unknown.status(), 401);
    let unknown = unknown.text().await.expect("text");
    let res = post(&t, &admin_a, &format!("/api/v1/tokens/{token_id}/revoke")).await;
    assert_eq!(res.status(), 200);
    let res = t.api_get(&token, "/api/v1/submissions").await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.text().await.expect("text"), unknown);
    assert_eq!(events_of_kind(&t, "api_token.revoked").await, 1);
    // Revoking again changes nothing and writes nothing.
    let res = post(&t, &admin_a, &format!("/api/v1/tokens/{token_id}/revoke")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(events_of_kind(&t, "api_token.revoked").await, 1);

    // Expired: the same answer.
    let expiring = t.token("advisor@x.se").await;
    assert_eq!(status_of(&t, &expiring).await, 200);
    {
        let mut tx = t.app.db.write().await.expect("write");
        let past = domain::time::Timestamp::now().plus_seconds(-1).to_db();
        tx.execute(
            store::sql(
                "UPDATE api_tokens SET expires_at = ? WHERE revoked_at IS NULL AND user_id = ?",
            )
            .bind(past.as_str())
            .bind(advisor.as_str()),
        )
        .await
        .expect("expire");
        tx.commit().await.expect("commit");
    }
    let res = t.api_get(&expiring, "/api/v1/submissions").await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.text().await.expect("text"), unknown);

    // Deactivated: the session signed in before and a live token end at once, and the
    // user cannot sign in again.
    let live = t.token("advisor@x.se").await;
    let browser = t.browser_login("advisor@x.se", &password).await;
    assert_eq!(
        browser
            .get(t.url("/inkorg"))
            .send()
            .await
            .expect("inbox")
            .status(),
        200
    );
    let res = post(&t, &admin_a, &format!("/api/v1/users/{advisor}/deactivate")).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["active"], false);
    assert_eq!(body["sessions_ended"], 1);
    assert_eq!(body["tokens_revoked"], 2, "{body}");
    assert_eq!(events_of_kind(&t, "user.deactivated").await, 1);
    assert_eq!(status_of(&t, &live).await, 401);
    let inbox = browser.get(t.url("/inkorg")).send().await.expect("inbox");
    assert_ne!(inbox.status(), 200);
    let c = crate::support::client();
    let csrf = t.csrf(&c, "/logga-in").await;
    let res = c
        .post(t.url("/logga-in"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", "advisor@x.se"),
            ("password", password.as_str()),
        ])
        .send()
        .await
        .expect("login");
    assert_ne!(res.status(), 303, "a deactivated user signed in");
    // A deactivated user is given no new token.
    assert!(
        app::auth::create_api_token(&t.app, "advisor@x.se")
            .await
            .is_err()
    );
    t.finish().await;
}
both!(tokens_expire_and_region_admins_revoke_and_deactivate);
