//! The simulator's state: tokens, jobs, batches, posted entries, armed faults, counters.
//! Everything here is plain synchronous code behind one mutex, never held across an await.

use crate::clock::now_unix;
use crate::config::{BatchConfig, DefinitionKind, Fault, JobClock, SimConfig};
use crate::files::FileBody;
use ledgerline_generate::entries::PostedEntry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A job's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Queued.
    Queued,
    /// Running.
    Running,
    /// Completed.
    Completed,
    /// Failed.
    Failed,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Queued => "Queued",
            Status::Running => "Running",
            Status::Completed => "Completed",
            Status::Failed => "Failed",
        }
    }
    pub fn number(self) -> u8 {
        match self {
            Status::Queued => 0,
            Status::Running => 1,
            Status::Completed => 2,
            Status::Failed => 3,
        }
    }
    pub fn in_flight(self) -> bool {
        matches!(self, Status::Queued | Status::Running)
    }
}

pub(crate) struct JobRec {
    pub def: usize,
    pub id: String,
    pub number: u64,
    created: Instant,
    pub start_unix: i64,
    pub stop_unix: Option<i64>,
    reads: u32,
    fail: bool,
    preset: Option<Status>,
    pub entries: Vec<PostedEntry>,
    pub file: Option<FileBody>,
}

pub(crate) struct BatchRec {
    pub cfg: BatchConfig,
    pub number: u64,
    pub batch_id: String,
    pub url_id: String,
    pub closed: bool,
    pub generation: u32,
    pub file: Option<FileBody>,
}

struct AccessToken {
    expires: Instant,
    connection: Option<u64>,
    expired: bool,
}

struct RefreshToken {
    expires: Instant,
    connection: u64,
}

struct ArmedFault {
    fault: Fault,
    seen: u32,
    fired: u32,
}

/// A stored posted entry, for `GET .../entry/{id}`.
#[derive(Debug, Clone)]
pub(crate) struct EntryRec {
    pub entry: PostedEntry,
    /// Order of posting (the entry id's own counter).
    pub sequence: u64,
    pub expense_key: String,
    pub payment_type: String,
}

#[derive(Default)]
pub(crate) struct Inner {
    rng: u64,
    request_tokens: HashMap<String, Instant>,
    /// Request tokens exchanged already (single-use after exchange, `crate::appcenter`).
    pub used_request_tokens: HashSet<String>,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    revoked: HashSet<u64>,
    next_connection: u64,
    pub jobs: Vec<JobRec>,
    job_seq: u64,
    pub batches: Vec<BatchRec>,
    pending_entries: Vec<PostedEntry>,
    pub entries: HashMap<(String, String), EntryRec>,
    /// Reports of posted entries already queued as FIS documents (closed to new entries).
    fis_reports: HashSet<String>,
    report_keys: HashMap<String, u64>,
    entry_seq: u64,
    faults: Vec<ArmedFault>,
    pub stats: BTreeMap<String, u64>,
    next_job_fails: bool,
    pub masterdata: crate::masterdata::Store,
}

/// Shared by every connection.
pub(crate) struct Shared {
    pub cfg: SimConfig,
    pub base: String,
    inner: Mutex<Inner>,
    /// The FIS queues (`crate::fis`).
    pub fis: Mutex<crate::fis::FisState>,
}

/// What an Authorization header amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// A valid company token.
    Company,
    /// A valid app-only (client credentials) token.
    App,
    /// No header, or a scheme other than Bearer/OAuth.
    Missing,
    /// Unknown, expired or revoked.
    Invalid,
}

/// The bearer token of an Authorization header (`Bearer x` or `OAuth x`, any case).
pub(crate) fn token_of(header: Option<&str>) -> Option<&str> {
    let mut it = header?.split_whitespace();
    let scheme = it.next()?;
    let token = it.next()?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth")).then_some(token)
}

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

impl Inner {
    fn next(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// An opaque token-like string.
    fn token(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(ALPHABET[(self.next() % ALPHABET.len() as u64) as usize]))
            .collect()
    }

