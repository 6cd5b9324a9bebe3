//! The OpenAPI document of the JSON API v1, generated from the handlers' `#[utoipa::path]`
//! attributes and the types in [`super::types`]. The test `every_api_route_is_in_openapi`
//! (lib.rs) checks every route of the API router against it.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::server::Server;
use utoipa::{Modify, OpenApi};

use crate::{api, api_accounts, api_campaigns, api_cases};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sluss API",
        version = "1.0.0",
        description = "The JSON API of Sluss, an innovation pipeline for the Swedish public sector. Messages follow Accept-Language (sv by default, en). Submitting is public; everything else needs a bearer token created with `sluss token create --email E`.",
    ),
    paths(
        api::healthz,
        api::openapi,
        api::create_submission,
        api::list_submissions,
        api::get_submission,
        api::act,
        api_cases::list,
        api_cases::open,
        api_cases::get,
        api_cases::events,
        api_cases::tick,
        api_cases::decide,
        api_cases::path,
        api_cases::result,
        api_cases::member,
        api_cases::details,
        api_cases::diarium,
        api_campaigns::create,
        api_campaigns::results,
        api_campaigns::phase,
        api_campaigns::join,
        api_campaigns::add_idea,
        api_campaigns::idea_status,
        api_campaigns::pair,
        api_campaigns::vote,
        api_campaigns::score,
        api_campaigns::flag,
        api_campaigns::take_forward,
        api_accounts::tokens,
        api_accounts::deactivate,
        api_accounts::revoke,
    ),
    modifiers(&Bearer),
)]
pub struct ApiDoc;

/// The bearer scheme the operations name, and the server the paths are relative to.
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        doc.servers = Some(vec![Server::new("/")]);
    }
}
