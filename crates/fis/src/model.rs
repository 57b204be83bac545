//! The FIS document model: the envelopes (a v4 GET page, the v1 `fIDocuments` wrapper, a
//! list), the `FIDocument` and the three document payloads that carry postings (expense,
//! cash advance, invoice), read in one pass with every scalar kept as raw JSON text (see
//! [`crate::json`]). Keys Ledgerline does not use are skipped unread; numbered families
//! (`reportCustom1Code` ... `reportCustom20Code`) land in arrays indexed by their number.

use crate::json::{Fill, Raw, numbered, object, raw, skip};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess};
use serde_json::value::RawValue;

/// Implements [`Fill`] (and `Deserialize`) for a struct of raw fields: `"key" => field`
/// pairs, then optional arms for numbered families and nested values.
macro_rules! fields {
    ($ty:ident { $($key:literal => $f:ident),* $(,)? } $(numbered { $($prefix:literal, $suffix:literal, $max:literal => $arr:ident),* $(,)? })? $(nested { $($nkey:literal => $nf:ident),* $(,)? })?) => {
        impl<'de> Fill<'de> for $ty<'de> {
            fn fill<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
                match key {
                    $($key => self.$f = raw(map)?,)*
                    $($($nkey => self.$nf = map.next_value()?,)*)?
                    _ => {
                        $($(if let Some(n) = numbered(key, $prefix, $suffix, $max) {
                            self.$arr[n] = raw(map)?;
                            return Ok(());
                        })*)?
                        skip(map)?;
                    }
                }
                Ok(())
            }
        }
        impl<'de> Deserialize<'de> for $ty<'de> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                object(d)
            }
        }
    };
}

/// A numbered family of raw fields, indexed by number (index 0 unused).
#[derive(Debug, Clone, Copy)]
pub struct Numbered<'a, const N: usize>(pub [Raw<'a>; N]);

impl<const N: usize> Default for Numbered<'_, N> {
    fn default() -> Self {
        Numbered([None; N])
    }
}

impl<'a, const N: usize> std::ops::Index<usize> for Numbered<'a, N> {
    type Output = Raw<'a>;
    fn index(&self, i: usize) -> &Raw<'a> {
        &self.0[i]
    }
}

impl<const N: usize> std::ops::IndexMut<usize> for Numbered<'_, N> {
    fn index_mut(&mut self, i: usize) -> &mut Self::Output {
        &mut self.0[i]
    }
}

/// The top of a JSON value: a page (v4 `content`, v1 `fIDocuments`), an `FIDocument`, or a
/// bare document payload; which keys are present says which.
#[derive(Debug, Default)]
pub struct Top<'a> {
    /// v1 wrapper: the documents.
    pub fi_documents: Raw<'a>,
    /// v4 page: the documents.
    pub content: Raw<'a>,
    /// `FIDocument.id` (32 hex digits).
    pub id: Raw<'a>,
    /// `FIDocument.docType`.
    pub doc_type: Raw<'a>,
    /// `FIDocument.document`: an object, or its JSON as a string (`DocumentFormatAs: text`).
    pub document: Raw<'a>,
    /// `FIDocument.documentBlob` (the swagger's name for the payload).
    pub document_blob: Raw<'a>,
    /// `FIDocument.docStatus`.
    pub doc_status: Raw<'a>,
    /// `FIDocument.companyId`.
    pub company_id: Raw<'a>,
    /// Expense payload keys, when the value is a bare document.
    pub report: Raw<'a>,
    /// Expense payload.
    pub expense_entry: Raw<'a>,
    /// Cash-advance payload.
    pub cash_advance_data: Raw<'a>,
    /// Invoice payload.
    pub request_header: Raw<'a>,
    /// A canonical journal line's first key (`convert --to jsonl`), to name it.
    pub journal_id: Raw<'a>,
}

fields!(Top {
    "fIDocuments" => fi_documents,
    "content" => content,
    "id" => id,
    "docType" => doc_type,
    "document" => document,
    "documentBlob" => document_blob,
    "docStatus" => doc_status,
    "companyId" => company_id,
    "report" => report,
    "expenseEntry" => expense_entry,
    "cashAdvanceData" => cash_advance_data,
    "requestHeader" => request_header,
    "journal_id" => journal_id,
});

