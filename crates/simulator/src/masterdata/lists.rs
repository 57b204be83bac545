//! List v4 and List Item v4 reads (paged by 100, filters, sorting, `links` with absolute
//! or relative hrefs) and List Item Bulk v4 writes (1 to 250 parts, in order, per-part
//! errors, 201/200, 206 or 400), over lists whose items keep deleted codes reserved.

use super::{
    HyphenMode, ListSeed, MasterDataConfig, authorize, error_json, json, query, with_store,
};
use crate::state::SharedRef;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use bytes::Bytes;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

const PAGE: usize = 100;

/// One list as a test reads it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListSnapshot {
    /// The list id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Levels.
    pub levels: u32,
    /// `managedBy`.
    pub managed_by: Option<String>,
    /// Every item, deleted ones included, in creation order.
    pub items: Vec<ItemSnapshot>,
}

impl ListSnapshot {
    /// The live (not deleted) items.
    pub fn live(&self) -> impl Iterator<Item = &ItemSnapshot> {
        self.items.iter().filter(|i| !i.deleted)
    }

    /// The item with long code `code`.
    pub fn item(&self, code: &str) -> Option<&ItemSnapshot> {
        self.items.iter().find(|i| i.code == code)
    }
}

/// One item as a test reads it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemSnapshot {
    /// Item id.
    pub id: String,
    /// Long code.
    pub code: String,
    /// Own code.
    pub short_code: String,
    /// Name.
    pub value: String,
    /// 1-based level.
    pub level: u32,
    /// The parent's long code (`None` at level 1, or for an item orphaned by a hyphen).
    pub parent_code: Option<String>,
    /// Soft-deleted.
    pub deleted: bool,
}

struct ItemRec {
    id: String,
    short: String,
    code: String,
    value: String,
    parent: Option<usize>,
    level: u32,
    deleted: bool,
}

struct ListRec {
    id: String,
    value: String,
    levels: u32,
    category_id: String,
    category_type: String,
    managed_by: Option<String>,
    items: Vec<ItemRec>,
    by_code: HashMap<String, usize>,
    /// Children by parent (`None`: level 1), in creation order. Items orphaned by a
    /// corrupting hyphen are in no list here.
    children: HashMap<Option<usize>, Vec<usize>>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct SortKey {
    list: usize,
    parent: Option<usize>,
    by_short: bool,
    desc: bool,
    deleted: bool,
}

/// Every list and item.
#[derive(Default)]
pub(crate) struct Lists {
    lists: Vec<ListRec>,
    items: HashMap<String, (usize, usize)>,
    seq: u64,
    /// Sorted children per query shape, dropped on every write to the list.
    cache: HashMap<SortKey, Arc<Vec<usize>>>,
}

impl Lists {
    fn id(&mut self, kind: u16) -> String {
        self.seq += 1;
        format!(
            "{:08x}-{kind:04x}-4{:03x}-9{:03x}-{:012x}",
            0x1157_0000u32 + u32::from(kind),
            (self.seq >> 12) & 0xfff,
            self.seq & 0xfff,
            self.seq
        )
    }

    pub(crate) fn add_list(&mut self, seed: &ListSeed) {
        let id = self.id(1);
        let category_id = self.id(2);
        self.lists.push(ListRec {
            id,
            value: seed.name.clone(),
            levels: seed.levels.max(1),
            category_id,
            category_type: seed.category.clone(),
            managed_by: seed.managed_by.clone(),
            items: Vec::new(),
            by_code: HashMap::new(),
            children: HashMap::new(),
        });
    }

    pub(crate) fn snapshot(&self) -> Vec<ListSnapshot> {
        self.lists
            .iter()
            .map(|l| ListSnapshot {
                id: l.id.clone(),
                name: l.value.clone(),
                levels: l.levels,
                managed_by: l.managed_by.clone(),
                items: l
                    .items
                    .iter()
                    .map(|i| ItemSnapshot {
                        id: i.id.clone(),
                        code: i.code.clone(),
                        short_code: i.short.clone(),
                        value: i.value.clone(),
                        level: i.level,
                        parent_code: i.parent.map(|p| l.items[p].code.clone()),
                        deleted: i.deleted,
                    })
                    .collect(),
            })
            .collect()
    }

    fn list_index(&self, id: &str) -> Option<usize> {
        self.lists.iter().position(|l| l.id == id)
    }

