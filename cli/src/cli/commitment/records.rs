//! Reading the agency's records: one identifier a line, or one column of a
//! CSV or TSV file with a header row; canonicalised, refused rows counted by
//! reason with their line numbers (never their content), subjects
//! deduplicated in a set of 8-byte keys.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context as _, Result};
use ashlog::commitment::identifier::{CanonicalId, IdError, IdentifierType};

use crate::cli::error::fail;
use crate::cli::progress::Progress;

/// How the records file is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// One identifier per line.
    Lines,
    /// Comma-separated, header row first (RFC 4180 quoting).
    Csv,
    /// Tab-separated, header row first.
    Tsv,
}

/// Line numbers kept per refusal reason, for the officer to look up.
const LINES_KEPT: usize = 10;

/// Refused rows of one reason.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    pub(crate) count: u64,
    /// The first line numbers (1-based, counting the header).
    pub(crate) lines: Vec<u64>,
}

/// What reading the records found.
#[derive(Debug, Default)]
pub(crate) struct Records {
    /// Distinct subjects, as [`CanonicalId::packed`] keys.
    pub(crate) subjects: HashSet<u64>,
    /// Data rows read (not counting a header).
    pub(crate) rows: u64,
    /// Rows whose subject was already seen.
    pub(crate) duplicates: u64,
    /// Refused rows by reason (the reason's stable label, then its message).
    pub(crate) refused: BTreeMap<&'static str, (String, Refused)>,
}

impl Records {
    fn refuse(&mut self, line: u64, e: &'static str, message: String) {
        let r = &mut self
            .refused
            .entry(e)
            .or_insert_with(|| (message, Refused::default()))
            .1;
        r.count += 1;
        if r.lines.len() < LINES_KEPT {
            r.lines.push(line);
        }
    }

    fn take(&mut self, kind: IdentifierType, line: u64, field: &[u8]) {
        self.rows += 1;
        let Ok(text) = std::str::from_utf8(field) else {
            self.refuse(
                line,
                "not_utf8",
                "not UTF-8 text; export the file as UTF-8".into(),
            );
            return;
        };
        match kind.canonicalise(text) {
            Ok(id) => {
                if !self.subjects.insert(id.packed()) {
                    self.duplicates += 1;
                }
            }
            Err(e) => self.refuse(line, e.kind(), describe(&e)),
        }
    }

    /// Refused rows in all.
    pub(crate) fn refused_total(&self) -> u64 {
        self.refused.values().map(|(_, r)| r.count).sum()
    }
}

fn describe(e: &IdError) -> String {
    // The message of the first row of a reason stands for all of them; the
    // position inside an identifier varies, so it is left out.
    match e {
        IdError::Character { want, .. } => format!("a character not allowed here; {want}"),
        IdError::Length { want, .. } => format!("wrong length; {want}"),
        other => other.to_string(),
    }
}

/// Reads `input` (a path, or `-` for stdin).
pub(crate) fn read(
    input: &Path,
    format: Format,
    column: Option<&str>,
    kind: IdentifierType,
    quiet: bool,
) -> Result<Records> {
    let (reader, total): (Box<dyn Read>, u64) = if input == Path::new("-") {
        (Box::new(std::io::stdin().lock()), 0)
    } else {
        let f = std::fs::File::open(input)
            .with_context(|| format!("cannot open the records file {}", input.display()))?;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        (Box::new(f), len)
    };
    let mut progress = Progress::new(total, "reading records", "bytes", quiet || total == 0);
    let counted = Counted {
        inner: reader,
        progress: &mut progress,
    };
    let mut records = Records::default();
    match format {
        Format::Lines => {
            if column.is_some() {
                return Err(fail(
                    "--column is for CSV and TSV input",
                    "drop --column, or add --format csv (or tsv)",
                ));
            }
            read_lines(
                BufReader::with_capacity(1 << 20, counted),
                kind,
                &mut records,
            )?
        }
        Format::Csv | Format::Tsv => {
            let Some(column) = column else {
                return Err(fail(
                    "CSV and TSV input needs the column that holds the identifier",
                    "add --column NAME (the header of that column)",
                ));
            };
            read_table(counted, format, column, kind, &mut records)?
        }
    }
    progress.finish();
    Ok(records)
}

fn read_lines(mut r: impl BufRead, kind: IdentifierType, out: &mut Records) -> Result<()> {
    let mut buf = Vec::with_capacity(64);
    let mut line = 0u64;
    loop {
        buf.clear();
        let n = r
            .read_until(b'\n', &mut buf)
            .context("reading the records failed")?;
        if n == 0 {
            return Ok(());
        }
        line += 1;
        let mut field = buf.as_slice();
        if let Some(f) = field.strip_suffix(b"\n") {
            field = f.strip_suffix(b"\r").unwrap_or(f);
        }
        out.take(kind, line, field);
    }
}

