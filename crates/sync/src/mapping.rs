//! The mapping file: a `[sync.<kind>]` section per kind of master data saying which input
//! column feeds which Concur field (`[sync.lists]`, `[sync.vendors]`,
//! `[sync.purchase_orders]`, `[sync.receipts]`), lists optionally starting from a one-line
//! `preset` for a common ERP export (a NetSuite saved search, an SAP cost-centre list).
//! [`starter`] is the commented file `ledgerline sync init KIND` writes.

use crate::error::{Result, SyncError};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The kinds of master data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// List items (cost objects), List Item Bulk v4.
    Lists,
    /// Invoice vendors, Vendor v3.1.
    Vendors,
    /// Purchase orders, Purchase Order v3.
    PurchaseOrders,
    /// Goods receipts, Purchase Order Receipts v3.
    Receipts,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 4] = [
        Kind::Lists,
        Kind::Vendors,
        Kind::PurchaseOrders,
        Kind::Receipts,
    ];

    /// The command-line name (`purchase-orders`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Lists => "lists",
            Kind::Vendors => "vendors",
            Kind::PurchaseOrders => "purchase-orders",
            Kind::Receipts => "receipts",
        }
    }

    /// The mapping section (`[sync.purchase_orders]`).
    pub fn section(self) -> &'static str {
        match self {
            Kind::Lists => "lists",
            Kind::Vendors => "vendors",
            Kind::PurchaseOrders => "purchase_orders",
            Kind::Receipts => "receipts",
        }
    }

    /// Parses a command-line name.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == s || k.section() == s)
    }
}

/// What to do with an input code that Concur holds as a deleted item (deleted codes stay
/// reserved; Concur documents no way back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnDeleted {
    /// Report it (`SYN309`) and send nothing for it or its children.
    #[default]
    Report,
    /// Send a bulk PATCH with `deleted: false` (in Concur's schema, behaviour undocumented).
    Reactivate,
}

/// One level of a connected list: its code column and, optionally, its name column.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelMap {
    /// The column holding this level's code.
    pub code: String,
    /// The column holding this level's name (default: the code).
    #[serde(default)]
    pub name: Option<String>,
}

/// `[sync.lists]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListMap {
    /// The Concur list, by name.
    pub list: Option<String>,
    /// The Concur list, by id (wins over `list`).
    pub list_id: Option<String>,
    /// `netsuite-saved-search` or `sap-cost-centres`: default columns for that export.
    pub preset: Option<String>,
    /// Simple list: the code column.
    pub code: Option<String>,
    /// Simple list: the name column.
    pub name: Option<String>,
    /// Connected list: one entry per level, top first.
    #[serde(default)]
    pub levels: Vec<LevelMap>,
    /// Input delimiter (default: sniffed from the header line).
    pub delimiter: Option<String>,
    /// Hierarchical names (`Parent : Child`, as NetSuite writes them): keep what follows
    /// the last separator.
    pub name_separator: Option<String>,
    /// A code Concur holds as deleted.
    #[serde(default)]
    pub on_deleted: OnDeleted,
}

impl ListMap {
    /// The levels, top first, after the preset.
    pub fn resolved_levels(&self) -> Vec<LevelMap> {
        if !self.levels.is_empty() {
            return self.levels.clone();
        }
        let (code, name) = match self.preset.as_deref() {
            Some("netsuite-saved-search") => ("Internal ID", Some("Name")),
            Some("sap-cost-centres") => ("Cost Center", Some("Name")),
            _ => ("Code", Some("Name")),
        };
        vec![LevelMap {
            code: self.code.clone().unwrap_or_else(|| code.to_owned()),
            name: self.name.clone().or_else(|| {
                self.code
                    .is_none()
                    .then(|| name.map(str::to_owned))
                    .flatten()
            }),
        }]
    }

    /// The name separator, after the preset (NetSuite: ` : `).
    pub fn resolved_separator(&self) -> Option<String> {
        self.name_separator.clone().or_else(|| {
            (self.preset.as_deref() == Some("netsuite-saved-search")).then(|| " : ".to_owned())
        })
    }
}

/// Concur field name -> input column, or `=text` for a constant (`PolicyExternalID = "=PO"`).
pub type FieldMap = std::collections::BTreeMap<String, String>;

