//! Forms decoded strictly: [`TypedForm<T>`] reads a form body into one struct per form. A
//! value that does not decode into its field's type is a field error naming that field
//! (shown in the form, with everything as typed kept), never a silent default; a field the
//! struct does not have, or a body that is not a form, is refused with a page.
//!
//! The pattern to copy for a new form:
//!
//! ```ignore
//! #[derive(serde::Deserialize)]
//! #[serde(default)]           // an empty text box or an unchosen radio is simply empty
//! struct NoteForm { note: String, urgent: Checkbox }
//!
//! async fn note(ctx: Ctx, form: TypedForm<NoteForm>) -> PageResult {
//!     let f = match form.input {
//!         Ok(f) => f,
//!         // show the form again with `form.values` and these errors (422)
//!         Err(errors) => return show_again(&ctx, form.values, errors).await,
//!     };
//!     app::notes::add(&state.app, &ctx.caller, &f.note).await.or_page(&ctx)?;
//!     Ok(see_other("/…?klart=note"))
//! }
//! ```
//!
//! A form with nothing typed to show again (buttons, hidden fields) takes
//! `let f = form.or_page(&ctx)?;`: a field that does not decode is then a 422 page naming it.
//! The error summary names each field when the form's labels are given
//! (`FormErrors::in_form(&ctx.t, LABELS, &errors)`).
//!
//! Fields whose name starts with `_` (the CSRF token) belong to the transport, not to the
//! form, and are not decoded.

use std::collections::HashMap;

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::Response;
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};

use domain::{ErrorCode, FieldErrors};

use super::plain_error_page;
use crate::AppState;
use crate::i18n::Lang;

/// Form values as typed, kept to show again after a refusal (the last value of a field
/// sent twice).
pub type Values = HashMap<String, String>;

/// A form body decoded into `T`: the decoded form, or the fields that did not decode; and
/// the values as sent, to show again in either case.
pub struct TypedForm<T> {
    pub input: Result<T, FieldErrors>,
    pub values: Values,
}

impl<T> TypedForm<T> {
    /// The decoded form of a form with nothing typed to show again (buttons, choices and
    /// hidden fields), or a 422 page naming the field that did not decode.
    pub fn or_page(self, ctx: &crate::ctx::Ctx) -> super::error::PageResult<T> {
        use super::error::Failing;
        self.input.map_err(app::AppError::Validation).or_page(ctx)
    }
}

/// A checkbox: absent (unticked) is off; `on` (what a browser sends for a box without a
/// value), `true` or `1` is on. Anything else is a field error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checkbox(pub bool);

impl<'de> serde::Deserialize<'de> for Checkbox {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "on" | "true" | "1" => Ok(Checkbox(true)),
            "" | "off" | "false" | "0" => Ok(Checkbox(false)),
            other => Err(de::Error::invalid_value(
                de::Unexpected::Str(other),
                &"a checkbox (on)",
            )),
        }
    }
}

impl<T: DeserializeOwned> FromRequest<AppState> for TypedForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = crate::ctx::lang_of(req.headers());
        let pairs = read_pairs(req, state, lang).await?;
        decode(pairs).map_err(|unknown| refuse_unknown(lang, &unknown))
    }
}

/// A form some of whose fields are named by the page's own ids, `{PREFIX}{id}` (a
/// criterion's weight, a score per criterion), which no struct can name: those come as
/// `(id, value)` pairs in `keyed`, for the handler to read each value strictly, and the
/// rest is decoded into `T` as by [`TypedForm`] (a field neither has is refused).
pub struct KeyedForm<T> {
    pub form: TypedForm<T>,
    pub keyed: Vec<(String, String)>,
}

/// The prefix of a [`KeyedForm`]'s keyed fields.
pub trait KeyedFields {
    const PREFIX: &'static str;
}

