//! Organisations and user accounts: what the command line and administrators create.

use crate::error::Result;
use crate::{App, AppError, auth};
use domain::org::Slug;
use domain::reference::ReferenceFormat;
use domain::role::Role;
use domain::text::TextRule;
use domain::{ErrorCode, FieldErrors};
use store::events::{self, Actor, NewEvent};
use store::{StoreError, orgs, users};

pub mod audit;
pub mod people;
pub mod tokens;
pub mod units;

pub(crate) const ORG_NAME: TextRule = TextRule::line("name", 2, 120);
pub(crate) const USER_NAME: TextRule = TextRule::line("name", 2, 120);

pub struct NewOrg<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub parent: Option<&'a str>,
    pub reference_format: Option<&'a str>,
}

/// Adds an organisation (a region, or a unit under `parent`).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn add_org(app: &App, actor: &Actor, o: NewOrg<'_>) -> Result<orgs::OrgRow> {
    let mut errors = FieldErrors::new();
    let slug = errors.take(Slug::parse("slug", o.slug));
    let name = errors.take(ORG_NAME.parse_required(o.name));
    let format = match o.reference_format {
        Some(f) => errors.take(ReferenceFormat::parse("reference_format", f)),
        None => Some(ReferenceFormat::default()),
    };
    let mut tx = app.db.write().await?;
    let parent = match o.parent {
        Some(p) => match orgs::by_slug(&mut tx, p.trim()).await? {
            Some(row) => Some(row),
            None => {
                errors.push("parent", ErrorCode::UnknownOrganisation);
                None
            }
        },
        None => None,
    };
    if parent.is_some() && o.reference_format.is_some() {
        errors.push("reference_format", ErrorCode::OnlyForRegions);
    }
    let (Some(slug), Some(name), Some(format)) = (slug, name, format) else {
        return Err(AppError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let row = match orgs::insert(
        &mut tx,
        slug.as_str(),
        &name,
        parent.as_ref().map(|p| &p.id),
        format.as_str(),
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
            actor,
            kind: "organisation.created",
            subject_type: "organisation",
            subject_id: row.id.as_str(),
            org_id: Some(&row.id),
            payload: serde_json::json!({ "slug": row.slug, "name": row.name, "parent_id": row.parent_id }),
        },
    )
    .await?;
    tx.commit().await?;
    // After the commit, so that no request reads the tree again before the unit is in it
    // (other nodes hear of it from the insert's notification).
    app.org_tree.forget();
    Ok(row)
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub org: &'a str,
    pub role: &'a str,
    pub password: &'a str,
}

/// Adds a user with one role in one organisation. If the e-mail is already taken by an
/// account, the role is added to that account instead and `false` is returned.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn add_user(app: &App, actor: &Actor, u: NewUser<'_>) -> Result<(users::UserRow, bool)> {
    let mut errors = FieldErrors::new();
    let email = errors.take(domain::submission::Email::parse("email", u.email));
    let name = errors.take(USER_NAME.parse_required(u.name));
    let role = Role::parse(u.role);
    if role.is_none() {
        errors.push("role", ErrorCode::InvalidChoice);
    }
    if u.password.chars().count() < auth::MIN_PASSWORD {
        errors.push(
            "password",
            ErrorCode::TooShort {
                min: auth::MIN_PASSWORD,
            },
        );
    }
    // Hashed before the write transaction so the write lock is held only briefly.
    let hash = auth::hash_password(u.password).await?;
    let mut tx = app.db.write().await?;
    let org = orgs::by_slug(&mut tx, u.org.trim()).await?;
    if org.is_none() {
        errors.push("org", ErrorCode::UnknownOrganisation);
    }
    let (Some(email), Some(name), Some(role), Some(org)) = (email, name, role, org) else {
        return Err(AppError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (user, created) = match users::by_email(&mut tx, email.as_str()).await? {
        Some(existing) => (existing, false),
        None => {
            let user = users::insert(&mut tx, email.as_str(), &name, &hash).await?;
            events::append(
                &mut tx,
                NewEvent {
                    actor,
                    kind: "user.created",
                    subject_type: "user",
                    subject_id: user.id.as_str(),
                    org_id: Some(&org.id),
                    payload: serde_json::json!({ "name": user.name }),
                },
            )
            .await?;
            (user, true)
        }
    };
    if users::add_membership(&mut tx, &user.id, &org.id, role.as_str()).await? {
        events::append(
            &mut tx,
            NewEvent {
                actor,
                kind: "user.role_granted",
                subject_type: "user",
                subject_id: user.id.as_str(),
                org_id: Some(&org.id),
                payload: serde_json::json!({ "role": role.as_str() }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok((user, created))
}

/// All organisations, for forms and filters. Organisations are public facts.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn organisations(app: &App) -> Result<Vec<orgs::OrgRow>> {
    Ok(app.tree().await?.all.clone())
}
