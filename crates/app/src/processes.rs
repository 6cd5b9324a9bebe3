//! Process templates in use. The built-in templates are stored at start; process owners and
//! administrators upload new versions, which are validated and kept with their source, and
//! choose the version a region uses. A version, once stored, never changes.
//!
//! An upload belongs to the region it is uploaded for, by someone who manages processes
//! there; only that region sees it and may activate it. A region without an activation
//! follows the built-in versions, never another region's upload.

use crate::access::may_manage_processes;
use crate::error::Result;
use crate::{App, AppError, Caller};
use domain::ErrorCode;
use domain::id::TemplateId;
use domain::org::root_of;
use domain::process::{BUILT_IN, parse_template};
use domain::text::may_name_something;
use domain::time::Timestamp;
use store::StoreError;
use store::events::{self, Actor, NewEvent};
use store::processes::{self, NewTemplate, TemplateRow};

/// Kept here for the web layer, which asks this module for its navigation.
pub use crate::access::may_manage_any;

/// Stores each built-in template version not yet stored; returns how many were new. Safe
/// to run on every start and on several nodes at once.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn install_built_ins(app: &App) -> Result<usize> {
    let mut stored = 0;
    for (file, source) in BUILT_IN {
        let t = parse_template(source)
            .map_err(|e| anyhow::anyhow!("built-in template {file} is invalid: {}", e[0]))?;
        let mut tx = app.db.write().await?;
        if processes::built_in_version(&mut tx, &t.key, t.version)
            .await?
            .is_some()
        {
            continue;
        }
        let now = Timestamp::now().to_db();
        let new = NewTemplate {
            key: &t.key,
            version: t.version,
            name: &t.name,
            source,
            built_in: true,
            created_by: None,
            org_id: None,
            now: &now,
        };
        let id = match processes::insert(&mut tx, &new).await {
            Ok(id) => id,
            Err(StoreError::Conflict(_)) => continue, // another node stored it first
            Err(e) => return Err(e.into()),
        };
        events::append(
            &mut tx,
            NewEvent { actor: &Actor::System, kind: "process_template.stored", subject_type: "process_template", subject_id: id.as_str(), org_id: None, payload: serde_json::json!({ "key": t.key, "version": t.version, "built_in": true }) },
        )
        .await?;
        tx.commit().await?;
        stored += 1;
    }
    Ok(stored)
}

/// Validates and stores a new template version for a region the caller manages. An empty
/// `region` means the one region the caller manages, when there is only one.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn upload(app: &App, caller: &Caller, region: &str, source: &str) -> Result<TemplateRow> {
    let user = caller.user().ok_or(AppError::Unauthenticated)?;
    if !user
        .memberships
        .iter()
        .any(|(_, r)| may_manage_processes(r))
    {
        return Err(AppError::Forbidden);
    }
    let managed = app.tree().await?.managed_regions(user);
    let mut tx = app.db.write().await?;
    let region = region.trim();
    let org = if region.is_empty() {
        match managed.as_slice() {
            [only] => only.clone(),
            _ => return Err(AppError::field("region", ErrorCode::Required)),
        }
    } else {
        managed
            .into_iter()
            .find(|o| o.slug == region)
            .ok_or(AppError::Forbidden)?
    };
    let t = parse_template(source).map_err(AppError::Template)?;
    if processes::version_in(&mut tx, &org.id, &t.key, t.version)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(crate::Conflict::TemplateVersionExists));
    }
    let now = Timestamp::now().to_db();
    let new = NewTemplate {
        key: &t.key,
        version: t.version,
        name: &t.name,
        source,
        built_in: false,
        created_by: Some(&user.id),
        org_id: Some(&org.id),
        now: &now,
    };
    let id = match processes::insert(&mut tx, &new).await {
        Ok(id) => id,
        Err(StoreError::Conflict(_)) => {
            return Err(AppError::Conflict(crate::Conflict::TemplateVersionExists));
        }
        Err(e) => return Err(e.into()),
    };
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "process_template.stored",
            subject_type: "process_template",
            subject_id: id.as_str(),
            org_id: Some(&org.id),
            payload: serde_json::json!({ "key": t.key, "version": t.version, "built_in": false }),
        },
    )
    .await?;
    let row = processes::by_id(&mut tx, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(row)
}

