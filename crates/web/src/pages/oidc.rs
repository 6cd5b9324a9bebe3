//! Sign-in through the installation's identity provider (OpenID Connect): the button's
//! target sends the person to the provider, and the provider sends them back to the
//! callback, which signs them in or says plainly why not, with a way back to sign in.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::error::{Failing, PageResult};
use super::login::signed_in;
use super::{render_status, safe_next, see_other};
use crate::AppState;
use crate::ctx::Ctx;
use crate::security::ClientIp;
use app::oidc::{Callback, Refusal};

#[derive(Template)]
#[template(path = "oidc_refused.html")]
struct RefusedPage<'a> {
    ctx: &'a Ctx,
    message: &'a str,
}

/// The first value of each parameter of a query string (a parameter sent twice is not a
/// reason to fail, and the first is what a browser following a link sends).
fn params(query: Option<&str>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if !out.iter().any(|(seen, _)| *seen == k) {
            out.push((k.into_owned(), v.into_owned()));
        }
    }
    out
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The status a refusal is answered with: the request's fault (400), the provider's
/// absence (502), or the person not let in (403).
fn status(refusal: Refusal) -> StatusCode {
    match refusal {
        Refusal::State | Refusal::Provider | Refusal::Unverified => StatusCode::BAD_REQUEST,
        Refusal::Unreachable => StatusCode::BAD_GATEWAY,
        Refusal::NoEmail
        | Refusal::EmailUnverified
        | Refusal::NoMappedGroup
        | Refusal::Deactivated => StatusCode::FORBIDDEN,
    }
}

fn refused(ctx: &Ctx, refusal: Refusal) -> Response {
    let key = format!("oidc.refused.{}", refusal.key());
    render_status(
        status(refusal),
        &RefusedPage {
            ctx,
            message: ctx.t.t(&key),
        },
    )
}

/// `GET /logga-in/oidc?next=…`: to the identity provider.
pub async fn start(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    RawQuery(query): RawQuery,
) -> PageResult {
    if !state.sign_in_limiter.allow(ip) {
        return Ok(ctx.too_many());
    }
    let params = params(query.as_deref());
    let next = safe_next(param(&params, "next"));
    match app::oidc::begin(&state.app, &next).await.or_page(&ctx)? {
        Ok(url) => Ok(see_other(&url)),
        Err(refusal) => Ok(refused(&ctx, refusal)),
    }
}

/// `GET /logga-in/oidc/klar?state=…&code=…`: back from the identity provider.
pub async fn callback(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    RawQuery(query): RawQuery,
) -> PageResult {
    if !state.sign_in_limiter.allow(ip) {
        return Ok(ctx.too_many());
    }
    let params = params(query.as_deref());
    let back = Callback {
        state: param(&params, "state"),
        code: param(&params, "code"),
        error: param(&params, "error"),
    };
    match app::oidc::finish(&state.app, back).await.or_page(&ctx)? {
        Ok(done) => Ok(signed_in(&state, &safe_next(Some(&done.next)), &done.token)),
        Err(refusal) => Ok(refused(&ctx, refusal)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, Tr};

    #[test]
    fn every_refusal_has_its_message_in_both_languages() {
        for lang in [Lang::Sv, Lang::En] {
            let tr = Tr::new(lang);
            for refusal in Refusal::ALL {
                let key = format!("oidc.refused.{}", refusal.key());
                assert!(tr.has(&key), "{key} in {lang:?}");
            }
        }
    }

    #[test]
    fn a_parameter_sent_twice_counts_once() {
        let p = params(Some("state=a&code=b&state=c"));
        assert_eq!(param(&p, "state"), Some("a"));
        assert_eq!(param(&p, "code"), Some("b"));
        assert_eq!(param(&p, "error"), None);
        assert!(params(None).is_empty());
    }
}
