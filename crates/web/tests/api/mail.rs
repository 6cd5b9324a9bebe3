//! E-mail against a real SMTP server (aiosmtpd, started here; scripts/test.sh installs it):
//! the receipt and a rejection with its reason arrive with the right recipient, subject and
//! link; with the server down a mail stays queued and is sent when it is back; without a
//! server the administrators read it in the outbox; erasure takes it out.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use app::jobs::Runner;
use app::mail::{Sender, Smtp};
use domain::jobs::{JobState, MailState};
use serde_json::json;

use crate::both;
use crate::support::{Backend, TestApp, spawn, valid_submission};

/// The Python with aiosmtpd: `SLUSS_SMTP_SINK_PYTHON`, else where scripts/test.sh puts it.
pub(crate) fn sink_python() -> Option<String> {
    if let Ok(p) = std::env::var("SLUSS_SMTP_SINK_PYTHON")
        && !p.is_empty()
    {
        return Some(p);
    }
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    [
        "/var/cache/sluss-tools/aiosmtpd-1.4.6/bin/python".to_string(),
        format!("{root}/.tools/aiosmtpd-1.4.6/bin/python"),
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
    .or_else(|| {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("aiosmtpd is not installed: scripts/test.sh installs it; under CI the mail tests may not be skipped");
        }
        eprintln!("aiosmtpd is not installed (scripts/test.sh installs it): skipping a mail test");
        None
    })
}

/// A running SMTP server writing what it receives into a folder.
pub(crate) struct Sink {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Sink {
    pub(crate) fn start(python: &str, port: u16, dir: Option<PathBuf>) -> Sink {
        let dir = dir.unwrap_or_else(|| {
            let d = std::env::temp_dir().join(format!("sluss-smtp-{}", uuid::Uuid::now_v7()));
            std::fs::create_dir_all(&d).unwrap();
            d
        });
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/smtp_sink.py");
        let mut child = Command::new(python)
            .args([script, "--dir"])
            .arg(&dir)
            .args([
                "--port",
                &port.to_string(),
                "--user",
                "sluss",
                "--password",
                "hemligt lösen",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the SMTP sink");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the SMTP sink did not start: {line:?}"));
        Sink { child, dir, port }
    }

