//! The devices function as its own server (its Knative image).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let result =
        homeguard_wiring::serve_function(hg_fn_devices::SERVICE, hg_fn_devices::router, hg_fn_devices::USES).await;
    homeguard_wiring::exit_code("hg-fn-devices", result)
}
