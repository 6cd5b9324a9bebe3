//! Pure types and rules of Sluss. Nothing here does I/O: every value that crosses the
//! edge of the system is parsed into one of these types first, so an invalid title, an
//! unknown role or a malformed e-mail address cannot exist further in.

pub mod accessibility;
pub mod attachment;
pub mod campaign;
pub mod case;
pub mod error;
pub mod export;
pub mod id;
pub mod jobs;
pub mod org;
pub mod process;
pub mod ranking;
pub mod reference;
pub mod retention;
pub mod role;
pub mod submission;
pub mod text;
pub mod time;
pub mod triage;

pub use error::{ErrorCode, FieldError, FieldErrors};
