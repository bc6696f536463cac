//! The `oprf_p256` leaf kind: RFC 9497 VOPRF, suite P256-SHA256
//! (DESIGN.md §10.3, §10.6).
//!
//! The agency computes every leaf directly (`Evaluate`); a citizen gets the
//! value of their own identifier without showing it to the key holder
//! (`Blind`, `BlindEvaluate`, `Finalize`), with a proof that the holder used
//! the key whose public half is in the logged statement. The same value
//! comes out either way, so the citizen's leaf is found in the agency's
//! tree.
//!
//! This module is the only one on the older RustCrypto line (`p256` 0.13,
//! which the `voprf` crate needs); everything else is on 0.14.

use p256_oprf::NistP256;
use rand_core_oprf::OsRng;
use voprf::{BlindedElement, EvaluationElement, Group, Proof, VoprfClient, VoprfServer};
use zeroize::Zeroizing;

/// SEC1 compressed point: a public key, a blinded or an evaluated element.
pub const ELEMENT_LEN: usize = 33;
/// A private key scalar.
pub const SCALAR_LEN: usize = 32;
/// The DLEQ proof: two scalars.
pub const PROOF_LEN: usize = 64;
/// The service's answer: evaluated element then proof.
pub const RESPONSE_LEN: usize = ELEMENT_LEN + PROOF_LEN;
/// A PRF output, which is a commitment leaf.
pub const OUTPUT_LEN: usize = 32;

/// Why an OPRF step failed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OprfError {
    /// Not a valid, non-identity P-256 point in SEC1 compressed form.
    #[error("not a valid P-256 point (33-byte SEC1 compressed, not the identity)")]
    BadElement,
    /// Not a valid private key.
    #[error("not a valid P-256 private key")]
    BadKey,
    /// The answer is not 97 bytes.
    #[error("answer of {0} bytes, {RESPONSE_LEN} expected")]
    BadResponseLength(usize),
    /// The proof does not show that the logged key was used.
    #[error("the service's proof does not match the public key in the logged statement")]
    ProofFailed,
    /// An input the suite cannot take (empty or 65,535 bytes or more).
    #[error("PRF input of {0} bytes is out of range")]
    BadInput(usize),
}

/// A VOPRF private key, held by the commitment's key holders. Wiped on drop.
pub struct OprfKey {
    server: VoprfServer<NistP256>,
}

impl std::fmt::Debug for OprfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OprfKey(public {})", hex::encode(self.public_key()))
    }
}

impl OprfKey {
    /// A fresh key from the operating system's generator.
    pub fn generate() -> Result<OprfKey, OprfError> {
        let server = VoprfServer::<NistP256>::new(&mut OsRng).map_err(|_| OprfError::BadKey)?;
        Ok(OprfKey { server })
    }

    /// The key whose scalar is `bytes` (RFC 9497 SerializeScalar).
    pub fn from_scalar(bytes: &[u8]) -> Result<OprfKey, OprfError> {
        if bytes.len() != SCALAR_LEN {
            return Err(OprfError::BadKey);
        }
        let server = VoprfServer::<NistP256>::new_with_key(bytes).map_err(|_| OprfError::BadKey)?;
        Ok(OprfKey { server })
    }

    /// RFC 9497 DeriveKeyPair, for the specification's test vectors.
    pub fn derive(seed: &[u8], info: &[u8]) -> Result<OprfKey, OprfError> {
        let server =
            VoprfServer::<NistP256>::new_from_seed(seed, info).map_err(|_| OprfError::BadKey)?;
        Ok(OprfKey { server })
    }

    /// The private scalar, for the key file.
    pub fn to_scalar(&self) -> Zeroizing<[u8; SCALAR_LEN]> {
        // VoprfServer serialises as scalar || public element.
        let all = Zeroizing::new(self.server.serialize());
        let mut out = Zeroizing::new([0u8; SCALAR_LEN]);
        out.copy_from_slice(&all[..SCALAR_LEN]);
        out
    }

