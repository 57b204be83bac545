//! A report whose lines are interrupted: by a line outside any report, by a damaged line
//! of another report, or only by spaces around its id. The validator and the journal
//! builder must agree on where the report's lines start again, since the builder takes
//! the validator's word for it (`RowVerdict::group_seen`) instead of remembering every
//! report itself; in debug builds the builder checks that word against its own set.

use crate::mutations::{join, split_fields};
use crate::support::{codes, convert, generate};
use ledgerline_extract::schema::SaeCol;
use ledgerline_journal::Rules;

/// The lines of a generated extract (header first) and the report id of each line.
fn lines(seed: u64, reports: u64) -> (Vec<Vec<u8>>, Vec<String>) {
    let text = generate(seed, reports);
    let lines: Vec<Vec<u8>> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    let ids = lines
        .iter()
        .map(|l| {
            let f = split_fields(l);
            f.get(SaeCol::ReportID.index())
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .unwrap_or_default()
        })
        .collect();
    (lines, ids)
}

/// A seed whose first report has at least `n` lines (and a second report), and the index
/// of its second line.
fn first_report_of(n: usize) -> (Vec<Vec<u8>>, Vec<String>, usize) {
    for seed in 0..100 {
        let (lines, ids) = lines(seed, 3);
        if ids.len() > n + 1
            && ids[1..=n].iter().all(|i| i == &ids[1])
            && ids.iter().skip(1).any(|i| i != &ids[1])
        {
            return (lines, ids, 2);
        }
    }
    panic!("no generated extract with a report of {n} lines");
}

fn set(line: &mut Vec<u8>, col: SaeCol, value: &str) {
    let mut f = split_fields(line);
    f[col.index()] = value.as_bytes().to_vec();
    *line = join(&f);
}

fn convert_lines(lines: &[Vec<u8>]) -> (Vec<String>, Vec<String>, Vec<u64>) {
    let mut data = lines.join(&b'\n');
    data.push(b'\n');
    let (out, report) = convert("r.txt", &data, Rules::default());
    let not_together = report
        .validation
        .findings
        .items()
        .iter()
        .filter(|f| f.code.to_string() == "SAE152")
        .filter_map(|f| f.line)
        .collect();
    let ids: Vec<String> = out.journals.iter().map(|j| j.id.clone()).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "a journal id twice: {ids:?}");
    (ids, codes(&report), not_together)
}

/// Moves the first line of the second report, changed by `change`, between the first
/// two lines of the first report, and converts: the first report's id, the index of the
/// line moved, and what [`convert_lines`] gives.
fn interrupt(change: impl Fn(&mut Vec<u8>)) -> (String, usize, Vec<String>, Vec<String>, Vec<u64>) {
    let (mut lines, ids, second) = first_report_of(2);
    let r1 = ids[1].clone();
    let from = ids.iter().position(|i| i != &r1 && !i.is_empty()).unwrap();
    let mut moved = lines.remove(from);
    change(&mut moved);
    lines.insert(second, moved);
    let (journals, codes, not_together) = convert_lines(&lines);
    (r1, second, journals, codes, not_together)
}

#[test]
fn a_line_outside_any_report_splits_the_report_in_two_parts() {
    // A line of another report, its report id blanked, moved between the first two.
    let (r1, _, journals, codes, _) = interrupt(|moved| set(moved, SaeCol::ReportID, ""));
    // (The first part, one line, may not balance on its own and be rejected.)
    assert!(
        journals.contains(&format!("{r1}#2")),
        "{journals:?} {codes:?}"
    );
    assert!(codes.iter().any(|c| c == "JNL152"), "{codes:?}");
}

#[test]
fn a_damaged_line_of_another_report_splits_it_and_both_checks_say_so() {
    // One field too many: not well-formed.
    let (r1, second, journals, codes, not_together) =
        interrupt(|moved| moved.extend_from_slice(b"|extra"));
    assert!(
        journals.contains(&format!("{r1}#2")),
        "{journals:?} {codes:?}"
    );
    // The validator names the line where the report starts again (1-based).
    assert!(
        not_together.contains(&(second as u64 + 2)),
        "{not_together:?} {codes:?}"
    );
}

#[test]
fn spaces_around_a_report_id_do_not_split_the_report() {
    // Three lines, the middle one spelt otherwise: read byte for byte, the third line
    // would be the report coming back.
    let (mut lines, ids, second) = first_report_of(3);
    let r1 = ids[1].clone();
    set(&mut lines[second], SaeCol::ReportID, &format!("  {r1} "));
    let (journals, codes, not_together) = convert_lines(&lines);
    assert_eq!(
        journals.iter().filter(|j| j.starts_with(&r1)).count(),
        1,
        "{journals:?}"
    );
    assert!(journals.contains(&r1));
    assert!(not_together.is_empty(), "{codes:?}");
    assert!(!codes.iter().any(|c| c == "JNL152"), "{codes:?}");
}
