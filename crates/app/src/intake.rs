//! En väg in: the public intake of needs, ideas and offers. No account is needed. A
//! submission gets its diarienummer from its region's series (units share their region's
//! diarium, so a number is unique within the region) and a private follow-up link, whose
//! token is returned once and stored only hashed.

use crate::error::Result;
use crate::secret::{hash_token, new_token};
use crate::{App, AppError, Caller};
use domain::id::OrgId;
use domain::reference::ReferenceFormat;
use domain::submission::{NewSubmission, SubmissionInput};
use domain::time::Timestamp;
use domain::{ErrorCode, FieldErrors};
use store::events::{self, NewEvent};
use store::{orgs, references, submissions};

/// What the submitter gets back.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub id: domain::id::SubmissionId,
    pub reference: String,
    pub follow_up_token: String,
    pub follow_up_url: String,
    /// The organisation it was sent to.
    pub org_id: OrgId,
}

/// Where a channel came from; kept on the submission for the record.
#[derive(Debug, Clone, Copy)]
pub enum Channel {
    Form,
    Api,
    /// A concept taken forward from a workshop or an open campaign.
    Campaign,
}

impl Channel {
    fn as_str(&self) -> &'static str {
        match self {
            Channel::Form => "form",
            Channel::Api => "api",
            Channel::Campaign => "campaign",
        }
    }
}

/// The organisations a submission can be sent to, and the default one (the first region).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn receivers(app: &App) -> Result<(Vec<orgs::OrgRow>, Option<String>)> {
    let all = crate::admin::organisations(app).await?;
    let default = all
        .iter()
        .filter(|o| o.parent_id.is_none())
        .min_by(|a, b| a.created_at.cmp(&b.created_at))
        .map(|o| o.slug.clone());
    Ok((all, default))
}

/// Registers a submission written in Swedish ([`submit_in`]).
pub async fn submit(
    app: &App,
    caller: &Caller,
    input: &SubmissionInput,
    channel: Channel,
) -> Result<Receipt> {
    submit_in(app, caller, input, channel, "sv").await
}

/// Registers a submission written in `lang` (`sv` or `en`): a submitter who left an
/// address gets the receipt with the follow-up link by mail, in that language, queued in
/// the same transaction.
pub async fn submit_in(
    app: &App,
    caller: &Caller,
    input: &SubmissionInput,
    channel: Channel,
    lang: &str,
) -> Result<Receipt> {
    submit_with_files(app, caller, input, &[], channel, lang).await
}

/// [`submit_in`] with files attached (the intake form takes up to three). The files are
/// checked first (count, size, type by content; as the field `files`, beside the other
/// fields' errors), written to disk before the transaction, and their rows and events
/// written with the submission; a refused or failed submission leaves no file behind.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn submit_with_files(
    app: &App,
    caller: &Caller,
    input: &SubmissionInput,
    files: &[domain::attachment::Upload],
    channel: Channel,
    lang: &str,
) -> Result<Receipt> {
    let kind = domain::attachment::OwnerKind::Submission;
    let checked = match crate::attachments::check(app, "files", kind, 0, files) {
        Ok(c) => c,
        Err(AppError::Validation(mut e)) => {
            if let Err(more) = check(input) {
                e.0.extend(more.0);
            }
            return Err(AppError::Validation(e));
        }
        Err(e) => return Err(e),
    };
    let written = crate::attachments::write(app, &checked).await?;
    let mut tx = app.db.write().await?;
    let receipt = register(&mut tx, app, caller, input, channel).await?;
    crate::attachments::add_rows(
        &mut tx,
        caller,
        &written,
        kind,
        receipt.id.as_str(),
        &receipt.org_id,
        false,
    )
    .await?;
    let mailed =
        crate::notify::submitted(&mut tx, &receipt.id, &receipt.follow_up_url, lang).await?;
    tx.commit().await?;
    written.keep();
    if mailed {
        app.wake_jobs();
    }
    tracing::info!(reference = receipt.reference, "submission received");
    Ok(receipt)
}

/// Registers a submission in the caller's transaction (which also writes what it came from).
pub(crate) async fn register(
    tx: &mut store::Tx,
    app: &App,
    caller: &Caller,
    input: &SubmissionInput,
    channel: Channel,
) -> Result<Receipt> {
    let parsed = NewSubmission::parse(input);
    // Resolve the organisation even when other fields failed, so every error shows at once.
    let slug = input.organisation.trim();
    let org = if slug.is_empty() {
        orgs::all(tx)
            .await?
            .into_iter()
            .filter(|o| o.parent_id.is_none())
            .min_by(|a, b| a.created_at.cmp(&b.created_at))
    } else if domain::org::Slug::parse("organisation", slug).is_ok() {
        orgs::by_slug(tx, slug).await?
    } else {
        None
    };
    let mut errors = parsed.as_ref().err().cloned().unwrap_or_default();
    if org.is_none() && !errors.has("organisation") {
        errors.push("organisation", ErrorCode::UnknownOrganisation);
    }
    let (Ok(sub), Some(org)) = (parsed, org) else {
        return Err(AppError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    // A region keeps one diarium: its units register in the region's series.
    let all = orgs::all(tx).await?;
    let nodes: Vec<_> = all.iter().map(orgs::OrgRow::node).collect();
    let root_id = domain::org::root_of(&nodes, &org.id);
    let series = all.iter().find(|o| o.id == root_id).unwrap_or(&org);
    let now = Timestamp::now();
    let format =
        ReferenceFormat::parse("reference_format", &series.reference_format).unwrap_or_default();
    let seq = references::next(tx, &series.id, now.year()).await?;
    let reference = format.render(now.year(), seq);
    let id = domain::id::SubmissionId::from(store::new_id());
    let token = new_token(24)?;
    submissions::insert(
        tx,
        &submissions::InsertSubmission {
            id: &id,
            reference: &reference,
            registered_org_id: &series.id,
            org_id: &org.id,
            kind: sub.kind,
            title: &sub.title,
            description: &sub.description,
            affected: sub.affected.as_deref(),
            current_solution: sub.current_solution.as_deref(),
            submitter_role: sub.submitter_role,
            contact_name: sub.contact_name.as_deref(),
            contact_email: sub.contact_email.as_ref().map(|e| e.as_str()),
            consent: sub.consent,
            channel: channel.as_str(),
            follow_up_hash: &hash_token(&token),
            now: &now.to_db(),
        },
    )
    .await?;
    events::append(
        tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "submission.received",
            subject_type: "submission",
            subject_id: id.as_str(),
            org_id: Some(&org.id),
            payload: serde_json::json!({ "reference": reference, "kind": sub.kind.as_str(), "channel": channel.as_str() }),
        },
    )
    .await?;
    let follow_up_url = format!("{}/folj/{}", app.config.public_url, token);
    Ok(Receipt {
        id,
        reference,
        follow_up_token: token,
        follow_up_url,
        org_id: org.id.clone(),
    })
}

/// Checks input without writing anything (used to keep a form's state on errors).
pub fn check(input: &SubmissionInput) -> std::result::Result<NewSubmission, FieldErrors> {
    NewSubmission::parse(input)
}
