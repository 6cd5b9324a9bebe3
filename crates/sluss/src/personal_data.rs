//! `sluss personal-data export` and `erase`: everything held under a submitter's e-mail
//! address, printed as JSON or erased.

use anyhow::{Context, Result};
use store::events::Actor;

use crate::cli::PersonalDataCommand;
use crate::common::{explain, open};

/// `sluss personal-data export` and `sluss personal-data erase`.
pub async fn run(command: PersonalDataCommand) -> Result<()> {
    match command {
        PersonalDataCommand::Export { db, email } => {
            let app = open(&db, None).await?;
            let data = app::personal_data::export(&app, &email)
                .await
                .map_err(explain)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&data).context("Failed to write JSON")?
            );
            app.db.close().await;
            Ok(())
        }
        PersonalDataCommand::Erase { db, email } => {
            let app = open(&db, None).await?;
            let n = app::personal_data::erase(&app, &Actor::System, &email)
                .await
                .map_err(explain)?;
            println!("Erased the contact details from {n} submission(s).");
            app.db.close().await;
            Ok(())
        }
    }
}
