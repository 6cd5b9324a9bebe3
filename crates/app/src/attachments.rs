//! Attachments (bilagor) on submissions, cases and challenges: the files on disk, their rows,
//! and who may fetch one. Each use case that takes files checks them first (count, size,
//! type by content: `domain::attachment`), writes them ([`write`]), and then writes their
//! rows and events in its one transaction; the files of a refused or failed write are
//! removed when its [`Written`] is dropped uncommitted.
//!
//! A file is written to `<dir>/<id>.part`, synced, renamed to `<dir>/<id>` and the
//! directory synced, so a file under its id is whole. A crash between the rename and the
//! commit leaves a file without a row: [`sweep`] (at start) removes those, and any
//! `.part` left. The user's file name is only ever in the row, never on disk.
//!
//! The database could hold the bytes instead (a BYTEA/BLOB column), which would make
//! backups and the move to PostgreSQL carry them; it is not offered: on SQLite every write
//! goes through the one writer, and megabytes in that transaction hold back every other
//! write, and the backup and transfer code reads rows into memory.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::access::require_user;
use crate::error::Result;
use crate::{App, AppError, Caller};
use domain::attachment::{CheckedFile, FileType, OwnerKind, Upload};
use domain::id::{AttachmentId, CaseId, OrgId, SubmissionId};
use domain::time::Timestamp;
use store::attachments::{self, AttachmentRow};
use store::events::{self, NewEvent};

/// Where files are kept and how large one may be.
#[derive(Debug, Clone)]
pub struct Settings {
    pub dir: PathBuf,
    pub max_bytes: u64,
}

/// The default size limit: 10 MB.
pub const DEFAULT_MAX_MB: u64 = 10;

impl Default for Settings {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("data/bilagor"),
            max_bytes: DEFAULT_MAX_MB * 1024 * 1024,
        }
    }
}

impl Settings {
    /// The default directory for a database: `bilagor` beside a SQLite file, or
    /// `data/bilagor` (under the working directory) for PostgreSQL.
    pub fn dir_for(database_url: &str) -> PathBuf {
        database_url
            .strip_prefix("sqlite://")
            .map(|p| p.split('?').next().unwrap_or(p))
            .and_then(|p| Path::new(p).parent().map(|d| d.join("bilagor")))
            .unwrap_or_else(|| PathBuf::from("data/bilagor"))
    }

    /// The largest request body a route taking `files` files needs: the files and 1 MiB
    /// for the rest of the form.
    pub fn body_limit(&self, files: usize) -> usize {
        usize::try_from(self.max_bytes)
            .unwrap_or(usize::MAX / 4)
            .saturating_mul(files)
            .saturating_add(1024 * 1024)
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(id)
    }
}

/// One file written under its id, with what its row needs.
#[derive(Debug)]
pub struct Stored {
    pub id: AttachmentId,
    pub file_name: String,
    pub file_type: FileType,
    pub size: i64,
    pub sha256: String,
}

/// Files written for one write: removed when dropped unless [`Written::keep`] was called
/// after the commit.
#[derive(Debug)]
pub struct Written {
    pub files: Vec<Stored>,
    dir: PathBuf,
    kept: bool,
}

impl Written {
    /// The write committed: the files stay.
    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Written {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        for f in &self.files {
            let path = self.dir.join(f.id.as_str());
            if let Err(e) = std::fs::remove_file(&path) {
                tracing::warn!(error = %e, file = %path.display(), "could not remove an attachment written without its row");
            }
        }
    }
}

/// Checks `files` for an item that has `existing` already, as field `field`.
pub fn check<'a>(
    app: &App,
    field: &'static str,
    kind: OwnerKind,
    existing: usize,
    files: &'a [Upload],
) -> Result<Vec<CheckedFile<'a>>> {
    let room = kind.max_files().saturating_sub(existing);
    domain::attachment::check(field, files, room, app.config.attachments.max_bytes)
        .map_err(|e| AppError::Validation(domain::FieldErrors(vec![e])))
}

