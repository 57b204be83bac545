//! # ledgerline-generate
//!
//! Realistic, deterministic synthetic SAE (Standard Accounting Extract) files: several
//! employees and currencies, out-of-pocket cash, IBCP and CBCP company cards, personal
//! charges on a CBCP card (with the employee's repayment line), company-paid entries,
//! cash advances issued and applied (below and above the payout, with the return line),
//! allocations across cost centres, VAT as separate journal lines, card and cash credits.
//!
//! Every report carries Concur's own report totals (Amount Due Employee, Amount Due
//! Company Card, Amount Company Paid ...) computed the way Concur computes them, and the
//! `EXTRACT` header carries the exact record count and journal total, so a generated file
//! validates clean and every report reconciles. The same seed always gives the same bytes.
//!
//! ```
//! use ledgerline_generate::{Generator, Options};
//! let mut out = Vec::new();
//! let summary = Generator::new(Options { reports: 3, seed: 7, ..Options::default() })
//!     .write(&mut out)
//!     .unwrap();
//! assert!(out.starts_with(b"EXTRACT|"));
//! assert_eq!(summary.reports, 3);
//! assert!(summary.rows >= 3);
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

use ledgerline_extract::schema::SaeCol as C;
use ledgerline_extract::split::{Dialect, write_record};
use ledgerline_extract::value::Date;
use rust_decimal::Decimal;
use std::io::{self, Write};
pub mod entries;
pub mod fis;
pub use fis::FisSummary;

/// Version of the generated content: bumped whenever the same options would give different
/// bytes, so cached benchmark data can be told apart.
pub const CONTENT_VERSION: u32 = 2;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Number of expense reports.
    pub reports: u64,
    /// Seed: the same seed gives the same file.
    pub seed: u64,
    /// Batch id written on the header and every row.
    pub batch_id: u64,
    /// Batch date.
    pub batch_date: Date,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            reports: 10,
            seed: 1,
            batch_id: 1,
            batch_date: Date::new(2024, 3, 28).expect("valid date"),
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Expense reports.
    pub reports: u64,
    /// Detail rows.
    pub rows: u64,
    /// Signed sum of the journal amounts (the header total).
    pub journal_total: Decimal,
    /// Bytes written.
    pub bytes: u64,
}

/// SplitMix64: small, fast, and stable across versions (unlike an external RNG crate).
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

struct Country {
    name: &'static str,
    code: &'static str,
    currency: &'static str,
    minor: u32,
    /// Typical amount scale in major units.
    scale: u64,
    vat: Option<(&'static str, &'static str, u32)>,
}

const COUNTRIES: &[Country] = &[
    Country {
        name: "UNITED STATES",
        code: "US",
        currency: "USD",
        minor: 2,
        scale: 1,
        vat: None,
    },
    Country {
        name: "GERMANY",
        code: "DE",
        currency: "EUR",
        minor: 2,
        scale: 1,
        vat: Some(("DEVAT", "Germany VAT", 19)),
    },
    Country {
        name: "UNITED KINGDOM",
        code: "GB",
        currency: "GBP",
        minor: 2,
        scale: 1,
        vat: Some(("UKVAT", "HMRC VAT", 20)),
    },
    Country {
        name: "JAPAN",
        code: "JP",
        currency: "JPY",
        minor: 0,
        scale: 120,
        vat: None,
    },
    Country {
        name: "CANADA",
        code: "CA",
        currency: "CAD",
        minor: 2,
        scale: 1,
        vat: None,
    },
    Country {
        name: "BAHRAIN",
        code: "BH",
        currency: "BHD",
        minor: 3,
        scale: 1,
        vat: None,
    },
];

