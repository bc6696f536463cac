//! C2SP signed notes: text, signature lines, key names and key ids, the
//! [`Verifier`] and [`Signer`] traits every signature type implements, and
//! the one type this module implements itself, Ed25519 (`0x01`).
//!
//! A note is UTF-8 text ending in a newline, a blank line, then one or more
//! lines `— <key name> <base64(key id || signature)>`. Verifiers know a set of
//! keys by (name, key id): a line that matches no known key is ignored (that
//! is how logs rotate keys and witnesses add cosignatures); a line that
//! matches a known key must verify or the whole note is refused; and a note
//! with no verified signature at all is refused.
//!
//! Signature types (the byte that starts a vkey's key material), each in
//! the module of what it signs:
//! - `0x01` Ed25519 over the note text (the log's Ed25519 key): here;
//! - `0x04` `cosignature/v1`, a witness's timestamped Ed25519: in
//!   `cosignature`;
//! - `0x05` RFC 6962 tree-head signature, ECDSA P-256 over the 50-byte
//!   `TreeHeadSignature` with a millisecond timestamp (the log's P-256 key):
//!   in `checkpoint`, since it signs a checkpoint's fields, not its text.
//!
//! `vkey` parses and prints vkey strings of every type; a new signature
//! type is a new file implementing the two traits, plus one line there.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

use crate::keys::{Ed25519SigningKey, KeyError, PublicKey};

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

    /// The type for a type byte, if ashlog speaks it.
    pub fn from_byte(b: u8) -> Option<SigType> {
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

/// A key that verifies note signatures of one type under one name (Go's
/// `note.Verifier`).
pub trait Verifier {
    /// The key name signature lines must carry.
    fn name(&self) -> &str;
    /// The key id signature lines must carry.
    fn key_id(&self) -> u32;
    /// Verifies one signature blob (without the key id) over `text`, the
    /// signed part of a note. Ok gives the signature's timestamp, if its type
    /// has one (seconds for 0x04, milliseconds for 0x05).
    fn verify(&self, text: &str, sig: &[u8]) -> Result<Option<u64>, NoteError>;
}

/// A private key that signs notes of one type under one name (Go's
/// `note.Signer`).
pub trait Signer {
    /// The key name.
    fn name(&self) -> &str;
    /// The key id.
    fn key_id(&self) -> u32;
    /// Signs `text` (the signed part of a note) at `timestamp` (seconds for
    /// 0x04, milliseconds for 0x05, ignored for 0x01); returns the blob that
    /// follows the key id on the signature line.
    fn sign(&self, text: &str, timestamp: u64) -> Result<Vec<u8>, NoteError>;
}

/// Checks that `name` is a valid key name and that `key` can make
/// signatures of `sig_type`, naming both in the error otherwise.
pub(crate) fn check_key(
    name: &str,
    sig_type: SigType,
    key: &PublicKey,
    usable: bool,
) -> Result<(), NoteError> {
    check_key_name(name)?;
    if !usable {
        return Err(NoteError::MalformedKey(format!(
            "{} key cannot make {sig_type} signatures",
            key.algorithm_name()
        )));
    }
    Ok(())
}

/// A `0x01` Ed25519 note verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ed25519Verifier {
    name: String,
    key_id: u32,
    key: PublicKey,
}

impl Ed25519Verifier {
    /// A verifier for `key` under `name`; refuses a key that is not Ed25519.
    pub fn new(name: &str, key: &PublicKey) -> Result<Self, NoteError> {
        let raw = key.as_ed25519().map(|k| k.to_bytes());
        check_key(name, SigType::Ed25519, key, raw.is_some())?;
        let raw = raw.unwrap_or_default();
        Ok(Ed25519Verifier {
            name: name.to_string(),
            key_id: key_id(name, SigType::Ed25519, &raw),
            key: key.clone(),
        })
    }

    /// The raw 32-byte key: what the key id hashes and the vkey carries.
    pub fn key_material(&self) -> Vec<u8> {
        self.key
            .as_ed25519()
            .map(|k| k.as_bytes().to_vec())
            .unwrap_or_default()
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }
}

impl Verifier for Ed25519Verifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.key_id
    }
    fn verify(&self, text: &str, sig: &[u8]) -> Result<Option<u64>, NoteError> {
        self.key
            .verify_ed25519(text.as_bytes(), sig)
            .map_err(|_| NoteError::InvalidSignature {
                name: self.name.clone(),
                key_id: self.key_id,
            })?;
        Ok(None)
    }
}

