//! Extract API v1.0 (Professional Edition): definitions, jobs, job status, the job file.
//!
//! XML is the documented format; a JSON variant (`Accept: application/json`, bare arrays,
//! numeric status) is used by some clients but undocumented, so the format is an option and
//! both parsers accept either spelling of what they read. Links in responses are absolute
//! and are followed as given.

use crate::client::{Client, Retry, expect_success};
use crate::error::{BodyError, Error, Result};
use crate::http::{Req, read_small};

/// Namespace of Extract documents.
pub const EXTRACT_NS: &str = "http://www.concursolutions.com/api/expense/extract/2010/02";

/// Which representation to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `application/xml`, the documented one (default).
    #[default]
    Xml,
    /// `application/json`, undocumented.
    Json,
}

impl Format {
    fn accept(self) -> &'static str {
        match self {
            Format::Xml => "application/xml",
            Format::Json => "application/json",
        }
    }
}

/// An extract definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    /// Absolute URL of the definition (its identity).
    pub id: String,
    /// Display name, e.g. "Standard Accounting Extract".
    pub name: String,
    /// Absolute URL of its job list.
    pub job_link: String,
}

impl Definition {
    /// The definition's opaque id (the last path segment of [`Definition::id`]).
    pub fn key(&self) -> &str {
        last_segment(&self.id)
    }

    /// Whether `wanted` names this definition: its name (case-insensitive), opaque id or URL.
    pub fn matches(&self, wanted: &str) -> bool {
        self.name.eq_ignore_ascii_case(wanted.trim()) || self.key() == wanted || self.id == wanted
    }
}

/// A job status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStatus {
    /// Waiting to start.
    Queued,
    /// Running.
    Running,
    /// Finished; the file is ready (`Complete` is read as this too).
    Completed,
    /// Failed.
    Failed,
    /// Anything else, as given.
    Other(String),
}

impl JobStatus {
    /// Reads the XML/JSON string form, or the JSON number (0 queued, 1 running,
    /// 2 completed, 3 failed; only 2 is confirmed by a public source).
    pub fn parse(s: &str) -> JobStatus {
        match s.trim().to_ascii_lowercase().as_str() {
            "queued" | "0" => JobStatus::Queued,
            "running" | "1" => JobStatus::Running,
            "completed" | "complete" | "2" => JobStatus::Completed,
            "failed" | "3" => JobStatus::Failed,
            _ => JobStatus::Other(s.trim().to_owned()),
        }
    }

    /// Still queued or running.
    pub fn in_flight(&self) -> bool {
        matches!(self, JobStatus::Queued | JobStatus::Running)
    }
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobStatus::Queued => f.write_str("Queued"),
            JobStatus::Running => f.write_str("Running"),
            JobStatus::Completed => f.write_str("Completed"),
            JobStatus::Failed => f.write_str("Failed"),
            JobStatus::Other(s) => f.write_str(s),
        }
    }
}

/// An extract job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Absolute URL of the job (its identity).
    pub id: String,
    /// Absolute URL of its status.
    pub status_link: Option<String>,
    /// Scheduled start, as written by Concur.
    pub start_time: Option<String>,
    /// Finish time, as written by Concur.
    pub stop_time: Option<String>,
    /// Status.
    pub status: JobStatus,
    /// Absolute URL of the file, once finished.
    pub file_link: Option<String>,
}

impl Job {
    /// The job's opaque id (the last path segment of [`Job::id`]).
    pub fn key(&self) -> &str {
        last_segment(&self.id)
    }

    /// Start time in Unix seconds, when readable.
    pub fn started_at(&self) -> Option<i64> {
        self.start_time
            .as_deref()
            .and_then(crate::time::parse_timestamp)
    }

    fn status_url(&self) -> String {
        self.status_link
            .clone()
            .unwrap_or_else(|| format!("{}/status", self.id.trim_end_matches('/')))
    }
}

fn last_segment(url: &str) -> &str {
    url.trim_end_matches('/').rsplit('/').next().unwrap_or(url)
}

