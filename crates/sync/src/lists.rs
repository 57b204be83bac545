//! Cost-object lists: the export's rows become list items (one per level a row fills,
//! parents from the same row), checked against Concur's rules before anything is sent
//! (no `-` in codes, code ≤ 32 and name ≤ 64 characters, no deeper than the list's
//! levels, one row per long code); Concur's list is read whole (List Item v4 children,
//! breadth first, every page, deleted items too); the diff by long code is the plan; and
//! `--apply` sends it with List Item Bulk v4 in calls of at most 250 parts, parents before
//! children, mapping every per-part error back to its input row.

use crate::concur::{Api, encode};
use crate::error::{Result, SyncError};
use crate::mapping::{ListMap, Mapping, OnDeleted};
use crate::record::{RecordRow, Records, sent_hash};
use crate::report::{Action, Change, Outcome, Report, Status};
use crate::{Options, input::Table};
use ledgerline_fetch::Replay;
use ledgerline_findings::{Check, Family, Finding, Position};
use ledgerline_ledger::Ledger;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Parts per List Item Bulk v4 call (Concur's maximum).
pub const BULK_MAX: usize = 250;
/// Longest item code Concur accepts (v3/v1 limit, assumed for v4).
pub const CODE_MAX: usize = 32;
/// Longest item name.
pub const NAME_MAX: usize = 64;

/// One item the export asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// Long code (ancestors' codes joined by `-`).
    pub code: String,
    /// Own code.
    pub short: String,
    /// Name.
    pub value: String,
    /// The parent's long code.
    pub parent: Option<String>,
    /// 1-based level.
    pub level: u32,
    /// Input line that defines it.
    pub line: u64,
}

/// One item as Concur holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// Item id.
    pub id: String,
    /// Name.
    pub value: String,
    /// Soft-deleted.
    pub deleted: bool,
}

/// The Concur list synced into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListInfo {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its levels.
    pub levels: u32,
}

