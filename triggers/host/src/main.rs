//! `homeguard`: the local host's command line.

use clap::{Parser, Subcommand};
use homeguard_host::{DemoArgs, UpArgs, scenario};

#[derive(Debug, Parser)]
#[command(name = "homeguard", version, about = "HomeGuard: an open smart-home security platform")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve every function on one port over embedded storage, with the device simulator.
    Up(Box<UpArgs>),
    /// Write the Knative manifests generated from the routing table.
    Knative {
        /// The folder to write them into.
        #[arg(long, default_value = "knative")]
        out: std::path::PathBuf,
    },
    /// List or run the demo scenarios.
    Scenario {
        #[command(subcommand)]
        command: ScenarioCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ScenarioCommand {
    /// List the scenarios, and any scenario file that fails to load.
    List(DemoArgs),
    /// Run one scenario through the whole pipeline on the data dir (no host
    /// may be running on it), then print what happened.
    Run(Box<scenario::RunArgs>),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let _logs = homeguard_runtime::telemetry::init_logging();
    let result = match cli.command {
        Command::Up(args) => homeguard_host::up(*args).await,
        Command::Knative { out } => write_manifests(&out),
        Command::Scenario { command: ScenarioCommand::List(demo) } => scenario::list(&demo),
        Command::Scenario { command: ScenarioCommand::Run(args) } => scenario::run(*args).await,
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
