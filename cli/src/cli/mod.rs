//! The `ashlog` command line: arguments ([`args`]), the validated plan
//! ([`plan`]), one module per group of commands, and the exit-code mapping.

mod agency;
mod args;
mod audit;
mod commitment;
mod error;
mod http;
mod online;
mod output;
mod plan;
mod policy_cmd;
mod progress;
mod replay;
mod show;
mod state;
mod trust;
mod verify;

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser as _};

use args::{Cli, Command, Shell};
use error::Code;
use state::State;

/// What every command may need besides its own arguments.
pub(crate) struct Ctx {
    pub(crate) state: State,
    pub(crate) quiet: bool,
}

/// Runs the `ashlog` command line on the process arguments.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version print to stdout and exit 0; usage errors
            // exit 2 (clap's own convention matches ours).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                error::EXIT_USAGE
            } else {
                error::EXIT_OK
            });
        }
    };
    match run(cli) {
        Ok(code) => code.exit(),
        // A closed stdout (`ashlog show ... | head`) is the reader's choice,
        // not an error: exit quietly, like ripgrep.
        Err(e) if error::is_broken_pipe(&e) => ExitCode::from(error::EXIT_OK),
        Err(e) => {
            error::report(&e);
            ExitCode::from(error::exit_code(&e))
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<Code> {
    let ctx = Ctx {
        state: State::resolve(cli.state_dir)?,
        quiet: cli.quiet,
    };
    match cli.command {
        Command::Key(args::KeyCommand::New(a)) => agency::key_new(a),
        Command::Statement(args::StatementCommand::New { kind, out }) => {
            agency::statement_new(&kind, out)
        }
        Command::Ca(args::CaCommand::New(a)) => agency::ca_new(a),
        Command::Ca(args::CaCommand::Issue(a)) => agency::ca_issue(a),
        Command::Sign(a) => agency::sign(a),
        Command::Submit(a) => agency::submit(a, &ctx),
        Command::Endorse(a) => agency::follow_up(a, ashlog::schema::Kind::Endorsement, &ctx),
        Command::Correct(a) => agency::follow_up(a, ashlog::schema::Kind::Correction, &ctx),
        Command::Verify(a) => verify::run(a, &ctx),
        Command::Show(a) => show::run(a, &ctx),
        Command::Policy(args::PolicyCommand::Fetch {
            log,
            policy_out,
            roots_out,
            force,
            json,
        }) => policy_cmd::fetch(&log, &policy_out, &roots_out, force, json, &ctx),
        Command::Audit(a) => audit::run(a, false, &ctx),
        Command::Monitor(a) => audit::run(a, true, &ctx),
        Command::Commitment(args::CommitmentCommand::Build(a)) => commitment::build(a, &ctx),
        Command::Commitment(args::CommitmentCommand::Audit(a)) => commitment::audit(a, &ctx),
        Command::Completions { shell } => {
            let shell = match shell {
                Shell::Bash => clap_complete::Shell::Bash,
                Shell::Zsh => clap_complete::Shell::Zsh,
                Shell::Fish => clap_complete::Shell::Fish,
                Shell::Elvish => clap_complete::Shell::Elvish,
                Shell::Powershell => clap_complete::Shell::PowerShell,
            };
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "ashlog", &mut buf);
            output::print(&String::from_utf8_lossy(&buf))?;
            Ok(Code::Ok)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[test]
    fn clap_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }

    #[test]
    fn every_subcommand_has_an_example() {
        fn walk(cmd: &clap::Command, path: &str) {
            for sub in cmd.get_subcommands() {
                let p = format!("{path} {}", sub.get_name());
                if sub.has_subcommands() {
                    walk(sub, &p);
                    continue;
                }
                let help = sub
                    .get_after_help()
                    .map(|h| h.to_string())
                    .unwrap_or_default();
                assert!(help.contains("Example"), "{p} has no example in --help");
            }
        }
        walk(&super::Cli::command(), "ashlog");
    }
}
