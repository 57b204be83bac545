//! The last look at a journal before it is written: at the target's precision it must
//! balance, have at least two lines, no line with both a debit and a credit, no negative
//! amount, and amounts that fit the target's number fields.
//!
//! The journal engine already guarantees all of this at the currency's minor units; a target
//! with fewer decimals than the currency (NetSuite, QuickBooks, Xero and Intacct take two,
//! a dinar has three) gets the journal re-rounded by largest remainder per side, so that it
//! still balances, with a warning. Anything else wrong is an error: the file is not written.

use crate::Warnings;
use ledgerline_journal::Journal;
use ledgerline_journal::round::largest_remainder;
use rust_decimal::Decimal;
use std::borrow::Cow;

/// What a target's amount fields hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Precision {
    /// Most decimals an amount may have (`None`: the currency's minor units).
    pub max_decimals: Option<u32>,
    /// Most digits before the decimal point (`None`: no limit).
    pub max_integer_digits: Option<u32>,
}

impl Precision {
    /// No limits beyond the currency's.
    pub const ANY: Precision = Precision {
        max_decimals: None,
        max_integer_digits: None,
    };

    /// The scale amounts are written with for `j`.
    pub fn scale(&self, j: &Journal) -> u32 {
        match self.max_decimals {
            Some(m) => j.minor_units.min(m),
            None => j.minor_units,
        }
    }
}

/// Why a journal is not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{format}: journal {journal}: {reason}")]
pub struct CheckError {
    /// The format.
    pub format: &'static str,
    /// The journal id.
    pub journal: String,
    /// What is wrong.
    pub reason: String,
}

impl From<CheckError> for std::io::Error {
    fn from(e: CheckError) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e)
    }
}

/// Checks `j` for `format` at precision `p`, re-rounding it when the target takes fewer
/// decimals than the currency has.
pub fn prepare<'a>(
    format: &'static str,
    j: &'a Journal,
    p: Precision,
    warnings: &mut Warnings<'_>,
) -> Result<Cow<'a, Journal>, CheckError> {
    let err = |reason: String| CheckError {
        format,
        journal: j.id.clone(),
        reason,
    };
    let scale = p.scale(j);
    let mut j: Cow<'a, Journal> = Cow::Borrowed(j);
    if scale < j.minor_units
        && j.lines
            .iter()
            .any(|l| !fits_scale(l.debit, scale) || !fits_scale(l.credit, scale))
    {
        let mut owned = j.into_owned();
        let had = owned.minor_units;
        reround(&mut owned, scale);
        warnings.warn(
            format,
            &owned.id,
            None,
            format!(
                "{} amounts have {had} decimals and this format takes {scale}: re-rounded by largest remainder (the journal still balances)",
                owned.currency
            ),
        );
        j = Cow::Owned(owned);
    }
    if j.lines.len() < 2 {
        return Err(err(format!(
            "{} line(s); an entry needs at least two",
            j.lines.len()
        )));
    }
    let max = p
        .max_integer_digits
        .map(|d| Decimal::from_i128_with_scale(10i128.pow(d), 0));
    for l in &j.lines {
        if l.debit.is_sign_negative() && !l.debit.is_zero()
            || l.credit.is_sign_negative() && !l.credit.is_zero()
        {
            return Err(err(format!("line {} has a negative amount", l.line)));
        }
        if !l.debit.is_zero() && !l.credit.is_zero() {
            return Err(err(format!(
                "line {} has both a debit and a credit",
                l.line
            )));
        }
        if !fits_scale(l.debit, scale) || !fits_scale(l.credit, scale) {
            return Err(err(format!(
                "line {} has more than {scale} decimals",
                l.line
            )));
        }
        if let Some(max) = max
            && (l.debit >= max || l.credit >= max)
        {
            return Err(err(format!(
                "line {}: {} is too large for this format (at most {} digits before the decimal point)",
                l.line,
                l.debit.max(l.credit),
                p.max_integer_digits.unwrap_or(0)
            )));
        }
    }
    let diff = j.total_debit() - j.total_credit();
    if !diff.is_zero() {
        return Err(err(format!(
            "does not balance at {scale} decimals (debits - credits = {diff})"
        )));
    }
    Ok(j)
}

fn fits_scale(d: Decimal, scale: u32) -> bool {
    d.round_dp(scale) == d
}

/// Re-rounds every line of `j` to `scale` decimals so that it still balances: each side's
/// lines share that side's rounded total by largest remainder.
pub fn reround(j: &mut Journal, scale: u32) {
    for debit_side in [true, false] {
        let idx: Vec<usize> = (0..j.lines.len())
            .filter(|&i| {
                let l = &j.lines[i];
                if debit_side {
                    !l.debit.is_zero()
                } else {
                    !l.credit.is_zero()
                }
            })
            .collect();
        let amounts: Vec<Decimal> = idx
            .iter()
            .map(|&i| {
                let l = &j.lines[i];
                if debit_side { l.debit } else { l.credit }
            })
            .collect();
        let total: Decimal = amounts.iter().sum();
        let rounded = largest_remainder(&amounts, total.round_dp(scale), scale);
        for (&i, mut r) in idx.iter().zip(rounded) {
            r.rescale(scale);
            let l = &mut j.lines[i];
            if debit_side {
                l.debit = r;
            } else {
                l.credit = r;
            }
        }
    }
    for l in &mut j.lines {
        l.debit.rescale(scale);
        l.credit.rescale(scale);
    }
    j.minor_units = scale;
}

/// `d` written with exactly `scale` decimals (`125.4` at 2 is `125.40`).
pub fn amount(d: Decimal, scale: u32) -> String {
    let mut d = d;
    d.rescale(scale);
    d.to_string()
}

/// `d` signed (debit positive) written with exactly `scale` decimals.
pub fn signed(debit: Decimal, credit: Decimal, scale: u32) -> String {
    if credit.is_zero() {
        amount(debit, scale)
    } else {
        amount(-credit, scale)
    }
}