    /// The public key, SEC1 compressed, as the statement carries it.
    pub fn public_key(&self) -> [u8; ELEMENT_LEN] {
        element_bytes(<NistP256 as Group>::serialize_elem(
            self.server.get_public_key(),
        ))
    }

    /// The PRF of `input` (RFC 9497 Evaluate): how the agency derives a leaf.
    pub fn evaluate(&self, input: &[u8]) -> Result<[u8; OUTPUT_LEN], OprfError> {
        check_input(input)?;
        let out = self
            .server
            .evaluate(input)
            .map_err(|_| OprfError::BadInput(input.len()))?;
        Ok(output_bytes(&out))
    }

    /// Answers a blinded element (RFC 9497 BlindEvaluate): the evaluated
    /// element and its proof, [`RESPONSE_LEN`] bytes. Invalid and identity
    /// points are refused.
    pub fn blind_evaluate(&self, blinded: &[u8]) -> Result<[u8; RESPONSE_LEN], OprfError> {
        if blinded.len() != ELEMENT_LEN {
            return Err(OprfError::BadElement);
        }
        let element =
            BlindedElement::<NistP256>::deserialize(blinded).map_err(|_| OprfError::BadElement)?;
        let r = self.server.blind_evaluate(&mut OsRng, &element);
        Ok(response_bytes(&r.message, &r.proof))
    }

    /// [`OprfKey::blind_evaluate`] with the proof's random scalar drawn from
    /// `rng`: for the specification's test vectors only.
    #[doc(hidden)]
    pub fn blind_evaluate_with<R: rand_core_oprf::RngCore + rand_core_oprf::CryptoRng>(
        &self,
        rng: &mut R,
        blinded: &[u8],
    ) -> Result<[u8; RESPONSE_LEN], OprfError> {
        let element =
            BlindedElement::<NistP256>::deserialize(blinded).map_err(|_| OprfError::BadElement)?;
        let r = self.server.blind_evaluate(rng, &element);
        Ok(response_bytes(&r.message, &r.proof))
    }
}

/// A public key as found in a statement: checked to be a valid point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OprfPublicKey([u8; ELEMENT_LEN]);

impl OprfPublicKey {
    /// Checks 33 bytes of SEC1 compressed point.
    pub fn from_bytes(bytes: &[u8]) -> Result<OprfPublicKey, OprfError> {
        let arr: [u8; ELEMENT_LEN] = bytes.try_into().map_err(|_| OprfError::BadElement)?;
        <NistP256 as Group>::deserialize_elem(&arr).map_err(|_| OprfError::BadElement)?;
        Ok(OprfPublicKey(arr))
    }

    /// Parses 66 hex digits.
    pub fn from_hex(text: &str) -> Result<OprfPublicKey, OprfError> {
        let bytes = hex::decode(text).map_err(|_| OprfError::BadElement)?;
        OprfPublicKey::from_bytes(&bytes)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8; ELEMENT_LEN] {
        &self.0
    }
}

/// A citizen's side of one check: the blinding factor, kept until the
/// answer arrives. Wiped on drop (by `voprf`).
pub struct Blinded {
    client: VoprfClient<NistP256>,
    message: [u8; ELEMENT_LEN],
}

impl std::fmt::Debug for Blinded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Blinded(..)")
    }
}

impl Blinded {
    /// Blinds `input` (RFC 9497 Blind) with a fresh random factor.
    pub fn new(input: &[u8]) -> Result<Blinded, OprfError> {
        Blinded::new_with(&mut OsRng, input)
    }

    /// [`Blinded::new`] with the blind drawn from `rng`: for the
    /// specification's test vectors only.
    #[doc(hidden)]
    pub fn new_with<R: rand_core_oprf::RngCore + rand_core_oprf::CryptoRng>(
        rng: &mut R,
        input: &[u8],
    ) -> Result<Blinded, OprfError> {
        check_input(input)?;
        let r = VoprfClient::<NistP256>::blind(input, rng)
            .map_err(|_| OprfError::BadInput(input.len()))?;
        Ok(Blinded {
            message: element_bytes(r.message.serialize()),
            client: r.state,
        })
    }

