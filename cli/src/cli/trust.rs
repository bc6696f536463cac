//! Where trust comes from: the user's pinned files (`--policy`, `--roots`),
//! or, when they are missing and the command allows it, the log's own
//! configuration with a warning that this is only the log's word.

use anyhow::Result;
use ashlog::chain::TrustAnchors;
use ashlog::policy::Policy;

use super::error::fail;
use super::http::Log;

pub(crate) struct Trust {
    pub(crate) policy: Policy,
    pub(crate) anchors: TrustAnchors,
}

/// The log's own policy and roots, as its configuration states them.
pub(crate) fn from_log_config(log: &Log) -> Result<(Policy, TrustAnchors, String)> {
    let conf = log.config()?;
    let policy = Policy::parse(&conf.policy).map_err(|e| {
        fail(
            format!("the log's published policy does not parse: {e}"),
            "report this to the log operator",
        )
    })?;
    let mut anchors = TrustAnchors::new();
    for pem in &conf.trust_anchors {
        let more = TrustAnchors::from_pem(pem).map_err(|e| {
            fail(
                format!("a trust anchor in the log's configuration does not parse: {e}"),
                "report this to the log operator",
            )
        })?;
        for a in more.iter() {
            anchors.add_der(a.der().to_vec()).map_err(|e| {
                fail(
                    format!("trust anchor: {e}"),
                    "report this to the log operator",
                )
            })?;
        }
    }
    Ok((policy, anchors, conf.origin))
}

/// The user's files where given; what is missing comes from the log, with a
/// warning on stderr (unless `quiet`).
pub(crate) fn resolve(
    policy: Option<Policy>,
    roots: Option<TrustAnchors>,
    log: &Log,
    quiet: bool,
) -> Result<Trust> {
    if let (Some(policy), Some(anchors)) = (policy.clone(), roots.clone()) {
        return Ok(Trust { policy, anchors });
    }
    let (log_policy, log_anchors, _) = from_log_config(log)?;
    let missing = match (&policy, &roots) {
        (None, None) => "--policy and --roots",
        (None, Some(_)) => "--policy",
        _ => "--roots",
    };
    if !quiet {
        eprintln!(
            "warning: no {missing} given, so ashlog is trusting the log's own word for {} \
             (from {}/.well-known/transparency-configuration). A dishonest log could vouch for itself. \
             Pin your own with `ashlog policy fetch {}`, check them, and pass --policy and --roots.",
            if policy.is_none() {
                "its keys, witnesses and quorum"
            } else {
                "which certificate authorities it trusts"
            },
            log.base(),
            log.base()
        );
    }
    Ok(Trust {
        policy: policy.unwrap_or(log_policy),
        anchors: roots.unwrap_or(log_anchors),
    })
}