/// The export read into wanted items, with the findings about its rows.
pub fn wanted(table: &Table, map: &ListMap) -> (Vec<Wanted>, Vec<Finding>) {
    let mut findings = Vec::new();
    let levels = map.resolved_levels();
    let sep = map.resolved_separator();
    let file = table.file.as_str();
    let mut cols = Vec::new();
    for l in &levels {
        let code = table.column(&l.code);
        let name = l.name.as_deref().map(|n| (n, table.column(n)));
        let missing = [
            Some(l.code.as_str()).filter(|_| code.is_none()),
            name.and_then(|(n, c)| c.is_none().then_some(n)),
        ];
        for m in missing.into_iter().flatten() {
            findings.push(Finding::new(
                Family::Sync,
                Check::SyncMissingColumn,
                file,
                format!(
                    "no column {m:?} (the mapping's [sync.lists]); the columns are: {}",
                    table.headers.join(", ")
                ),
            ));
        }
        cols.push((code, name.and_then(|(_, c)| c)));
    }
    if !findings.is_empty() {
        return (Vec::new(), findings);
    }
    let col_name = |i: usize| table.headers.get(i).cloned().unwrap_or_default();
    let mut out: Vec<Wanted> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    // Long codes a row defined as its deepest item: a second such row is a duplicate.
    let mut defined: HashMap<String, u64> = HashMap::new();
    let mut named_differently: HashSet<String> = HashSet::new();
    for row in &table.rows {
        let cell = |c: usize| row.cells.get(c).map(String::as_str).unwrap_or("");
        let at = |check: Check, col: usize, msg: String| {
            Finding::new(Family::Sync, check, file, msg)
                .at(Position {
                    line: row.line,
                    byte: 0,
                })
                .column(col as u32 + 1, col_name(col))
        };
        // How deep this row goes: its last filled level.
        let depth = cols
            .iter()
            .rposition(|(c, _)| c.is_some_and(|c| !cell(c).is_empty()))
            .map_or(0, |d| d + 1);
        if depth == 0 {
            let c = cols[0].0.unwrap_or(0);
            findings.push(at(
                Check::SyncMissingValue,
                c,
                format!(
                    "no {} code: every list item needs one (Concur keys items by code)",
                    levels[0].code
                ),
            ));
            continue;
        }
        let mut row_items = Vec::new();
        let mut bad = false;
        let mut parent: Option<String> = None;
        for (lvl, (code_col, name_col)) in cols.iter().take(depth).enumerate() {
            let c = code_col.unwrap_or(0);
            let code = cell(c);
            if code.is_empty() {
                findings.push(at(
                    Check::SyncMissingValue,
                    c,
                    format!("level {} code is empty but a deeper level is given: Concur needs every level's code", lvl + 1),
                ));
                bad = true;
                break;
            }
            if code.contains('-') {
                findings.push(at(
                    Check::SyncHyphen,
                    c,
                    format!("code `{code}` contains `-`: Concur joins the levels of a long code with `-`, so it would misread the item (and can corrupt the list); not sent"),
                ));
                bad = true;
                break;
            }
            if code.chars().count() > CODE_MAX {
                findings.push(at(
                    Check::SyncTooLong,
                    c,
                    format!(
                        "code `{code}` has {} characters; Concur accepts at most {CODE_MAX}",
                        code.chars().count()
                    ),
                ));
                bad = true;
                break;
            }
            let mut value = name_col.map(cell).unwrap_or("").to_owned();
            if let Some(sep) = &sep
                && let Some((_, last)) = value.rsplit_once(sep.as_str())
            {
                value = last.trim().to_owned();
            }
            if value.is_empty() {
                value = code.to_owned();
            }
            if value.chars().count() > NAME_MAX {
                findings.push(at(
                    Check::SyncTooLong,
                    name_col.unwrap_or(c),
                    format!(
                        "name has {} characters; Concur accepts at most {NAME_MAX}",
                        value.chars().count()
                    ),
                ));
                bad = true;
                break;
            }
            let long = match &parent {
                Some(p) => format!("{p}-{code}"),
                None => code.to_owned(),
            };
            row_items.push(Wanted {
                code: long.clone(),
                short: code.to_owned(),
                value,
                parent: parent.clone(),
                level: lvl as u32 + 1,
                line: row.line,
            });
            parent = Some(long);
        }
        if bad {
            continue;
        }
        let deepest = row_items.last().map(|w| w.code.clone()).unwrap_or_default();
        if let Some(first) = defined.get(&deepest) {
            let c = cols[depth - 1].0.unwrap_or(0);
            findings.push(at(
                Check::SyncDuplicateKey,
                c,
                format!(
                    "item `{deepest}` is already given on line {first}; only the first is sent"
                ),
            ));
            continue;
        }
        defined.insert(deepest.clone(), row.line);
        for w in row_items {
            match index.get(&w.code) {
                Some(&i) => {
                    let is_deepest = w.code == deepest;
                    if out[i].value != w.value && named_differently.insert(w.code.clone()) {
                        let col = cols[w.level as usize - 1].1.unwrap_or(0);
                        findings.push(at(
                            Check::SyncConflictingName,
                            col,
                            format!(
                                "item `{}` is named `{}` here and `{}` on line {}; `{}` is sent",
                                w.code,
                                w.value,
                                out[i].value,
                                out[i].line,
                                if is_deepest { &w.value } else { &out[i].value }
                            ),
                        ));
                    }
                    if is_deepest {
                        // The row that names the item itself wins over rows that only imply it.
                        out[i].value = w.value;
                        out[i].line = w.line;
                    }
                }
                None => {
                    index.insert(w.code.clone(), out.len());
                    out.push(w);
                }
            }
        }
    }
    (out, findings)
}

/// Finds the list by id or exact name.
pub fn find_list(api: &mut Api<'_>, map: &ListMap, mapping: &Mapping) -> Result<ListInfo> {
    let info = |v: &Value| ListInfo {
        id: v["id"].as_str().unwrap_or("").to_owned(),
        name: v["value"].as_str().unwrap_or("").to_owned(),
        levels: v["levelCount"].as_u64().unwrap_or(1) as u32,
    };
    if let Some(id) = &map.list_id {
        let r = api.call("GET", &format!("/list/v4/lists/{id}"), None, Replay::Safe)?;
        if r.status == 404 {
            return Err(SyncError::NoSuchList(id.clone()));
        }
        if !r.ok() {
            return Err(crate::concur::unexpected(
                api.client.api_url(&format!("/list/v4/lists/{id}")),
                &r,
            ));
        }
        return Ok(info(&r.json()));
    }
    let Some(name) = &map.list else {
        return Err(
            mapping.error("[sync.lists] needs `list = \"<Concur list name>\"` or `list_id`".into())
        );
    };
    let mut found = None;
    api.pages(
        &format!("/list/v4/lists?value={}", encode(&format!("eq:{name}"))),
        |v| {
            if found.is_none()
                && v["value"].as_str() == Some(name)
                && v["isDeleted"].as_bool() != Some(true)
            {
                found = Some(info(v));
            }
        },
    )?;
    found.ok_or_else(|| SyncError::NoSuchList(name.clone()))
}

