//! The readings function as its own server (its Knative image):
//! `device.events` and `device.heartbeats` delivered as CloudEvents.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let result =
        homeguard_wiring::serve_function(hg_fn_readings::SERVICE, hg_fn_readings::service, hg_fn_readings::USES).await;
    homeguard_wiring::exit_code("hg-fn-readings", result)
}
