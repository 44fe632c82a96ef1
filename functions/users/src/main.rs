//! The users function as its own server (its Knative image).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let result = homeguard_wiring::serve_function(hg_fn_users::SERVICE, hg_fn_users::router, hg_fn_users::USES).await;
    homeguard_wiring::exit_code("hg-fn-users", result)
}