/// Reads every item of the list: live items breadth first through the children
/// endpoints, and at each visited level the deleted items (whose codes stay reserved).
pub fn read_list(api: &mut Api<'_>, list: &ListInfo) -> Result<HashMap<String, Held>> {
    let mut held = HashMap::new();
    let mut queue: std::collections::VecDeque<Option<String>> = [None].into();
    while let Some(parent) = queue.pop_front() {
        let base = match &parent {
            None => format!("/list/v4/lists/{}/children", list.id),
            Some(id) => format!("/list/v4/lists/{}/items/{id}/children", list.id),
        };
        for deleted in [false, true] {
            let url = if deleted {
                format!("{base}?isDeleted=true")
            } else {
                base.clone()
            };
            api.pages(&url, |v| {
                let Some(code) = v["code"].as_str() else {
                    return;
                };
                let id = v["id"].as_str().unwrap_or("").to_owned();
                let is_deleted = v["isDeleted"].as_bool().unwrap_or(deleted);
                let has_children = v["hasChildren"].as_bool().unwrap_or(false)
                    || v["lists"].as_array().is_some_and(|ls| {
                        ls.iter().any(|l| {
                            l["id"].as_str() == Some(list.id.as_str())
                                && l["hasChildren"].as_bool() == Some(true)
                        })
                    });
                if has_children && !is_deleted {
                    queue.push_back(Some(id.clone()));
                }
                held.insert(
                    code.to_owned(),
                    Held {
                        id,
                        value: v["value"].as_str().unwrap_or("").to_owned(),
                        deleted: is_deleted,
                    },
                );
            })?;
        }
    }
    Ok(held)
}

/// The plan: what to send for every wanted item, and what to deactivate.
pub struct Plan {
    /// Reactivations, creations, updates, deactivations, each parents first.
    pub changes: Vec<(Change, Option<Wanted>)>,
    /// Items already as the export says.
    pub unchanged: Vec<Wanted>,
}

/// Diffs the wanted items against Concur's.
pub fn diff(
    file: &str,
    list: &ListInfo,
    mut want: Vec<Wanted>,
    held: &HashMap<String, Held>,
    map: &ListMap,
    delete_missing: bool,
    report: &mut Report,
) -> Plan {
    want.sort_by_key(|w| w.level);
    let finding = |check: Check, w: &Wanted, msg: String| {
        Finding::new(Family::Sync, check, file, msg).at(Position {
            line: w.line,
            byte: 0,
        })
    };
    let mut blocked: HashSet<String> = HashSet::new();
    let mut reactivate = Vec::new();
    let mut create = Vec::new();
    let mut update = Vec::new();
    let mut unchanged = Vec::new();
    let wanted_codes: HashSet<&str> = want.iter().map(|w| w.code.as_str()).collect();
    for w in &want {
        if w.level > list.levels {
            report.findings.push(finding(
                Check::SyncTooDeep,
                w,
                format!("item `{}` would be at level {} but the Concur list {:?} has {} level(s); not sent", w.code, w.level, list.name, list.levels),
            ));
            blocked.insert(w.code.clone());
            report.plan.refused += 1;
            continue;
        }
        if let Some(p) = &w.parent
            && blocked.contains(p)
        {
            report.findings.push(finding(
                Check::SyncNoParent,
                w,
                format!("item `{}`: its parent `{p}` is not sent (see its finding), so neither is this item", w.code),
            ));
            blocked.insert(w.code.clone());
            report.plan.refused += 1;
            continue;
        }
        match held.get(&w.code) {
            None => create.push(w.clone()),
            Some(h) if h.deleted => {
                if map.on_deleted == OnDeleted::Reactivate {
                    reactivate.push(w.clone());
                } else {
                    report.findings.push(finding(
                        Check::SyncReservedCode,
                        w,
                        format!("item `{}` was deleted in Concur, which keeps its code reserved: it cannot be created again; not sent (on_deleted = \"reactivate\" in [sync.lists] sends `deleted: false` for it)", w.code),
                    ));
                    blocked.insert(w.code.clone());
                    report.plan.refused += 1;
                }
            }
            Some(h) if h.value != w.value => update.push(w.clone()),
            Some(_) => unchanged.push(w.clone()),
        }
    }
    // Deactivations: live items the export lacks, top-most only (Concur cascades), never
    // an ancestor of a wanted item.
    let mut keep_ancestors: HashSet<&str> = HashSet::new();
    for w in &want {
        let mut code = w.code.as_str();
        while let Some((up, _)) = code.rsplit_once('-') {
            keep_ancestors.insert(up);
            code = up;
        }
    }
    let mut missing: Vec<&String> = held
        .iter()
        .filter(|(code, h)| {
            !h.deleted
                && !wanted_codes.contains(code.as_str())
                && !keep_ancestors.contains(code.as_str())
        })
        .map(|(c, _)| c)
        .collect();
    missing.sort();
    let missing_set: HashSet<&str> = missing.iter().map(|c| c.as_str()).collect();
    let top_most: Vec<&String> = missing
        .iter()
        .copied()
        .filter(|c| {
            let mut code = c.as_str();
            while let Some((up, _)) = code.rsplit_once('-') {
                if missing_set.contains(up) {
                    return false;
                }
                code = up;
            }
            true
        })
        .collect();
    let mut changes = Vec::new();
    let change = |w: &Wanted, action: Action, detail: String| {
        (
            Change {
                key: w.code.clone(),
                action,
                line: Some(w.line),
                detail,
            },
            Some(w.clone()),
        )
    };
    for w in &reactivate {
        changes.push(change(w, Action::Reactivate, w.value.clone()));
    }
    for w in &create {
        changes.push(change(w, Action::Create, w.value.clone()));
    }
    for w in &update {
        let before = held.get(&w.code).map(|h| h.value.as_str()).unwrap_or("");
        changes.push(change(
            w,
            Action::Update,
            format!("{before} -> {}", w.value),
        ));
    }
    report.plan.reactivate = reactivate.len();
    report.plan.create = create.len();
    report.plan.update = update.len();
    report.plan.unchanged = unchanged.len();
    if delete_missing {
        for c in &top_most {
            let h = &held[*c];
            changes.push((
                Change {
                    key: (*c).clone(),
                    action: Action::Deactivate,
                    line: None,
                    detail: h.value.clone(),
                },
                None,
            ));
        }
        report.plan.deactivate = top_most.len();
    } else {
        report.plan.only_in_concur = missing.len();
    }
    Plan { changes, unchanged }
}

