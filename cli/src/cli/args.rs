//! The command line as clap sees it (the "low" stage): every flag defined
//! once, with its help and an example per command. [`super::plan`] turns
//! these into a validated plan before any network I/O.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit codes:
  0  verified (or done; no anomaly)
  1  verification failed, or an anomaly was found (the output says what and why)
  2  usage or input error (bad arguments, unreadable or invalid file, refused by the log)
  3  network error (the log could not be reached or answered with a server error)

State: the last checkpoint this machine saw of each log is kept in --state-dir,
else $ASHLOG_STATE_DIR, else $XDG_STATE_HOME/ashlog, else ~/.local/state/ashlog.

Getting started (a citizen):
  ashlog policy fetch https://log.example.org            # writes policy.txt and roots.pem: check them!
  ashlog verify statement.scitt --policy policy.txt --roots roots.pem

See cli/CLI.md for the full guide and the --json fields.";

/// Check data-destruction attestations: agencies sign and submit them to an
/// ashlog transparency log, citizens verify them (offline from one file, or
/// online against the log), auditors replay the whole log.
#[derive(Debug, Parser)]
#[command(name = "ashlog", version, after_help = EXIT_CODES, max_term_width = 100)]
pub(crate) struct Cli {
    /// Directory holding the last checkpoint seen of each log and monitor
    /// state [default: $XDG_STATE_HOME/ashlog or ~/.local/state/ashlog].
    #[arg(long, global = true, value_name = "DIR", env = "ASHLOG_STATE_DIR")]
    pub(crate) state_dir: Option<PathBuf>,
    /// No progress output and no warnings on stderr (errors still print).
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Agencies: create a signing key (and a certificate request for your CA).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Agencies: write a commented statement template to fill in.
    #[command(subcommand)]
    Statement(StatementCommand),
    /// Test deployments: a certificate authority for agencies (a real
    /// deployment uses its government PKI).
    #[command(subcommand)]
    Ca(CaCommand),
    /// Agencies: validate a statement (TOML or JSON) and sign it.
    #[command(
        after_help = "Example:\n  ashlog sign --key agency-key.pem --chain agency-chain.pem destruction.toml -o destruction.scitt"
    )]
    Sign(SignArgs),
    /// Agencies: register a signed statement with a log, wait for its
    /// witnessed receipt, verify it and save the Transparent Statement.
    #[command(
        after_help = "Example:\n  ashlog submit https://log.example.org destruction.scitt --policy policy.txt --roots roots.pem\n  (writes destruction.scitt.transparent.scitt and prints the entry id)"
    )]
    Submit(SubmitArgs),
    /// Auditors, notaries: sign an endorsement of an entry of the log (its
    /// target is filled in from the log: entry id and leaf hash).
    #[command(
        after_help = "Example:\n  ashlog endorse --log https://log.example.org --entry 1.1 --key notary-key.pem --chain notary-chain.pem endorsement.toml -o endorsement.scitt"
    )]
    Endorse(FollowUpArgs),
    /// Agencies: sign a correction of an entry of the log (amendment, status
    /// update, retraction...; its target is filled in from the log).
    #[command(
        after_help = "Example:\n  ashlog correct --log https://log.example.org --entry 1.1 --key agency-key.pem --chain agency-chain.pem correction.toml -o correction.scitt"
    )]
    Correct(FollowUpArgs),
    /// Citizens: verify a Transparent Statement, offline from the file, or
    /// online against the log (fork and rollback detection).
    #[command(
        after_help = "Examples:\n  ashlog verify wuxi-destruction.scitt --policy policy.txt --roots roots.pem\n  ashlog verify --online https://log.example.org 1.1 --policy policy.txt --roots roots.pem\n  ashlog verify wuxi-destruction.scitt --policy policy.txt --roots roots.pem --json\n\n--json: the fields are listed in cli/CLI.md (\"JSON output\")."
    )]
    Verify(VerifyArgs),
    /// Citizens: show an entry of a log with its endorsements and corrections.
    #[command(
        after_help = "Example:\n  ashlog show https://log.example.org 1.1 --policy policy.txt --roots roots.pem"
    )]
    Show(ShowArgs),
    /// Citizens: get a log's policy (keys, witnesses, quorum) and trusted roots.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Auditors: replay the whole log: every hash up to the checkpoint, every
    /// statement re-verified; summary by issuer and kind.
    #[command(
        after_help = "Examples:\n  ashlog audit https://log.example.org --roots roots.pem\n  ashlog audit https://log.example.org --policy policy.txt --roots roots.pem --json\n  ashlog audit https://log.example.org --policy policy.txt --no-verify-signatures\n\n--json: the fields are listed in cli/CLI.md (\"JSON output\")."
    )]
    Audit(AuditArgs),
    /// Monitors: replay only what is new since the last run (state in
    /// --state-dir) and exit 1 on any anomaly.
    #[command(
        after_help = "Example (e.g. every 10 minutes from cron):\n  ashlog monitor https://log.example.org --policy policy.txt --roots roots.pem\n\nAnomalies (exit 1): a checkpoint inconsistent with one seen before (fork or rollback),\na statement that fails verification, an issuer outside --roots, a correction or\nretraction, a change of the log's policy. --json prints the same fields as audit."
    )]
    Monitor(AuditArgs),
    /// Agencies and auditors: per-person commitments ("was my record
    /// destroyed?"): build one from the records before deleting them, audit
    /// a published one.
    #[command(subcommand)]
    Commitment(CommitmentCommand),
    /// Print shell completions.
    #[command(
        after_help = "Example:\n  ashlog completions bash > ~/.local/share/bash-completion/completions/ashlog"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Shell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Create a P-256 signing key (PKCS#8 PEM, mode 0600) and, with --csr, a
    /// certificate signing request naming your agency and its issuer URI.
    #[command(
        after_help = "Example:\n  ashlog key new -o agency-key.pem --csr agency.csr --name 'Wuxi Big Data Administration' \\\n    --org \"Wuxi Municipal People's Government\" --country CN --uri https://dsj.wuxi.gov.cn"
    )]
    New(KeyNewArgs),
}

