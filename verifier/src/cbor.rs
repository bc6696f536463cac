//! A strict CBOR gate, run on every CBOR input before a decoder sees it, and
//! the few encoding helpers the COSE layer needs.
//!
//! Decoders are lenient (ciborium accepts non-shortest integers and
//! indefinite lengths and does not police duplicate keys), and leniency in a
//! signed format means two byte strings for one meaning. [`check_strict`]
//! accepts only well-formed CBOR (RFC 8949 §3) with definite lengths,
//! shortest-form heads, no duplicate map keys, bounded nesting and item
//! counts, declared lengths that fit the input, and nothing after the item.
//! It allocates nothing and runs in one pass, so hostile input costs at most
//! its own length.

use std::fmt;

/// Deepest nesting of arrays, maps and tags accepted. A statement payload
/// needs about six levels; a COSE message with receipts about eight.
pub const MAX_DEPTH: usize = 24;
/// Most data items in one input (every integer, string, array and map
/// counts one). A 64 KiB statement cannot need more than one per byte.
pub const MAX_ITEMS: usize = 65_536;

/// Why CBOR was refused. `offset` is the byte where the problem starts.
#[non_exhaustive]
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CborError {
    /// The input ends inside an item.
    #[error("CBOR truncated at byte {offset}")]
    Truncated {
        /// Byte offset.
        offset: usize,
    },
    /// Not well-formed CBOR (reserved values, a stray break, bad UTF-8).
    #[error("malformed CBOR at byte {offset}: {what}")]
    Malformed {
        /// Byte offset.
        offset: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// An indefinite-length string, array or map.
    #[error("indefinite-length CBOR item at byte {offset}")]
    IndefiniteLength {
        /// Byte offset.
        offset: usize,
    },
    /// A head not in its shortest form (two spellings of one value).
    #[error("non-shortest CBOR encoding at byte {offset}")]
    NonCanonicalHead {
        /// Byte offset.
        offset: usize,
    },
    /// A map with the same key twice.
    #[error("duplicate CBOR map key at byte {offset}")]
    DuplicateKey {
        /// Byte offset of the second occurrence.
        offset: usize,
    },
    /// Nested deeper than [`MAX_DEPTH`].
    #[error("CBOR nested deeper than {MAX_DEPTH}")]
    TooDeep,
    /// More than [`MAX_ITEMS`] items.
    #[error("CBOR has more than {MAX_ITEMS} items")]
    TooManyItems,
    /// Bytes after the top-level item.
    #[error("{count} trailing bytes after the CBOR item")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
}

/// A cursor over CBOR bytes that reads heads under the strict rules. The schema's payload walk
/// uses it too, so both gates agree on what a well-formed head is.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    items: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader {
            buf,
            pos: 0,
            items: 0,
        }
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The next byte, not consumed.
    pub(crate) fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    /// Counts one more item against [`MAX_ITEMS`].
    pub(crate) fn count_item(&mut self) -> Result<(), CborError> {
        self.items += 1;
        if self.items > MAX_ITEMS {
            return Err(CborError::TooManyItems);
        }
        Ok(())
    }

    fn byte(&mut self) -> Result<u8, CborError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or(CborError::Truncated { offset: self.pos })?;
        self.pos += 1;
        Ok(b)
    }

    pub(crate) fn take(&mut self, n: u64) -> Result<&'a [u8], CborError> {
        let start = self.pos;
        let remaining = (self.buf.len() - start) as u64;
        if n > remaining {
            return Err(CborError::Truncated { offset: start });
        }
        self.pos += n as usize;
        Ok(&self.buf[start..self.pos])
    }

    /// Reads a head: major type, argument. Rejects indefinite lengths and
    /// non-shortest arguments.
    pub(crate) fn head(&mut self) -> Result<(u8, u64, usize), CborError> {
        let offset = self.pos;
        let ib = self.byte()?;
        let major = ib >> 5;
        let info = ib & 0x1f;
        let arg = match info {
            0..=23 => u64::from(info),
            24 => {
                let v = u64::from(self.byte()?);
                // Simple values below 32 must use the one-byte form.
                if v < 24 || (major == 7 && v < 32) {
                    return Err(if major == 7 {
                        CborError::Malformed {
                            offset,
                            what: "two-byte simple value below 32",
                        }
                    } else {
                        CborError::NonCanonicalHead { offset }
                    });
                }
                v
            }
            25..=27 => {
                let n = 1u64 << (info - 24);
                let bytes = self.take(n)?;
                let v = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
                // Floats (major 7) keep their width; every other argument
                // must need the width it uses.
                let min = match info {
                    25 => 0x100,
                    26 => 0x1_0000,
                    _ => 0x1_0000_0000,
                };
                if major != 7 && v < min {
                    return Err(CborError::NonCanonicalHead { offset });
                }
                v
            }
            28..=30 => {
                return Err(CborError::Malformed {
                    offset,
                    what: "reserved additional information",
                });
            }
            _ => {
                return Err(if major == 7 {
                    CborError::Malformed {
                        offset,
                        what: "break outside an indefinite-length item",
                    }
                } else if major <= 1 || major == 6 {
                    CborError::Malformed {
                        offset,
                        what: "indefinite argument for an integer or tag",
                    }
                } else {
                    CborError::IndefiniteLength { offset }
                });
            }
        };
        Ok((major, arg, offset))
    }

    fn item(&mut self, depth: usize) -> Result<(), CborError> {
        self.count_item()?;
        let (major, arg, offset) = self.head()?;
        match major {
            0 | 1 | 7 => Ok(()),
            2 => self.take(arg).map(|_| ()),
            3 => {
                let s = self.take(arg)?;
                std::str::from_utf8(s).map_err(|_| CborError::Malformed {
                    offset,
                    what: "text string is not UTF-8",
                })?;
                Ok(())
            }
            4 => {
                if depth >= MAX_DEPTH {
                    return Err(CborError::TooDeep);
                }
                // Every element needs at least one byte: a declared count
                // beyond the remaining input is truncation, found before any
                // work.
                if arg > (self.buf.len() - self.pos) as u64 {
                    return Err(CborError::Truncated { offset });
                }
                for _ in 0..arg {
                    self.item(depth + 1)?;
                }
                Ok(())
            }
            5 => {
                if depth >= MAX_DEPTH {
                    return Err(CborError::TooDeep);
                }
                if arg.saturating_mul(2) > (self.buf.len() - self.pos) as u64 {
                    return Err(CborError::Truncated { offset });
                }
                // Keys are compared as encoded bytes; with shortest-form
                // heads enforced, equal values have equal encodings.
                // A hash set keeps a hostile map of thousands of keys linear.
                let mut keys: std::collections::HashSet<&[u8]> =
                    std::collections::HashSet::with_capacity(arg.min(64) as usize);
                for _ in 0..arg {
                    let start = self.pos;
                    self.item(depth + 1)?;
                    let key = &self.buf[start..self.pos];
                    if !keys.insert(key) {
                        return Err(CborError::DuplicateKey { offset: start });
                    }
                    self.item(depth + 1)?;
                }
                Ok(())
            }
            6 => {
                if depth >= MAX_DEPTH {
                    return Err(CborError::TooDeep);
                }
                self.item(depth + 1)
            }
            _ => unreachable!("major type is three bits"),
        }
    }
}

