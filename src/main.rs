//! The `kubesift` binary: parse the command line, dispatch, report errors.

use std::process::ExitCode;

use clap::Parser;
use kubesift::cli::{self, Cli};
use mimalloc::MiMalloc;

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
