//! What the commands on a database share: opening Sluss on the `--database-url` given,
//! and turning a refused input into a message for the terminal.

use anyhow::Result;

use app::{App, AppError, Config};

use crate::cli::DbArgs;

pub async fn open(db: &DbArgs, public_url: Option<String>) -> Result<App> {
    let mut config = Config::default();
    config.attachments.dir = db
        .attachment_dir
        .clone()
        .unwrap_or_else(|| app::attachments::Settings::dir_for(&db.database_url));
    if let Some(url) = public_url {
        config.public_url = url.trim_end_matches('/').to_string();
    }
    App::open(&db.database_url, config).await
}

/// Turns a refused input into a readable message for the terminal.
pub fn explain(e: AppError) -> anyhow::Error {
    match e {
        AppError::Validation(errors) => {
            let tr = web::i18n::Tr::new(web::i18n::Lang::En);
            let lines: Vec<String> = errors
                .0
                .iter()
                .map(|fe| format!("  --{}: {}", fe.field.replace('_', "-"), tr.field_error(fe)))
                .collect();
            anyhow::anyhow!("invalid input:\n{}", lines.join("\n"))
        }
        AppError::Conflict(conflict) => anyhow::anyhow!(
            "{}",
            web::i18n::Tr::new(web::i18n::Lang::En).t(&format!("conflict.{}", conflict.key()))
        ),
        other => anyhow::Error::new(other),
    }
}
