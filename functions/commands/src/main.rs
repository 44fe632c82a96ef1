//! The command function as its own server (its Knative image):
//! `device.commands` delivered as CloudEvents.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let result =
        homeguard_wiring::serve_function(hg_fn_commands::SERVICE, hg_fn_commands::service, hg_fn_commands::USES).await;
    homeguard_wiring::exit_code("hg-fn-commands", result)
}
