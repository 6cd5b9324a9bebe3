//! The seam between the two databases. Everything above this module is written once; the
//! only backend-specific code is here and in the few statements `Backend` is asked about.

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{
    AssertSqlSafe, FromRow, PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool,
    Transaction,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; the name of the constraint or column is kept.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("the database URL is not understood: {0}")]
    BadUrl(String),
    #[error(transparent)]
    Db(sqlx::Error),
    #[error("{0}")]
    Other(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            return StoreError::Conflict(db.constraint().unwrap_or(db.message()).to_string());
        }
        StoreError::Db(e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A value bound to a `?` placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
    /// PostgreSQL only: one array argument for a column of a batch, for `unnest` or
    /// `= ANY`, so that a batch of any size has one statement text and binds a few
    /// arguments, not a few for every row. On SQLite it is an error.
    TextList(Vec<Option<String>>),
    IntList(Vec<Option<i64>>),
    BoolList(Vec<Option<bool>>),
}

/// The kind of a column, for reading rows whose shape is known only at run time (the
/// move between databases): the schema's three column types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int,
    Bool,
}

/// One value of a row read by [`Tx::fetch_values`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    Null,
    Text(String),
    Int(i64),
    Bool(bool),
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(Some(v.clone()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::Text(v.map(str::to_string))
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}

/// An id binds as its text (`.bind(&org_id)`, `.bind(parent.as_ref())`).
macro_rules! id_args {
    ($($id:ty),*) => {$(
        impl From<&$id> for Arg {
            fn from(v: &$id) -> Self {
                Arg::Text(Some(v.as_str().to_string()))
            }
        }
        impl From<$id> for Arg {
            fn from(v: $id) -> Self {
                Arg::Text(Some(v.into_string()))
            }
        }
        impl From<Option<&$id>> for Arg {
            fn from(v: Option<&$id>) -> Self {
                Arg::Text(v.map(|id| id.as_str().to_string()))
            }
        }
    )*};
}

id_args!(
    domain::id::CaseId,
    domain::id::SubmissionId,
    domain::id::CampaignId,
    domain::id::UserId,
    domain::id::OrgId,
    domain::id::TokenId,
    domain::id::TemplateId,
    domain::id::IdeaId,
    domain::id::ParticipantId,
    domain::id::AttachmentId
);

/// One statement: its text in the shared dialect and its arguments.
#[derive(Debug, Clone)]
pub struct Sql {
    text: Cow<'static, str>,
    args: Vec<Arg>,
}

pub fn sql(text: &'static str) -> Sql {
    Sql {
        text: Cow::Borrowed(text),
        args: Vec::new(),
    }
}

impl Sql {
    /// A statement assembled at run time (filters). Only ever from fixed fragments: values go
    /// through [`bind`](Self::bind).
    pub fn dynamic(text: String, args: Vec<Arg>) -> Sql {
        Sql {
            text: Cow::Owned(text),
            args,
        }
    }

    pub fn bind(mut self, a: impl Into<Arg>) -> Self {
        self.args.push(a.into());
        self
    }

    fn text_for(&self, backend: Backend) -> String {
        match backend {
            Backend::Sqlite => self.text.to_string(),
            Backend::Postgres => numbered_placeholders(&self.text),
        }
    }
}

/// `?` → `$1, $2, …`, leaving quoted literals alone.
pub fn numbered_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut n = 0;
    let mut in_quote = false;
    for c in text.chars() {
        match c {
            '\'' => {
                in_quote = !in_quote;
                out.push(c);
            }
            '?' if !in_quote => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

macro_rules! bind_sqlite {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Text(v) => q.bind(v.clone()),
                Arg::Int(v) => q.bind(*v),
                Arg::Bool(v) => q.bind(*v),
                Arg::TextList(_) | Arg::IntList(_) | Arg::BoolList(_) => {
                    return Err(StoreError::Other(
                        "an array argument was given to SQLite".into(),
                    ));
                }
            };
        }
        q
    }};
}

macro_rules! bind_postgres {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Text(v) => q.bind(v.clone()),
                Arg::Int(v) => q.bind(*v),
                Arg::Bool(v) => q.bind(*v),
                Arg::TextList(v) => q.bind(v.clone()),
                Arg::IntList(v) => q.bind(v.clone()),
                Arg::BoolList(v) => q.bind(v.clone()),
            };
        }
        q
    }};
}

/// A row type decodable from both backends' rows.
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

