//! The serde [`Deserializer`] that reads a typed statement out of payload bytes the strict walk in
//! [`super::statement`] has already accepted.
//!
//! It reads straight from the byte slice and hands strings to serde borrowed, so decoding costs
//! one allocation per owned string and nothing else; ciborium reads through `io::Read` with a
//! scratch buffer and checked every string's UTF-8 a second time, which made it the largest cost
//! of a registration after the signature. Heads are read by the same strict [`cbor::Reader`] as
//! the walk. It is only ever run after the walk, but it does not rely on that for safety: any
//! input ends in an error, never a panic, and it never reads past the slice.

use crate::cbor;
use serde::de::{self, DeserializeSeed, Visitor};
use std::fmt;

/// A decoding failure: serde's own message (`missing field ...`, `invalid type: ...`) or what the
/// bytes broke.
#[derive(Debug)]
pub(super) struct Error(pub(super) String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

impl From<cbor::CborError> for Error {
    fn from(e: cbor::CborError) -> Self {
        Error(e.to_string())
    }
}

/// Reads one CBOR item per `deserialize_*` call from the front of the slice.
pub(super) struct Deserializer<'a> {
    r: cbor::Reader<'a>,
}

impl<'a> Deserializer<'a> {
    pub(super) fn new(payload: &'a [u8]) -> Self {
        Deserializer {
            r: cbor::Reader::new(payload),
        }
    }

    /// Bytes after the item(s) read so far.
    fn remaining(&self) -> usize {
        self.r.remaining()
    }

    fn text(&mut self, len: u64, offset: usize) -> Result<&'a str, Error> {
        let bytes = self.r.take(len)?;
        std::str::from_utf8(bytes).map_err(|_| {
            Error::from(cbor::CborError::Malformed {
                offset,
                what: "text string is not UTF-8",
            })
        })
    }
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let initial = self.r.peek();
        let (major, arg, offset) = self.r.head()?;
        match major {
            0 => visitor.visit_u64(arg),
            1 => match i64::try_from(arg) {
                Ok(n) => visitor.visit_i64(-1 - n),
                Err(_) => visitor.visit_i128(-1 - i128::from(arg)),
            },
            2 => visitor.visit_borrowed_bytes(self.r.take(arg)?),
            3 => visitor.visit_borrowed_str(self.text(arg, offset)?),
            4 => visitor.visit_seq(Elements {
                de: self,
                left: arg,
            }),
            5 => visitor.visit_map(Elements {
                de: self,
                left: arg,
            }),
            6 => Err(Error("CBOR tags are not allowed".into())),
            _ => match initial.map(|b| b & 0x1f) {
                Some(20) => visitor.visit_bool(false),
                Some(21) => visitor.visit_bool(true),
                Some(22) => visitor.visit_none(),
                _ => Err(Error(format!("unsupported CBOR item at byte {offset}"))),
            },
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.r.peek() == Some(0xf6) {
            self.r.head()?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// The elements of an array, or the key-value pairs of a map, still to be read.
struct Elements<'r, 'de> {
    de: &'r mut Deserializer<'de>,
    left: u64,
}

impl<'de> Elements<'_, 'de> {
    /// The next array element or map key, if any are left.
    fn next<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }

    /// Capacity serde may reserve: never more than the bytes left could hold, one per element.
    fn hint(&self) -> Option<usize> {
        usize::try_from(self.left)
            .ok()
            .map(|n| n.min(self.de.remaining()))
    }
}

impl<'de> de::SeqAccess<'de> for Elements<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.next(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.hint()
    }
}

impl<'de> de::MapAccess<'de> for Elements<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        self.next(seed)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(&mut *self.de)
    }

    fn size_hint(&self) -> Option<usize> {
        self.hint()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    fn read<T: for<'a> Deserialize<'a>>(bytes: &[u8]) -> Result<T, String> {
        let mut de = Deserializer::new(bytes);
        T::deserialize(&mut de).map_err(|e| e.0)
    }

    fn cbor(v: &ciborium::Value) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::into_writer(v, &mut out).unwrap();
        out
    }

    #[test]
    fn reads_what_ciborium_writes() {
        use ciborium::Value;
        let v = Value::Map(vec![
            (
                Value::Text("n".into()),
                Value::Integer(1_000_000_000.into()),
            ),
            (Value::Text("neg".into()), Value::Integer((-25).into())),
            (Value::Text("ok".into()), Value::Bool(true)),
            (
                Value::Text("list".into()),
                Value::Array(vec![Value::Text("a".into()), Value::Text("数据".into())]),
            ),
        ]);
        #[derive(Deserialize, Debug, PartialEq)]
        #[serde(deny_unknown_fields)]
        struct S {
            n: u64,
            neg: i32,
            ok: bool,
            list: Vec<String>,
            #[serde(default)]
            absent: Option<String>,
        }
        assert_eq!(
            read::<S>(&cbor(&v)),
            Ok(S {
                n: 1_000_000_000,
                neg: -25,
                ok: true,
                list: vec!["a".into(), "数据".into()],
                absent: None,
            })
        );
        let any: BTreeMap<String, ciborium::Value> = read(&cbor(&v)).unwrap();
        assert_eq!(any.len(), 4);
    }

    #[test]
    fn reports_serde_messages_for_the_wrong_shape() {
        #[derive(Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct S {
            n: u8,
        }
        use ciborium::Value;
        let map = |k: &str, v: Value| cbor(&Value::Map(vec![(Value::Text(k.into()), v)]));
        assert_eq!(
            read::<S>(&map("n", Value::Integer(300.into()))).unwrap_err(),
            "invalid value: integer `300`, expected u8"
        );
        assert_eq!(
            read::<S>(&map("n", Value::Text("x".into()))).unwrap_err(),
            "invalid type: string \"x\", expected u8"
        );
        assert!(
            read::<S>(&map("m", Value::Integer(1.into())))
                .unwrap_err()
                .starts_with("unknown field `m`")
        );
        assert_eq!(
            read::<S>(&cbor(&Value::Map(vec![]))).unwrap_err(),
            "missing field `n`"
        );
        // The most negative CBOR integer does not fit an i64 and is still refused by type.
        assert!(
            read::<i64>(&[0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
                .unwrap_err()
                .contains("-18446744073709551616")
        );
    }

    #[test]
    fn never_reads_past_the_input() {
        // Truncated strings, arrays that claim more elements than there are bytes, bad UTF-8,
        // tags, floats and lone breaks all end in an error.
        for bad in [
            &[0x63, b'a', b'b'][..],
            &[0x9a, 0xff, 0xff, 0xff, 0xff],
            &[0x62, 0xff, 0xfe],
            &[0xc0, 0x60],
            &[0xf9, 0x3c, 0x00],
            &[0xff],
            &[],
        ] {
            assert!(read::<Vec<String>>(bad).is_err(), "{bad:02x?}");
            assert!(read::<ciborium::Value>(bad).is_err(), "{bad:02x?}");
        }
    }
}
