//! What a run reads: the inputs as given (files, folders, zips, standard input) and the
//! rules with the command line's overrides.

use crate::{Error, Result};
use ledgerline_extract::batch::BatchMapping;
use ledgerline_extract::source::{InputSpec, ZipLimits, expand};
use ledgerline_journal::Rules;
use ledgerline_journal::rules::Grouping;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The inputs of a run and how to read them.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// Files, folders, zip archives, standard input, in the order given.
    pub specs: Vec<InputSpec>,
    /// Only the files of input folders whose path below the folder (or name) matches;
    /// files named directly are always read.
    pub glob: Option<glob::Pattern>,
    /// A file in an input folder that is not an extract is an error, not a skipped file.
    pub strict_inputs: bool,
    /// Findings listed per input (all are counted).
    pub max_findings: usize,
    /// Zip-bomb guards.
    pub limits: ZipLimits,
}

impl Inputs {
    /// `specs` with the defaults: every file of a folder, clutter skipped, 1,000 findings
    /// listed per input, the default zip limits.
    pub fn new(specs: Vec<InputSpec>) -> Inputs {
        Inputs {
            specs,
            glob: None,
            strict_inputs: false,
            max_findings: 1000,
            limits: ZipLimits::default(),
        }
    }

    /// One file.
    pub fn file(path: &Path) -> Inputs {
        Inputs::new(vec![InputSpec::Path(path.to_owned())])
    }

    /// The inputs with folders expanded (and filtered by the glob), and the names of the
    /// files that came from a folder. A folder that cannot be listed is passed on as it is,
    /// for the reader to report.
    pub fn expanded(&self) -> (Vec<InputSpec>, HashSet<String>) {
        let mut specs = Vec::new();
        let mut from_dir = HashSet::new();
        for spec in &self.specs {
            let dir = match spec {
                InputSpec::Path(p) if p.is_dir() => p.clone(),
                _ => {
                    specs.push(spec.clone());
                    continue;
                }
            };
            let Ok(files) = expand(std::slice::from_ref(spec)) else {
                specs.push(spec.clone());
                continue;
            };
            for f in files {
                let InputSpec::Path(p) = &f else { continue };
                if let Some(pat) = &self.glob {
                    let rel = p.strip_prefix(&dir).unwrap_or(p);
                    let name = p.file_name().map(PathBuf::from).unwrap_or_default();
                    if !pat.matches_path(rel) && !pat.matches_path(&name) {
                        continue;
                    }
                }
                from_dir.insert(p.display().to_string());
                specs.push(f);
            }
        }
        (specs, from_dir)
    }
}

/// The rules of `rules` (the built-in defaults without a file), with `group` overriding its
/// `[journal] group` and the payment-batch column mapping of `batch_map` replacing its
/// `[batch]` section.
pub fn load_rules(
    rules: Option<&Path>,
    group: Option<Grouping>,
    batch_map: Option<&Path>,
) -> Result<Arc<Rules>> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })
    };
    let text = rules.map(read).transpose()?.unwrap_or_default();
    let mut parsed = Rules::parse(&text).map_err(|e| Error::Rules {
        file: rules.map(|p| p.display().to_string()).unwrap_or_default(),
        message: e.to_string(),
    })?;
    if let Some(g) = group {
        parsed.group = g;
    }
    if let Some(path) = batch_map {
        parsed.batch = toml::from_str::<BatchMapping>(&read(path)?).map_err(|e| Error::Rules {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
    }
    Ok(Arc::new(parsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_flag_wins_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.toml");
        std::fs::write(&path, "[journal]\ngroup = \"batch\"\n").unwrap();
        let r = load_rules(Some(&path), None, None).unwrap();
        assert_eq!(r.group, Grouping::Batch);
        let r = load_rules(Some(&path), Some(Grouping::EmployeeDay), None).unwrap();
        assert_eq!(r.group, Grouping::EmployeeDay);
        let r = load_rules(None, Some(Grouping::Batch), None).unwrap();
        assert_eq!(r.group, Grouping::Batch);
    }

    #[test]
    fn a_bad_rules_file_is_named_with_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.toml");
        std::fs::write(&path, "[journal]\ngroup = \"weekly\"\n").unwrap();
        let e = load_rules(Some(&path), None, None).unwrap_err().to_string();
        assert!(
            e.starts_with(&path.display().to_string()) && e.contains("group"),
            "{e}"
        );
        let e = load_rules(Some(&dir.path().join("missing.toml")), None, None).unwrap_err();
        assert!(matches!(e, Error::Read { .. }), "{e}");
    }

    #[test]
    fn the_glob_filters_folder_files_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "x").unwrap();
        std::fs::write(dir.path().join("b.csv"), "x").unwrap();
        let named = dir.path().join("b.csv");
        let mut inputs = Inputs::new(vec![
            InputSpec::Path(dir.path().to_owned()),
            InputSpec::Path(named.clone()),
        ]);
        inputs.glob = Some(glob::Pattern::new("*.txt").unwrap());
        let (specs, from_dir) = inputs.expanded();
        let names: Vec<String> = specs
            .iter()
            .map(|s| match s {
                InputSpec::Path(p) => p.file_name().unwrap().to_string_lossy().into_owned(),
                InputSpec::Stdin => "-".into(),
            })
            .collect();
        assert_eq!(
            names,
            ["a.txt", "b.csv"],
            "the folder's csv is filtered, the named one is not"
        );
        assert!(!from_dir.contains(&named.display().to_string()));
        assert_eq!(from_dir.len(), 1);
    }
}