const LAST: &[&str] = &[
    "Doe", "Garcia", "Müller", "Smith", "Tanaka", "Okafor", "Nguyen", "Rossi", "O'Brien",
    "Kowalski", "Haddad", "Larsen", "Dubois", "Silva", "Chen",
];
const FIRST: &[&str] = &[
    "John", "Maria", "Jürgen", "Aisha", "Kenji", "Chloé", "Liam", "Priya", "Sofia", "Omar", "Noah",
    "Emma",
];
const DEPTS: &[&str] = &["FIN", "ENG", "SALES", "MKT", "OPS", "HR"];
const COST_CENTRES: &[&str] = &["CC100", "CC200", "CC310", "CC420", "CC500"];
const PROJECTS: &[&str] = &["", "", "PRJ-ALPHA", "PRJ-BETA", "PRJ-7"];

struct ExpenseType {
    name: &'static str,
    account: &'static str,
    /// Typical amount range in major units.
    lo: u64,
    hi: u64,
}

const EXPENSES: &[ExpenseType] = &[
    ExpenseType {
        name: "Airfare",
        account: "60100",
        lo: 150,
        hi: 1400,
    },
    ExpenseType {
        name: "Hotel",
        account: "60200",
        lo: 90,
        hi: 600,
    },
    ExpenseType {
        name: "Business Meal",
        account: "60300",
        lo: 12,
        hi: 240,
    },
    ExpenseType {
        name: "Taxi",
        account: "60400",
        lo: 8,
        hi: 90,
    },
    ExpenseType {
        name: "Car Rental",
        account: "60500",
        lo: 40,
        hi: 400,
    },
    ExpenseType {
        name: "Personal Car Mileage",
        account: "60600",
        lo: 10,
        hi: 160,
    },
    ExpenseType {
        name: "Parking",
        account: "60700",
        lo: 3,
        hi: 45,
    },
    ExpenseType {
        name: "Conference Fees",
        account: "60800",
        lo: 100,
        hi: 1200,
    },
    ExpenseType {
        name: "Office Supplies",
        account: "60900",
        lo: 5,
        hi: 150,
    },
    ExpenseType {
        name: "Mobile Phone",
        account: "61000",
        lo: 20,
        hi: 120,
    },
];

const VENDORS: &[&str] = &[
    "DELTA AIR LINES",
    "MARRIOTT",
    "Hilton Garden Inn",
    "UBER TRIP",
    "Joe's \"Famous\" Diner",
    "\"A|B\" Consulting",
    "AVIS",
    "Republic Parking",
    "STAPLES",
    "Café Crème",
];

/// The payment types the generator uses, with the names Concur writes in columns 163/165.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pay {
    Cash,
    Ibcp,
    Cbcp,
    Copd,
}

impl Pay {
    fn code(self) -> &'static str {
        match self {
            Pay::Cash => "CASH",
            Pay::Ibcp => "IBCP",
            Pay::Cbcp => "CBCP",
            Pay::Copd => "COPD",
        }
    }
    fn type_name(self) -> &'static str {
        match self {
            Pay::Cash => "Cash",
            Pay::Ibcp => "Amex IBCP Corporate",
            Pay::Cbcp => "Visa CBCP Central",
            Pay::Copd => "Company Paid COPD",
        }
    }
    /// Payee name on a Company-paid debit line.
    fn payee(self) -> &'static str {
        match self {
            Pay::Cash => "Employee",
            other => other.type_name(),
        }
    }
}

const PERSONAL_CLEARING: &str = "199999";
const CASH_ADVANCE_ACCOUNT: &str = "1009990";

struct Employee {
    id: String,
    last: &'static str,
    first: &'static str,
    dept: &'static str,
    country: &'static Country,
}

/// One journal line before formatting.
#[derive(Default, Clone)]
struct Line {
    entry_id: String,
    tx_type: &'static str,
    expense: &'static str,
    tx_date: Option<Date>,
    personal: bool,
    description: String,
    vendor: &'static str,
    pay: Option<Pay>,
    payer: &'static str,
    payee: &'static str,
    account: String,
    debit: bool,
    amount: Decimal,
    posted: Decimal,
    ca_type: &'static str,
    ca_amount: Option<Decimal>,
    ca_key: String,
    ca_issued: Option<Date>,
    alloc_key: String,
    alloc_pct: &'static str,
    cost_centre: &'static str,
    project: &'static str,
    /// (authority label, authority name, tax amount, tax code)
    tax: Option<(&'static str, &'static str, Decimal, String)>,
    tax_line: bool,
}

