//! `nexus-forge admin …`: set up people without a browser, on the same database the server
//! uses (connected and migrated first, like the server does). Operators and tests run these.
//!
//! - `create-user --username NAME --password-file FILE [--admin]`: the password is the
//!   file's first line (`-` reads standard input), so it never appears in `ps`.
//! - `create-token --username NAME --name LABEL`: prints the new token as the only line on
//!   standard output.

use std::{io::Read as _, time::Duration};

use anyhow::Context;
use orchestrator::{
    db::{self, DbConfig},
    Orchestrator,
};

use crate::config::{AdminCommand, Config};

/// Runs one admin command.
///
/// # Errors
/// One line for a person: the database, a taken username, an unreadable password file.
pub async fn run(config: &Config, command: AdminCommand) -> anyhow::Result<()> {
    let pool = db::connect_and_migrate(&DbConfig {
        url: config.database_url.clone(),
        max_connections: 2,
        acquire_timeout: Duration::from_secs(5),
        statement_timeout: Duration::from_millis(config.security.statement_timeout_ms),
    })
    .await?;
    let orchestrator = Orchestrator::new(pool);
    let outcome = match command {
        AdminCommand::CreateUser {
            username,
            password_file,
            admin,
        } => {
            let text = if password_file.as_os_str() == "-" {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .context("reading the password from standard input")?;
                s
            } else {
                std::fs::read_to_string(&password_file)
                    .with_context(|| format!("cannot read the password file {}", password_file.display()))?
            };
            let password = text.lines().next().unwrap_or("").trim_end_matches('\r');
            let person = orchestrator.create_account(&username, password, admin).await?;
            eprintln!(
                "created {} ({}){}",
                person.username,
                person.id,
                if person.is_admin { ", an admin" } else { "" }
            );
            Ok(())
        }
        AdminCommand::CreateToken { username, name } => {
            let actor = orchestrator.console_actor(&username).await?;
            let token = orchestrator.create_token(&actor, &name).await?;
            println!("{}", token.secret);
            Ok(())
        }
    };
    orchestrator.close().await;
    outcome
}
