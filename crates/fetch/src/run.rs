//! One fetch run: pick the edition, then fetch what is new (Professional: extract jobs;
//! Standard: payment batches), recording each file in the run ledger.

use crate::batch::{BatchState, CloseOutcome};
use crate::client::Client;
use crate::edition::Edition;
use crate::error::{Error, Result};
use crate::extract::{Definition, Format, Job, JobStatus, StartOutcome};
use crate::time::{format_unix, now_unix};
use ledgerline_ledger::Ledger;
use ledgerline_ledger::fetches::{FetchKind, FetchRecord};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Which edition to fetch for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EditionChoice {
    /// Ask the company profile.
    #[default]
    Auto,
    /// Force one.
    Fixed(Edition),
}

/// The default definitions: Expense's SAE and Invoice's PRAE.
pub const DEFAULT_DEFINITIONS: &[&str] = &[
    "Standard Accounting Extract",
    "Payment Request Accounting Extract",
];

/// The text of Concur's answer to closing an empty batch (HTTP 500).
pub const DEFAULT_EMPTY_BATCH_MARKER: &str = "does not contain any reports";

/// What to fetch and how.
#[derive(Debug, Clone)]
pub struct FetchPlan {
    /// Edition.
    pub edition: EditionChoice,
    /// Where files go.
    pub out_dir: PathBuf,
    /// Definitions by name or id; empty means [`DEFAULT_DEFINITIONS`] (those that exist).
    pub definitions: Vec<String>,
    /// Start a job per definition (Professional).
    pub run: bool,
    /// Start one even if another started within `min_run_interval`.
    pub force_run: bool,
    /// Time between status polls.
    pub poll_interval: Duration,
    /// Longest wait for a job.
    pub timeout: Duration,
    /// No new job when one started less than this ago (unless `force_run`).
    pub min_run_interval: Duration,
    /// Close open payment batches (Standard).
    pub close: bool,
    /// Extract representation.
    pub format: Format,
    /// Text that marks Concur's "empty batch" 500 answer.
    pub empty_batch_marker: String,
    /// How batches are closed (v1.2 then v1.1 for the file, or v1.1 only), and how long a
    /// v1.2 close is watched; its `empty_marker` is `empty_batch_marker`.
    pub batch_close: crate::batch::CloseOptions,
}

impl Default for FetchPlan {
    fn default() -> Self {
        FetchPlan {
            edition: EditionChoice::Auto,
            out_dir: PathBuf::from("."),
            definitions: Vec::new(),
            run: false,
            force_run: false,
            poll_interval: Duration::from_secs(30),
            timeout: Duration::from_secs(2 * 3600),
            min_run_interval: Duration::from_secs(3600),
            close: false,
            format: Format::Xml,
            empty_batch_marker: DEFAULT_EMPTY_BATCH_MARKER.into(),
            batch_close: crate::batch::CloseOptions::default(),
        }
    }
}

/// Progress, as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The edition in use, and whether it was detected.
    Edition {
        /// Edition.
        edition: Edition,
        /// From the company profile (not forced).
        detected: bool,
    },
    /// Hidden partial files of killed runs were removed.
    CleanedPartials(usize),
    /// A definition is being looked at.
    Definition {
        /// Its name.
        name: String,
    },
    /// A job was started.
    JobStarted {
        /// Job id.
        job: String,
    },
    /// Concur answered 409: a job is already queued or running.
    JobConflict {
        /// Definition name.
        definition: String,
    },
    /// Waiting for a job that was already queued or running.
    JobJoined {
        /// Job id.
        job: String,
    },
    /// No job started: one started recently.
    RunSkipped {
        /// The recent job.
        job: String,
        /// How long ago it started.
        age: Duration,
    },
    /// A status poll.
    JobStatus {
        /// Job id.
        job: String,
        /// Status.
        status: String,
    },
    /// An open payment batch.
    BatchOpen {
        /// Name.
        name: String,
        /// Reports in it.
        count: u64,
    },
    /// A batch was closed.
    BatchClosed {
        /// Name.
        name: String,
    },
    /// A batch could not be closed: empty.
    BatchEmpty {
        /// Name.
        name: String,
        /// Concur's message.
        message: String,
    },
    /// A new file is saved and recorded.
    Fetched(FetchRecord),
    /// Something went wrong with one item; the run goes on.
    Failed(Failure),
}

/// One item that could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Failure {
    /// What (definition and job, or batch).
    pub what: String,
    /// Why.
    pub message: String,
}

