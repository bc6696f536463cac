//! C2SP tlog-policy: which logs and witnesses a verifier trusts, and the
//! quorum of witness cosignatures a checkpoint needs.
//!
//! ```text
//! log <vkey> [<url>]
//! witness <name> <vkey> [<url>]
//! group <name> all|any|<k> <member>...
//! quorum <name>|none
//! ```
//!
//! A checkpoint satisfies a policy when one of the listed logs signed it (the
//! log's key name is its origin) and the witnesses that cosigned it satisfy
//! the quorum. The log server reads the same file for its witnesses' URLs.

use std::fmt;

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::note::{Note, NoteError, SigType, VerifiedSignature};
use crate::vkey::VerifierKey;

/// Most logs, witnesses or groups in one policy. The spec recommends
/// supporting at least 32 of each; 256 leaves room without letting a policy
/// file make quorum evaluation expensive.
pub const MAX_POLICY_ITEMS: usize = 256;

/// Why a policy file or a checkpoint under it was refused.
#[non_exhaustive]
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PolicyError {
    /// A line of the policy file is wrong; says which and why.
    #[error("policy line {line}: {reason}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The file has no `quorum` line.
    #[error("policy has no quorum line")]
    NoQuorum,
    /// The checkpoint's origin is not the name of any log in the policy.
    #[error("checkpoint origin {0:?} is not a log in this policy")]
    UnknownLog(String),
    /// The checkpoint is malformed or its signatures failed.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// Not enough witnesses cosigned.
    #[error(
        "witness quorum not met: needs {required}, cosigned by {}",
        list_or(cosigned, "no known witness")
    )]
    QuorumNotMet {
        /// The quorum, in words ([`Policy::describe_quorum`]).
        required: String,
        /// The policy names of the witnesses whose cosignatures verified.
        cosigned: Vec<String>,
    },
}

/// `a, b, c`, or `none` when there is nothing to list.
pub fn list_or(items: &[String], none: &str) -> String {
    if items.is_empty() {
        none.to_string()
    } else {
        items.join(", ")
    }
}

/// A log the policy trusts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyLog {
    /// The key (its name is the log's origin).
    pub key: VerifierKey,
    /// The log's URL, if given.
    pub url: Option<String>,
}

/// A witness the policy knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyWitness {
    /// The name used in groups and the quorum.
    pub name: String,
    /// Its cosignature key.
    pub key: VerifierKey,
    /// Its submission prefix URL, if given.
    pub url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Member {
    Witness(usize),
    Group(usize),
}

/// A named k-of-n group of witnesses or groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyGroup {
    /// Group name.
    pub name: String,
    /// How many members must witness.
    pub threshold: usize,
    members: Vec<Member>,
    spelled: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Quorum {
    None,
    Witness(usize),
    Group(usize),
}

/// A parsed tlog-policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    logs: Vec<PolicyLog>,
    witnesses: Vec<PolicyWitness>,
    groups: Vec<PolicyGroup>,
    quorum: Quorum,
}

/// What a policy concluded about a checkpoint.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// The note as received.
    pub note: Note,
    /// Log signatures that verified.
    pub log_signatures: Vec<VerifiedSignature<VerifierKey>>,
    /// Witnesses (policy names) whose cosignatures verified, with their
    /// timestamps in seconds.
    pub cosigners: Vec<(String, u64)>,
    /// Whether the cosigners satisfy the quorum.
    pub quorum_met: bool,
}

