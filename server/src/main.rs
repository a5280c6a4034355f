//! `nexus-forge`: parse the configuration, start the server, report a failure in one line.
#![recursion_limit = "256"]

use clap::Parser;
use server::{config::Config, startup::Application, telemetry};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = Config::parse();
    telemetry::init(&config.log);
    match Application::build(config).await {
        Ok(app) => match app.run_until_stopped(server::startup::shutdown_signal()).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                std::process::ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
