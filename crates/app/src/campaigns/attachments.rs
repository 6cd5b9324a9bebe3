//! Attachments on a challenge (a workshop or an open question): the facilitator adds and
//! removes them, and may make one public, so that participants and the public see it.

use super::{campaign, facilitator};
use crate::attachments::{add_rows, check, remove_files, remove_rows, write};
use crate::error::Result;
use crate::{App, AppError, Caller};
use domain::attachment::{OwnerKind, Upload};
use domain::id::{AttachmentId, CampaignId};
use store::attachments::{self, AttachmentRow};

/// Adds files to a challenge (its facilitator); `public` makes them visible to anyone.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn add_attachments(
    app: &App,
    caller: &Caller,
    code: &str,
    files: &[Upload],
    public: bool,
) -> Result<usize> {
    let (c, existing) = {
        let mut tx = app.db.read().await?;
        let c = campaign(&mut tx, code).await?;
        facilitator(&mut tx, caller, &c).await?;
        let n = attachments::count_of(&mut tx, OwnerKind::Campaign, c.id.as_str()).await?;
        tx.commit().await?;
        (c, n)
    };
    if files.is_empty() {
        return Err(AppError::field("files", domain::ErrorCode::Required));
    }
    let checked = check(app, "files", OwnerKind::Campaign, existing, files)?;
    // Written before the write transaction opens, so that the writer is not held while
    // megabytes reach the disk; removed again if the transaction fails.
    let written = write(app, &checked).await?;
    let mut tx = app.db.write().await?;
    add_rows(
        &mut tx,
        caller,
        &written,
        OwnerKind::Campaign,
        c.id.as_str(),
        &c.org_id,
        public,
    )
    .await?;
    tx.commit().await?;
    written.keep();
    Ok(files.len())
}

/// Removes one of a challenge's attachments (its facilitator).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn remove_attachment(
    app: &App,
    caller: &Caller,
    code: &str,
    id: &AttachmentId,
) -> Result<()> {
    let mut tx = app.db.write().await?;
    let c = campaign(&mut tx, code).await?;
    facilitator(&mut tx, caller, &c).await?;
    let row = attachments::by_id(&mut tx, id)
        .await?
        .filter(|r| r.owner_kind == OwnerKind::Campaign && r.owner_id == c.id.as_str())
        .ok_or(AppError::NotFound)?;
    let ids = remove_rows(&mut tx, &caller.actor(), &[row], &c.org_id, "removed").await?;
    tx.commit().await?;
    remove_files(app, ids).await;
    Ok(())
}

/// A challenge's attachments: all of them for its facilitator, the public ones for
/// everybody else.
pub async fn attachments_of(app: &App, caller: &Caller, code: &str) -> Result<Vec<AttachmentRow>> {
    let mut tx = app.db.read().await?;
    let c = campaign(&mut tx, code).await?;
    let all = facilitator(&mut tx, caller, &c).await.is_ok();
    let rows = attachments::of_owner(&mut tx, OwnerKind::Campaign, c.id.as_str()).await?;
    tx.commit().await?;
    Ok(rows.into_iter().filter(|r| all || r.public).collect())
}

/// Whether the caller facilitates the campaign with this id (the read check of a
/// challenge's attachment that is not public).
pub(crate) async fn facilitates(app: &App, caller: &Caller, campaign_id: &str) -> Result<()> {
    let mut tx = app.db.read().await?;
    let c = store::campaigns::by_id(&mut tx, &CampaignId::from(campaign_id))
        .await?
        .ok_or(AppError::NotFound)?;
    let ok = facilitator(&mut tx, caller, &c).await;
    tx.commit().await?;
    // Someone who does not run it is not told that it exists.
    ok.map_err(|e| match e {
        AppError::Forbidden => AppError::NotFound,
        e => e,
    })
}
