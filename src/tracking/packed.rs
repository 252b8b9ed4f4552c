//! The stored form of a repository's state: a compact binary record instead of JSON.
//!
//! Every write into a repository reads and rewrites its state, and a repository at its bounds
//! (500 tags, 3 x 256 digest marks, 256 event ids) held about 150 KB of JSON: decoding and
//! encoding it was half the CPU of a push in the component (scripts/bench, section 4). This form
//! is under half the size (a sha256 digest is its 32 bytes), and reading it is a walk over
//! length-prefixed fields. States written as JSON by earlier versions are still read.
//!
//! Layout: the magic `MAGIC`, then varint `stamp`, `compacted_through`; the tags (count, then
//! each: tag, host, digest, media type, order, removed); the deleted, quarantined and released
//! marks (count, then digest and order each); the recent ids (count, then each); the
//! verification (flag, then verified_at, failures, failed_at). A string is a varint length
//! and UTF-8; an optional value a flag byte first; an order its time (zigzag varint of
//! nanoseconds) and id; a digest a kind byte (`SHA256` for `sha256:` and 64 lower-case hex
//! digits, stored as 32 bytes; `TEXT` for any other).

use super::policy::Order;
use super::state::{RepoState, TagRecord, Verification};
use crate::timestamp::Timestamp;
use std::collections::BTreeMap;

/// No JSON document begins with a NUL byte; the third byte is the layout's version.
const MAGIC: [u8; 3] = [0, b'S', 1];
const SHA256: u8 = 1;
const TEXT: u8 = 0;
const SHA256_PREFIX: &str = "sha256:";

/// Whether `bytes` is a packed state (else it is JSON of an earlier version).
pub fn is_packed(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

pub fn encode(state: &RepoState) -> Vec<u8> {
    // About what a full repository takes, so the buffer grows rarely.
    let entries = state.tags.len() * 2 + state.recent_ids.len() + state.released.len();
    let mut out = Writer(Vec::with_capacity(64 + entries * 96));
    out.0.extend_from_slice(&MAGIC);
    out.varint(state.stamp);
    out.varint(state.compacted_through);
    out.varint(state.tags.len() as u64);
    for (tag, record) in &state.tags {
        out.text(tag);
        out.text(&record.host);
        out.optional(record.digest.as_deref(), Writer::digest);
        out.optional(record.media_type.as_deref(), Writer::text);
        out.order(&record.pushed);
        out.0.push(u8::from(record.removed));
    }
    for marks in [&state.deleted, &state.quarantined, &state.released] {
        out.varint(marks.len() as u64);
        for (digest, order) in marks {
            out.digest(digest);
            out.order(order);
        }
    }
    out.varint(state.recent_ids.len() as u64);
    for id in &state.recent_ids {
        out.text(id);
    }
    out.optional(state.verification.as_ref(), |out, v| {
        out.optional(v.verified_at, Writer::timestamp);
        out.varint(u64::from(v.failures));
        out.optional(v.failed_at, Writer::timestamp);
    });
    out.0
}

/// Reads a packed state; a truncated or malformed record is an error, never a panic.
pub fn decode(bytes: &[u8]) -> Result<RepoState, String> {
    let mut r = Reader(bytes.strip_prefix(&MAGIC).ok_or("not a packed state")?);
    let mut state = RepoState {
        stamp: r.varint()?,
        compacted_through: r.varint()?,
        ..RepoState::default()
    };
    state.tags = r.sorted(|r| {
        let tag = r.text()?;
        let record = TagRecord {
            host: r.text()?,
            digest: r.optional(Reader::digest)?,
            media_type: r.optional(Reader::text)?,
            pushed: r.order()?,
            removed: r.flag()?,
        };
        Ok((tag, record))
    })?;
    for marks in [
        &mut state.deleted,
        &mut state.quarantined,
        &mut state.released,
    ] {
        *marks = r.sorted(|r| Ok((r.digest()?, r.order()?)))?;
    }
    for _ in 0..r.count()? {
        state.recent_ids.push_back(r.text()?);
    }
    state.verification = r.optional(|r| {
        Ok(Verification {
            verified_at: r.optional(Reader::timestamp)?,
            failures: u32::try_from(r.varint()?).map_err(|_| "failures out of range")?,
            failed_at: r.optional(Reader::timestamp)?,
        })
    })?;
    if !r.0.is_empty() {
        return Err("trailing bytes after the state".into());
    }
    Ok(state)
}

fn hex_digit(nibble: u8) -> u8 {
    if nibble < 10 {
        b'0' + nibble
    } else {
        b'a' + nibble - 10
    }
}

/// The 32 bytes of 64 lower-case hex digits (what `sha256:` digests are); `None` for anything
/// else, which is then stored as text and read back unchanged. By hand: the `hex` crate's
/// iterators were a quarter of a push's CPU in the component.
fn sha256_bytes(hex: &[u8]) -> Option<[u8; 32]> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let mut raw = [0u8; 32];
    if hex.len() != 64 {
        return None;
    }
    for (byte, pair) in raw.iter_mut().zip(hex.chunks_exact(2)) {
        if let [high, low] = pair {
            *byte = nibble(*high)? << 4 | nibble(*low)?;
        }
    }
    Some(raw)
}

