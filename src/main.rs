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

use clap::{Parser, Subcommand};
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

fn main() -> ExitCode {
    let cli = Cli::parse();
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
