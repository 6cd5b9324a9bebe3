//! Moving a whole Sluss database from SQLite to PostgreSQL: every table and the event
//! log, with ids, diarienummer counters, token and link hashes and timestamps as they are.
//!
//! The target gets the schema by the same migrations as any database, then every row in
//! one transaction, which is verified (row count and checksum per table) before it
//! commits: an interrupted or failed move leaves the target with the schema and no rows,
//! and a second run takes it from there.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use crate::db::{Arg, Backend, Db, Kind, Sql, Tx, Value, sql};
use crate::{Result, StoreError, migrate};

/// Rows read or written at a time.
const BATCH: i64 = 5_000;

/// Reports progress: the table, rows done, rows in all.
pub type Progress = dyn Fn(&str, u64, u64) + Send + Sync;

/// One table as moved and verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub table: String,
    pub rows: u64,
    /// The rows' checksum, the same on both sides (see [`Checksum`]).
    pub checksum: String,
}

/// A table's shape as the move needs it.
#[derive(Debug, Clone)]
struct Table {
    name: String,
    columns: Vec<(String, Kind)>,
    /// Columns that point at a row of the same table (a unit's parent): written after
    /// every row of the table is in, since PostgreSQL checks a key at once.
    self_refs: Vec<String>,
    /// The one-column primary key the later update finds rows by.
    key: Option<String>,
    /// Tables this one's foreign keys point at.
    depends_on: BTreeSet<String>,
}

/// An order-independent checksum of a table's rows: the sum of each row's SHA-256 (its
/// first 128 bits), so two sides read in different orders (SQLite's rowid, PostgreSQL's
/// heap) agree exactly when they hold the same rows, a duplicate counting twice.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Checksum {
    rows: u64,
    sum: u128,
}

impl Checksum {
    fn add(&mut self, row: &[Value]) {
        let mut h = Sha256::new();
        for v in row {
            match v {
                Value::Null => h.update([0u8]),
                Value::Text(s) => {
                    h.update([1u8]);
                    h.update((s.len() as u64).to_le_bytes());
                    h.update(s.as_bytes());
                }
                Value::Int(i) => {
                    h.update([2u8]);
                    h.update(i.to_le_bytes());
                }
                Value::Bool(b) => h.update([3u8, u8::from(*b)]),
            }
        }
        let digest = h.finalize();
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        self.sum = self.sum.wrapping_add(u128::from_le_bytes(first));
        self.rows += 1;
    }

    fn hex(&self) -> String {
        format!("{:032x}", self.sum)
    }
}

/// Moves everything from the SQLite database `from` into the PostgreSQL database `to`,
/// which must hold no rows. Returns what was moved, table by table, in the order written.
pub async fn sqlite_to_postgres(from: &Db, to: &Db, progress: &Progress) -> Result<Vec<Moved>> {
    if from.backend() != Backend::Sqlite || to.backend() != Backend::Postgres {
        return Err(StoreError::Other(
            "a move goes from a SQLite database (sqlite://…) to a PostgreSQL database (postgres://…)"
                .into(),
        ));
    }
    check_source_version(from).await?;
    prepare_target(to).await?;
    let tables = source_tables(from).await?;
    check_target_tables(to, &tables).await?;
    let order = write_order(&tables)?;

    let mut source = from.read().await?;
    let mut target = to.write().await?;
    let mut sums = BTreeMap::new();
    for name in &order {
        let table = &tables[name];
        let sum = copy_table(&mut source, &mut target, table, progress).await?;
        sums.insert(name.clone(), sum);
    }
    source.commit().await?;

    let mut moved = Vec::new();
    for name in &order {
        let table = &tables[name];
        let read = sums[name];
        let step = format!("{name} (check)");
        progress(&step, 0, read.rows);
        let written = target_checksum(&mut target, table).await?;
        progress(&step, written.rows, read.rows.max(written.rows));
        if written != read {
            return Err(StoreError::Other(format!(
                "table {name}: {} rows (checksum {}) read, but {} rows (checksum {}) written; nothing was moved",
                read.rows,
                read.hex(),
                written.rows,
                written.hex()
            )));
        }
        moved.push(Moved {
            table: name.clone(),
            rows: read.rows,
            checksum: read.hex(),
        });
    }
    target.commit().await?;
    migrate::analyze(to).await?;
    Ok(moved)
}

