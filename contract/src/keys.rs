//! Object keys: decoding them from events, encoding them for events, records and metadata, the
//! rules that keep a key safe to use as a path, and the keys the pipeline derives from an upload.

/// A key that is not valid percent-encoded UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("object key `{0}` is not valid URL-encoded UTF-8")]
pub struct BadKey(pub String);

/// How [`encode_key`] writes a key. Every style decodes back with [`decode_key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStyle {
    /// As S3 writes keys into event notifications: form encoding, `+` for a space, `/` kept.
    Event,
    /// One path segment any store or file system keeps as it is: only letters, digits, `-`,
    /// `_` and `.` stay; `/` is encoded too.
    Segment,
    /// S3 user metadata, which must be printable ASCII: only `%`, `+` and non-ASCII bytes are
    /// encoded, so the value stays readable.
    Metadata,
}

impl KeyStyle {
    fn keeps(self, byte: u8) -> bool {
        match self {
            Self::Event => byte.is_ascii_alphanumeric() || b"-_.!~*'()/".contains(&byte),
            Self::Segment => byte.is_ascii_alphanumeric() || b"-_.".contains(&byte),
            Self::Metadata => (byte.is_ascii_graphic() || byte == b' ') && !b"%+".contains(&byte),
        }
    }
}

/// Percent-encodes `key` in `style`; the one encoder of the project.
pub fn encode_key(key: &str, style: KeyStyle) -> String {
    let mut out = String::with_capacity(key.len());
    for byte in key.bytes() {
        if style == KeyStyle::Event && byte == b' ' {
            out.push('+');
        } else if style.keeps(byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Decodes a key as S3 writes it in event notifications: form encoding, `+` for a space.
pub fn decode_key(raw: &str) -> Result<String, BadKey> {
    let bad = || BadKey(raw.to_owned());
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = raw.get(i + 1..i + 3).ok_or_else(bad)?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// A key that keeps its meaning wherever it is used as a path: no leading `/`, no `.` or `..`
/// segment, no control character.
pub fn is_safe_key(key: &str) -> bool {
    !key.starts_with('/')
        && !key.split('/').any(|part| part == ".." || part == ".")
        && !key.chars().any(char::is_control)
}

/// The folder, under the rejected prefix, of the rejection records of unsafe keys.
pub const UNSAFE_KEY_RECORDS: &str = "unsafe-keys/";

/// Where the rejection record of `key` goes: beside its key, or for an unsafe key under
/// [`UNSAFE_KEY_RECORDS`] as one percent-encoded segment, so no written key is unsafe itself.
pub fn rejection_key(rejected_prefix: &str, key: &str) -> String {
    if is_safe_key(key) {
        format!("{rejected_prefix}{key}.json")
    } else {
        let segment = encode_key(key, KeyStyle::Segment);
        format!("{rejected_prefix}{UNSAFE_KEY_RECORDS}{segment}.json")
    }
}

/// The key without the extension of its last segment: `a/b.c/photo.jpg` -> `a/b.c/photo`.
pub fn strip_extension(key: &str) -> &str {
    let name_start = key.rfind('/').map_or(0, |i| i + 1);
    match key[name_start..].rfind('.') {
        Some(dot) if dot > 0 => &key[..name_start + dot],
        _ => key,
    }
}

/// Where rendition `rendition` of upload `key` is written: `<prefix><key stem>/<rendition>.<ext>`.
pub fn output_key(output_prefix: &str, key: &str, rendition: &str, extension: &str) -> String {
    format!(
        "{output_prefix}{}/{rendition}.{extension}",
        strip_extension(key)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_form_decoded() {
        assert_eq!(
            decode_key("uploads%2Fcat+1.jpg").unwrap(),
            "uploads/cat 1.jpg"
        );
        assert_eq!(decode_key("a%2Bb%25c%C3%A9.jpg").unwrap(), "a+b%cé.jpg");
        assert_eq!(decode_key("plain/key.jpg").unwrap(), "plain/key.jpg");
        for bad in ["bad%2", "bad%zz", "bad%ff%fe"] {
            assert!(decode_key(bad) == Err(BadKey(bad.to_owned())), "{bad}");
        }
    }

    #[test]
    fn each_style_writes_what_its_reader_expects() {
        let key = "uploads/a b+c%d/é.jpg";
        assert_eq!(
            encode_key(key, KeyStyle::Event),
            "uploads/a+b%2Bc%25d/%C3%A9.jpg"
        );
        assert_eq!(
            encode_key(key, KeyStyle::Segment),
            "uploads%2Fa%20b%2Bc%25d%2F%C3%A9.jpg"
        );
        assert_eq!(
            encode_key(key, KeyStyle::Metadata),
            "uploads/a b%2Bc%25d/%C3%A9.jpg"
        );
    }

    #[test]
    fn every_style_round_trips_through_decode_key() {
        let alphabet: Vec<char> = "aZ09 +%/.-_~!*'()?#&=\u{0}\u{7f}é日😀".chars().collect();
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..2000 {
            let key: String = (0..rng.usize(0..24))
                .map(|_| alphabet[rng.usize(..alphabet.len())])
                .collect();
            for style in [KeyStyle::Event, KeyStyle::Segment, KeyStyle::Metadata] {
                let encoded = encode_key(&key, style);
                assert!(encoded.is_ascii(), "{style:?} {encoded}");
                assert_eq!(decode_key(&encoded).unwrap(), key, "{style:?} {encoded}");
            }
        }
    }

    #[test]
    fn unsafe_keys_are_recorded_as_one_encoded_segment() {
        assert_eq!(
            rejection_key("rejected/", "uploads/cat.jpg"),
            "rejected/uploads/cat.jpg.json"
        );
        assert_eq!(
            rejection_key("rejected/", "uploads/../etc/passwd"),
            "rejected/unsafe-keys/uploads%2F..%2Fetc%2Fpasswd.json"
        );
        for key in ["/abs.jpg", "a/./b.jpg", "a/../b.jpg", "tab\there.jpg"] {
            assert!(!is_safe_key(key), "{key}");
            let record = rejection_key("rejected/", key);
            assert!(is_safe_key(&record), "{record}");
        }
    }

    #[test]
    fn only_the_last_segments_extension_is_stripped() {
        assert_eq!(strip_extension("uploads/cat.jpg"), "uploads/cat");
        assert_eq!(strip_extension("uploads/a.b/cat"), "uploads/a.b/cat");
        assert_eq!(strip_extension("uploads/.hidden"), "uploads/.hidden");
        assert_eq!(strip_extension("uploads/x.tar.gz"), "uploads/x.tar");
        assert_eq!(
            output_key("processed/", "uploads/a.b/cat.png", "thumb", "jpg"),
            "processed/uploads/a.b/cat/thumb.jpg"
        );
    }
}
