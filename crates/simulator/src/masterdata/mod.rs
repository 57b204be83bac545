//! Master data: the Concur APIs an ERP writes to, served on their real paths and shapes
//! (List v4 and List Item v4 reads, List Item Bulk v4 writes, Vendor v3.1, Purchase Order
//! v3 and Purchase Order Receipts v3), with the documented
//! validations and error ids, state a test reads back through
//! [`crate::RunningSimulator::masterdata`], and the choices of `concur-master-data.md` §10
//! as settings ([`MasterDataConfig`]).
//!
//! Faults target the route names of [`ROUTES`]; an injected 429 on these routes has the
//! List Item Bulk shape (`security.rate.limit.reached`, `retry-after: 0`); on the v3 routes
//! (vendors, purchase orders, receipts) it has the v3 `<Error>` body and `retry-after: 0`.

mod lists;
mod purchase_orders;
mod vendors;

pub use lists::{ItemSnapshot, ListSnapshot};
pub use purchase_orders::RECEIPTS_MAX;
pub use vendors::{LIMIT_MAX as VENDOR_LIMIT_MAX, VendorSnapshot};

use crate::state::{Access, SharedRef, token_of};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Route names faults can target here (besides those of [`crate::config::ROUTES`]).
pub const ROUTES: &[&str] = &[
    "lists",
    "list_children",
    "list_item",
    "list_bulk_create",
    "list_bulk_update",
    "vendors_get",
    "vendors_post",
    "vendors_put",
    "vendors_delete",
    "po_get",
    "po_post",
    "po_put",
    "receipts_get",
    "receipts_post",
    "receipts_put",
    "receipts_delete",
];

/// What the simulator does with a hyphen in a list item code (Concur's docs only warn that
/// it "might" corrupt the list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum HyphenMode {
    /// Refuse the part (`item.code.invalid`).
    #[default]
    Reject,
    /// Accept it and split the long code on `-`, as the warning says Concur may: the item
    /// lands at the wrong level, under a wrong or missing parent.
    Corrupt,
}

/// A list that exists at start.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSeed {
    /// The list's name (`value`).
    pub name: String,
    /// Levels: 1 a simple list, more a connected list.
    #[serde(default = "one")]
    pub levels: u32,
    /// `category.type`.
    #[serde(default = "normal")]
    pub category: String,
    /// `managedBy` (`appId:<uuid>`): modifications from another app are refused.
    #[serde(default)]
    pub managed_by: Option<String>,
}

fn one() -> u32 {
    1
}
fn normal() -> String {
    "Normal".into()
}

/// Master-data behaviour, including what Concur does not document (§10 of the reference).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MasterDataConfig {
    /// Lists that exist at start.
    pub lists: Vec<ListSeed>,
    /// Hyphens in item codes.
    pub hyphens: HyphenMode,
    /// `links[].href` as a path (`/list/v4/...`, as some tenants answer) instead of a URL.
    pub relative_links: bool,
    /// Bulk PATCH `deleted: false` brings a deleted item back (undocumented; when off it
    /// answers `item.deleted`).
    pub undelete: bool,
    /// The calling application's id, compared with a managed list's `managedBy`.
    pub app_id: String,
    /// Vendors that exist at start (each a Vendor v3.1 record: `VendorCode`, `AddressCode`, ...).
    pub vendors: Vec<serde_json::Map<String, serde_json::Value>>,
    /// Most vendors per POST/PUT (undocumented; the v1-era batch services took 1000).
    pub vendor_batch_max: usize,
    /// A GET `limit` over 1000 is clamped to 1000 (else 400).
    pub vendor_limit_clamp: bool,
    /// `StatusList[].Type` of a refused vendor record (`ERROR`, or `WARNING` as one client
    /// observed); success is `SUCCESS`.
    pub vendor_failure_type: String,
    /// POST of an existing vendor updates it (else it is refused, "already exists").
    pub vendor_create_updates: bool,
    /// PUT of a missing vendor creates it (else it is refused, "does not exist").
    pub vendor_update_creates: bool,
    /// Countries whose vendors need `State` (export control; SAP does not list them).
    pub vendor_state_countries: Vec<String>,
    /// HTTP status of anything on the decommissioned v3.0 vendor path (404 or 410).
    pub vendor_v30_status: u16,
    /// Accepted `PolicyExternalID`s (error 4000 otherwise).
    pub po_policies: Vec<String>,
    /// POST of an existing PO updates it, as the doc's "create or update" says (else it is
    /// refused, as clients observe).
    pub po_post_upserts: bool,
    /// HTTP status of a GET of an unknown PO (with an `<Error>` body).
    pub po_missing_status: u16,
    /// Receipts for a `Closed` PO are refused.
    pub closed_refuses_receipts: bool,
    /// Goods-receipt numbers matched to a payment request: their DELETE is refused.
    pub matched_receipts: Vec<String>,
}