/// An employee (`employee` of an expense, `employeeData` of a cash advance,
/// `ownerEmployee` of an invoice).
#[derive(Debug, Default)]
pub struct Employee<'a> {
    /// `employeeId` (SAE 5).
    pub id: Raw<'a>,
    /// `employeeLastName` (6).
    pub last: Raw<'a>,
    /// `employeeFirstName` (7).
    pub first: Raw<'a>,
    /// `employeeMI` (8).
    pub mi: Raw<'a>,
    /// `loginId` (264).
    pub login: Raw<'a>,
    /// `emailAddress` (265).
    pub email: Raw<'a>,
    /// `employeeCustom{n}Code`, n = 1..=21 (266-285; 21 is SAE 9).
    pub custom: [Raw<'a>; 22],
    /// `employeeCustom{n}Value`.
    pub custom_value: [Raw<'a>; 22],
    /// `employeeOrgUnit{n}Code`, n = 1..=6 (10-15).
    pub org: [Raw<'a>; 7],
    /// `employeeOrgUnit{n}Value`.
    pub org_value: [Raw<'a>; 7],
}

fields!(Employee {
    "employeeId" => id,
    "employeeLastName" => last,
    "employeeFirstName" => first,
    "employeeMI" => mi,
    "loginId" => login,
    "emailAddress" => email,
} numbered {
    "employeeCustom", "Code", 21 => custom,
    "employeeCustom", "Value", 21 => custom_value,
    "employeeOrgUnit", "Code", 6 => org,
    "employeeOrgUnit", "Value", 6 => org_value,
});

/// The `report` of an expense document.
#[derive(Debug, Default)]
pub struct Report<'a> {
    /// `reportId` (SAE 19): the journal's id.
    pub id: Raw<'a>,
    /// `reportKey` (20).
    pub key: Raw<'a>,
    /// `reportNumber` (20 when there is no key).
    pub number: Raw<'a>,
    /// `reportName` (27).
    pub name: Raw<'a>,
    /// `employeeCurrencyAlphaCode` (22): the journal's currency.
    pub currency: Raw<'a>,
    /// `homeCountryCode` (23, a code where the SAE has the name).
    pub country: Raw<'a>,
    /// `ledgerCode` (21).
    pub ledger: Raw<'a>,
    /// `reportSubmitDate` (24).
    pub submit_date: Raw<'a>,
    /// `reportUserDefinedDate` (25).
    pub user_date: Raw<'a>,
    /// `reportPaymentProcessingDate` (26).
    pub processing_date: Raw<'a>,
    /// `reportStartDate` (324).
    pub start_date: Raw<'a>,
    /// `reportEndDate` (325).
    pub end_date: Raw<'a>,
    /// `totalApprovedAmount` (32): reconciled against the entries.
    pub total_approved: Raw<'a>,
    /// `cashAdvanceReturnsAmount` (327): the cash given back on this report.
    pub ca_returns: Raw<'a>,
    /// `reportCustom{n}Code`, n = 1..=20 (41-60).
    pub custom: [Raw<'a>; 21],
    /// `reportCustom{n}Value`.
    pub custom_value: [Raw<'a>; 21],
    /// `reportOrgUnit{n}Code`, n = 1..=6 (35-40).
    pub org: [Raw<'a>; 7],
    /// `reportOrgUnit{n}Value`.
    pub org_value: [Raw<'a>; 7],
}

fields!(Report {
    "reportId" => id,
    "reportKey" => key,
    "reportNumber" => number,
    "reportName" => name,
    "employeeCurrencyAlphaCode" => currency,
    "homeCountryCode" => country,
    "ledgerCode" => ledger,
    "reportSubmitDate" => submit_date,
    "reportUserDefinedDate" => user_date,
    "reportPaymentProcessingDate" => processing_date,
    "reportStartDate" => start_date,
    "reportEndDate" => end_date,
    "totalApprovedAmount" => total_approved,
    "cashAdvanceReturnsAmount" => ca_returns,
} numbered {
    "reportCustom", "Code", 20 => custom,
    "reportCustom", "Value", 20 => custom_value,
    "reportOrgUnit", "Code", 6 => org,
    "reportOrgUnit", "Value", 6 => org_value,
});

/// One `expenseEntry`.
#[derive(Debug, Default)]
pub struct Entry<'a> {
    /// `entryId` (61).
    pub id: Raw<'a>,
    /// `expenseTypeName` (63).
    pub expense_type: Raw<'a>,
    /// `entryDate` (64).
    pub date: Raw<'a>,
    /// `entryCurrAlphaCode` (65).
    pub currency: Raw<'a>,
    /// `entryExchangeRate` (66).
    pub rate: Raw<'a>,
    /// `entryExchangeRateDirection` (67).
    pub rate_direction: Raw<'a>,
    /// `entryIsPersonal` (68).
    pub personal: Raw<'a>,
    /// `entryDescription` (69).
    pub description: Raw<'a>,
    /// `entryVendorCode` (70, the vendor name column).
    pub vendor: Raw<'a>,
    /// `entryVendorDescription` (71).
    pub vendor_description: Raw<'a>,
    /// `entryReceiptType` (73).
    pub receipt_type: Raw<'a>,
    /// `reportEntryTransactionAmount` (123).
    pub transaction_amount: Raw<'a>,
    /// `entryApprovedAmount` (125): reconciled against the entry's journal lines.
    pub approved: Raw<'a>,
    /// `reportEntryPatKey` (126, the payment type code).
    pub pat_key: Raw<'a>,
    /// `reportEntryPaymentTypeName` (250).
    pub payment_type_name: Raw<'a>,
    /// `expensePayIndicator` (128).
    pub expense_pay: Raw<'a>,
    /// `cardBillingDate` (129).
    pub card_billing_date: Raw<'a>,
    /// `cardTransactionID` (136).
    pub card_tx_id: Raw<'a>,
    /// `cardTransactionAmount` (137).
    pub card_tx_amount: Raw<'a>,
    /// `cardTransactionCurrency` (139).
    pub card_tx_currency: Raw<'a>,
    /// `cardTransactionPostedAmount` (140).
    pub card_posted_amount: Raw<'a>,
    /// `cardTransactionPostedCurrency` (141).
    pub card_posted_currency: Raw<'a>,
    /// `entryCountryCode` (158).
    pub country: Raw<'a>,
    /// `entryCountrySubCode` (159).
    pub country_sub: Raw<'a>,
    /// `cardProgramTypeCode` (251).
    pub card_program: Raw<'a>,
    /// `cardStatementPeriodStartDate` (252).
    pub statement_start: Raw<'a>,
    /// `cardStatementPeriodEndDate` (253).
    pub statement_end: Raw<'a>,
    /// `liabilityAccountCode` (255).
    pub liability_account: Raw<'a>,
    /// `entryLocationCityName` (334).
    pub city: Raw<'a>,
    /// `entryIsBillable` (335).
    pub billable: Raw<'a>,
    /// `entryLocationName` (338).
    pub location: Raw<'a>,
    /// `entryUuid` (341).
    pub uuid: Raw<'a>,
    /// `entrySupplierTaxID` (342).
    pub supplier_tax_id: Raw<'a>,
    /// `entryCustom{n}Code`, n = 1..=40 (83-122).
    pub custom: Numbered<'a, 41>,
    /// `entryOrgUnit{n}Code`, n = 1..=6 (77-82).
    pub org: [Raw<'a>; 7],
    /// `entryOrgUnit{n}Value`.
    pub org_value: [Raw<'a>; 7],
    /// `allocation[]`.
    pub allocation: Option<Vec<Allocation<'a>>>,
}

fields!(Entry {
    "entryId" => id,
    "expenseTypeName" => expense_type,
    "entryDate" => date,
    "entryCurrAlphaCode" => currency,
    "entryExchangeRate" => rate,
    "entryExchangeRateDirection" => rate_direction,
    "entryIsPersonal" => personal,
    "entryDescription" => description,
    "entryVendorCode" => vendor,
    "entryVendorDescription" => vendor_description,
    "entryReceiptType" => receipt_type,
    "reportEntryTransactionAmount" => transaction_amount,
    "entryApprovedAmount" => approved,
    "reportEntryPatKey" => pat_key,
    "reportEntryPaymentTypeName" => payment_type_name,
    "expensePayIndicator" => expense_pay,
    "cardBillingDate" => card_billing_date,
    "cardTransactionID" => card_tx_id,
    "cardTransactionAmount" => card_tx_amount,
    "cardTransactionCurrency" => card_tx_currency,
    "cardTransactionPostedAmount" => card_posted_amount,
    "cardTransactionPostedCurrency" => card_posted_currency,
    "entryCountryCode" => country,
    "entryCountrySubCode" => country_sub,
    "cardProgramTypeCode" => card_program,
    "cardStatementPeriodStartDate" => statement_start,
    "cardStatementPeriodEndDate" => statement_end,
    "liabilityAccountCode" => liability_account,
    "entryLocationCityName" => city,
    "entryIsBillable" => billable,
    "entryLocationName" => location,
    "entryUuid" => uuid,
    "entrySupplierTaxID" => supplier_tax_id,
} numbered {
    "entryCustom", "Code", 40 => custom,
    "entryOrgUnit", "Code", 6 => org,
    "entryOrgUnit", "Value", 6 => org_value,
} nested {
    "allocation" => allocation,
});

/// One `allocation` of an entry.
#[derive(Debug, Default)]
pub struct Allocation<'a> {
    /// `allocationId` (189).
    pub id: Raw<'a>,
    /// `allocationPercentage` (190).
    pub percentage: Raw<'a>,
    /// `allocationCustom{n}Code`, n = 1..=20 (191-210).
    pub custom: [Raw<'a>; 21],
    /// `journal[]`, each kept raw to know where it is in the input.
    pub journal: Option<Vec<&'a RawValue>>,
    /// `tax[]`.
    pub tax: Option<Vec<Tax<'a>>>,
}

fields!(Allocation {
    "allocationId" => id,
    "allocationPercentage" => percentage,
} numbered {
    "allocationCustom", "Code", 20 => custom,
} nested {
    "journal" => journal,
    "tax" => tax,
});

/// One expense `journal` line: one side of a posting, signed (credits are negative).
#[derive(Debug, Default)]
pub struct Journal<'a> {
    /// `journalPayer` (164, a 4-letter code: COMP, EMPL, IBCP, CBCP, COPD).
    pub payer: Raw<'a>,
    /// `journalPayee` (166).
    pub payee: Raw<'a>,
    /// `journalAccountCode` (167).
    pub account: Raw<'a>,
    /// `amountGross` (169, signed).
    pub gross: Raw<'a>,
    /// `amountGrossCard`.
    pub gross_card: Raw<'a>,
    /// `amountNetOfTax` (247).
    pub net_of_tax: Raw<'a>,
    /// `amountNetOfReclaim` (18).
    pub net_of_reclaim: Raw<'a>,
    /// `cardTransactionReferenceNumber` (133).
    pub card_reference: Raw<'a>,
    /// `taxGuid`: the tax items of this line (a list, or one id).
    pub tax_guid: Raw<'a>,
}

fields!(Journal {
    "journalPayer" => payer,
    "journalPayee" => payee,
    "journalAccountCode" => account,
    "amountGross" => gross,
    "amountGrossCard" => gross_card,
    "amountNetOfTax" => net_of_tax,
    "amountNetOfReclaim" => net_of_reclaim,
    "cardTransactionReferenceNumber" => card_reference,
    "taxGuid" => tax_guid,
});

/// One `tax` item of an allocation.
#[derive(Debug, Default)]
pub struct Tax<'a> {
    /// `taxAuthorityLabel` (226).
    pub label: Raw<'a>,
    /// `taxCode` (232).
    pub code: Raw<'a>,
    /// `amountTax` (228).
    pub amount: Raw<'a>,
    /// `amountReclaim` (231).
    pub reclaim: Raw<'a>,
    /// `taxSource` (229).
    pub source: Raw<'a>,
    /// `taxReclaimCode` (236).
    pub reclaim_code: Raw<'a>,
    /// `taxGuid`: the journal line it belongs to.
    pub guid: Raw<'a>,
}

fields!(Tax {
    "taxAuthorityLabel" => label,
    "taxCode" => code,
    "amountTax" => amount,
    "amountReclaim" => reclaim,
    "taxSource" => source,
    "taxReclaimCode" => reclaim_code,
    "taxGuid" => guid,
});

/// One `cashAdvanceApplication` of an expense report.
#[derive(Debug, Default)]
pub struct CaApplication<'a> {
    /// `cashAdvanceId` (187).
    pub id: Raw<'a>,
    /// `cashAdvanceApplicationAmount` (169, negative: a credit).
    pub amount: Raw<'a>,
    /// `cashAdvanceTransactionType` (185).
    pub transaction_type: Raw<'a>,
    /// `cashAdvanceClearingAccountCode` (167).
    pub account: Raw<'a>,
}

fields!(CaApplication {
    "cashAdvanceId" => id,
    "cashAdvanceApplicationAmount" => amount,
    "cashAdvanceTransactionType" => transaction_type,
    "cashAdvanceClearingAccountCode" => account,
});

/// An expense document (`docType` `expense`).
#[derive(Debug, Default)]
pub struct Expense<'a> {
    /// `employee`.
    pub employee: Option<Employee<'a>>,
    /// `report`.
    pub report: Option<Report<'a>>,
    /// `expenseEntry[]`.
    pub entries: Option<Vec<Entry<'a>>>,
    /// `cashAdvanceApplication[]`.
    pub ca_applications: Option<Vec<CaApplication<'a>>>,
}

fields!(Expense {} nested {
    "employee" => employee,
    "report" => report,
    "expenseEntry" => entries,
    "cashAdvanceApplication" => ca_applications,
});

/// `cashAdvanceData` of a cash-advance document.
#[derive(Debug, Default)]
pub struct CaData<'a> {
    /// `cashAdvanceId` (187): the journal is `CA-<id>`.
    pub id: Raw<'a>,
    /// `name` (259).
    pub name: Raw<'a>,
    /// `requestAmount` (177).
    pub request_amount: Raw<'a>,
    /// `currencyAlphaCode` (178).
    pub currency: Raw<'a>,
    /// `currencyNumCode` (179).
    pub currency_num: Raw<'a>,
    /// `exchangeRate` (180).
    pub rate: Raw<'a>,
    /// `employeeCurrencyAlphaCode` (181): the journal's currency.
    pub employee_currency: Raw<'a>,
    /// `issuedDate` (183).
    pub issued: Raw<'a>,
    /// `requestDate` (186).
    pub requested: Raw<'a>,
    /// `requestedDisbursementDate` (258).
    pub disbursement: Raw<'a>,
    /// `paymentMethod` (188).
    pub payment_method: Raw<'a>,
    /// `transactionType` (185).
    pub transaction_type: Raw<'a>,
    /// `travelStartDate` (243).
    pub travel_start: Raw<'a>,
    /// `travelEndDate` (244).
    pub travel_end: Raw<'a>,
}

fields!(CaData {
    "cashAdvanceId" => id,
    "name" => name,
    "requestAmount" => request_amount,
    "currencyAlphaCode" => currency,
    "currencyNumCode" => currency_num,
    "exchangeRate" => rate,
    "employeeCurrencyAlphaCode" => employee_currency,
    "issuedDate" => issued,
    "requestDate" => requested,
    "requestedDisbursementDate" => disbursement,
    "paymentMethod" => payment_method,
    "transactionType" => transaction_type,
    "travelStartDate" => travel_start,
    "travelEndDate" => travel_end,
});

/// One `journalData` line of a cash advance: a side with its own DR/CR.
#[derive(Debug, Default)]
pub struct CaJournal<'a> {
    /// `payer` (163/164).
    pub payer: Raw<'a>,
    /// `payee` (165/166).
    pub payee: Raw<'a>,
    /// `accountCode` (167).
    pub account: Raw<'a>,
    /// `debitOrCredit` (168).
    pub dr_cr: Raw<'a>,
    /// `amount` (169).
    pub amount: Raw<'a>,
    /// `paymentCode` (184).
    pub payment_code: Raw<'a>,
}

fields!(CaJournal {
    "payer" => payer,
    "payee" => payee,
    "accountCode" => account,
    "debitOrCredit" => dr_cr,
    "amount" => amount,
    "paymentCode" => payment_code,
});

/// A cash-advance document (`docType` `cashadvance`).
#[derive(Debug, Default)]
pub struct CashAdvance<'a> {
    /// `employeeData`.
    pub employee: Option<Employee<'a>>,
    /// `cashAdvanceData`.
    pub data: Option<CaData<'a>>,
    /// `journalData[]`, each kept raw to know where it is.
    pub journal: Option<&'a RawValue>,
}

