//! People on the administration pages (/admin/anvandare): an administrator of a region
//! lists the region's users (those all of whose roles are held in it, as for
//! [`crate::accounts`]), invites one by e-mail (an account without a password, a
//! single-use link lasting [`INVITE_DAYS`] days and its mail, with the events, in one
//! transaction), sends the invitation again, gives and takes roles within the region, and
//! turns an account off and on. The invited person sets a password with the link and is
//! signed in. A user of another region answers as one that does not exist.

use domain::ErrorCode;
use domain::FieldErrors;
use domain::id::{OrgId, UserId};
use domain::jobs::MailKind;
use domain::role::Role;
use domain::text::{TextRule, may_name_something};
use domain::time::Timestamp;
use store::events::{self, Actor, NewEvent};
use store::outbox::NewMail;
use store::users::{self, MembershipRow, UserRow};
use store::{Tx, invites};

use super::units::require_admin;
use crate::access::Tree;
use crate::accounts::{Administrator, administered, home_org};
use crate::error::{Conflict, Result};
use crate::secret::{hash_token, new_token};
use crate::{App, AppError, Caller};

/// How long an invitation works.
pub const INVITE_DAYS: i64 = 7;
/// Users per page of the list.
pub const USERS_PAGE: i64 = 50;

const NAME: TextRule = TextRule::line("name", 2, 120);
/// The longest search that could match: an e-mail address.
const SEARCH_CHARS: usize = 254;

/// The organisations of the regions the caller administers.
pub(crate) fn region_orgs(tree: &Tree, caller: &Caller) -> Result<Vec<OrgId>> {
    Ok(require_admin(tree, caller)?
        .iter()
        .flat_map(|r| domain::org::descendants(&tree.nodes, r))
        .collect())
}

/// Whether an account waits for its invited person to set a password.
pub fn is_pending(user: &UserRow) -> bool {
    user.password_hash == users::NO_PASSWORD
}

/// A user as listed: their roles per organisation and whether they are still invited.
#[derive(Debug, Clone)]
pub struct Listed {
    pub user: UserRow,
    pub pending: bool,
    /// (organisation's name, role), by organisation.
    pub roles: Vec<(String, Role)>,
}

/// One page of the users' list.
#[derive(Debug, Clone)]
pub struct UsersPage {
    pub users: Vec<Listed>,
    /// The key (name, id) of the next page, when there is one.
    pub next: Option<(String, String)>,
}

fn org_name(tree: &Tree, id: &OrgId) -> String {
    tree.all
        .iter()
        .find(|o| o.id == *id)
        .map(|o| o.name.clone())
        .unwrap_or_default()
}

/// The users of the caller's regions by name, `search` a part of a name or an address.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn list(
    app: &App,
    caller: &Caller,
    search: &str,
    after: Option<(&str, &str)>,
) -> Result<UsersPage> {
    let tree = app.tree().await?;
    let orgs = region_orgs(&tree, caller)?;
    // A search longer than any name or address matches nobody (and SQLite refuses a LIKE
    // pattern of over 50 000 bytes): it is cut to what could match.
    let search: String = if may_name_something(search) {
        search.chars().take(SEARCH_CHARS).collect()
    } else {
        String::new()
    };
    let after = after.filter(|(n, i)| may_name_something(n) && may_name_something(i));
    let mut tx = app.db.read().await?;
    let mut rows = users::in_orgs(&mut tx, &orgs, &search, after, USERS_PAGE + 1).await?;
    let next = if rows.len() > USERS_PAGE as usize {
        rows.truncate(USERS_PAGE as usize);
        rows.last()
            .map(|u| (u.name.clone(), u.id.as_str().to_string()))
    } else {
        None
    };
    let ids: Vec<UserId> = rows.iter().map(|u| u.id.clone()).collect();
    let memberships = users::memberships_of(&mut tx, &ids).await?;
    tx.commit().await?;
    let users = rows
        .into_iter()
        .map(|user| Listed {
            pending: is_pending(&user),
            roles: memberships
                .iter()
                .filter(|m| m.user_id == user.id)
                .map(|m| (org_name(&tree, &m.org_id), m.role))
                .collect(),
            user,
        })
        .collect();
    Ok(UsersPage { users, next })
}

