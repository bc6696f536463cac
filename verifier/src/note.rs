//! C2SP signed notes: text, signature lines, key names, key ids and vkeys,
//! and the three signature types ashlog uses.
//!
//! A note is UTF-8 text ending in a newline, a blank line, then one or more
//! lines `— <key name> <base64(key id || signature)>`. Verifiers know a set of
//! keys by (name, key id): a line that matches no known key is ignored (that
//! is how logs rotate keys and witnesses add cosignatures); a line that
//! matches a known key must verify or the whole note is refused; and a note
//! with no verified signature at all is refused.
//!
//! Signature types (the byte that starts a vkey's key material):
//! - `0x01` Ed25519 over the note text (the log's Ed25519 key),
//! - `0x04` `cosignature/v1`: timestamped Ed25519 by a witness
//!   (see [`crate::cosignature`]),
//! - `0x05` RFC 6962 tree-head signature, ECDSA P-256 over the 50-byte
//!   `TreeHeadSignature` with a millisecond timestamp (the log's P-256 key).
//!   It does not cover the origin line, so the key name must equal the origin
//!   and the checkpoint must have no extension lines.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

use crate::checkpoint::Checkpoint;
use crate::cosignature;
use crate::keys::{Ed25519SigningKey, KeyError, P256SigningKey, PublicKey};

/// Largest note accepted, in bytes (Go's x/mod and azul use the same cap).
pub const MAX_NOTE_BYTES: usize = 1_000_000;
/// Most signature lines accepted on one note. The spec asks verifiers to
/// accept at least 16; Go and azul stop at 100.
pub const MAX_SIGNATURES: usize = 100;
/// Longest key name: the subtree/v1 encoding gives names a one-byte length.
pub const MAX_KEY_NAME: usize = 255;

/// Why a note, key or signature was refused.
#[non_exhaustive]
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum NoteError {
    /// The text is not a well-formed signed note (syntax). As in Go, every
    /// syntax failure is this one error: the details help no one act.
    #[error("malformed note")]
    Malformed,
    /// The note is larger than [`MAX_NOTE_BYTES`] or has more than
    /// [`MAX_SIGNATURES`] signature lines.
    #[error("note exceeds size or signature limits")]
    TooLarge,
    /// A vkey string that does not parse or whose key id does not match its
    /// key.
    #[error("malformed verifier key: {0}")]
    MalformedKey(String),
    /// A key name that is empty, too long, or contains whitespace or `+`.
    #[error("invalid key name {0:?}")]
    InvalidKeyName(String),
    /// A signature line by a known key that does not verify. The whole note
    /// is refused: a log or witness that signs garbage is not to be trusted.
    #[error("invalid signature by {name} (key id {key_id:08x})")]
    InvalidSignature {
        /// Key name on the line.
        name: String,
        /// Key id on the line.
        key_id: u32,
    },
    /// No signature line verified with any known key.
    #[error("no known key signed this note")]
    UnverifiedNote,
    /// A 0x05 key whose name differs from the checkpoint origin, or a
    /// checkpoint with extension lines under a 0x05 key.
    #[error("RFC 6962 note signature requires origin == key name and no extension lines")]
    Rfc6962Mismatch,
    /// The key type cannot do what was asked.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// The signature types of C2SP signed-note that ashlog speaks.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SigType {
    /// `0x01`: Ed25519 over the note text.
    Ed25519,
    /// `0x04`: cosignature/v1, timestamped Ed25519.
    CosignatureV1,
    /// `0x05`: RFC 6962 TreeHeadSignature, ECDSA P-256.
    Rfc6962,
}

impl SigType {
    /// The type byte.
    pub fn byte(self) -> u8 {
        match self {
            SigType::Ed25519 => 0x01,
            SigType::CosignatureV1 => 0x04,
            SigType::Rfc6962 => 0x05,
        }
    }

    fn from_byte(b: u8) -> Option<SigType> {
        match b {
            0x01 => Some(SigType::Ed25519),
            0x04 => Some(SigType::CosignatureV1),
            0x05 => Some(SigType::Rfc6962),
            _ => None,
        }
    }
}

impl fmt::Display for SigType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SigType::Ed25519 => "Ed25519 (0x01)",
            SigType::CosignatureV1 => "cosignature/v1 (0x04)",
            SigType::Rfc6962 => "RFC 6962 ECDSA P-256 (0x05)",
        })
    }
}

/// Checks a key name: non-empty, at most 255 bytes, no Unicode whitespace and
/// no `+` (which separates the parts of a vkey).
pub fn check_key_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty()
        || name.len() > MAX_KEY_NAME
        || name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
    {
        return Err(NoteError::InvalidKeyName(name.to_string()));
    }
    Ok(())
}

