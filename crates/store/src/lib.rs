//! Persistence for Sluss. One schema and one text per query serve both SQLite and
//! PostgreSQL: queries are written in the subset both understand, with `?` placeholders
//! that [`db`] rewrites to `$n` for PostgreSQL. Ids are UUID text, times are fixed-width
//! UTC text, integers are 64-bit; that is what keeps one text valid on both.
//!
//! Every write happens in a [`Tx`] together with its [`events`] row.

pub mod attachments;
pub mod backup;
pub mod campaigns;
pub mod cases;
pub mod db;
pub mod events;
pub mod identities;
pub mod invites;
pub mod jobs;
pub mod migrate;
pub mod notify;
pub mod nullable;
pub mod orgs;
pub mod outbox;
pub mod password_resets;
pub mod processes;
pub mod references;
pub mod retention;
pub mod sessions;
pub mod submissions;
pub mod transfer;
pub mod users;

pub use db::{Arg, Backend, Db, Kind, Record, Sql, StoreError, Tx, Value, sql};
pub use nullable::Nullable;

pub type Result<T> = std::result::Result<T, StoreError>;

/// A new time-ordered id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
