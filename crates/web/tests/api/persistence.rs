//! What was written survives a restart, and numbering continues.

use crate::both;
use crate::support::{Backend, settings, spawn, spawn_on};
use serde_json::Value;

async fn data_survives_a_restart(backend: Backend) {
    let t = spawn(backend).await;
    t.org("region-a", None).await;
    t.user("advisor@x.se", "region-a", "advisor").await;
    let token = t.token("advisor@x.se").await;
    let first = t.submit_ok("region-a", "Före omstarten").await;
    let res = t
        .act(
            &token,
            first["id"].as_str().unwrap(),
            serde_json::json!({ "action": "assign" }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let db = t.stop().await;

    let t = spawn_on(db, settings(100_000)).await;
    let list: Value = t
        .api_get(&token, "/api/v1/submissions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["title"], "Före omstarten");
    assert_eq!(list["items"][0]["status"], "in_review");
    let second = t.submit_ok("region-a", "Efter omstarten").await;
    let year = time::OffsetDateTime::now_utc().year();
    assert_eq!(second["reference"], format!("{year}/00002"));
    // The follow-up link from before the restart still works.
    let link = first["follow_up_url"].as_str().unwrap();
    let path = &link[link.find("/folj/").unwrap()..];
    let html = t
        .http
        .get(t.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Före omstarten") && html.contains("Under utredning"));
    t.finish().await;
}
both!(data_survives_a_restart);
