//! Organisations and units (/admin/organisationer): the tree of each region the caller
//! administers, a form to add a unit, and per unit one to rename or move it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use super::super::error::{Failing, PageResult};
use super::super::form::TypedForm;
use super::super::{render_status, see_other};
use crate::AppState;
use crate::ctx::Ctx;
use app::admin::units::{Region, Unit};

/// A unit as shown, with where it may be moved (units of its region outside its subtree).
struct Shown {
    unit: Unit,
    /// Indented name for a choice list.
    label: String,
    targets: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "admin_units.html")]
struct Page<'a> {
    ctx: &'a Ctx,
    regions: Vec<(String, Vec<Shown>)>,
    /// Every organisation a unit may be added under: (id, indented name).
    parents: Vec<(String, String)>,
    done: String,
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
    let regions = app::admin::units::regions(&state.app, &ctx.caller)
        .await
        .or_page(&ctx)?;
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
    let done = match q.klart.as_str() {
        d @ ("added" | "changed") => d.to_string(),
        _ => String::new(),
    };
    Ok(render_status(
        StatusCode::OK,
        &Page {
            ctx: &ctx,
            regions,
            parents,
            done,
        },
    ))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct AddForm {
    parent: String,
    slug: String,
    name: String,
}

pub async fn add(State(state): State<AppState>, ctx: Ctx, form: TypedForm<AddForm>) -> PageResult {
    let f = form.or_page(&ctx)?;
    app::admin::units::add_unit(&state.app, &ctx.caller, &f.parent, &f.slug, &f.name)
        .await
        .or_page(&ctx)?;
    Ok(see_other("/admin/organisationer?klart=added"))
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
    Path(id): Path<String>,
    form: TypedForm<ChangeForm>,
) -> PageResult {
    let f = form.or_page(&ctx)?;
    app::admin::units::change(&state.app, &ctx.caller, &id, &f.name, Some(&f.parent))
        .await
        .or_page(&ctx)?;
    Ok(see_other("/admin/organisationer?klart=changed"))
}
