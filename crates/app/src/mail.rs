//! E-mail: a mail is queued as a row of the outbox with its `mail.send` job, in the
//! transaction of the event that caused it ([`queue`]), and the job sends it through SMTP
//! ([`Sender`]). Without an SMTP server configured no node runs those jobs, and the mails
//! wait in the outbox, where a region's administrators can read them ([`outbox`]); they
//! are sent once a server is configured.
//!
//! Words and layout are the web layer's (templates and catalogs): it implements
//! [`Compose`], which the sender is given.

use domain::id::OrgId;
use std::sync::Arc;
use std::time::Duration;

use domain::jobs::{MailState, SEND_MAIL};
use domain::role::Role;
use domain::time::Timestamp;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use store::jobs::JobRow;
use store::outbox::{self, NewMail, OutboxRow};

use crate::error::Result;
use crate::jobs::{Handler, JobFuture};
use crate::{App, AppError, Caller};

/// A mail as it is sent and read: subject, plain text and HTML.
#[derive(Debug, Clone)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders an outbox row in its language; `choices_url`, when given, is the page where its
/// recipient changes which mails they get (a notification's footer links to it).
pub trait Compose: Send + Sync {
    fn compose(
        &self,
        mail: &OutboxRow,
        choices_url: Option<&str>,
    ) -> std::result::Result<Composed, String>;
}

/// Writes a mail and its send job in the caller's transaction; wake the job runner after
/// the commit ([`App::wake_jobs`]).
pub(crate) async fn queue(
    tx: &mut store::Tx,
    mail: &NewMail<'_>,
    now: &Timestamp,
) -> Result<String> {
    let id = outbox::insert(tx, mail, &now.to_db()).await?;
    crate::jobs::enqueue(tx, SEND_MAIL, &id, now).await?;
    Ok(id)
}

/// Where mail goes: an SMTP server and the sender's address.
#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Smtp {
    /// `url`: `smtp://host:port` (plain: for a server on the same host), `smtp://…?tls=required`
    /// (STARTTLS), `smtps://host:465` (TLS from the start), with `user:password@` for
    /// authentication; `from`: an address, optionally with a name (`Sluss <sluss@region.se>`).
    pub fn new(url: &str, from: &str) -> anyhow::Result<Smtp> {
        use anyhow::Context;
        let from: Mailbox = from
            .parse()
            .with_context(|| format!("--mail-from is not an e-mail address: {from}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .with_context(|| format!("--smtp-url is not understood: {}", store::db::redact(url)))?
            // Within systemd's stop timeout (30 s in deploy/sluss.service): a send under way
            // at SIGTERM ends, one way or the other, before the process must.
            .timeout(Some(Duration::from_secs(20)))
            .build();
        Ok(Smtp { transport, from })
    }
}

/// The job that sends one mail of the outbox.
pub struct Sender {
    pub smtp: Smtp,
    pub compose: Arc<dyn Compose>,
}

impl Handler for Sender {
    fn kind(&self) -> &'static str {
        SEND_MAIL
    }

    fn run<'a>(&'a self, app: &'a App, job: &'a JobRow) -> JobFuture<'a> {
        Box::pin(async move {
            let id = job.subject_id.as_deref().unwrap_or_default();
            let row = {
                let mut tx = app.db.read().await.map_err(|e| e.to_string())?;
                outbox::by_id(&mut tx, id)
                    .await
                    .map_err(|e| e.to_string())?
            };
            // Erased with its recipient, or sent by an earlier try: nothing to do.
            let Some(row) = row.filter(|r| r.state == MailState::Queued) else {
                return Ok(());
            };
            let hide = |e: String| e.replace(&row.recipient, "[recipient]");
            // A notification links to its recipient's choices: a new link for each send.
            let choices = crate::notify::mint_link(app, &row.recipient, row.kind, &row.lang)
                .await
                .map_err(|e| hide(e.to_string()))?;
            let composed = self.compose.compose(&row, choices.as_deref())?;
            let to: Mailbox = row
                .recipient
                .parse()
                .map_err(|_| "the recipient is not an e-mail address".to_string())?;
            let domain = self.smtp.from.email.domain().to_string();
            let message = Message::builder()
                .from(self.smtp.from.clone())
                .to(to)
                .subject(composed.subject)
                // The same id on every try, so a receiver can tell a repeat (below).
                .message_id(Some(format!("<{}@{}>", row.id, domain)));
            // RFC 2369 and 8058: a mail program offers "unsubscribe", which posts
            // `List-Unsubscribe=One-Click` to the link and turns this kind of mail off.
            let message = match &choices {
                Some(url) => message
                    .raw_header(HeaderValue::new(
                        HeaderName::new_from_ascii_str("List-Unsubscribe"),
                        format!("<{url}/av>"),
                    ))
                    .raw_header(HeaderValue::new(
                        HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                        "List-Unsubscribe=One-Click".into(),
                    )),
                None => message,
            };
            let message = message
                .multipart(MultiPart::alternative_plain_html(
                    composed.text,
                    composed.html,
                ))
                .map_err(|e| hide(e.to_string()))?;
            self.smtp
                .transport
                .send(message)
                .await
                .map_err(|e| hide(format!("the SMTP server did not take the mail: {e}")))?;
            // The server has it. If this node stops before the commit below, the job's lease
            // runs out and the mail is sent a second time, with the same Message-ID: SMTP
            // offers no way to make acceptance and our record one step, and a mail sent
            // twice is better than one lost. The window is this one short transaction.
            let mut tx = app.db.write().await.map_err(|e| e.to_string())?;
            outbox::mark_sent(&mut tx, &row.id, &Timestamp::now().to_db())
                .await
                .map_err(|e| e.to_string())?;
            tx.commit().await.map_err(|e| e.to_string())?;
            Ok(())
        })
    }
}

