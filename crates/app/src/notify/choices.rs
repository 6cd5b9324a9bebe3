//! How a person gets each kind of notification: read and changed through the link in any
//! mail they got (no account needed), or by staff on their account page; and the
//! one-click unsubscribe of RFC 8058, which turns off the kind of the mail it came in.
//!
//! A link's token is random, made when its mail is sent and stored only as its SHA-256
//! ([`mint_link`]): a copy of the database opens nobody's choices, no key has to be kept
//! alike on every node (as an HMAC would need), and erasing the address removes its links.

use domain::jobs::{MailKind, NotifyMode};
use domain::time::Timestamp;
use store::events::{self, Actor, NewEvent};
use store::notify as prefs;

use super::{address_key, default_mode};
use crate::error::Result;
use crate::secret::{hash_token, new_token};
use crate::{App, AppError, Caller};

/// A person's choice for every kind, in the order they are shown.
#[derive(Debug, Clone)]
pub struct Choices {
    pub modes: Vec<(MailKind, NotifyMode)>,
    /// The language of the mail the link came in (a link's page is shown in it).
    pub lang: String,
    /// The kind of the mail the link came in.
    pub kind: Option<MailKind>,
}

async fn read(tx: &mut store::Tx, address: &str) -> Result<Vec<(MailKind, NotifyMode)>> {
    let made = prefs::prefs_of(tx, address).await?;
    Ok(MailKind::CHOSEN
        .iter()
        .map(|k| {
            let mode = made
                .iter()
                .find(|p| p.kind == *k)
                .map(|p| p.mode)
                .unwrap_or(default_mode(*k));
            (*k, mode)
        })
        .collect())
}

/// Whether an address is an active account's: staff choose every kind, others (a
/// submitter, a workshop participant) only the kinds that can reach them.
async fn is_staff(tx: &mut store::Tx, address: &str) -> Result<bool> {
    Ok(store::users::by_email(tx, address)
        .await?
        .is_some_and(|u| u.active))
}

/// The choices a link's address may make: every kind for staff, else those not for staff.
fn offered(modes: Vec<(MailKind, NotifyMode)>, staff: bool) -> Vec<(MailKind, NotifyMode)> {
    modes
        .into_iter()
        .filter(|(k, _)| staff || !k.is_for_staff())
        .collect()
}