struct Report {
    id: String,
    key: u64,
    name: String,
    employee: usize,
    submit: Date,
    processed: Date,
    start: Date,
    end: Date,
    lines: Vec<Line>,
    /// A cash-advance issuance row written just before the report.
    issuance: Option<Line>,
    totals: Totals,
}

#[derive(Default, Clone, Copy)]
struct Totals {
    personal: Decimal,
    claimed: Decimal,
    due_employee: Decimal,
    due_card: Decimal,
    company_paid: Decimal,
    posted: Decimal,
    ca_utilized: Decimal,
    ca_returned: Decimal,
}

/// Generates SAE files.
#[derive(Debug, Clone)]
pub struct Generator {
    opts: Options,
}

impl Generator {
    /// A generator for `opts`.
    pub fn new(opts: Options) -> Self {
        Generator { opts }
    }

    fn employees(&self) -> Vec<Employee> {
        let mut rng = Rng(self.opts.seed ^ 0xE4F1);
        (0..40)
            .map(|i| Employee {
                id: format!("E{:05}", 10_000 + i * 7 + rng.below(7)),
                last: rng.pick(LAST),
                first: rng.pick(FIRST),
                dept: rng.pick(DEPTS),
                country: &COUNTRIES[if rng.chance(55) {
                    0
                } else {
                    rng.below(COUNTRIES.len() as u64) as usize
                }],
            })
            .collect()
    }

    /// Writes the whole file (header, then rows) to `out`.
    ///
    /// The header needs the record count and total before any row, so reports are generated
    /// twice from the same seed: once to total them, once to write them. Memory stays
    /// constant whatever the number of reports.
    pub fn write<W: Write>(&self, out: &mut W) -> io::Result<Summary> {
        let employees = self.employees();
        let (mut rows, mut total) = (0u64, Decimal::ZERO);
        self.each_report(&employees, |r| {
            for l in r.issuance.iter().chain(&r.lines) {
                rows += 1;
                total += signed(l);
            }
        });
        let mut counter = CountingWriter {
            inner: out,
            bytes: 0,
        };
        writeln!(
            counter,
            "EXTRACT|{}|{}|{}|{}",
            self.opts.batch_date,
            rows,
            fmt_amount(total, false),
            self.opts.batch_id
        )?;
        let mut seq = 0u64;
        let mut buf = Vec::with_capacity(8192);
        let mut fields: Vec<String> = vec![String::new(); 400];
        let mut err = None;
        self.each_report(&employees, |r| {
            if err.is_some() {
                return;
            }
            for l in r.issuance.iter().chain(&r.lines) {
                seq += 1;
                buf.clear();
                self.format_row(&employees, r, l, seq, &mut fields, &mut buf);
                if let Err(e) = counter.write_all(&buf) {
                    err = Some(e);
                    return;
                }
            }
        });
        if let Some(e) = err {
            return Err(e);
        }
        counter.flush()?;
        Ok(Summary {
            reports: self.opts.reports,
            rows,
            journal_total: total,
            bytes: counter.bytes,
        })
    }

    fn each_report(&self, employees: &[Employee], mut f: impl FnMut(&Report)) {
        let mut rng = Rng(self.opts.seed);
        let mut ca_key = 5000u64;
        for n in 0..self.opts.reports {
            let r = self.report(&mut rng, employees, n, &mut ca_key);
            f(&r);
        }
    }

    fn money(&self, rng: &mut Rng, c: &Country, lo: u64, hi: u64) -> Decimal {
        let major = (lo + rng.below(hi - lo + 1)) * c.scale;
        let minor = if c.minor == 0 {
            0
        } else {
            rng.below(10u64.pow(c.minor))
        };
        Decimal::new((major * 10u64.pow(c.minor) + minor) as i64, c.minor)
    }