    fn has_live_children(&self, list: usize, item: Option<usize>) -> bool {
        let l = &self.lists[list];
        l.children
            .get(&item)
            .is_some_and(|c| c.iter().any(|&i| !l.items[i].deleted))
    }

    fn item_json(&self, list: usize, i: usize) -> Value {
        let l = &self.lists[list];
        let it = &l.items[i];
        json!({
            "id": it.id,
            "code": it.code,
            "shortCode": it.short,
            "value": it.value,
            "parentId": it.parent.map(|p| l.items[p].id.clone()),
            "level": it.level,
            "lists": [ { "id": l.id, "hasChildren": self.has_live_children(list, Some(i)) } ],
            "isDeleted": it.deleted,
        })
    }

    fn list_json(&self, list: usize) -> Value {
        let l = &self.lists[list];
        json!({
            "id": l.id,
            "value": l.value,
            "levelCount": l.levels,
            "searchCriteria": "TEXT",
            "displayFormat": "(CODE) TEXT",
            "category": { "id": l.category_id, "type": l.category_type },
            "isReadOnly": false,
            "isDeleted": false,
            "managedBy": l.managed_by,
        })
    }

    fn sorted(&mut self, key: SortKey) -> Arc<Vec<usize>> {
        if let Some(v) = self.cache.get(&key) {
            return v.clone();
        }
        let l = &self.lists[key.list];
        let mut v: Vec<usize> = l
            .children
            .get(&key.parent)
            .map(|c| {
                c.iter()
                    .copied()
                    .filter(|&i| l.items[i].deleted == key.deleted)
                    .collect()
            })
            .unwrap_or_default();
        v.sort_by(|&a, &b| {
            let (a, b) = (&l.items[a], &l.items[b]);
            let o = if key.by_short {
                a.short.cmp(&b.short)
            } else {
                a.value.cmp(&b.value)
            };
            o.then_with(|| a.code.cmp(&b.code))
        });
        if key.desc {
            v.reverse();
        }
        let v = Arc::new(v);
        self.cache.insert(key, v.clone());
        v
    }

    fn touch(&mut self, list: usize) {
        self.cache.retain(|k, _| k.list != list);
    }

