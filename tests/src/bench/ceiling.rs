//! The machine's limits, measured in the same run as the figures they
//! bound: ES256 verifications per second (aws-lc-rs, what the server uses
//! with `fast-verify`, and pure-Rust p256) and RFC 6962 node hashes per
//! second (SHA-256 of 65 bytes, sha2 with SHA-NI when the CPU has it), on
//! one thread and on every core at once.
//!
//! Every registration costs at least one ES256 verification, so accepted/s
//! divided by the ES256 ceiling of the cores the log got is the share of
//! the hardware's best that the whole registration path achieves.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::anyhow;
use ashlog::keys::P256SigningKey;
use ashlog::merkle::{Hash, node_hash};

/// Operations per second, on one thread and on all cores.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rate {
    /// One thread.
    pub one: f64,
    /// All cores, summed.
    pub all: f64,
}

/// The measured limits.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ceiling {
    /// ES256 verifications/s with aws-lc-rs.
    pub es256_aws_lc: Rate,
    /// ES256 verifications/s with p256 (pure Rust).
    pub es256_p256: Rate,
    /// RFC 6962 node hashes/s.
    pub node_hash: Rate,
    /// Cores used for `all`.
    pub cores: usize,
}

fn count_for(secs: f64, threads: usize, op: &(dyn Fn() + Sync)) -> f64 {
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let total: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..16 {
                            op();
                        }
                        n += 16;
                    }
                    n
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    total as f64 / started.elapsed().as_secs_f64()
}

fn rate(secs: f64, cores: usize, op: &(dyn Fn() + Sync)) -> Rate {
    Rate {
        one: count_for(secs, 1, op),
        all: count_for(secs, cores, op),
    }
}

/// Measures the ceiling, `secs` seconds per figure (six figures).
pub fn measure(secs: f64) -> anyhow::Result<Ceiling> {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let key = P256SigningKey::generate()?;
    let msg = [0x5au8; 64];
    let sig = key.sign_es256(&msg);
    let point = key.as_p256().verifying_key().to_sec1_bytes();
    let aws = aws_lc_rs::signature::ParsedPublicKey::new(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED,
        &point,
    )
    .map_err(|e| anyhow!("aws-lc-rs rejects the key: {e}"))?;
    if aws.verify_sig(&msg, &sig).is_err() {
        return Err(anyhow!("aws-lc-rs does not verify a p256 signature"));
    }
    let es256_aws_lc = rate(secs, cores, &|| {
        let _ = std::hint::black_box(aws.verify_sig(std::hint::black_box(&msg), &sig));
    });
    let vk = *key.as_p256().verifying_key();
    let psig = p256::ecdsa::Signature::from_slice(&sig)?;
    let es256_p256 = rate(secs, cores, &|| {
        use p256::ecdsa::signature::Verifier as _;
        let _ = std::hint::black_box(vk.verify(std::hint::black_box(&msg), &psig));
    });
    let a = Hash([1; 32]);
    let b = Hash([2; 32]);
    let node = rate(secs, cores, &|| {
        std::hint::black_box(node_hash(std::hint::black_box(&a), &b));
    });
    Ok(Ceiling {
        es256_aws_lc,
        es256_p256,
        node_hash: node,
        cores,
    })
}

impl fmt::Display for Ceiling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ceiling: es256_aws_lc/s={:.0} (1 core) {:.0} ({} cores); es256_p256/s={:.0} / {:.0}; sha256_node/s={:.0} / {:.0}",
            self.es256_aws_lc.one,
            self.es256_aws_lc.all,
            self.cores,
            self.es256_p256.one,
            self.es256_p256.all,
            self.node_hash.one,
            self.node_hash.all
        )
    }
}
