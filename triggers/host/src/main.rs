//! `homeguard`: the local host's command line.

use clap::{Parser, Subcommand};
use homeguard_wiring::Config;

#[derive(Debug, Parser)]
#[command(name = "homeguard", version, about = "HomeGuard: an open smart-home security platform")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve every function on one port over embedded storage.
    Up(Box<Config>),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    homeguard_runtime::telemetry::init_logging();
    let result = match cli.command {
        Command::Up(config) => homeguard_host::up(*config).await,
    };
    homeguard_wiring::exit_code("homeguard", result)
}