    fn report(&self, rng: &mut Rng, employees: &[Employee], n: u64, ca_key: &mut u64) -> Report {
        let e_idx = rng.below(employees.len() as u64) as usize;
        let emp = &employees[e_idx];
        let c = emp.country;
        let bd = self.opts.batch_date.days();
        let end = Date::from_days(bd - 3 - rng.below(20) as i64);
        let start = Date::from_days(end.days() - rng.below(6) as i64);
        let submit = Date::from_days(end.days() + 1);
        let processed = Date::from_days(submit.days() + 1);
        let id = format!("{:016X}{:04X}", rng.next(), n & 0xFFFF);
        let mut lines: Vec<Line> = Vec::new();
        let mut t = Totals::default();
        let entries = 1 + rng.below(7);
        let mut entry_id = 1000 + n * 10;
        for _ in 0..entries {
            entry_id += 1;
            let et = &EXPENSES[rng.below(EXPENSES.len() as u64) as usize];
            let gross = self.money(rng, c, et.lo, et.hi);
            let tx_date = Date::from_days(
                start.days() + rng.below((end.days() - start.days() + 1) as u64) as i64,
            );
            let roll = rng.below(100);
            let pay = match roll {
                0..=44 => Pay::Cash,
                45..=62 => Pay::Ibcp,
                63..=84 => Pay::Cbcp,
                _ => Pay::Copd,
            };
            let base = Line {
                entry_id: entry_id.to_string(),
                tx_type: "REG",
                expense: et.name,
                tx_date: Some(tx_date),
                description: format!("{} {}", et.name, tx_date),
                vendor: rng.pick(VENDORS),
                pay: Some(pay),
                payer: "Company",
                payee: pay.payee(),
                account: et.account.to_owned(),
                debit: true,
                amount: gross,
                posted: gross,
                cost_centre: rng.pick(COST_CENTRES),
                project: rng.pick(PROJECTS),
                alloc_pct: "100.0000",
                ..Line::default()
            };
            t.posted += gross;
            // A personal charge on the CBCP card: Concur writes the card debit on the
            // clearing account and the employee's repayment as a credit.
            if pay == Pay::Cbcp && rng.chance(12) {
                let card = Line {
                    personal: true,
                    account: PERSONAL_CLEARING.into(),
                    ..base.clone()
                };
                let repay = Line {
                    personal: true,
                    payer: "Employee",
                    payee: "Company",
                    account: PERSONAL_CLEARING.into(),
                    debit: false,
                    ..base.clone()
                };
                t.personal += gross;
                t.due_card += gross;
                t.due_employee -= gross;
                lines.push(card);
                lines.push(repay);
                continue;
            }
            // A refund: the card (or the employee) pays the company back.
            if rng.chance(4) && matches!(pay, Pay::Cash | Pay::Ibcp | Pay::Cbcp) {
                let refund = Line {
                    payer: if pay == Pay::Cash {
                        "Employee"
                    } else {
                        pay.type_name()
                    },
                    payee: "Company",
                    debit: false,
                    description: format!("Refund {}", et.name),
                    ..base.clone()
                };
                t.posted -= gross * Decimal::TWO;
                t.claimed -= gross;
                if pay == Pay::Cash {
                    t.due_employee -= gross;
                } else {
                    t.due_card -= gross;
                }
                lines.push(refund);
                continue;
            }
            t.claimed += gross;
            match pay {
                Pay::Cash => {}
                Pay::Ibcp | Pay::Cbcp => {}
                Pay::Copd => t.company_paid += gross,
            }
            // VAT as a separate journal line on cash entries in VAT countries.
            if let (Some((label, auth, rate)), Pay::Cash) = (c.vat, pay)
                && rng.chance(40)
            {
                let tax =
                    (gross * Decimal::from(rate) / Decimal::from(100 + rate)).round_dp(c.minor);
                let net = gross - tax;
                let code = format!("V{rate}");
                let expense = Line {
                    amount: net,
                    tax: Some((label, auth, tax, code.clone())),
                    ..base.clone()
                };
                let tax_line = Line {
                    payer: label,
                    payee: "Company",
                    account: code.clone(),
                    debit: false,
                    amount: tax,
                    tax: Some((label, auth, tax, code)),
                    tax_line: true,
                    ..base.clone()
                };
                t.due_employee += gross;
                lines.push(expense);
                lines.push(tax_line);
                continue;
            }
            let due = |t: &mut Totals, a: Decimal| match pay {
                Pay::Cash => t.due_employee += a,
                Pay::Ibcp | Pay::Cbcp => t.due_card += a,
                Pay::Copd => {}
            };
            // Allocation across two cost centres (the second part takes the remainder).
            if rng.chance(12) {
                let first = (gross * Decimal::new(6, 1)).round_dp(c.minor);
                for (i, (amt, pct)) in [(first, "60.0000"), (gross - first, "40.0000")]
                    .into_iter()
                    .enumerate()
                {
                    due(&mut t, amt);
                    lines.push(Line {
                        amount: amt,
                        alloc_key: format!("{}{}", entry_id, i + 1),
                        alloc_pct: pct,
                        cost_centre: COST_CENTRES[(i * 2 + n as usize) % COST_CENTRES.len()],
                        ..base.clone()
                    });
                }
                continue;
            }
            due(&mut t, gross);
            lines.push(Line {
                alloc_key: format!("{entry_id}1"),
                ..base
            });
        }

        // A cash advance, issued in this batch and applied on this report.
        let mut issuance = None;
        let cash_total: Decimal = lines
            .iter()
            .filter(|l| l.pay == Some(Pay::Cash) && l.debit && !l.tax_line)
            .map(|l| l.amount)
            .sum();
        if cash_total > Decimal::ZERO && rng.chance(10) {
            *ca_key += 1;
            let key = ca_key.to_string();
            let ca = if rng.chance(50) {
                // Lower than the payout: part of the cash is recovered.
                (cash_total * Decimal::new(6, 1)).round_dp(c.minor)
            } else {
                // Higher than the payout: the employee returns the rest.
                (cash_total + self.money(rng, c, 20, 200)).round_dp(c.minor)
            };
            issuance = Some(Line {
                payer: "Company",
                payee: "Employee",
                account: CASH_ADVANCE_ACCOUNT.into(),
                debit: true,
                amount: ca,
                posted: ca,
                ca_type: "1",
                ca_amount: Some(ca),
                ca_key: key.clone(),
                ca_issued: Some(Date::from_days(start.days() - 2)),
                description: "Cash advance".into(),
                ..Line::default()
            });
            let mut remaining = ca;
            let mut applied = Vec::new();
            for l in lines
                .iter()
                .filter(|l| l.pay == Some(Pay::Cash) && l.debit && !l.tax_line)
            {
                if remaining <= Decimal::ZERO {
                    break;
                }
                let take = remaining.min(l.amount);
                remaining -= take;
                applied.push(Line {
                    payer: "Employee",
                    payee: "Company",
                    account: CASH_ADVANCE_ACCOUNT.into(),
                    debit: false,
                    amount: take,
                    ca_type: "2",
                    ca_amount: Some(ca),
                    ca_key: key.clone(),
                    tax: None,
                    alloc_key: String::new(),
                    ..l.clone()
                });
            }
            if remaining > Decimal::ZERO {
                applied.push(Line {
                    entry_id: String::new(),
                    expense: "Cash Advance Return",
                    tx_type: "REG",
                    pay: Some(Pay::Cash),
                    payer: "Employee",
                    payee: "Company",
                    account: CASH_ADVANCE_ACCOUNT.into(),
                    debit: false,
                    amount: remaining,
                    posted: remaining,
                    ca_type: "2",
                    ca_amount: Some(ca),
                    ca_key: key.clone(),
                    description: "Cash Advance Return".into(),
                    tx_date: Some(end),
                    ..Line::default()
                });
                t.ca_returned = remaining;
            }
            t.ca_utilized = ca - remaining;
            // Every Employee->Company credit reduces what the employee is paid, the
            // returned remainder included (the employee owes it back).
            t.due_employee -= ca;
            lines.extend(applied);
        }
        Report {
            name: format!("{} trip {}", emp.dept, end),
            id,
            key: 100_000 + n,
            employee: e_idx,
            submit,
            processed,
            start,
            end,
            lines,
            issuance,
            totals: t,
        }
    }

