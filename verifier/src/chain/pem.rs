//! PEM armour for certificates (RFC 7468 `CERTIFICATE` blocks).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::error::ChainError;

/// The DER of every `CERTIFICATE` block in `pem`, in order.
pub(super) fn decode_certificates(pem: &str) -> Result<Vec<Vec<u8>>, ChainError> {
    let mut out = Vec::new();
    let mut body: Option<String> = None;
    for line in pem.lines().map(str::trim) {
        match &mut body {
            None => {
                if let Some(label) = line
                    .strip_prefix("-----BEGIN ")
                    .and_then(|l| l.strip_suffix("-----"))
                {
                    if label != "CERTIFICATE" {
                        return Err(ChainError::Pem(format!(
                            "block {} is a {label:?}, only CERTIFICATE blocks are accepted",
                            out.len() + 1
                        )));
                    }
                    body = Some(String::new());
                }
            }
            Some(b64) => {
                if line == "-----END CERTIFICATE-----" {
                    let der = BASE64.decode(b64.as_bytes()).map_err(|e| {
                        ChainError::Pem(format!("block {}: invalid base64 ({e})", out.len() + 1))
                    })?;
                    out.push(der);
                    body = None;
                } else if line.starts_with("-----") || line.contains(':') {
                    return Err(ChainError::Pem(format!(
                        "block {}: unexpected line inside a CERTIFICATE block",
                        out.len() + 1
                    )));
                } else {
                    b64.push_str(line);
                }
            }
        }
    }
    if body.is_some() {
        return Err(ChainError::Pem(format!(
            "block {} has no END CERTIFICATE line",
            out.len() + 1
        )));
    }
    if out.is_empty() {
        return Err(ChainError::Pem("no CERTIFICATE block found".into()));
    }
    Ok(out)
}

/// One `CERTIFICATE` block, 64-column lines, ending in a newline.
pub(super) fn encode_certificate(der: &[u8]) -> String {
    let b64 = BASE64.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}