    /// Deletes `i` and its descendants.
    fn delete_cascade(&mut self, list: usize, i: usize) {
        let mut stack = vec![i];
        while let Some(n) = stack.pop() {
            let l = &mut self.lists[list];
            l.items[n].deleted = true;
            if let Some(c) = l.children.get(&Some(n)) {
                stack.extend(c.iter().copied());
            }
        }
    }
}

pub(super) fn routes(r: Router<SharedRef>) -> Router<SharedRef> {
    r.route("/list/v4/lists", get(get_lists))
        .route("/list/v4/lists/{list}", get(get_list))
        .route("/list/v4/lists/{list}/children", get(list_children))
        .route(
            "/list/v4/lists/{list}/items/{item}/children",
            get(list_item_children),
        )
        .route("/list/v4/items/{item}", get(get_item))
        .route("/list/v4/items/{item}/children", get(item_children))
        .route(
            "/list/v4/lists/{list}/bulk",
            axum::routing::post(bulk_create).patch(bulk_update),
        )
}

/// `op:value` of a filter parameter (`eq` when no known op is given).
fn filter(raw: &str) -> (&str, &str) {
    for op in ["eq", "not", "ne", "sw", "ew", "cp"] {
        if let Some(v) = raw.strip_prefix(op).and_then(|r| r.strip_prefix(':')) {
            return (op, v);
        }
    }
    ("eq", raw)
}

fn matches(op: &str, want: &str, have: &str) -> bool {
    match op {
        "not" | "ne" => have != want,
        "sw" => have.starts_with(want),
        "ew" => have.ends_with(want),
        "cp" => have.contains(want),
        _ => have == want,
    }
}

/// The paged wrapper; `next` and the other links keep every query parameter but `page`.
fn paged(
    cfg: &MasterDataConfig,
    base: &str,
    uri: &Uri,
    page: usize,
    total: usize,
    content: Vec<Value>,
) -> Value {
    let pages = total.div_ceil(PAGE);
    let mut links = Vec::new();
    if pages > 1 {
        let q: Vec<(String, String)> = query(uri)
            .into_iter()
            .filter(|(k, _)| k != "page")
            .collect();
        let href = |n: usize| {
            let mut ser = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &q {
                ser.append_pair(k, v);
            }
            ser.append_pair("page", &n.to_string());
            let path = format!("{}?{}", uri.path(), ser.finish());
            if cfg.relative_links {
                path
            } else {
                format!("{base}{path}")
            }
        };
        links.push(json!({"rel": "first", "href": href(1)}));
        if page > 1 {
            links.push(json!({"rel": "prev", "href": href(page - 1)}));
        }
        links.push(json!({"rel": "self", "href": href(page)}));
        if page < pages {
            links.push(json!({"rel": "next", "href": href(page + 1)}));
        }
        links.push(json!({"rel": "last", "href": href(pages)}));
    }
    json!({
        "links": links,
        "content": content,
        "page": { "size": PAGE, "totalElements": total, "totalPages": pages, "number": page },
    })
}

#[allow(clippy::result_large_err)]
fn page_of(q: &BTreeMap<String, String>) -> Result<usize, Response> {
    match q.get("page") {
        None => Ok(1),
        Some(p) => p.parse::<usize>().ok().filter(|&n| n >= 1).ok_or_else(|| {
            error_json(
                400,
                "request.validation.error",
                "page must be 1 or more",
                "/list/v4",
            )
        }),
    }
}

async fn get_lists(State(s): State<SharedRef>, headers: HeaderMap, uri: Uri) -> Response {
    if let Err(r) = authorize(&s, &headers, true) {
        return r;
    }
    let q = query(&uri);
    let page = match page_of(&q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let base = s.base.clone();
    with_store(&s, |st, cfg| {
        let ls = &st.lists;
        let mut idx: Vec<usize> = (0..ls.lists.len())
            .filter(|&i| {
                let l = &ls.lists[i];
                q.get("value").is_none_or(|f| {
                    let (op, v) = filter(f);
                    matches(op, v, &l.value)
                }) && q.get("levelCount").is_none_or(|f| {
                    let (op, v) = filter(f);
                    let n: u32 = v.parse().unwrap_or(0);
                    match op {
                        "gt" => l.levels > n,
                        "gte" => l.levels >= n,
                        "lt" => l.levels < n,
                        "lte" => l.levels <= n,
                        _ => l.levels == n,
                    }
                }) && q.get("category.type").is_none_or(|f| {
                    let (op, v) = filter(f);
                    matches(op, v, &l.category_type)
                }) && q
                    .get("isDeleted")
                    .is_none_or(|v| v.trim_start_matches("eq:") != "true")
            })
            .collect();
        idx.sort_by(|&a, &b| ls.lists[a].value.cmp(&ls.lists[b].value));
        if q.get("sortDirection").is_some_and(|d| d == "desc") {
            idx.reverse();
        }
        let total = idx.len();
        let content = idx
            .iter()
            .skip((page - 1) * PAGE)
            .take(PAGE)
            .map(|&i| ls.list_json(i))
            .collect();
        json(
            StatusCode::OK,
            paged(cfg, &base, &uri, page, total, content),
        )
    })
}

async fn get_list(
    State(s): State<SharedRef>,
    Path(list): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&s, &headers, true) {
        return r;
    }
    with_store(&s, |st, _| match st.lists.list_index(&list) {
        Some(i) => json(StatusCode::OK, st.lists.list_json(i)),
        None => error_json(404, "list.not.found", "List not found", "/list/v4/lists"),
    })
}

async fn get_item(
    State(s): State<SharedRef>,
    Path(item): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&s, &headers, true) {
        return r;
    }
    with_store(&s, |st, _| match st.lists.items.get(&item).copied() {
        Some((l, i)) => json(StatusCode::OK, st.lists.item_json(l, i)),
        None => error_json(404, "item.not.found", "Item not found", "/list/v4/items"),
    })
}

async fn list_children(
    State(s): State<SharedRef>,
    Path(list): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    children(&s, &headers, &uri, Some(list), None)
}

async fn item_children(
    State(s): State<SharedRef>,
    Path(item): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    children(&s, &headers, &uri, None, Some(item))
}