    pub(crate) fn url(&self) -> String {
        // Authentication, user and password URL-encoded as --smtp-url takes them.
        format!("smtp://sluss:hemligt%20l%C3%B6sen@127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The mails received so far, oldest first, with soft line breaks of quoted-printable
    /// undone.
    pub(crate) fn mails(&self) -> Vec<String> {
        let mut files: Vec<_> = std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| {
                std::fs::read_to_string(f)
                    .unwrap()
                    .replace("=\r\n", "")
                    .replace("=3D", "=")
            })
            .collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub(crate) fn runner(url: &str) -> Runner {
    let smtp = Smtp::new(url, "Sluss <sluss@region.example>").expect("smtp settings");
    Runner::new(vec![Arc::new(Sender {
        smtp,
        compose: Arc::new(web::mail::Mails),
    })])
}

async fn submit(t: &TestApp, lang: &str, email: &str, title: &str) -> serde_json::Value {
    let mut body = valid_submission("region-a", title);
    body["contact_email"] = email.into();
    let res = t
        .http
        .post(t.url("/api/v1/submissions"))
        .header("accept-language", lang)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

async fn mail_states(t: &TestApp) -> Vec<(String, String)> {
    let mut tx = t.app.db.read().await.unwrap();
    tx.fetch_all(store::sql(
        "SELECT o.state, j.state FROM outbox o JOIN jobs j ON j.subject_id = o.id ORDER BY o.created_at",
    ))
    .await
    .unwrap()
}

async fn receipt_and_rejection_arrive(backend: Backend) {
    let Some(python) = sink_python() else { return };
    let sink = Sink::start(&python, 0, None);
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.user("advisor@region.example", "region-a", "advisor")
        .await;
    let token = t.token("advisor@region.example").await;
    let receipt = submit(&t, "en", "eva@example.org", "Digital check-in").await;
    let reference = receipt["reference"].as_str().unwrap();
    let follow_up = receipt["follow_up_url"].as_str().unwrap();
    // Written with the event, waiting for the job.
    assert_eq!(
        mail_states(&t).await,
        vec![("queued".into(), "pending".into())]
    );
    // The address is in no event.
    let mut tx = t.app.db.read().await.unwrap();
    let (n,): (i64,) = tx
        .fetch_one(store::sql(
            "SELECT COUNT(*) FROM events WHERE payload LIKE '%eva@example.org%'",
        ))
        .await
        .unwrap();
    drop(tx);
    assert_eq!(n, 0);
    let runner = runner(&sink.url());
    assert_eq!(runner.run_due(&t.app).await.unwrap(), 1);
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert!(m.starts_with("X-Envelope-To: eva@example.org"), "{m}");
    assert!(m.contains("To: eva@example.org"), "{m}");
    assert!(m.contains("From: Sluss <sluss@region.example>"), "{m}");
    assert!(
        m.contains(&format!(
            "Subject: We have received your submission ({reference})"
        )),
        "{m}"
    );
    assert!(m.contains(follow_up), "the follow-up link: {m}");
    assert!(m.contains("text/plain") && m.contains("text/html"), "{m}");
    assert_eq!(mail_states(&t).await, vec![("sent".into(), "done".into())]);
    // The rejection, with its reason and the handler's words.
    let id = receipt["id"].as_str().unwrap();
    let res = t
        .act(&token, id, json!({ "action": "reject", "reason": "already_solved", "reason_text": "The clinic got self check-in in May." }))
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    assert_eq!(runner.run_due(&t.app).await.unwrap(), 1);
    let mails = sink.mails();
    assert_eq!(mails.len(), 2);
    let m = &mails[1];
    assert!(m.starts_with("X-Envelope-To: eva@example.org"), "{m}");
    assert!(
        m.contains(&format!("Subject: Decision on your submission {reference}")),
        "{m}"
    );
    assert!(
        m.contains("Reason: There is already a solution") || m.contains("Reason: "),
        "{m}"
    );
    assert!(m.contains("The clinic got self check-in in May."), "{m}");
    // A Swedish submission gets its mail in Swedish.
    submit(&t, "sv", "olle@example.org", "Digital incheckning").await;
    assert_eq!(runner.run_due(&t.app).await.unwrap(), 1);
    let m = &sink.mails()[2];
    assert!(m.starts_with("X-Envelope-To: olle@example.org"), "{m}");
    assert!(m.contains("Hej!"), "{m}");
    t.finish().await;
}
both!(receipt_and_rejection_arrive);

async fn a_mail_waits_while_the_server_is_down(backend: Backend) {
    let Some(python) = sink_python() else { return };
    let mut sink = Sink::start(&python, 0, None);
    let (port, dir) = (sink.port, sink.dir.clone());
    let url = sink.url();
    sink.stop();
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    submit(&t, "en", "eva@example.org", "Digital check-in").await;
    let runner = runner(&url);
    assert_eq!(runner.run_due(&t.app).await.unwrap(), 1);
    let mut tx = t.app.db.read().await.unwrap();
    let (state, attempts, error): (String, i64, Option<String>) = tx
        .fetch_one(store::sql("SELECT state, attempts, last_error FROM jobs"))
        .await
        .unwrap();
    drop(tx);
    assert_eq!((state.as_str(), attempts), (JobState::Pending.as_str(), 1));
    let error = error.unwrap_or_default();
    assert!(error.contains("SMTP"), "{error}");
    assert!(
        !error.contains("eva@example.org"),
        "no address in the error: {error}"
    );
    assert_eq!(mail_states(&t).await[0].0, MailState::Queued.as_str());
    // The server comes back; the retry falls due (brought forward here).
    let back = Sink::start(&python, port, Some(dir));
    let mut tx = t.app.db.write().await.unwrap();
    tx.execute(
        store::sql("UPDATE jobs SET run_at = ?").bind(domain::time::Timestamp::now().to_db()),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(runner.run_due(&t.app).await.unwrap(), 1);
    assert_eq!(back.mails().len(), 1);
    assert_eq!(mail_states(&t).await, vec![("sent".into(), "done".into())]);
    // Run again: nothing is sent twice.
    assert_eq!(runner.run_due(&t.app).await.unwrap(), 0);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(back.mails().len(), 1);
    t.finish().await;
}
both!(a_mail_waits_while_the_server_is_down);

async fn outbox_page(t: &TestApp, client: &reqwest::Client) -> String {
    let res = client.get(t.url("/admin/utkorg")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

async fn without_smtp_admins_read_the_outbox_and_erasure_empties_it(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("region-b", None).await;
    let pw = t.user("admin@region.example", "region-a", "admin").await;
    let pw_b = t.user("admin-b@region.example", "region-b", "admin").await;
    let receipt = submit(&t, "sv", "eva@example.org", "Digital incheckning").await;
    let reference = receipt["reference"].as_str().unwrap();
    let admin = t.browser_login("admin@region.example", &pw).await;
    let html = outbox_page(&t, &admin).await;
    assert!(html.contains("eva@example.org"), "{html}");
    assert!(html.contains(reference), "{html}");
    assert!(html.contains("väntar"), "queued: {html}");
    // Another region's administrator does not see it.
    let other = t.browser_login("admin-b@region.example", &pw_b).await;
    let html = outbox_page(&t, &other).await;
    assert!(!html.contains("eva@example.org"), "{html}");
    // The jobs page lists its send job as waiting, in its region only.
    let jobs = admin
        .get(t.url("/admin/jobb"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        jobs.contains("Väntar (1)") && jobs.contains("försök 0 av 15"),
        "{jobs}"
    );
    let jobs = other
        .get(t.url("/admin/jobb"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(jobs.contains("Väntar (0)"), "{jobs}");
    // Erasure of the person takes the mail out; its job then finds nothing to send.
    app::personal_data::erase(&t.app, &store::events::Actor::System, "eva@example.org")
        .await
        .unwrap();
    let html = outbox_page(&t, &admin).await;
    assert!(!html.contains("eva@example.org"), "{html}");
    assert!(mail_states(&t).await.is_empty());
    t.finish().await;
}
both!(without_smtp_admins_read_the_outbox_and_erasure_empties_it);

async fn decisions_queue_their_mails(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.org("unit-a", Some("region-a")).await;
    t.user("advisor@region.example", "region-a", "advisor")
        .await;
    let token = t.token("advisor@region.example").await;
    let accepted = submit(&t, "en", "eva@example.org", "Digital check-in").await;
    let forwarded = submit(&t, "en", "eva@example.org", "Parking signs").await;
    let quiet = {
        let mut body = valid_submission("region-a", "No address left");
        body.as_object_mut().unwrap().remove("contact_email");
        t.post_submission(&body)
            .await
            .json::<serde_json::Value>()
            .await
            .unwrap()
    };
    for (id, action) in [
        (&accepted, json!({ "action": "accept" })),
        (
            &forwarded,
            json!({ "action": "forward", "organisation": "unit-a" }),
        ),
        (&quiet, json!({ "action": "accept" })),
    ] {
        let res = t.act(&token, id["id"].as_str().unwrap(), action).await;
        assert_eq!(res.status(), 200, "{:?}", res.text().await);
    }
    let orgs: Vec<domain::id::OrgId> = t
        .app
        .tree()
        .await
        .unwrap()
        .all
        .iter()
        .map(|o| o.id.clone())
        .collect();
    let mut tx = t.app.db.read().await.unwrap();
    let page = store::outbox::of_orgs(&mut tx, &orgs, None, 50)
        .await
        .unwrap();
    drop(tx);
    let subjects: Vec<String> = page
        .iter()
        .map(|m| web::mail::compose(m).unwrap().subject)
        .collect();
    let (a, f) = (
        accepted["reference"].as_str().unwrap(),
        forwarded["reference"].as_str().unwrap(),
    );
    // Two receipts and two decisions; nothing for the one who left no address.
    assert_eq!(subjects.len(), 4, "{subjects:?}");
    assert!(
        subjects.contains(&format!(
            "Your submission {a} has been accepted for further work"
        )),
        "{subjects:?}"
    );
    assert!(
        subjects.contains(&format!("Your submission {f} has been forwarded")),
        "{subjects:?}"
    );
    let forward = page
        .iter()
        .find(|m| m.kind == domain::jobs::MailKind::Forwarded)
        .unwrap();
    assert!(
        web::mail::compose(forward)
            .unwrap()
            .text
            .contains("Org unit-a")
    );
    t.finish().await;
}
both!(decisions_queue_their_mails);