/// One user as their administrator sees them.
#[derive(Debug, Clone)]
pub struct UserView {
    pub user: UserRow,
    pub pending: bool,
    /// When the open invitation expires, if there is one.
    pub invited_until: Option<String>,
    /// (membership, organisation's name).
    pub roles: Vec<(MembershipRow, String)>,
    /// The organisations a role may be given in: (id, name), the region first.
    pub orgs: Vec<(OrgId, String)>,
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn view(app: &App, caller: &Caller, user_id: &UserId) -> Result<UserView> {
    let tree = app.tree().await?;
    let orgs = region_orgs(&tree, caller)?;
    let mut tx = app.db.read().await?;
    let user = administered(&mut tx, Administrator::Caller(caller), user_id).await?;
    let memberships = users::memberships(&mut tx, &user.id).await?;
    let invited_until = invites::open_until(&mut tx, &user.id).await?;
    tx.commit().await?;
    Ok(UserView {
        pending: is_pending(&user),
        invited_until,
        roles: memberships
            .into_iter()
            .map(|m| {
                let name = org_name(&tree, &m.org_id);
                (m, name)
            })
            .collect(),
        orgs: orgs
            .iter()
            .map(|o| (o.clone(), org_name(&tree, o)))
            .collect(),
        user,
    })
}

/// The organisation `org_id` if it lies in a region the caller administers; a field error
/// on `field` otherwise.
fn org_in_reach(
    tree: &Tree,
    caller: &Caller,
    org_id: &str,
    errors: &mut FieldErrors,
) -> Result<Option<OrgId>> {
    let orgs = region_orgs(tree, caller)?;
    if let Some(org) = orgs.into_iter().find(|o| o == org_id) {
        Ok(Some(org))
    } else {
        errors.push("org", ErrorCode::InvalidChoice);
        Ok(None)
    }
}

fn role_of(role: &str, errors: &mut FieldErrors) -> Option<Role> {
    let r = Role::parse(role);
    if r.is_none() {
        errors.push("role", ErrorCode::InvalidChoice);
    }
    r
}

/// What an administrator types to invite someone.
#[derive(Debug, Clone, Default)]
pub struct Invitation<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub org_id: &'a str,
    pub role: &'a str,
    /// The language of the mail.
    pub lang: &'a str,
}

/// Writes an invitation link for `user` and queues its mail, in `tx`.
async fn send_invite(
    app: &App,
    tx: &mut Tx,
    user: &UserRow,
    org_id: &OrgId,
    lang: &str,
) -> Result<()> {
    let token = new_token(32)?;
    let now = Timestamp::now();
    invites::end_for_user(tx, &user.id).await?;
    invites::insert(
        tx,
        &hash_token(&token),
        &user.id,
        &now.to_db(),
        &now.plus_days(INVITE_DAYS).to_db(),
    )
    .await?;
    let org = store::orgs::by_id(tx, org_id).await?;
    let params = serde_json::json!({
        "invite_url": format!("{}/inbjudan/{}", app.config.public_url, token),
        "days": INVITE_DAYS,
        "organisation": org.map(|o| o.name).unwrap_or_default(),
    });
    crate::mail::queue(
        tx,
        &NewMail {
            org_id,
            kind: MailKind::Invite,
            lang: if lang == "en" { "en" } else { "sv" },
            recipient: &user.email,
            subject_type: "user",
            subject_id: user.id.as_str(),
            params: &params,
        },
        &now,
    )
    .await?;
    Ok(())
}

fn user_event<'a>(
    actor: &'a Actor,
    kind: &'a str,
    user_id: &'a UserId,
    org_id: Option<&'a OrgId>,
    payload: serde_json::Value,
) -> NewEvent<'a> {
    NewEvent {
        actor,
        kind,
        subject_type: "user",
        subject_id: user_id.as_str(),
        org_id,
        payload,
    }
}

/// Invites a person: their account (without a password) with one role, the invitation and
/// its mail, in one transaction. An address that has an account already is refused.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn invite(app: &App, caller: &Caller, i: &Invitation<'_>) -> Result<UserRow> {
    let tree = app.tree().await?;
    let mut errors = FieldErrors::new();
    let name = errors.take(NAME.parse_required(i.name));
    let email = errors.take(domain::submission::Email::parse("email", i.email));
    let org = org_in_reach(&tree, caller, i.org_id.trim(), &mut errors)?;
    let role = role_of(i.role, &mut errors);
    let (Some(name), Some(email), Some(org), Some(role)) = (name, email, org, role) else {
        return Err(AppError::Validation(errors));
    };
    let actor = caller.actor();
    let mut tx = app.db.write().await?;
    if users::by_email(&mut tx, email.as_str()).await?.is_some() {
        return Err(AppError::Conflict(Conflict::EmailTaken));
    }
    let user = users::insert(&mut tx, email.as_str(), &name, users::NO_PASSWORD).await?;
    // The language the invitation is written in is the one their mail comes in, until they
    // choose another on their account page.
    users::set_lang(&mut tx, &user.id, if i.lang == "en" { "en" } else { "sv" }).await?;
    events::append(
        &mut tx,
        user_event(
            &actor,
            "user.invited",
            &user.id,
            Some(&org),
            serde_json::json!({ "name": user.name }),
        ),
    )
    .await?;
    users::add_membership(&mut tx, &user.id, &org, role.as_str()).await?;
    events::append(
        &mut tx,
        user_event(
            &actor,
            "user.role_granted",
            &user.id,
            Some(&org),
            serde_json::json!({ "role": role.as_str() }),
        ),
    )
    .await?;
    send_invite(app, &mut tx, &user, &org, i.lang).await?;
    tx.commit().await?;
    app.wake_jobs();
    Ok(user)
}

