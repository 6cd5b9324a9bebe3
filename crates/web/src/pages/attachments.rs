//! Attachments over HTTP: `/bilagor/{id}` serves a file after its owner's read check, as a
//! download (`Content-Disposition: attachment`), in the type its content was recognised as
//! and with `nosniff`; the forms that add and remove files on a case and on a challenge.
//! The intake takes its files in its own form (`pages::intake`).

use axum::extract::{Path, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::IntoResponse;

use super::error::{Failing, PageResult};
use super::form::{Checkbox, FilesForm, TypedForm};
use super::{see_other, url_encode};
use crate::AppState;
use crate::ctx::Ctx;
use domain::id::{AttachmentId, CaseId};

/// The `Content-Disposition` of a download: the name in UTF-8 (RFC 6266 and 5987), and an
/// ASCII stand-in for clients that read only `filename`.
pub fn disposition(file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

pub async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<AttachmentId>,
) -> PageResult {
    let (row, bytes) = app::attachments::fetch(&state.app, &ctx.caller, &id)
        .await
        .or_page(&ctx)?;
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(row.content_type.as_str()),
    );
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // A public challenge's file may be kept by a browser; nobody else's.
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static(if row.public {
            "public, max-age=300"
        } else {
            "private, no-store"
        }),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition(&row.file_name)) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// The case page's file form: the files (and the CSRF token, which the form skips).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CaseFilesForm {}

/// Removing one file (its id; the page fills it in).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RemoveForm {
    attachment: String,
}

pub async fn add_to_case(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    form: FilesForm<CaseFilesForm>,
) -> PageResult {
    let v = form.form.values.clone();
    form.form.or_page(&ctx)?;
    let r = app::cases::add_attachments(&state.app, &ctx.caller, &id, &form.files).await;
    super::cases::attachment_answer(&state, &ctx, &id, false, r.map(|_| ()), v).await
}

pub async fn remove_from_case(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    form: TypedForm<RemoveForm>,
) -> PageResult {
    let v = form.values.clone();
    let f = form.or_page(&ctx)?;
    let attachment = AttachmentId::from(f.attachment);
    let r = app::cases::remove_attachment(&state.app, &ctx.caller, &id, &attachment).await;
    super::cases::attachment_answer(&state, &ctx, &id, true, r, v).await
}

/// The challenge's file form: whether the files are shown to participants and the public.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ChallengeFilesForm {
    public: Checkbox,
}

pub async fn add_to_challenge(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    form: FilesForm<ChallengeFilesForm>,
) -> PageResult {
    let f = form.form.or_page(&ctx)?;
    let r =
        app::campaigns::add_attachments(&state.app, &ctx.caller, &code, &form.files, f.public.0)
            .await;
    match r {
        Ok(_) => Ok(see_other(&format!(
            "/workshop/{}/leda?klart=attached#h-attachments",
            url_encode(&code.trim().to_ascii_uppercase())
        ))),
        Err(app::AppError::Validation(e)) => {
            let errors = super::FormErrors::in_form(&ctx.t, LABELS, &e);
            super::workshop::lead_page(
                &state,
                &ctx,
                &code,
                String::new(),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e).or_page(&ctx),
    }
}

pub async fn remove_from_challenge(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    form: TypedForm<RemoveForm>,
) -> PageResult {
    let f = form.or_page(&ctx)?;
    let attachment = AttachmentId::from(f.attachment);
    app::campaigns::remove_attachment(&state.app, &ctx.caller, &code, &attachment)
        .await
        .or_page(&ctx)?;
    Ok(see_other(&format!(
        "/workshop/{}/leda?klart=attachment_removed#h-attachments",
        url_encode(&code.trim().to_ascii_uppercase())
    )))
}

/// The file field as the forms label it, for the error summary.
pub const LABELS: &[(&str, &str)] = &[("files", "attach.field.files")];

/// A file's size for people: bytes, kB or MB, with a Swedish or English decimal mark.
pub fn size_text(ctx: &Ctx, size: i64) -> String {
    let (n, unit) = if size >= 1024 * 1024 {
        (size as f64 / (1024.0 * 1024.0), "MB")
    } else if size >= 1024 {
        (size as f64 / 1024.0, "kB")
    } else {
        return format!("{size} B");
    };
    let text = format!("{n:.1}");
    let text = if ctx.t.lang == crate::i18n::Lang::Sv {
        text.replace('.', ",")
    } else {
        text
    };
    format!("{text} {unit}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_download_names_its_file_in_utf8_and_in_ascii() {
        assert_eq!(
            super::disposition("Förslag 1.pdf"),
            "attachment; filename=\"F_rslag 1.pdf\"; filename*=UTF-8''F%C3%B6rslag%201.pdf"
        );
        assert_eq!(
            super::disposition("a\"b.pdf"),
            "attachment; filename=\"a_b.pdf\"; filename*=UTF-8''a%22b.pdf"
        );
    }
}
