//! Organisations and units (/admin/organisationer): the tree of each region the caller
//! administers, a form to add a unit, and per unit one to rename or move it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use domain::id::OrgId;

use super::super::error::{Failing, PageResult};
use super::super::form::{TypedForm, Values};
use super::super::{FormErrors, render_status, see_other};
use super::Refused;
use crate::AppState;
use crate::ctx::Ctx;
use app::AppError;
use app::admin::units::{Region, Unit};

const LABELS: &[(&str, &str)] = &[
    ("parent", "admin.units.parent"),
    ("name", "admin.units.name"),
    ("slug", "admin.units.slug"),
];

/// A unit as shown, with where it may be moved (units of its region outside its subtree).
struct Shown {
    unit: Unit,
    /// Indented name for a choice list.
    label: String,
    targets: Vec<(OrgId, String)>,
}

impl Shown {
    /// The id of the organisation the unit is under, as its form's choice ("" for a region).
    fn parent_id(&self) -> &str {
        self.unit.org.parent_id.as_ref().map_or("", OrgId::as_str)
    }
}

#[derive(Template)]
#[template(path = "admin_units.html")]
struct Page<'a> {
    ctx: &'a Ctx,
    regions: Vec<(String, Vec<Shown>)>,
    /// Every organisation a unit may be added under: (id, indented name).
    parents: Vec<(OrgId, String)>,
    done: String,
    /// A refused form ("add", or the id of the unit whose form it was), shown again.
    refused: Refused,
}

fn label(u: &Unit) -> String {
    format!("{}{}", "– ".repeat(u.depth), u.org.name)
}

fn shown(region: &Region) -> Vec<Shown> {
    let units = &region.units;
    units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            // Depth first: the subtree of `u` is the run after it that lies deeper.
            let end = units[i + 1..]
                .iter()
                .position(|v| v.depth <= u.depth)
                .map_or(units.len(), |p| i + 1 + p);
            let targets = if u.depth == 0 {
                Vec::new()
            } else {
                units
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j < i || *j >= end)
                    .map(|(_, v)| (v.org.id.clone(), label(v)))
                    .collect()
            };
            Shown {
                unit: u.clone(),
                label: label(u),
                targets,
            }
        })
        .collect()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    klart: String,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    page(&state, &ctx, &q.klart, Refused::default(), StatusCode::OK).await
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    done: &str,
    refused: Refused,
    status: StatusCode,
) -> PageResult {
    let regions = app::admin::units::regions(&state.app, &ctx.caller)
        .await
        .or_page(ctx)?;
    let parents = regions
        .iter()
        .flat_map(|r| r.units.iter().map(|u| (u.org.id.clone(), label(u))))
        .collect();
    let regions = regions
        .iter()
        .map(|r| {
            let name = r
                .units
                .first()
                .map(|u| u.org.name.clone())
                .unwrap_or_default();
            (name, shown(r))
        })
        .collect();
    let done = match done {
        d @ ("added" | "changed") => d.to_string(),
        _ => String::new(),
    };
    Ok(render_status(
        status,
        &Page {
            ctx,
            regions,
            parents,
            done,
            refused,
        },
    ))
}

/// The answer to a form of this page: done, or the form shown again with its errors and
/// what was typed (a slug taken is an error at the slug).
async fn answer(
    state: &AppState,
    ctx: &Ctx,
    form: &str,
    values: Values,
    result: Result<(), AppError>,
    done: &str,
) -> PageResult {
    let errors = match result {
        Ok(()) => return Ok(see_other(&format!("/admin/organisationer?klart={done}"))),
        Err(AppError::Validation(e)) => FormErrors::in_form(&ctx.t, LABELS, &e),
        Err(AppError::Conflict(app::Conflict::OrganisationExists)) => {
            let mut errors = FormErrors::default();
            errors.push("slug", ctx.t.t("conflict.organisation_exists"));
            errors
        }
        Err(e) => return Err(e).or_page(ctx),
    };
    let anchor = if form == "add" {
        "f-".to_string()
    } else {
        format!("u{form}-")
    };
    let refused = Refused::new(form, values, errors).anchored(&anchor);
    page(state, ctx, "", refused, StatusCode::UNPROCESSABLE_ENTITY).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct AddForm {
    parent: String,
    slug: String,
    name: String,
}

pub async fn add(State(state): State<AppState>, ctx: Ctx, form: TypedForm<AddForm>) -> PageResult {
    let result = match form.input {
        Ok(f) => app::admin::units::add_unit(
            &state.app,
            &ctx.caller,
            &OrgId::from(f.parent.as_str()),
            &f.slug,
            &f.name,
        )
        .await
        .map(|_| ()),
        Err(e) => Err(AppError::Validation(e)),
    };
    answer(&state, &ctx, "add", form.values, result, "added").await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ChangeForm {
    name: String,
    /// Empty: stays where it is.
    parent: String,
}

pub async fn change(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<OrgId>,
    form: TypedForm<ChangeForm>,
) -> PageResult {
    let result = match form.input {
        Ok(f) => app::admin::units::change(&state.app, &ctx.caller, &id, &f.name, Some(&f.parent))
            .await
            .map(|_| ()),
        Err(e) => Err(AppError::Validation(e)),
    };
    answer(&state, &ctx, id.as_str(), form.values, result, "changed").await
}