fields!(CashAdvance {
    "journalData" => journal,
} nested {
    "employeeData" => employee,
    "cashAdvanceData" => data,
});

/// `requestHeader` of an invoice.
#[derive(Debug, Default)]
pub struct RequestHeader<'a> {
    /// `requestId` (PRAE 51).
    pub id: Raw<'a>,
    /// `reqKey` (2): the journal's id.
    pub key: Raw<'a>,
    /// `requestTitle` (4).
    pub title: Raw<'a>,
    /// `currencyAlphaCode` (65).
    pub currency: Raw<'a>,
    /// `requestTotal` (10): reconciled against the lines.
    pub total: Raw<'a>,
    /// `invoiceDate` (7).
    pub invoice_date: Raw<'a>,
    /// `submitDate` (12).
    pub submit_date: Raw<'a>,
    /// `postingDate`.
    pub posting_date: Raw<'a>,
    /// `paymentDueDate` (8).
    pub due_date: Raw<'a>,
    /// `vendorInvoiceNumber`.
    pub vendor_invoice_number: Raw<'a>,
    /// `ledgerCode` (59).
    pub ledger: Raw<'a>,
    /// `requestDescription`.
    pub description: Raw<'a>,
}

fields!(RequestHeader {
    "requestId" => id,
    "reqKey" => key,
    "requestTitle" => title,
    "currencyAlphaCode" => currency,
    "requestTotal" => total,
    "invoiceDate" => invoice_date,
    "submitDate" => submit_date,
    "postingDate" => posting_date,
    "paymentDueDate" => due_date,
    "vendorInvoiceNumber" => vendor_invoice_number,
    "ledgerCode" => ledger,
    "requestDescription" => description,
});

