//! The `kubesift` binary: parse the command line, dispatch, report errors.

use std::process::ExitCode;

use clap::Parser;
use kubesift::cli::{self, Cli};
use mimalloc::MiMalloc;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

fn main() -> ExitCode {
    let parsed = match Cli::try_parse() {
        Ok(parsed) => parsed,
        Err(e) => return cli::usage_error(&e),
    };
    match cli::run(parsed) {
        Ok(code) => code,
        Err(e) if cli::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", cli::error_line(&e));
            ExitCode::from(cli::exit::ERROR)
        }
    }
}
