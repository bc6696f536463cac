//! The commitment key file (DESIGN.md §10.8): written once by `ashlog
//! commitment build`, read by the check service and by an auditor's
//! recomputation, erased by `ashlog commitment destroy-key`.
//!
//! ```text
//! ashlog-commitment-key v1
//! leaf_kind oprf_p256
//! context wuxi-health-2023
//! identifier_type CN-RID-18
//! public_key 03…            (oprf_p256 only: 66 hex digits)
//! secret …                  (64 hex digits)
//! ```
//!
//! Text, so an officer can see what the file is for; created 0600 with
//! O_EXCL, so an existing key is never overwritten; refused when others can
//! read it, as ssh refuses such a private key.

use std::path::Path;

use zeroize::Zeroizing;

use super::identifier::IdentifierType;
use super::input::Context;
use super::leaf::HmacLeafKey;
use super::oprf::OprfKey;

const MAGIC: &str = "ashlog-commitment-key v1";

/// Largest key file read.
pub const MAX_KEY_FILE: u64 = 4096;

/// Why a key file could not be read or written.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file system said no.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// Group or others may read it.
    #[error(
        "{0}: readable by others (mode {1:o}); a commitment key must be mode 0600 — run chmod 600"
    )]
    Permissions(String, u32),
    /// Not a key file of this format (no secret is ever quoted).
    #[error("{path}: not an ashlog commitment key file ({why})")]
    Malformed {
        /// The file.
        path: String,
        /// What is wrong.
        why: String,
    },
}

/// The secret, by leaf kind.
pub enum LeafKey {
    /// `oprf_p256`.
    Oprf(OprfKey),
    /// `hmac_sha256_keyed`.
    Hmac(HmacLeafKey),
}

impl std::fmt::Debug for LeafKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LeafKey::Oprf(k) => write!(f, "LeafKey::Oprf({k:?})"),
            LeafKey::Hmac(_) => f.write_str("LeafKey::Hmac(redacted)"),
        }
    }
}

impl LeafKey {
    /// The token of its leaf kind.
    pub fn leaf_kind(&self) -> &'static str {
        match self {
            LeafKey::Oprf(_) => "oprf_p256",
            LeafKey::Hmac(_) => "hmac_sha256_keyed",
        }
    }

    /// The leaf of PRF input `x`.
    pub fn leaf(&self, x: &[u8]) -> Result<[u8; 32], super::oprf::OprfError> {
        match self {
            LeafKey::Oprf(k) => k.evaluate(x),
            LeafKey::Hmac(k) => Ok(k.leaf(x)),
        }
    }
}

/// A key file's contents.
#[derive(Debug)]
pub struct KeyFile {
    /// The secret.
    pub key: LeafKey,
    /// The commitment it was made for.
    pub context: Context,
    /// Identifiers it is used on.
    pub identifier_type: IdentifierType,
}

