//! `sluss demo`, optionally at scale, and the demo's users and campaigns as the terminal
//! shows them (also after `sluss serve --demo`).

use anyhow::{Context, Result};

use crate::cli::DbArgs;
use crate::common::{explain, open};
use crate::progress;

fn print_demo_users(users: &[app::demo::DemoUser]) {
    println!("Demo users (role, e-mail, password):");
    for u in users {
        println!("  {:<15} {:<32} {}", u.role.as_str(), u.email, u.password);
    }
}

/// What a newcomer who typed the README's command needs: where to go, who to sign in
/// as, and the codes to join the demo's workshop and open question with.
pub fn print_newcomers_start(
    public_url: &str,
    users: &[app::demo::DemoUser],
    campaigns: &[app::demo::DemoCampaign],
) {
    println!("Sluss serves the demo at {public_url}/");
    println!("  Hand in a need or an idea: {public_url}/lamna");
    println!("  Sign in:                   {public_url}/logga-in");
    print_demo_users(users);
    if !campaigns.is_empty() {
        println!("Demo campaigns (join without an account):");
    }
    for c in campaigns {
        let kind = match c.mode {
            domain::campaign::Mode::Open => "open question",
            domain::campaign::Mode::Workshop => "workshop",
        };
        println!(
            "  {kind:<14} code {}  {public_url}/workshop?code={}  \"{}\"",
            c.code, c.code, c.title
        );
    }
}

/// Loads the demo data, first the data at `scale` when one is named.
pub async fn run(db: DbArgs, scale: Option<String>) -> Result<()> {
    let app = open(&db, None).await?;
    if let Some(name) = scale {
        let scale = app::scale::Scale::named(&name).context("unknown scale")?;
        let started = std::time::Instant::now();
        eprintln!(
            "Loading at scale '{name}': {} submissions, {} cases, {} ideas with {} votes.",
            scale.submissions,
            scale.cases,
            scale.ideas,
            scale.votes()
        );
        app::scale::load(&app, scale, std::sync::Arc::new(progress::progress_bar()))
            .await
            .map_err(explain)?;
        eprintln!(
            "Loaded at scale '{name}' in {:.0} s.",
            started.elapsed().as_secs_f64()
        );
    }
    let users = app::demo::load(&app).await.map_err(explain)?;
    println!(
        "Demo data loaded: region '{}' with units '{}' and '{}'.",
        app::demo::REGION,
        app::demo::UNIT_CARE,
        app::demo::UNIT_SERVICE
    );
    print_demo_users(&users);
    app.db.close().await;
    Ok(())
}