fn read_table(
    r: impl Read,
    format: Format,
    column: &str,
    kind: IdentifierType,
    out: &mut Records,
) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(if format == Format::Tsv { b'\t' } else { b',' })
        .has_headers(true)
        .flexible(false)
        .buffer_capacity(1 << 20)
        .from_reader(r);
    let headers = reader
        .byte_headers()
        .context("the records file has no readable header row")?
        .clone();
    let Some(index) = headers.iter().position(|h| h == column.as_bytes()) else {
        let names: Vec<String> = headers
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        return Err(fail(
            format!("no column named `{column}` in the header row"),
            format!("the columns are: {}", names.join(", ")),
        ));
    };
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                match record.get(index) {
                    Some(field) => out.take(kind, line, field),
                    None => {
                        out.rows += 1;
                        out.refuse(line, "missing_column", "the row has no such column".into());
                    }
                }
            }
            // A malformed row (wrong field count, bad quoting): refused by
            // line, reading goes on. An I/O error stops everything.
            Err(e) => match e.kind() {
                csv::ErrorKind::Io(_) => {
                    return Err(anyhow::anyhow!("reading the records failed: {e}"));
                }
                _ => {
                    out.rows += 1;
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    out.refuse(
                        line,
                        "malformed_row",
                        "not a well-formed row (field count or quoting)".into(),
                    );
                }
            },
        }
    }
}

/// Counts bytes read, for the progress bar.
struct Counted<'a, R> {
    inner: R,
    progress: &'a mut Progress,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.inc(n as u64);
        Ok(n)
    }
}

/// The canonical identifiers of a set of keys, for deriving leaves.
pub(crate) fn unpack(kind: IdentifierType, key: u64) -> Option<CanonicalId> {
    CanonicalId::from_packed(kind, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RID: IdentifierType = IdentifierType::CnRid18;

    fn rid(n: u64) -> String {
        let first: [u8; 17] = format!("{:017}", 32020019900101000 + n)
            .into_bytes()
            .try_into()
            .unwrap();
        let c = ashlog::commitment::identifier::resident_check_character(&first).unwrap();
        format!(
            "{}{}",
            String::from_utf8(first.to_vec()).unwrap(),
            c as char
        )
    }

    fn read_text(text: &str, format: Format, column: Option<&str>) -> Result<Records> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("records");
        std::fs::write(&p, text).unwrap();
        read(&p, format, column, RID, true)
    }

    #[test]
    fn lines_are_canonicalised_deduplicated_and_refusals_counted_by_line() {
        let text = format!(
            "{}\r\n{}\n{}\n110105491231002\n\n{} \n{}",
            rid(1),
            rid(2),
            rid(1).to_lowercase(),
            rid(3),
            rid(4)
        );
        let r = read_text(&text, Format::Lines, None).unwrap();
        assert_eq!(r.rows, 7);
        assert_eq!(r.subjects.len(), 3);
        assert_eq!(r.duplicates, 1);
        assert_eq!(r.refused["legacy_15_digit"].1.lines, vec![4]);
        assert_eq!(r.refused["empty"].1.lines, vec![5]);
        assert_eq!(r.refused["whitespace"].1.lines, vec![6]);
        assert_eq!(r.refused_total(), 3);
        // No message holds an identifier.
        for (msg, _) in r.refused.values() {
            assert!(!msg.contains("3202"), "{msg}");
        }
    }

    #[test]
    fn csv_and_tsv_take_the_named_column() {
        let csv = format!(
            "name,id,city\n\"Li, Wei\",{},Wuxi\nZhang,{},Wuxi\nbad,row\nWang,12345,Wuxi\n",
            rid(1),
            rid(2)
        );
        let r = read_text(&csv, Format::Csv, Some("id")).unwrap();
        assert_eq!(r.subjects.len(), 2);
        assert_eq!(r.rows, 4);
        assert_eq!(r.refused["malformed_row"].1.lines, vec![4]);
        assert_eq!(r.refused["length"].1.lines, vec![5]);
        let tsv = format!("id\tx\n{}\t1\n", rid(7));
        let r = read_text(&tsv, Format::Tsv, Some("id")).unwrap();
        assert_eq!(r.subjects.len(), 1);
        let e = read_text(&csv, Format::Csv, Some("ID"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("name, id, city"), "{e}");
        assert!(read_text(&csv, Format::Csv, None).is_err());
        assert!(read_text(&csv, Format::Lines, Some("id")).is_err());
    }

    #[test]
    fn keys_unpack_to_the_same_identifier() {
        let id = RID.canonicalise(&rid(5)).unwrap();
        assert_eq!(unpack(RID, id.packed()).unwrap(), id);
    }
}