/// The recommended key id: the first four bytes of
/// `SHA-256(name || "\n" || type || key material)`, big-endian.
pub fn key_id(name: &str, sig_type: SigType, material: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', sig_type.byte()]);
    h.update(material);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// A public key that verifies one kind of note signature, named as in vkeys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    key_id: u32,
    sig_type: SigType,
    key: PublicKey,
}

impl VerifierKey {
    /// An Ed25519 (`0x01`) verifier.
    pub fn ed25519(name: &str, key: &PublicKey) -> Result<Self, NoteError> {
        Self::from_parts(name, SigType::Ed25519, key.clone())
    }

    /// A cosignature/v1 (`0x04`) verifier.
    pub fn cosignature(name: &str, key: &PublicKey) -> Result<Self, NoteError> {
        Self::from_parts(name, SigType::CosignatureV1, key.clone())
    }

    /// An RFC 6962 (`0x05`) verifier for a P-256 key. `name` must be the
    /// origin of the checkpoints it verifies.
    pub fn rfc6962(name: &str, key: &PublicKey) -> Result<Self, NoteError> {
        Self::from_parts(name, SigType::Rfc6962, key.clone())
    }

    fn from_parts(name: &str, sig_type: SigType, key: PublicKey) -> Result<Self, NoteError> {
        check_key_name(name)?;
        let ok = match sig_type {
            SigType::Ed25519 | SigType::CosignatureV1 => key.as_ed25519().is_some(),
            SigType::Rfc6962 => key.as_p256().is_some(),
        };
        if !ok {
            return Err(NoteError::MalformedKey(format!(
                "{} key cannot make {sig_type} signatures",
                key.algorithm_name()
            )));
        }
        let key_id = key_id(name, sig_type, &Self::id_material(sig_type, &key));
        Ok(VerifierKey {
            name: name.to_string(),
            key_id,
            sig_type,
            key,
        })
    }

    /// What the key id hashes: the raw Ed25519 key, or for 0x05 the RFC 6962
    /// LogID (SHA-256 of the SPKI).
    fn id_material(sig_type: SigType, key: &PublicKey) -> Vec<u8> {
        match sig_type {
            SigType::Ed25519 | SigType::CosignatureV1 => key
                .as_ed25519()
                .map(|k| k.as_bytes().to_vec())
                .unwrap_or_default(),
            SigType::Rfc6962 => Sha256::digest(key.spki_der()).to_vec(),
        }
    }

    /// What a vkey carries after the type byte: the raw Ed25519 key, or the
    /// SPKI DER for 0x05 (the transparency-dev/formats convention).
    fn vkey_material(&self) -> Vec<u8> {
        match self.sig_type {
            SigType::Ed25519 | SigType::CosignatureV1 => {
                Self::id_material(self.sig_type, &self.key)
            }
            SigType::Rfc6962 => self.key.spki_der().to_vec(),
        }
    }