/// The outcome of a run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FetchReport {
    /// The company fetched for (its stored connection's), when known.
    pub company_id: Option<String>,
    /// Edition used.
    pub edition: Edition,
    /// New files, in fetch order.
    pub fetched: Vec<FetchRecord>,
    /// Completed jobs / closed batches already in the ledger.
    pub already_fetched: u64,
    /// Items that failed (failed jobs, timeouts, downloads that never arrived intact).
    pub failures: Vec<Failure>,
    /// Other things worth telling (empty batches, skipped runs).
    pub notes: Vec<String>,
}

/// Errors that end the run rather than one item.
fn fatal(e: &Error) -> bool {
    matches!(
        e,
        Error::ReconnectNeeded { .. }
            | Error::TokenStore { .. }
            | Error::Ledger { .. }
            | Error::Io { .. }
            | Error::Config(_)
            | Error::OAuth { .. }
    )
}

enum Waited {
    Done(Job),
    Failed(Job),
    TimedOut(Job),
}

impl Client {
    fn source_id(&self) -> String {
        let t = self.session().tokens();
        t.company_id
            .clone()
            .unwrap_or_else(|| t.geolocation.clone())
    }

    /// Runs a fetch. `on_event` sees progress as it happens.
    ///
    /// Two runs on one output folder or one ledger at the same time would both download
    /// and report the same files: hold a [`FetchLock`](crate::FetchLock) on `plan.out_dir`
    /// and the ledger's path around the run (and whatever the run's files feed), as
    /// `ledgerline fetch` does.
    pub fn fetch(
        &mut self,
        plan: &FetchPlan,
        ledger: &mut Ledger,
        on_event: &mut dyn FnMut(&Event),
    ) -> Result<FetchReport> {
        std::fs::create_dir_all(&plan.out_dir).map_err(|e| Error::io(&plan.out_dir, e))?;
        let cleaned = crate::download::clean_stale_partials(&plan.out_dir);
        if cleaned > 0 {
            on_event(&Event::CleanedPartials(cleaned));
        }
        let (edition, detected) = match plan.edition {
            EditionChoice::Fixed(e) => (e, false),
            EditionChoice::Auto => (self.detect_edition()?, true),
        };
        on_event(&Event::Edition { edition, detected });
        let mut report = FetchReport {
            company_id: self.session().tokens().company_id.clone(),
            edition,
            fetched: Vec::new(),
            already_fetched: 0,
            failures: Vec::new(),
            notes: Vec::new(),
        };
        match edition {
            Edition::Professional => {
                if plan.close {
                    report.notes.push(
                        "--close has no effect: Professional Edition has extract jobs, not payment batches (--run starts a job)".into(),
                    );
                }
                self.fetch_professional(plan, ledger, &mut report, on_event)?
            }
            Edition::Standard => {
                if plan.run {
                    report.notes.push(format!(
                        "--run has no effect: Standard Edition has payment batches, not extract jobs{}",
                        if plan.close {
                            ""
                        } else {
                            " (--close closes the open batches so that their files can be fetched)"
                        }
                    ));
                }
                self.fetch_standard(plan, ledger, &mut report, on_event)?
            }
        }
        Ok(report)
    }

