//! Inputs: zip archives (every entry), zip-bomb guards, corrupt and nested archives.

use crate::common::read_fixture;
use ledgerline_extract::source::{
    InputSpec, Opened, SourceError, ZipLimitError, ZipLimits, for_each_stream,
};
use std::io::Write;
use std::path::Path;

fn fixture(name: &str) -> Vec<u8> {
    read_fixture(&format!("validate/{name}"))
}

fn make_zip(path: &Path, entries: &[(&str, &[u8])]) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        zip.start_file(*name, opts).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
}

/// (name, bytes read or error text) for every stream of `path`.
fn visit(path: &Path, limits: &ZipLimits) -> Vec<(String, Result<usize, String>)> {
    let mut out = Vec::new();
    for_each_stream(
        &[InputSpec::Path(path.to_owned())],
        limits,
        |o| -> Result<(), ()> {
            match o {
                Opened::Stream(s) => {
                    let mut buf = Vec::new();
                    let r =
                        s.reader.read_to_end(&mut buf).map_err(|e| {
                            match ZipLimitError::from_io(&e) {
                                Some(z) => format!("limit: {z}"),
                                None => e.to_string(),
                            }
                        });
                    out.push((s.name, r));
                }
                Opened::Failed { name, error } => out.push((
                    name,
                    Err(match error {
                        SourceError::Archive(a) => format!("archive: {a}"),
                        other => other.to_string(),
                    }),
                )),
            }
            Ok(())
        },
    )
    .unwrap();
    out
}

#[test]
fn every_zip_entry_is_a_stream() {
    let dir = tempfile::tempdir().unwrap();
    let z = dir.path().join("extract.zip");
    let sae = fixture("good.txt");
    let prae = fixture("prae/good.txt");
    make_zip(&z, &[("sae.txt", &sae), ("dir/prae.txt", &prae)]);
    let got = visit(&z, &ZipLimits::default());
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), 2);
    assert!(names[0].ends_with("extract.zip!sae.txt"), "{names:?}");
    assert!(names[1].ends_with("extract.zip!dir/prae.txt"), "{names:?}");
    assert_eq!(got[0].1, Ok(sae.len()));
    assert_eq!(got[1].1, Ok(prae.len()));
}

#[test]
fn zip_bombs_are_refused_by_ratio_and_by_total() {
    let dir = tempfile::tempdir().unwrap();
    let z = dir.path().join("bomb.zip");
    let zeros = vec![0u8; 24 << 20];
    make_zip(&z, &[("zeros.txt", &zeros)]);
    let got = visit(&z, &ZipLimits::default());
    let err = got[0].1.clone().unwrap_err();
    assert!(
        err.starts_with("limit: entry inflates more than 1000 times"),
        "{err}"
    );

    let z2 = dir.path().join("big.zip");
    let text = fixture("good.txt").repeat(200);
    make_zip(&z2, &[("a.txt", &text), ("b.txt", &text)]);
    let limits = ZipLimits {
        max_total: text.len() as u64 + 10,
        ..ZipLimits::default()
    };
    let got = visit(&z2, &limits);
    assert_eq!(got[0].1, Ok(text.len()));
    let err = got[1].1.clone().unwrap_err();
    assert!(
        err.starts_with("limit: archive inflates to more than"),
        "{err}"
    );
}

#[test]
fn corrupt_archive_is_a_failure_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let z = dir.path().join("broken.zip");
    std::fs::write(&z, b"PK\x03\x04 this is not really a zip archive").unwrap();
    let got = visit(&z, &ZipLimits::default());
    assert_eq!(got.len(), 1);
    assert!(
        got[0].1.clone().unwrap_err().starts_with("archive:"),
        "{got:?}"
    );
}

#[test]
fn directories_are_walked_in_order_and_hidden_files_skipped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("b.txt"), b"x").unwrap();
    std::fs::write(dir.path().join("sub/a.txt"), b"x").unwrap();
    std::fs::write(dir.path().join(".hidden"), b"x").unwrap();
    let got = visit(dir.path(), &ZipLimits::default());
    let names: Vec<String> = got
        .iter()
        .map(|(n, _)| {
            Path::new(n)
                .strip_prefix(dir.path())
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(names, vec!["b.txt", "sub/a.txt"]);
}