impl<T: DeserializeOwned + KeyedFields> FromRequest<AppState> for KeyedForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = crate::ctx::lang_of(req.headers());
        let (keyed, rest): (Vec<_>, Vec<_>) = read_pairs(req, state, lang)
            .await?
            .into_iter()
            .partition(|(k, _)| k.starts_with(T::PREFIX));
        let keyed = keyed
            .into_iter()
            .map(|(k, v)| (k[T::PREFIX.len()..].to_string(), v))
            .collect();
        let form = decode(rest).map_err(|unknown| refuse_unknown(lang, &unknown))?;
        Ok(KeyedForm { form, keyed })
    }
}

/// A form that may carry files (`enctype="multipart/form-data"`): its text fields decoded
/// into `T` as by [`TypedForm`], and the files chosen. A file input left empty (a part
/// with no file name and no bytes) is no file. An `application/x-www-form-urlencoded` body
/// is taken too, with no files. The body's size was bounded before (the route's limit in
/// [`crate::security`]); each file's own limit, count and type are the app's to judge.
pub struct FilesForm<T> {
    pub form: TypedForm<T>,
    pub files: Vec<domain::attachment::Upload>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for FilesForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = crate::ctx::lang_of(req.headers());
        if !is_multipart(req.headers()) {
            // The file field of a form sent without its files (no file chosen, by a client
            // that sends forms urlencoded) is empty: no file.
            let pairs = read_pairs(req, state, lang)
                .await?
                .into_iter()
                .filter(|(k, v)| !(k == FILE_FIELD && v.is_empty()))
                .collect();
            let form = decode(pairs).map_err(|unknown| refuse_unknown(lang, &unknown))?;
            return Ok(FilesForm {
                form,
                files: Vec::new(),
            });
        }
        let mut multipart = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|e| unreadable(lang, &e.body_text()))?;
        let mut pairs = Vec::new();
        let mut files = Vec::new();
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| unreadable(lang, &e.body_text()))?
        {
            let name = field.name().unwrap_or_default().to_string();
            let file_name = field.file_name().map(str::to_string);
            let bytes = field
                .bytes()
                .await
                .map_err(|e| unreadable(lang, &e.body_text()))?;
            match file_name {
                Some(f) if f.is_empty() && bytes.is_empty() => {}
                Some(file_name) => files.push(domain::attachment::Upload {
                    file_name,
                    bytes: bytes.to_vec(),
                }),
                None => {
                    let value = String::from_utf8(bytes.to_vec())
                        .map_err(|_| unreadable(lang, "not UTF-8"))?;
                    pairs.push((name, value));
                }
            }
        }
        let form = decode(pairs).map_err(|unknown| refuse_unknown(lang, &unknown))?;
        Ok(FilesForm { form, files })
    }
}

/// The name of the file field of the forms that take files.
pub const FILE_FIELD: &str = "files";

/// Whether a request's body is `multipart/form-data`.
pub fn is_multipart(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"))
}

/// The pairs of a form body, or the page that refuses a body that is not a form.
async fn read_pairs(
    req: Request,
    state: &AppState,
    lang: Lang,
) -> Result<Vec<(String, String)>, Response> {
    let is_form = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(unreadable(lang, "not a form body"));
    }
    let body = axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|e| unreadable(lang, &e.to_string()))?;
    pairs(&body).ok_or_else(|| unreadable(lang, "not UTF-8"))
}

fn refuse_unknown(lang: Lang, unknown: &str) -> Response {
    tracing::info!(field = %unknown, "a form field the form does not have");
    unreadable_with(lang, StatusCode::UNPROCESSABLE_ENTITY)
}

fn unreadable(lang: Lang, why: &str) -> Response {
    tracing::info!(error = %why, "unreadable form");
    unreadable_with(lang, StatusCode::BAD_REQUEST)
}

fn unreadable_with(lang: Lang, status: StatusCode) -> Response {
    plain_error_page(lang, status, "error.bad_form.title", "error.bad_form.body")
}

/// The pairs of an `application/x-www-form-urlencoded` body, or nothing when a name or a
/// value is not UTF-8 once decoded.
fn pairs(body: &[u8]) -> Option<Vec<(String, String)>> {
    body.split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = match p.iter().position(|b| *b == b'=') {
                Some(i) => (&p[..i], &p[i + 1..]),
                None => (p, &b""[..]),
            };
            Some((text(k)?, text(v)?))
        })
        .collect()
}

