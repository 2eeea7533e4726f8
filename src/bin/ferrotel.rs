//! The `ferrotel` command (feature `cli`):
//!
//! - `ferrotel doctor` prints the configuration `init` resolves from this environment and
//!   probes each OTLP endpoint (TCP, TLS handshake, an empty export); it exits 1 when a
//!   probe fails, 2 when the configuration itself is refused.
//! - `ferrotel assets export DIR [--force]` writes the observability stack (collector,
//!   Prometheus, Alertmanager, Grafana, compose file) embedded in the crate.
//! - `ferrotel slo FILE RULES_DIR [--check]` writes the SLO rules of an SLO file into the
//!   Prometheus rules directory and points every runbook link there at its base; with
//!   `--check` it writes nothing and exits 1 when a file is out of date.

use std::process::ExitCode;

const USAGE: &str = "usage:
  ferrotel doctor                      the configuration init would use here, and a probe of each OTLP endpoint
  ferrotel assets export DIR [--force] write the collector, Prometheus, Alertmanager and Grafana files and the compose file to DIR
  ferrotel slo FILE RULES_DIR [--check] write the SLO recording rules and alerts of FILE into RULES_DIR (--check: exit 1 if out of date)
  ferrotel --version";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["doctor"] => doctor(),
        ["assets", "export", dir] => assets(dir, false),
        ["assets", "export", dir, "--force"] | ["assets", "export", "--force", dir] => {
            assets(dir, true)
        }
        ["slo", file, dir] => slo(file, dir, false),
        ["slo", file, dir, "--check"] | ["slo", "--check", file, dir] => slo(file, dir, true),
        ["--version" | "-V"] => {
            println!("ferrotel {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        ["--help" | "-h" | "help"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("ferrotel: unknown arguments {args:?}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn doctor() -> ExitCode {
    let resolved = match ferrotel::Config::from_env().and_then(|c| c.resolve()) {
        Ok(r) => r,
        Err(e) => {
            println!("FAIL  configuration: {e}");
            return ExitCode::from(2);
        }
    };
    println!("configuration (as init resolves it from this environment):");
    for line in ferrotel::doctor::configuration(&resolved) {
        println!("{line}");
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            println!("FAIL  cannot start a runtime for the probes: {e}");
            return ExitCode::FAILURE;
        }
    };
    let findings = runtime.block_on(ferrotel::doctor::probe(&resolved));
    if findings.is_empty() {
        println!("probes: no signal goes over OTLP (set OTEL_EXPORTER_OTLP_ENDPOINT)");
        return ExitCode::SUCCESS;
    }
    println!("probes:");
    for f in &findings {
        println!("{f}");
    }
    if findings.iter().all(|f| f.ok()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn assets(dir: &str, force: bool) -> ExitCode {
    match ferrotel::assets::export(std::path::Path::new(dir), force) {
        Ok(written) => {
            println!("wrote {} files under {dir}", written.len());
            println!(
                "start the stack there: docker compose up otel-collector prometheus alertmanager alert-webhook grafana tempo loki"
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ferrotel assets export: {e}");
            ExitCode::FAILURE
        }
    }
}

fn slo(file: &str, dir: &str, check: bool) -> ExitCode {
    let result = ferrotel::slo::SloFile::read(std::path::Path::new(file))
        .and_then(|f| f.sync(std::path::Path::new(dir), check));
    match result {
        Ok(changed) if changed.is_empty() => {
            println!("{dir} is current with {file}");
            ExitCode::SUCCESS
        }
        Ok(changed) => {
            let verb = if check { "out of date" } else { "wrote" };
            for path in &changed {
                println!("{verb}: {}", path.display());
            }
            if check {
                println!("run: ferrotel slo {file} {dir}");
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("ferrotel slo: {e}");
            ExitCode::from(2)
        }
    }
}
