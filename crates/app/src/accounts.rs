//! The lifecycle of accounts and API tokens: list a user's tokens, revoke one, deactivate a
//! user. The command line (the operator of the machine) may act on every account; through
//! the API an administrator of a region may act only on users of that region: a user all
//! of whose roles are held in regions the caller administers (a role held on the region
//! itself). Anyone else is told the user or token does not exist, as for one that does not.

use crate::error::Result;
use crate::{App, AppError, Caller};
use domain::ErrorCode;
use domain::id::{OrgId, UserId};
use domain::org::{OrgNode, root_of};
use domain::role::Role;
use domain::time::Timestamp;
use store::events::{self, Actor, NewEvent};
use store::users::{self, TokenRow, UserRow};
use store::{Tx, sessions};

/// Who administers accounts.
#[derive(Debug, Clone, Copy)]
pub enum Administrator<'a> {
    /// The command line: the operator of the machine, over every account.
    Operator,
    /// A signed-in caller, over the users of the regions they administer.
    Caller(&'a Caller),
}

impl Administrator<'_> {
    pub(crate) fn actor(&self) -> Actor {
        match self {
            Administrator::Operator => Actor::System,
            Administrator::Caller(c) => c.actor(),
        }
    }
}

/// The user `user_id` if `who` may administer them; refusals for a user of another region
/// and for one that does not exist are the same.
pub(crate) async fn administered(
    tx: &mut Tx,
    who: Administrator<'_>,
    user_id: &UserId,
) -> Result<UserRow> {
    // An id that could name nobody is not looked up (PostgreSQL refuses NUL in text).
    let target = if domain::text::may_name_something(user_id.as_str()) {
        users::by_id(tx, user_id).await?
    } else {
        None
    };
    let caller = match who {
        Administrator::Operator => return target.ok_or(AppError::NotFound),
        Administrator::Caller(c) => c.user().ok_or(AppError::Unauthenticated)?,
    };
    let orgs = store::orgs::all(tx).await?;
    let nodes: Vec<OrgNode> = orgs.iter().map(store::orgs::OrgRow::node).collect();
    let administers: Vec<&OrgId> = caller
        .memberships
        .iter()
        .filter(|(org, role)| *role == Role::Admin && root_of(&nodes, org) == *org)
        .map(|(org, _)| org)
        .collect();
    if administers.is_empty() {
        return Err(AppError::Forbidden);
    }
    let target = target.ok_or(AppError::NotFound)?;
    let memberships = users::memberships(tx, &target.id).await?;
    let all_in_reach = !memberships.is_empty()
        && memberships
            .iter()
            .all(|m| administers.contains(&&root_of(&nodes, &m.org_id)));
    if all_in_reach {
        Ok(target)
    } else {
        Err(AppError::NotFound)
    }
}

/// The organisation an event about a user is filed under (so that the audit view of its
/// region shows it): the first they hold a role in.
pub(crate) async fn home_org(tx: &mut Tx, user_id: &UserId) -> Result<Option<OrgId>> {
    Ok(users::memberships(tx, user_id)
        .await?
        .into_iter()
        .next()
        .map(|m| m.org_id))
}

/// A user's tokens, for the operator by e-mail.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn tokens_by_email(app: &App, email: &str) -> Result<(UserRow, Vec<TokenRow>)> {
    let mut tx = app.db.read().await?;
    let user = users::by_email(&mut tx, email)
        .await?
        .ok_or(AppError::field("email", ErrorCode::UnknownUser))?;
    let tokens = users::tokens_of(&mut tx, &user.id).await?;
    Ok((user, tokens))
}

/// A user's tokens, for whoever may administer them.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn tokens_of(
    app: &App,
    who: Administrator<'_>,
    user_id: &UserId,
) -> Result<Vec<TokenRow>> {
    let mut tx = app.db.read().await?;
    let user = administered(&mut tx, who, user_id).await?;
    Ok(users::tokens_of(&mut tx, &user.id).await?)
}

/// Revokes the token whose id is `id`, or begins with `id` (at least eight characters, and
/// only one token may match). A token already revoked is left as it is and not an error.
/// Returns the token as it was found.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn revoke_token(app: &App, who: Administrator<'_>, id: &str) -> Result<TokenRow> {
    let id = id.trim();
    let mut tx = app.db.write().await?;
    let found = if id.len() >= 8 {
        users::tokens_by_id_prefix(&mut tx, id).await?
    } else {
        Vec::new()
    };
    let token = match found.as_slice() {
        [one] => one.clone(),
        [] => return Err(AppError::NotFound),
        _ => return Err(AppError::Conflict(crate::Conflict::TokenIdAmbiguous)),
    };
    let user = administered(&mut tx, who, &token.user_id).await?;
    let now = Timestamp::now().to_db();
    if users::revoke_token(&mut tx, &token.id, &now).await? {
        let org = home_org(&mut tx, &user.id).await?;
        events::append(
            &mut tx,
            NewEvent {
                actor: &who.actor(),
                kind: "api_token.revoked",
                subject_type: "user",
                subject_id: user.id.as_str(),
                org_id: org.as_ref(),
                payload: serde_json::json!({ "token_id": token.id }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(token)
}

/// What deactivating a user ended.
#[derive(Debug, Clone)]
pub struct Deactivated {
    pub user: UserRow,
    /// False when the user was deactivated already.
    pub changed: bool,
    pub sessions_ended: u64,
    pub tokens_revoked: u64,
}

/// Deactivates a user: they can no longer sign in, and their sessions and tokens end at
/// once. Their name stays on what they did.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn deactivate(
    app: &App,
    who: Administrator<'_>,
    user_id: &UserId,
) -> Result<Deactivated> {
    let mut tx = app.db.write().await?;
    let user = administered(&mut tx, who, user_id).await?;
    let changed = users::deactivate(&mut tx, &user.id).await?;
    let sessions_ended = sessions::delete_for_user(&mut tx, &user.id).await?;
    let tokens_revoked =
        users::revoke_tokens_of(&mut tx, &user.id, &Timestamp::now().to_db()).await?;
    if changed || sessions_ended > 0 || tokens_revoked > 0 {
        let org = home_org(&mut tx, &user.id).await?;
        events::append(
            &mut tx,
            NewEvent {
                actor: &who.actor(),
                kind: "user.deactivated",
                subject_type: "user",
                subject_id: user.id.as_str(),
                org_id: org.as_ref(),
                payload: serde_json::json!({ "sessions_ended": sessions_ended, "tokens_revoked": tokens_revoked }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Deactivated {
        user,
        changed,
        sessions_ended,
        tokens_revoked,
    })
}

/// Deactivates the user with this e-mail (the command line).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn deactivate_by_email(app: &App, email: &str) -> Result<Deactivated> {
    let id = {
        let mut tx = app.db.read().await?;
        users::by_email(&mut tx, email)
            .await?
            .ok_or(AppError::field("email", ErrorCode::UnknownUser))?
            .id
    };
    deactivate(app, Administrator::Operator, &id).await
}
