//! The `kubesift` binary: parse the command line, dispatch, report errors.

use std::process::ExitCode;

use clap::Parser;
use mimalloc::MiMalloc;
use kubesift::cli::{self, Cli};

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

fn main() -> ExitCode {
    let parsed = Cli::parse();
    match cli::run(parsed) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(cli::exit::ERROR)
        }
    }
}