fn text(raw: &[u8]) -> Option<String> {
    let plus: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    String::from_utf8(super::percent_decoded(&plus)).ok()
}

/// Decodes `T` from the pairs. A field the form does not have is `Err` with its name; a
/// value that does not decode is a field error in `input`. Every field that fails is
/// named, not just the first: a failing field is left out and the rest decoded again.
pub fn decode<T: DeserializeOwned>(pairs: Vec<(String, String)>) -> Result<TypedForm<T>, String> {
    let fields: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(k, _)| !k.starts_with('_'))
        .collect();
    let values: Values = fields.iter().cloned().collect();
    let mut errors = FieldErrors::new();
    let mut left = fields;
    loop {
        match T::deserialize(FormDeserializer { pairs: &left }) {
            Ok(v) if errors.is_empty() => {
                return Ok(TypedForm {
                    input: Ok(v),
                    values,
                });
            }
            Ok(_) => break,
            Err(DecodeError::Unknown(name)) => return Err(name),
            Err(DecodeError::Field(field, code)) => {
                let before = left.len();
                left.retain(|(k, _)| k != field);
                if errors.0.iter().all(|e| e.field != field) {
                    errors.push(field, code);
                }
                if left.len() == before {
                    // A required field that is missing: nothing more to learn.
                    break;
                }
            }
            Err(DecodeError::NotANumber) => {
                errors.push("form", ErrorCode::InvalidNumber);
                break;
            }
            Err(DecodeError::Other(msg)) => {
                // Only a form struct's own checks get here (e.g. a field-less newtype).
                tracing::warn!(error = %msg, "form did not decode");
                errors.push("form", ErrorCode::InvalidFormat);
                break;
            }
        }
    }
    Ok(TypedForm {
        input: Err(errors),
        values,
    })
}

#[derive(Debug)]
enum DecodeError {
    /// A field whose value did not decode, or that is missing or sent twice.
    Field(&'static str, ErrorCode),
    /// A field the struct does not have.
    Unknown(String),
    /// A value that did not decode, before it is known whose (see `FieldValues`).
    Other(String),
    /// A number field whose text is not a number, before it is known whose.
    NotANumber,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Field(field, code) => write!(f, "{field}: {}", code.key()),
            DecodeError::Unknown(name) => write!(f, "unknown field {name}"),
            DecodeError::Other(m) => f.write_str(m),
            DecodeError::NotANumber => f.write_str("not a number"),
        }
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<M: std::fmt::Display>(msg: M) -> Self {
        DecodeError::Other(msg.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        DecodeError::Field(field, ErrorCode::Required)
    }

    fn duplicate_field(field: &'static str) -> Self {
        DecodeError::Field(field, ErrorCode::InvalidFormat)
    }

    fn unknown_field(field: &str, _expected: &'static [&'static str]) -> Self {
        DecodeError::Unknown(field.to_string())
    }

    fn unknown_variant(variant: &str, _expected: &'static [&'static str]) -> Self {
        DecodeError::Other(format!("unknown variant {variant}"))
    }
}

/// A form as a struct: only `deserialize_struct` makes sense.
struct FormDeserializer<'a> {
    pairs: &'a [(String, String)],
}

impl<'de> de::Deserializer<'de> for FormDeserializer<'_> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, DecodeError> {
        Err(DecodeError::Other(
            "a form decodes into a struct with named fields".into(),
        ))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        if let Some((k, _)) = self
            .pairs
            .iter()
            .find(|(k, _)| !fields.contains(&k.as_str()))
        {
            return Err(DecodeError::Unknown(k.clone()));
        }
        visitor.visit_map(FieldValues {
            pairs: self.pairs.iter(),
            fields,
            current: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// The fields one by one; an error in a value is turned into that field's error.
struct FieldValues<'a> {
    pairs: std::slice::Iter<'a, (String, String)>,
    fields: &'static [&'static str],
    current: Option<(&'static str, &'a str)>,
}