    /// Parses `<name>+<hex8 key id>+<base64(type || key)>`. The key id must
    /// match the one derived from name and key (a mismatch is a typo or a
    /// forgery, and either way the key would never verify anything).
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let bad = |why: &str| NoteError::MalformedKey(format!("{why}: {vkey:?}"));
        // base64 may itself contain '+': split on the first two only.
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected name+keyid+key"));
        };
        check_key_name(name)?;
        if id.len() != 8
            || !id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return Err(bad("key id must be 8 lowercase hex digits"));
        }
        let id = u32::from_str_radix(id, 16).map_err(|_| bad("bad key id"))?;
        let raw = B64.decode(key).map_err(|_| bad("key is not base64"))?;
        let (&t, material) = raw.split_first().ok_or_else(|| bad("empty key"))?;
        let sig_type =
            SigType::from_byte(t).ok_or_else(|| bad(&format!("unsupported key type 0x{t:02x}")))?;
        let key = match sig_type {
            SigType::Ed25519 | SigType::CosignatureV1 => {
                let pk: [u8; 32] = material
                    .try_into()
                    .map_err(|_| bad("Ed25519 key must be 32 bytes"))?;
                PublicKey::from_spki_der(&crate::keys::ed25519_spki(&pk))?
            }
            SigType::Rfc6962 => PublicKey::from_spki_der(material)?,
        };
        let v = Self::from_parts(name, sig_type, key)?;
        if v.key_id != id {
            return Err(bad("key id does not match the key"));
        }
        Ok(v)
    }

    /// The vkey string.
    pub fn to_vkey(&self) -> String {
        let mut material = vec![self.sig_type.byte()];
        material.extend(self.vkey_material());
        format!("{}+{:08x}+{}", self.name, self.key_id, B64.encode(material))
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The signature type.
    pub fn sig_type(&self) -> SigType {
        self.sig_type
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// Verifies one signature blob (without the key id) over `text`, the
    /// signed part of a note. Returns the signature's timestamp, if its type
    /// has one (seconds for 0x04, milliseconds for 0x05).
    pub fn verify(&self, text: &str, sig: &[u8]) -> Result<Option<u64>, NoteError> {
        let invalid = || NoteError::InvalidSignature {
            name: self.name.clone(),
            key_id: self.key_id,
        };
        match self.sig_type {
            SigType::Ed25519 => {
                self.key
                    .verify_ed25519(text.as_bytes(), sig)
                    .map_err(|_| invalid())?;
                Ok(None)
            }
            SigType::CosignatureV1 => {
                let ts = cosignature::verify_v1(&self.key, text, sig).map_err(|_| invalid())?;
                Ok(Some(ts))
            }
            SigType::Rfc6962 => {
                let cp = Checkpoint::parse(text).map_err(|_| NoteError::Rfc6962Mismatch)?;
                if cp.origin != self.name {
                    return Err(NoteError::Rfc6962Mismatch);
                }
                // timestamp(8) hash_alg(1)=4 sig_alg(1)=3 len(2) DER
                if sig.len() < 12 || sig[8] != 4 || sig[9] != 3 {
                    return Err(invalid());
                }
                let ts = u64::from_be_bytes(sig[..8].try_into().map_err(|_| invalid())?);
                let len = usize::from(u16::from_be_bytes([sig[10], sig[11]]));
                if sig.len() != 12 + len {
                    return Err(invalid());
                }
                let msg = rfc6962_tree_head(ts, &cp);
                self.key
                    .verify_ecdsa_p256_der(&msg, &sig[12..])
                    .map_err(|_| invalid())?;
                Ok(Some(ts))
            }
        }
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_vkey())
    }
}

/// The 50-byte RFC 6962 §3.5 TreeHeadSignature input: version 0, type
/// tree_hash (1), timestamp in milliseconds, tree size, root.
fn rfc6962_tree_head(timestamp_ms: u64, cp: &Checkpoint) -> [u8; 50] {
    let mut m = [0u8; 50];
    m[0] = 0;
    m[1] = 1;
    m[2..10].copy_from_slice(&timestamp_ms.to_be_bytes());
    m[10..18].copy_from_slice(&cp.size.to_be_bytes());
    m[18..50].copy_from_slice(&cp.root.0);
    m
}

/// A private key that signs notes of one signature type under one name.
#[derive(Clone, Debug)]
pub enum NoteSigner {
    /// `0x01` Ed25519.
    Ed25519 {
        /// Key name (for a log: its origin).
        name: String,
        /// The key.
        key: Ed25519SigningKey,
    },
    /// `0x05` RFC 6962 ECDSA P-256; the name must be the checkpoint origin.
    Rfc6962 {
        /// Key name (the origin).
        name: String,
        /// The key.
        key: P256SigningKey,
    },
    /// `0x04` cosignature/v1.
    Cosignature {
        /// Witness name.
        name: String,
        /// The key.
        key: Ed25519SigningKey,
    },
}

impl NoteSigner {
    /// The matching verifier.
    pub fn verifier(&self) -> Result<VerifierKey, NoteError> {
        match self {
            NoteSigner::Ed25519 { name, key } => VerifierKey::ed25519(name, key.public_key()),
            NoteSigner::Rfc6962 { name, key } => VerifierKey::rfc6962(name, key.public_key()),
            NoteSigner::Cosignature { name, key } => {
                VerifierKey::cosignature(name, key.public_key())
            }
        }
    }

    /// Signs `text` (the signed part of a note). `timestamp` is milliseconds
    /// for 0x05, seconds for 0x04, ignored for 0x01.
    pub fn sign(&self, text: &str, timestamp: u64) -> Result<NoteSignature, NoteError> {
        let v = self.verifier()?;
        let bytes = match self {
            NoteSigner::Ed25519 { key, .. } => key.sign(text.as_bytes()).to_vec(),
            NoteSigner::Cosignature { key, .. } => cosignature::sign_v1(key, text, timestamp),
            NoteSigner::Rfc6962 { name, key } => {
                let cp = Checkpoint::parse(text).map_err(|_| NoteError::Rfc6962Mismatch)?;
                if &cp.origin != name {
                    return Err(NoteError::Rfc6962Mismatch);
                }
                let der = key.sign_der(&rfc6962_tree_head(timestamp, &cp));
                let mut out = Vec::with_capacity(12 + der.len());
                out.extend_from_slice(&timestamp.to_be_bytes());
                out.extend_from_slice(&[4, 3]);
                out.extend_from_slice(&(der.len() as u16).to_be_bytes());
                out.extend_from_slice(&der);
                out
            }
        };
        Ok(NoteSignature {
            name: v.name,
            key_id: v.key_id,
            sig: bytes,
        })
    }
}

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key id (first four bytes of the line's base64 payload).
    pub key_id: u32,
    /// The signature bytes after the key id.
    pub sig: Vec<u8>,
}

