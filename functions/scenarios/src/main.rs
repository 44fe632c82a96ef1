//! The scenario engine as its own server (its Knative image). Runs and the
//! simulated clock live in this process, so it runs as a single replica.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let result =
        homeguard_wiring::serve_function(hg_fn_scenarios::SERVICE, hg_fn_scenarios::service, hg_fn_scenarios::USES)
            .await;
    homeguard_wiring::exit_code("hg-fn-scenarios", result)
}