/// The body part of a change.
fn part(change: &Change, w: Option<&Wanted>) -> Value {
    match (change.action, w) {
        (Action::Create, Some(w)) => match &w.parent {
            Some(p) => json!({ "shortCode": w.short, "value": w.value, "parentCode": p }),
            None => json!({ "shortCode": w.short, "value": w.value }),
        },
        (Action::Update, Some(w)) => json!({ "code": w.code, "value": w.value }),
        (Action::Reactivate, Some(w)) => {
            json!({ "code": w.code, "value": w.value, "deleted": false })
        }
        _ => json!({ "code": change.key, "deleted": true }),
    }
}

/// The long code a bulk error's echoed part is about.
fn key_of(part: &Value) -> Option<String> {
    if let Some(code) = part.get("code").and_then(Value::as_str) {
        return Some(code.to_owned());
    }
    let short = part.get("shortCode").and_then(Value::as_str)?;
    Some(
        match part
            .get("parentCode")
            .and_then(Value::as_str)
            .filter(|p| !p.is_empty())
        {
            Some(p) => format!("{p}-{short}"),
            None => short.to_owned(),
        },
    )
}

/// What one bulk call did to each of its parts: `Ok` or `Err((id, message))`.
fn send_bulk(
    api: &mut Api<'_>,
    list: &ListInfo,
    method: &str,
    parts: &[Value],
) -> Result<Vec<std::result::Result<(), (String, String)>>> {
    let url = format!("/list/v4/lists/{}/bulk", list.id);
    let body = json!({ "requests": parts });
    // Replay is safe: a repeated create part meets `item.duplicate.code`, a repeated update
    // sets the same values again.
    let r = api.call(method, &url, Some(&body), Replay::Safe)?;
    let v = r.json();
    let mut results: Vec<std::result::Result<(), (String, String)>> = vec![Ok(()); parts.len()];
    if let Some(errors) = v.get("errors").and_then(Value::as_array) {
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in parts.iter().enumerate() {
            if let Some(k) = key_of(p) {
                by_key.entry(k).or_default().push(i);
            }
        }
        for e in errors {
            let id = e["id"].as_str().unwrap_or("error").to_owned();
            let msg = e["message"].as_str().unwrap_or("").to_owned();
            if let Some(k) = e.get("listItem").and_then(key_of)
                && let Some(is) = by_key.get(&k)
            {
                for &i in is {
                    results[i] = Err((id.clone(), msg.clone()));
                }
            }
        }
        return Ok(results);
    }
    if r.ok() {
        return Ok(results);
    }
    // A whole-request refusal (managed list, unknown list, validation).
    let id = v
        .pointer("/error/id")
        .and_then(Value::as_str)
        .unwrap_or("http.error")
        .to_owned();
    let mut msg = v
        .pointer("/error/message")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| r.body.chars().take(200).collect());
    if let Some(ve) = v.get("validationErrors").and_then(Value::as_array) {
        for e in ve {
            msg.push_str(&format!(
                "; {}: {}",
                e["source"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("")
            ));
        }
    }
    Ok(vec![
        Err((format!("{id} (HTTP {})", r.status), msg));
        parts.len()
    ])
}

