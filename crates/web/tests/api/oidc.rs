//! Sign-in through OpenID Connect against a real provider: oidc-provider from npm (pinned
//! in e2e/package.json, installed by `npm ci` there), started here through
//! scripts/oidc_provider.mjs with a client registered for this server's redirect URI and
//! PKCE required. A cookie-keeping client goes the whole way: Sluss → the provider (which
//! signs in the person named by `login_hint`) → back to Sluss's callback. Under CI a
//! missing node or package fails the test; elsewhere it is skipped with the reason.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use app::oidc::{Oidc, RoleMap, Settings};
use serde_json::{Value, json};

use crate::both;
use crate::support::{Backend, TestApp, TestDb, client, settings, spawn_configured};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// Whether node and oidc-provider are there; under CI their absence is a failure.
fn provider_available() -> bool {
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let package = std::path::Path::new(ROOT)
        .join("e2e/node_modules/oidc-provider/package.json")
        .exists();
    if node && package {
        return true;
    }
    let reason = if node {
        "oidc-provider is not installed (run `npm ci` in e2e/)"
    } else {
        "node is not on PATH"
    };
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{reason}: under CI the OpenID Connect tests may not be skipped");
    }
    eprintln!("{reason}: skipping an OpenID Connect test");
    false
}

/// A running oidc-provider; the people it knows are in a JSON file the test may rewrite.
struct Provider {
    child: Child,
    /// Kept open: the provider may write more after the issuer.
    _out: BufReader<std::process::ChildStdout>,
    issuer: String,
    accounts: PathBuf,
}

