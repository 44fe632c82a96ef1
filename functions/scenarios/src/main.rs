//! The scenario engine as its own server (its Knative image). Runs and the
//! simulated clock live in this process, so it runs as a single replica.

use clap::Parser;

#[derive(Debug, Parser)]
struct Args {
    #[command(flatten)]
    config: homeguard_wiring::Config,
    /// A folder of scenario files (`*.yaml`) to load beside the built-in ones.
    #[arg(long, env = "HOMEGUARD_SCENARIOS_DIR")]
    scenarios_dir: Option<std::path::PathBuf>,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let dir = args.scenarios_dir;
    homeguard_wiring::main_with(args.config, move |_| {
        let library = hg_fn_scenarios::Library::load(dir.as_deref());
        for e in &library.errors {
            tracing::error!(file = %e.file, line = e.line, problem = %e.message, "scenario file rejected");
        }
        hg_fn_scenarios::function(library, Default::default())
    })
}