/// Writes the changed choices and their event (which kinds changed, never whose).
async fn write(
    tx: &mut store::Tx,
    actor: &Actor,
    address: &str,
    modes: &[(MailKind, NotifyMode)],
) -> Result<()> {
    let now = Timestamp::now().to_db();
    let before = read(tx, address).await?;
    let mut changed = Vec::new();
    for (kind, mode) in modes {
        if !kind.is_chosen() {
            return Err(AppError::field("kind", domain::ErrorCode::InvalidChoice));
        }
        if before.iter().any(|(k, m)| k == kind && m != mode) {
            prefs::set_mode(tx, address, *kind, *mode, &now).await?;
            changed.push(serde_json::json!({ "kind": kind.as_str(), "mode": mode.as_str() }));
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    events::append(
        tx,
        NewEvent {
            actor,
            kind: "notify.choices_changed",
            subject_type: "notify_choices",
            subject_id: &store::new_id(),
            org_id: None,
            payload: serde_json::json!({ "changed": changed }),
        },
    )
    .await?;
    Ok(())
}

async fn link_of(tx: &mut store::Tx, token: &str) -> Result<prefs::LinkRow> {
    // Only what could be a token is looked up; anything else is a link that does not exist.
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    prefs::link(tx, &hash_token(token))
        .await?
        .ok_or(AppError::NotFound)
}

/// The choices a mail's link opens; an unknown (or erased) link is not found.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn choices_by_link(app: &App, token: &str) -> Result<Choices> {
    let mut tx = app.db.read().await?;
    let link = link_of(&mut tx, token).await?;
    let staff = is_staff(&mut tx, &link.address).await?;
    let modes = offered(read(&mut tx, &link.address).await?, staff);
    tx.commit().await?;
    Ok(Choices {
        modes,
        lang: link.lang,
        kind: Some(link.kind),
    })
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_choices_by_link(
    app: &App,
    token: &str,
    modes: &[(MailKind, NotifyMode)],
) -> Result<()> {
    let mut tx = app.db.write().await?;
    let link = link_of(&mut tx, token).await?;
    if !is_staff(&mut tx, &link.address).await? && modes.iter().any(|(k, _)| k.is_for_staff()) {
        return Err(AppError::field("kind", domain::ErrorCode::InvalidChoice));
    }
    write(&mut tx, &Actor::Public, &link.address, modes).await?;
    tx.commit().await?;
    Ok(())
}

/// The one-click unsubscribe: the kind of the link's mail is turned off (a digest's link
/// turns off every kind gathered into digests). Returns that kind.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn unsubscribe(app: &App, token: &str) -> Result<MailKind> {
    let mut tx = app.db.write().await?;
    let link = link_of(&mut tx, token).await?;
    let off: Vec<(MailKind, NotifyMode)> = if link.kind == MailKind::Digest {
        read(&mut tx, &link.address)
            .await?
            .into_iter()
            .filter(|(_, m)| *m == NotifyMode::Daily)
            .map(|(k, _)| (k, NotifyMode::Never))
            .collect()
    } else {
        vec![(link.kind, NotifyMode::Never)]
    };
    write(&mut tx, &Actor::Public, &link.address, &off).await?;
    tx.commit().await?;
    Ok(link.kind)
}

/// A signed-in person's own choices (by the address of their account).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn my_choices(app: &App, caller: &Caller) -> Result<Choices> {
    let user = caller.user().ok_or(AppError::Unauthenticated)?;
    let mut tx = app.db.read().await?;
    let modes = read(&mut tx, &address_key(&user.email)).await?;
    let lang = store::users::lang_of(&mut tx, &user.id).await?;
    tx.commit().await?;
    Ok(Choices {
        modes,
        lang,
        kind: None,
    })
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_my_choices(
    app: &App,
    caller: &Caller,
    modes: &[(MailKind, NotifyMode)],
    lang: Option<&str>,
) -> Result<()> {
    let user = caller.user().ok_or(AppError::Unauthenticated)?;
    let lang = match lang {
        None => None,
        Some(l) if super::LANGUAGES.contains(&l) => Some(l),
        Some(_) => return Err(AppError::field("lang", domain::ErrorCode::InvalidChoice)),
    };
    let mut tx = app.db.write().await?;
    write(&mut tx, &caller.actor(), &address_key(&user.email), modes).await?;
    if let Some(lang) = lang
        && store::users::set_lang(&mut tx, &user.id, lang).await?
    {
        let org = crate::accounts::home_org(&mut tx, &user.id).await?;
        events::append(
            &mut tx,
            NewEvent {
                actor: &caller.actor(),
                kind: "user.mail_language_set",
                subject_type: "user",
                subject_id: user.id.as_str(),
                org_id: org.as_ref(),
                payload: serde_json::json!({ "lang": lang }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A new link for a mail about to be sent: the address of its choices page, or None for a
/// mail that is no notification (a receipt, a reset link).
pub(crate) async fn mint_link(
    app: &App,
    recipient: &str,
    kind: MailKind,
    lang: &str,
) -> Result<Option<String>> {
    if !kind.is_chosen() && kind != MailKind::Digest {
        return Ok(None);
    }
    let token = new_token(32).map_err(AppError::Internal)?;
    let mut tx = app.db.write().await?;
    prefs::insert_link(
        &mut tx,
        &hash_token(&token),
        &address_key(recipient),
        kind,
        lang,
        &Timestamp::now().to_db(),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(format!(
        "{}/aviseringar/{token}",
        app.config.public_url
    )))
}
