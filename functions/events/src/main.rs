//! The event store function as its own server (its Knative image): the
//! feed over HTTP, and `device.events` delivered as CloudEvents.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let result =
        homeguard_wiring::serve_function(hg_fn_events::SERVICE, hg_fn_events::service, hg_fn_events::USES).await;
    homeguard_wiring::exit_code("hg-fn-events", result)
}