impl<'de> de::MapAccess<'de> for FieldValues<'_> {
    type Error = DecodeError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        let Some((k, v)) = self.pairs.next() else {
            return Ok(None);
        };
        let Some(field) = self.fields.iter().find(|f| **f == k.as_str()) else {
            return Err(DecodeError::Unknown(k.clone()));
        };
        self.current = Some((field, v.as_str()));
        seed.deserialize(field.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        let (field, value) = self
            .current
            .take()
            .ok_or_else(|| DecodeError::Other("a value without a field".into()))?;
        seed.deserialize(FieldValue(value)).map_err(|e| match e {
            DecodeError::Other(m) if m.starts_with("unknown variant") => {
                DecodeError::Field(field, ErrorCode::InvalidChoice)
            }
            DecodeError::Other(_) => DecodeError::Field(field, ErrorCode::InvalidFormat),
            DecodeError::NotANumber => DecodeError::Field(field, ErrorCode::InvalidNumber),
            e => e,
        })
    }
}

/// One field's text: a string, or a number, boolean or enum variant written as text.
struct FieldValue<'a>(&'a str);

macro_rules! parsed {
    ($($method:ident => $visit:ident,)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
            match self.0.trim().parse() {
                Ok(v) => visitor.$visit(v),
                Err(_) => Err(DecodeError::NotANumber),
            }
        })*
    };
}

impl<'de> de::Deserializer<'de> for FieldValue<'_> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_str(self.0)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0.trim().parse() {
            Ok(v) => visitor.visit_bool(v),
            Err(_) => Err(de::Error::invalid_value(
                de::Unexpected::Str(self.0),
                &visitor,
            )),
        }
    }

    parsed! {
        deserialize_i8 => visit_i8,
        deserialize_i16 => visit_i16,
        deserialize_i32 => visit_i32,
        deserialize_i64 => visit_i64,
        deserialize_u8 => visit_u8,
        deserialize_u16 => visit_u16,
        deserialize_u32 => visit_u32,
        deserialize_u64 => visit_u64,
        deserialize_f32 => visit_f32,
        deserialize_f64 => visit_f64,
    }

    /// An empty box is no value.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        if self.0.is_empty() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        de::value::StrDeserializer::<DecodeError>::new(self.0)
            .deserialize_enum(name, variants, visitor)
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, Default)]
    #[serde(default)]
    struct F {
        text: String,
        flag: Checkbox,
        n: Option<u32>,
        choice: Option<Pick>,
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Pick {
        Left,
        Right,
    }

    fn form(s: &str) -> Result<TypedForm<F>, String> {
        decode(pairs(s.as_bytes()).expect("UTF-8"))
    }

    #[test]
    fn decodes_typed_fields_and_skips_the_csrf_token() {
        let f = form("_csrf=x&text=a+b%21&flag=on&n=12&choice=left")
            .expect("known fields")
            .input
            .expect("decodes");
        assert_eq!(
            (f.text.as_str(), f.flag, f.n, f.choice),
            ("a b!", Checkbox(true), Some(12), Some(Pick::Left))
        );
        let f = form("n=&choice=")
            .expect("known")
            .input
            .expect("empty is none");
        assert_eq!((f.flag, f.n, f.choice), (Checkbox(false), None, None));
    }

    #[test]
    fn every_field_that_does_not_decode_is_named_and_the_values_are_kept() {
        let f = form("text=kvar&flag=kanske&n=tolv&choice=up").expect("known fields");
        let errors = f.input.expect_err("refused");
        let got: Vec<_> = errors.0.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            got,
            vec![
                ("flag", ErrorCode::InvalidFormat),
                ("n", ErrorCode::InvalidNumber),
                ("choice", ErrorCode::InvalidChoice),
            ]
        );
        assert_eq!(f.values["text"], "kvar");
        assert_eq!(f.values["flag"], "kanske");
    }

    #[test]
    fn a_field_twice_is_an_error_and_an_unknown_field_refuses_the_form() {
        let errors = form("text=a&text=b")
            .expect("known")
            .input
            .expect_err("twice");
        assert_eq!(errors.0[0].field, "text");
        assert_eq!(form("text=a&undo=1").err().as_deref(), Some("undo"));
        assert!(pairs(b"text=%FF%FE").is_none(), "not UTF-8");
    }
}