async fn list_item_children(
    State(s): State<SharedRef>,
    Path((list, item)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    children(&s, &headers, &uri, Some(list), Some(item))
}

fn children(
    s: &SharedRef,
    headers: &HeaderMap,
    uri: &Uri,
    list: Option<String>,
    item: Option<String>,
) -> Response {
    if let Err(r) = authorize(s, headers, true) {
        return r;
    }
    let q = query(uri);
    let page = match page_of(&q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let base = s.base.clone();
    with_store(s, |st, cfg| {
        let ls = &mut st.lists;
        let (li, parent) = match (&list, &item) {
            (_, Some(item)) => match ls.items.get(item).copied() {
                Some((l, i)) if list.as_ref().is_none_or(|id| *id == ls.lists[l].id) => {
                    (l, Some(i))
                }
                _ => return error_json(404, "item.not.found", "Item not found", uri.path()),
            },
            (Some(list), None) => match ls.list_index(list) {
                Some(l) => (l, None),
                None => return error_json(404, "list.not.found", "List not found", uri.path()),
            },
            (None, None) => return error_json(404, "list.not.found", "List not found", uri.path()),
        };
        let flag = |k: &str| q.get(k).map(|v| v.trim_start_matches("eq:") == "true");
        let key = SortKey {
            list: li,
            parent,
            by_short: q
                .get("sortBy")
                .is_some_and(|v| v.eq_ignore_ascii_case("shortCode")),
            desc: q.get("sortDirection").is_some_and(|d| d == "desc"),
            deleted: flag("isDeleted").unwrap_or(false),
        };
        let sorted = ls.sorted(key);
        let has_children = flag("hasChildren");
        let filters: Vec<(&str, (&str, &str))> = ["value", "shortCode", "shortCodeOrValue"]
            .iter()
            .filter_map(|k| q.get(*k).map(|v| (*k, filter(v))))
            .collect();
        let l = &ls.lists[li];
        let keep = |&&i: &&usize| {
            let it = &l.items[i];
            filters.iter().all(|(k, (op, v))| match *k {
                "value" => matches(op, v, &it.value),
                "shortCode" => matches(op, v, &it.short),
                _ => matches(op, v, &it.short) || matches(op, v, &it.value),
            }) && has_children.is_none_or(|h| {
                l.children
                    .get(&Some(i))
                    .is_some_and(|c| c.iter().any(|&c| !l.items[c].deleted))
                    == h
            })
        };
        let (total, chosen): (usize, Vec<usize>) = if filters.is_empty() && has_children.is_none() {
            (
                sorted.len(),
                sorted
                    .iter()
                    .skip((page - 1) * PAGE)
                    .take(PAGE)
                    .copied()
                    .collect(),
            )
        } else {
            let all: Vec<usize> = sorted.iter().filter(keep).copied().collect();
            (
                all.len(),
                all.into_iter().skip((page - 1) * PAGE).take(PAGE).collect(),
            )
        };
        let content = chosen.into_iter().map(|i| ls.item_json(li, i)).collect();
        json(StatusCode::OK, paged(cfg, &base, uri, page, total, content))
    })
}

/// The list of a bulk call, with the whole-request checks; `Err` is the answer.
#[allow(clippy::result_large_err)]
fn bulk_parts(
    st: &super::Store,
    cfg: &MasterDataConfig,
    list: &str,
    body: &Bytes,
    path: &str,
) -> Result<(usize, Vec<Value>), Response> {
    let Some(li) = st.lists.list_index(list) else {
        return Err(error_json(404, "list.not.found", "List not found", path));
    };
    if let Some(m) = &st.lists.lists[li].managed_by
        && *m != cfg.app_id
    {
        return Err(error_json(
            400,
            "list.is.managed",
            "Modify operation not permitted on this managed list",
            path,
        ));
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        error_json(
            400,
            "request.validation.error",
            &format!("malformed JSON: {e}"),
            path,
        )
    })?;
    let parts = v
        .get("requests")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if parts.is_empty() || parts.len() > 250 {
        let mut r = error_json(400, "request.validation.error", "Validation failed", path);
        let body = json!({
            "timestamp": crate::clock::format_time(crate::clock::now_unix()) + "Z",
            "httpStatus": "400 - Bad Request",
            "error": { "id": "request.validation.error", "message": "Validation failed" },
            "validationErrors": [ { "source": "requests", "message": "size must be between 1 and 250" } ],
            "path": path,
        });
        *r.body_mut() = axum::body::Body::from(body.to_string());
        return Err(r);
    }
    Ok((li, parts))
}

fn bulk_answer(ok_status: StatusCode, parts: usize, errors: Vec<Value>) -> Response {
    let failed = errors.len();
    let (status, word) = if failed == 0 {
        (ok_status, "SUCCESS")
    } else if failed == parts {
        (StatusCode::BAD_REQUEST, "FAILURE")
    } else {
        (StatusCode::PARTIAL_CONTENT, "PARTIAL_SUCCESS")
    };
    json(
        status,
        json!({
            "status": word,
            "recordsSucceeded": parts - failed,
            "recordsFailed": failed,
            "errors": errors,
        }),
    )
}

fn part_error(e: &PartError, part: &Value) -> Value {
    json!({ "id": e.id(), "message": e.to_string(), "listItem": part })
}

fn text<'a>(part: &'a Value, key: &str) -> Option<&'a str> {
    part.get(key).and_then(Value::as_str)
}

