//! Organisations and units on the administration pages: an administrator of a region (the
//! role held on the region itself) sees its tree, adds a unit under any of its units,
//! renames one and moves one elsewhere in the same region (never into its own subtree).
//! An organisation of another region answers as one that does not exist.

use crate::access::Tree;
use crate::error::Result;
use crate::{App, AppError, Caller, CurrentUser};
use domain::id::OrgId;
use domain::org::{Slug, descendants, root_of};
use domain::role::Role;
use domain::{ErrorCode, FieldErrors};
use store::events::{self, NewEvent};
use store::orgs::{self, OrgRow};
use store::{StoreError, Tx};

/// One organisation in its region's tree, with how deep it lies (the region is 0).
#[derive(Debug, Clone)]
pub struct Unit {
    pub org: OrgRow,
    pub depth: usize,
}

/// A region the caller administers: the region first, then its units depth first.
#[derive(Debug, Clone)]
pub struct Region {
    pub units: Vec<Unit>,
}

/// The ids of the regions `user` administers (the admin role held on a region itself).
pub(crate) fn administered_regions(tree: &Tree, user: &CurrentUser) -> Vec<OrgId> {
    user.memberships
        .iter()
        .filter(|(org, role)| *role == Role::Admin && root_of(&tree.nodes, org) == *org)
        .map(|(org, _)| org.clone())
        .collect()
}

/// The regions the caller administers; refused to anyone who administers none.
pub(crate) fn require_admin(tree: &Tree, caller: &Caller) -> Result<Vec<OrgId>> {
    let user = caller.user().ok_or(AppError::Unauthenticated)?;
    let regions = administered_regions(tree, user);
    if regions.is_empty() {
        return Err(AppError::Forbidden);
    }
    Ok(regions)
}

fn walk(tree: &Tree, id: &OrgId, depth: usize, out: &mut Vec<Unit>) {
    let Some(org) = tree.all.iter().find(|o| o.id == *id) else {
        return;
    };
    out.push(Unit {
        org: org.clone(),
        depth,
    });
    // `all` is ordered by name, so the children are too.
    for child in tree.all.iter().filter(|o| o.parent_id.as_ref() == Some(id)) {
        // A cycle cannot be stored (moves refuse it); the depth bound is a guard anyway.
        if depth < tree.all.len() {
            walk(tree, &child.id, depth + 1, out);
        }
    }
}

/// The trees of the regions the caller administers.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn regions(app: &App, caller: &Caller) -> Result<Vec<Region>> {
    let tree = app.tree().await?;
    let ids = require_admin(&tree, caller)?;
    Ok(ids
        .iter()
        .map(|id| {
            let mut units = Vec::new();
            walk(&tree, id, 0, &mut units);
            Region { units }
        })
        .collect())
}

/// The organisation `id` if it lies in a region the caller administers, read in `tx`;
/// `NotFound` otherwise (another region's and a missing one alike).
async fn administered(tx: &mut Tx, caller: &Caller, id: &OrgId) -> Result<(Tree, OrgRow)> {
    let tree = Tree::read(tx).await?;
    let regions = require_admin(&tree, caller)?;
    if !domain::text::may_name_something(id.as_str()) {
        return Err(AppError::NotFound);
    }
    let org = tree
        .all
        .iter()
        .find(|o| o.id == *id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    if !regions.contains(&root_of(&tree.nodes, &org.id)) {
        return Err(AppError::NotFound);
    }
    Ok((tree, org))
}

/// Adds a unit under `parent_id` (the region or one of its units).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn add_unit(
    app: &App,
    caller: &Caller,
    parent_id: &OrgId,
    slug: &str,
    name: &str,
) -> Result<OrgRow> {
    let mut tx = app.db.write().await?;
    let (_, parent) = administered(&mut tx, caller, parent_id).await?;
    let mut errors = FieldErrors::new();
    let slug = errors.take(Slug::parse("slug", slug));
    let name = errors.take(super::ORG_NAME.parse_required(name));
    let (Some(slug), Some(name)) = (slug, name) else {
        return Err(AppError::Validation(errors));
    };
    // A unit numbers its cases with its region's format.
    let row = match orgs::insert(
        &mut tx,
        slug.as_str(),
        &name,
        Some(&parent.id),
        &parent.reference_format,
    )
    .await
    {
        Ok(row) => row,
        Err(StoreError::Conflict(_)) => {
            return Err(AppError::Conflict(crate::Conflict::OrganisationExists));
        }
        Err(e) => return Err(e.into()),
    };
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "organisation.created",
            subject_type: "organisation",
            subject_id: row.id.as_str(),
            org_id: Some(&row.id),
            payload: serde_json::json!({ "slug": row.slug, "name": row.name, "parent_id": row.parent_id }),
        },
    )
    .await?;
    tx.commit().await?;
    app.org_tree.forget();
    Ok(row)
}

/// Renames the organisation `id` and, when `parent_id` is given, moves a unit under
/// another organisation of the same region that is not in its own subtree.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn change(
    app: &App,
    caller: &Caller,
    id: &OrgId,
    name: &str,
    parent_id: Option<&str>,
) -> Result<OrgRow> {
    let mut tx = app.db.write().await?;
    let (tree, org) = administered(&mut tx, caller, id).await?;
    let mut errors = FieldErrors::new();
    let name = errors.take(super::ORG_NAME.parse_required(name));
    let parent = match parent_id.filter(|p| !p.is_empty()) {
        None => org.parent_id.clone(),
        Some(p) => {
            let region = root_of(&tree.nodes, &org.id);
            let below = descendants(&tree.nodes, &org.id);
            if org.parent_id.is_none() {
                // A region stays a region.
                errors.push("parent", ErrorCode::OnlyForRegions);
                None
            } else {
                let moved_under = tree
                    .all
                    .iter()
                    .map(|o| &o.id)
                    .find(|o| *o == p)
                    .filter(|o| root_of(&tree.nodes, o) == region && !below.contains(o));
                if moved_under.is_none() {
                    errors.push("parent", ErrorCode::InvalidChoice);
                }
                moved_under.cloned()
            }
        }
    };
    let Some(name) = name else {
        return Err(AppError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    orgs::update(&mut tx, &org.id, &name, parent.as_ref()).await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "organisation.changed",
            subject_type: "organisation",
            subject_id: org.id.as_str(),
            org_id: Some(&org.id),
            payload: serde_json::json!({ "name": name, "parent_id": parent }),
        },
    )
    .await?;
    tx.commit().await?;
    app.org_tree.forget();
    Ok(OrgRow {
        name,
        parent_id: parent,
        ..org
    })
}