    /// A Concur-style "encrypted" id containing `$`.
    fn dollar_id(&mut self) -> String {
        let mut s = String::from("n");
        for i in 0..26 {
            if i == 9 || i == 19 {
                s.push('$');
            }
            s.push(char::from(
                ALPHABET[(self.next() % ALPHABET.len() as u64) as usize],
            ));
        }
        s
    }
}

impl Shared {
    pub fn new(cfg: SimConfig, base: String, faults: Vec<Fault>) -> Shared {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(7);
        let mut inner = Inner {
            rng: seed,
            ..Inner::default()
        };
        let now = Instant::now();
        let ttl = Duration::from_millis(cfg.request_token_ttl_ms);
        let rt = cfg.request_token.clone().unwrap_or_else(|| inner.token(32));
        inner.request_tokens.insert(rt, now + ttl);
        // History: completed jobs, newest two hours ago.
        let now_s = now_unix();
        for (d, def) in cfg.definitions.iter().enumerate() {
            for k in (1..=def.completed_jobs).rev() {
                inner.job_seq += 1;
                let id = inner.dollar_id();
                let start = now_s - 7200 * i64::from(k);
                inner.jobs.push(JobRec {
                    def: d,
                    id,
                    number: inner.job_seq,
                    created: now,
                    start_unix: start,
                    stop_unix: Some(start + 45),
                    reads: 0,
                    fail: false,
                    preset: Some(Status::Completed),
                    entries: Vec::new(),
                    file: None,
                });
            }
        }
        for (i, b) in cfg.batches.iter().enumerate() {
            let n = i as u64 + 1;
            let url_id = inner.dollar_id();
            inner.batches.push(BatchRec {
                cfg: b.clone(),
                number: n,
                batch_id: format!("13cb38dc-46d2-4e0c-8973-{:012x}", 0x8c76_6780_6b00 + n),
                url_id,
                closed: b.closed,
                generation: 0,
                file: None,
            });
        }
        for f in faults {
            inner.faults.push(ArmedFault {
                fault: f,
                seen: 0,
                fired: 0,
            });
        }
        Shared {
            fis: Mutex::new(crate::fis::FisState::new(&cfg.fis, &cfg.company_id)),
            cfg,
            base,
            inner: Mutex::new(inner),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ---- counters and faults -------------------------------------------------------

    pub fn count(&self, route: &str) {
        *self.lock().stats.entry(route.to_owned()).or_default() += 1;
    }

    pub fn stats(&self) -> BTreeMap<String, u64> {
        self.lock().stats.clone()
    }

    pub fn add_fault(&self, f: Fault) {
        self.lock().faults.push(ArmedFault {
            fault: f,
            seen: 0,
            fired: 0,
        });
    }

    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    pub fn faults(&self) -> Vec<Fault> {
        self.lock().faults.iter().map(|a| a.fault.clone()).collect()
    }

    /// The fault that applies to this request, if any (consuming one use of it).
    pub fn take_fault(&self, route: &str) -> Option<Fault> {
        let mut g = self.lock();
        for a in g.faults.iter_mut() {
            if a.fault.route != route && a.fault.route != "*" {
                continue;
            }
            if a.fault.times != 0 && a.fired >= a.fault.times {
                continue;
            }
            a.seen += 1;
            if a.seen <= a.fault.skip {
                continue;
            }
            a.fired += 1;
            return Some(a.fault.clone());
        }
        None
    }

    // ---- tokens --------------------------------------------------------------------

    /// Issues a new company request token.
    pub fn new_request_token(&self) -> String {
        let mut g = self.lock();
        let t = g.token(32);
        let exp = Instant::now() + Duration::from_millis(self.cfg.request_token_ttl_ms);
        g.request_tokens.insert(t.clone(), exp);
        t
    }

    /// Gives a request token another expiry (the App Center route's `ttl_ms`).
    pub fn set_request_token_expiry(&self, t: &str, at: Instant) {
        if let Some(exp) = self.lock().request_tokens.get_mut(t) {
            *exp = at;
        }
    }

    /// The request token fixed in the configuration or generated at start, if still valid.
    pub fn any_request_token(&self) -> Option<String> {
        let now = Instant::now();
        self.lock()
            .request_tokens
            .iter()
            .find(|(_, exp)| **exp > now)
            .map(|(t, _)| t.clone())
    }

    /// What a company request token presented at the token endpoint amounts to; an
    /// accepted one is spent when `cfg.request_token_single_use` (see `crate::appcenter`).
    pub fn exchange_request_token(&self, t: &str) -> crate::appcenter::RequestTokenUse {
        use crate::appcenter::RequestTokenUse;
        let mut g = self.lock();
        if g.used_request_tokens.contains(t) {
            return RequestTokenUse::Used;
        }
        match g.request_tokens.get(t) {
            None => RequestTokenUse::Unknown,
            Some(exp) if *exp <= Instant::now() => RequestTokenUse::Expired,
            Some(_) => {
                if self.cfg.request_token_single_use {
                    g.request_tokens.remove(t);
                    g.used_request_tokens.insert(t.to_owned());
                }
                RequestTokenUse::Accepted
            }
        }
    }

    /// Issues tokens; `connection: None` for an app-only token (no refresh token).
    pub fn issue(&self, connection: Option<u64>) -> (String, Option<String>) {
        let mut g = self.lock();
        let now = Instant::now();
        let access = g.token(48);
        g.access.insert(
            access.clone(),
            AccessToken {
                expires: now + Duration::from_millis(self.cfg.access_ttl_ms),
                connection,
                expired: false,
            },
        );
        let refresh = connection.map(|c| {
            let r = format!(
                "{}-{}-{}",
                g.token(8).to_lowercase(),
                g.token(4).to_lowercase(),
                g.token(12).to_lowercase()
            );
            g.refresh.insert(
                r.clone(),
                RefreshToken {
                    expires: now + Duration::from_millis(self.cfg.refresh_ttl_ms),
                    connection: c,
                },
            );
            r
        });
        (access, refresh)
    }

    pub fn new_connection(&self) -> u64 {
        let mut g = self.lock();
        g.next_connection += 1;
        g.next_connection
    }

    /// Validates and (if configured) consumes a refresh token; the connection it belongs to.
    pub fn use_refresh_token(&self, t: &str) -> Option<u64> {
        let mut g = self.lock();
        let now = Instant::now();
        let rec = g.refresh.get(t)?;
        let conn = rec.connection;
        if rec.expires <= now || g.revoked.contains(&conn) {
            g.refresh.remove(t);
            return None;
        }
        if self.cfg.rotate_refresh_tokens {
            g.refresh.remove(t);
        }
        Some(conn)
    }

    /// Returns the existing refresh token when rotation is off.
    pub fn keep_refresh(&self, t: &str) -> bool {
        !self.cfg.rotate_refresh_tokens && self.lock().refresh.contains_key(t)
    }

    pub fn refresh_expiry_unix(&self) -> i64 {
        now_unix() + (self.cfg.refresh_ttl_ms / 1000) as i64
    }

    pub fn check_access(&self, header: Option<&str>) -> Access {
        let Some(token) = token_of(header) else {
            return Access::Missing;
        };
        let g = self.lock();
        match g.access.get(token) {
            Some(a)
                if !a.expired
                    && a.expires > Instant::now()
                    && !a.connection.is_some_and(|c| g.revoked.contains(&c)) =>
            {
                if a.connection.is_some() {
                    Access::Company
                } else {
                    Access::App
                }
            }
            _ => Access::Invalid,
        }
    }

    /// Marks a token expired (fault `expire_token`).
    pub fn expire_token(&self, header: Option<&str>) {
        if let Some(t) = token_of(header)
            && let Some(a) = self.lock().access.get_mut(t)
        {
            a.expired = true;
        }
    }

    /// Every access token expires now.
    pub fn expire_all_access(&self) {
        for a in self.lock().access.values_mut() {
            a.expired = true;
        }
    }

    /// Revokes the connection behind a token; returns whether there was one.
    pub fn revoke_by_token(&self, header: Option<&str>) -> bool {
        let Some(t) = token_of(header) else {
            return false;
        };
        let mut g = self.lock();
        let Some(c) = g.access.get(t).and_then(|a| a.connection) else {
            return false;
        };
        g.revoked.insert(c);
        g.refresh.retain(|_, r| r.connection != c);
        true
    }

    /// Revokes every connection.
    pub fn revoke_all(&self) {
        let mut g = self.lock();
        let all: Vec<u64> = (1..=g.next_connection).collect();
        g.revoked.extend(all);
        g.refresh.clear();
    }

    // ---- jobs ----------------------------------------------------------------------

    fn status_of(&self, job: &mut JobRec, count_read: bool) -> Status {
        if let Some(s) = job.preset {
            return s;
        }
        if count_read {
            job.reads = job.reads.saturating_add(1);
        }
        let done = if job.fail {
            Status::Failed
        } else {
            Status::Completed
        };
        let s = match self.cfg.job_clock {
            JobClock::Time {
                queued_ms,
                running_ms,
            } => {
                let ms = job.created.elapsed().as_millis() as u64;
                if ms < queued_ms {
                    Status::Queued
                } else if ms < queued_ms + running_ms {
                    Status::Running
                } else {
                    done
                }
            }
            JobClock::Polls { queued, running } => {
                if job.reads <= queued {
                    Status::Queued
                } else if job.reads <= queued + running {
                    Status::Running
                } else {
                    done
                }
            }
        };
        if !s.in_flight() {
            job.preset = Some(s);
            job.stop_unix = Some(now_unix());
        }
        s
    }

    pub fn definition_index(&self, key: &str) -> Option<usize> {
        self.cfg.definitions.iter().position(|d| d.key == key)
    }

    /// Snapshot of a definition's jobs, newest first: (id, status, start, stop).
    pub fn jobs_of(&self, def: usize) -> Vec<(String, Status, i64, Option<i64>)> {
        let mut g = self.lock();
        let mut out = Vec::new();
        let mut jobs = std::mem::take(&mut g.jobs);
        for j in jobs.iter_mut().filter(|j| j.def == def) {
            let s = self.status_of(j, false);
            out.push((j.id.clone(), s, j.start_unix, j.stop_unix));
        }
        g.jobs = jobs;
        out.reverse();
        out.truncate(100);
        out
    }

    /// One job's status, counting the read for the poll clock.
    pub fn job(
        &self,
        def: usize,
        id: &str,
        count_read: bool,
    ) -> Option<(Status, i64, Option<i64>)> {
        let mut g = self.lock();
        let mut jobs = std::mem::take(&mut g.jobs);
        let out = jobs
            .iter_mut()
            .find(|j| j.def == def && j.id == id)
            .map(|j| (self.status_of(j, count_read), j.start_unix, j.stop_unix));
        g.jobs = jobs;
        out
    }

    /// Posts a job: `Err(())` while one is queued or running (409).
    #[allow(clippy::result_unit_err)]
    pub fn post_job(&self, def: usize) -> Result<String, ()> {
        let mut g = self.lock();
        let mut jobs = std::mem::take(&mut g.jobs);
        let busy = jobs
            .iter_mut()
            .filter(|j| j.def == def)
            .any(|j| self.status_of(j, false).in_flight());
        g.jobs = jobs;
        if busy {
            return Err(());
        }
        g.job_seq += 1;
        let id = g.dollar_id();
        let fail = std::mem::take(&mut g.next_job_fails);
        let entries = match self.cfg.definitions.get(def).map(|d| d.kind) {
            Some(DefinitionKind::Expense) => std::mem::take(&mut g.pending_entries),
            _ => Vec::new(),
        };
        let number = g.job_seq;
        g.jobs.push(JobRec {
            def,
            id: id.clone(),
            number,
            created: Instant::now(),
            start_unix: now_unix(),
            stop_unix: None,
            reads: 0,
            fail,
            preset: None,
            entries,
            file: None,
        });
        Ok(id)
    }

    pub fn fail_next_job(&self) {
        self.lock().next_job_fails = true;
    }

    /// The file of a finished job (built on first request and kept).
    pub fn job_file(&self, def: usize, id: &str) -> Result<FileBody, &'static str> {
        let (number, entries) = {
            let mut g = self.lock();
            let mut jobs = std::mem::take(&mut g.jobs);
            let found = jobs
                .iter_mut()
                .find(|j| j.def == def && j.id == id)
                .map(|j| {
                    let s = self.status_of(j, false);
                    (s, j.file.clone(), j.number, j.entries.clone())
                });
            g.jobs = jobs;
            match found {
                None => return Err("The Job ID in the URI is invalid."),
                Some((s, _, _, _)) if s != Status::Completed => {
                    return Err("The job has not completed; no file is available.");
                }
                Some((_, Some(f), _, _)) => return Ok(f),
                Some((_, None, n, e)) => (n, e),
            }
        };
        let def_cfg = &self.cfg.definitions[def];
        let file = crate::files::job_file(&self.cfg, def_cfg, number, &entries)
            .map_err(|_| "The extract file could not be produced.")?;
        let mut g = self.lock();
        if let Some(j) = g.jobs.iter_mut().find(|j| j.def == def && j.id == id) {
            j.file = Some(file.clone());
        }
        Ok(file)
    }

    // ---- entries -------------------------------------------------------------------

    pub fn report_key(&self, report: &str) -> u64 {
        let mut g = self.lock();
        let n = g.report_keys.len() as u64;
        *g.report_keys
            .entry(report.to_owned())
            .or_insert(900_001 + n)
    }

    /// A new entry id and its place in the order of posting.
    pub fn next_entry_id(&self) -> (String, u64) {
        let mut g = self.lock();
        g.entry_seq += 1;
        let id = g.dollar_id();
        (format!("{id}{}", g.entry_seq), g.entry_seq)
    }

    pub fn add_entry(&self, rec: EntryRec) {
        let mut g = self.lock();
        g.pending_entries.push(rec.entry.clone());
        g.entries.insert(
            (rec.entry.report_id.clone(), rec.entry.entry_id.clone()),
            rec,
        );
    }

    /// The posted entries of every report not yet queued as a FIS document, in the order
    /// they were posted; their reports are marked queued (closed to new entries).
    pub fn take_entries_for_fis(&self) -> Vec<PostedEntry> {
        let mut g = self.lock();
        let mut recs: Vec<(u64, PostedEntry)> = g
            .entries
            .values()
            .filter(|r| !g.fis_reports.contains(&r.entry.report_id))
            .map(|r| (r.sequence, r.entry.clone()))
            .collect();
        recs.sort_by_key(|(n, _)| *n);
        for (_, e) in &recs {
            g.fis_reports.insert(e.report_id.clone());
        }
        recs.into_iter().map(|(_, e)| e).collect()
    }

    /// Whether the report's entries were queued as a FIS document.
    pub fn report_sent_to_fis(&self, report: &str) -> bool {
        self.lock().fis_reports.contains(report)
    }

    pub fn pending_entries(&self) -> usize {
        self.lock().pending_entries.len()
    }

    // ---- batches -------------------------------------------------------------------

    pub fn batch_file(&self, url_id: &str) -> Result<FileBody, &'static str> {
        let (number, cfg, generation) = {
            let g = self.lock();
            let Some(b) = g.batches.iter().find(|b| b.url_id == url_id) else {
                return Err("The Payment Batch ID is invalid.");
            };
            if !b.closed {
                return Err("The batch is still open; close it first.");
            }
            if let Some(f) = &b.file {
                return Ok(f.clone());
            }
            (b.number, b.cfg.clone(), b.generation)
        };
        let file = crate::files::batch_file(&self.cfg, number, generation, &cfg)
            .map_err(|_| "The batch file could not be produced.")?;
        let mut g = self.lock();
        if let Some(b) = g.batches.iter_mut().find(|b| b.url_id == url_id) {
            b.file = Some(file.clone());
        }
        Ok(file)
    }
}

/// How connections share the state.
pub(crate) type SharedRef = Arc<Shared>;
