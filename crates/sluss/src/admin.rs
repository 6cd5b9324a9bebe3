//! `sluss org`, `sluss user` and `sluss token`: organisations, user accounts and API
//! tokens, administered from the terminal as the operator.

use anyhow::Result;

use app::AppError;
use app::admin::{NewOrg, NewUser};
use store::events::Actor;

use crate::cli::{OrgCommand, TokenCommand, UserCommand};
use crate::common::{explain, open};

/// A stored time as the terminal shows it (minutes, UTC), or `none`.
fn shown_time(t: Option<&str>, none: &str) -> String {
    t.and_then(domain::time::Timestamp::parse_db)
        .map(|t| format!("{} UTC", t.minute_string()))
        .unwrap_or_else(|| none.to_string())
}

/// The token list as `sluss token list` prints it.
fn token_table(user: &store::users::UserRow, tokens: &[store::users::TokenRow]) -> String {
    let mut out = format!(
        "API tokens of {} <{}>{}:\n",
        user.name,
        user.email,
        if user.active { "" } else { " (deactivated)" }
    );
    if tokens.is_empty() {
        out.push_str("  (none)\n");
        return out;
    }
    out.push_str(&format!(
        "  {:<36}  {:<21}  {:<21}  {:<21}  {}\n",
        "id", "created", "expires", "last used", "revoked"
    ));
    for t in tokens {
        out.push_str(&format!(
            "  {:<36}  {:<21}  {:<21}  {:<21}  {}\n",
            t.id,
            shown_time(Some(&t.created_at), "-"),
            shown_time(t.expires_at.as_deref(), "never"),
            shown_time(t.last_used_at.as_deref(), "-"),
            shown_time(t.revoked_at.as_deref(), "-"),
        ));
    }
    out
}

/// `sluss org add`.
pub async fn org(command: OrgCommand) -> Result<()> {
    match command {
        OrgCommand::Add {
            db,
            slug,
            name,
            parent,
            reference_format,
        } => {
            let app = open(&db, None).await?;
            let org = app::admin::add_org(
                &app,
                &Actor::System,
                NewOrg {
                    slug: &slug,
                    name: &name,
                    parent: parent.as_deref(),
                    reference_format: reference_format.as_deref(),
                },
            )
            .await
            .map_err(explain)?;
            println!("Added organisation {} ({}).", org.name, org.slug);
            app.db.close().await;
            Ok(())
        }
    }
}

/// `sluss user add` and `sluss user deactivate`.
pub async fn user(command: UserCommand) -> Result<()> {
    match command {
        UserCommand::Add {
            db,
            email,
            name,
            org,
            role,
            password,
        } => {
            let app = open(&db, None).await?;
            let (user, created) = app::admin::add_user(
                &app,
                &Actor::System,
                NewUser {
                    email: &email,
                    name: &name,
                    org: &org,
                    role: &role,
                    password: &password,
                },
            )
            .await
            .map_err(explain)?;
            if created {
                println!(
                    "Added user {} <{}> as {role} in {org}.",
                    user.name, user.email
                );
            } else {
                println!(
                    "{} already had an account; granted {role} in {org}.",
                    user.email
                );
            }
            app.db.close().await;
            Ok(())
        }
        UserCommand::Deactivate { db, email } => {
            let app = open(&db, None).await?;
            let d = app::accounts::deactivate_by_email(&app, &email)
                .await
                .map_err(explain)?;
            println!(
                "{} <{}> is deactivated{}: {} session(s) ended, {} API token(s) revoked.",
                d.user.name,
                d.user.email,
                if d.changed { "" } else { " (already was)" },
                d.sessions_ended,
                d.tokens_revoked
            );
            app.db.close().await;
            Ok(())
        }
    }
}

/// `sluss token create`, `list` and `revoke`.
pub async fn token(command: TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Create {
            db,
            email,
            expires_in_days,
        } => {
            let app = open(&db, None).await?;
            let token = app::auth::create_api_token_for(&app, &email, expires_in_days)
                .await
                .map_err(explain)?;
            println!(
                "API token for {email}, valid for {expires_in_days} days (shown once; send it as 'Authorization: Bearer TOKEN'):"
            );
            println!("{token}");
            app.db.close().await;
            Ok(())
        }
        TokenCommand::List { db, email } => {
            let app = open(&db, None).await?;
            let (user, tokens) = app::accounts::tokens_by_email(&app, &email)
                .await
                .map_err(explain)?;
            print!("{}", token_table(&user, &tokens));
            app.db.close().await;
            Ok(())
        }
        TokenCommand::Revoke { db, id } => {
            let app = open(&db, None).await?;
            let token = match app::accounts::revoke_token(
                &app,
                app::accounts::Administrator::Operator,
                &id,
            )
            .await
            {
                Ok(t) => t,
                Err(AppError::NotFound) => anyhow::bail!("no API token has the id {id}"),
                Err(e) => return Err(explain(e)),
            };
            println!("Revoked the API token {}.", token.id);
            app.db.close().await;
            Ok(())
        }
    }
}