/// Runs `ledgerline sync lists`: plan, and with `opts.apply` apply.
pub fn sync(
    api: &mut Api<'_>,
    ledger: &mut Ledger,
    company: &str,
    mapping: &Mapping,
    input: &Path,
    opts: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<Report> {
    let map = mapping.lists()?;
    let delimiter = crate::mapping::delimiter(mapping, map.delimiter.as_deref())?;
    let table = Table::read(input, delimiter)?;
    let (want, findings) = wanted(&table, map);
    let list = find_list(api, map, mapping)?;
    let mut report = Report::new("lists", &table.file, &list.name);
    report.findings = findings;
    report.plan.refused = report.errors();
    progress(&format!(
        "reading the Concur list {:?} ({} level(s))",
        list.name, list.levels
    ));
    let held = read_list(api, &list)?;
    let plan = diff(
        &table.file,
        &list,
        want,
        &held,
        map,
        opts.delete_missing,
        &mut report,
    );
    report.changes = plan.changes.iter().map(|(c, _)| c.clone()).collect();
    report.requests = api.requests;
    report.rate_limited = api.rate_limited;
    if !opts.apply || (opts.strict && report.errors() > 0) {
        return Ok(report);
    }
    report.applied = true;
    let mut records = Records::start(ledger, company, "lists", &list.id, &table.file)?;
    apply(api, &list, &plan, &mut records, &mut report, progress)?;
    let unchanged: Vec<RecordRow> = plan
        .unchanged
        .iter()
        .map(|w| RecordRow {
            key: w.code.clone(),
            status: "unchanged".into(),
            sent_sha256: None,
            error_code: None,
            error_message: None,
            line: Some(w.line),
        })
        .collect();
    records.put(&unchanged)?;
    report.requests = api.requests;
    report.rate_limited = api.rate_limited;
    records.finish(&json!({
        "plan": report.plan,
        "created": report.count(Status::Created),
        "updated": report.count(Status::Updated),
        "deactivated": report.count(Status::Deactivated),
        "reactivated": report.count(Status::Reactivated),
        "failed": report.count(Status::Failed),
        "interrupted": report.interrupted,
    }))?;
    Ok(report)
}

fn apply(
    api: &mut Api<'_>,
    list: &ListInfo,
    plan: &Plan,
    records: &mut Records<'_>,
    report: &mut Report,
    progress: &mut dyn FnMut(&str),
) -> Result<()> {
    // Calls in order: reactivations, creations, updates, deactivations; a call never mixes
    // actions, and each holds at most BULK_MAX parts of one level at most for creations
    // (a level's parents are all sent before its children).
    let mut groups: Vec<(Action, u32, Vec<usize>)> = Vec::new();
    for (i, (c, w)) in plan.changes.iter().enumerate() {
        let level = if c.action == Action::Create {
            w.as_ref().map_or(0, |w| w.level)
        } else {
            0
        };
        match groups.last_mut() {
            Some((a, l, v)) if *a == c.action && *l == level && v.len() < BULK_MAX => v.push(i),
            _ => groups.push((c.action, level, vec![i])),
        }
    }
    let total = groups.len();
    for (n, (action, _, idx)) in groups.into_iter().enumerate() {
        let parts: Vec<Value> = idx
            .iter()
            .map(|&i| part(&plan.changes[i].0, plan.changes[i].1.as_ref()))
            .collect();
        let pending: Vec<RecordRow> = idx
            .iter()
            .zip(&parts)
            .map(|(&i, p)| RecordRow {
                key: plan.changes[i].0.key.clone(),
                status: "pending".into(),
                sent_sha256: Some(sent_hash(p)),
                error_code: None,
                error_message: None,
                line: plan.changes[i].0.line,
            })
            .collect();
        records.put(&pending)?;
        progress(&format!(
            "call {}/{total}: {} {} item(s)",
            n + 1,
            verb(action),
            parts.len()
        ));
        let method = if action == Action::Create {
            "POST"
        } else {
            "PATCH"
        };
        let results = match send_bulk(api, list, method, &parts) {
            Ok(r) => r,
            Err(SyncError::Fetch(e)) => {
                report.interrupted = Some(e.to_string());
                for &i in &idx {
                    let c = &plan.changes[i].0;
                    report.outcomes.push(Outcome {
                        key: c.key.clone(),
                        line: c.line,
                        action,
                        status: Status::Unknown,
                        code: None,
                        message: None,
                    });
                }
                // What was never sent stays planned, not pending: the next run plans it again.
                for (c, _) in plan.changes.iter().skip(idx.last().map_or(0, |l| l + 1)) {
                    report.outcomes.push(Outcome {
                        key: c.key.clone(),
                        line: c.line,
                        action: c.action,
                        status: Status::Unknown,
                        code: None,
                        message: Some("not sent: the run stopped before".into()),
                    });
                }
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        // A create that meets its own code (a replay of a call whose answer was lost, or an
        // item created meanwhile) becomes an update of the name.
        let mut retry_as_update = Vec::new();
        let mut rows = Vec::new();
        for ((&i, res), p) in idx.iter().zip(results).zip(&parts) {
            let (c, w) = &plan.changes[i];
            let (status, code, message) = match res {
                Ok(()) => (done(action), None, None),
                Err((id, _)) if action == Action::Create && id == "item.duplicate.code" => {
                    if let Some(w) = w {
                        retry_as_update.push((i, json!({ "code": w.code, "value": w.value })));
                    }
                    continue;
                }
                Err((id, msg)) => (Status::Failed, Some(id), Some(msg)),
            };
            rows.push(RecordRow {
                key: c.key.clone(),
                status: status.ledger_word().into(),
                sent_sha256: Some(sent_hash(p)),
                error_code: code.clone(),
                error_message: message.clone(),
                line: c.line,
            });
            report.outcomes.push(Outcome {
                key: c.key.clone(),
                line: c.line,
                action,
                status,
                code,
                message,
            });
        }
        if !retry_as_update.is_empty() {
            let parts: Vec<Value> = retry_as_update.iter().map(|(_, p)| p.clone()).collect();
            let results = send_bulk(api, list, "PATCH", &parts)?;
            for ((i, p), res) in retry_as_update.iter().zip(results) {
                let c = &plan.changes[*i].0;
                let (status, code, message) = match res {
                    Ok(()) => (
                        Status::Updated,
                        None,
                        Some("already in Concur: name set".to_owned()),
                    ),
                    Err((id, msg)) => (Status::Failed, Some(id), Some(msg)),
                };
                rows.push(RecordRow {
                    key: c.key.clone(),
                    status: status.ledger_word().into(),
                    sent_sha256: Some(sent_hash(p)),
                    error_code: code.clone(),
                    error_message: message.clone(),
                    line: c.line,
                });
                report.outcomes.push(Outcome {
                    key: c.key.clone(),
                    line: c.line,
                    action: Action::Create,
                    status,
                    code,
                    message,
                });
            }
        }
        records.put(&rows)?;
    }
    for o in &report.outcomes {
        if o.status == Status::Failed {
            let mut f = Finding::new(
                Family::Sync,
                Check::SyncRejected,
                &report.input,
                format!(
                    "item `{}`: Concur answered {}: {}",
                    o.key,
                    o.code.as_deref().unwrap_or(""),
                    o.message.as_deref().unwrap_or("")
                ),
            );
            if let Some(line) = o.line {
                f = f.at(Position { line, byte: 0 });
            }
            report.findings.push(f);
        }
    }
    Ok(())
}

fn verb(a: Action) -> &'static str {
    match a {
        Action::Create => "creating",
        Action::Update => "updating",
        Action::Deactivate => "deactivating",
        Action::Reactivate => "reactivating",
    }
}

fn done(a: Action) -> Status {
    match a {
        Action::Create => Status::Created,
        Action::Update => Status::Updated,
        Action::Deactivate => Status::Deactivated,
        Action::Reactivate => Status::Reactivated,
    }
}
