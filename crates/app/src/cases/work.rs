//! Working a case: checklist ticks (by the handler or the working group), the working
//! group itself, and the details only the handler changes (title, unit, confidentiality).

use super::replay::{case_error, for_handling, for_work, record};
use super::{DESCRIPTION, LEGAL_GROUND, NOTE, PUBLIC_TITLE, TITLE, choice, handler_in};
use crate::access::require_user;
use crate::error::Result;
use crate::inbox::opt;
use crate::{App, AppError, Caller};
use domain::case::{CaseState, CaseStatus};
use domain::id::CaseId;
use domain::role::Role;
use domain::text::TextRule;
use domain::time::Timestamp;
use domain::{ErrorCode, FieldErrors};
use serde::Deserialize;
use store::cases::{self, CaseRow};
use store::events::{self, NewEvent};
use store::users;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TickInput {
    pub step: String,
    pub item: String,
    pub note: String,
    /// Set to take a tick back.
    pub undo: bool,
}

/// Ticks (or unticks) a checklist item of the current phase.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn tick(app: &App, caller: &Caller, id: &CaseId, input: &TickInput) -> Result<CaseState> {
    let user = require_user(caller)?;
    let note = NOTE
        .parse(&input.note)
        .map_err(|e| AppError::Validation(FieldErrors(vec![e])))?;
    let tree = app.tree().await?;
    let mut tx = app.db.write().await?;
    let l = for_work(&mut tx, &tree, user, id).await?;
    let (step, item) = (input.step.trim(), input.item.trim());
    let e = if input.undo {
        l.state.untick(&l.template, step, item, user.id.as_str())
    } else {
        l.state.tick(
            &l.template,
            step,
            item,
            user.id.as_str(),
            note.as_deref().unwrap_or(""),
        )
    }
    .map_err(case_error)?;
    let s = record(app, &mut tx, caller, &l, e).await?;
    tx.commit().await?;
    app.wake_jobs();
    Ok(s)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MemberInput {
    /// A colleague's user id, or empty with a name for someone without an account.
    pub user_id: String,
    pub name: String,
    pub function: String,
    /// Set with a member id to take someone out of the group.
    pub remove: String,
}

/// Adds someone to the working group with a function, or takes them out.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn member(app: &App, caller: &Caller, id: &CaseId, input: &MemberInput) -> Result<()> {
    let user = require_user(caller)?;
    let tree = app.tree().await?;
    let mut tx = app.db.write().await?;
    let l = for_handling(&mut tx, &tree, user, id).await?;
    if l.state.status != CaseStatus::Active {
        return Err(AppError::Conflict(crate::Conflict::CaseNotActive));
    }
    let now = Timestamp::now().to_db();
    let payload;
    let kind;
    if let Some(member_id) = opt(&input.remove) {
        let m = l
            .members
            .iter()
            .find(|m| m.id == member_id)
            .ok_or(AppError::NotFound)?;
        cases::remove_member(&mut tx, &l.row.id, &m.id).await?;
        kind = "case.member_removed";
        payload = serde_json::json!({ "v": l.row.version + 1, "name": m.name, "function": m.function_key });
    } else {
        let mut errors = FieldErrors::new();
        let function = choice(&mut errors, "function", &input.function, |f| {
            l.template.functions.iter().find(|x| x.key == f.trim())
        });
        let (user_id, name) = match opt(&input.user_id) {
            Some(uid) => {
                let region = l.tree.region_of(&l.row.org_id);
                let all_roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                match users::with_roles_in(&mut tx, &region, &all_roles)
                    .await?
                    .into_iter()
                    .find(|c| c.id == uid)
                {
                    Some(c) => (Some(c.id), Some(c.name)),
                    None => {
                        errors.push("user_id", ErrorCode::UnknownUser);
                        (None, None)
                    }
                }
            }
            None => (
                None,
                errors.take(TextRule::line("name", 2, 120).parse_required(&input.name)),
            ),
        };
        let (Some(function), Some(name)) = (function, name) else {
            return Err(AppError::Validation(errors));
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        cases::add_member(
            &mut tx,
            &cases::NewMember {
                case_id: &l.row.id,
                user_id: user_id.as_ref(),
                name: &name,
                function_key: &function.key,
                now: &now,
            },
        )
        .await?;
        kind = "case.member_added";
        payload =
            serde_json::json!({ "v": l.row.version + 1, "name": name, "function": function.key });
    }
    if !cases::touch(&mut tx, &l.row.id, l.row.version, &now).await? {
        return Err(AppError::Conflict(crate::Conflict::CaseChanged));
    }
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind,
            subject_type: "case",
            subject_id: l.row.id.as_str(),
            org_id: Some(&l.row.org_id),
            payload,
        },
    )
    .await?;
    tx.commit().await?;
    app.wake_jobs();
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DetailsInput {
    pub title: String,
    pub public_title: String,
    pub description: String,
    pub unit: String,
    pub handler: String,
    /// `on`/`true` when the case is confidential (sekretess); JSON may send a boolean.
    #[serde(deserialize_with = "flag")]
    pub confidential: String,
    /// The provision the confidentiality rests on (e.g. OSL 31 kap. 16 §).
    pub legal_ground: String,
}