    fn format_row(
        &self,
        employees: &[Employee],
        r: &Report,
        l: &Line,
        seq: u64,
        f: &mut [String],
        out: &mut Vec<u8>,
    ) {
        for s in f.iter_mut() {
            s.clear();
        }
        let emp = &employees[r.employee];
        let c = emp.country;
        let mut set = |col: C, v: &str| {
            f[col.index()].push_str(v);
        };
        set(C::Constant, "DETAIL");
        set(C::BatchID, &self.opts.batch_id.to_string());
        set(C::BatchDate, &self.opts.batch_date.to_string());
        set(C::SequenceNumber, &seq.to_string());
        set(C::EmployeeID, &emp.id);
        set(C::EmployeeLastName, emp.last);
        set(C::EmployeeFirstName, emp.first);
        set(C::EmployeeOrgUnit1, "HQ");
        set(C::EmployeeOrgUnit2, emp.dept);
        let amount = fmt_amount(signed(l), true);
        set(C::JournalAmount, &amount);
        set(C::JournalDebitOrCredit, if l.debit { "DR" } else { "CR" });
        set(C::JournalPayerPaymentTypeName, l.payer);
        set(C::JournalPayerPaymentCodeName, pseudo_code(l.payer));
        set(C::JournalPayeePaymentTypeName, l.payee);
        set(C::JournalPayeePaymentCodeName, pseudo_code(l.payee));
        set(C::JournalAccountCode, &l.account);
        set(
            C::EmployeeLoginID,
            &format!("{}@example.com", emp.id.to_lowercase()),
        );
        set(
            C::EmployeeEmailAddress,
            &format!("{}@example.com", emp.id.to_lowercase()),
        );
        if l.ca_type == "1" {
            // Issuance rows carry no report or entry data.
            ca_columns(&mut set, l, c);
            set(
                C::CashAdvanceIssuedDate,
                &l.ca_issued.map(|d| d.to_string()).unwrap_or_default(),
            );
            set(C::CashAdvancePaymentCodeName, "Cash");
            set(C::CashAdvanceName, &format!("Advance {}", l.ca_key));
            out_row(f, out);
            return;
        }
        let t = &r.totals;
        set(C::ReportID, &r.id);
        set(C::ReportKey, &r.key.to_string());
        set(C::Ledger, "DEFAULT");
        set(C::EmployeeDefaultCurrencyAlphaCode, c.currency);
        set(C::ReportHomeCountryName, c.name);
        set(C::ReportSubmitDate, &r.submit.to_string());
        set(C::ReportPaymentProcessingDate, &r.processed.to_string());
        set(C::ReportName, &r.name);
        set(C::ReportImageRequired, "Y");
        set(
            C::ReportHasVATEntry,
            if r.lines.iter().any(|l| l.tax.is_some()) {
                "Y"
            } else {
                "N"
            },
        );
        set(C::ReportHasTAEntry, "N");
        set(C::ReportTotalPostedAmount, &fmt_amount(t.posted, false));
        set(
            C::ReportTotalApprovedAmount,
            &fmt_amount(t.claimed + t.personal, false),
        );
        set(C::ReportPolicyName, "Standard Travel");
        set(C::ReportOrgUnit1, emp.dept);
        set(C::ReportEntryId, &l.entry_id);
        set(C::ReportEntryTransactionType, l.tx_type);
        set(C::ReportEntryExpenseTypeName, l.expense);
        set(
            C::ReportEntryTransactionDate,
            &l.tx_date.map(|d| d.to_string()).unwrap_or_default(),
        );
        set(C::ReportEntryCurrencyAlphaCode, c.currency);
        set(C::ReportEntryExchangeRate, "1.00000000");
        set(C::ReportEntryExchangeRateDirection, "M");
        set(
            C::ReportEntryIsPersonalFlag,
            if l.personal { "Y" } else { "N" },
        );
        set(C::ReportEntryDescription, &l.description);
        set(C::ReportEntryVendorName, l.vendor);
        set(C::ReportEntryReceiptReceivedFlag, "Y");
        let posted = fmt_amount(l.posted, false);
        set(C::ReportEntryTransactionAmount, &posted);
        set(C::ReportEntryPostedAmount, &posted);
        set(C::ReportEntryApprovedAmount, &posted);
        if let Some(p) = l.pay {
            set(C::PaymentTypeCode, p.code());
            set(C::PaymentCode, p.type_name());
            set(C::ReportEntryPaymentTypeName, p.type_name());
            if matches!(p, Pay::Ibcp | Pay::Cbcp) {
                set(C::CreditCardTransactionAmount, &posted);
                set(C::CreditCardTransactionCurrencyAlphaCode, c.currency);
                set(C::CreditCardTransactionPostedAmount, &posted);
                set(C::CreditCardTransactionPostedCurrencyAlphaCode, c.currency);
                set(C::CreditCardTransactionMerchantName, l.vendor);
                set(C::CreditCardTransactionMerchantCountryCode, c.code);
                set(C::BillingAmount, &fmt_amount(l.amount, false));
                set(C::CreditCardTransactionCCTType, "RPE");
            }
        }
        set(C::ReportEntryLocationCountryCode, c.code);
        set(C::ReportEntryForeignOrDomesticFlag, "HOME");
        set(C::JournalKey, &(seq + 7_000_000).to_string());
        set(C::JournalNetOfTotalAdjustedReclaimTax, &amount);
        set(C::JournalNetOfTotalAdjustedTax, &amount);
        if !l.ca_type.is_empty() {
            ca_columns(&mut set, l, c);
        }
        set(C::AllocationKey, &l.alloc_key);
        set(C::AllocationPercentage, l.alloc_pct);
        set(C::AllocationCustom1, l.cost_centre);
        set(C::AllocationCustom2, l.project);
        if let Some((label, auth, tax, code)) = &l.tax {
            let tax = fmt_amount(*tax, false);
            set(C::TaxAuthorityName, auth);
            set(C::TaxAuthorityLabel, label);
            set(C::ReportEntryTaxTransactionAmount, &tax);
            set(C::ReportEntryTaxPostedAmount, &tax);
            set(C::TaxSource, "SYST");
            set(C::ReportEntryTaxReclaimTransactionAmount, &tax);
            set(C::ReportEntryTaxReclaimPostedAmount, &tax);
            set(C::ReportEntryTaxTaxCode, code);
            set(C::ReportEntryTaxReclaimDomesticFlag, "Y");
        }
        let floor = |d: Decimal| fmt_amount(d.max(Decimal::ZERO), false);
        set(C::PersonalExpenses, &fmt_amount(t.personal, false));
        set(C::TotalAmountClaimed, &fmt_amount(t.claimed, false));
        set(C::AmountDueEmployee, &floor(t.due_employee));
        set(C::AmountDueCompanyCard, &floor(t.due_card));
        set(C::AmountNotApproved, "0.0000");
        set(C::AmountCompanyPaid, &fmt_amount(t.company_paid, false));
        set(C::AmountDueCompany, &floor(-t.due_employee));
        set(C::PaymentConfirmedAmount, "0.0000");
        set(
            C::AmountDueEmployeeActual,
            &fmt_amount(t.due_employee, false),
        );
        set(
            C::AmountDueCompanyCardActual,
            &fmt_amount(t.due_card, false),
        );
        set(C::ReportStartDate, &r.start.to_string());
        set(C::ReportEndDate, &r.end.to_string());
        if t.ca_utilized > Decimal::ZERO || t.ca_returned > Decimal::ZERO {
            set(
                C::CashAdvanceReturnsAmount,
                &fmt_amount(t.ca_returned, false),
            );
            set(
                C::CashAdvanceUtilizedAmount,
                &fmt_amount(t.ca_utilized, false),
            );
        }
        out_row(f, out);
    }
}