impl KeyFile {
    /// The file's text. It holds the secret: wiped when dropped.
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut t = format!(
            "{MAGIC}\nleaf_kind {}\ncontext {}\nidentifier_type {}\n",
            self.key.leaf_kind(),
            self.context.as_str(),
            self.identifier_type
        );
        match &self.key {
            LeafKey::Oprf(k) => {
                t.push_str(&format!("public_key {}\n", hex::encode(k.public_key())));
                t.push_str(&format!("secret {}\n", hex::encode(*k.to_scalar())));
            }
            LeafKey::Hmac(k) => t.push_str(&format!("secret {}\n", hex::encode(k.as_bytes()))),
        }
        Zeroizing::new(t)
    }

    /// Parses a key file's text; `path` names it in errors.
    pub fn parse(text: &str, path: &str) -> Result<KeyFile, KeyFileError> {
        let bad = |why: &str| KeyFileError::Malformed {
            path: path.to_string(),
            why: why.to_string(),
        };
        let mut lines = text.lines();
        if lines.next() != Some(MAGIC) {
            return Err(bad("first line is not `ashlog-commitment-key v1`"));
        }
        let mut field = |name: &str| -> Result<&str, KeyFileError> {
            let line = lines
                .next()
                .ok_or_else(|| bad(&format!("no `{name}` line")))?;
            line.strip_prefix(name)
                .and_then(|r| r.strip_prefix(' '))
                .ok_or_else(|| bad(&format!("expected the `{name}` line")))
        };
        let kind = field("leaf_kind")?.to_string();
        let context = Context::new(field("context")?).map_err(|e| bad(&e.to_string()))?;
        let identifier_type = IdentifierType::from_token(field("identifier_type")?)
            .ok_or_else(|| bad("unknown identifier_type"))?;
        let key = match kind.as_str() {
            "oprf_p256" => {
                let public = field("public_key")?.to_string();
                let secret = Zeroizing::new(
                    hex::decode(field("secret")?).map_err(|_| bad("secret is not hex"))?,
                );
                let k = OprfKey::from_scalar(&secret).map_err(|_| bad("secret is not a key"))?;
                if hex::encode(k.public_key()) != public {
                    return Err(bad("public_key does not match the secret"));
                }
                LeafKey::Oprf(k)
            }
            "hmac_sha256_keyed" => {
                let secret = Zeroizing::new(
                    hex::decode(field("secret")?).map_err(|_| bad("secret is not hex"))?,
                );
                LeafKey::Hmac(
                    HmacLeafKey::from_bytes(&secret).map_err(|_| bad("secret is not 32 bytes"))?,
                )
            }
            _ => return Err(bad("leaf_kind is neither oprf_p256 nor hmac_sha256_keyed")),
        };
        if lines.next().is_some() {
            return Err(bad("text after the secret"));
        }
        let file = KeyFile {
            key,
            context,
            identifier_type,
        };
        // One spelling only: no CR, no missing final newline, no case or
        // hex variants, so a file that reads back is the file written.
        if file.to_text().as_str() != text {
            return Err(bad("not in the form `ashlog commitment build` writes"));
        }
        Ok(file)
    }

    /// Writes a new key file at `path`, mode 0600, durably; refuses to
    /// replace an existing file.
    pub fn create(&self, path: &Path) -> Result<(), KeyFileError> {
        ashlog_tlog::durable::write_secret_file(path, self.to_text().as_bytes()).map_err(|e| {
            KeyFileError::Io {
                path: path.display().to_string(),
                source: e,
            }
        })
    }

    /// Reads the key file at `path`, refusing one that others may read.
    pub fn read(path: &Path) -> Result<KeyFile, KeyFileError> {
        use std::io::Read as _;
        let name = path.display().to_string();
        let io = |e| KeyFileError::Io {
            path: name.clone(),
            source: e,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = file.metadata().map_err(io)?.permissions().mode();
            if mode & 0o077 != 0 {
                return Err(KeyFileError::Permissions(name, mode & 0o777));
            }
        }
        let mut text = Zeroizing::new(String::new());
        file.take(MAX_KEY_FILE + 1)
            .read_to_string(&mut text)
            .map_err(|_| KeyFileError::Malformed {
                path: name.clone(),
                why: "not UTF-8 text".into(),
            })?;
        if text.len() as u64 > MAX_KEY_FILE {
            return Err(KeyFileError::Malformed {
                path: name,
                why: format!("longer than {MAX_KEY_FILE} bytes"),
            });
        }
        KeyFile::parse(&text, &name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(kind: &str) -> KeyFile {
        KeyFile {
            key: match kind {
                "oprf" => LeafKey::Oprf(OprfKey::generate().unwrap()),
                _ => LeafKey::Hmac(HmacLeafKey::generate().unwrap()),
            },
            context: Context::new("wuxi-health-2023").unwrap(),
            identifier_type: IdentifierType::CnRid18,
        }
    }

    #[test]
    fn both_kinds_round_trip_through_a_0600_file() {
        let dir = tempfile::tempdir().unwrap();
        for kind in ["oprf", "hmac"] {
            let k = sample(kind);
            let path = dir.path().join(kind);
            k.create(&path).unwrap();
            let back = KeyFile::read(&path).unwrap();
            assert_eq!(back.to_text(), k.to_text());
            assert_eq!(back.key.leaf(b"x").unwrap(), k.key.leaf(b"x").unwrap());
            // Never overwritten.
            assert!(sample(kind).create(&path).is_err());
            assert_eq!(KeyFile::read(&path).unwrap().to_text(), k.to_text());
        }
    }

    #[test]
    fn a_readable_key_file_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        sample("oprf").create(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = KeyFile::read(&path).unwrap_err();
        assert!(e.to_string().contains("chmod 600"), "{e}");
    }

    #[test]
    fn malformed_files_are_refused_without_quoting_the_secret() {
        let k = sample("oprf");
        let text = k.to_text();
        let secret = text.lines().last().unwrap().to_string();
        let cases = [
            text.replace("v1", "v2"),
            text.replace("oprf_p256", "plain_sha256"),
            text.replace("public_key 0", "public_key 1"),
            format!("{}extra\n", text.as_str()),
            text.replace(&secret, "secret zz"),
            text.lines().take(4).collect::<Vec<_>>().join("\n"),
            text.replace('\n', "\r\n"),
            text.trim_end().to_string(),
            text.replace(&secret, &secret.to_uppercase().replace("SECRET", "secret")),
        ];
        for bad in cases {
            let e = KeyFile::parse(&bad, "k").unwrap_err().to_string();
            assert!(!e.contains(&secret[7..]), "{e}");
        }
        assert!(!format!("{:?}", k).contains(&secret[7..]));
    }
}