/// Makes a stored version the one a region uses for new cases.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn activate(app: &App, caller: &Caller, region: &str, template_id: &str) -> Result<()> {
    let user = caller.user().ok_or(AppError::Unauthenticated)?;
    let mut tx = app.db.write().await?;
    // A slug or an id that could name nothing is not asked for (PostgreSQL refuses a NUL).
    let org = if may_name_something(region) {
        store::orgs::by_slug(&mut tx, region.trim()).await?
    } else {
        None
    };
    let org = org.ok_or(AppError::field(
        "organisation",
        ErrorCode::UnknownOrganisation,
    ))?;
    // The tree as this transaction sees it, not the node's: an organisation missing from a
    // tree would pass for a region here.
    let tree = crate::access::Tree::read(&mut tx).await?;
    if root_of(&tree.nodes, &org.id) != org.id {
        return Err(AppError::field("organisation", ErrorCode::OnlyForRegions));
    }
    if !user
        .memberships
        .iter()
        .any(|(o, r)| *o == org.id && may_manage_processes(r))
    {
        return Err(AppError::Forbidden);
    }
    // A built-in version, or one of the region's own: another region's upload is not found.
    let t = if may_name_something(template_id) {
        processes::by_id(&mut tx, &TemplateId::from(template_id.trim())).await?
    } else {
        None
    };
    let t = t
        .filter(|t| match &t.org_id {
            None => t.built_in,
            Some(owner) => *owner == org.id,
        })
        .ok_or(AppError::NotFound)?;
    let now = Timestamp::now().to_db();
    processes::activate(
        &mut tx,
        &org.id,
        &t.template_key,
        &t.id,
        Some(&user.id),
        &now,
    )
    .await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "process_template.activated",
            subject_type: "process_template",
            subject_id: t.id.as_str(),
            org_id: Some(&org.id),
            payload: serde_json::json!({ "key": t.template_key, "version": t.version }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn list(app: &App) -> Result<Vec<TemplateRow>> {
    let mut tx = app.db.read().await?;
    Ok(processes::all(&mut tx).await?)
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn active_in(app: &App, region: &str) -> Result<Vec<TemplateRow>> {
    let mut tx = app.db.read().await?;
    let org = store::orgs::by_slug(&mut tx, region.trim())
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(processes::active_in(&mut tx, &org.id).await?)
}

/// What the process page shows: the built-in versions and the uploads of the regions the
/// caller manages, and for each of those regions the versions it has active.
pub struct Overview {
    pub templates: Vec<TemplateRow>,
    pub regions: Vec<(store::orgs::OrgRow, Vec<TemplateRow>)>,
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn overview(app: &App, caller: &Caller) -> Result<Overview> {
    let user = caller.user().ok_or(AppError::Unauthenticated)?;
    if !user
        .memberships
        .iter()
        .any(|(_, r)| may_manage_processes(r))
    {
        return Err(AppError::Forbidden);
    }
    let tree = app.tree().await?;
    let mut tx = app.db.read().await?;
    let mut regions = Vec::new();
    let mut templates = processes::built_in(&mut tx).await?;
    for org in tree.managed_regions(user) {
        for t in processes::usable_in(&mut tx, &org.id).await? {
            if !templates.iter().any(|x| x.id == t.id) {
                templates.push(t);
            }
        }
        let active = processes::active_in(&mut tx, &org.id).await?;
        regions.push((org, active));
    }
    templates.sort_by(|a, b| {
        (a.template_key.as_str(), b.version).cmp(&(b.template_key.as_str(), a.version))
    });
    Ok(Overview { templates, regions })
}
