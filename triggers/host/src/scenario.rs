//! `homeguard scenario list|run`: the scenario engine from the command line.

use std::sync::Arc;
use std::time::Duration;

use hg_fn_scenarios::engine::RunState;
use hg_fn_scenarios::verify::CheckStatus;
use hg_fn_scenarios::{Engine, StartInput};
use homeguard_wiring::Config;

use crate::DemoArgs;

#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// The scenario to run.
    pub name: String,
    /// Whose home (default john@demo.com).
    #[arg(long)]
    pub user: Option<String>,
    /// Time compression (default: the scenario's own speed).
    #[arg(long)]
    pub speed: Option<f64>,
    /// Exit with a failure when any expectation does not pass.
    #[arg(long)]
    pub verify: bool,
    /// Print the final status as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub demo: DemoArgs,
    #[command(flatten)]
    pub config: Config,
}

/// `homeguard scenario list`.
pub fn list(demo: &DemoArgs) -> anyhow::Result<()> {
    let lib = hg_fn_scenarios::Library::load(demo.scenarios_dir.as_deref());
    println!("{:<18} {:>9} {:>7}  description", "scenario", "duration", "speed");
    for s in lib.scenarios.values() {
        let duration = hg_fn_scenarios::model::format_duration(s.duration);
        println!("{:<18} {:>9} {:>7}  {}", s.name, duration, s.speed, s.description);
        let lacks = hg_fn_scenarios::verify::lacking(s);
        if !lacks.is_empty() {
            println!("{:<36}  lacks: {}", "", lacks.join("; "));
        }
    }
    for e in &lib.errors {
        eprintln!("invalid: {e}");
    }
    if lib.errors.is_empty() { Ok(()) } else { anyhow::bail!("{} scenario file(s) failed to load", lib.errors.len()) }
}

/// `homeguard scenario run NAME`.
pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    let library = args.demo.library();
    let (_data_dir, ctx) = homeguard_wiring::prepare(&args.config).await?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let engine = Engine::new(ctx.clone(), library, Default::default());
    let tasks = crate::pipeline(&ctx, &crate::functions(&crate::Demo::default()), &stopped).await?;
    let input = StartInput { user: args.user.clone(), speed: args.speed };
    let started = engine
        .start(&args.name, input, &homeguard_runtime::Caller::system())
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    eprintln!(
        "{}: running for {} at speed {} ({} steps)",
        started.scenario, started.user, started.speed, started.steps_total
    );
    let status = follow(&engine, &args.name).await?;
    let _ = stop.send(true);
    for t in tasks {
        let _ = t.await;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print_status(&status);
    }
    let passed = status.verdict.as_ref().is_some_and(|v| v.passed);
    if status.status == RunState::Failed {
        anyhow::bail!("the run failed: {}", status.error.unwrap_or_default());
    }
    if args.verify && !passed {
        anyhow::bail!("not every expectation of '{}' passed", args.name);
    }
    Ok(())
}

async fn follow(engine: &Arc<Engine>, name: &str) -> anyhow::Result<hg_fn_scenarios::RunStatus> {
    let wait = engine.wait(name);
    tokio::pin!(wait);
    let mut every = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            done = &mut wait => return done.map_err(|e| anyhow::anyhow!(e.message)),
            _ = every.tick() => {
                if let Ok(Some(s)) = engine.status(name) && s.status == RunState::Running {
                    eprintln!("  {} - {} events injected", s.progress, s.events_injected);
                }
            }
            _ = tokio::signal::ctrl_c() => {
                eprintln!("stopping...");
                return engine.stop(name).await.map_err(|e| anyhow::anyhow!(e.message));
            }
        }
    }
}

fn print_status(s: &hg_fn_scenarios::RunStatus) {
    println!("{} for {}: {:?}, {}, {} events injected", s.scenario, s.user, s.status, s.progress, s.events_injected);
    for (role, d) in &s.devices {
        println!("  {role:<22} {}{}", d.name, if d.created { " (created)" } else { "" });
    }
    for k in &s.skipped {
        println!("  skipped line {} at {}: {}", k.line, k.at, k.reason);
    }
    let Some(v) = &s.verdict else { return };
    println!(
        "verdict: {} ({} passed, {} failed, {} unverifiable)",
        if v.passed { "PASS" } else { "NOT PASSED" },
        v.passed_checks,
        v.failed_checks,
        v.unverifiable_checks
    );
    for c in &v.checks {
        let mark = match c.status {
            CheckStatus::Pass => "pass",
            CheckStatus::Fail => "FAIL",
            CheckStatus::Unverifiable => "n/a ",
        };
        let needs = c.needs.map(|n| format!(" [needs {n}]")).unwrap_or_default();
        println!("  {mark}  {}  {}{needs}", c.expectation, c.evidence);
    }
}