/// Writes checked files to disk, each under a new id (see the module comment).
pub async fn write(app: &App, files: &[CheckedFile<'_>]) -> Result<Written> {
    let dir = app.config.attachments.dir.clone();
    let jobs: Vec<(AttachmentId, String, FileType, Vec<u8>)> = files
        .iter()
        .map(|f| {
            (
                AttachmentId::from(store::new_id()),
                f.file_name.clone(),
                f.file_type,
                f.bytes.to_vec(),
            )
        })
        .collect();
    let mut written = Written {
        files: Vec::new(),
        dir: dir.clone(),
        kept: false,
    };
    for (id, file_name, file_type, bytes) in jobs {
        let path = dir.join(id.as_str());
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let sha256 = tokio::task::spawn_blocking(move || write_file(&path, &bytes))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("writing an attachment: {e}")))?
            .map_err(|e| AppError::Internal(anyhow::anyhow!("writing an attachment: {e}")))?;
        written.files.push(Stored {
            id,
            file_name,
            file_type,
            size,
            sha256,
        });
    }
    Ok(written)
}

/// Writes one file whole: a temporary name, synced, renamed, the directory synced. Returns
/// the SHA-256 of the bytes as lowercase hex.
fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<String> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let part = path.with_extension("part");
    let mut f = std::fs::File::create(&part)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&part, path)?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(hex_sha256(bytes))
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes the rows of `written` for one item and an `attachment.added` event each, in the
/// caller's transaction. The event names the type and size, never the file's name (it may
/// name a person). The item's files are counted again under its lock: the count [`check`]
/// was given was read before, and an upload at the same moment may have added files since
/// (refused as `TooManyFiles` at `files`; the files written go with the dropped
/// [`Written`]).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn add_rows(
    tx: &mut store::Tx,
    caller: &Caller,
    written: &Written,
    kind: OwnerKind,
    owner_id: &str,
    org_id: &OrgId,
    public: bool,
) -> Result<()> {
    attachments::lock_owner(tx, kind, owner_id).await?;
    let existing = attachments::count_of(tx, kind, owner_id).await?;
    if existing + written.files.len() > kind.max_files() {
        return Err(AppError::Validation(domain::FieldErrors(vec![
            domain::FieldError::new(
                "files",
                domain::ErrorCode::TooManyFiles {
                    max: kind.max_files().saturating_sub(existing),
                },
            ),
        ])));
    }
    let now = Timestamp::now().to_db();
    let created_by = caller.user().map(|u| u.id.clone());
    for f in &written.files {
        attachments::insert(
            tx,
            &AttachmentRow {
                id: f.id.clone(),
                owner_kind: kind,
                owner_id: owner_id.to_string(),
                file_name: f.file_name.clone(),
                content_type: f.file_type,
                size: f.size,
                sha256: f.sha256.clone(),
                public,
                created_at: now.clone(),
                created_by: created_by.clone(),
            },
        )
        .await?;
        events::append(
            tx,
            NewEvent {
                actor: &caller.actor(),
                kind: "attachment.added",
                subject_type: kind.as_str(),
                subject_id: owner_id,
                org_id: Some(org_id),
                payload: serde_json::json!({
                    "attachment": f.id.as_str(),
                    "content_type": f.file_type.as_str(),
                    "size": f.size,
                    "public": public,
                }),
            },
        )
        .await?;
    }
    Ok(())
}

/// Removes the rows of the given attachments with an `attachment.removed` event each, in
/// the caller's transaction; returns the ids, whose files [`remove_files`] removes after
/// the commit.
pub(crate) async fn remove_rows(
    tx: &mut store::Tx,
    caller_actor: &store::events::Actor,
    rows: &[AttachmentRow],
    org_id: &OrgId,
    why: &str,
) -> Result<Vec<AttachmentId>> {
    let mut out = Vec::new();
    for r in rows {
        attachments::delete(tx, &r.id).await?;
        events::append(
            tx,
            NewEvent {
                actor: caller_actor,
                kind: "attachment.removed",
                subject_type: r.owner_kind.as_str(),
                subject_id: &r.owner_id,
                org_id: Some(org_id),
                payload: serde_json::json!({ "attachment": r.id.as_str(), "why": why }),
            },
        )
        .await?;
        out.push(r.id.clone());
    }
    Ok(out)
}

/// Removes a submission's attachments with its contact details (erasure): the rows and
/// their events in the caller's transaction; the files go after the commit
/// ([`remove_files`]).
pub(crate) async fn erase_of_submission(
    tx: &mut store::Tx,
    actor: &store::events::Actor,
    submission: &store::submissions::SubmissionRow,
) -> Result<Vec<AttachmentId>> {
    let rows = attachments::of_owner(tx, OwnerKind::Submission, submission.id.as_str()).await?;
    remove_rows(tx, actor, &rows, &submission.org_id, "erased").await
}

