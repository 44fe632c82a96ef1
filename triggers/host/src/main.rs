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
    /// Write the Knative manifests generated from the routing table.
    Knative {
        /// The folder to write them into.
        #[arg(long, default_value = "knative")]
        out: std::path::PathBuf,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let _logs = homeguard_runtime::telemetry::init_logging();
    let result = match cli.command {
        Command::Up(config) => homeguard_host::up(*config).await,
        Command::Knative { out } => write_manifests(&out),
    };
    homeguard_wiring::exit_code("homeguard", result)
}

fn write_manifests(out: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)?;
    for (file, text) in homeguard_routes::knative_manifests() {
        std::fs::write(out.join(file), text)?;
        println!("wrote {}", out.join(file).display());
    }
    Ok(())
}