impl NoteSignature {
    /// The line, `— <name> <base64>\n`.
    pub fn to_line(&self) -> String {
        let mut blob = self.key_id.to_be_bytes().to_vec();
        blob.extend_from_slice(&self.sig);
        format!("\u{2014} {} {}\n", self.name, B64.encode(blob))
    }

    /// Parses one line (with or without its final newline).
    pub fn parse_line(line: &str) -> Result<NoteSignature, NoteError> {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let rest = line.strip_prefix("\u{2014} ").ok_or(NoteError::Malformed)?;
        let (name, b64) = rest.split_once(' ').ok_or(NoteError::Malformed)?;
        check_key_name(name).map_err(|_| NoteError::Malformed)?;
        let blob = B64.decode(b64).map_err(|_| NoteError::Malformed)?;
        if blob.len() < 5 {
            return Err(NoteError::Malformed);
        }
        Ok(NoteSignature {
            name: name.to_string(),
            key_id: u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]),
            sig: blob[4..].to_vec(),
        })
    }
}

/// A signature that verified with a known key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSignature {
    /// The key that made it.
    pub key: VerifierKey,
    /// Its timestamp, if the type has one (0x04 seconds, 0x05 milliseconds).
    pub timestamp: Option<u64>,
}

/// A signed note: text and signature lines, parsed but not yet verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    text: String,
    sigs: Vec<NoteSignature>,
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if text.is_empty() || !text.ends_with('\n') {
        return Err(NoteError::Malformed);
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(NoteError::Malformed);
    }
    Ok(())
}

impl Note {
    /// An unsigned note over `text`, which must end in a newline and carry no
    /// control characters other than newlines.
    pub fn new(text: &str) -> Result<Note, NoteError> {
        check_text(text)?;
        Ok(Note {
            text: text.to_string(),
            sigs: Vec::new(),
        })
    }