/// `[sync.vendors]`: Vendor v3.1 fields from input columns.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorMap {
    /// Concur field -> column. `VendorCode`, `AddressCode`, `CountryCode` and
    /// `CurrencyCode` default to the column of the same name; other fields are sent only
    /// when mapped.
    #[serde(default)]
    pub fields: FieldMap,
    /// Vendors per POST/PUT call (Concur documents no maximum; default 100).
    pub batch: Option<usize>,
    /// Input delimiter (default: sniffed from the header line).
    pub delimiter: Option<String>,
}

/// `[sync.purchase_orders]`: one input row per PO line; the header repeats on every row.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderMap {
    /// Header fields. `PurchaseOrderNumber`, `Name`, `VendorCode`, `VendorAddressCode`,
    /// `CurrencyCode`, `OrderDate`, `PolicyExternalID` default to same-named columns.
    #[serde(default)]
    pub header: FieldMap,
    /// `BillToAddress` fields (`ExternalID`, `Address1`, `City`, `PostalCode`,
    /// `StateProvince`, `CountryCode` default to columns `BillTo<Field>`).
    #[serde(default)]
    pub bill_to: FieldMap,
    /// `ShipToAddress` fields (defaults: columns `ShipTo<Field>`).
    #[serde(default)]
    pub ship_to: FieldMap,
    /// Line fields. `ExternalID`, `LineNumber`, `Quantity`, `UnitPrice` default to
    /// same-named columns; `ExpenseType` or `AccountCode` must be mapped.
    #[serde(default)]
    pub line: FieldMap,
    /// One allocation per line (`Amount`, `Percentage`, `Custom1`...); none when empty.
    #[serde(default)]
    pub allocation: FieldMap,
    /// Input delimiter (default: sniffed from the header line).
    pub delimiter: Option<String>,
}

/// The two receipt models of Purchase Order Receipts v3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReceiptModel {
    /// Goods-receipt (GRN, version 2.0) records keyed by PO number + line ExternalID +
    /// GoodsReceiptNumber: POST to create, PUT to update, DELETE by query.
    #[default]
    GoodsReceipt,
    /// The receipt confirmation: `IsReceived` (Y/N) on a PO line, by PUT.
    ReceivedFlag,
}

/// `[sync.receipts]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptMap {
    /// `goods-receipt` (default) or `received-flag`.
    #[serde(default)]
    pub model: ReceiptModel,
    /// Concur field -> column. `PurchaseOrderNumber`, `LineItemExternalID` (and
    /// `GoodsReceiptNumber`, or `IsReceived` for the flag) default to same-named columns.
    #[serde(default)]
    pub fields: FieldMap,
    /// Input delimiter (default: sniffed from the header line).
    pub delimiter: Option<String>,
}

/// The `[sync]` table of a mapping file.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SyncSections {
    /// `[sync.lists]`.
    pub lists: Option<ListMap>,
    /// `[sync.vendors]`.
    pub vendors: Option<VendorMap>,
    /// `[sync.purchase_orders]`.
    pub purchase_orders: Option<PurchaseOrderMap>,
    /// `[sync.receipts]`.
    pub receipts: Option<ReceiptMap>,
}

/// A mapping file.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its sections.
    pub sync: SyncSections,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    sync: SyncSections,
}