/// Removes the files of removed rows (after their transaction committed). A file that
/// cannot be removed now is logged, and [`sweep`] removes it at the next start or the
/// next daily retention run.
pub async fn remove_files(app: &App, ids: Vec<AttachmentId>) {
    let dir = app.config.attachments.dir.clone();
    let _ = tokio::task::spawn_blocking(move || {
        for id in ids {
            let path = dir.join(id.as_str());
            if let Err(e) = std::fs::remove_file(&path)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(error = %e, file = %path.display(), "could not remove an attachment's file");
            }
        }
    })
    .await;
}

/// How old a file without its row must be before [`sweep`] takes it: an upload writes its
/// files before its transaction, and no upload takes an hour.
pub const SWEEP_MIN_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes every file in the directory that no row names (a crash between writing a file
/// and committing its row, or a removal that failed), and every `.part` left. Returns how
/// many were removed. Files younger than `min_age` are left alone: their write may still
/// be under way on this or another node. Runs at start and with the daily retention run
/// ([`crate::retention::apply`]).
pub async fn sweep(app: &App, min_age: std::time::Duration) -> Result<usize> {
    let dir = app.config.attachments.dir.clone();
    let names = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<String>> {
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let meta = entry.metadata()?;
            let old = meta
                .modified()
                .ok()
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age >= min_age);
            if meta.is_file() && old {
                out.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        Ok(out)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("sweeping attachments: {e}")))?
    .map_err(|e| AppError::Internal(anyhow::anyhow!("sweeping attachments: {e}")))?;
    let mut orphans = Vec::new();
    let mut tx = app.db.read().await?;
    for name in names {
        let id = name.strip_suffix(".part").unwrap_or(&name);
        if name.ends_with(".part") || !attachments::exists(&mut tx, id).await? {
            orphans.push(name);
        }
    }
    tx.commit().await?;
    let dir = app.config.attachments.dir.clone();
    let n = orphans.len();
    for name in orphans {
        let path = dir.join(&name);
        tracing::info!(file = %path.display(), "removing an attachment file without its row");
        let _ = std::fs::remove_file(path);
    }
    Ok(n)
}

/// The attachments of one item, for its page (the page's own check has passed).
pub async fn of_owner(app: &App, kind: OwnerKind, owner_id: &str) -> Result<Vec<AttachmentRow>> {
    let mut tx = app.db.read().await?;
    let rows = attachments::of_owner(&mut tx, kind, owner_id).await?;
    tx.commit().await?;
    Ok(rows)
}

/// One attachment's file, for whoever may read its owner: a submission's for who may read
/// it in the inbox, a case's for who may read the case, a challenge's for anyone when it is
/// public and otherwise for its facilitators. The bytes are checked against the stored
/// SHA-256.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn fetch(
    app: &App,
    caller: &Caller,
    id: &AttachmentId,
) -> Result<(AttachmentRow, Vec<u8>)> {
    if crate::inbox::uuid_like(id.as_str()).is_none() {
        return Err(AppError::NotFound);
    }
    let mut tx = app.db.read().await?;
    let row = attachments::by_id(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    may_read(app, caller, &row).await?;
    let path = app.config.attachments.path(row.id.as_str());
    let bytes = tokio::task::spawn_blocking(move || std::fs::read(path))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("reading an attachment: {e}")))?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("reading attachment {}: {e}", row.id)))?;
    if hex_sha256(&bytes) != row.sha256 {
        return Err(AppError::Internal(anyhow::anyhow!(
            "attachment {} does not match its checksum",
            row.id
        )));
    }
    Ok((row, bytes))
}

/// The owner's read check for an attachment.
async fn may_read(app: &App, caller: &Caller, row: &AttachmentRow) -> Result<()> {
    match row.owner_kind {
        OwnerKind::Submission => {
            crate::inbox::readable(app, caller, &SubmissionId::from(row.owner_id.as_str())).await
        }
        OwnerKind::Case => {
            crate::cases::readable(app, caller, &CaseId::from(row.owner_id.as_str())).await
        }
        OwnerKind::Campaign if row.public => Ok(()),
        OwnerKind::Campaign => {
            require_user(caller)?;
            crate::campaigns::facilitates(app, caller, &row.owner_id).await
        }
    }
}
