//! Attachments on a case: whoever may work the case (its handler, its working group, a
//! role that triages its unit) adds and removes them; whoever may read the case reads them.

use super::replay::load;
use crate::access::require_user;
use crate::attachments::{add_rows, check, remove_files, remove_rows, write};
use crate::error::Result;
use crate::{App, AppError, Caller};
use domain::attachment::{OwnerKind, Upload};
use domain::id::{AttachmentId, CaseId};
use store::attachments;

/// Whether the caller may read the case (and so its attachments).
pub(crate) async fn readable(app: &App, caller: &Caller, id: &CaseId) -> Result<()> {
    let user = require_user(caller)?;
    let tree = app.tree().await?;
    let mut tx = app.db.read().await?;
    load(&mut tx, &tree, user, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds files to a case (someone who may work it).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn add_attachments(
    app: &App,
    caller: &Caller,
    id: &CaseId,
    files: &[Upload],
) -> Result<usize> {
    let user = require_user(caller)?;
    let tree = app.tree().await?;
    let (org_id, existing) = {
        let mut tx = app.db.read().await?;
        let l = load(&mut tx, &tree, user, id).await?;
        if !l.can_work {
            return Err(AppError::Forbidden);
        }
        let n = attachments::count_of(&mut tx, OwnerKind::Case, l.row.id.as_str()).await?;
        tx.commit().await?;
        (l.row.org_id, n)
    };
    if files.is_empty() {
        return Err(AppError::field("files", domain::ErrorCode::Required));
    }
    let checked = check(app, "files", OwnerKind::Case, existing, files)?;
    // Written before the write transaction opens (see `crate::attachments`).
    let written = write(app, &checked).await?;
    let mut tx = app.db.write().await?;
    add_rows(
        &mut tx,
        caller,
        &written,
        OwnerKind::Case,
        id.as_str(),
        &org_id,
        false,
    )
    .await?;
    tx.commit().await?;
    written.keep();
    Ok(files.len())
}

/// Removes one of a case's attachments (someone who may work it).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn remove_attachment(
    app: &App,
    caller: &Caller,
    id: &CaseId,
    attachment: &AttachmentId,
) -> Result<()> {
    let user = require_user(caller)?;
    let tree = app.tree().await?;
    let mut tx = app.db.write().await?;
    let l = load(&mut tx, &tree, user, id).await?;
    if !l.can_work {
        return Err(AppError::Forbidden);
    }
    let row = attachments::by_id(&mut tx, attachment)
        .await?
        .filter(|r| r.owner_kind == OwnerKind::Case && r.owner_id == l.row.id.as_str())
        .ok_or(AppError::NotFound)?;
    let ids = remove_rows(&mut tx, &caller.actor(), &[row], &l.row.org_id, "removed").await?;
    tx.commit().await?;
    remove_files(app, ids).await;
    Ok(())
}
