//! One extract into one ERP file, and the commit that records a posting in the ledger.

use crate::{Checks, Error, Inputs, NoProgress, Result, Run, Tally, Tee, drive};
use ledgerline_atomic::{AtomicFile, OutputSet, WriteBehind};
use ledgerline_erp::Format;
use ledgerline_guard::duplicates::DuplicateCheck;
use ledgerline_journal::Rules;
use ledgerline_journal::pipeline::{ConvertOptions, Sink};
use ledgerline_ledger::PostingLedger;
use ledgerline_ledger::posting::file_sha256;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What [`convert_file`] did with one file.
#[derive(Debug)]
pub struct Converted {
    /// The run (findings, counts).
    pub run: Run,
    /// Whether the output was written (not when the file has error-level findings, nor when
    /// every journal in it was posted already).
    pub written: bool,
    /// What was written per currency, and the lines left out (the journals posted before
    /// among them: [`Tally::posted_before`]).
    pub tally: Tally,
}

/// Puts `journals` in place together with `others` (the rejects file), or neither. With a
/// posting `ledger`, records the journals `check` let through around the renames: the run
/// is stored as pending with the SHA-256 of the journals file, the files are renamed, the
/// run is marked done. A process killed in between is settled the next time the ledger is
/// opened, by whether the file is there. `failpoint` is called between the steps (tests
/// stop the process there).
pub fn post(
    journals: AtomicFile,
    others: OutputSet,
    ledger: Option<(&mut PostingLedger, DuplicateCheck)>,
    failpoint: &dyn Fn(&str),
) -> Result<()> {
    let pending = match ledger {
        Some((ledger, check)) if !check.pending().is_empty() => {
            let sha = file_sha256(journals.temp_path())?;
            let output = absolute(journals.dest());
            let records = check.into_records(&output);
            let run = ledger.begin(&output, &sha, &records)?;
            failpoint("ledger-pending");
            Some((ledger, run))
        }
        _ => None,
    };
    let mut set = OutputSet::default();
    set.add(journals);
    set.extend(others);
    set.commit()?;
    if let Some((ledger, run)) = pending {
        failpoint("output-renamed");
        ledger.finish(run)?;
    }
    Ok(())
}

/// Refuses to write over `dest` when the posting `ledger` records journals written into it
/// and it is still there: the journals in it count as posted, so replacing the file before
/// it is imported would lose them for good (every later run skips them as posted). A file
/// moved away or deleted (once imported) is no longer protected.
pub fn refuse_overwriting_posted(ledger: &PostingLedger, dest: &Path) -> Result<()> {
    if !dest.exists() {
        return Ok(());
    }
    let output = absolute(dest);
    let journals = ledger.list()?.iter().filter(|p| p.output == output).count();
    if journals > 0 {
        return Err(Error::OverwritesPosted {
            path: dest.to_owned(),
            journals,
        });
    }
    Ok(())
}

/// Converts `input` into `output` in `format` (atomically, and only when the input has no
/// error-level finding). What `fetch --convert` does for each new file.
///
/// With a posting `ledger`, journals it records as posted already for the format are left
/// out (JNL208 warning) and the ones written are recorded as [`post`] does. A file whose
/// journals were all posted already is not written at all ([`Tally::nothing_new`], the rule
/// `convert` follows too), nor, with a ledger, one that has no journal at all.
pub fn convert_file(
    input: &Path,
    format: Format,
    rules: Arc<Rules>,
    output: &Path,
    ledger: Option<&mut PostingLedger>,
) -> Result<Converted> {
    let mut inputs = Inputs::file(input);
    inputs.max_findings = 100;
    let opts = ConvertOptions::new(rules.clone());
    let mut check = ledger
        .as_deref()
        .map(|l| DuplicateCheck::new(l, format.name(), false))
        .transpose()?;
    let mut file = AtomicFile::create(output)?;
    let (run, tally) = {
        let clone = file.writer().try_clone().map_err(Error::Output)?;
        let writer = WriteBehind::new(clone, 1 << 20).map_err(Error::Output)?;
        let mut tee = Tee::new(ledgerline_erp::create(format, writer, &rules)?);
        let checks = Checks {
            accounts: None,
            ledger: check.as_mut(),
        };
        let run = drive(&inputs, &opts, &mut tee, checks, &mut NoProgress)?;
        tee.finish().map_err(Error::Output)?;
        (run, tee.tally)
    };
    // Fetching with a ledger, an extract with no journal at all gives no file either: Concur
    // delivers header-only extracts on days without approved reports, and an empty import
    // file in the convert folder is noise (`convert -o` still writes the file it was asked
    // for).
    let empty = ledger.is_some() && run.journals == 0;
    let written = if run.refusal(false).is_some() || tally.nothing_new(&run) || empty {
        false
    } else {
        post(file, OutputSet::default(), ledger.zip(check), &|_| {})?;
        true
    };
    Ok(Converted {
        run,
        written,
        tally,
    })
}

/// `path` made absolute (its directory resolved), for the ledger's records.
pub(crate) fn absolute(path: &Path) -> String {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(PathBuf::from).unwrap_or_default();
    std::fs::canonicalize(&dir)
        .map(|d| d.join(&name))
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(extract: &[u8], ledger: bool) -> (Converted, bool) {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("extract.txt");
        std::fs::write(&input, extract).unwrap();
        let output = dir.path().join("out.jsonl");
        let mut l = ledger.then(|| PostingLedger::open(&dir.path().join("l.sqlite")).unwrap());
        let rules = crate::load_rules(None, None, None).unwrap();
        let c = convert_file(&input, Format::Jsonl, rules, &output, l.as_mut()).unwrap();
        let exists = output.exists();
        (c, exists)
    }

    fn extract(reports: u64) -> Vec<u8> {
        let mut v = Vec::new();
        ledgerline_generate::Generator::new(ledgerline_generate::Options {
            reports,
            ..Default::default()
        })
        .write(&mut v)
        .unwrap();
        v
    }

    #[test]
    fn fetching_with_a_ledger_writes_no_file_for_an_extract_without_journals() {
        let header_only = b"EXTRACT|2024-03-28|0|0.0000|1\n";
        let (c, exists) = convert(header_only, true);
        assert_eq!(c.run.errors(), 0, "{:?}", c.run.reports);
        assert!(!c.written && !exists);
        // Without a ledger the (empty) file is written, as asked.
        let (c, exists) = convert(header_only, false);
        assert!(c.written && exists);
        // An extract with journals is written, with or without a ledger.
        let (c, exists) = convert(&extract(3), true);
        assert!(c.written && exists && c.run.journals > 0);
    }
}
