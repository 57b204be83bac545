//! `ledgerline`: SAP Concur accounting extracts in, balanced ERP journals out.
//!
//! The binary is glue: it parses flags, wires the library crates together and prints.

mod cli_io;
mod common;
mod connect;
mod convert;
mod entry;
mod fetch;
mod fis;
mod formats;
mod generate;
mod inspect;
mod ledger_cmd;
mod rules_cmd;
mod simulate;
mod summary;
mod sync;
mod validate;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::process::ExitCode;

/// Turn SAP Concur accounting extracts (SAE, PRAE, payment-batch files, plain or zipped)
/// into balanced double-entry journals your ERP can import, and check them before posting.
#[derive(Debug, Parser)]
#[command(name = "ledgerline", version, about, long_about = None)]
#[command(after_help = "\
Inputs are files, directories (read recursively), .zip archives (every entry) or `-` for
standard input; the kind of each file is detected from its content, not its name.

Exit codes (every command): 0 success / clean, 1 error-level findings (nothing written by
convert unless --force; `ledger forget`: an unknown journal), 2 could not run (bad arguments,
unreadable input, rules or ledger), 141 standard output closed by its reader (`| head`).

Start with:  ledgerline generate --reports 5 -o demo.txt && ledgerline convert demo.txt --to csv")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Convert(convert::Args),
    Validate(validate::Args),
    Inspect(inspect::Args),
    Ledger(ledger_cmd::Args),
    Generate(generate::Args),
    Formats(formats::Args),
    Rules(rules_cmd::Args),
    Fetch(fetch::Args),
    Confirm(fis::ConfirmArgs),
    Connect(connect::Args),
    Entry(entry::Args),
    Simulate(simulate::Args),
    Sync(sync::Args),
}

/// `cmd` and its subcommands with each one's `Examples:` block (written in its doc comment)
/// moved after the options, so that `-h` shows the examples as `--help` does.
fn examples_in_short_help(cmd: clap::Command) -> clap::Command {
    let cmd = cmd.mut_subcommands(examples_in_short_help);
    let Some(long) = cmd.get_long_about().map(|s| s.to_string()) else {
        return cmd;
    };
    let Some((about, examples)) = split_examples(&long) else {
        return cmd;
    };
    let after = match cmd.get_after_help() {
        Some(a) => format!("{examples}\n\n{a}"),
        None => examples,
    };
    cmd.long_about(about).after_help(after)
}

/// `text` without its `Examples:` block (the line and the indented lines under it), and the
/// block; `None` when it has none.
fn split_examples(text: &str) -> Option<(String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.trim_end() == "Examples:")?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| !l.starts_with("  "))
        .map_or(lines.len(), |n| start + 1 + n);
    let examples = lines[start..end].join("\n");
    let mut rest: Vec<&str> = lines[..start].to_vec();
    // One blank line where the block was.
    let after = &lines[end..];
    let after = &after[after.iter().take_while(|l| l.trim().is_empty()).count()..];
    while rest.last().is_some_and(|l| l.trim().is_empty()) {
        rest.pop();
    }
    if !after.is_empty() {
        rest.push("");
        rest.extend_from_slice(after);
    }
    Some((rest.join("\n"), examples))
}

fn main() -> ExitCode {
    let matches = examples_in_short_help(Cli::command()).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let result = match cli.command {
        Command::Convert(a) => convert::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Ledger(a) => ledger_cmd::run(a),
        Command::Generate(a) => generate::run(a),
        Command::Formats(a) => formats::run(a),
        Command::Rules(a) => rules_cmd::run(a),
        Command::Fetch(a) => fetch::run(a),
        Command::Confirm(a) => fis::confirm(a),
        Command::Connect(a) => connect::run(a),
        Command::Entry(a) => entry::run(a),
        Command::Simulate(a) => simulate::run(a),
        Command::Sync(a) => sync::run(a),
    };
    match result {
        Ok(code) => code,
        // A reader that stopped early (`ledgerline convert ... | head`) is not worth a
        // message; the status is the shell's for a process ended by SIGPIPE (128 + 13), as
        // with cat or grep, so an unread `validate` report never passes for a clean one.
        Err(e) if cli_io::is_stdout_closed(&e) => ExitCode::from(141),
        Err(e) => {
            eprintln!("ledgerline: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_examples_block_moves_out_and_the_rest_stays_in_order() {
        let text = "Convert extracts.\n\nMore words.\n\nExamples:\n  ledgerline a\n  ledgerline b\n\nExit status: 0.";
        let (about, examples) = split_examples(text).unwrap();
        assert_eq!(about, "Convert extracts.\n\nMore words.\n\nExit status: 0.");
        assert_eq!(examples, "Examples:\n  ledgerline a\n  ledgerline b");
        assert_eq!(split_examples("No examples here."), None);
        // At the very end.
        let (about, examples) = split_examples("Words.\n\nExamples:\n  x").unwrap();
        assert_eq!(
            (about.as_str(), examples.as_str()),
            ("Words.", "Examples:\n  x")
        );
    }

    #[test]
    fn every_command_shows_its_examples_in_short_help() {
        fn check(cmd: &mut clap::Command, path: &str, missing: &mut Vec<String>) {
            for sub in cmd.get_subcommands_mut().filter(|s| s.get_name() != "help") {
                let name = format!("{path} {}", sub.get_name());
                let short = sub.render_help().to_string();
                let long = sub.render_long_help().to_string();
                if !short.contains("Examples:") {
                    missing.push(name.clone());
                }
                assert!(long.matches("Examples:").count() <= 1, "{name}: {long}");
                check(sub, &name, missing);
            }
        }
        let mut cmd = examples_in_short_help(Cli::command());
        cmd.build();
        let mut missing = Vec::new();
        check(&mut cmd, "ledgerline", &mut missing);
        assert!(missing.is_empty(), "no examples in -h of {missing:?}");
    }
}
