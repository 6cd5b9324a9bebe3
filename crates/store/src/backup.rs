//! A consistent copy of a SQLite database while Sluss serves it. PostgreSQL is backed up
//! with its own tools (`pg_dump`), which know more about it than we could.

use std::path::{Path, PathBuf};

use crate::db::{Backend, Db, sql};
use crate::{Result, StoreError};

/// What a backup wrote.
#[derive(Debug, Clone)]
pub struct Backup {
    pub path: PathBuf,
    pub bytes: u64,
}

/// Writes a copy of the SQLite database to `out`, which must not exist. The copy is made
/// by `VACUUM INTO` (one read transaction: the state of one moment, while writers go on),
/// into a file beside `out` that is checked (`PRAGMA integrity_check`) and only then given
/// its name; so a file at `out` is always a whole, checked copy, and a failed backup leaves
/// nothing behind.
pub async fn sqlite_copy(db: &Db, out: &Path) -> Result<Backup> {
    if db.backend() != Backend::Sqlite {
        return Err(StoreError::Other(
            "this is a PostgreSQL database: back it up with pg_dump (see the README)".into(),
        ));
    }
    if out.exists() {
        return Err(StoreError::Other(format!(
            "{} exists already: choose a new name, or move the old file away first",
            out.display()
        )));
    }
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(StoreError::Other(format!(
            "{} is not a directory that exists",
            dir.display()
        )));
    }
    let name = out
        .file_name()
        .ok_or_else(|| StoreError::Other(format!("{} is not a file name", out.display())))?;
    let partial = dir.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&partial);
    let result = write_checked(db, &partial).await.and_then(|()| {
        // A hard link gives the copy its name only if nothing has that name meanwhile.
        std::fs::hard_link(&partial, out)
            .map_err(|e| StoreError::Other(format!("cannot write {}: {e}", out.display())))
    });
    let _ = std::fs::remove_file(&partial);
    result?;
    let bytes = std::fs::metadata(out)
        .map_err(|e| StoreError::Other(format!("cannot read {}: {e}", out.display())))?
        .len();
    Ok(Backup {
        path: out.to_path_buf(),
        bytes,
    })
}

async fn write_checked(db: &Db, partial: &Path) -> Result<()> {
    let target = partial
        .to_str()
        .ok_or_else(|| StoreError::Other(format!("{} is not UTF-8", partial.display())))?;
    db.run_alone(sql("VACUUM INTO ?").bind(target))
        .await
        .map_err(|e| {
            StoreError::Other(format!(
                "cannot write the copy in {}: {e}",
                partial.parent().unwrap_or(partial).display()
            ))
        })?;
    let copy = Db::connect_existing(&format!("sqlite://{target}")).await?;
    let mut tx = copy.read().await?;
    let (verdict,): (String,) = tx.fetch_one(sql("PRAGMA integrity_check")).await?;
    tx.commit().await?;
    copy.close().await;
    // The copy's write-ahead log and shared memory, if opening it made them.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{target}{suffix}"));
    }
    if verdict != "ok" {
        return Err(StoreError::Other(format!(
            "the copy failed its integrity check: {verdict}"
        )));
    }
    Ok(())
}
