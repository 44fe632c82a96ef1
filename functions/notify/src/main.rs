//! The notification stream as its own server (its Knative image).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let result =
        homeguard_wiring::serve_function(hg_fn_notify::SERVICE, hg_fn_notify::router, hg_fn_notify::USES).await;
    homeguard_wiring::exit_code("hg-fn-notify", result)
}
