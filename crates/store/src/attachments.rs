//! The rows of attachments: whose each file is, its name, type, size and checksum. The
//! bytes are on disk (`app::attachments` writes and removes them); a row names its file
//! by its id only.

use domain::attachment::{FileType, OwnerKind};
use domain::id::{AttachmentId, UserId};

use crate::db::{Tx, sql};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttachmentRow {
    #[sqlx(try_from = "String")]
    pub id: AttachmentId,
    #[sqlx(try_from = "String")]
    pub owner_kind: OwnerKind,
    pub owner_id: String,
    pub file_name: String,
    #[sqlx(try_from = "String")]
    pub content_type: FileType,
    pub size: i64,
    pub sha256: String,
    pub public: bool,
    pub created_at: String,
    /// Who added it; none for a visitor without an account (the intake).
    #[sqlx(try_from = "crate::Nullable")]
    pub created_by: Option<UserId>,
}

/// The columns of [`AttachmentRow`], for `concat!` into each query's one text.
macro_rules! columns {
    () => {
        "id, owner_kind, owner_id, file_name, content_type, size, sha256, public, created_at, created_by"
    };
}

pub async fn insert(tx: &mut Tx, row: &AttachmentRow) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO attachments (id, owner_kind, owner_id, file_name, content_type, size, sha256, public, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(row.id.as_str())
            .bind(row.owner_kind.as_str())
            .bind(row.owner_id.as_str())
            .bind(row.file_name.as_str())
            .bind(row.content_type.as_str())
            .bind(row.size)
            .bind(row.sha256.as_str())
            .bind(row.public)
            .bind(row.created_at.as_str())
            .bind(row.created_by.as_ref().map(UserId::as_str)),
    )
    .await?;
    Ok(())
}

pub async fn by_id(tx: &mut Tx, id: &AttachmentId) -> crate::Result<Option<AttachmentRow>> {
    tx.fetch_optional(
        sql(concat!(
            "SELECT ",
            columns!(),
            " FROM attachments WHERE id = ?"
        ))
        .bind(id.as_str()),
    )
    .await
}

/// The attachments of one item, oldest first.
pub async fn of_owner(
    tx: &mut Tx,
    kind: OwnerKind,
    owner_id: &str,
) -> crate::Result<Vec<AttachmentRow>> {
    tx.fetch_all(
        sql(concat!(
            "SELECT ",
            columns!(),
            " FROM attachments WHERE owner_kind = ? AND owner_id = ? ORDER BY created_at, id"
        ))
        .bind(kind.as_str())
        .bind(owner_id),
    )
    .await
}

/// How many attachments an item has.
/// Takes the row lock of the item files are added to until the transaction ends (on
/// PostgreSQL; SQLite's write transaction is exclusive already), so that two uploads at
/// the same moment count each other's files ([`count_of`]) and cannot both pass the limit.
pub async fn lock_owner(tx: &mut Tx, kind: OwnerKind, owner_id: &str) -> crate::Result<()> {
    let table = match kind {
        OwnerKind::Submission => "submissions",
        OwnerKind::Case => "cases",
        OwnerKind::Campaign => "campaigns",
    };
    tx.execute(crate::Sql::dynamic(
        format!("UPDATE {table} SET updated_at = updated_at WHERE id = ?"),
        vec![owner_id.into()],
    ))
    .await?;
    Ok(())
}

pub async fn count_of(tx: &mut Tx, kind: OwnerKind, owner_id: &str) -> crate::Result<usize> {
    let (n,): (i64,) = tx
        .fetch_one(
            sql("SELECT COUNT(*) FROM attachments WHERE owner_kind = ? AND owner_id = ?")
                .bind(kind.as_str())
                .bind(owner_id),
        )
        .await?;
    Ok(usize::try_from(n).unwrap_or(0))
}

pub async fn delete(tx: &mut Tx, id: &AttachmentId) -> crate::Result<u64> {
    tx.execute(sql("DELETE FROM attachments WHERE id = ?").bind(id.as_str()))
        .await
}

pub async fn set_public(tx: &mut Tx, id: &AttachmentId, public: bool) -> crate::Result<u64> {
    tx.execute(
        sql("UPDATE attachments SET public = ? WHERE id = ?")
            .bind(public)
            .bind(id.as_str()),
    )
    .await
}

/// Whether a row names this id (the sweep of files without a row asks).
pub async fn exists(tx: &mut Tx, id: &str) -> crate::Result<bool> {
    let (n,): (i64,) = tx
        .fetch_one(sql("SELECT COUNT(*) FROM attachments WHERE id = ?").bind(id))
        .await?;
    Ok(n > 0)
}