#[derive(Debug, Args)]
pub(crate) struct KeyNewArgs {
    /// Where to write the private key (never overwritten).
    #[arg(short, long, value_name = "FILE", default_value = "agency-key.pem")]
    pub(crate) out: PathBuf,
    /// Also write a certificate signing request (PEM) to FILE.
    #[arg(long, value_name = "FILE", requires_all = ["name", "uri"])]
    pub(crate) csr: Option<PathBuf>,
    /// Common name for the CSR, e.g. 'Wuxi Big Data Administration'.
    #[arg(long, value_name = "NAME")]
    pub(crate) name: Option<String>,
    /// Organisation for the CSR.
    #[arg(long, value_name = "ORG", default_value = "")]
    pub(crate) org: String,
    /// Two-letter country code for the CSR.
    #[arg(long, value_name = "CC", default_value = "CN")]
    pub(crate) country: String,
    /// Your issuer URI (the statements' `iss`), e.g. https://dsj.wuxi.gov.cn.
    #[arg(long, value_name = "URI")]
    pub(crate) uri: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CaCommand {
    /// Create a root CA (P-256): its certificate (give it to the log as a
    /// trust anchor, and to citizens as roots.pem) and its key (0600).
    #[command(
        after_help = "Example:\n  ashlog ca new --name 'Jiangsu Government Test CA' --org 'Jiangsu Provincial Government' \\\n    --key ca-key.pem --cert ca.pem"
    )]
    New(CaNewArgs),
    /// Issue an agency certificate for a certificate request (from `ashlog key
    /// new --csr`): keyUsage digitalSignature, the request's issuer URI as its
    /// only SAN. Writes the chain (agency certificate, then the CA's) as PEM.
    #[command(
        after_help = "Example:\n  ashlog ca issue --key ca-key.pem --cert ca.pem --days 730 agency.csr -o agency-chain.pem"
    )]
    Issue(CaIssueArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CaNewArgs {
    /// Common name of the CA.
    #[arg(long, value_name = "NAME")]
    pub(crate) name: String,
    /// Organisation.
    #[arg(long, value_name = "ORG", default_value = "")]
    pub(crate) org: String,
    /// Two-letter country code.
    #[arg(long, value_name = "CC", default_value = "CN")]
    pub(crate) country: String,
    /// Where to write the CA's private key (never overwritten, mode 0600).
    #[arg(long, value_name = "FILE", default_value = "ca-key.pem")]
    pub(crate) key: PathBuf,
    /// Where to write the CA's certificate.
    #[arg(long, value_name = "FILE", default_value = "ca.pem")]
    pub(crate) cert: PathBuf,
    /// Validity in days, from now.
    #[arg(long, default_value_t = 3650)]
    pub(crate) days: u32,
}

#[derive(Debug, Args)]
pub(crate) struct CaIssueArgs {
    /// The CA's private key.
    #[arg(long, value_name = "FILE")]
    pub(crate) key: PathBuf,
    /// The CA's certificate.
    #[arg(long, value_name = "FILE")]
    pub(crate) cert: PathBuf,
    /// The agency's certificate request.
    #[arg(value_name = "CSR")]
    pub(crate) csr: PathBuf,
    /// Where to write the chain (never overwritten).
    #[arg(short, long, value_name = "FILE", default_value = "agency-chain.pem")]
    pub(crate) out: PathBuf,
    /// Validity in days, from now.
    #[arg(long, default_value_t = 730)]
    pub(crate) days: u32,
}

#[derive(Debug, Subcommand)]
pub(crate) enum StatementCommand {
    /// Write a commented TOML template with every field of a kind.
    #[command(after_help = "Example:\n  ashlog statement new destruction -o destruction.toml")]
    New {
        /// destruction, takedown, endorsement or correction.
        #[arg(value_name = "KIND")]
        kind: String,
        /// Output file (never overwritten) [default: stdout].
        #[arg(short, long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct SignerArgs {
    /// Your private key (PKCS#8 PEM), from `ashlog key new`.
    #[arg(long, value_name = "FILE")]
    pub(crate) key: PathBuf,
    /// Your certificate chain (PEM, your certificate first, then your CA's).
    #[arg(long, value_name = "FILE")]
    pub(crate) chain: PathBuf,
    /// Signing time (RFC 3339, e.g. 2023-03-02T12:00:00+08:00) [default: now].
    #[arg(long, value_name = "TIME")]
    pub(crate) signed_at: Option<String>,
    /// Also check that the chain leads to one of these roots (PEM).
    #[arg(long, value_name = "FILE")]
    pub(crate) roots: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
    /// The statement (TOML, or JSON if it ends in .json).
    #[arg(value_name = "STATEMENT")]
    pub(crate) input: PathBuf,
    /// Output file [default: the input with .scitt].
    #[arg(short, long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct TrustArgs {
    /// The log policy you trust (tlog-policy: log keys, witnesses, quorum).
    #[arg(long, value_name = "FILE", env = "ASHLOG_POLICY")]
    pub(crate) policy: Option<PathBuf>,
    /// The root certificates you trust for agencies (PEM).
    #[arg(long, value_name = "FILE", env = "ASHLOG_ROOTS")]
    pub(crate) roots: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct SubmitArgs {
    /// The log's URL, e.g. https://log.example.org.
    #[arg(value_name = "LOG_URL")]
    pub(crate) log: String,
    /// The signed statement.
    #[arg(value_name = "STATEMENT")]
    pub(crate) input: PathBuf,
    /// Where to save the Transparent Statement [default: <STATEMENT>.transparent.scitt].
    #[arg(short, long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Give up waiting for the witnessed receipt after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub(crate) timeout: u64,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
}

#[derive(Debug, Args)]
pub(crate) struct FollowUpArgs {
    /// The log holding the entry.
    #[arg(long, value_name = "LOG_URL")]
    pub(crate) log: String,
    /// The entry id, e.g. 1.1 [default: target.entry_id of the document].
    #[arg(long, value_name = "ID")]
    pub(crate) entry: Option<String>,
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
    /// The log policy you trust, to verify the entry first.
    #[arg(long, value_name = "FILE", env = "ASHLOG_POLICY")]
    pub(crate) policy: Option<PathBuf>,
    /// The document (TOML, or JSON if it ends in .json).
    #[arg(value_name = "STATEMENT")]
    pub(crate) input: PathBuf,
    /// Output file [default: the input with .scitt].
    #[arg(short, long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// A Transparent Statement file, or with --online an entry id such as 1.1.
    #[arg(value_name = "FILE|ENTRY")]
    pub(crate) target: String,
    /// Also check against the log at this URL: its latest checkpoint must be
    /// consistent with the receipt's and with the last one this machine saw.
    #[arg(long, value_name = "LOG_URL")]
    pub(crate) online: Option<String>,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// Machine-readable output (see --help).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The log's URL.
    #[arg(value_name = "LOG_URL")]
    pub(crate) log: String,
    /// The entry id, e.g. 1.1.
    #[arg(value_name = "ENTRY")]
    pub(crate) entry: String,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// Machine-readable output: {entry: <verify fields>, endorsements: [...], corrections: [...]}.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Write a starting policy and roots file from the log's own
    /// configuration. Pinning them is your decision: check them independently.
    #[command(
        after_help = "Example:\n  ashlog policy fetch https://log.example.org --policy-out policy.txt --roots-out roots.pem"
    )]
    Fetch {
        /// The log's URL.
        #[arg(value_name = "LOG_URL")]
        log: String,
        /// Where to write the policy (never overwritten without --force).
        #[arg(long, value_name = "FILE", default_value = "policy.txt")]
        policy_out: PathBuf,
        /// Where to write the trusted roots.
        #[arg(long, value_name = "FILE", default_value = "roots.pem")]
        roots_out: PathBuf,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// The log's URL.
    #[arg(value_name = "LOG_URL")]
    pub(crate) log: String,
    /// The log policy you trust [default: the log's own, with a warning].
    #[arg(long, value_name = "FILE", env = "ASHLOG_POLICY")]
    pub(crate) policy: Option<PathBuf>,
    /// Flag statements whose certificate chain does not lead to one of these
    /// roots (PEM) as from an unknown issuer.
    #[arg(long, value_name = "FILE", env = "ASHLOG_ROOTS")]
    pub(crate) roots: Option<PathBuf>,
    /// Replay hashes only: entry bundles and tiles up to the checkpoint root;
    /// statements, signatures and schemas are not checked.
    #[arg(long)]
    pub(crate) no_verify_signatures: bool,
    /// Requests in flight at once (at most 32). Tiles and bundles are small
    /// and the log serves them from storage, so a replay is bound by round
    /// trips; 16 keeps one client core busy on loopback.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub(crate) parallel: usize,
    /// Machine-readable output (see --help).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CommitmentCommand {
    /// Build a commitment from the records: canonical identifiers, one leaf
    /// per subject under a fresh key (written 0600 to --key-out, never
    /// printed), sorted; writes the published directory (leaves, tiles,
    /// bucket files) and prints the [statement.commitment] block.
    #[command(
        after_help = "Examples:\n  ashlog commitment build records.txt --context wuxi-health-2023 --key-out commitment.key -o commitment/\n  ashlog commitment build records.csv --format csv --column id_number --context wuxi-health-2023 \\\n    --key-out commitment.key -o commitment/ > commitment-block.toml\n  export-records | ashlog commitment build - --type E164-phone --context wuxi-phones-2023 --key-out k -o out/\n\nRefused rows are counted by reason with their line numbers; no identifier is ever printed."
    )]
    Build(CommitmentBuildArgs),
    /// Recompute a published commitment: sorted, count, leaves digest, root,
    /// every tile and bucket file; with --records and --key, from the live
    /// records. Exit 0 consistent, 1 not.
    #[command(
        after_help = "Examples:\n  ashlog commitment audit commitment/\n  ashlog commitment audit commitment/ --records records.txt --key commitment.key\n  ashlog commitment audit commitment/ --commitment destruction.toml"
    )]
    Audit(CommitmentAuditArgs),
}

