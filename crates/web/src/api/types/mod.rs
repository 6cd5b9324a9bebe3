//! The bodies of the JSON API v1: what each operation reads and answers, one file per
//! resource. The OpenAPI document is generated from these types (`ToSchema`), so a field
//! changed here changes the document; request bodies convert into the app's inputs.

pub mod accounts;
pub mod campaigns;
pub mod cases;
pub mod submissions;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

use domain::{ErrorCode, FieldErrors};

/// An error other than refused fields.
#[derive(Debug, Serialize, ToSchema)]
pub struct Error {
    /// What went wrong: `not_found`, `forbidden`, `unauthenticated`, `conflict`,
    /// `no_mandate`, `bad_json`, `rate_limited`, `no_pair`, `internal`.
    pub error: String,
    /// With a conflict: which one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// With `no_mandate`: the role whose mandate decides.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// In the request's language.
    pub message: String,
    /// With an internal error: the request's id, as in the X-Request-Id header and the
    /// server's log.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub request_id: Option<Option<String>>,
}

/// Refused fields (422).
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidationErrors {
    pub errors: Vec<FieldProblem>,
}

/// One refused field.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    /// In an uploaded process template: where the problem is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    pub code: String,
    pub message: String,
}

/// Whether the database answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(schema_with = health_status)]
    pub status: &'static str,
    /// The version of Sluss that answers.
    pub version: &'static str,
}

fn health_status() -> Object {
    one_of(["ok", "unavailable"])
}

/// Something named, by id: an organisation, an assignee.
#[derive(Debug, Serialize, ToSchema)]
pub struct Named {
    pub id: String,
    pub name: String,
}

/// A string schema that takes one of `values`.
pub(crate) fn one_of<'a>(values: impl IntoIterator<Item = &'a str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .build()
}

/// A field read leniently, so that a value of the wrong type is a field error (422) rather
/// than a refused body (400), and a field left out can be told from one sent as null.
#[derive(Debug, Default)]
pub enum Loose<T> {
    #[default]
    Absent,
    Null,
    Given(T),
    Wrong,
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Loose<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Null => Loose::Null,
            v => serde_json::from_value(v).map_or(Loose::Wrong, Loose::Given),
        })
    }
}

impl Loose<String> {
    /// The text, empty when left out; a value that is not text is noted in `errors`.
    pub fn text(self, field: &'static str, errors: &mut FieldErrors) -> String {
        match self {
            Loose::Given(s) => s,
            Loose::Absent | Loose::Null => String::new(),
            Loose::Wrong => {
                errors.push(field, ErrorCode::InvalidFormat);
                String::new()
            }
        }
    }

    /// The text; empty when left out or not text (the use case then refuses it).
    pub fn text_or_empty(self) -> String {
        match self {
            Loose::Given(s) => s,
            _ => String::new(),
        }
    }
}
