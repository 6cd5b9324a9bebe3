//! A nullable text column decoded into an optional typed value: `#[sqlx(try_from =
//! "Nullable")]` on a field of type `Option<T>` reads the text (or NULL) and converts it
//! with `T: TryFrom<String>`, as `#[sqlx(try_from = "String")]` does for a column that is
//! never NULL. The domain's enums and ids need no database code of their own for it.

use sqlx::decode::Decode;
use sqlx::error::BoxDynError;
use sqlx::{Database, Type};

/// A nullable text column as read, before it is converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nullable(pub Option<String>);

impl<DB: Database> Type<DB> for Nullable
where
    String: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <String as Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <String as Type<DB>>::compatible(ty)
    }
}

impl<'r, DB: Database> Decode<'r, DB> for Nullable
where
    Option<String>: Decode<'r, DB>,
{
    fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        <Option<String> as Decode<'r, DB>>::decode(value).map(Nullable)
    }
}

impl<T: TryFrom<String>> TryFrom<Nullable> for Option<T> {
    type Error = T::Error;
    fn try_from(n: Nullable) -> Result<Self, Self::Error> {
        n.0.map(T::try_from).transpose()
    }
}