/// A checkbox as a form sends it (`on`, or absent) or a JSON boolean.
fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bool(bool),
        Text(String),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::Bool(true) => "true".into(),
        Raw::Bool(false) => String::new(),
        Raw::Text(s) => s,
    })
}

impl DetailsInput {
    pub fn from_case(c: &CaseRow, unit_slug: &str) -> Self {
        Self {
            title: c.title.clone(),
            public_title: c.public_title.clone(),
            description: c.description.clone(),
            unit: unit_slug.to_string(),
            handler: c.handler_id.clone().map(String::from).unwrap_or_default(),
            confidential: if c.confidential {
                "on".into()
            } else {
                String::new()
            },
            legal_ground: c.legal_ground.clone().unwrap_or_default(),
        }
    }

    pub fn is_confidential(&self) -> bool {
        matches!(self.confidential.trim(), "on" | "true" | "1" | "yes")
    }
}

/// Edits title, public title, description, owning unit, handler and confidentiality.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn edit(app: &App, caller: &Caller, id: &CaseId, input: &DetailsInput) -> Result<()> {
    let user = require_user(caller)?;
    let mut errors = FieldErrors::new();
    let title = errors.take(TITLE.parse_required(&input.title));
    let public_title = errors.take(PUBLIC_TITLE.parse(&input.public_title));
    let description = errors.take(DESCRIPTION.parse_required(&input.description));
    let confidential = input.is_confidential();
    let legal_ground = if confidential {
        errors.take(LEGAL_GROUND.parse_required(&input.legal_ground))
    } else {
        Some(String::new())
    };
    let tree = app.tree().await?;
    let mut tx = app.db.write().await?;
    let l = for_handling(&mut tx, &tree, user, id).await?;
    let region = l.tree.region_of(&l.row.org_id);
    let unit = l
        .tree
        .all
        .iter()
        .find(|o| o.slug == input.unit.trim() && region.contains(&o.id));
    if unit.is_none() {
        errors.push("unit", ErrorCode::UnknownOrganisation);
    }
    let handler = match opt(&input.handler) {
        None => Some(None),
        Some(h) => handler_in(&mut tx, &mut errors, &region, h)
            .await?
            .map(Some),
    };
    let (
        Some(title),
        Some(public_title),
        Some(description),
        Some(legal_ground),
        Some(unit),
        Some(handler),
    ) = (
        title,
        public_title,
        description,
        legal_ground,
        unit,
        handler,
    )
    else {
        return Err(AppError::Validation(errors));
    };
    let public_title = public_title.unwrap_or_else(|| title.clone());
    let now = Timestamp::now().to_db();
    let ok = cases::update_details(
        &mut tx,
        &l.row.id,
        l.row.version,
        &cases::DetailsUpdate {
            title: &title,
            public_title: &public_title,
            description: &description,
            org_id: &unit.id,
            handler_id: handler.as_ref(),
            confidential,
            legal_ground: confidential.then_some(legal_ground.as_str()),
            now: &now,
        },
    )
    .await?;
    if !ok {
        return Err(AppError::Conflict(crate::Conflict::CaseChanged));
    }
    let mut changed = Vec::new();
    if title != l.row.title {
        changed.push("title");
    }
    if public_title != l.row.public_title {
        changed.push("public_title");
    }
    if description != l.row.description {
        changed.push("description");
    }
    if unit.id != l.row.org_id {
        changed.push("unit");
    }
    if handler != l.row.handler_id {
        changed.push("handler");
        // The new handler hears of it, unless they made themselves the handler.
        if let Some(to) = handler.as_ref().filter(|h| **h != user.id)
            && let Some(staff) = crate::notify::staff_by_id(&mut tx, to).await?
        {
            let page = format!("/arenden/{}", l.row.id.as_str());
            crate::notify::to_staff(
                &mut tx,
                &app.config.public_url,
                &staff,
                domain::jobs::MailKind::Assigned,
                ("case", l.row.id.as_str(), &unit.id),
                (&l.row.reference, &title, &page),
                serde_json::json!({ "by": user.name }),
            )
            .await?;
        }
    }
    if confidential != l.row.confidential
        || (confidential && Some(legal_ground.as_str()) != l.row.legal_ground.as_deref())
    {
        changed.push("confidential");
    }
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "case.updated",
            subject_type: "case",
            subject_id: l.row.id.as_str(),
            org_id: Some(&unit.id),
            payload: serde_json::json!({
                "v": l.row.version + 1,
                "changed": changed,
                "confidential": confidential,
                "legal_ground": confidential.then_some(legal_ground),
                "unit": unit.name,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    app.wake_jobs();
    Ok(())
}
