//! The device state function as its own server (its Knative image):
//! `device.events` and `device.heartbeats` delivered as CloudEvents.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let result = homeguard_wiring::serve_function(hg_fn_state::SERVICE, hg_fn_state::service, hg_fn_state::USES).await;
    homeguard_wiring::exit_code("hg-fn-state", result)
}
