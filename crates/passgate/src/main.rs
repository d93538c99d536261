//! `passgate` binary entry point; everything lives in the library (see `cli.rs`).

fn main() -> std::process::ExitCode {
    passgate::cli::main()
}
