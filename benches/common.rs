//! Bench data shared by the criterion benches: synthetic extracts generated once into
//! `target/bench-data/` (never committed). `LEDGERLINE_BENCH_MB` sets the size (default 200).

use ledgerline_generate::{CONTENT_VERSION, Generator, Options};
use std::path::PathBuf;

/// Size of the bench extract in MB.
pub fn size_mb() -> u64 {
    std::env::var("LEDGERLINE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

/// Generates (once) and loads a synthetic extract of about `mb` megabytes.
pub fn bench_data(mb: u64) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let path = dir.join(format!("sae-{mb}mb-v{CONTENT_VERSION}.txt"));
    if !path.exists() {
        // About 5 KB per generated report.
        let reports = mb * 1_000_000 / 5_000;
        let tmp = path.with_extension("tmp");
        let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp).expect("create"));
        Generator::new(Options {
            reports,
            seed: 2024,
            ..Options::default()
        })
        .write(&mut w)
        .expect("generate");
        drop(w);
        std::fs::rename(&tmp, &path).expect("rename");
    }
    std::fs::read(&path).expect("read bench data")
}
