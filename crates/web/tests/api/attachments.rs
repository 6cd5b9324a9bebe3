//! Attachments (issue 20 item 6), on both databases: a citizen's files on the intake, as
//! the page sends them (multipart, CSRF in the body); the download's headers and checksum;
//! what is refused (a program renamed .pdf, a file over the limit, too many files) with a
//! Swedish message at the field, the typed text kept and nothing written; who may fetch a
//! file; a case's files added and removed; erasure taking the files off the disk; and the
//! sweep of files left without their row.

use sha2::{Digest, Sha256};

use crate::both;
use crate::matrix::{MULTIPART, exe_bytes, multipart_body};
use crate::support::{Backend, TestApp, client, csrf_in, spawn};

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The intake's text fields, as typed.
fn intake_fields(title: &str) -> Vec<(String, String)> {
    [
        ("kind", "need"),
        ("title", title),
        (
            "description",
            "Patienter står i kö vid receptionen varje morgon trots bokad tid.",
        ),
        ("submitter_role", "patient"),
        ("organisation", "unit-a"),
        ("contact_name", "Anna Andersson"),
        ("contact_email", "anna@example.se"),
        ("consent", "on"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Posts the intake form with `files` as a visitor's browser does; the answer.
async fn post_intake(t: &TestApp, title: &str, files: &[(&str, &[u8])]) -> reqwest::Response {
    let c = client();
    let csrf = t.csrf(&c, "/lamna").await;
    c.post(t.url("/lamna"))
        .header("content-type", MULTIPART)
        .body(multipart_body(&csrf, &intake_fields(title), files))
        .send()
        .await
        .expect("post /lamna")
}

/// The files in the attachment directory.
pub(crate) fn files_on_disk(t: &TestApp) -> Vec<String> {
    match std::fs::read_dir(&t.app.config.attachments.dir) {
        Ok(d) => d
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

async fn attachment_rows(t: &TestApp) -> Vec<(String, String, String, String, i64)> {
    let mut tx = t.app.db.read().await.expect("read");
    tx.fetch_all(store::sql(
        "SELECT id, owner_id, file_name, sha256, size FROM attachments ORDER BY created_at",
    ))
    .await
    .expect("rows")
}

async fn setup(t: &TestApp) -> (String, reqwest::Client) {
    t.org("region-a", None).await;
    t.org("unit-a", Some("region-a")).await;
    t.org("region-b", None).await;
    let pw = t.user("advisor@a.se", "region-a", "advisor").await;
    t.user("advisor@b.se", "region-b", "advisor").await;
    let advisor = t.browser_login("advisor@a.se", &pw).await;
    (pw, advisor)
}

/// A Spelplanen case in unit A, opened through the API by the token's holder: its id.
async fn open_case(t: &TestApp, token: &str, title: &str) -> String {
    let template = t.template_id("spelplanen").await;
    let res = t
        .api_post(
            token,
            "/api/v1/cases",
            serde_json::json!({ "title": title, "description": "Underlag.", "unit": "unit-a", "template": template }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let case: serde_json::Value = res.json().await.unwrap();
    case["id"].as_str().unwrap().to_string()
}

async fn a_citizen_attaches_a_pdf_and_the_advisor_downloads_it(backend: Backend) {
    let t = spawn(backend).await;
    let (_, advisor) = setup(&t).await;
    let pdf = domain::attachment::tiny_pdf();
    let res = post_intake(&t, "Kö vid receptionen", &[("Förslag på flöde.pdf", &pdf)]).await;
    assert_eq!(res.status(), 303, "{:?}", res.text().await);
    let rows = attachment_rows(&t).await;
    assert_eq!(rows.len(), 1);
    let (id, submission, name, sha, size) = rows[0].clone();
    assert_eq!(name, "Förslag på flöde.pdf");
    assert_eq!(sha, hex(&pdf));
    assert_eq!(size, pdf.len() as i64);
    // On disk under its id only, never under the user's name.
    assert_eq!(files_on_disk(&t), vec![id.clone()]);

    // The advisor sees it on the submission and downloads it.
    let page = t.html(&advisor, &format!("/inkorg/{submission}")).await;
    assert!(
        page.contains(&format!("href=\"/bilagor/{id}\"")),
        "a link on the submission"
    );
    let res = advisor
        .get(t.url(&format!("/bilagor/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"F_rslag p_ fl_de.pdf\"; filename*=UTF-8''F%C3%B6rslag%20p%C3%A5%20fl%C3%B6de.pdf"
    );
    let body = res.bytes().await.unwrap();
    assert_eq!(hex(&body), sha, "the bytes are those stored");

    // The event of the upload names type and size, not the file's name.
    let mut tx = t.app.db.read().await.unwrap();
    let (payload,): (String,) = tx
        .fetch_one(store::sql(
            "SELECT payload FROM events WHERE kind = 'attachment.added'",
        ))
        .await
        .unwrap();
    drop(tx);
    assert!(payload.contains("application/pdf") && !payload.contains("Förslag"));

    // Anonymous is sent to sign in; another region's advisor is told it does not exist.
    let res = client()
        .get(t.url(&format!("/bilagor/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/logga-in")
    );
    let pw_b = t.user("reader@b.se", "region-b", "advisor").await;
    let b = t.browser_login("reader@b.se", &pw_b).await;
    let res = b
        .get(t.url(&format!("/bilagor/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Nor does the public page of the submission show the file.
    let follow = t.html(&client(), "/diarium").await;
    assert!(!follow.contains("/bilagor/"));
    t.finish().await;
}
both!(a_citizen_attaches_a_pdf_and_the_advisor_downloads_it);

async fn what_is_refused_is_said_at_the_field_and_nothing_is_written(backend: Backend) {
    let t = spawn(backend).await;
    setup(&t).await;
    let before = t.submission_count().await;
    let events = t.event_count().await;

    // A Windows program renamed .pdf: refused by its content.
    let exe = exe_bytes();
    let res = post_intake(&t, "Ett behov med fel fil", &[("faktura.pdf", &exe)]).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Filtypen är inte tillåten"),
        "the message at the field"
    );
    assert!(html.contains("id=\"e-files\""));
    assert!(
        html.contains("value=\"Ett behov med fel fil\""),
        "the typed title is kept"
    );
    assert!(
        html.contains("Välj dem igen"),
        "the files must be chosen again"
    );

    // A file over the limit (10 MB).
    let max = t.app.config.attachments.max_bytes as usize;
    let mut big = domain::attachment::tiny_pdf();
    big.resize(max + 1, b' ');
    let res = post_intake(&t, "Ett behov med stor fil", &[("stor.pdf", &big)]).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Filen är för stor. Den får vara högst 10 MB."),
        "{}",
        &html[..200]
    );

    // Four files where three are allowed.
    let pdf = domain::attachment::tiny_pdf();
    let four: Vec<(&str, &[u8])> = (0..4).map(|_| ("a.pdf", pdf.as_slice())).collect();
    let res = post_intake(&t, "Ett behov med många filer", &four).await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("För många filer. Du kan bifoga högst 3.")
    );

    // A refused file with other fields wrong too: every error is shown at once.
    let c = client();
    let csrf = t.csrf(&c, "/lamna").await;
    let mut fields = intake_fields("x");
    fields.retain(|(k, _)| k != "kind");
    let res = c
        .post(t.url("/lamna"))
        .header("content-type", MULTIPART)
        .body(multipart_body(&csrf, &fields, &[("faktura.pdf", &exe)]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"e-files\"") && html.contains("id=\"e-title\""));

    // Nothing half-written: no submission, no row, no event, no file.
    assert_eq!(t.submission_count().await, before);
    assert_eq!(t.event_count().await, events);
    assert!(attachment_rows(&t).await.is_empty());
    assert!(files_on_disk(&t).is_empty(), "{:?}", files_on_disk(&t));

    // A multipart post without the CSRF token is refused before anything is read.
    let res = client()
        .post(t.url("/lamna"))
        .header("content-type", MULTIPART)
        .body(multipart_body(
            "",
            &intake_fields("Utan token"),
            &[("a.pdf", &pdf)],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // A body over the route's limit is refused whole.
    let huge = vec![b'a'; t.app.config.attachments.body_limit(3) + 1];
    let res = post_intake(&t, "För stor", &[("huge.pdf", &huge)]).await;
    assert_eq!(res.status(), 413);
    // Another form keeps its small limit (256 KiB).
    let c = client();
    let csrf = t.csrf(&c, "/logga-in").await;
    let res = c
        .post(t.url("/logga-in"))
        .header("content-type", MULTIPART)
        .body(multipart_body(
            &csrf,
            &[],
            &[("a.pdf", &vec![b'a'; 300 * 1024])],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(t.submission_count().await, before);
    t.finish().await;
}
both!(what_is_refused_is_said_at_the_field_and_nothing_is_written);

async fn erasure_takes_the_files_off_the_disk(backend: Backend) {
    let t = spawn(backend).await;
    let (_, advisor) = setup(&t).await;
    let pdf = domain::attachment::tiny_pdf();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0".to_vec();
    assert_eq!(
        post_intake(&t, "Med två filer", &[("a.pdf", &pdf), ("b.png", &png)])
            .await
            .status(),
        303
    );
    assert_eq!(
        post_intake(&t, "Med en fil", &[("c.pdf", &pdf)])
            .await
            .status(),
        303
    );
    let rows = attachment_rows(&t).await;
    assert_eq!(rows.len(), 3);
    assert_eq!(files_on_disk(&t).len(), 3);
    let first = rows[0].1.clone();
    assert_eq!(rows[1].1, first);

    // The handler erases the contact details of the first: its two files go with them.
    let page = t.html(&advisor, &format!("/inkorg/{first}")).await;
    let csrf = csrf_in(&page).unwrap();
    let res = advisor
        .post(t.url(&format!("/inkorg/{first}/radera-kontakt")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let left = attachment_rows(&t).await;
    assert_eq!(left.len(), 1);
    assert_ne!(left[0].1, first);
    let mut tx = t.app.db.read().await.unwrap();
    let (with_contact,): (i64,) = tx
        .fetch_one(store::sql(
            "SELECT COUNT(*) FROM submissions WHERE contact_email IS NOT NULL",
        ))
        .await
        .unwrap();
    drop(tx);
    assert_eq!(with_contact, 1, "the first's contact details are gone");
    assert_eq!(files_on_disk(&t), vec![left[0].0.clone()]);
    let res = advisor
        .get(t.url(&format!("/bilagor/{}", rows[0].0)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // Erasure by address (the submitter's right) takes the other.
    let n = app::personal_data::erase(&t.app, &store::events::Actor::System, "anna@example.se")
        .await
        .unwrap();
    assert_eq!(n, 1, "the second submission");
    assert!(attachment_rows(&t).await.is_empty());
    assert!(files_on_disk(&t).is_empty());
    t.finish().await;
}
both!(erasure_takes_the_files_off_the_disk);

async fn a_case_worker_adds_and_removes_files_and_a_challenge_shows_its_public_ones(
    backend: Backend,
) {
    let t = spawn(backend).await;
    let (_, advisor) = setup(&t).await;
    let token = t.token("advisor@a.se").await;
    let case = open_case(&t, &token, "Digital incheckning").await;
    let page = t.html(&advisor, &format!("/arenden/{case}")).await;
    assert!(page.contains("enctype=\"multipart/form-data\""));
    let csrf = csrf_in(&page).unwrap();
    let pdf = domain::attachment::tiny_pdf();
    let res = advisor
        .post(t.url(&format!("/arenden/{case}/bilagor")))
        .header("content-type", MULTIPART)
        .body(multipart_body(&csrf, &[], &[("Utredning.pdf", &pdf)]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .contains("klart=attached")
    );
    let rows = attachment_rows(&t).await;
    assert_eq!(rows.len(), 1);
    let id = rows[0].0.clone();
    // A program is refused at the field of the case page.
    let res = advisor
        .post(t.url(&format!("/arenden/{case}/bilagor")))
        .header("content-type", MULTIPART)
        .body(multipart_body(&csrf, &[], &[("x.pdf", &exe_bytes())]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"e-bilagor-files\"") && html.contains("Filtypen är inte tillåten"));
    // Removed: row and file.
    let res = advisor
        .post(t.url(&format!("/arenden/{case}/bilagor/ta-bort")))
        .form(&[("_csrf", csrf.as_str()), ("attachment", id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(attachment_rows(&t).await.is_empty());
    assert!(files_on_disk(&t).is_empty());

    // A workshop: an internal file is for its facilitators, a public one for anyone.
    let res = t
        .api_post(
            &token,
            "/api/v1/campaigns",
            serde_json::json!({ "title": "Workshop", "question": "Vad behöver vi?", "mode": "workshop", "organisation": "unit-a" }),
        )
        .await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let w: serde_json::Value = res.json().await.unwrap();
    let code = w["code"].as_str().unwrap().to_string();
    for (name, public) in [("intern.pdf", None), ("offentlig.pdf", Some("on"))] {
        let mut fields = Vec::new();
        if let Some(p) = public {
            fields.push(("public".to_string(), p.to_string()));
        }
        let res = advisor
            .post(t.url(&format!("/workshop/{code}/bilagor")))
            .header("content-type", MULTIPART)
            .body(multipart_body(&csrf, &fields, &[(name, &pdf)]))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{name}");
    }
    let rows = attachment_rows(&t).await;
    let id_of = |n: &str| rows.iter().find(|r| r.2 == n).unwrap().0.clone();
    let anon = client();
    let res = anon
        .get(t.url(&format!("/bilagor/{}", id_of("offentlig.pdf"))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = anon
        .get(t.url(&format!("/bilagor/{}", id_of("intern.pdf"))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "anonymous is asked to sign in");
    // A participant sees the public file only.
    let csrf = t.csrf(&anon, "/workshop").await;
    let res = anon
        .post(t.url("/workshop"))
        .form(&[("_csrf", csrf.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let page = t.html(&anon, &format!("/workshop/{code}")).await;
    assert!(page.contains("offentlig.pdf") && !page.contains("intern.pdf"));
    t.finish().await;
}
both!(a_case_worker_adds_and_removes_files_and_a_challenge_shows_its_public_ones);

async fn a_file_without_its_row_is_swept(backend: Backend) {
    let t = spawn(backend).await;
    setup(&t).await;
    let pdf = domain::attachment::tiny_pdf();
    assert_eq!(
        post_intake(&t, "Med en fil", &[("a.pdf", &pdf)])
            .await
            .status(),
        303
    );
    let dir = t.app.config.attachments.dir.clone();
    // What a crash between the rename and the commit leaves, and a half-written file.
    std::fs::write(dir.join("0190b0a2-0000-7000-8000-000000000000"), b"orphan").unwrap();
    std::fs::write(
        dir.join("0190b0a2-0000-7000-8000-000000000001.part"),
        b"half",
    )
    .unwrap();
    assert_eq!(files_on_disk(&t).len(), 3);
    // Young files are left to a write that may be under way.
    let n = app::attachments::sweep(&t.app, std::time::Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(n, 0);
    let n = app::attachments::sweep(&t.app, std::time::Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(n, 2);
    let rows = attachment_rows(&t).await;
    assert_eq!(files_on_disk(&t), vec![rows[0].0.clone()]);
    // The daily retention run sweeps too: an orphan older than an hour goes, a young one
    // and the file with its row stay.
    let old = dir.join("0190b0a2-0000-7000-8000-000000000002");
    std::fs::write(&old, b"orphan").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(7200))
        .unwrap();
    let young = dir.join("0190b0a2-0000-7000-8000-000000000003");
    std::fs::write(&young, b"orphan").unwrap();
    app::retention::apply(&t.app, None, &domain::time::Timestamp::now())
        .await
        .unwrap();
    let mut left = files_on_disk(&t);
    left.sort();
    let mut expected = vec![
        rows[0].0.clone(),
        "0190b0a2-0000-7000-8000-000000000003".to_string(),
    ];
    expected.sort();
    assert_eq!(left, expected);
    t.finish().await;
}
both!(a_file_without_its_row_is_swept);

/// Two uploads to one case at the same moment each passed the count read before they
/// wrote; under the case's lock the second counts the first's files and is refused, so a
/// case never holds more than its 20 files, and the refused upload's files leave the disk.
async fn two_uploads_at_once_cannot_pass_the_limit_together(backend: Backend) {
    let t = spawn(backend).await;
    let (pw, _) = setup(&t).await;
    let token = t.token("advisor@a.se").await;
    let case = domain::id::CaseId::from(open_case(&t, &token, "Många filer").await);
    let session = app::auth::login(&t.app, "advisor@a.se", &pw).await.unwrap();
    let caller = app::auth::caller_for_session(&t.app, &session)
        .await
        .unwrap();
    let files = |n: usize, name: &str| -> Vec<domain::attachment::Upload> {
        (0..n)
            .map(|i| domain::attachment::Upload {
                file_name: format!("{name}-{i}.pdf"),
                bytes: domain::attachment::tiny_pdf(),
            })
            .collect()
    };
    let max = domain::attachment::OwnerKind::Case.max_files();
    app::cases::add_attachments(&t.app, &caller, &case, &files(max - 3, "först"))
        .await
        .unwrap();
    // Two uploads of two: either fits alone, both together do not.
    let (a, b) = (files(2, "a"), files(2, "b"));
    let (ra, rb) = tokio::join!(
        app::cases::add_attachments(&t.app, &caller, &case, &a),
        app::cases::add_attachments(&t.app, &caller, &case, &b),
    );
    let refused: Vec<_> = [ra, rb].into_iter().filter_map(Result::err).collect();
    assert_eq!(refused.len(), 1, "exactly one of the two is refused");
    match &refused[0] {
        app::AppError::Validation(e) => assert!(
            matches!(e.0[0].code, domain::ErrorCode::TooManyFiles { .. })
                && e.0[0].field == "files",
            "{e:?}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(attachment_rows(&t).await.len(), max - 1);
    assert_eq!(files_on_disk(&t).len(), max - 1);
    t.finish().await;
}
both!(two_uploads_at_once_cannot_pass_the_limit_together);
