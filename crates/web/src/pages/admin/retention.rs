//! Retention (/admin/gallring): the rules of each region the caller administers, one form
//! per rule (months, or keep), what each would remove now with a dry-run listing it, and
//! a button that runs the region's rules at once (a job). Who may do what is decided in
//! `app::retention`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use super::super::error::{Failing, PageResult};
use super::super::form::{Checkbox, TypedForm};
use super::super::{render_status, see_other, url_encode};
use crate::AppState;
use crate::ctx::Ctx;
use app::AppError;
use app::retention::{DryRun, RegionRules, Rule};
use domain::retention::{Keep, RetentionKind};

/// A rule's form refused: which one, what was typed, and why.
struct Refused {
    slug: String,
    kind: RetentionKind,
    months: String,
    keep: bool,
    message: String,
}

#[derive(Template)]
#[template(path = "admin_retention.html")]
struct Page<'a> {
    ctx: &'a Ctx,
    regions: Vec<RegionRules>,
    done: String,
    refused: Option<Refused>,
}

impl Page<'_> {
    fn refused_here(&self, slug: &str, rule: &Rule) -> Option<&Refused> {
        self.refused
            .as_ref()
            .filter(|r| r.slug == slug && r.kind == rule.kind)
    }

    /// The months box as shown: what was typed if this form was refused, else the rule's.
    fn months_value(&self, slug: &str, rule: &Rule) -> String {
        match (self.refused_here(slug, rule), rule.keep) {
            (Some(r), _) => r.months.clone(),
            (None, Keep::Months(m)) => m.to_string(),
            (None, _) => String::new(),
        }
    }

    fn words(&self, keep: &Keep) -> String {
        keep_words(self.ctx, *keep)
    }

    fn keep_checked(&self, slug: &str, rule: &Rule) -> bool {
        match self.refused_here(slug, rule) {
            Some(r) => r.keep,
            None => rule.keep == Keep::Always,
        }
    }
}

/// The rule in words: "12 månader" or "bevaras".
pub fn keep_words(ctx: &Ctx, keep: Keep) -> String {
    match keep {
        Keep::Months(m) => ctx.t.n("retention.months", m),
        Keep::Always => ctx.t.t("retention.keep_always").to_string(),
        Keep::Ended => ctx.t.t("retention.keep_ended").to_string(),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    klart: String,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    done: String,
    refused: Option<Refused>,
    status: StatusCode,
) -> PageResult {
    let regions = app::retention::overview(&state.app, &ctx.caller)
        .await
        .or_page(ctx)?;
    // A refused form of another region's rule answers as the rule would: not found.
    if let Some(r) = &refused
        && !regions.iter().any(|g| g.region.slug == r.slug)
    {
        return Err(AppError::NotFound).or_page(ctx);
    }
    Ok(render_status(
        status,
        &Page {
            ctx,
            regions,
            done,
            refused,
        },
    ))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let done = match q.klart.as_str() {
        d @ ("saved" | "run") => d.to_string(),
        _ => String::new(),
    };
    page(&state, &ctx, done, None, StatusCode::OK).await
}

fn kind_of(ctx: &Ctx, rule: &str) -> PageResult<RetentionKind> {
    RetentionKind::parse(rule)
        .filter(RetentionKind::per_region)
        .ok_or(AppError::NotFound)
        .or_page(ctx)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct RuleForm {
    months: String,
    keep: Checkbox,
}

pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((region, rule)): Path<(String, String)>,
    form: TypedForm<RuleForm>,
) -> PageResult {
    let kind = kind_of(&ctx, &rule)?;
    let typed = |message: String| Refused {
        slug: region.clone(),
        kind,
        months: form.values.get("months").cloned().unwrap_or_default(),
        keep: form.values.get("keep").is_some_and(|v| !v.is_empty()),
        message,
    };
    let parsed = match &form.input {
        Ok(f) => Keep::parse(&f.months, f.keep.0).map_err(|e| ctx.t.field_error(&e)),
        Err(e) => Err(e
            .0
            .first()
            .map(|e| ctx.t.field_error(e))
            .unwrap_or_default()),
    };
    let keep = match parsed {
        Ok(k) => k,
        Err(_) => {
            let refused = typed(ctx.t.t("retention.error.months").to_string());
            return page(
                &state,
                &ctx,
                String::new(),
                Some(refused),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    app::retention::set_rule(&state.app, &ctx.caller, &region, kind, keep)
        .await
        .or_page(&ctx)?;
    Ok(see_other(&format!(
        "/admin/gallring?klart=saved#rule-{}-{}",
        url_encode(&region),
        kind.as_str()
    )))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct RunForm {
    region: String,
}

/// Runs a region's rules now (enqueues the job).
pub async fn run(State(state): State<AppState>, ctx: Ctx, form: TypedForm<RunForm>) -> PageResult {
    let f = form.or_page(&ctx)?;
    app::retention::run_now(&state.app, &ctx.caller, &f.region)
        .await
        .or_page(&ctx)?;
    Ok(see_other("/admin/gallring?klart=run"))
}

#[derive(Template)]
#[template(path = "admin_retention_dry_run.html")]
struct DryRunPage<'a> {
    ctx: &'a Ctx,
    run: DryRun,
    rule_words: String,
    next: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct AfterQuery {
    efter: String,
}

/// What one rule would remove now, a page at a time.
pub async fn dry_run(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((region, rule)): Path<(String, String)>,
    Query(q): Query<AfterQuery>,
) -> PageResult {
    let kind = kind_of(&ctx, &rule)?;
    let after = Some(q.efter.trim()).filter(|a| !a.is_empty());
    let run = app::retention::dry_run(&state.app, &ctx.caller, &region, kind, after)
        .await
        .or_page(&ctx)?;
    let next = run.next.as_ref().map(|n| {
        format!(
            "/admin/gallring/{}/{}?efter={}",
            url_encode(&region),
            kind.as_str(),
            url_encode(n)
        )
    });
    Ok(render_status(
        StatusCode::OK,
        &DryRunPage {
            rule_words: keep_words(&ctx, run.rule.keep),
            ctx: &ctx,
            run,
            next,
        },
    ))
}
