//! The ingest function as its own server (its Knative image): ingest over
//! HTTP, and the dead-letter sink of the KafkaSources.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let result =
        homeguard_wiring::serve_function(hg_fn_ingest::SERVICE, hg_fn_ingest::service, hg_fn_ingest::USES).await;
    homeguard_wiring::exit_code("hg-fn-ingest", result)
}
