//! What the public sees of cases: the diarium (the public register, never personal data)
//! and the status of the cases a submission became part of.

use super::parse_stored;
use crate::error::Result;
use crate::{App, AppError};
use domain::FieldErrors;
use domain::id::TemplateId;
use domain::process::Template;
use domain::text::filter_text;
use serde::Deserialize;
use store::Tx;
use store::cases;
use store::processes;

/// A case's public status: where it stands, never who works it.
#[derive(Debug, Clone)]
pub struct PublicStatus {
    pub reference: String,
    pub status: domain::case::CaseStatus,
    pub phase_name: String,
    /// The phase's English name, where the template gives one.
    pub phase_name_en: Option<String>,
    pub vagval: Option<domain::process::Vagval>,
}

/// The cases a submission became part of, as its submitter may see them.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn public_status_of_submission(
    tx: &mut Tx,
    submission_id: &domain::id::SubmissionId,
) -> Result<Vec<PublicStatus>> {
    let mut out = Vec::new();
    for c in cases::of_submission(tx, submission_id).await? {
        let trow = processes::by_id(tx, &c.template_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let t = parse_stored(&trow)?;
        let phase = t.phase(&c.phase_key);
        out.push(PublicStatus {
            phase_name: phase.map(|p| p.name.clone()).unwrap_or_default(),
            phase_name_en: phase.and_then(|p| p.name_en.clone()),
            reference: c.reference,
            status: c.status,
            vagval: c.vagval,
        });
    }
    Ok(out)
}

/// Filters of the public register, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DiariumQuery {
    /// A diarienummer or part of one.
    pub q: String,
    pub from: String,
    pub to: String,
    pub page: String,
}

pub const DIARIUM_PER_PAGE: i64 = 50;

pub struct DiariumEntry {
    pub row: cases::DiariumRow,
    /// For a case: the name of its current phase.
    pub phase_name: Option<String>,
    /// Its English name, where the template gives one.
    pub phase_name_en: Option<String>,
}

pub struct DiariumPage {
    pub entries: Vec<DiariumEntry>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// The public register: open to everyone, personal data never in it.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn diarium(app: &App, q: &DiariumQuery) -> Result<DiariumPage> {
    let mut errors = FieldErrors::new();
    let from = crate::inbox::date_bound(&mut errors, "from", &q.from, false);
    let until = crate::inbox::date_bound(&mut errors, "to", &q.to, true);
    let reference = errors
        .take(filter_text("q", &q.q))
        .flatten()
        .map(|s| s.chars().take(40).collect::<String>());
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let page = crate::inbox::page_number(&q.page);
    let mut tx = app.db.read().await?;
    let (rows, total) = cases::diarium(
        &mut tx,
        &cases::DiariumFilter {
            reference,
            from,
            until,
            limit: DIARIUM_PER_PAGE,
            offset: (page - 1) * DIARIUM_PER_PAGE,
        },
    )
    .await?;
    let mut templates: Vec<(TemplateId, Template)> = Vec::new();
    let mut entries = Vec::new();
    for row in rows {
        let phase = match (&row.phase_key, &row.template_id) {
            (Some(phase), Some(template_id)) => {
                if !templates.iter().any(|(id, _)| id == template_id) {
                    let trow = processes::by_id(&mut tx, template_id)
                        .await?
                        .ok_or(AppError::NotFound)?;
                    templates.push((template_id.clone(), parse_stored(&trow)?));
                }
                templates
                    .iter()
                    .find(|(id, _)| id == template_id)
                    .and_then(|(_, t)| t.phase(phase))
                    .map(|p| (p.name.clone(), p.name_en.clone()))
            }
            _ => None,
        };
        let (phase_name, phase_name_en) = match phase {
            Some((sv, en)) => (Some(sv), en),
            None => (None, None),
        };
        entries.push(DiariumEntry {
            row,
            phase_name,
            phase_name_en,
        });
    }
    Ok(DiariumPage {
        entries,
        total,
        page,
        pages: ((total + DIARIUM_PER_PAGE - 1) / DIARIUM_PER_PAGE).max(1),
    })
}
