//! The function as its own server (its Knative image).

fn main() -> std::process::ExitCode {
    homeguard_wiring::main(hg_fn_security::function())
}