#[derive(Clone)]
enum Pools {
    /// The pool and this process's turn to write: SQLite has one writer at a time, and a
    /// writer that finds the lock taken sleeps in SQLite's busy handler (up to 100 ms a
    /// try), which under load gives a few requests half-second waits. Writers of this
    /// process queue here instead, first come first served, without holding a connection
    /// while they wait; the busy timeout remains for other processes (the command line).
    Sqlite(SqlitePool, Arc<tokio::sync::Mutex<()>>),
    Postgres(PgPool),
}

/// The database: a pool of one backend or the other.
#[derive(Clone)]
pub struct Db {
    pools: Pools,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Db({:?})", self.backend())
    }
}

impl Db {
    /// Connects by URL scheme: `sqlite://path` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> crate::Result<Db> {
        Self::connect_with(url, true).await
    }

    /// Connects to a database that must exist already: a SQLite file that is missing is an
    /// error, not a new empty database (for backups, moves and status, which only read it).
    pub async fn connect_existing(url: &str) -> crate::Result<Db> {
        Self::connect_with(url, false).await
    }

    async fn connect_with(url: &str, create: bool) -> crate::Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts =
                PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts)
                .await?;
            Ok(Db {
                pools: Pools::Postgres(pool),
            })
        } else if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::BadUrl(e.to_string()))?
                .create_if_missing(create)
                .journal_mode(SqliteJournalMode::Wal)
                // A commit is on disk before it is acknowledged (a vote or a submission
                // survives a power cut, not only a crash of the process).
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true);
            if !create && !opts.get_filename().exists() {
                return Err(StoreError::Other(format!(
                    "there is no database at {}",
                    opts.get_filename().display()
                )));
            }
            if let Some(dir) = opts.get_filename().parent()
                && create
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Other(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts)
                .await?;
            Ok(Db {
                pools: Pools::Sqlite(pool, Arc::new(tokio::sync::Mutex::new(()))),
            })
        } else {
            Err(StoreError::BadUrl(format!(
                "expected sqlite:// or postgres://, got {}",
                redact(url)
            )))
        }
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite(..) => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// A write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`),
    /// so read-then-write transactions never fail on a stale snapshot.
    pub async fn write(&self) -> crate::Result<Tx> {
        Ok(match &self.pools {
            Pools::Sqlite(p, turn) => {
                let turn = turn.clone().lock_owned().await;
                Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, Some(turn))
            }
            Pools::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Where a task that writes again and again (the vote writer) writes. On PostgreSQL, a
    /// connection of its own, outside the pool and closed when dropped, on which each
    /// statement is its own transaction: a write of one statement costs one round trip, not
    /// three (`BEGIN`, the statement, `COMMIT`), and the task keeps the connection from write
    /// to write. Its statements are planned once (a generic plan) instead of for every
    /// write's values, which cost more than running them; the mode is the connection's and
    /// goes with it. On SQLite, whose writes of this kind take several statements, a write
    /// transaction ([`Db::write`]) to commit.
    pub async fn own_writer(&self) -> crate::Result<Tx> {
        match &self.pools {
            Pools::Postgres(p) => {
                let mut conn = p.acquire().await?.detach();
                sqlx::raw_sql("SET plan_cache_mode = force_generic_plan")
                    .execute(&mut conn)
                    .await?;
                Ok(Tx::Statements(Box::new(conn)))
            }
            Pools::Sqlite(..) => self.write().await,
        }
    }

    /// A write transaction whose commit does not wait for the disk (PostgreSQL's
    /// `synchronous_commit = off`), for what may be lost in a crash: a notification. On
    /// SQLite an ordinary write transaction.
    pub async fn write_unflushed(&self) -> crate::Result<Tx> {
        match &self.pools {
            Pools::Postgres(p) => Ok(Tx::Postgres(
                p.begin_with("BEGIN; SET LOCAL synchronous_commit = off")
                    .await?,
            )),
            Pools::Sqlite(..) => self.write().await,
        }
    }

    /// A read transaction: one consistent snapshot for everything a page shows.
    pub async fn read(&self) -> crate::Result<Tx> {
        Ok(match &self.pools {
            Pools::Sqlite(p, _) => Tx::Sqlite(p.begin().await?, None),
            Pools::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Runs one statement outside any transaction, for what SQLite refuses inside one
    /// (`VACUUM INTO`).
    pub async fn run_alone(&self, s: Sql) -> crate::Result<u64> {
        let text = s.text_for(self.backend());
        Ok(match &self.pools {
            Pools::Sqlite(p, _) => bind_sqlite!(sqlx::query(AssertSqlSafe(text)), &s.args)
                .execute(p)
                .await?
                .rows_affected(),
            Pools::Postgres(p) => bind_postgres!(sqlx::query(AssertSqlSafe(text)), &s.args)
                .execute(p)
                .await?
                .rows_affected(),
        })
    }

    pub async fn ping(&self) -> crate::Result<()> {
        let mut tx = self.read().await?;
        let _: (i64,) = tx.fetch_one(sql("SELECT CAST(1 AS BIGINT)")).await?;
        tx.commit().await
    }

    /// Listens on a PostgreSQL notification channel: every payload sent there by any node
    /// goes to `on`, until the pool closes. On SQLite (one node) there is nothing to listen to.
    pub async fn listen(
        &self,
        channel: &str,
        on: impl Fn(String) + Send + 'static,
    ) -> crate::Result<bool> {
        let Pools::Postgres(pool) = &self.pools else {
            return Ok(false);
        };
        let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(channel).await?;
        let pool = pool.clone();
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => on(n.payload().to_string()),
                    // The connection dropped; sqlx reconnects on the next call.
                    Ok(None) => continue,
                    Err(e) => {
                        if pool.is_closed() {
                            break;
                        }
                        tracing::warn!(error = %e, "notification listener failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(true)
    }

    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite(p, _) => p.close().await,
            Pools::Postgres(p) => p.close().await,
        }
    }
}

/// Hides a password in a URL before it reaches a log or an error.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}://{}:***@{}", &url[..s], user, &url[at + 1..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// An open transaction on one backend. Dropped without [`commit`](Tx::commit), it rolls back.
/// (Or a writer's own connection, whose statements each commit by themselves:
/// [`Tx::Statements`].)
pub enum Tx {
    /// A SQLite transaction, and for a write transaction this process's turn to write.
    Sqlite(
        Transaction<'static, Sqlite>,
        Option<tokio::sync::OwnedMutexGuard<()>>,
    ),
    Postgres(Transaction<'static, Postgres>),
    /// A PostgreSQL connection on which each statement commits by itself ([`Db::own_writer`]).
    Statements(Box<PgConnection>),
}

/// A transaction's connection, whichever kind holds it.
enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(..) => Backend::Sqlite,
            Tx::Postgres(_) | Tx::Statements(_) => Backend::Postgres,
        }
    }

    /// The connection statements run on.
    fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(tx, _) => Conn::Sqlite(tx),
            Tx::Postgres(tx) => Conn::Postgres(tx),
            Tx::Statements(conn) => Conn::Postgres(conn),
        }
    }

    pub async fn execute(&mut self, s: Sql) -> crate::Result<u64> {
        let text = s.text_for(self.backend());
        Ok(match self.conn() {
            Conn::Sqlite(c) => bind_sqlite!(sqlx::query(AssertSqlSafe(text)), &s.args)
                .execute(c)
                .await?
                .rows_affected(),
            Conn::Postgres(c) => bind_postgres!(sqlx::query(AssertSqlSafe(text)), &s.args)
                .execute(c)
                .await?
                .rows_affected(),
        })
    }

    pub async fn fetch_all<T: Record>(&mut self, s: Sql) -> crate::Result<Vec<T>> {
        let text = s.text_for(self.backend());
        Ok(match self.conn() {
            Conn::Sqlite(c) => {
                bind_sqlite!(sqlx::query_as::<_, T>(AssertSqlSafe(text)), &s.args)
                    .fetch_all(c)
                    .await?
            }
            Conn::Postgres(c) => {
                bind_postgres!(sqlx::query_as::<_, T>(AssertSqlSafe(text)), &s.args)
                    .fetch_all(c)
                    .await?
            }
        })
    }

    pub async fn fetch_optional<T: Record>(&mut self, s: Sql) -> crate::Result<Option<T>> {
        let text = s.text_for(self.backend());
        Ok(match self.conn() {
            Conn::Sqlite(c) => {
                bind_sqlite!(sqlx::query_as::<_, T>(AssertSqlSafe(text)), &s.args)
                    .fetch_optional(c)
                    .await?
            }
            Conn::Postgres(c) => {
                bind_postgres!(sqlx::query_as::<_, T>(AssertSqlSafe(text)), &s.args)
                    .fetch_optional(c)
                    .await?
            }
        })
    }

    pub async fn fetch_one<T: Record>(&mut self, s: Sql) -> crate::Result<T> {
        self.fetch_optional(s)
            .await?
            .ok_or(StoreError::Db(sqlx::Error::RowNotFound))
    }

    /// Rows whose shape is known only at run time, each column read as the kind given for
    /// it (a SQLite boolean is an integer on disk and is read as a boolean all the same).
    pub async fn fetch_values(&mut self, s: Sql, kinds: &[Kind]) -> crate::Result<Vec<Vec<Value>>> {
        let text = s.text_for(self.backend());
        match self.conn() {
            Conn::Sqlite(c) => {
                let rows = bind_sqlite!(sqlx::query(AssertSqlSafe(text)), &s.args)
                    .fetch_all(c)
                    .await?;
                rows.iter().map(|r| values_of(r, kinds)).collect()
            }
            Conn::Postgres(c) => {
                let rows = bind_postgres!(sqlx::query(AssertSqlSafe(text)), &s.args)
                    .fetch_all(c)
                    .await?;
                rows.iter().map(|r| values_of(r, kinds)).collect()
            }
        }
    }

    /// Reads rows whose shape is known only at run time one at a time, as the database
    /// sends them, so a table of any size is read in one pass in little memory; returns how
    /// many there were.
    pub async fn scan_values(
        &mut self,
        s: Sql,
        kinds: &[Kind],
        mut each: impl FnMut(Vec<Value>),
    ) -> crate::Result<u64> {
        use futures_util::TryStreamExt;
        let text = s.text_for(self.backend());
        let mut n = 0;
        match self.conn() {
            Conn::Sqlite(c) => {
                let mut rows = bind_sqlite!(sqlx::query(AssertSqlSafe(text)), &s.args).fetch(c);
                while let Some(row) = rows.try_next().await? {
                    each(values_of(&row, kinds)?);
                    n += 1;
                }
            }
            Conn::Postgres(c) => {
                let mut rows = bind_postgres!(sqlx::query(AssertSqlSafe(text)), &s.args).fetch(c);
                while let Some(row) = rows.try_next().await? {
                    each(values_of(&row, kinds)?);
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// Runs a script of several statements as one text (migrations): the database splits
    /// it, so a trigger's body may span lines and hold semicolons.
    pub async fn execute_script(&mut self, script: &str) -> crate::Result<()> {
        if script.trim().is_empty() {
            return Ok(());
        }
        let text = script.to_string();
        match self.conn() {
            Conn::Sqlite(c) => {
                sqlx::raw_sql(AssertSqlSafe(text)).execute(c).await?;
            }
            Conn::Postgres(c) => {
                sqlx::raw_sql(AssertSqlSafe(text)).execute(c).await?;
            }
        }
        Ok(())
    }

    /// Commits the transaction. On a connection whose statements commit by themselves
    /// ([`Tx::Statements`]) all is committed already, and the connection is closed.
    pub async fn commit(self) -> crate::Result<()> {
        match self {
            Tx::Sqlite(tx, _) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
            Tx::Statements(conn) => sqlx::Connection::close(*conn).await?,
        }
        Ok(())
    }
}

/// Reads a row's columns as the kinds given, on either backend.
fn values_of<R>(row: &R, kinds: &[Kind]) -> crate::Result<Vec<Value>>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<bool>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            Ok(match kind {
                Kind::Text => row.try_get::<Option<String>, _>(i)?.map(Value::Text),
                Kind::Int => row.try_get::<Option<i64>, _>(i)?.map(Value::Int),
                Kind::Bool => row.try_get::<Option<bool>, _>(i)?.map(Value::Bool),
            }
            .unwrap_or(Value::Null))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(
            numbered_placeholders("SELECT a FROM t WHERE b = ? AND c = '?' AND d = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = '?' AND d = $2"
        );
    }

    #[tokio::test]
    async fn arrays_are_refused_by_sqlite() {
        let path = std::env::temp_dir().join(format!("sluss-db-arrays-{}.db", std::process::id()));
        let db = Db::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let mut tx = db.read().await.unwrap();
        let bad = Sql::dynamic(
            "SELECT ?".into(),
            vec![Arg::TextList(vec![Some("a".into())])],
        );
        assert!(matches!(tx.execute(bad).await, Err(StoreError::Other(_))));
        drop(tx);
        db.close().await;
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("sqlite://./x.db"), "sqlite://./x.db");
    }
}