/// The keyed leaf kinds the build makes. (Salted per-subject leaves need a
/// salt delivered to every person, which is not ashlog's to do.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum BuildLeafKind {
    /// RFC 9497 VOPRF over P-256: people check blinded, through the check
    /// service.
    #[value(name = "oprf_p256")]
    OprfP256,
    /// HMAC-SHA256: only the key holders (auditors) can check.
    #[value(name = "hmac_sha256_keyed")]
    HmacSha256Keyed,
}

#[derive(Debug, Args)]
pub(crate) struct CommitmentBuildArgs {
    /// The records: a file, or - for standard input.
    #[arg(value_name = "RECORDS")]
    pub(crate) input: PathBuf,
    /// How the records are laid out.
    #[arg(long, value_enum, default_value = "lines")]
    pub(crate) format: super::commitment::Format,
    /// For CSV and TSV: the header of the column holding the identifier.
    #[arg(long, value_name = "NAME")]
    pub(crate) column: Option<String>,
    /// The identifier type: CN-RID-18 or E164-phone.
    #[arg(long = "type", value_name = "TYPE", default_value = "CN-RID-18")]
    pub(crate) identifier_type: String,
    /// The commitment's context token, bound into every leaf (a-z 0-9 . _ -).
    #[arg(long, value_name = "TOKEN")]
    pub(crate) context: String,
    /// How leaves are keyed.
    #[arg(long, value_enum, default_value = "oprf_p256")]
    pub(crate) leaf_kind: BuildLeafKind,
    /// Where to write the new key (mode 0600; never overwritten).
    #[arg(long, value_name = "FILE")]
    pub(crate) key_out: PathBuf,
    /// The published directory to create (written as OUT.partial, renamed
    /// when complete).
    #[arg(short, long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Leading bits naming a bucket file [default: floor(log2(N / 1000))].
    #[arg(long, value_name = "BITS")]
    pub(crate) bucket_bits: Option<u8>,
    /// Where the directory will be served, for the block's leaves_url.
    #[arg(long, value_name = "URL")]
    pub(crate) leaves_url: Option<String>,
    /// Memory for leaves before sorting spills to disk, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 512)]
    pub(crate) memory_mib: u64,
    /// Threads deriving leaves [default: every core].
    #[arg(long, value_name = "N")]
    pub(crate) threads: Option<usize>,
}

#[derive(Debug, Args)]
pub(crate) struct CommitmentAuditArgs {
    /// The published directory.
    #[arg(value_name = "DIR")]
    pub(crate) dir: PathBuf,
    /// The commitment to check against: a commitment.toml or a statement
    /// TOML [default: DIR/commitment.toml].
    #[arg(long, value_name = "FILE")]
    pub(crate) commitment: Option<PathBuf>,
    /// The live records, to recompute the set from them.
    #[arg(long, value_name = "FILE", requires = "key")]
    pub(crate) records: Option<PathBuf>,
    /// The commitment's key file (with --records).
    #[arg(long, value_name = "FILE", requires = "records")]
    pub(crate) key: Option<PathBuf>,
    /// How the records are laid out.
    #[arg(long, value_enum, default_value = "lines")]
    pub(crate) format: super::commitment::Format,
    /// For CSV and TSV: the header of the column holding the identifier.
    #[arg(long, value_name = "NAME")]
    pub(crate) column: Option<String>,
}