impl Default for MasterDataConfig {
    fn default() -> Self {
        MasterDataConfig {
            lists: vec![
                ListSeed {
                    name: "Cost Centers".into(),
                    levels: 1,
                    category: normal(),
                    managed_by: None,
                },
                ListSeed {
                    name: "Company Cost Objects".into(),
                    levels: 3,
                    category: normal(),
                    managed_by: None,
                },
            ],
            hyphens: HyphenMode::Reject,
            relative_links: false,
            undelete: true,
            app_id: "appId:6a2c8f0e-3b1d-4c5e-9f7a-1d2e3f4a5b6c".into(),
            vendors: Vec::new(),
            vendor_batch_max: 1000,
            vendor_limit_clamp: false,
            vendor_failure_type: "ERROR".into(),
            vendor_create_updates: false,
            vendor_update_creates: false,
            vendor_state_countries: vec!["US".into(), "CA".into()],
            vendor_v30_status: 410,
            po_policies: ["PO", "USPO", "GBPO", "JPPO", "CAPO", "AUPO"]
                .map(String::from)
                .to_vec(),
            po_post_upserts: false,
            po_missing_status: 404,
            closed_refuses_receipts: true,
            matched_receipts: Vec::new(),
        }
    }
}

/// Everything the master-data APIs hold, as a test reads it back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// Lists with all their items (deleted ones included), items in creation order.
    pub lists: Vec<ListSnapshot>,
    /// Vendor addresses, by (VendorCode, AddressCode).
    pub vendors: Vec<VendorSnapshot>,
    /// Purchase orders as held (`LineItem` lines carry `IsReceived` once confirmed), by number.
    pub purchase_orders: Vec<serde_json::Map<String, serde_json::Value>>,
    /// Goods receipts, by (PO number, line ExternalID, GoodsReceiptNumber).
    pub receipts: Vec<serde_json::Map<String, serde_json::Value>>,
}

impl Snapshot {
    /// The list named `name`.
    pub fn list(&self, name: &str) -> Option<&ListSnapshot> {
        self.lists.iter().find(|l| l.name == name)
    }

    /// The vendor address (VendorCode, AddressCode).
    pub fn vendor(&self, code: &str, address: &str) -> Option<&VendorSnapshot> {
        self.vendors
            .iter()
            .find(|v| v.vendor_code == code && v.address_code == address)
    }

    /// The purchase order numbered `number`.
    pub fn purchase_order(
        &self,
        number: &str,
    ) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.purchase_orders
            .iter()
            .find(|p| p.get("PurchaseOrderNumber").and_then(|v| v.as_str()) == Some(number))
    }
}

/// The master-data store inside the simulator's state.
#[derive(Default)]
pub(crate) struct Store {
    seeded: bool,
    pub(crate) lists: lists::Lists,
    pub(crate) vendors: vendors::Vendors,
    pub(crate) orders: purchase_orders::Orders,
}

impl Store {
    fn seed(&mut self, cfg: &MasterDataConfig) {
        if self.seeded {
            return;
        }
        self.seeded = true;
        for l in &cfg.lists {
            self.lists.add_list(l);
        }
        for v in &cfg.vendors {
            self.vendors.seed(v);
        }
    }
}

/// Runs `f` on the (seeded) store.
pub(crate) fn with_store<T>(
    s: &SharedRef,
    f: impl FnOnce(&mut Store, &MasterDataConfig) -> T,
) -> T {
    let mut g = s.lock();
    let store = &mut g.masterdata;
    store.seed(&s.cfg.masterdata);
    f(store, &s.cfg.masterdata)
}

/// The read-back of everything.
pub(crate) fn snapshot(s: &SharedRef) -> Snapshot {
    with_store(s, |st, _| Snapshot {
        lists: st.lists.snapshot(),
        vendors: st.vendors.snapshot(),
        purchase_orders: st.orders.pos.values().cloned().collect(),
        receipts: st.orders.receipts.values().cloned().collect(),
    })
}

