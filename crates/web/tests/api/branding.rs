//! The installation's own name and logo: in the header, in every page title, and the logo
//! served from one address with caching (Sluss's own mark when none is configured).

use crate::both;
use crate::support::{Backend, TestDb, settings, spawn, spawn_on};

async fn get(t: &crate::support::TestApp, path: &str) -> reqwest::Response {
    t.http.get(t.url(path)).send().await.expect("get")
}

async fn the_organisation_s_name_and_logo_are_shown(backend: Backend) {
    let mut s = settings(100_000);
    s.org_name = "Region Kalmar län".into();
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4" fill="#7a1f3d"/></svg>"##;
    s.logo = Some(web::Logo::from_bytes(svg.to_vec()).expect("an SVG"));
    let t = spawn_on(TestDb::new(backend).await, s).await;
    let home = get(&t, "/").await.text().await.expect("body");
    assert!(
        home.contains("<title>Start – Sluss – Region Kalmar län</title>"),
        "{home}"
    );
    assert!(home.contains(r#"<span class="brand-name">Region Kalmar län</span>"#));
    assert!(home.contains(r#"src="/static/logo""#));
    let logo = get(&t, "/static/logo").await;
    assert_eq!(logo.status(), 200);
    assert_eq!(logo.headers()["content-type"], "image/svg+xml");
    assert!(
        logo.headers()["cache-control"]
            .to_str()
            .expect("ascii")
            .contains("max-age")
    );
    assert_eq!(&logo.bytes().await.expect("bytes")[..], &svg[..]);
    t.finish().await;
}
both!(the_organisation_s_name_and_logo_are_shown);

async fn without_configuration_sluss_shows_its_own_name_and_mark(backend: Backend) {
    let t = spawn(backend).await;
    let home = get(&t, "/").await.text().await.expect("body");
    assert!(home.contains("<title>Start – Sluss</title>"), "{home}");
    let logo = get(&t, "/static/logo").await;
    assert_eq!(logo.headers()["content-type"], "image/svg+xml");
    let own = get(&t, "/static/sluss.svg")
        .await
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(logo.bytes().await.expect("bytes"), own);
    t.finish().await;
}
both!(without_configuration_sluss_shows_its_own_name_and_mark);

/// The menu works without JavaScript: one disclosure holding the one list of sections, each
/// link once, with the facilitator's projector view reachable from its screen.
async fn the_menu_is_one_disclosure_with_each_section_once(backend: Backend) {
    let t = spawn(backend).await;
    let html = get(&t, "/lamna").await.text().await.expect("body");
    assert_eq!(html.matches(r#"<details class="menu">"#).count(), 1);
    assert_eq!(html.matches(r#"<summary class="menu-button">"#).count(), 1);
    for section in ["/lamna", "/fragor", "/workshop", "/diarium", "/logga-in"] {
        assert_eq!(
            html.matches(&format!(r#"<a href="{section}""#)).count(),
            1,
            "{section} once in the menu"
        );
    }
    assert!(html.contains(r#"<a href="/lamna" aria-current="page">"#));
    t.finish().await;
}
both!(the_menu_is_one_disclosure_with_each_section_once);