    /// What is sent to the service: a random-looking point.
    pub fn message(&self) -> &[u8; ELEMENT_LEN] {
        &self.message
    }

    /// Checks the service's answer against the logged public key and
    /// unblinds it (RFC 9497 Finalize): the leaf of `input`.
    pub fn finalize(
        &self,
        input: &[u8],
        response: &[u8],
        public_key: &OprfPublicKey,
    ) -> Result<[u8; OUTPUT_LEN], OprfError> {
        if response.len() != RESPONSE_LEN {
            return Err(OprfError::BadResponseLength(response.len()));
        }
        let element = EvaluationElement::<NistP256>::deserialize(&response[..ELEMENT_LEN])
            .map_err(|_| OprfError::BadElement)?;
        let proof = Proof::<NistP256>::deserialize(&response[ELEMENT_LEN..])
            .map_err(|_| OprfError::ProofFailed)?;
        let pk = <NistP256 as Group>::deserialize_elem(&public_key.0)
            .map_err(|_| OprfError::BadElement)?;
        let out = self
            .client
            .finalize(input, &element, &proof, pk)
            .map_err(|_| OprfError::ProofFailed)?;
        Ok(output_bytes(&out))
    }
}

fn check_input(input: &[u8]) -> Result<(), OprfError> {
    if input.is_empty() || input.len() >= usize::from(u16::MAX) {
        return Err(OprfError::BadInput(input.len()));
    }
    Ok(())
}

fn element_bytes(e: impl AsRef<[u8]>) -> [u8; ELEMENT_LEN] {
    let mut out = [0u8; ELEMENT_LEN];
    out.copy_from_slice(e.as_ref());
    out
}

fn output_bytes(o: &[u8]) -> [u8; OUTPUT_LEN] {
    let mut out = [0u8; OUTPUT_LEN];
    out.copy_from_slice(o);
    out
}