struct Writer(Vec<u8>);

impl Writer {
    fn varint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.0.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
    }

    fn text(&mut self, s: &str) {
        self.varint(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }

    fn timestamp(&mut self, t: Timestamp) {
        // Zigzag, so times before 1970 stay short too.
        self.varint(((t.0 << 1) ^ (t.0 >> 63)) as u64);
    }

    fn order(&mut self, order: &Order) {
        self.timestamp(order.at);
        self.text(&order.id);
    }

    fn digest(&mut self, digest: &str) {
        let raw = digest
            .strip_prefix(SHA256_PREFIX)
            .map(str::as_bytes)
            .and_then(sha256_bytes);
        match raw {
            Some(raw) => {
                self.0.push(SHA256);
                self.0.extend_from_slice(&raw);
            }
            None => {
                self.0.push(TEXT);
                self.text(digest);
            }
        }
    }

    fn optional<T>(&mut self, value: Option<T>, write: impl FnOnce(&mut Self, T)) {
        match value {
            Some(v) => {
                self.0.push(1);
                write(self, v);
            }
            None => self.0.push(0),
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        if n > self.0.len() {
            return Err("truncated state".into());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, String> {
        let (&b, rest) = self.0.split_first().ok_or("truncated state")?;
        self.0 = rest;
        Ok(b)
    }

    fn flag(&mut self) -> Result<bool, String> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(format!("invalid flag {b}")),
        }
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err("varint too long".into())
    }

    /// A count of entries, each at least one byte: more than the bytes left is malformed
    /// (and would otherwise loop for nothing).
    fn count(&mut self) -> Result<usize, String> {
        let n = self.varint()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.0.len())
            .ok_or_else(|| "count larger than the record".into())
    }

    fn text(&mut self) -> Result<String, String> {
        let n = self.count()?;
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| "string is not UTF-8".into())
    }

    fn timestamp(&mut self) -> Result<Timestamp, String> {
        let z = self.varint()?;
        Ok(Timestamp((z >> 1) as i64 ^ -((z & 1) as i64)))
    }

    fn order(&mut self) -> Result<Order, String> {
        Ok(Order {
            at: self.timestamp()?,
            id: self.text()?,
        })
    }

    fn digest(&mut self) -> Result<String, String> {
        match self.byte()? {
            SHA256 => {
                // Into a fixed buffer, then one allocation: pushing char by char checked the
                // capacity 64 times (a tenth of a push's CPU in the component).
                let mut text = [0u8; SHA256_PREFIX.len() + 64];
                let (prefix, hex) = text.split_at_mut(SHA256_PREFIX.len());
                prefix.copy_from_slice(SHA256_PREFIX.as_bytes());
                for (pair, &b) in hex.chunks_exact_mut(2).zip(self.take(32)?) {
                    if let [high, low] = pair {
                        (*high, *low) = (hex_digit(b >> 4), hex_digit(b & 0xf));
                    }
                }
                String::from_utf8(text.to_vec()).map_err(|_| "string is not UTF-8".into())
            }
            TEXT => self.text(),
            b => Err(format!("invalid digest kind {b}")),
        }
    }

    /// A map written in key order. Built from a sorted run at once: inserting entry by entry
    /// searched the tree for each (nine string comparisons a tag in a full repository, and
    /// `memcmp` in WebAssembly is a byte loop), where checking the order takes one.
    fn sorted<K: Ord, V>(
        &mut self,
        mut entry: impl FnMut(&mut Self) -> Result<(K, V), String>,
    ) -> Result<BTreeMap<K, V>, String> {
        let n = self.count()?;
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            entries.push(entry(self)?);
        }
        Ok(entries.into_iter().collect())
    }

    fn optional<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<T, String>,
    ) -> Result<Option<T>, String> {
        if self.flag()? {
            read(self).map(Some)
        } else {
            Ok(None)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn order(at: i64, id: &str) -> Order {
        Order {
            at: Timestamp(at),
            id: id.into(),
        }
    }

    fn sample() -> RepoState {
        let sha = format!("sha256:{}", "ab".repeat(32));
        let mut state = RepoState {
            stamp: 300,
            compacted_through: 128,
            verification: Some(Verification {
                verified_at: Some(Timestamp(1_767_323_045_000_000_000)),
                failures: 2,
                failed_at: None,
            }),
            ..RepoState::default()
        };
        state.tags.insert(
            "1.2.0".into(),
            TagRecord {
                host: "r.azurecr.io".into(),
                digest: Some(sha.clone()),
                media_type: Some("application/vnd.oci.image.manifest.v1+json".into()),
                pushed: order(-5, "e1"),
                removed: false,
            },
        );
        state.tags.insert(
            "latest".into(),
            TagRecord {
                host: "r.azurecr.io".into(),
                digest: None,
                media_type: None,
                pushed: order(i64::MAX, "ü"),
                removed: true,
            },
        );
        state
            .deleted
            .insert("sha512:beef".into(), order(i64::MIN, ""));
        state.released.insert(sha.to_uppercase(), order(7, "e2"));
        state.quarantined.insert(sha, order(0, "e3"));
        state.recent_ids.extend(["e1".to_owned(), "e2".to_owned()]);
        state
    }

    #[test]
    fn round_trips_every_field() {
        for state in [sample(), RepoState::default()] {
            let bytes = encode(&state);
            assert!(is_packed(&bytes));
            assert_eq!(decode(&bytes).unwrap(), state);
        }
    }

    #[test]
    fn a_sha256_digest_takes_its_32_bytes() {
        let json = serde_json::to_vec(&sample()).unwrap();
        let packed = encode(&sample());
        assert!(
            packed.len() * 2 < json.len(),
            "{} vs {}",
            packed.len(),
            json.len()
        );
        assert!(!is_packed(&json));
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_after_the_magic_decode_or_fail_without_panicking(
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)
        ) {
            let mut bytes = MAGIC.to_vec();
            bytes.extend(body);
            if let Ok(state) = decode(&bytes) {
                proptest::prop_assert_eq!(decode(&encode(&state)).ok(), Some(state));
            }
        }
    }

    #[test]
    fn every_truncation_and_corruption_is_an_error_not_a_panic() {
        let bytes = encode(&sample());
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_err(), "truncated at {n}");
        }
        for i in MAGIC.len()..bytes.len() {
            for b in [0x00, 0x02, 0x7f, 0xff] {
                let mut corrupt = bytes.clone();
                corrupt[i] = b;
                let _ = decode(&corrupt);
            }
        }
        let mut trailing = bytes;
        trailing.push(0);
        assert!(decode(&trailing).is_err());
    }
}
