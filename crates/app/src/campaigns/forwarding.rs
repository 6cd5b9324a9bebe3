//! Taking the best concepts forward: each becomes a submission in the owning organisation's
//! inbox or a case opened directly, linked back to the campaign.

use super::results::results;
use super::{campaign, facilitator};
use crate::error::Result;
use crate::{App, AppError, Caller};
use domain::ErrorCode;
use domain::time::Timestamp;
use store::campaigns;
use store::events::{self, NewEvent};

/// Takes the best `n` concepts forward (the facilitator's choice of N, the campaign's
/// top N by default): each becomes a submission in the owning organisation's inbox
/// (`to_case` false) or a case opened directly, registered in the diarium and linked back
/// to the campaign. A concept is taken forward once. All of it is one transaction.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn take_forward(
    app: &App,
    caller: &Caller,
    code: &str,
    n: Option<i64>,
    to_case: bool,
) -> Result<Vec<campaigns::OutcomeRow>> {
    // Who may comes before the fit the results take, so that a caller who may not costs
    // no fit; the write below checks again, in its own transaction.
    {
        let mut tx = app.db.read().await?;
        let c = campaign(&mut tx, code).await?;
        facilitator(&mut tx, caller, &c).await?;
    }
    let r = results(app, code).await?;
    let c = &r.campaign;
    let mut tx = app.db.write().await?;
    // Who may comes before what: someone who may not gets no word on their input.
    facilitator(&mut tx, caller, c).await?;
    let n = n.unwrap_or(c.top_n);
    if !(1..=50).contains(&n) {
        return Err(AppError::field("n", ErrorCode::InvalidNumber));
    }
    let org = store::orgs::by_id(&mut tx, &c.org_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let done = campaigns::outcomes(&mut tx, &c.id).await?;
    let now = Timestamp::now().to_db();
    let mut forwarded: Vec<String> = Vec::new();
    for (place, x) in r.ranked.iter().enumerate().take(n as usize) {
        if done.iter().any(|o| o.idea_id == x.idea.id) {
            continue;
        }
        let title: String = x.idea.body.chars().take(110).collect();
        let title = if title.chars().count() < 5 {
            format!("Koncept: {title}")
        } else {
            title
        };
        let description = format!(
            "{}\n\n– Från {} ({}), plats {} med {:.0} poäng av 100.",
            x.idea.body,
            c.title,
            c.code,
            place + 1,
            x.score
        );
        let (submission_id, case_id, reference) = if to_case {
            let input = crate::cases::OpenInput {
                title,
                description,
                unit: org.slug.clone(),
                template: String::new(),
                ..Default::default()
            };
            let (id, reference) = match crate::cases::open_in(&mut tx, caller, &input).await {
                Ok(v) => v,
                // Several process templates to choose from: the region's first.
                Err(AppError::Validation(e)) if e.has("template") => {
                    let choices = crate::cases::open_choices(app, caller).await?;
                    let first = choices.templates.first().ok_or(AppError::Validation(e))?;
                    let input = crate::cases::OpenInput {
                        template: first.id.to_string(),
                        ..input
                    };
                    crate::cases::open_in(&mut tx, caller, &input).await?
                }
                Err(e) => return Err(e),
            };
            (None, Some(id), reference)
        } else {
            let input = domain::submission::SubmissionInput {
                kind: "idea".into(),
                title,
                description,
                submitter_role: "staff".into(),
                organisation: org.slug.clone(),
                ..Default::default()
            };
            let receipt = crate::intake::register(
                &mut tx,
                app,
                caller,
                &input,
                crate::intake::Channel::Campaign,
            )
            .await?;
            (Some(receipt.id), None, receipt.reference)
        };
        campaigns::insert_outcome(
            &mut tx,
            &c.id,
            &x.idea.id,
            submission_id.as_ref(),
            case_id.as_ref(),
            &now,
        )
        .await?;
        events::append(
            &mut tx,
            NewEvent {
                actor: &caller.actor(),
                kind: "campaign.taken_forward",
                subject_type: "campaign",
                subject_id: c.id.as_str(),
                org_id: Some(&c.org_id),
                payload: serde_json::json!({ "idea_id": x.idea.id, "reference": reference, "as": if to_case { "case" } else { "submission" } }),
            },
        )
        .await?;
        forwarded.push(reference);
    }
    // The participants who left an address hear the top five and what goes on, once per
    // step taken forward.
    let mailed = !forwarded.is_empty() && {
        let top: Vec<String> = r
            .ranked
            .iter()
            .take(5)
            .map(|x| x.idea.body.chars().take(200).collect())
            .collect();
        let params = serde_json::json!({
            "title": c.title,
            "top": top,
            "forwarded": forwarded,
            "url": format!("{}/workshop/{}", app.config.public_url, c.code),
        });
        let mut any = false;
        for address in store::notify::participant_emails(&mut tx, c.id.as_str()).await? {
            any |= crate::notify::deliver(
                &mut tx,
                &store::outbox::NewMail {
                    org_id: &c.org_id,
                    kind: domain::jobs::MailKind::WorkshopClosed,
                    lang: "sv",
                    recipient: &address,
                    subject_type: "campaign",
                    subject_id: c.id.as_str(),
                    params: &params,
                },
                &Timestamp::now(),
            )
            .await?;
        }
        any
    };
    let out = campaigns::outcomes(&mut tx, &c.id).await?;
    tx.commit().await?;
    if mailed {
        app.wake_jobs();
    }
    Ok(out)
}
