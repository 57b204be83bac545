//! Structured mutations of valid extracts keep the posting guarantees (issue 10): a small
//! generated SAE file is mutated (a row resized, a column changed, lines deleted, duplicated,
//! moved, the file truncated), then converted; the result must pass the same oracle as the
//! `convert` fuzz target (`oracle.rs`): refused, or every DETAIL line in exactly one
//! journal or in the rejection list, every journal balanced.
//!
//! A violation is tolerated only when it is one of the known bugs still listed in
//! `oracle::PENDING` (whose fixes are in flight); everything else fails the test.
//! `LEDGERLINE_FUZZ_STRICT=1` tolerates nothing (to see the known bugs show up).

use crate::oracle;
use crate::support::{convert, generate};
use ledgerline_extract::schema::SaeCol;
use ledgerline_extract::split::{Dialect, Record, split_line, write_record};
use ledgerline_journal::Rules;
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Columns where a change means something to classification and posting.
const COLUMNS: &[SaeCol] = &[
    SaeCol::JournalAmount,
    SaeCol::JournalDebitOrCredit,
    SaeCol::JournalAccountCode,
    SaeCol::JournalPayerPaymentTypeName,
    SaeCol::JournalPayeePaymentTypeName,
    SaeCol::CashAdvanceTransactionType,
    SaeCol::ReportID,
    SaeCol::ReportEntryIsPersonalFlag,
    SaeCol::EmployeeDefaultCurrencyAlphaCode,
    SaeCol::ReportEntryCurrencyAlphaCode,
    SaeCol::AmountDueEmployeeActual,
    SaeCol::AmountDueCompanyCardActual,
    SaeCol::SequenceNumber,
];

const VALUES: &[&str] = &[
    "",
    "0",
    "0.0000",
    "-0.0000",
    "0.001",
    "-0.004",
    "0.005",
    "12.3456",
    "-12.3456",
    "100",
    "-100",
    "1e5",
    "abc",
    "DR",
    "CR",
    "Y",
    "N",
    "USD",
    "JPY",
    "BHD",
    "XXX",
    "1",
    "2",
    "3",
    "Company",
    "Employee",
    "Amex IBCP",
    "Visa CBCP",
    "COPD",
    "IBIP",
    "R-1",
    "99999999999999999.9999",
    "\"",
    " 5.00 ",
    "$5.00",
];

/// A position among however many candidates there are (a line, a column, a value).
#[derive(Debug, Clone, Copy)]
struct Pick(usize);

impl Pick {
    fn index(self, n: usize) -> usize {
        self.0 % n.max(1)
    }
}

fn pick() -> impl Strategy<Value = Pick> {
    any::<usize>().prop_map(Pick)
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Cut a detail row to `n` fields or pad it with empty ones.
    Resize(Pick, usize),
    /// Set one column of one detail row.
    SetColumn(Pick, Pick, Pick),
    /// Set one column of one detail row to any of a few hundred column positions.
    SetAnyColumn(Pick, usize, Pick),
    /// Set one column on every row of the report of one detail row (report-level values
    /// stay consistent, so the change is not just refused).
    SetColumnReport(Pick, Pick, Pick),
    Delete(Pick),
    Duplicate(Pick),
    Move(Pick, Pick),
    /// Cut the file at a byte.
    Truncate(Pick),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => (pick(), prop_oneof![0usize..10, 160usize..175, 395usize..405])
            .prop_map(|(l, n)| Mutation::Resize(l, n)),
        3 => (pick(), pick(), pick())
            .prop_map(|(l, c, v)| Mutation::SetColumn(l, c, v)),
        1 => (pick(), 0usize..400, pick())
            .prop_map(|(l, c, v)| Mutation::SetAnyColumn(l, c, v)),
        2 => (pick(), pick(), pick()).prop_map(|(l, c, v)| Mutation::SetColumnReport(l, c, v)),
        1 => pick().prop_map(Mutation::Delete),
        1 => pick().prop_map(Mutation::Duplicate),
        1 => (pick(), pick()).prop_map(|(a, b)| Mutation::Move(a, b)),
        1 => pick().prop_map(Mutation::Truncate),
    ]
}

/// A line's field values (quoted values unquoted), as the splitter reads them.
pub(crate) fn split_fields(line: &[u8]) -> Vec<Vec<u8>> {
    let mut spans = Vec::new();
    let flags = split_line(line, Dialect::PIPE, &mut spans);
    Record::new(line, &spans, Default::default(), flags)
        .fields()
        .map(|f| f.bytes().into_owned())
        .collect()
}

/// Writes field values back as a line (quoting where needed).
pub(crate) fn join(fields: &[Vec<u8>]) -> Vec<u8> {
    let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
    let mut out = Vec::new();
    write_record(&mut out, &refs, Dialect::PIPE);
    out
}

