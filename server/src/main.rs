//! `nexus-forge`: parse the command line; serve (the default), or run an `admin` set-up
//! command; report a failure in one line.
//!
//! The process allocates with mimalloc: under load glibc's allocator was about a third of
//! the server's own CPU time on a status request (`perf`), its arenas contending between
//! the worker threads.
#![recursion_limit = "256"]

use clap::Parser;
use server::{
    admin,
    config::{Cli, Command},
    startup::Application,
    telemetry,
};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match cli.config.with_secrets_from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Some(Command::Admin(cmd)) => {
            telemetry::init(
                &std::env::var("NF_LOG").unwrap_or_else(|_| "warn".into()),
                config.log_format,
            );
            admin::run(&config, cmd).await
        }
        None => {
            telemetry::init(&config.log, config.log_format);
            match Application::build(config).await {
                Ok(app) => app.run_until_stopped(server::startup::shutdown_signal()).await,
                Err(e) => Err(e),
            }
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