/// `vendor` of an invoice.
#[derive(Debug, Default)]
pub struct Vendor<'a> {
    /// `vendorCode` (165).
    pub code: Raw<'a>,
    /// `vendorName` (164).
    pub name: Raw<'a>,
}

fields!(Vendor {
    "vendorCode" => code,
    "vendorName" => name,
});

/// One invoice `lineItem`.
#[derive(Debug, Default)]
pub struct LineItem<'a> {
    /// `accountCode` (61).
    pub account: Raw<'a>,
    /// `amountGross` (63 / 138).
    pub gross: Raw<'a>,
    /// `expenseTypeName` (135).
    pub expense_type: Raw<'a>,
    /// `lineItemDescription` (133).
    pub description: Raw<'a>,
    /// `lineItemSequenceOrder` (132).
    pub sequence: Raw<'a>,
    /// `allocation[]`, each with its own `journal` (an object in the example, or a list).
    pub allocation: Option<Vec<InvoiceAllocation<'a>>>,
}

fields!(LineItem {
    "accountCode" => account,
    "amountGross" => gross,
    "expenseTypeName" => expense_type,
    "lineItemDescription" => description,
    "lineItemSequenceOrder" => sequence,
} nested {
    "allocation" => allocation,
});

/// One allocation of an invoice line.
#[derive(Debug, Default)]
pub struct InvoiceAllocation<'a> {
    /// `allocationAccountCode` (68).
    pub account: Raw<'a>,
    /// `allocationPercentage`.
    pub percentage: Raw<'a>,
    /// `allocationCustom{n}Code` (69-88).
    pub custom: [Raw<'a>; 21],
    /// `journal`: an object (the example) or a list of them.
    pub journal: Option<&'a RawValue>,
}

