//! `ashlog`: sign and submit data-destruction statements (agencies), verify
//! them offline or online (citizens, journalists), and replay a whole log
//! (auditors, monitors). See `verifier/CLI.md` for the user guide.
//!
//! The binary is thin glue (STYLE §2.12): clap types become a validated plan
//! before any network I/O, the checks themselves live in the `ashlog`
//! library, and `main` maps outcomes to exit codes: 0 verified, 1 verification
//! failed or anomaly found, 2 usage or input error, 3 network.

#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