fn apply(lines: &mut Vec<Vec<u8>>, m: &Mutation) {
    if lines.len() < 2 {
        return;
    }
    // Pick 0 is the EXTRACT header: row mutations pick among the others.
    let row = |i: &Pick, n: usize| 1 + i.index(n - 1);
    let n = lines.len();
    match m {
        Mutation::Resize(l, k) => {
            let r = row(l, n);
            let mut f = split_fields(&lines[r]);
            f.resize(*k.max(&1), Vec::new());
            lines[r] = join(&f);
        }
        Mutation::SetColumn(l, c, v) => {
            let r = row(l, n);
            let col = COLUMNS[c.index(COLUMNS.len())].index();
            set(&mut lines[r], col, VALUES[v.index(VALUES.len())]);
        }
        Mutation::SetAnyColumn(l, col, v) => {
            let r = row(l, n);
            set(&mut lines[r], *col, VALUES[v.index(VALUES.len())]);
        }
        Mutation::SetColumnReport(l, c, v) => {
            let report = |line: &[u8]| split_fields(line).get(SaeCol::ReportID.index()).cloned();
            let id = report(&lines[row(l, n)]);
            let col = COLUMNS[c.index(COLUMNS.len())].index();
            for line in lines.iter_mut().skip(1) {
                if report(line) == id {
                    set(line, col, VALUES[v.index(VALUES.len())]);
                }
            }
        }
        Mutation::Delete(l) => {
            lines.remove(row(l, n));
        }
        Mutation::Duplicate(l) => {
            let r = row(l, n);
            let copy = lines[r].clone();
            lines.insert(r, copy);
        }
        Mutation::Move(a, b) => {
            let from = row(a, n);
            let line = lines.remove(from);
            let to = 1 + b.index(lines.len());
            lines.insert(to, line);
        }
        Mutation::Truncate(_) => {} // applied to the bytes, last
    }
}

fn set(line: &mut Vec<u8>, col: usize, value: &str) {
    let mut f = split_fields(line);
    if col < f.len() {
        f[col] = value.as_bytes().to_vec();
        *line = join(&f);
    }
}

/// Makes the file-level checks pass again after the mutations (record count, journal total,
/// sequence numbers; optionally without Concur's report totals), so that the row-level
/// damage is what the pipeline has to deal with rather than a refusal of the whole file.
fn reseal(lines: &mut [Vec<u8>], drop_totals: bool) {
    let mut count = 0u64;
    let mut total = Decimal::ZERO;
    for line in lines.iter_mut().skip(1) {
        let mut f = split_fields(line);
        if f.first().map(Vec::as_slice) != Some(b"DETAIL") {
            continue;
        }
        count += 1;
        if let Some(a) = f
            .get(SaeCol::JournalAmount.index())
            .and_then(|a| std::str::from_utf8(a).ok()?.trim().parse::<Decimal>().ok())
        {
            total += a;
        }
        if let Some(s) = f.get_mut(SaeCol::SequenceNumber.index()) {
            *s = count.to_string().into_bytes();
        }
        if drop_totals {
            for c in [
                SaeCol::AmountDueEmployeeActual,
                SaeCol::AmountDueCompanyCardActual,
            ] {
                if let Some(v) = f.get_mut(c.index()) {
                    v.clear();
                }
            }
        }
        *line = join(&f);
    }
    let mut h = split_fields(&lines[0]);
    if h.len() == 5 {
        h[2] = count.to_string().into_bytes();
        h[3] = format!("{:.4}", total).into_bytes();
        lines[0] = join(&h);
    }
}

fn build(seed: u64, reports: u64, muts: &[Mutation], seal: bool, drop_totals: bool) -> Vec<u8> {
    let text = generate(seed, reports);
    let mut lines: Vec<Vec<u8>> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    for m in muts {
        apply(&mut lines, m);
    }
    if seal {
        reseal(&mut lines, drop_totals);
    }
    let mut out = lines.join(&b'\n');
    out.push(b'\n');
    if let Some(Mutation::Truncate(at)) = muts.iter().find(|m| matches!(m, Mutation::Truncate(_))) {
        out.truncate(at.index(out.len() + 1));
    }
    out
}

/// Deterministic in CI (a fixed seed, 128 cases); `PROPTEST_RNG_SEED` and `PROPTEST_CASES`
/// explore further.
fn config() -> ProptestConfig {
    let env = ProptestConfig::default();
    ProptestConfig {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            env.cases
        } else {
            128
        },
        rng_seed: if std::env::var_os("PROPTEST_RNG_SEED").is_some() {
            env.rng_seed
        } else {
            proptest::test_runner::RngSeed::Fixed(20_261_201)
        },
        failure_persistence: None,
        ..env
    }
}

proptest! {
    #![proptest_config(config())]
    #[test]
    fn mutated_extracts_keep_the_posting_guarantees(
        seed in 0u64..1000,
        reports in 1u64..4,
        muts in proptest::collection::vec(mutation(), 1..4),
        seal in prop::bool::weighted(0.8),
        drop_totals in any::<bool>(),
    ) {
        let data = build(seed, reports, &muts, seal, drop_totals);
        if let Err(v) = oracle::check_convert(&data) {
            let bug = oracle::known_bug(&data, oracle::convert_rules_for(&data), &v);
            let strict = std::env::var_os("LEDGERLINE_FUZZ_STRICT").is_some();
            prop_assert!(
                !strict && bug.is_some_and(oracle::is_pending),
                "{v} (known bug: {bug:?})\nmutations: {muts:?}"
            );
        }
    }
}

/// The mutations are not all refused: the property above really exercises conversion.
#[test]
fn most_sealed_mutations_are_converted_not_refused() {
    let mut converted = 0;
    for seed in 0..20u64 {
        let muts = [Mutation::Move(
            Pick(seed as usize * 7919),
            Pick(seed as usize * 104729),
        )];
        let data = build(seed, 3, &muts, true, true);
        let (sink, report) = convert("m", &data, Rules::default());
        if report.validation.findings.errors() == 0 && !sink.journals.is_empty() {
            converted += 1;
        } else {
            for f in report
                .validation
                .findings
                .items()
                .iter()
                .filter(|f| f.severity == ledgerline_findings::Severity::Error)
                .take(3)
            {
                eprintln!("seed {seed}: {f}");
            }
        }
    }
    assert!(
        converted >= 10,
        "only {converted} of 20 moved-line files converted"
    );
}