fn child_text(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name().eq_ignore_ascii_case(name))
        .and_then(|c| c.text())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

fn json_text(v: &serde_json::Value, key: &str) -> Option<String> {
    match v.get(key)? {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// JSON lists are bare arrays; tolerate a wrapper object or a single object too.
fn json_items<'v>(v: &'v serde_json::Value, wrapper: &str) -> Vec<&'v serde_json::Value> {
    match v {
        serde_json::Value::Array(a) => a.iter().collect(),
        serde_json::Value::Object(o) => match o.get(wrapper) {
            Some(serde_json::Value::Array(a)) => a.iter().collect(),
            _ => vec![v],
        },
        _ => Vec::new(),
    }
}

fn definition_from(
    id: Option<String>,
    name: Option<String>,
    job_link: Option<String>,
) -> Option<Definition> {
    let id = id?;
    // One documented example drops `/job` from job-link; the job list is always `{id}/job`.
    let job_link = match job_link {
        Some(l) if l.trim_end_matches('/').ends_with("/job") => l,
        _ => format!("{}/job", id.trim_end_matches('/')),
    };
    Some(Definition {
        name: name.unwrap_or_else(|| last_segment(&id).to_owned()),
        id,
        job_link,
    })
}

/// Parses a definitions list (XML `<definitions>` or a JSON array).
pub fn parse_definitions(body: &str) -> Result<Vec<Definition>, BodyError> {
    let body = body.trim_start_matches('\u{feff}').trim();
    if body.starts_with('[') || body.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(body)?;
        return Ok(json_items(&v, "definitions")
            .into_iter()
            .filter_map(|d| {
                definition_from(
                    json_text(d, "id"),
                    json_text(d, "name"),
                    json_text(d, "job-link"),
                )
            })
            .collect());
    }
    let doc = roxmltree::Document::parse(body)?;
    Ok(doc
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name().eq_ignore_ascii_case("definition"))
        .filter_map(|d| {
            definition_from(
                child_text(d, "id"),
                child_text(d, "name"),
                child_text(d, "job-link"),
            )
        })
        .collect())
}

fn job_from(get: impl Fn(&str) -> Option<String>) -> Option<Job> {
    Some(Job {
        id: get("id")?,
        status_link: get("status-link"),
        start_time: get("start-time"),
        stop_time: get("stop-time"),
        status: JobStatus::parse(&get("status").unwrap_or_default()),
        file_link: get("file-link"),
    })
}

/// Parses a jobs list or a single job (XML or JSON).
pub fn parse_jobs(body: &str) -> Result<Vec<Job>, BodyError> {
    let body = body.trim_start_matches('\u{feff}').trim();
    if body.starts_with('[') || body.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(body)?;
        return Ok(json_items(&v, "jobs")
            .into_iter()
            .filter_map(|j| job_from(|k| json_text(j, k)))
            .collect());
    }
    let doc = roxmltree::Document::parse(body)?;
    Ok(doc
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name().eq_ignore_ascii_case("job"))
        .filter_map(|j| job_from(|k| child_text(j, k)))
        .collect())
}

/// What `POST .../job` gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartOutcome {
    /// A new job (201).
    Started(Job),
    /// 409: a job of this definition is already queued or running.
    AlreadyRunning,
}

impl Client {
    /// Lists the extract definitions.
    pub fn list_definitions(&mut self, format: Format) -> Result<Vec<Definition>> {
        let url = self.url("/api/expense/extract/v1.0/");
        let body = self.get_text(&url, format.accept())?;
        parse_definitions(&body).map_err(|problem| Error::Body { url, problem })
    }

    /// Lists the last 100 jobs of a definition, oldest first (Concur's order is undocumented,
    /// so they are sorted here by start time, then by their order in the answer reversed).
    pub fn list_jobs(&mut self, def: &Definition, format: Format) -> Result<Vec<Job>> {
        let url = def.job_link.clone();
        let body = self.get_text(&url, format.accept())?;
        let mut jobs = parse_jobs(&body).map_err(|problem| Error::Body { url, problem })?;
        jobs.reverse();
        jobs.sort_by_key(|j| j.started_at().unwrap_or(i64::MIN));
        Ok(jobs)
    }