fn ca_columns(set: &mut impl FnMut(C, &str), l: &Line, c: &Country) {
    let amt = l
        .ca_amount
        .map(|a| fmt_amount(a, false))
        .unwrap_or_default();
    set(C::CashAdvanceRequestAmount, &amt);
    set(C::CashAdvanceRequestCurrencyAlphaCode, c.currency);
    set(C::CashAdvanceExchangeRate, "1.00000000");
    set(C::CashAdvanceCurrencyAlphaCode, c.currency);
    set(C::CashAdvanceTransactionType, l.ca_type);
    set(C::CashAdvanceKey, &l.ca_key);
    set(C::CashAdvancePaymentMethod, "0");
}

fn pseudo_code(name: &str) -> &'static str {
    match name {
        "Company" => "Company/Employee Pseudo Payment Code",
        "Employee" => "Company/Employee Pseudo Payment Code",
        _ => "",
    }
}

fn out_row(f: &[String], out: &mut Vec<u8>) {
    let refs: Vec<&[u8]> = f.iter().map(|s| s.as_bytes()).collect();
    write_record(out, &refs, Dialect::PIPE);
    out.push(b'\n');
}

fn signed(l: &Line) -> Decimal {
    if l.debit { l.amount } else { -l.amount }
}

/// Formats like Concur: 4 decimals, an explicit `+` on journal amounts.
fn fmt_amount(d: Decimal, explicit_sign: bool) -> String {
    let mut d = d;
    d.rescale(4);
    if explicit_sign && d.is_sign_positive() && !d.is_zero() {
        format!("+{d}")
    } else if d.is_zero() {
        "0.0000".into()
    } else {
        d.to_string()
    }
}

