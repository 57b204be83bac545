//! Generated files always validate clean, whatever the seed.

use ledgerline_extract::validate::{ValidateOptions, validate_reader};
use ledgerline_generate::{Generator, Options};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn generated_extracts_have_no_findings(seed in any::<u64>(), reports in 1u64..40) {
        let mut file = Vec::new();
        let summary = Generator::new(Options { reports, seed, ..Options::default() })
            .write(&mut file)
            .unwrap();
        let r = validate_reader("gen", file.as_slice(), &ValidateOptions::default(), &mut |_| {});
        let shown: Vec<String> = r.findings.items().iter().map(|f| f.to_string()).collect();
        prop_assert!(shown.is_empty(), "seed {seed}: {shown:#?}");
        prop_assert_eq!(r.rows, summary.rows);
        prop_assert_eq!(r.reports, reports);
        prop_assert_eq!(summary.bytes as usize, file.len());
    }
}