async fn bulk_create(
    State(s): State<SharedRef>,
    Path(list): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&s, &headers, true) {
        return r;
    }
    with_store(&s, |st, cfg| {
        let (li, parts) = match bulk_parts(st, cfg, &list, &body, uri.path()) {
            Ok(x) => x,
            Err(r) => return r,
        };
        let mut errors = Vec::new();
        for part in &parts {
            if let Err(e) = create_one(&mut st.lists, cfg, li, part) {
                errors.push(part_error(&e, part));
            }
        }
        st.lists.touch(li);
        bulk_answer(StatusCode::CREATED, parts.len(), errors)
    })
}

type PartResult = Result<(), PartError>;

/// Why one part of a bulk request fails: its error id ([`PartError::id`]) and message.
#[derive(Debug, thiserror::Error)]
enum PartError {
    #[error("shortCode: size must be between 1 and 32")]
    ShortCodeSize,
    #[error("value: size must be between 1 and 64")]
    ValueSize,
    #[error("Hyphens are not allowed in list item codes")]
    Hyphen,
    #[error("Parent item {0} not found")]
    ParentNotFound(String),
    #[error("Parent item {0} is deleted")]
    ParentDeleted(String),
    #[error("The list has {levels} level(s); this item would be at level {level}")]
    TooDeep { levels: u32, level: u32 },
    #[error("Code {0} is used by a deleted item")]
    CodeOfDeleted(String),
    #[error("Code {0} already exists in this list")]
    Duplicate(String),
    #[error("Item {0} not found")]
    NotFound(String),
    #[error("Item {0} is deleted")]
    Deleted(String),
    #[error("The parent of {0} is deleted")]
    ParentOfDeleted(String),
}

impl PartError {
    /// The error id Concur gives with the message.
    fn id(&self) -> &'static str {
        match self {
            PartError::ShortCodeSize | PartError::ValueSize => "request.validation.error",
            PartError::Hyphen => "item.code.invalid",
            PartError::ParentNotFound(_) => "item.parent.not.found",
            PartError::ParentDeleted(_) | PartError::ParentOfDeleted(_) => "item.parent.deleted",
            PartError::TooDeep { .. } => "item.max.level.exceeded",
            PartError::CodeOfDeleted(_) => "item.duplicate.code.deleted",
            PartError::Duplicate(_) => "item.duplicate.code",
            PartError::NotFound(_) => "item.not.found",
            PartError::Deleted(_) => "item.deleted",
        }
    }
}

fn create_one(ls: &mut Lists, cfg: &MasterDataConfig, li: usize, part: &Value) -> PartResult {
    let short = text(part, "shortCode").unwrap_or("").trim().to_owned();
    let value = text(part, "value").unwrap_or("").to_owned();
    let parent_code = text(part, "parentCode").filter(|p| !p.is_empty());
    if short.is_empty() || short.chars().count() > 32 {
        return Err(PartError::ShortCodeSize);
    }
    if value.trim().is_empty() || value.chars().count() > 64 {
        return Err(PartError::ValueSize);
    }
    if short.contains('-') && cfg.hyphens == HyphenMode::Reject {
        return Err(PartError::Hyphen);
    }
    let l = &ls.lists[li];
    let parent = match parent_code {
        None => None,
        Some(pc) => match l.by_code.get(pc).copied() {
            None => {
                return Err(PartError::ParentNotFound(pc.to_owned()));
            }
            Some(p) if l.items[p].deleted => {
                return Err(PartError::ParentDeleted(pc.to_owned()));
            }
            Some(p) => Some(p),
        },
    };
    let long = match parent {
        Some(p) => format!("{}-{short}", l.items[p].code),
        None => short.clone(),
    };
    // A hyphen accepted: the long code is split on `-` as Concur's warning says it may be.
    let (short, parent, level) = if short.contains('-') {
        let segs: Vec<&str> = long.split('-').collect();
        let n = segs.len();
        let up = segs[..n - 1].join("-");
        let p = l.by_code.get(&up).copied();
        (segs[n - 1].to_owned(), p, n as u32)
    } else {
        (short, parent, parent.map_or(1, |p| l.items[p].level + 1))
    };
    if level > l.levels {
        return Err(PartError::TooDeep {
            levels: l.levels,
            level,
        });
    }
    if let Some(&existing) = l.by_code.get(&long) {
        return Err(if l.items[existing].deleted {
            PartError::CodeOfDeleted(long)
        } else {
            PartError::Duplicate(long)
        });
    }
    let id = ls.id(3);
    let l = &mut ls.lists[li];
    let n = l.items.len();
    l.items.push(ItemRec {
        id: id.clone(),
        short,
        code: long.clone(),
        value,
        parent,
        level,
        deleted: false,
    });
    l.by_code.insert(long, n);
    let orphan = level > 1 && parent.is_none();
    if !orphan {
        l.children.entry(parent).or_default().push(n);
    }
    ls.items.insert(id, (li, n));
    Ok(())
}