struct CountingWriter<'w, W> {
    inner: &'w mut W,
    bytes: u64,
}

impl<W: Write> Write for CountingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The rows of an SAE `extract` whose journal currency is `currency`, its header recounted
/// (record count and journal total), for the formats that take one currency (IIF, Xero).
/// Rows keep their bytes. Panics on an extract this crate did not write (test data only).
pub fn only_currency(extract: &[u8], currency: &str) -> Vec<u8> {
    use ledgerline_extract::split::Splitter;
    let mut s = Splitter::new(Dialect::PIPE);
    s.feed(extract);
    s.finish();
    let mut header: Vec<String> = Vec::new();
    let mut rows: Vec<u8> = Vec::new();
    let (mut count, mut total) = (0u64, Decimal::ZERO);
    while let Some(rec) = s.next_record().expect("a generated extract splits") {
        let field = |i: usize| {
            rec.field(i)
                .map(|f| f.text().trim().to_owned())
                .unwrap_or_default()
        };
        if field(0) == "EXTRACT" {
            header = rec.fields().map(|f| f.text().into_owned()).collect();
            continue;
        }
        let cur = [
            C::EmployeeDefaultCurrencyAlphaCode,
            C::CashAdvanceCurrencyAlphaCode,
            C::ReportEntryCurrencyAlphaCode,
        ]
        .iter()
        .map(|c| field(c.index()))
        .find(|c| !c.is_empty());
        if cur.as_deref() == Some(currency) {
            total +=
                ledgerline_extract::value::parse_amount(field(C::JournalAmount.index()).as_bytes())
                    .expect("a generated amount");
            count += 1;
            rows.extend_from_slice(rec.raw());
            rows.push(b'\n');
        }
    }
    header[2] = count.to_string();
    header[3] = total.to_string();
    let mut out = header.join("|").into_bytes();
    out.push(b'\n');
    out.extend_from_slice(&rows);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let gen_with = |seed| {
            let mut v = Vec::new();
            Generator::new(Options {
                reports: 20,
                seed,
                ..Options::default()
            })
            .write(&mut v)
            .unwrap();
            v
        };
        assert_eq!(gen_with(3), gen_with(3));
        assert_ne!(gen_with(3), gen_with(4));
    }

    #[test]
    fn amounts_are_formatted_like_concur() {
        assert_eq!(fmt_amount(Decimal::new(60011, 2), true), "+600.1100");
        assert_eq!(fmt_amount(Decimal::new(-5, 0), true), "-5.0000");
        assert_eq!(fmt_amount(Decimal::ZERO, true), "0.0000");
    }
}