impl Mapping {
    /// Reads a mapping file (other top-level tables are ignored, so the `[sync]` sections
    /// can live in `ledgerline.toml`).
    pub fn load(path: &Path) -> Result<Mapping> {
        let text = std::fs::read_to_string(path).map_err(|e| SyncError::Mapping {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        Mapping::parse(path, &text)
    }

    /// Parses mapping text.
    pub fn parse(path: &Path, text: &str) -> Result<Mapping> {
        let f: File = toml::from_str(text).map_err(|e| SyncError::Mapping {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let m = Mapping {
            path: path.to_owned(),
            sync: f.sync,
        };
        if let Some(l) = &m.sync.lists
            && let Some(p) = l.preset.as_deref()
            && !["netsuite-saved-search", "sap-cost-centres"].contains(&p)
        {
            return Err(m.error(format!(
                "[sync.lists] preset {p:?} is unknown; use netsuite-saved-search or sap-cost-centres"
            )));
        }
        Ok(m)
    }

    pub(crate) fn error(&self, message: String) -> SyncError {
        SyncError::Mapping {
            path: self.path.clone(),
            message,
        }
    }

    /// `[sync.lists]`, or an error naming the section to add.
    pub fn lists(&self) -> Result<&ListMap> {
        self.sync
            .lists
            .as_ref()
            .ok_or_else(|| self.missing(Kind::Lists))
    }

    /// `[sync.vendors]`, or an error naming the section to add.
    pub fn vendors(&self) -> Result<&VendorMap> {
        self.sync
            .vendors
            .as_ref()
            .ok_or_else(|| self.missing(Kind::Vendors))
    }

    /// `[sync.purchase_orders]`, or an error naming the section to add.
    pub fn purchase_orders(&self) -> Result<&PurchaseOrderMap> {
        self.sync
            .purchase_orders
            .as_ref()
            .ok_or_else(|| self.missing(Kind::PurchaseOrders))
    }

    /// `[sync.receipts]`, or an error naming the section to add.
    pub fn receipts(&self) -> Result<&ReceiptMap> {
        self.sync
            .receipts
            .as_ref()
            .ok_or_else(|| self.missing(Kind::Receipts))
    }

    /// Checks the section of `kind` is there (before anything is connected).
    pub fn check(&self, kind: Kind) -> Result<()> {
        match kind {
            Kind::Lists => self.lists().map(|_| ()),
            Kind::Vendors => self.vendors().map(|_| ()),
            Kind::PurchaseOrders => self.purchase_orders().map(|_| ()),
            Kind::Receipts => self.receipts().map(|_| ()),
        }
    }

    fn missing(&self, kind: Kind) -> SyncError {
        self.error(format!(
            "no [sync.{}] section; `ledgerline sync init {}` writes a starter",
            kind.section(),
            kind.name()
        ))
    }
}

/// The delimiter setting as a byte.
pub(crate) fn delimiter(m: &Mapping, d: Option<&str>) -> Result<Option<u8>> {
    match d {
        None => Ok(None),
        Some("\\t") | Some("tab") => Ok(Some(b'\t')),
        Some(s) if s.len() == 1 => Ok(Some(s.as_bytes()[0])),
        Some(s) => Err(m.error(format!("delimiter {s:?}: give one character (or \"tab\")"))),
    }
}

/// The commented starter `ledgerline sync init KIND` writes (`None`: a kind not built yet).
pub fn starter(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Lists => Some(LISTS_STARTER),
        Kind::Vendors => Some(VENDORS_STARTER),
        Kind::PurchaseOrders => Some(PURCHASE_ORDERS_STARTER),
        Kind::Receipts => Some(RECEIPTS_STARTER),
    }
}

const VENDORS_STARTER: &str = r#"# ledgerline sync vendors: ERP vendors -> Concur Invoice vendors (Vendor v3.1).
# Run `ledgerline sync vendors EXPORT.csv --map THIS_FILE` to see the plan; add --apply to send it.
# One row per vendor address: VendorCode + AddressCode is the key.

[sync.vendors]
# Concur field = "input column", or "=text" for a constant. VendorCode, AddressCode,
# CountryCode and CurrencyCode (both required by v3.1) default to columns of the same name;
# any other Vendor v3.1 field (Address2, PaymentTerms, Custom1 ...) is sent when mapped.
fields = { VendorCode = "VendorCode", AddressCode = "AddressCode", VendorName = "VendorName", Address1 = "Address1", City = "City", State = "State", PostalCode = "PostalCode", CountryCode = "CountryCode", CurrencyCode = "CurrencyCode" }

# Vendors per POST/PUT call (Concur documents no maximum).
# batch = 100

# Input delimiter; default: guessed from the header line (, ; tab |).
# delimiter = ";"
"#;

const PURCHASE_ORDERS_STARTER: &str = r#"# ledgerline sync purchase-orders: ERP purchase orders -> Concur Invoice (Purchase Order v3).
# Run `ledgerline sync purchase-orders EXPORT.csv --map THIS_FILE` to see the plan; add --apply.
# One row per PO line; the header and addresses repeat on every row of a PO.

[sync.purchase_orders]
# Concur field = "input column", or "=text" for a constant.
header = { PurchaseOrderNumber = "PurchaseOrderNumber", Name = "Name", VendorCode = "VendorCode", VendorAddressCode = "VendorAddressCode", CurrencyCode = "CurrencyCode", OrderDate = "OrderDate", PolicyExternalID = "=PO" }
bill_to = { ExternalID = "BillToExternalID", Address1 = "BillToAddress1", City = "BillToCity", PostalCode = "BillToPostalCode", StateProvince = "BillToStateProvince", CountryCode = "BillToCountryCode" }
ship_to = { ExternalID = "ShipToExternalID", Address1 = "ShipToAddress1", City = "ShipToCity", PostalCode = "ShipToPostalCode", StateProvince = "ShipToStateProvince", CountryCode = "ShipToCountryCode" }
# ExpenseType or AccountCode (exactly one per line, Concur's rule 5001).
line = { ExternalID = "ExternalID", LineNumber = "LineNumber", Description = "Description", Quantity = "Quantity", UnitPrice = "UnitPrice", ExpenseType = "ExpenseType", PurchaseOrderReceiptType = "=NONE" }

# One allocation per line (optional): Amount, Percentage, Custom1 ...
# allocation = { Amount = "AllocationAmount", Custom1 = "CostCenter" }

# delimiter = ";"
"#;

const RECEIPTS_STARTER: &str = r#"# ledgerline sync receipts: ERP goods receipts -> Concur (Purchase Order Receipts v3).
# Run `ledgerline sync receipts EXPORT.csv --map THIS_FILE` to see the plan; add --apply.

[sync.receipts]
# "goods-receipt" (default): one record per PO number + line ExternalID + GoodsReceiptNumber.
# "received-flag": the receipt confirmation, IsReceived Y/N on a PO line (no GoodsReceiptNumber).
model = "goods-receipt"

# Concur field = "input column", or "=text" for a constant.
fields = { PurchaseOrderNumber = "PurchaseOrderNumber", LineItemExternalID = "LineItemExternalID", GoodsReceiptNumber = "GoodsReceiptNumber", ReceivedDate = "ReceivedDate", ReceivedQuantity = "ReceivedQuantity" }

# delimiter = ";"
"#;

const LISTS_STARTER: &str = r#"# ledgerline sync lists: ERP cost objects -> a Concur list (List Item Bulk v4).
# Run `ledgerline sync lists EXPORT.csv --map THIS_FILE` to see the plan; add --apply to send it.

[sync.lists]
# The Concur list, by its exact name (or list_id = "<uuid>").
list = "Cost Centers"

# One-line presets for common exports (uncomment one; the columns below then default to it):
#   netsuite-saved-search: code "Internal ID", name "Name" (hierarchical "Parent : Child"
#                          names keep their last part)
#   sap-cost-centres:      code "Cost Center", name "Name"
# preset = "sap-cost-centres"

# A simple list: the code and name columns.
code = "Code"
name = "Name"

# A connected list instead: one entry per level, top first. A row gives one item per level
# it fills (its parents come from the same row); rows may also give parents on their own.
# levels = [
#   { code = "Company Code", name = "Company Name" },
#   { code = "Cost Center", name = "Name" },
# ]

# A code Concur holds as deleted stays reserved there. "report" (default) lists it as
# SYN309 and sends nothing for it; "reactivate" sends `deleted: false` for it.
# on_deleted = "report"

# Input delimiter; default: guessed from the header line (, ; tab |).
# delimiter = ";"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_overrides() {
        let m = Mapping::parse(
            Path::new("m.toml"),
            "[sync.lists]\nlist='X'\npreset='netsuite-saved-search'\n",
        )
        .unwrap();
        let l = m.lists().unwrap();
        assert_eq!(l.resolved_levels()[0].code, "Internal ID");
        assert_eq!(l.resolved_separator().as_deref(), Some(" : "));
        let bad = Mapping::parse(Path::new("m.toml"), "[sync.lists]\nlsit='X'\n").unwrap_err();
        assert!(bad.to_string().contains("lsit"), "{bad}");
    }

    #[test]
    fn starters_parse() {
        for k in Kind::ALL {
            let text = starter(k).unwrap();
            Mapping::parse(Path::new("s.toml"), text)
                .unwrap()
                .check(k)
                .unwrap();
        }
    }
}