fields!(InvoiceAllocation {
    "allocationAccountCode" => account,
    "allocationPercentage" => percentage,
    "journal" => journal,
} numbered {
    "allocationCustom", "Code", 20 => custom,
});

/// One invoice journal line.
#[derive(Debug, Default)]
pub struct InvoiceJournal<'a> {
    /// `accountCode` / `journalAccountCode`.
    pub account: Raw<'a>,
    /// `journalAccountCode`.
    pub journal_account: Raw<'a>,
    /// `amountGross` (signed unless `debitOrCredit` says).
    pub gross: Raw<'a>,
    /// `amount`.
    pub amount: Raw<'a>,
    /// `debitOrCredit`, when given.
    pub dr_cr: Raw<'a>,
}

fields!(InvoiceJournal {
    "accountCode" => account,
    "journalAccountCode" => journal_account,
    "amountGross" => gross,
    "amount" => amount,
    "debitOrCredit" => dr_cr,
});

/// An invoice document (`docType` `invoice`).
#[derive(Debug, Default)]
pub struct Invoice<'a> {
    /// `requestHeader`.
    pub header: Option<RequestHeader<'a>>,
    /// `ownerEmployee`.
    pub owner: Option<Employee<'a>>,
    /// `vendor`.
    pub vendor: Option<Vendor<'a>>,
    /// `lineItem[]`, each kept raw to know where it is.
    pub lines: Option<Vec<&'a RawValue>>,
}