/// The source must be at exactly this binary's schema: an older one is migrated first by
/// the person who owns it, a newer one is moved by the binary that made it.
async fn check_source_version(from: &Db) -> Result<()> {
    let status = migrate::status(from).await?;
    if let Some(newer) = status.iter().find(|m| !m.known) {
        return Err(StoreError::Other(format!(
            "the source database is at schema version {}, newer than this sluss knows (version {}): move it with the newer sluss",
            newer.version,
            migrate::latest()
        )));
    }
    if let Some(pending) = status.iter().find(|m| m.applied_at.is_none()) {
        return Err(StoreError::Other(format!(
            "the source database lacks migration {} ({}): run `sluss migrate --database-url <the source>` first",
            pending.version, pending.name
        )));
    }
    Ok(())
}

/// A target with no tables gets the schema; one with the schema and no rows (left by an
/// interrupted move, or made by `sluss migrate`) is used as it is; anything else is refused.
async fn prepare_target(to: &Db) -> Result<()> {
    let tables = postgres_tables(to).await?;
    if !tables.is_empty() {
        if !tables.iter().any(|t| t == "schema_migrations") {
            return Err(StoreError::Other(format!(
                "the target database is not empty: it holds tables that are not Sluss's ({}); move into a new, empty database",
                tables.join(", ")
            )));
        }
        if let Some(newer) = migrate::status(to).await?.iter().find(|m| !m.known) {
            return Err(StoreError::Other(format!(
                "the target database is at schema version {}, newer than this sluss knows",
                newer.version
            )));
        }
        let mut tx = to.read().await?;
        for t in tables.iter().filter(|t| *t != "schema_migrations") {
            let rows = count(&mut tx, t).await?;
            if rows > 0 {
                return Err(StoreError::Other(format!(
                    "the target database is not empty: table {t} has {rows} rows; move into a new, empty database (nothing was changed)"
                )));
            }
        }
        tx.commit().await?;
    }
    migrate::run(to).await?;
    Ok(())
}

async fn postgres_tables(db: &Db) -> Result<Vec<String>> {
    let mut tx = db.read().await?;
    let rows: Vec<(String,)> = tx
        .fetch_all(sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
        ))
        .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(|(t,)| t).collect())
}