/// The routes of this module.
pub(crate) fn router() -> Router<SharedRef> {
    let r = Router::new();
    let r = lists::routes(r);
    let r = vendors::routes(r);
    let r = purchase_orders::routes(r);
    r.route(
        "/_admin/masterdata",
        axum::routing::get(
            |axum::extract::State(s): axum::extract::State<SharedRef>| async move {
                json(StatusCode::OK, serde_json::json!(snapshot(&s)))
            },
        ),
    )
}

/// The route name of a master-data request, for faults and counters.
pub(crate) fn classify(method: &str, p: &str) -> Option<&'static str> {
    if let Some(rest) = p.strip_prefix("/list/v4/") {
        let segs: Vec<&str> = rest.split('/').collect();
        return Some(match (segs.as_slice(), method) {
            ([_, _, "bulk"], "POST") => "list_bulk_create",
            ([_, _, "bulk"], _) => "list_bulk_update",
            (s, _) if s.last() == Some(&"children") => "list_children",
            (["items", ..], _) => "list_item",
            _ => "lists",
        });
    }
    if p.starts_with("/api/v3.1/invoice/vendors") || p.starts_with("/api/v3.0/invoice/vendors") {
        return Some(match method {
            "POST" => "vendors_post",
            "PUT" => "vendors_put",
            "DELETE" => "vendors_delete",
            _ => "vendors_get",
        });
    }
    if p.starts_with("/api/v3.0/invoice/purchaseorderreceipts") {
        return Some(match method {
            "POST" => "receipts_post",
            "PUT" => "receipts_put",
            "DELETE" => "receipts_delete",
            _ => "receipts_get",
        });
    }
    if p.starts_with("/api/v3.0/invoice/purchaseorders") {
        return Some(match method {
            "POST" => "po_post",
            "PUT" => "po_put",
            _ => "po_get",
        });
    }
    None
}

/// The answer of an injected `status` fault on a master-data route: List v4 routes answer
/// the JSON ErrorMessage (429: `security.rate.limit.reached` with `retry-after: 0` unless the
/// fault gives one).
pub(crate) fn fault_response(
    route: &str,
    status: u16,
    retry_after: Option<&str>,
) -> Option<Response> {
    if !ROUTES.contains(&route) {
        return None;
    }
    let mut r = if route.starts_with("list") {
        let (id, message) = match status {
            429 => ("security.rate.limit.reached", "Too many requests"),
            503 => (
                "service.unavailable",
                "The service is down for maintenance.",
            ),
            _ => ("internal.server.error", "An injected server error."),
        };
        error_json(status, id, message, "/list/v4")
    } else {
        crate::routes::xml_error(
            status,
            match status {
                429 => "Too many requests.",
                503 => "The service is down for maintenance.",
                _ => "Internal Server Error",
            },
        )
    };
    let ra = retry_after.or((status == 429).then_some("0"));
    if let Some(v) = ra.and_then(|v| HeaderValue::from_str(v).ok()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    Some(r)
}

// ---- shared helpers ------------------------------------------------------------------

pub(crate) fn json(status: StatusCode, v: serde_json::Value) -> Response {
    let mut r = Response::new(Body::from(v.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// List v4 ErrorMessage.
pub(crate) fn error_json(status: u16, id: &str, message: &str, path: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json(
        code,
        serde_json::json!({
            "timestamp": crate::clock::format_time(crate::clock::now_unix()) + "Z",
            "httpStatus": format!("{} - {}", status, code.canonical_reason().unwrap_or("")),
            "error": { "id": id, "message": message },
            "path": path,
        }),
    )
}

/// A company or user token (app-only tokens are refused with 403); `Err` is the answer.
#[allow(clippy::result_large_err)]
pub(crate) fn authorize(s: &SharedRef, h: &HeaderMap, v4: bool) -> Result<(), Response> {
    let header = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let fail = |status: u16, msg: &str| {
        if v4 {
            error_json(status, "access.denied", msg, "/list/v4")
        } else {
            crate::routes::xml_error(status, msg)
        }
    };
    match s.check_access(header) {
        Access::Company => Ok(()),
        Access::App => Err(fail(
            403,
            "Access Denied: an application-only token was presented.",
        )),
        Access::Missing if token_of(header).is_none() => Err(fail(401, "Access Denied")),
        _ => Err(fail(s.cfg.bad_token_status, "Access Denied")),
    }
}

/// The query string as pairs.
pub(crate) fn query(uri: &axum::http::Uri) -> BTreeMap<String, String> {
    uri.query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}