/// A `0x01` Ed25519 note signer.
#[derive(Clone, Debug)]
pub struct Ed25519Signer {
    verifier: Ed25519Verifier,
    key: Ed25519SigningKey,
}

impl Ed25519Signer {
    /// A signer for `key` under `name`.
    pub fn new(name: &str, key: &Ed25519SigningKey) -> Result<Self, NoteError> {
        Ok(Ed25519Signer {
            verifier: Ed25519Verifier::new(name, key.public_key())?,
            key: key.clone(),
        })
    }

    /// The matching verifier.
    pub fn verifier(&self) -> &Ed25519Verifier {
        &self.verifier
    }
}

impl Signer for Ed25519Signer {
    fn name(&self) -> &str {
        &self.verifier.name
    }
    fn key_id(&self) -> u32 {
        self.verifier.key_id
    }
    fn sign(&self, text: &str, _timestamp: u64) -> Result<Vec<u8>, NoteError> {
        Ok(self.key.sign(text.as_bytes()).to_vec())
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
    /// Signs `text` with `signer`: the line it would add to a note.
    pub fn new(signer: &impl Signer, text: &str, timestamp: u64) -> Result<Self, NoteError> {
        Ok(NoteSignature {
            name: signer.name().to_string(),
            key_id: signer.key_id(),
            sig: signer.sign(text, timestamp)?,
        })
    }

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

    /// Whether this line claims to be by `key` (same name and key id).
    pub fn is_by(&self, key: &impl Verifier) -> bool {
        self.name == key.name() && self.key_id == key.key_id()
    }
}

/// A signature that verified with a known key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSignature<V> {
    /// The key that made it.
    pub key: V,
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
    pub fn sign(&mut self, signer: &impl Signer, timestamp: u64) -> Result<(), NoteError> {
        let sig = NoteSignature::new(signer, &self.text, timestamp)?;
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
    pub fn verify<V: Verifier + Clone + PartialEq>(
        &self,
        keys: &[V],
    ) -> Result<Vec<VerifiedSignature<V>>, NoteError> {
        let mut out: Vec<VerifiedSignature<V>> = Vec::new();
        for s in &self.sigs {
            for k in keys.iter().filter(|k| s.is_by(*k)) {
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

    fn ed25519_key(vkey_material_b64: &str) -> PublicKey {
        let raw = B64.decode(vkey_material_b64).unwrap();
        assert_eq!(raw[0], 0x01);
        let pk: [u8; 32] = raw[1..].try_into().unwrap();
        PublicKey::from_spki_der(&crate::keys::ed25519_spki(&pk)).unwrap()
    }

    /// Go's x/mod note examples: `PeterNeumann+c74f20a3+ARpc…` and
    /// `example.com/foo+530d903a+Aeky…`.
    #[test]
    fn go_example_notes_verify() {
        let v = Ed25519Verifier::new(
            "PeterNeumann",
            &ed25519_key("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        )
        .unwrap();
        assert_eq!(v.key_id(), 0xc74f20a3);
        let note = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        let n = Note::parse(note.as_bytes()).unwrap();
        assert_eq!(n.verify(std::slice::from_ref(&v)).unwrap().len(), 1);
        assert_eq!(n.to_bytes(), note.as_bytes());

        let v2 = Ed25519Verifier::new(
            "example.com/foo",
            &ed25519_key("AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"),
        )
        .unwrap();
        assert_eq!(v2.key_id(), 0x530d903a);
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
        let signer =
            Ed25519Signer::new("PeterNeumann", &Ed25519SigningKey::from_seed(&seed)).unwrap();
        assert_eq!(signer.key_id(), 0xc74f20a3);
        let mut n = Note::new(
            "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n",
        )
        .unwrap();
        n.sign(&signer, 0).unwrap();
        assert_eq!(
            n.signatures()[0].to_line(),
            "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
        );
        n.verify(std::slice::from_ref(signer.verifier())).unwrap();
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
    fn key_names_are_checked() {
        assert!(check_key_name(&"x".repeat(256)).is_err());
        assert!(check_key_name("a b").is_err());
        assert!(check_key_name("a+b").is_err());
        assert!(check_key_name("").is_err());
        assert!(check_key_name("example.com/log").is_ok());
        let key = Ed25519SigningKey::from_seed(&[1; 32]);
        assert!(Ed25519Verifier::new("a b", key.public_key()).is_err());
    }

    #[test]
    fn ed25519_verifier_refuses_a_p256_key() {
        let p = crate::keys::P256SigningKey::generate().unwrap();
        assert!(matches!(
            Ed25519Verifier::new("example.com/log", p.public_key()),
            Err(NoteError::MalformedKey(_))
        ));
    }
}
