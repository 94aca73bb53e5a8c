//! An AVIF rendition's size read from its ISO-BMFF container, independently of the libavif that
//! wrote it: the file must be whole (its top-level boxes tile it exactly, `ftyp` first with the
//! `avif` brand), and the size is the `ispe` property in `meta/iprp/ipco`.

/// The width and height of a still AVIF image, or why the file is not one.
pub fn avif_dimensions(bytes: &[u8]) -> Result<(u32, u32), String> {
    let top = boxes(bytes)?;
    match top.first() {
        Some((b"ftyp", body)) if body.starts_with(b"avif") => {}
        _ => return Err("no `ftyp` box with the `avif` brand first".into()),
    }
    let meta = find(&top, b"meta")?;
    // `meta` and `ispe` are full boxes: a version byte and three flag bytes come first.
    let iprp = find(&boxes(meta.get(4..).ok_or("`meta` is empty")?)?, b"iprp")?;
    let ipco = find(&boxes(iprp)?, b"ipco")?;
    let ispe = find(&boxes(ipco)?, b"ispe")?;
    let field = |at: usize| {
        ispe.get(at..at + 4)
            .map(|b| u32::from_be_bytes(b.try_into().expect("four bytes")))
            .ok_or_else(|| "`ispe` is short".to_owned())
    };
    Ok((field(4)?, field(8)?))
}

/// A box's four-character type and its body.
type IsoBox<'a> = (&'a [u8; 4], &'a [u8]);

/// The boxes that exactly fill `data`.
fn boxes(mut data: &[u8]) -> Result<Vec<IsoBox<'_>>, String> {
    let mut found = Vec::new();
    while !data.is_empty() {
        let header = data.get(..8).ok_or("a box header is cut")?;
        let kind: &[u8; 4] = header[4..8].try_into().expect("four bytes");
        let (size, header_len) = match u32::from_be_bytes(header[..4].try_into().expect("4")) {
            0 => (data.len(), 8),
            1 => {
                let large = data.get(8..16).ok_or("a large box header is cut")?;
                let size = u64::from_be_bytes(large.try_into().expect("eight bytes"));
                (usize::try_from(size).map_err(|e| e.to_string())?, 16)
            }
            size => (size as usize, 8),
        };
        if size < header_len || size > data.len() {
            return Err(format!(
                "box `{}` of {size} bytes where {} remain",
                String::from_utf8_lossy(kind),
                data.len()
            ));
        }
        found.push((kind, &data[header_len..size]));
        data = &data[size..];
    }
    Ok(found)
}

fn find<'a>(boxes: &[IsoBox<'a>], kind: &[u8; 4]) -> Result<&'a [u8], String> {
    boxes
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, body)| *body)
        .ok_or_else(|| format!("no `{}` box", String::from_utf8_lossy(kind)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One box of `kind` around `body`.
    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = (8 + body.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    fn file(width: u32, height: u32) -> Vec<u8> {
        let mut ispe = vec![0; 4];
        ispe.extend_from_slice(&width.to_be_bytes());
        ispe.extend_from_slice(&height.to_be_bytes());
        let ipco = boxed(b"ipco", &boxed(b"ispe", &ispe));
        let mut meta = vec![0; 4];
        meta.extend(boxed(b"iprp", &ipco));
        let mut out = boxed(b"ftyp", b"avif\0\0\0\0mif1");
        out.extend(boxed(b"meta", &meta));
        out.extend(boxed(b"mdat", &[1, 2, 3]));
        out
    }

    #[test]
    fn reads_the_size_of_a_whole_file_and_refuses_a_cut_one() {
        let whole = file(1600, 1067);
        assert_eq!(avif_dimensions(&whole), Ok((1600, 1067)));
        let cut = avif_dimensions(&whole[..whole.len() - 1]).expect_err("cut");
        assert!(cut.contains("`mdat`"), "{cut}");
        let mut not_avif = whole.clone();
        not_avif[8..12].copy_from_slice(b"heic");
        assert!(avif_dimensions(&not_avif).is_err());
        assert!(avif_dimensions(b"RIFF").is_err());
    }
}
