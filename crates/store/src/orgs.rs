//! Organisations: regions and their units. They are only ever added; each node keeps the
//! tree, and the insert tells every node (see `app::access`).

use crate::db::{Tx, sql};
use domain::id::OrgId;
use domain::time::Timestamp;

#[derive(Debug, Clone, sqlx::FromRow, PartialEq, Eq)]
pub struct OrgRow {
    #[sqlx(try_from = "String")]
    pub id: OrgId,
    pub slug: String,
    pub name: String,
    #[sqlx(try_from = "crate::Nullable")]
    pub parent_id: Option<OrgId>,
    pub reference_format: String,
    pub created_at: String,
}

impl OrgRow {
    pub fn node(&self) -> domain::org::OrgNode {
        domain::org::OrgNode {
            id: self.id.clone(),
            parent_id: self.parent_id.clone(),
        }
    }
}

/// The payload on the live channel ([`crate::campaigns::LIVE_CHANNEL`]) that says an
/// organisation was added: nodes read the organisation tree again. It cannot be a
/// campaign's code (those are letters and digits).
pub const CHANGED: &str = "#organisations";

const COLUMNS: &str = "id, slug, name, parent_id, reference_format, created_at";

pub async fn insert(
    tx: &mut Tx,
    slug: &str,
    name: &str,
    parent_id: Option<&OrgId>,
    reference_format: &str,
) -> crate::Result<OrgRow> {
    let row = OrgRow {
        id: OrgId::from(crate::new_id()),
        slug: slug.to_string(),
        name: name.to_string(),
        parent_id: parent_id.cloned(),
        reference_format: reference_format.to_string(),
        created_at: Timestamp::now().to_db(),
    };
    tx.execute(
        sql("INSERT INTO organisations (id, slug, name, parent_id, reference_format, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(row.id.as_str())
            .bind(&row.slug)
            .bind(&row.name)
            .bind(row.parent_id.as_ref().map(OrgId::as_str))
            .bind(&row.reference_format)
            .bind(&row.created_at),
    )
    .await?;
    // Every node hears of it when this transaction commits (PostgreSQL delivers the
    // notification at commit and drops it on rollback; SQLite has one node).
    if tx.backend() == crate::Backend::Postgres {
        tx.execute(
            sql("SELECT CAST(pg_notify(?, ?) AS TEXT)")
                .bind(crate::campaigns::LIVE_CHANNEL)
                .bind(CHANGED),
        )
        .await?;
    }
    Ok(row)
}

pub async fn all(tx: &mut Tx) -> crate::Result<Vec<OrgRow>> {
    tx.fetch_all(crate::Sql::dynamic(
        format!("SELECT {COLUMNS} FROM organisations ORDER BY name"),
        vec![],
    ))
    .await
}

pub async fn by_slug(tx: &mut Tx, slug: &str) -> crate::Result<Option<OrgRow>> {
    tx.fetch_optional(crate::Sql::dynamic(
        format!("SELECT {COLUMNS} FROM organisations WHERE slug = ?"),
        vec![slug.into()],
    ))
    .await
}

pub async fn by_id(tx: &mut Tx, id: &OrgId) -> crate::Result<Option<OrgRow>> {
    tx.fetch_optional(crate::Sql::dynamic(
        format!("SELECT {COLUMNS} FROM organisations WHERE id = ?"),
        vec![id.as_str().into()],
    ))
    .await
}

/// Renames an organisation and moves it under `parent_id` (its place in the tree; the
/// caller has checked it is no cycle). Every node hears of it as of an insert.
pub async fn update(
    tx: &mut Tx,
    id: &OrgId,
    name: &str,
    parent_id: Option<&OrgId>,
) -> crate::Result<()> {
    tx.execute(
        sql("UPDATE organisations SET name = ?, parent_id = ? WHERE id = ?")
            .bind(name)
            .bind(parent_id.map(OrgId::as_str))
            .bind(id.as_str()),
    )
    .await?;
    if tx.backend() == crate::Backend::Postgres {
        tx.execute(
            sql("SELECT CAST(pg_notify(?, ?) AS TEXT)")
                .bind(crate::campaigns::LIVE_CHANNEL)
                .bind(CHANGED),
        )
        .await?;
    }
    Ok(())
}
