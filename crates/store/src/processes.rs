//! Stored process templates: every version kept with its source text, and the version each
//! region has active.

use crate::db::{Tx, sql};
use domain::id::{OrgId, TemplateId, UserId};

#[derive(Debug, Clone, sqlx::FromRow, PartialEq, Eq)]
pub struct TemplateRow {
    #[sqlx(try_from = "String")]
    pub id: TemplateId,
    pub template_key: String,
    pub version: i64,
    pub name: String,
    pub source: String,
    pub built_in: bool,
    pub created_at: String,
    /// The region an upload belongs to; none for a built-in template.
    #[sqlx(try_from = "crate::Nullable")]
    pub org_id: Option<OrgId>,
}

const COLUMNS: &str = "SELECT id, template_key, version, name, source, built_in, created_at, org_id FROM process_templates";

pub struct NewTemplate<'a> {
    pub key: &'a str,
    pub version: i64,
    pub name: &'a str,
    pub source: &'a str,
    pub built_in: bool,
    pub created_by: Option<&'a UserId>,
    /// The region an upload is for; none for a built-in template.
    pub org_id: Option<&'a OrgId>,
    pub now: &'a str,
}

pub async fn insert(tx: &mut Tx, t: &NewTemplate<'_>) -> crate::Result<TemplateId> {
    let id = TemplateId::from(crate::new_id());
    tx.execute(
        sql("INSERT INTO process_templates (id, template_key, version, name, source, built_in, created_by, org_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(id.as_str())
            .bind(t.key)
            .bind(t.version)
            .bind(t.name)
            .bind(t.source)
            .bind(t.built_in)
            .bind(t.created_by.map(UserId::as_str))
            .bind(t.org_id)
            .bind(t.now),
    )
    .await?;
    Ok(id)
}

/// A built-in version of `key`.
pub async fn built_in_version(
    tx: &mut Tx,
    key: &str,
    version: i64,
) -> crate::Result<Option<TemplateRow>> {
    tx.fetch_optional(crate::Sql::dynamic(
        format!(
            "{COLUMNS} WHERE org_id IS NULL AND built_in = ? AND template_key = ? AND version = ?"
        ),
        vec![true.into(), key.into(), version.into()],
    ))
    .await
}

/// A version of `key` that a region may not store again: a built-in one, or its own.
pub async fn version_in(
    tx: &mut Tx,
    org_id: &OrgId,
    key: &str,
    version: i64,
) -> crate::Result<Option<TemplateRow>> {
    tx.fetch_optional(crate::Sql::dynamic(
        format!(
            "{COLUMNS} WHERE (org_id IS NULL OR org_id = ?) AND template_key = ? AND version = ?"
        ),
        vec![org_id.into(), key.into(), version.into()],
    ))
    .await
}

pub async fn by_id(tx: &mut Tx, id: &TemplateId) -> crate::Result<Option<TemplateRow>> {
    tx.fetch_optional(crate::Sql::dynamic(
        format!("{COLUMNS} WHERE id = ?"),
        vec![id.into()],
    ))
    .await
}

/// Every stored version, by key and newest version first.
pub async fn all(tx: &mut Tx) -> crate::Result<Vec<TemplateRow>> {
    tx.fetch_all(crate::Sql::dynamic(
        format!("{COLUMNS} ORDER BY template_key, version DESC"),
        vec![],
    ))
    .await
}

/// The built-in versions, by key and newest version first.
pub async fn built_in(tx: &mut Tx) -> crate::Result<Vec<TemplateRow>> {
    tx.fetch_all(crate::Sql::dynamic(
        format!(
            "{COLUMNS} WHERE org_id IS NULL AND built_in = ? ORDER BY template_key, version DESC"
        ),
        vec![true.into()],
    ))
    .await
}

/// The versions a region may use: the built-in ones and its own uploads, by key and newest
/// version first.
pub async fn usable_in(tx: &mut Tx, org_id: &OrgId) -> crate::Result<Vec<TemplateRow>> {
    tx.fetch_all(crate::Sql::dynamic(
        format!("{COLUMNS} WHERE (org_id IS NULL AND built_in = ?) OR org_id = ? ORDER BY template_key, version DESC"),
        vec![true.into(), org_id.into()],
    ))
    .await
}

/// Makes `template_id` the active version of its key for one organisation.
pub async fn activate(
    tx: &mut Tx,
    org_id: &OrgId,
    key: &str,
    template_id: &TemplateId,
    by: Option<&UserId>,
    now: &str,
) -> crate::Result<()> {
    tx.execute(
        sql("DELETE FROM active_templates WHERE org_id = ? AND template_key = ?")
            .bind(org_id)
            .bind(key),
    )
    .await?;
    tx.execute(
        sql("INSERT INTO active_templates (org_id, template_key, template_id, activated_by, activated_at) VALUES (?, ?, ?, ?, ?)")
            .bind(org_id)
            .bind(key)
            .bind(template_id)
            .bind(by.map(UserId::as_str))
            .bind(now),
    )
    .await?;
    Ok(())
}

/// The versions active in one organisation.
pub async fn active_in(tx: &mut Tx, org_id: &OrgId) -> crate::Result<Vec<TemplateRow>> {
    tx.fetch_all(
        sql(
            "SELECT t.id, t.template_key, t.version, t.name, t.source, t.built_in, t.created_at, t.org_id
             FROM active_templates a JOIN process_templates t ON t.id = a.template_id
             WHERE a.org_id = ? ORDER BY t.template_key",
        )
        .bind(org_id),
    )
    .await
}