fields!(Invoice {} nested {
    "requestHeader" => header,
    "ownerEmployee" => owner,
    "vendor" => vendor,
    "lineItem" => lines,
});

/// Every payload key of the three document types, read in the same pass as the
/// `FIDocument` around them (the fast path: a document read once).
#[derive(Debug, Default)]
pub struct Payload<'a> {
    /// The expense keys.
    pub expense: Expense<'a>,
    /// The cash-advance keys.
    pub cash: CashAdvance<'a>,
    /// The invoice keys.
    pub invoice: Invoice<'a>,
    /// An expense key was present.
    pub has_expense: bool,
    /// A cash-advance key was present.
    pub has_cash: bool,
    /// An invoice key was present.
    pub has_invoice: bool,
}

impl<'de> Fill<'de> for Payload<'de> {
    fn fill<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "employee" | "report" | "expenseEntry" | "cashAdvanceApplication" => {
                self.has_expense |= key != "employee";
                self.expense.fill(key, map)
            }
            "employeeData" | "cashAdvanceData" | "journalData" => {
                self.has_cash |= key != "employeeData";
                self.cash.fill(key, map)
            }
            "requestHeader" | "ownerEmployee" | "vendor" | "lineItem" => {
                self.has_invoice |= key == "requestHeader" || key == "lineItem";
                self.invoice.fill(key, map)
            }
            _ => skip(map),
        }
    }
}

