//! `ashlog`: sign and submit data-destruction statements (agencies), verify
//! them offline or online (citizens, journalists), and replay a whole log
//! (auditors, monitors). See `cli/CLI.md` for the user guide.

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    ashlog_cli::main()
}
