//! The auth function as its own server (its Knative image).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let result = homeguard_wiring::serve_function(hg_fn_auth::SERVICE, hg_fn_auth::router, hg_fn_auth::USES).await;
    homeguard_wiring::exit_code("hg-fn-auth", result)
}