/// Sends a new invitation to a user who has not yet set a password; the earlier link stops
/// working.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn resend(app: &App, caller: &Caller, user_id: &UserId, lang: &str) -> Result<()> {
    let mut tx = app.db.write().await?;
    let user = administered(&mut tx, Administrator::Caller(caller), user_id).await?;
    if !is_pending(&user) || !user.active {
        return Err(AppError::Conflict(Conflict::NotInvited));
    }
    let org = home_org(&mut tx, &user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    send_invite(app, &mut tx, &user, &org, lang).await?;
    events::append(
        &mut tx,
        user_event(
            &caller.actor(),
            "user.invite_resent",
            &user.id,
            Some(&org),
            serde_json::json!({}),
        ),
    )
    .await?;
    tx.commit().await?;
    app.wake_jobs();
    Ok(())
}

/// Sets the invited person's password with their link and signs them in: the session's
/// token. A link used, expired or unknown is refused alike.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn accept(app: &App, token: &str, password: &str) -> Result<String> {
    crate::password::check_new(password)?;
    // Hashed before the write transaction so the write lock is held only briefly.
    let hash = crate::auth::hash_password(password).await?;
    let now = Timestamp::now().to_db();
    let mut tx = app.db.write().await?;
    let Some(user_id) = invites::take(&mut tx, &hash_token(token.trim()), &now).await? else {
        return Err(AppError::Conflict(Conflict::InviteLinkInvalid));
    };
    let user = users::by_id(&mut tx, &user_id).await?;
    if !user.as_ref().is_some_and(|u| u.active && is_pending(u)) {
        return Err(AppError::Conflict(Conflict::InviteLinkInvalid));
    }
    users::set_password(&mut tx, &user_id, &hash).await?;
    invites::end_for_user(&mut tx, &user_id).await?;
    let session = crate::auth::open_session(
        app,
        &mut tx,
        &user_id,
        serde_json::json!({ "via": "invite" }),
    )
    .await?;
    let org = home_org(&mut tx, &user_id).await?;
    events::append(
        &mut tx,
        user_event(
            &Actor::User(user_id.clone()),
            "user.joined",
            &user_id,
            org.as_ref(),
            serde_json::json!({}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(session)
}

/// Gives a user of the caller's regions a role in one of its organisations.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn grant(
    app: &App,
    caller: &Caller,
    user_id: &UserId,
    org_id: &str,
    role: &str,
) -> Result<bool> {
    let tree = app.tree().await?;
    let mut tx = app.db.write().await?;
    let user = administered(&mut tx, Administrator::Caller(caller), user_id).await?;
    let mut errors = FieldErrors::new();
    let org = org_in_reach(&tree, caller, org_id.trim(), &mut errors)?;
    let role = role_of(role, &mut errors);
    let (Some(org), Some(role)) = (org, role) else {
        return Err(AppError::Validation(errors));
    };
    let added = users::add_membership(&mut tx, &user.id, &org, role.as_str()).await?;
    if added {
        events::append(
            &mut tx,
            user_event(
                &caller.actor(),
                "user.role_granted",
                &user.id,
                Some(&org),
                serde_json::json!({ "role": role.as_str() }),
            ),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(added)
}

/// Takes a role from a user of the caller's regions; their last role stays (without one
/// they would belong to no region and no administrator could reach them).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn remove(
    app: &App,
    caller: &Caller,
    user_id: &UserId,
    org_id: &OrgId,
    role: &str,
) -> Result<()> {
    let mut tx = app.db.write().await?;
    let user = administered(&mut tx, Administrator::Caller(caller), user_id).await?;
    let memberships = users::memberships(&mut tx, &user.id).await?;
    let held = memberships
        .iter()
        .any(|m| m.org_id == org_id && m.role.as_str() == role);
    if !held {
        return Err(AppError::NotFound);
    }
    if memberships.len() == 1 {
        return Err(AppError::Conflict(Conflict::LastRole));
    }
    users::remove_membership(&mut tx, &user.id, org_id, role).await?;
    events::append(
        &mut tx,
        user_event(
            &caller.actor(),
            "user.role_removed",
            &user.id,
            Some(org_id),
            serde_json::json!({ "role": role }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Turns a user's account off (their sessions and tokens end): see [`crate::accounts::deactivate`].
pub async fn deactivate(app: &App, caller: &Caller, user_id: &UserId) -> Result<()> {
    crate::accounts::deactivate(app, Administrator::Caller(caller), user_id).await?;
    Ok(())
}

/// Turns a user's account on again; they sign in with their password as before.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn reactivate(app: &App, caller: &Caller, user_id: &UserId) -> Result<()> {
    let mut tx = app.db.write().await?;
    let user = administered(&mut tx, Administrator::Caller(caller), user_id).await?;
    if users::reactivate(&mut tx, &user.id).await? {
        let org = home_org(&mut tx, &user.id).await?;
        events::append(
            &mut tx,
            user_event(
                &caller.actor(),
                "user.reactivated",
                &user.id,
                org.as_ref(),
                serde_json::json!({}),
            ),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