    /// Parses a signed note (syntax only; see [`Note::verify`]).
    pub fn parse(bytes: &[u8]) -> Result<Note, NoteError> {
        if bytes.len() > MAX_NOTE_BYTES {
            return Err(NoteError::TooLarge);
        }
        let s = std::str::from_utf8(bytes).map_err(|_| NoteError::Malformed)?;
        if s.chars().any(|c| c.is_control() && c != '\n') || !s.ends_with('\n') {
            return Err(NoteError::Malformed);
        }
        // Text and signatures split at the LAST blank line: the text may hold
        // blank lines of its own.
        let split = s.rfind("\n\n").ok_or(NoteError::Malformed)?;
        let text = &s[..split + 1];
        let sig_block = &s[split + 2..];
        check_text(text)?;
        let lines: Vec<&str> = sig_block.split_terminator('\n').collect();
        if lines.is_empty() {
            return Err(NoteError::Malformed);
        }
        if lines.len() > MAX_SIGNATURES {
            return Err(NoteError::TooLarge);
        }
        let sigs = lines
            .iter()
            .map(|l| NoteSignature::parse_line(l))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Note {
            text: text.to_string(),
            sigs,
        })
    }

    /// The signed text, including its final newline.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signature lines, in order.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.sigs
    }

    /// Appends a signature line, unless a byte-identical one is present.
    pub fn add_signature(&mut self, sig: NoteSignature) -> Result<(), NoteError> {
        if self.sigs.contains(&sig) {
            return Ok(());
        }
        if self.sigs.len() >= MAX_SIGNATURES {
            return Err(NoteError::TooLarge);
        }
        self.sigs.push(sig);
        Ok(())
    }

    /// Signs with `signer` and appends the line.
    pub fn sign(&mut self, signer: &NoteSigner, timestamp: u64) -> Result<(), NoteError> {
        let sig = signer.sign(&self.text, timestamp)?;
        self.add_signature(sig)
    }

    /// Drops every signature line for which `keep` is false.
    pub fn retain_signatures(&mut self, keep: impl FnMut(&NoteSignature) -> bool) {
        self.sigs.retain(keep);
    }

    /// The note as bytes: text, blank line, signature lines.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.text.clone().into_bytes();
        out.push(b'\n');
        for s in &self.sigs {
            out.extend_from_slice(s.to_line().as_bytes());
        }
        out
    }

    /// Verifies the note against `keys` under the C2SP rules: lines by
    /// unknown (name, key id) pairs are ignored; a line by a known key that
    /// fails makes the whole note invalid; Ok means at least one line
    /// verified, and lists every verified signature (once per key).
    pub fn verify(&self, keys: &[VerifierKey]) -> Result<Vec<VerifiedSignature>, NoteError> {
        let mut out: Vec<VerifiedSignature> = Vec::new();
        for s in &self.sigs {
            for k in keys
                .iter()
                .filter(|k| k.name == s.name && k.key_id == s.key_id)
            {
                let timestamp = k.verify(&self.text, &s.sig)?;
                if !out.iter().any(|v| v.key == *k) {
                    out.push(VerifiedSignature {
                        key: k.clone(),
                        timestamp,
                    });
                }
            }
        }
        if out.is_empty() {
            return Err(NoteError::UnverifiedNote);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_example_notes_verify() {
        let v = VerifierKey::parse(
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        )
        .unwrap();
        let note = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        let n = Note::parse(note.as_bytes()).unwrap();
        assert_eq!(n.verify(std::slice::from_ref(&v)).unwrap().len(), 1);
        assert_eq!(n.to_bytes(), note.as_bytes());

        let v2 = VerifierKey::parse(
            "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        )
        .unwrap();
        let note2 = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
        Note::parse(note2.as_bytes())
            .unwrap()
            .verify(std::slice::from_ref(&v2))
            .unwrap();
        // The other key is unknown for this note: ignored, so unverified.
        assert_eq!(
            Note::parse(note2.as_bytes()).unwrap().verify(&[v]),
            Err(NoteError::UnverifiedNote)
        );
        // Tampered text with a known key is an invalid signature.
        let bad = note2.replace("example message", "example massage");
        assert!(matches!(
            Note::parse(bad.as_bytes()).unwrap().verify(&[v2]),
            Err(NoteError::InvalidSignature { .. })
        ));
    }

    #[test]
    fn go_private_key_vector_reproduces_signature() {
        // PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz
        let seed: [u8; 32] = B64
            .decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
            .unwrap()[1..]
            .try_into()
            .unwrap();
        let signer = NoteSigner::Ed25519 {
            name: "PeterNeumann".into(),
            key: Ed25519SigningKey::from_seed(&seed),
        };
        assert_eq!(
            signer.verifier().unwrap().to_vkey(),
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        );
        let mut n = Note::new(
            "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n",
        )
        .unwrap();
        n.sign(&signer, 0).unwrap();
        assert_eq!(
            n.signatures()[0].to_line(),
            "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
        );
    }

    #[test]
    fn parse_rejects_malformed_notes() {
        for bad in [
            &b""[..],
            b"no signatures\n",
            b"text\n\n",
            b"text\n\nnot a sig line\n",
            b"text\n\n\xe2\x80\x94 name\n",
            b"text\n\n\xe2\x80\x94 name AAAA\n",
            b"text\n\n\xe2\x80\x94 na+me AAAAAAAA\n",
            b"text\n\n\xe2\x80\x94 name AAAAAAAA",
            b"te\x01xt\n\n\xe2\x80\x94 name AAAAAAAA\n",
            b"\xff\n\n\xe2\x80\x94 name AAAAAAAA\n",
            b"text\n\n\xe2\x80\x94 name !!!!!!!!\n",
        ] {
            assert!(
                Note::parse(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let many: String = std::iter::once("text\n\n".to_string())
            .chain((0..101).map(|_| "\u{2014} n AAAAAAAA\n".to_string()))
            .collect();
        assert_eq!(Note::parse(many.as_bytes()), Err(NoteError::TooLarge));
    }

    #[test]
    fn vkey_rejects_wrong_key_id_and_names() {
        assert!(
            VerifierKey::parse(
                "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            )
            .is_err()
        );
        assert!(
            VerifierKey::parse(
                "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            )
            .is_err()
        );
        assert!(VerifierKey::parse("a b+c74f20a3+ARpc").is_err());
        assert!(VerifierKey::parse("name+c74f20a3").is_err());
        assert!(check_key_name(&"x".repeat(256)).is_err());
        assert!(check_key_name("example.com/log").is_ok());
    }
}
