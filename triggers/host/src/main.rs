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
    /// Seed the demo homes into the configured stores (a data dir, or the
    /// production backends), then exit: what a function run alone, or a
    /// Kubernetes Job, starts from.
    Seed(Box<homeguard_wiring::Config>),
    /// Write the Knative manifests generated from the functions' declarations.
    Knative {
        /// The folder to write them into.
        #[arg(long, default_value = "knative")]
        out: std::path::PathBuf,
    },
    /// List the functions: per line, a function's name, the ports it holds
    /// and the production backends (cargo features of homeguard-wiring) its
    /// image needs, tab-separated.
    Functions,
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
        Command::Seed(config) => seed(&config).await,
        Command::Knative { out } => write_manifests(&out),
        Command::Functions => {
            list_functions();
            Ok(())
        }
        Command::Scenario { command: ScenarioCommand::List(demo) } => scenario::list(&demo),
        Command::Scenario { command: ScenarioCommand::Run(args) } => scenario::run(*args).await,
    };
    homeguard_wiring::exit_code("homeguard", result)
}

async fn seed(config: &homeguard_wiring::Config) -> anyhow::Result<()> {
    let config = homeguard_wiring::Config { seed_demo: true, ..config.clone() };
    let (data_dir, _ctx) = homeguard_wiring::prepare(&config).await?;
    tracing::info!(data_dir = %data_dir.path().display(), "the demo homes are seeded");
    Ok(())
}

fn list_functions() {
    for f in homeguard_host::functions(&Default::default()) {
        let holds: Vec<&str> = f.holds().iter().map(|p| p.name()).collect();
        let mut backends: Vec<&str> =
            homeguard_runtime::ports::stores_of(f.holds()).iter().map(|s| s.backend_feature()).collect();
        backends.sort();
        backends.dedup();
        println!("{}\t{}\t{}", f.name(), holds.join(","), backends.join(","));
    }
}

fn write_manifests(out: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)?;
    for (file, text) in homeguard_host::knative::manifests(&homeguard_host::functions(&Default::default())) {
        std::fs::write(out.join(file), text)?;
        println!("wrote {}", out.join(file).display());
    }
    Ok(())
}