impl<'de> Deserialize<'de> for Payload<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        object(d)
    }
}

impl Payload<'_> {
    /// The document type its keys say, if any.
    pub fn kind(&self) -> Option<&'static str> {
        if self.has_expense {
            Some("expense")
        } else if self.has_cash {
            Some("cashadvance")
        } else if self.has_invoice {
            Some("invoice")
        } else {
            None
        }
    }
}

/// An `FIDocument` read in one pass with its payload (or a bare payload); anything it
/// cannot take (a payload sent as text, a key of the wrong type) fails it, and the document
/// is read again the careful way ([`Top`]).
#[derive(Debug, Default)]
pub struct FastDoc<'a> {
    /// A page's documents (read item by item).
    pub fi_documents: Raw<'a>,
    /// A v4 page's documents.
    pub content: Raw<'a>,
    /// `id`.
    pub id: Raw<'a>,
    /// `docType`.
    pub doc_type: Raw<'a>,
    /// `docStatus`.
    pub doc_status: Raw<'a>,
    /// A canonical journal line's first key.
    pub journal_id: Raw<'a>,
    /// `document` (or `documentBlob`), read as a payload object.
    pub document: Option<Payload<'a>>,
    /// Whether `document` was `documentBlob`.
    pub blob: bool,
    /// The value's own payload keys (a bare payload).
    pub bare: Payload<'a>,
}

impl<'de> Fill<'de> for FastDoc<'de> {
    fn fill<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "fIDocuments" => self.fi_documents = raw(map)?,
            "content" => self.content = raw(map)?,
            "id" => self.id = raw(map)?,
            "docType" => self.doc_type = raw(map)?,
            "docStatus" => self.doc_status = raw(map)?,
            "journal_id" => self.journal_id = raw(map)?,
            "document" | "documentBlob" => {
                self.blob = key == "documentBlob";
                self.document = Some(map.next_value::<Payload<'de>>()?);
            }
            _ => self.bare.fill(key, map)?,
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for FastDoc<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        object(d)
    }
}