impl Provider {
    fn start(redirect: &str, people: &Value, claims_in_userinfo: bool) -> Provider {
        let accounts =
            std::env::temp_dir().join(format!("sluss-oidc-{}.json", uuid::Uuid::now_v7()));
        std::fs::write(&accounts, people.to_string()).unwrap();
        let mut child = Command::new("node")
            .arg(format!("{ROOT}/scripts/oidc_provider.mjs"))
            .args(["--redirect", redirect])
            .args(["--client-id", "sluss-test"])
            .args(["--client-secret", "test-client-secret-0123456789"])
            .arg("--accounts")
            .arg(&accounts)
            .args(claims_in_userinfo.then_some("--claims-in-userinfo"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the OpenID Connect provider");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut issuer = None;
        for _ in 0..20 {
            let mut line = String::new();
            if out.read_line(&mut line).unwrap() == 0 {
                break;
            }
            if let Some(i) = line.trim().strip_prefix("ISSUER ") {
                issuer = Some(i.to_string());
                break;
            }
        }
        let issuer = issuer.expect("the OpenID Connect provider did not start");
        Provider {
            child,
            _out: out,
            issuer,
            accounts,
        }
    }

    fn set_people(&self, people: &Value) {
        std::fs::write(&self.accounts, people.to_string()).unwrap();
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.accounts);
    }
}

const ROLE_MAP: &str = r#"
[[map]]
group = "sluss-handlaggare"
org = "region-a"
role = "advisor"
"#;

/// Sluss with the provider configured (the role map gives advisors of region A), and the
/// provider knowing `people`.
async fn spawn_with_provider(
    backend: Backend,
    people: &Value,
    local_passwords: bool,
) -> (TestApp, Provider) {
    spawn_with(backend, people, local_passwords, false).await
}

/// As [`spawn_with_provider`], the provider putting the claims in the ID token or (with
/// `claims_in_userinfo`) at its userinfo endpoint only.
async fn spawn_with(
    backend: Backend,
    people: &Value,
    local_passwords: bool,
    claims_in_userinfo: bool,
) -> (TestApp, Provider) {
    let mut provider = None;
    let t = spawn_configured(
        TestDb::new(backend).await,
        settings(100_000),
        |base, config| {
            let p = Provider::start(
                &format!("{base}/logga-in/oidc/klar"),
                people,
                claims_in_userinfo,
            );
            let oidc = Oidc::new(Settings {
                issuer: p.issuer.clone(),
                client_id: "sluss-test".into(),
                client_secret: "test-client-secret-0123456789".into(),
                name: "Testregionens inloggning".into(),
                email_claim: "email".into(),
                groups_claim: "groups".into(),
                role_map: RoleMap::parse(ROLE_MAP).unwrap(),
            })
            .unwrap();
            config.oidc = Some(Arc::new(oidc));
            config.local_passwords = local_passwords;
            provider = Some(p);
        },
    )
    .await;
    t.org("region-a", None).await;
    (t, provider.unwrap())
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .unwrap_or_else(|| panic!("a redirect expected, got {}", res.status()))
        .to_str()
        .unwrap()
        .to_string()
}

/// Starts a sign-in at Sluss: the provider's address, with `login_hint` naming who signs in.
async fn to_provider(t: &TestApp, c: &reqwest::Client, login: &str, next: &str) -> String {
    let res = c
        .get(t.url(&format!("/logga-in/oidc?next={next}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let url = location(&res);
    assert!(
        url.contains("code_challenge=") && url.contains("code_challenge_method=S256"),
        "PKCE is used: {url}"
    );
    format!("{url}&login_hint={login}")
}

/// Follows the provider's redirects until it sends the person back to Sluss: that address.
async fn through_provider(t: &TestApp, c: &reqwest::Client, mut url: String) -> String {
    for _ in 0..10 {
        let res = c.get(&url).send().await.unwrap();
        assert!(
            res.status().is_redirection(),
            "the provider answered {} at {url}: {}",
            res.status(),
            res.text().await.unwrap()
        );
        let next = url::Url::parse(&url)
            .unwrap()
            .join(&location(&res))
            .unwrap()
            .to_string();
        if next.starts_with(&t.base) {
            return next;
        }
        url = next;
    }
    panic!("the provider did not send the person back");
}

/// Signs `login` in through the provider with a client of its own: Sluss's answer to the
/// callback, and the client (with the session cookie when it worked).
async fn sign_in(t: &TestApp, login: &str, next: &str) -> (reqwest::Response, reqwest::Client) {
    let c = client();
    let url = to_provider(t, &c, login, next).await;
    let back = through_provider(t, &c, url).await;
    (c.get(&back).send().await.unwrap(), c)
}

async fn count(t: &TestApp, q: &str, arg: &str) -> i64 {
    t.count(q, vec![arg.into()]).await
}

async fn user_id(t: &TestApp, email: &str) -> Option<String> {
    let mut tx = t.app.db.read().await.unwrap();
    store::users::by_email(&mut tx, email)
        .await
        .unwrap()
        .map(|u| u.id.as_str().to_string())
}

fn person(email: &str, verified: bool, groups: &[&str]) -> Value {
    json!({ "email": email, "email_verified": verified, "name": "Test Person", "groups": groups })
}

/// Sign in → an account is made with the mapped role and reaches what an advisor reaches;
/// the second sign-in finds the same account; an existing account with the same verified
/// address is linked, not doubled; roles follow the groups at each sign-in; a person with
/// no mapped group is not let in (and gets no account); a deactivated account is refused.
async fn oidc_sign_in_makes_and_finds_the_account(backend: Backend) {
    if !provider_available() {
        return;
    }
    let mut people = json!({
        "alice": person("alice@region.example", true, &["sluss-handlaggare", "annat"]),
        "bob": person("bob@region.example", true, &["annat"]),
        "carol": person("carol@region.example", true, &["sluss-handlaggare"]),
    });
    let (t, provider) = spawn_with_provider(backend, &people, true).await;

    // The sign-in page offers the provider, keeping where to go after.
    let page = client()
        .get(t.url("/logga-in?next=/inkorg"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Logga in med Testregionens inloggning"),
        "{page}"
    );
    assert!(
        page.contains("href=\"/logga-in/oidc?next=%2Finkorg\""),
        "{page}"
    );
    assert!(page.contains("name=\"password\""), "local passwords are on");

    // First sign-in: the account is made with the mapped role, and `next` is respected.
    let (res, c) = sign_in(&t, "alice", "/inkorg").await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(location(&res), "/inkorg");
    let inbox = c.get(t.url("/inkorg")).send().await.unwrap();
    assert_eq!(inbox.status(), 200, "an advisor reaches the inbox");
    let alice = user_id(&t, "alice@region.example")
        .await
        .expect("an account");
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM memberships WHERE user_id = ? AND role = 'advisor'",
            &alice
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM user_identities WHERE user_id = ?",
            &alice
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM events WHERE subject_id = ? AND kind = 'user.role_granted'",
            &alice
        )
        .await,
        1
    );
    // No password of its own: the account cannot sign in with one.
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM users WHERE id = ? AND password_hash = ''",
            &alice
        )
        .await,
        1
    );

    // Second sign-in (a new browser): the same account, nothing granted twice.
    let (res, c) = sign_in(&t, "alice", "/").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/mitt-arbete");
    assert_eq!(c.get(t.url("/inkorg")).send().await.unwrap().status(), 200);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM users WHERE email = ?",
            "alice@region.example"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM events WHERE subject_id = ? AND kind = 'user.role_granted'",
            &alice
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM events WHERE subject_id = ? AND kind = 'user.signed_in'",
            &alice
        )
        .await,
        2
    );

    // A person none of whose groups is mapped: a clear refusal, and no account.
    let (res, _) = sign_in(&t, "bob", "/").await;
    assert_eq!(res.status(), 403);
    let html = res.text().await.unwrap();
    assert!(html.contains("Du har ingen roll i Sluss"), "{html}");
    assert!(html.contains("href=\"/logga-in\""), "a way back: {html}");
    assert!(user_id(&t, "bob@region.example").await.is_none());

    // An account made by an administrator with the same (verified) address is linked.
    t.user("carol@region.example", "region-a", "staff").await;
    let carol = user_id(&t, "carol@region.example").await.unwrap();
    let (res, c) = sign_in(&t, "carol", "/").await;
    assert_eq!(res.status(), 303);
    assert_eq!(user_id(&t, "carol@region.example").await.unwrap(), carol);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM user_identities WHERE user_id = ?",
            &carol
        )
        .await,
        1
    );
    assert_eq!(c.get(t.url("/inkorg")).send().await.unwrap().status(), 200);

    // Alice leaves the group: her mapped role goes at the next sign-in, and she is not let
    // in; carol's role given by hand (staff) stays when she signs in again.
    people["alice"] = person("alice@region.example", true, &["annat"]);
    provider.set_people(&people);
    let (res, _) = sign_in(&t, "alice", "/").await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM memberships WHERE user_id = ?",
            &alice
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM events WHERE subject_id = ? AND kind = 'user.role_removed'",
            &alice
        )
        .await,
        1
    );
    let (res, _) = sign_in(&t, "carol", "/").await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM memberships WHERE user_id = ? AND role = 'staff'",
            &carol
        )
        .await,
        1
    );

    // A deactivated account is refused.
    app::accounts::deactivate_by_email(&t.app, "carol@region.example")
        .await
        .unwrap();
    let (res, _) = sign_in(&t, "carol", "/").await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("Ditt konto är avstängt"));
    t.finish().await;
}
both!(oidc_sign_in_makes_and_finds_the_account);