impl Policy {
    /// Parses a policy file. Ok means every name is defined before use, no
    /// key appears twice, log keys are `0x01` or `0x05` and witness keys
    /// `0x04`, and there is exactly one quorum line.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let mut logs: Vec<PolicyLog> = Vec::new();
        let mut witnesses: Vec<PolicyWitness> = Vec::new();
        let mut groups: Vec<PolicyGroup> = Vec::new();
        let mut quorum: Option<Quorum> = None;
        for (i, raw) in text.split('\n').enumerate() {
            let line = i + 1;
            let err = |reason: String| PolicyError::Syntax { line, reason };
            // A CR is tolerated only as part of a CRLF line ending; anywhere
            // else it would end up inside a field (a URL) and not survive
            // writing the policy back out.
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            if raw.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
                return Err(err("control character".into()));
            }
            let content = raw.trim_matches([' ', '\t']);
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = content
                .split([' ', '\t'])
                .filter(|f| !f.is_empty())
                .collect();
            let name_taken = |name: &str, witnesses: &[PolicyWitness], groups: &[PolicyGroup]| {
                name == "none"
                    || witnesses.iter().any(|w| w.name == name)
                    || groups.iter().any(|g| g.name == name)
            };
            match fields[0] {
                "log" => {
                    if !(2..=3).contains(&fields.len()) {
                        return Err(err("expected: log <vkey> [<url>]".into()));
                    }
                    let key = VerifierKey::parse(fields[1]).map_err(|e| err(e.to_string()))?;
                    if !matches!(key.sig_type(), SigType::Ed25519 | SigType::Rfc6962) {
                        return Err(err("a log key must be of type 0x01 or 0x05".into()));
                    }
                    if logs.iter().any(|l| l.key.public_key() == key.public_key()) {
                        return Err(err("duplicate log key".into()));
                    }
                    logs.push(PolicyLog {
                        key,
                        url: fields.get(2).map(|s| s.to_string()),
                    });
                }
                "witness" => {
                    if !(3..=4).contains(&fields.len()) {
                        return Err(err("expected: witness <name> <vkey> [<url>]".into()));
                    }
                    let name = fields[1];
                    if name_taken(name, &witnesses, &groups) {
                        return Err(err(format!("name {name:?} is already defined")));
                    }
                    let key = VerifierKey::parse(fields[2]).map_err(|e| err(e.to_string()))?;
                    if key.sig_type() != SigType::CosignatureV1 {
                        return Err(err(
                            "a witness key must be of type 0x04 (cosignature/v1)".into()
                        ));
                    }
                    if witnesses
                        .iter()
                        .any(|w| w.key.public_key() == key.public_key())
                    {
                        return Err(err("duplicate witness key".into()));
                    }
                    witnesses.push(PolicyWitness {
                        name: name.to_string(),
                        key,
                        url: fields.get(3).map(|s| s.to_string()),
                    });
                }
                "group" => {
                    if fields.len() < 4 {
                        return Err(err("expected: group <name> all|any|<k> <member>...".into()));
                    }
                    let name = fields[1];
                    if name_taken(name, &witnesses, &groups) {
                        return Err(err(format!("name {name:?} is already defined")));
                    }
                    let names = &fields[3..];
                    let mut members = Vec::with_capacity(names.len());
                    for m in names {
                        let member = if let Some(w) = witnesses.iter().position(|w| w.name == *m) {
                            Member::Witness(w)
                        } else if let Some(g) = groups.iter().position(|g| g.name == *m) {
                            Member::Group(g)
                        } else {
                            return Err(err(format!("group member {m:?} is not defined above")));
                        };
                        if members.contains(&member) {
                            return Err(err(format!("{m:?} is listed twice")));
                        }
                        members.push(member);
                    }
                    let threshold = match fields[2] {
                        "all" => members.len(),
                        "any" => 1,
                        k => crate::decimal::parse(k)
                            .and_then(|k| usize::try_from(k).ok())
                            .filter(|k| (1..=members.len()).contains(k))
                            .ok_or_else(|| {
                                err(format!(
                                    "threshold {k:?} must be all, any or 1..={}",
                                    members.len()
                                ))
                            })?,
                    };
                    groups.push(PolicyGroup {
                        name: name.to_string(),
                        threshold,
                        members,
                        spelled: fields[2].to_string(),
                    });
                }
                "quorum" => {
                    if fields.len() != 2 {
                        return Err(err("expected: quorum <name>|none".into()));
                    }
                    if quorum.is_some() {
                        return Err(err("more than one quorum line".into()));
                    }
                    let q = fields[1];
                    quorum = Some(if q == "none" {
                        Quorum::None
                    } else if let Some(w) = witnesses.iter().position(|w| w.name == q) {
                        Quorum::Witness(w)
                    } else if let Some(g) = groups.iter().position(|g| g.name == q) {
                        Quorum::Group(g)
                    } else {
                        return Err(err(format!("quorum {q:?} is not defined above")));
                    });
                }
                other => return Err(err(format!("unknown keyword {other:?}"))),
            }
            if logs.len() > MAX_POLICY_ITEMS
                || witnesses.len() > MAX_POLICY_ITEMS
                || groups.len() > MAX_POLICY_ITEMS
            {
                return Err(err(format!(
                    "more than {MAX_POLICY_ITEMS} logs, witnesses or groups"
                )));
            }
        }
        Ok(Policy {
            logs,
            witnesses,
            groups,
            quorum: quorum.ok_or(PolicyError::NoQuorum)?,
        })
    }

    /// The policy in file form (comments are not kept).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for l in &self.logs {
            out.push_str(&format!("log {}", l.key.to_vkey()));
            if let Some(u) = &l.url {
                out.push_str(&format!(" {u}"));
            }
            out.push('\n');
        }
        for w in &self.witnesses {
            out.push_str(&format!("witness {} {}", w.name, w.key.to_vkey()));
            if let Some(u) = &w.url {
                out.push_str(&format!(" {u}"));
            }
            out.push('\n');
        }
        for g in &self.groups {
            out.push_str(&format!("group {} {}", g.name, g.spelled));
            for m in &g.members {
                out.push(' ');
                out.push_str(self.member_name(m));
            }
            out.push('\n');
        }
        out.push_str(&format!("quorum {}\n", self.quorum_name()));
        out
    }

    fn member_name(&self, m: &Member) -> &str {
        match m {
            Member::Witness(i) => &self.witnesses[*i].name,
            Member::Group(i) => &self.groups[*i].name,
        }
    }

    fn quorum_name(&self) -> &str {
        match &self.quorum {
            Quorum::None => "none",
            Quorum::Witness(i) => &self.witnesses[*i].name,
            Quorum::Group(i) => &self.groups[*i].name,
        }
    }

    /// The logs.
    pub fn logs(&self) -> &[PolicyLog] {
        &self.logs
    }

    /// The witnesses.
    pub fn witnesses(&self) -> &[PolicyWitness] {
        &self.witnesses
    }

    /// Whether the quorum is `none`.
    pub fn requires_no_witnesses(&self) -> bool {
        self.quorum == Quorum::None
    }

    /// The log keys whose name is `origin`.
    pub fn log_keys(&self, origin: &str) -> Vec<VerifierKey> {
        self.logs
            .iter()
            .filter(|l| l.key.name() == origin)
            .map(|l| l.key.clone())
            .collect()
    }

    /// The witnesses' cosignature keys.
    pub fn witness_keys(&self) -> Vec<VerifierKey> {
        self.witnesses.iter().map(|w| w.key.clone()).collect()
    }

    /// Whether the witnesses named in `cosigned` satisfy the quorum.
    pub fn quorum_met(&self, cosigned: &[&str]) -> bool {
        let has = |i: usize| cosigned.contains(&self.witnesses[i].name.as_str());
        fn group(p: &Policy, g: usize, has: &dyn Fn(usize) -> bool) -> bool {
            let grp = &p.groups[g];
            let n = grp
                .members
                .iter()
                .filter(|m| match m {
                    Member::Witness(w) => has(*w),
                    Member::Group(sub) => group(p, *sub, has),
                })
                .count();
            n >= grp.threshold
        }
        match &self.quorum {
            Quorum::None => true,
            Quorum::Witness(w) => has(*w),
            Quorum::Group(g) => group(self, *g, &has),
        }
    }

    /// A plain description of the quorum, e.g. "2 of notary, auditor,
    /// university".
    pub fn describe_quorum(&self) -> String {
        fn group(p: &Policy, g: usize) -> String {
            let grp = &p.groups[g];
            let names: Vec<String> = grp
                .members
                .iter()
                .map(|m| match m {
                    Member::Witness(w) => p.witnesses[*w].name.clone(),
                    Member::Group(sub) => format!("({})", group(p, *sub)),
                })
                .collect();
            if grp.threshold == grp.members.len() && grp.members.len() > 1 {
                format!("all of {}", names.join(", "))
            } else {
                format!("{} of {}", grp.threshold, names.join(", "))
            }
        }
        match &self.quorum {
            Quorum::None => "no witnesses required".into(),
            Quorum::Witness(w) => format!("witness {}", self.witnesses[*w].name),
            Quorum::Group(g) => group(self, *g),
        }
    }

    /// Evaluates a signed checkpoint: its origin must be a listed log, a log
    /// key of that origin must have signed it, and every line by a known log
    /// or witness key must verify. Ok reports which witnesses cosigned and
    /// whether the quorum holds; it does not fail on an unmet quorum (see
    /// [`Policy::require`]).
    pub fn evaluate(&self, note_bytes: &[u8]) -> Result<Verdict, PolicyError> {
        let note = Note::parse(note_bytes).map_err(CheckpointError::from)?;
        let checkpoint = Checkpoint::parse(note.text())?;
        let log_keys = self.log_keys(&checkpoint.origin);
        if log_keys.is_empty() {
            return Err(PolicyError::UnknownLog(checkpoint.origin));
        }
        let log_signatures = note.verify(&log_keys).map_err(CheckpointError::from)?;
        let witness_keys = self.witness_keys();
        let cosigned = match note.verify(&witness_keys) {
            Ok(v) => v,
            Err(NoteError::UnverifiedNote) => Vec::new(),
            Err(e) => return Err(CheckpointError::from(e).into()),
        };
        let cosigners: Vec<(String, u64)> = cosigned
            .iter()
            .filter_map(|v| {
                self.witnesses
                    .iter()
                    .find(|w| w.key == v.key)
                    .map(|w| (w.name.clone(), v.timestamp.unwrap_or(0)))
            })
            .collect();
        let names: Vec<&str> = cosigners.iter().map(|(n, _)| n.as_str()).collect();
        let quorum_met = self.quorum_met(&names);
        Ok(Verdict {
            checkpoint,
            note,
            log_signatures,
            cosigners,
            quorum_met,
        })
    }

    /// Like [`Policy::evaluate`], and fails unless the quorum holds. Ok means
    /// the checkpoint is one a relying party under this policy accepts.
    pub fn require(&self, note_bytes: &[u8]) -> Result<Verdict, PolicyError> {
        let v = self.evaluate(note_bytes)?;
        if !v.quorum_met {
            return Err(PolicyError::QuorumNotMet {
                required: self.describe_quorum(),
                cosigned: v.cosigners.iter().map(|(n, _)| n.clone()).collect(),
            });
        }
        Ok(v)
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Ed25519SigningKey, P256SigningKey};
    use crate::merkle::Hash;
    use crate::vkey::NoteSigner;

    struct World {
        log05: NoteSigner,
        log01: NoteSigner,
        witnesses: Vec<NoteSigner>,
    }

    fn world() -> World {
        let origin = "log.example/ashlog/1".to_string();
        World {
            log05: NoteSigner::Rfc6962 {
                name: origin.clone(),
                key: P256SigningKey::generate().unwrap(),
            },
            log01: NoteSigner::Ed25519 {
                name: origin,
                key: Ed25519SigningKey::generate().unwrap(),
            },
            witnesses: ["notary", "auditor", "university"]
                .iter()
                .map(|n| NoteSigner::Cosignature {
                    name: format!("{n}.example/witness"),
                    key: Ed25519SigningKey::generate().unwrap(),
                })
                .collect(),
        }
    }

    /// Found by the parse_policy fuzz target: CRs before the LF of a line
    /// stayed inside the URL, and the policy written back out parsed to a
    /// different one. A CR is now accepted only as part of CRLF.
    #[test]
    fn r_fuzz_parse_policy_cr_inside_line() {
        let input = include_bytes!("../testdata/fuzz-regressions/parse_policy-cr-inside-line");
        let text = std::str::from_utf8(input).unwrap();
        match Policy::parse(text) {
            Err(PolicyError::Syntax { line: 1, reason }) => {
                assert_eq!(reason, "control character")
            }
            other => panic!("expected a syntax error on line 1, got {other:?}"),
        }
        let w = world();
        let crlf = policy_text(&w, "none").replace('\n', "\r\n");
        let p = Policy::parse(&crlf).unwrap();
        assert_eq!(Policy::parse(&p.to_text()).unwrap().to_text(), p.to_text());
        let url_with_cr = format!(
            "log {} http://127.0.0.1:1\r\r\nquorum none\n",
            w.log01.verifier().unwrap()
        );
        assert!(Policy::parse(&url_with_cr).is_err());
    }

    fn policy_text(w: &World, quorum: &str) -> String {
        let mut t = format!(
            "# ashlog test policy\nlog {}\nlog {} http://127.0.0.1:1\n\n",
            w.log05.verifier().unwrap(),
            w.log01.verifier().unwrap()
        );
        for (name, s) in ["notary", "auditor", "university"].iter().zip(&w.witnesses) {
            t.push_str(&format!("witness {name} {}\n", s.verifier().unwrap()));
        }
        t.push_str("group all3 2 notary auditor university\n");
        t.push_str(&format!("quorum {quorum}\n"));
        t
    }

    fn checkpoint_note(w: &World, cosign: &[usize]) -> Vec<u8> {
        let cp = Checkpoint {
            origin: "log.example/ashlog/1".into(),
            size: 5,
            root: Hash([7; 32]),
        };
        let mut n = Note::new(&cp.to_text()).unwrap();
        n.sign(&w.log05, 1_700_000_000_000).unwrap();
        n.sign(&w.log01, 0).unwrap();
        for i in cosign {
            n.sign(&w.witnesses[*i], 1_700_000_001).unwrap();
        }
        n.to_bytes()
    }

    #[test]
    fn policy_round_trips() {
        let w = world();
        let p = Policy::parse(&policy_text(&w, "all3")).unwrap();
        assert_eq!(Policy::parse(&p.to_text()).unwrap(), p);
        assert_eq!(p.describe_quorum(), "2 of notary, auditor, university");
        assert_eq!(p.logs()[1].url.as_deref(), Some("http://127.0.0.1:1"));
    }

    #[test]
    fn quorum_two_of_three() {
        let w = world();
        let p = Policy::parse(&policy_text(&w, "all3")).unwrap();
        let v = p.require(&checkpoint_note(&w, &[0, 2])).unwrap();
        assert_eq!(v.cosigners.len(), 2);
        assert_eq!(v.log_signatures.len(), 2);
        assert!(matches!(
            p.require(&checkpoint_note(&w, &[1])),
            Err(PolicyError::QuorumNotMet { .. })
        ));
        assert!(!p.evaluate(&checkpoint_note(&w, &[])).unwrap().quorum_met);
        let none = Policy::parse(&policy_text(&w, "none")).unwrap();
        none.require(&checkpoint_note(&w, &[])).unwrap();
        let single = Policy::parse(&policy_text(&w, "auditor")).unwrap();
        single.require(&checkpoint_note(&w, &[1])).unwrap();
        assert!(single.require(&checkpoint_note(&w, &[0, 2])).is_err());
    }

    #[test]
    fn forged_cosignature_fails_the_note() {
        let w = world();
        let p = Policy::parse(&policy_text(&w, "all3")).unwrap();
        let mut bytes = checkpoint_note(&w, &[0, 1]);
        // Flip a byte inside the last signature line's base64 body.
        let n = bytes.len();
        bytes[n - 10] = if bytes[n - 10] == b'A' { b'B' } else { b'A' };
        assert!(matches!(
            p.evaluate(&bytes),
            Err(PolicyError::Checkpoint(CheckpointError::Note(
                NoteError::InvalidSignature { .. }
            )))
        ));
    }

    #[test]
    fn unknown_log_is_refused() {
        let w = world();
        let p = Policy::parse(&policy_text(&w, "none")).unwrap();
        let other = World { ..world() };
        let cp = Checkpoint {
            origin: "other.example/log".into(),
            size: 1,
            root: Hash([1; 32]),
        };
        let mut n = Note::new(&cp.to_text()).unwrap();
        n.sign(
            &NoteSigner::Ed25519 {
                name: "other.example/log".into(),
                key: Ed25519SigningKey::generate().unwrap(),
            },
            0,
        )
        .unwrap();
        assert!(matches!(
            p.evaluate(&n.to_bytes()),
            Err(PolicyError::UnknownLog(_))
        ));
        // Right origin, wrong key: unverified.
        assert!(p.evaluate(&checkpoint_note(&other, &[])).is_err());
    }

    #[test]
    fn parse_rejects_bad_policies() {
        let w = world();
        let wk = w.witnesses[0].verifier().unwrap().to_vkey();
        let lk = w.log01.verifier().unwrap().to_vkey();
        for (bad, why) in [
            ("", "no quorum"),
            ("quorum x\n", "undefined"),
            (
                &format!("witness a {wk}\nwitness b {wk}\nquorum a\n") as &str,
                "duplicate",
            ),
            (
                &format!(
                    "witness a {wk}\nwitness a {}\nquorum a\n",
                    w.witnesses[1].verifier().unwrap()
                ),
                "name",
            ),
            (
                &format!("witness a {wk}\ngroup g 2 a\nquorum g\n"),
                "threshold",
            ),
            (
                &format!("witness a {wk}\ngroup g 0 a\nquorum g\n"),
                "threshold",
            ),
            (
                &format!("witness a {wk}\ngroup g any a a\nquorum g\n"),
                "twice",
            ),
            (
                &format!("witness a {wk}\ngroup g any b\nquorum g\n"),
                "member",
            ),
            (&format!("witness a {lk}\nquorum a\n"), "witness key type"),
            (&format!("log {wk}\nquorum none\n"), "log key type"),
            (
                &format!("log {lk}\nlog {lk}\nquorum none\n"),
                "duplicate log",
            ),
            ("quorum none\nquorum none\n", "two quorums"),
            ("frobnicate\nquorum none\n", "keyword"),
            ("witness none x\nquorum none\n", "none"),
            ("quorum none\x01\n", "control"),
        ] {
            assert!(Policy::parse(bad).is_err(), "{why}: {bad:?}");
        }
    }
}
