//! `posture`: the command-line entry point. Thin glue over `posture-app` and `posture-store`:
//! argument parsing, output formatting and exit codes live here, nothing else.
//!
//! Exit codes: 0 success; 1 a check failed (the CI gate); 2 bad usage, bad input or any other
//! error (the message names the file and the place).

mod approvals;
mod assets;
mod branches;
mod cli;
mod commands;
mod demo;
mod demo_team;
mod fixes;
mod gate;
mod integrations;
mod maintenance;
mod output;
mod progress;
mod push;
mod risk;
mod serve;
mod workflow;

use clap::Parser as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = commands::run(cli);
    progress::finish();
    match result {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`posture findings | head`) is not an error worth a message.
            let broken_pipe = err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            // Each cause once: an error whose message already quotes its source (the store's
            // "database error while ...: <source>") is not followed by that source again.
            let mut message = String::new();
            for cause in err.chain() {
                let text = cause.to_string();
                if !message.contains(&text) {
                    if !message.is_empty() {
                        message.push_str(": ");
                    }
                    message.push_str(&text);
                }
            }
            // Configuration errors come rendered rustc-style, with their own `error[...]`.
            if message.starts_with("error[") {
                eprintln!("{message}");
            } else {
                eprintln!("error: {message}");
            }
            ExitCode::from(2)
        }
    }
}