fn response_bytes(
    message: &EvaluationElement<NistP256>,
    proof: &Proof<NistP256>,
) -> [u8; RESPONSE_LEN] {
    let mut out = [0u8; RESPONSE_LEN];
    out[..ELEMENT_LEN].copy_from_slice(&message.serialize());
    out[ELEMENT_LEN..].copy_from_slice(&proof.serialize());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Yields fixed bytes, as RFC 9497's vectors fix the blind and the
    /// proof's random scalar.
    struct Fixed(Vec<u8>);
    impl rand_core_oprf::RngCore for Fixed {
        fn next_u32(&mut self) -> u32 {
            0
        }
        fn next_u64(&mut self) -> u64 {
            0
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            let n = dest.len().min(self.0.len());
            dest[..n].copy_from_slice(&self.0[..n]);
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core_oprf::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }
    impl rand_core_oprf::CryptoRng for Fixed {}

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// RFC 9497 Appendix A.3.2 (P256-SHA256, VOPRF mode), test vectors 1
    /// and 2, copied into `testdata/rfc9497-p256-voprf.txt` with the RFC's
    /// licence note.
    #[test]
    fn rfc9497_p256_voprf_vectors() {
        let text = include_str!("../../testdata/rfc9497-p256-voprf.txt");
        let mut vectors = Vec::new();
        let mut cur = std::collections::BTreeMap::new();
        let mut header = std::collections::BTreeMap::new();
        for line in text.lines() {
            let Some((k, v)) = line.split_once(" = ") else {
                if line.starts_with("Test Vector") && !cur.is_empty() {
                    vectors.push(std::mem::take(&mut cur));
                }
                continue;
            };
            if ["Seed", "KeyInfo", "skSm", "pkSm"].contains(&k) {
                header.insert(k.to_string(), v.to_string());
            } else {
                cur.insert(k.to_string(), v.to_string());
            }
        }
        vectors.push(cur);
        assert_eq!(vectors.len(), 2);
        let key = OprfKey::derive(&h(&header["Seed"]), &h(&header["KeyInfo"])).unwrap();
        assert_eq!(hex::encode(*key.to_scalar()), header["skSm"]);
        assert_eq!(hex::encode(key.public_key()), header["pkSm"]);
        let pk = OprfPublicKey::from_hex(&header["pkSm"]).unwrap();
        for v in vectors {
            let input = h(&v["Input"]);
            let blinded = Blinded::new_with(&mut Fixed(h(&v["Blind"])), &input).unwrap();
            assert_eq!(hex::encode(blinded.message()), v["BlindedElement"]);
            let response = key
                .blind_evaluate_with(&mut Fixed(h(&v["ProofRandomScalar"])), blinded.message())
                .unwrap();
            assert_eq!(hex::encode(&response[..33]), v["EvaluationElement"]);
            assert_eq!(hex::encode(&response[33..]), v["Proof"]);
            let out = blinded.finalize(&input, &response, &pk).unwrap();
            assert_eq!(hex::encode(out), v["Output"]);
            assert_eq!(hex::encode(key.evaluate(&input).unwrap()), v["Output"]);
        }
    }

    #[test]
    fn blinded_check_finds_the_agency_leaf() {
        let key = OprfKey::generate().unwrap();
        let pk = OprfPublicKey::from_bytes(&key.public_key()).unwrap();
        let input = b"ashlog-commit-v1\0ctx\0CN-RID-18\x0011010519491231002X";
        let b = Blinded::new(input).unwrap();
        let answer = key.blind_evaluate(b.message()).unwrap();
        assert_eq!(
            b.finalize(input, &answer, &pk).unwrap(),
            key.evaluate(input).unwrap()
        );
        // Two blindings of the same input look unrelated.
        assert_ne!(Blinded::new(input).unwrap().message(), b.message());
    }

    #[test]
    fn another_key_or_a_damaged_answer_is_refused() {
        let key = OprfKey::generate().unwrap();
        let other = OprfKey::generate().unwrap();
        let pk = OprfPublicKey::from_bytes(&key.public_key()).unwrap();
        let input = b"x";
        let b = Blinded::new(input).unwrap();
        let wrong = other.blind_evaluate(b.message()).unwrap();
        assert_eq!(b.finalize(input, &wrong, &pk), Err(OprfError::ProofFailed));
        let good = key.blind_evaluate(b.message()).unwrap();
        for i in 0..RESPONSE_LEN {
            for bit in [0, 3, 7] {
                let mut bad = good;
                bad[i] ^= 1 << bit;
                assert!(b.finalize(input, &bad, &pk).is_err(), "byte {i} bit {bit}");
            }
        }
        assert_eq!(
            b.finalize(input, &good[..96], &pk),
            Err(OprfError::BadResponseLength(96))
        );
    }

    #[test]
    fn invalid_and_identity_points_are_refused() {
        let key = OprfKey::generate().unwrap();
        assert_eq!(key.blind_evaluate(&[0u8; 33]), Err(OprfError::BadElement));
        assert_eq!(key.blind_evaluate(&[0u8]), Err(OprfError::BadElement));
        assert_eq!(key.blind_evaluate(&[2u8; 34]), Err(OprfError::BadElement));
        let mut not_on_curve = [0xffu8; 33];
        not_on_curve[0] = 2;
        assert_eq!(
            key.blind_evaluate(&not_on_curve),
            Err(OprfError::BadElement)
        );
        assert!(OprfPublicKey::from_bytes(&[0u8; 33]).is_err());
        assert!(OprfPublicKey::from_hex("zz").is_err());
    }

    #[test]
    fn the_key_file_scalar_round_trips() {
        let key = OprfKey::generate().unwrap();
        let again = OprfKey::from_scalar(&*key.to_scalar()).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        assert!(OprfKey::from_scalar(&[0u8; 32]).is_err());
        assert!(OprfKey::from_scalar(&[1u8; 31]).is_err());
        assert!(!format!("{key:?}").contains(&hex::encode(*key.to_scalar())));
    }
}