    /// Starts a job.
    pub fn start_job(&mut self, def: &Definition, format: Format) -> Result<StartOutcome> {
        let url = def.job_link.clone();
        let body = format!(
            "<definition xmlns=\"{EXTRACT_NS}\"><id>{}</id></definition>",
            xml_escape(&def.id)
        );
        let resp = self.send(
            &Req::post(&url, format.accept(), "application/xml", body.into_bytes()),
            Retry::Safe,
        )?;
        if resp.status() == 409 {
            return Ok(StartOutcome::AlreadyRunning);
        }
        let location = resp.header("Location").map(str::to_owned);
        let resp = expect_success(resp, "POST", &url)?;
        let text = read_small(resp, &url)?;
        match parse_jobs(&text).ok().and_then(|j| j.into_iter().next()) {
            Some(job) => Ok(StartOutcome::Started(job)),
            None => {
                let location = location.ok_or_else(|| Error::Parse {
                    url: url.clone(),
                    message:
                        "the job was created but neither a job document nor a Location came back"
                            .into(),
                })?;
                self.job(&location, format).map(StartOutcome::Started)
            }
        }
    }

    /// Reads a job by its URL.
    pub fn job(&mut self, job_url: &str, format: Format) -> Result<Job> {
        let body = self.get_text(job_url, format.accept())?;
        parse_jobs(&body)
            .map_err(|problem| Error::Body {
                url: job_url.into(),
                problem,
            })?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Parse {
                url: job_url.into(),
                message: "no job in the answer".into(),
            })
    }

    /// Reads a job's current status.
    pub fn job_status(&mut self, job: &Job, format: Format) -> Result<Job> {
        let mut now = self.job(&job.status_url(), format)?;
        if now.id.is_empty() {
            now.id = job.id.clone();
        }
        Ok(now)
    }
}

pub(crate) fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_xml_any_order_and_the_job_link_typo() {
        let xml = r#"<definitions xmlns="http://www.concursolutions.com/api/expense/extract/2010/02">
          <definition><id>https://h/api/expense/extract/v1.0/nYo$x</id><job-link>https://h/api/expense/extract/v1.0/nYo$x/job</job-link><name>Standard Accounting Extract</name></definition>
          <definition><id>https://h/api/expense/extract/v1.0/abc</id><name>Payment Request Accounting Extract</name><job-link>https://h/api/expense/extract/v1.0/abc</job-link></definition>
        </definitions>"#;
        let d = parse_definitions(xml).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].key(), "nYo$x");
        assert!(d[0].matches("standard accounting extract"));
        assert!(d[0].matches("nYo$x"));
        assert_eq!(d[1].job_link, "https://h/api/expense/extract/v1.0/abc/job");
    }

    #[test]
    fn jobs_json_numeric_status_and_complete_spelling() {
        let json = r#"[{"id":"https://h/d/job/1","status-link":"https://h/d/job/1/status","start-time":"2011-08-25T14:25:22.58","status":2,"file-link":"https://h/d/job/1/file"},
                       {"id":"https://h/d/job/2","status":"0"}]"#;
        let j = parse_jobs(json).unwrap();
        assert_eq!(j[0].status, JobStatus::Completed);
        assert_eq!(j[1].status, JobStatus::Queued);
        assert_eq!(j[0].key(), "1");
        let xml = "<jobs><job><id>https://h/d/job/9</id><status>Complete</status></job></jobs>";
        assert_eq!(parse_jobs(xml).unwrap()[0].status, JobStatus::Completed);
        assert_eq!(JobStatus::parse("3"), JobStatus::Failed);
        assert!(matches!(parse_jobs("<jobs><job>"), Err(BodyError::Xml(_))));
        assert!(matches!(parse_jobs("[{\"id\": "), Err(BodyError::Json(_))));
        assert!(matches!(
            parse_definitions("{\"definitions\": ["),
            Err(BodyError::Json(_))
        ));
    }
}