/// The mail jobs of the caller's organisations: waiting (pending or running), failed with
/// their error, and the latest done.
#[derive(Debug, Clone)]
pub struct JobsOverview {
    pub waiting: Vec<JobRow>,
    pub failed: Vec<JobRow>,
    pub done: Vec<JobRow>,
}

/// The jobs page: for a region's administrators, their region's jobs only.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn jobs(app: &App, caller: &Caller) -> Result<JobsOverview> {
    use domain::jobs::JobState;
    let reach = admin_reach(app, caller).await?;
    let mut tx = app.db.read().await?;
    let mut of = async |states: &[JobState]| {
        store::jobs::of_mail_in_orgs(&mut tx, &reach, states, OUTBOX_PAGE).await
    };
    let waiting = of(&[JobState::Pending, JobState::Running]).await?;
    let failed = of(&[JobState::Failed]).await?;
    let done = of(&[JobState::Done]).await?;
    tx.commit().await?;
    Ok(JobsOverview {
        waiting,
        failed,
        done,
    })
}

/// The organisations the caller administers; refused to anyone who administers none.
async fn admin_reach(app: &App, caller: &Caller) -> Result<Vec<OrgId>> {
    let user = caller.user().ok_or(AppError::Unauthenticated)?;
    let tree = app.tree().await?;
    let reach = tree.reach(user, |r| *r == Role::Admin);
    if reach.is_empty() {
        return Err(AppError::Forbidden);
    }
    Ok(reach)
}

/// One page of the outbox.
#[derive(Debug, Clone)]
pub struct OutboxPage {
    pub mails: Vec<OutboxRow>,
    /// The key of the next (older) page, when there is one.
    pub next: Option<(String, String)>,
}

pub const OUTBOX_PAGE: i64 = 50;

/// The mails of the organisations the caller administers, newest first: for a region's
/// administrators only (they read what Sluss sent, or would send, in their region's name).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn outbox(
    app: &App,
    caller: &Caller,
    before: Option<(&str, &str)>,
) -> Result<OutboxPage> {
    let reach = admin_reach(app, caller).await?;
    let mut tx = app.db.read().await?;
    let mut mails = outbox::of_orgs(&mut tx, &reach, before, OUTBOX_PAGE + 1).await?;
    tx.commit().await?;
    let next = if mails.len() > OUTBOX_PAGE as usize {
        mails.truncate(OUTBOX_PAGE as usize);
        mails.last().map(|m| (m.created_at.clone(), m.id.clone()))
    } else {
        None
    };
    Ok(OutboxPage { mails, next })
}