/// Checks that `bytes` is exactly one strict CBOR item (see the module doc).
pub fn check_strict(bytes: &[u8]) -> Result<(), CborError> {
    let mut r = Reader::new(bytes);
    r.item(0)?;
    if r.pos != bytes.len() {
        return Err(CborError::TrailingBytes {
            count: bytes.len() - r.pos,
        });
    }
    Ok(())
}

/// Appends a shortest-form head.
pub(crate) fn push_head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let m = major << 5;
    if arg < 24 {
        out.push(m | arg as u8);
    } else if arg <= 0xff {
        out.extend_from_slice(&[m | 24, arg as u8]);
    } else if arg <= 0xffff {
        out.push(m | 25);
        out.extend_from_slice(&(arg as u16).to_be_bytes());
    } else if arg <= 0xffff_ffff {
        out.push(m | 26);
        out.extend_from_slice(&(arg as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&arg.to_be_bytes());
    }
}

/// Appends a byte string.
pub(crate) fn push_bstr(out: &mut Vec<u8>, bytes: &[u8]) {
    push_head(out, 2, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Encodes a ciborium value (definite lengths, shortest heads, maps in the
/// order given).
pub(crate) fn to_vec(value: &ciborium::Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail; ciborium only errors on I/O.
    let _ = ciborium::ser::into_writer(value, &mut out);
    out
}

/// A CBOR value in diagnostic-like form, for error messages (bounded).
pub(crate) struct Brief<'a>(pub &'a ciborium::Value);

impl fmt::Display for Brief<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ciborium::Value as V;
        match self.0 {
            V::Integer(i) => write!(f, "{}", i128::from(*i)),
            V::Text(t) if t.len() <= 64 => write!(f, "{t:?}"),
            V::Text(_) => f.write_str("text"),
            V::Bytes(b) => write!(f, "{} bytes", b.len()),
            V::Array(a) => write!(f, "array of {}", a.len()),
            V::Map(m) => write!(f, "map of {}", m.len()),
            V::Tag(t, _) => write!(f, "tag {t}"),
            V::Bool(b) => write!(f, "{b}"),
            V::Null => f.write_str("null"),
            V::Float(_) => f.write_str("float"),
            _ => f.write_str("value"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    #[test]
    fn accepts_well_formed_strict_cbor() {
        for ok in [
            "00",
            "17",
            "1818",
            "190100",
            "1a00010000",
            "1b0000000100000000",
            "20",
            "6161",
            "40",
            "80",
            "a0",
            "a2 01 02 03 04",
            "d2 84 43a10126 a0 4100 40",
            "f4",
            "f6",
            "f93c00",
            "fb3ff8000000000000",
            "f820",
        ] {
            check_strict(&hex(ok)).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
    }

    #[test]
    fn rejects_lenient_or_hostile_cbor() {
        type Check = fn(&CborError) -> bool;
        let cases: &[(&str, Check)] = &[
            ("1801", |e| matches!(e, CborError::NonCanonicalHead { .. })),
            ("190001", |e| {
                matches!(e, CborError::NonCanonicalHead { .. })
            }),
            ("5f4101ff", |e| {
                matches!(e, CborError::IndefiniteLength { .. })
            }),
            ("9fff", |e| matches!(e, CborError::IndefiniteLength { .. })),
            ("bfff", |e| matches!(e, CborError::IndefiniteLength { .. })),
            ("ff", |e| matches!(e, CborError::Malformed { .. })),
            ("1c", |e| matches!(e, CborError::Malformed { .. })),
            ("f801", |e| matches!(e, CborError::Malformed { .. })),
            ("62c328", |e| matches!(e, CborError::Malformed { .. })),
            ("a2 01 02 01 03", |e| {
                matches!(e, CborError::DuplicateKey { .. })
            }),
            ("a2 6161 01 6161 02", |e| {
                matches!(e, CborError::DuplicateKey { .. })
            }),
            ("0000", |e| {
                matches!(e, CborError::TrailingBytes { count: 1 })
            }),
            ("5a ffffffff 00", |e| {
                matches!(e, CborError::Truncated { .. })
            }),
            ("9b 0000000100000000", |e| {
                matches!(e, CborError::Truncated { .. })
            }),
            ("bb 0000000100000000", |e| {
                matches!(e, CborError::Truncated { .. })
            }),
            ("82 01", |e| matches!(e, CborError::Truncated { .. })),
            ("", |e| matches!(e, CborError::Truncated { .. })),
        ];
        for (input, want) in cases {
            let e = check_strict(&hex(input)).unwrap_err();
            assert!(want(&e), "{input}: got {e:?}");
        }
    }

    #[test]
    fn rejects_deep_nesting_without_recursing_far() {
        let mut deep = vec![0x81u8; 100_000];
        deep.push(0);
        assert_eq!(check_strict(&deep), Err(CborError::TooDeep));
        let mut tags = vec![0xc6u8; 1000];
        tags.push(0);
        assert_eq!(check_strict(&tags), Err(CborError::TooDeep));
    }

    #[test]
    fn rejects_too_many_items() {
        let mut many = vec![0x9a];
        many.extend_from_slice(&(MAX_ITEMS as u32 + 5).to_be_bytes());
        many.extend(std::iter::repeat_n(0u8, MAX_ITEMS + 5));
        assert_eq!(check_strict(&many), Err(CborError::TooManyItems));
    }

    #[test]
    fn heads_round_trip() {
        for v in [
            0u64,
            23,
            24,
            255,
            256,
            65535,
            65536,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            push_head(&mut out, 0, v);
            check_strict(&out).unwrap();
            let back: u64 = ciborium::de::from_reader(&out[..]).unwrap();
            assert_eq!(back, v);
        }
    }
}