/// The callback with a made-up, missing, used or expired state: a clear message with a way
/// back to sign in (400), and nobody signed in.
async fn oidc_wrong_state_is_refused(backend: Backend) {
    if !provider_available() {
        return;
    }
    let people = json!({ "alice": person("alice@region.example", true, &["sluss-handlaggare"]) });
    let (t, _provider) = spawn_with_provider(backend, &people, true).await;
    let refused = |html: &str| {
        html.contains("Inloggningen kunde inte slutföras") && html.contains("href=\"/logga-in\"")
    };
    for path in [
        "/logga-in/oidc/klar?state=hittepa&code=nagot",
        "/logga-in/oidc/klar?code=nagot",
        "/logga-in/oidc/klar",
    ] {
        let res = client().get(t.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 400, "{path}");
        assert!(refused(&res.text().await.unwrap()), "{path}");
    }

    // A state used once is not used again, even with its code.
    let c = client();
    let url = to_provider(&t, &c, "alice", "/").await;
    let back = through_provider(&t, &c, url).await;
    assert_eq!(c.get(&back).send().await.unwrap().status(), 303);
    let again = client().get(&back).send().await.unwrap();
    assert_eq!(again.status(), 400);
    assert!(refused(&again.text().await.unwrap()));

    // A state whose time ran out.
    let c = client();
    let url = to_provider(&t, &c, "alice", "/").await;
    let back = through_provider(&t, &c, url).await;
    {
        let mut tx = t.app.db.write().await.unwrap();
        tx.execute(store::Sql::dynamic(
            "UPDATE oidc_logins SET expires_at = ?".to_string(),
            vec![
                domain::time::Timestamp::now()
                    .plus_seconds(-1)
                    .to_db()
                    .as_str()
                    .into(),
            ],
        ))
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let res = c.get(&back).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(refused(&res.text().await.unwrap()));
    assert_eq!(
        c.get(t.url("/konto")).send().await.unwrap().status(),
        303,
        "not signed in"
    );

    // The provider saying no (the person cancelled) is its own message.
    let c = client();
    let url = to_provider(&t, &c, "alice", "/").await;
    let state = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let res = c
        .get(t.url(&format!(
            "/logga-in/oidc/klar?error=access_denied&state={state}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Inloggningstjänsten avbröt")
    );
    t.finish().await;
}
both!(oidc_wrong_state_is_refused);

/// With local passwords off the sign-in page offers only the provider, and the password
/// form, reset and change are refused; signing in through the provider works.
async fn local_passwords_off_refuses_the_password_form(backend: Backend) {
    if !provider_available() {
        return;
    }
    let people = json!({ "alice": person("alice@region.example", true, &["sluss-handlaggare"]) });
    let (t, _provider) = spawn_with_provider(backend, &people, false).await;
    // The command line still adds accounts with a password (the first administrator).
    let password = t.user("anna@region.example", "region-a", "admin").await;
    let page = client()
        .get(t.url("/logga-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Logga in med Testregionens inloggning"));
    assert!(
        !page.contains("name=\"password\""),
        "no password form: {page}"
    );
    assert!(!page.contains("/logga-in/glomt"), "no reset link");

    let c = client();
    // The sign-in page has no form now; the intake's carries the same CSRF token.
    let csrf = t.csrf(&c, "/lamna").await;
    let res = c
        .post(t.url("/logga-in"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", "anna@region.example"),
            ("password", password.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "the right password is refused too");
    assert_eq!(c.get(t.url("/konto")).send().await.unwrap().status(), 303);

    assert_eq!(
        client()
            .get(t.url("/logga-in/glomt"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let res = c
        .post(t.url("/logga-in/glomt"))
        .form(&[("_csrf", csrf.as_str()), ("email", "anna@region.example")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM password_resets WHERE user_id <> ?",
            ""
        )
        .await,
        0
    );

    let (res, c) = sign_in(&t, "alice", "/").await;
    assert_eq!(res.status(), 303);
    assert_eq!(c.get(t.url("/inkorg")).send().await.unwrap().status(), 200);
    // Mitt konto offers no password to change; the notification choices stay.
    let account = c.get(t.url("/konto")).send().await.unwrap();
    assert_eq!(account.status(), 200);
    let account = account.text().await.unwrap();
    assert!(!account.contains("/konto/losenord"), "{account}");
    assert!(account.contains("/konto/aviseringar"), "{account}");
    t.finish().await;
}
both!(local_passwords_off_refuses_the_password_form);

/// A provider that puts only `sub` in the ID token (the code flow's default in many): the
/// address, name and groups are read at its userinfo endpoint, so the account is made with
/// the mapped role; without a mapped group there either, nobody is let in.
async fn oidc_claims_missing_from_the_id_token_are_read_at_userinfo(backend: Backend) {
    if !provider_available() {
        return;
    }
    let people = json!({
        "alice": person("alice@region.example", true, &["sluss-handlaggare"]),
        "bob": person("bob@region.example", true, &["annat"]),
    });
    let (t, _provider) = spawn_with(backend, &people, true, true).await;
    let (res, c) = sign_in(&t, "alice", "/inkorg").await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(location(&res), "/inkorg");
    let id = user_id(&t, "alice@region.example")
        .await
        .expect("the account is made from the userinfo claims");
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM memberships WHERE user_id = ? AND role = 'advisor'",
            &id
        )
        .await,
        1
    );
    let (name,): (String,) = {
        let mut tx = t.app.db.read().await.unwrap();
        tx.fetch_one(store::sql("SELECT name FROM users WHERE id = ?").bind(id.as_str()))
            .await
            .unwrap()
    };
    assert_eq!(name, "Test Person");
    assert_eq!(
        c.get(t.url("/inkorg")).send().await.unwrap().status(),
        200,
        "signed in"
    );
    let (res, _) = sign_in(&t, "bob", "/").await;
    assert_eq!(res.status(), 403, "no mapped group at userinfo either");
    assert!(user_id(&t, "bob@region.example").await.is_none());
    t.finish().await;
}
both!(oidc_claims_missing_from_the_id_token_are_read_at_userinfo);