    fn select(&mut self, plan: &FetchPlan) -> Result<Vec<Definition>> {
        let all = self.list_definitions(plan.format)?;
        let available = || {
            all.iter()
                .map(|d| format!("{:?} ({})", d.name, d.key()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if plan.definitions.is_empty() {
            let picked: Vec<Definition> = all
                .iter()
                .filter(|d| DEFAULT_DEFINITIONS.iter().any(|w| d.matches(w)))
                .cloned()
                .collect();
            if picked.is_empty() {
                return Err(Error::NoSuchDefinition {
                    wanted: DEFAULT_DEFINITIONS.join(" or "),
                    available: available(),
                });
            }
            return Ok(picked);
        }
        let mut picked = Vec::new();
        for w in &plan.definitions {
            match all.iter().find(|d| d.matches(w)) {
                Some(d) if !picked.contains(d) => picked.push(d.clone()),
                Some(_) => {}
                None => {
                    return Err(Error::NoSuchDefinition {
                        wanted: w.clone(),
                        available: available(),
                    });
                }
            }
        }
        Ok(picked)
    }

    fn fetch_professional(
        &mut self,
        plan: &FetchPlan,
        ledger: &mut Ledger,
        report: &mut FetchReport,
        on: &mut dyn FnMut(&Event),
    ) -> Result<()> {
        let source = self.source_id();
        for def in self.select(plan)? {
            on(&Event::Definition {
                name: def.name.clone(),
            });
            let mut jobs = self.list_jobs(&def, plan.format)?;
            let mut finished: Option<Job> = None;
            if plan.run
                && let Some(job) = self.run_or_join(&def, &jobs, plan, report, on)?
            {
                let what = format!("{} job {}", def.name, job.key());
                match self.wait_for(job, plan, on)? {
                    Waited::Done(j) => finished = Some(j),
                    Waited::Failed(j) => {
                        let f = Failure {
                            what,
                            message: format!(
                                "the extract job failed at Concur (job id {}, {})",
                                j.key(),
                                j.id
                            ),
                        };
                        on(&Event::Failed(f.clone()));
                        report.failures.push(f);
                    }
                    Waited::TimedOut(j) => {
                        let f = Failure {
                            what,
                            message: format!(
                                "still {} after {} s; it keeps running at Concur and a later `fetch` downloads it",
                                j.status,
                                plan.timeout.as_secs()
                            ),
                        };
                        on(&Event::Failed(f.clone()));
                        report.failures.push(f);
                    }
                }
                jobs = self.list_jobs(&def, plan.format)?;
            }
            if let Some(f) = finished
                && !jobs.iter().any(|j| j.id == f.id)
            {
                jobs.push(f);
            }
            for job in jobs
                .iter()
                .filter(|j| j.status == JobStatus::Completed && j.file_link.is_some())
            {
                let key = format!("{}/{}", def.key(), job.key());
                if ledger.contains(&source, FetchKind::ExtractJob, &key)? {
                    report.already_fetched += 1;
                    continue;
                }
                let url = job.file_link.clone().unwrap_or_default();
                let stem = format!(
                    "{}_{}",
                    crate::download::slug(&def.name),
                    crate::download::slug(job.key())
                );
                let label = format!("{} job {}", def.name, job.key());
                self.fetch_one(
                    ledger,
                    report,
                    on,
                    FetchKind::ExtractJob,
                    &source,
                    key,
                    label,
                    &url,
                    plan,
                    &stem,
                )?;
            }
        }
        Ok(())
    }

    fn run_or_join(
        &mut self,
        def: &Definition,
        jobs: &[Job],
        plan: &FetchPlan,
        report: &mut FetchReport,
        on: &mut dyn FnMut(&Event),
    ) -> Result<Option<Job>> {
        let now = now_unix();
        if !plan.force_run {
            if let Some(j) = jobs.iter().rev().find(|j| j.status.in_flight()) {
                on(&Event::JobJoined {
                    job: j.key().into(),
                });
                return Ok(Some(j.clone()));
            }
            if let Some((j, age)) = jobs.iter().rev().find_map(|j| {
                let age = now - j.started_at()?;
                (age >= 0 && (age as u64) < plan.min_run_interval.as_secs())
                    .then_some((j, age as u64))
            }) {
                let age = Duration::from_secs(age);
                on(&Event::RunSkipped {
                    job: j.key().into(),
                    age,
                });
                report.notes.push(format!(
                    "{}: no new job started, job {} started {} min ago (use --force-run to start one anyway)",
                    def.name,
                    j.key(),
                    age.as_secs() / 60
                ));
                return Ok(None);
            }
        }
        match self.start_job(def, plan.format)? {
            StartOutcome::Started(j) => {
                on(&Event::JobStarted {
                    job: j.key().into(),
                });
                Ok(Some(j))
            }
            StartOutcome::AlreadyRunning => {
                on(&Event::JobConflict {
                    definition: def.name.clone(),
                });
                let jobs = self.list_jobs(def, plan.format)?;
                match jobs.iter().rev().find(|j| j.status.in_flight()) {
                    Some(j) => {
                        on(&Event::JobJoined {
                            job: j.key().into(),
                        });
                        Ok(Some(j.clone()))
                    }
                    // It finished in between: the listing below picks it up.
                    None => Ok(None),
                }
            }
        }
    }

    fn wait_for(
        &mut self,
        mut job: Job,
        plan: &FetchPlan,
        on: &mut dyn FnMut(&Event),
    ) -> Result<Waited> {
        let deadline = Instant::now() + plan.timeout;
        loop {
            match job.status {
                JobStatus::Completed => return Ok(Waited::Done(job)),
                JobStatus::Failed => return Ok(Waited::Failed(job)),
                _ => {}
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(Waited::TimedOut(job));
            }
            self.sleep(
                plan.poll_interval.min(deadline - now),
                "polling the job status",
            );
            job = self.job_status(&job, plan.format)?;
            on(&Event::JobStatus {
                job: job.key().into(),
                status: job.status.to_string(),
            });
        }
    }

    fn fetch_standard(
        &mut self,
        plan: &FetchPlan,
        ledger: &mut Ledger,
        report: &mut FetchReport,
        on: &mut dyn FnMut(&Event),
    ) -> Result<()> {
        let source = self.source_id();
        let open = self.list_batches(BatchState::Open)?;
        // Batches closed by this run come back in the CLOSED list below: not "already fetched".
        let mut closed_now = std::collections::HashSet::new();
        for b in &open {
            on(&Event::BatchOpen {
                name: b.name.clone(),
                count: b.count,
            });
        }
        let waiting = open.iter().filter(|b| b.count > 0).count();
        if !plan.close && waiting > 0 {
            report.notes.push(format!(
                "{waiting} open payment batch(es) hold reports; their files come once a batch is closed: pass --close to close them"
            ));
        }
        if plan.close {
            for b in &open {
                let what = format!("payment batch {:?} ({})", b.name, b.batch_id);
                let opts = crate::batch::CloseOptions {
                    empty_marker: plan.empty_batch_marker.clone(),
                    ..plan.batch_close.clone()
                };
                match self.close_batch_with(b, &opts) {
                    Ok(CloseOutcome::Closed { file_url }) => {
                        on(&Event::BatchClosed {
                            name: b.name.clone(),
                        });
                        closed_now.insert(b.batch_id.clone());
                        if ledger.contains(&source, FetchKind::PaymentBatch, &b.batch_id)? {
                            report.already_fetched += 1;
                            continue;
                        }
                        let stem = batch_stem(&b.name, &b.batch_id);
                        self.fetch_one(
                            ledger,
                            report,
                            on,
                            FetchKind::PaymentBatch,
                            &source,
                            b.batch_id.clone(),
                            format!("payment batch {}", b.name),
                            &file_url,
                            plan,
                            &stem,
                        )?;
                    }
                    Ok(CloseOutcome::Empty { message }) => {
                        on(&Event::BatchEmpty {
                            name: b.name.clone(),
                            message: message.clone(),
                        });
                        report
                            .notes
                            .push(format!("{what} is empty and stays open: {message}"));
                    }
                    Err(e) if !fatal(&e) => {
                        let f = Failure {
                            what,
                            message: e.to_string(),
                        };
                        on(&Event::Failed(f.clone()));
                        report.failures.push(f);
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        for b in self.list_batches(BatchState::Closed)? {
            if closed_now.contains(&b.batch_id) {
                continue;
            }
            if ledger.contains(&source, FetchKind::PaymentBatch, &b.batch_id)? {
                report.already_fetched += 1;
                continue;
            }
            let stem = batch_stem(&b.name, &b.batch_id);
            self.fetch_one(
                ledger,
                report,
                on,
                FetchKind::PaymentBatch,
                &source,
                b.batch_id.clone(),
                format!("payment batch {}", b.name),
                &b.file_url(),
                plan,
                &stem,
            )?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn fetch_one(
        &mut self,
        ledger: &mut Ledger,
        report: &mut FetchReport,
        on: &mut dyn FnMut(&Event),
        kind: FetchKind,
        source: &str,
        remote_key: String,
        label: String,
        url: &str,
        plan: &FetchPlan,
        stem: &str,
    ) -> Result<()> {
        match self.download(url, &plan.out_dir, stem) {
            Ok(d) => {
                let rec = FetchRecord {
                    source: source.into(),
                    kind,
                    remote_key,
                    label,
                    remote_url: url.into(),
                    path: d.path,
                    sha256: d.sha256,
                    bytes: d.bytes,
                    content_type: d.content_type,
                    fetched_at: format_unix(now_unix()),
                };
                ledger.record(&rec)?;
                on(&Event::Fetched(rec.clone()));
                report.fetched.push(rec);
                Ok(())
            }
            Err(e) if !fatal(&e) => {
                let f = Failure {
                    what: label,
                    message: e.to_string(),
                };
                on(&Event::Failed(f.clone()));
                report.failures.push(f);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

fn batch_stem(name: &str, id: &str) -> String {
    format!(
        "payment-batch_{}_{}",
        crate::download::slug(name),
        crate::download::slug(id)
    )
}