async fn bulk_update(
    State(s): State<SharedRef>,
    Path(list): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&s, &headers, true) {
        return r;
    }
    with_store(&s, |st, cfg| {
        let (li, parts) = match bulk_parts(st, cfg, &list, &body, uri.path()) {
            Ok(x) => x,
            Err(r) => return r,
        };
        let mut errors = Vec::new();
        for part in &parts {
            if let Err(e) = update_one(&mut st.lists, cfg, li, part) {
                errors.push(part_error(&e, part));
            }
        }
        st.lists.touch(li);
        bulk_answer(StatusCode::OK, parts.len(), errors)
    })
}

fn update_one(ls: &mut Lists, cfg: &MasterDataConfig, li: usize, part: &Value) -> PartResult {
    let code = text(part, "code").unwrap_or("");
    let value = text(part, "value");
    let deleted = part.get("deleted").and_then(Value::as_bool);
    let l = &ls.lists[li];
    let Some(i) = l.by_code.get(code).copied() else {
        return Err(PartError::NotFound(code.to_owned()));
    };
    if let Some(v) = value
        && (v.trim().is_empty() || v.chars().count() > 64)
    {
        return Err(PartError::ValueSize);
    }
    if l.items[i].deleted {
        if deleted != Some(false) || !cfg.undelete {
            return Err(PartError::Deleted(code.to_owned()));
        }
        if let Some(p) = l.items[i].parent
            && l.items[p].deleted
        {
            return Err(PartError::ParentOfDeleted(code.to_owned()));
        }
        let l = &mut ls.lists[li];
        l.items[i].deleted = false;
        if let Some(v) = value {
            l.items[i].value = v.to_owned();
        }
        return Ok(());
    }
    if deleted == Some(true) {
        ls.delete_cascade(li, i);
        return Ok(());
    }
    if let Some(v) = value {
        ls.lists[li].items[i].value = v.to_owned();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::PartError;

    #[test]
    fn each_part_error_has_concurs_id_and_message() {
        let cases = [
            (
                PartError::ShortCodeSize,
                "request.validation.error",
                "shortCode: size must be between 1 and 32",
            ),
            (
                PartError::ValueSize,
                "request.validation.error",
                "value: size must be between 1 and 64",
            ),
            (
                PartError::Hyphen,
                "item.code.invalid",
                "Hyphens are not allowed in list item codes",
            ),
            (
                PartError::ParentNotFound("A".into()),
                "item.parent.not.found",
                "Parent item A not found",
            ),
            (
                PartError::ParentDeleted("A".into()),
                "item.parent.deleted",
                "Parent item A is deleted",
            ),
            (
                PartError::TooDeep {
                    levels: 2,
                    level: 3,
                },
                "item.max.level.exceeded",
                "The list has 2 level(s); this item would be at level 3",
            ),
            (
                PartError::CodeOfDeleted("A-B".into()),
                "item.duplicate.code.deleted",
                "Code A-B is used by a deleted item",
            ),
            (
                PartError::Duplicate("A-B".into()),
                "item.duplicate.code",
                "Code A-B already exists in this list",
            ),
            (
                PartError::NotFound("A".into()),
                "item.not.found",
                "Item A not found",
            ),
            (
                PartError::Deleted("A".into()),
                "item.deleted",
                "Item A is deleted",
            ),
            (
                PartError::ParentOfDeleted("A".into()),
                "item.parent.deleted",
                "The parent of A is deleted",
            ),
        ];
        for (e, id, message) in cases {
            assert_eq!((e.id(), e.to_string().as_str()), (id, message));
        }
    }
}
