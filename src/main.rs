//! The `fdfs` binary: every role and tool of the system behind one command.

mod cli;
mod commands;
mod config;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_tracing(&cli.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fdfs: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fdfs: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(default_filter: &str) {
    let directives = std::env::var("RUST_LOG").unwrap_or_else(|_| default_filter.to_string());
    let filter = tracing_subscriber::EnvFilter::try_new(quiet_s3s(&directives))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(quiet_s3s(default_filter)));
    // Colours only on a terminal: logs sent to files and journals stay plain.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();
}

/// `directives` with `s3s`'s own request logging off, unless they name
/// `s3s`: it logs every error answer as ERROR lines with debug dumps of
/// the request, while the gateway logs each refusal once, as a
/// rate-limited WARN (see `fdfs_s3api::gateway` `refusal_log`).
fn quiet_s3s(directives: &str) -> String {
    if directives.contains("s3s") {
        return directives.to_string();
    }
    format!("{directives},s3s::ops=off,s3s::service=off")
}