async fn count(tx: &mut Tx, table: &str) -> Result<u64> {
    let (n,): (i64,) = tx
        .fetch_one(Sql::dynamic(
            format!("SELECT COUNT(*) FROM {}", quoted(table)),
            vec![],
        ))
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

fn quoted(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

#[derive(sqlx::FromRow)]
struct ColumnInfo {
    name: String,
    #[sqlx(rename = "type")]
    declared: String,
    pk: i64,
}

#[derive(sqlx::FromRow)]
struct ForeignKey {
    #[sqlx(rename = "table")]
    points_at: String,
    #[sqlx(rename = "from")]
    column: String,
}

/// The source's tables, less SQLite's own, the migrations' record (the target has its
/// own) and the text-search index, which is SQLite's alone (PostgreSQL indexes the same
/// text with `pg_trgm`) and is rebuilt from the rows it indexes.
async fn source_tables(from: &Db) -> Result<BTreeMap<String, Table>> {
    let mut tx = from.read().await?;
    let all: Vec<(String, String)> = tx
        .fetch_all(sql(
            "SELECT name, COALESCE(sql, '') FROM sqlite_master WHERE type = 'table' ORDER BY name",
        ))
        .await?;
    let virtual_tables: Vec<&str> = all
        .iter()
        .filter(|(_, text)| text.to_uppercase().starts_with("CREATE VIRTUAL TABLE"))
        .map(|(n, _)| n.as_str())
        .collect();
    let mut tables = BTreeMap::new();
    for (name, _) in &all {
        let shadow = virtual_tables
            .iter()
            .any(|v| name == v || name.starts_with(&format!("{v}_")));
        if shadow || name.starts_with("sqlite_") || name == "schema_migrations" {
            continue;
        }
        let columns: Vec<ColumnInfo> = tx
            .fetch_all(sql("SELECT name, type, pk FROM pragma_table_info(?)").bind(name))
            .await?;
        let keys: Vec<ForeignKey> = tx
            .fetch_all(sql("SELECT \"table\", \"from\" FROM pragma_foreign_key_list(?)").bind(name))
            .await?;
        let pk: Vec<&ColumnInfo> = columns.iter().filter(|c| c.pk > 0).collect();
        let mut shape = Vec::new();
        for c in &columns {
            let kind = match c.declared.to_uppercase().as_str() {
                "TEXT" => Kind::Text,
                "BIGINT" | "INTEGER" => Kind::Int,
                "BOOLEAN" => Kind::Bool,
                other => {
                    return Err(StoreError::Other(format!(
                        "table {name}, column {}: type {other} is not one the schema uses",
                        c.name
                    )));
                }
            };
            shape.push((c.name.clone(), kind));
        }
        tables.insert(
            name.clone(),
            Table {
                name: name.clone(),
                columns: shape,
                self_refs: keys
                    .iter()
                    .filter(|k| &k.points_at == name)
                    .map(|k| k.column.clone())
                    .collect(),
                key: match pk.as_slice() {
                    [one] => Some(one.name.clone()),
                    _ => None,
                },
                depends_on: keys
                    .iter()
                    .filter(|k| &k.points_at != name)
                    .map(|k| k.points_at.clone())
                    .collect(),
            },
        );
    }
    tx.commit().await?;
    Ok(tables)
}

/// Both sides must have the same tables with the same columns of the same kinds: both
/// were made by the same migrations, so a difference means a database changed by hand.
async fn check_target_tables(to: &Db, tables: &BTreeMap<String, Table>) -> Result<()> {
    let present: BTreeSet<String> = postgres_tables(to)
        .await?
        .into_iter()
        .filter(|t| t != "schema_migrations")
        .collect();
    let wanted: BTreeSet<String> = tables.keys().cloned().collect();
    if present != wanted {
        let missing: Vec<_> = wanted.difference(&present).cloned().collect();
        let extra: Vec<_> = present.difference(&wanted).cloned().collect();
        return Err(StoreError::Other(format!(
            "the two databases' tables differ (only in the source: {}; only in the target: {})",
            missing.join(", "),
            extra.join(", ")
        )));
    }
    let mut tx = to.read().await?;
    for table in tables.values() {
        let columns: Vec<(String, String)> = tx
            .fetch_all(
                sql("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?")
                    .bind(&table.name),
            )
            .await?;
        let target: BTreeMap<String, Kind> = columns
            .into_iter()
            .filter_map(|(c, t)| {
                let kind = match t.as_str() {
                    "text" => Kind::Text,
                    "bigint" => Kind::Int,
                    "boolean" => Kind::Bool,
                    _ => return None,
                };
                Some((c, kind))
            })
            .collect();
        let source: BTreeMap<String, Kind> = table.columns.iter().cloned().collect();
        if source != target {
            return Err(StoreError::Other(format!(
                "table {}: the columns differ between the two databases",
                table.name
            )));
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Tables in an order where each comes after those its keys point at.
fn write_order(tables: &BTreeMap<String, Table>) -> Result<Vec<String>> {
    let mut order: Vec<String> = Vec::new();
    let mut left: BTreeSet<&String> = tables.keys().collect();
    while !left.is_empty() {
        let ready: Vec<&String> = left
            .iter()
            .copied()
            .filter(|t| {
                tables[*t]
                    .depends_on
                    .iter()
                    .all(|d| order.contains(d) || !tables.contains_key(d))
            })
            .collect();
        if ready.is_empty() {
            return Err(StoreError::Other(format!(
                "the foreign keys of these tables form a cycle: {}",
                left.iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        for t in ready {
            left.remove(t);
            order.push(t.clone());
        }
    }
    Ok(order)
}

/// Copies one table in batches read by rowid; returns the checksum of what it read.
async fn copy_table(
    source: &mut Tx,
    target: &mut Tx,
    table: &Table,
    progress: &Progress,
) -> Result<Checksum> {
    let total = count(source, &table.name).await?;
    progress(&table.name, 0, total);
    let names: Vec<String> = table.columns.iter().map(|(c, _)| quoted(c)).collect();
    let mut kinds = vec![Kind::Int];
    kinds.extend(table.columns.iter().map(|(_, k)| *k));
    let read = format!(
        "SELECT rowid, {} FROM {} WHERE rowid > ? ORDER BY rowid LIMIT {BATCH}",
        names.join(", "),
        quoted(&table.name)
    );
    let casts: Vec<String> = table
        .columns
        .iter()
        .map(|(_, k)| format!("?::{}[]", pg_type(*k)))
        .collect();
    let insert = format!(
        "INSERT INTO {} ({}) SELECT * FROM unnest({})",
        quoted(&table.name),
        names.join(", "),
        casts.join(", ")
    );
    let self_ref_at: Vec<usize> = table
        .self_refs
        .iter()
        .filter_map(|c| table.columns.iter().position(|(n, _)| n == c))
        .collect();
    let key_at = table
        .key
        .as_ref()
        .and_then(|k| table.columns.iter().position(|(n, _)| n == k));
    if !self_ref_at.is_empty() && key_at.is_none() {
        return Err(StoreError::Other(format!(
            "table {} points at itself but has no one-column key",
            table.name
        )));
    }
    let mut later: Vec<(usize, Value, Value)> = Vec::new();
    let mut sum = Checksum::default();
    let mut after = i64::MIN;
    loop {
        let rows = source
            .fetch_values(
                Sql::dynamic(read.clone(), vec![Arg::Int(Some(after))]),
                &kinds,
            )
            .await?;
        let Some(last) = rows.last() else { break };
        if let Some(Value::Int(id)) = last.first() {
            after = *id;
        }
        let mut columns: Vec<Vec<Value>> =
            vec![Vec::with_capacity(rows.len()); table.columns.len()];
        for row in &rows {
            let values = &row[1..];
            sum.add(values);
            for (i, v) in values.iter().enumerate() {
                if self_ref_at.contains(&i) && *v != Value::Null {
                    if let Some(k) = key_at {
                        later.push((i, values[k].clone(), v.clone()));
                    }
                    columns[i].push(Value::Null);
                } else {
                    columns[i].push(v.clone());
                }
            }
        }
        let args = columns
            .into_iter()
            .zip(&table.columns)
            .map(|(values, (_, kind))| list_arg(*kind, values))
            .collect::<Result<Vec<Arg>>>()?;
        target
            .execute(Sql::dynamic(insert.clone(), args))
            .await
            .map_err(|e| in_table(&table.name, e))?;
        progress(&table.name, sum.rows, total.max(sum.rows));
    }
    for (i, column) in table.self_refs.iter().enumerate() {
        let Some(at) = self_ref_at.get(i) else {
            continue;
        };
        let (keys, values): (Vec<Value>, Vec<Value>) = later
            .iter()
            .filter(|(c, _, _)| c == at)
            .map(|(_, k, v)| (k.clone(), v.clone()))
            .unzip();
        let (Some(key), Some(k)) = (&table.key, key_at) else {
            continue;
        };
        for (keys, values) in keys
            .chunks(BATCH as usize)
            .zip(values.chunks(BATCH as usize))
        {
            let (key_kind, kind) = (table.columns[k].1, table.columns[*at].1);
            let update = format!(
                "UPDATE {t} SET {c} = u.v FROM unnest(?::{kt}[], ?::{vt}[]) AS u(k, v) WHERE {t}.{key} = u.k",
                t = quoted(&table.name),
                c = quoted(column),
                kt = pg_type(key_kind),
                vt = pg_type(kind),
                key = quoted(key),
            );
            target
                .execute(Sql::dynamic(
                    update,
                    vec![
                        list_arg(key_kind, keys.to_vec())?,
                        list_arg(kind, values.to_vec())?,
                    ],
                ))
                .await
                .map_err(|e| in_table(&table.name, e))?;
        }
    }
    Ok(sum)
}

fn in_table(table: &str, e: StoreError) -> StoreError {
    StoreError::Other(format!("table {table}: {e}; nothing was moved"))
}

fn pg_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "text",
        Kind::Int => "bigint",
        Kind::Bool => "boolean",
    }
}

/// One column of a batch as an array argument.
fn list_arg(kind: Kind, values: Vec<Value>) -> Result<Arg> {
    let wrong = || StoreError::Other(format!("a value is not of its column's kind ({kind:?})"));
    Ok(match kind {
        Kind::Text => Arg::TextList(
            values
                .into_iter()
                .map(|v| match v {
                    Value::Null => Ok(None),
                    Value::Text(s) => Ok(Some(s)),
                    _ => Err(wrong()),
                })
                .collect::<Result<_>>()?,
        ),
        Kind::Int => Arg::IntList(
            values
                .into_iter()
                .map(|v| match v {
                    Value::Null => Ok(None),
                    Value::Int(i) => Ok(Some(i)),
                    _ => Err(wrong()),
                })
                .collect::<Result<_>>()?,
        ),
        Kind::Bool => Arg::BoolList(
            values
                .into_iter()
                .map(|v| match v {
                    Value::Null => Ok(None),
                    Value::Bool(b) => Ok(Some(b)),
                    _ => Err(wrong()),
                })
                .collect::<Result<_>>()?,
        ),
    })
}

/// The checksum of a table as written, read back in the move's own transaction (before
/// it commits) in one pass, streamed.
async fn target_checksum(target: &mut Tx, table: &Table) -> Result<Checksum> {
    let names: Vec<String> = table.columns.iter().map(|(c, _)| quoted(c)).collect();
    let kinds: Vec<Kind> = table.columns.iter().map(|(_, k)| *k).collect();
    let mut sum = Checksum::default();
    target
        .scan_values(
            Sql::dynamic(
                format!("SELECT {} FROM {}", names.join(", "), quoted(&table.name)),
                vec![],
            ),
            &kinds,
            |row| sum.add(&row),
        )
        .await?;
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, depends_on: &[&str]) -> (String, Table) {
        (
            name.to_string(),
            Table {
                name: name.to_string(),
                columns: vec![],
                self_refs: vec![],
                key: None,
                depends_on: depends_on.iter().map(|d| d.to_string()).collect(),
            },
        )
    }

    #[test]
    fn tables_are_written_after_those_they_point_at() {
        let tables: BTreeMap<_, _> = [
            table("events", &[]),
            table("cases", &["organisations", "users"]),
            table("users", &[]),
            table("memberships", &["users", "organisations"]),
            table("organisations", &[]),
        ]
        .into_iter()
        .collect();
        let order = write_order(&tables).unwrap();
        let at = |t: &str| order.iter().position(|o| o == t).unwrap();
        assert!(at("organisations") < at("cases") && at("users") < at("cases"));
        assert!(at("users") < at("memberships"));
        assert_eq!(order.len(), 5);
    }

    #[test]
    fn a_cycle_of_keys_is_named() {
        let tables: BTreeMap<_, _> = [table("a", &["b"]), table("b", &["a"]), table("c", &[])]
            .into_iter()
            .collect();
        let e = write_order(&tables).unwrap_err().to_string();
        assert!(e.ends_with("cycle: a, b"), "{e}");
    }

    #[test]
    fn the_checksum_ignores_order_and_sees_every_value() {
        let a = vec![Value::Text("x".into()), Value::Int(1), Value::Bool(true)];
        let b = vec![Value::Text("y".into()), Value::Null, Value::Bool(false)];
        let (mut one, mut two) = (Checksum::default(), Checksum::default());
        one.add(&a);
        one.add(&b);
        two.add(&b);
        two.add(&a);
        assert_eq!(one, two);
        let mut three = Checksum::default();
        three.add(&a);
        three.add(&[Value::Text("y".into()), Value::Int(0), Value::Bool(false)]);
        assert_ne!(one, three, "NULL and 0 differ");
        let mut four = Checksum::default();
        four.add(&a);
        four.add(&a);
        assert_ne!(four, {
            let mut c = Checksum::default();
            c.add(&a);
            c
        });
    }
}
