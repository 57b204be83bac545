//! Which Concur edition a company runs, from the company profile.

use crate::client::Client;
use crate::error::{Error, Result};

/// The product edition, which decides how accounting files are fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Edition {
    /// Professional (marketing names `CTE`, `Enterprise`): the Extract API.
    Professional,
    /// Standard: the Payment Batch API.
    Standard,
}

impl std::fmt::Display for Edition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Edition::Professional => "professional",
            Edition::Standard => "standard",
        })
    }
}

/// Maps the Expense `marketingName` to an edition: `CTE` or `Enterprise` mean
/// Professional; anything containing `standard` (e.g. "Standard Edition") means Standard;
/// anything else is unknown (`None`), so the caller asks the operator.
///
/// ```
/// use ledgerline_fetch::edition::{Edition, edition_from_marketing_name};
/// assert_eq!(edition_from_marketing_name("CTE"), Some(Edition::Professional));
/// assert_eq!(edition_from_marketing_name("Standard Edition"), Some(Edition::Standard));
/// assert_eq!(edition_from_marketing_name("Breeze"), None);
/// ```
pub fn edition_from_marketing_name(name: &str) -> Option<Edition> {
    let n = name.trim().to_ascii_lowercase();
    if n == "cte" || n == "enterprise" || n.starts_with("enterprise ") {
        Some(Edition::Professional)
    } else if n.contains("standard") {
        Some(Edition::Standard)
    } else {
        None
    }
}

/// Finds `marketingName` under the `com:concur:Expense:0.1` extension of a profile.
pub fn marketing_name(profile: &serde_json::Value) -> Option<&str> {
    profile
        .get("com:concur:Expense:0.1")
        .and_then(|e| e.get("marketingName"))
        .and_then(|m| m.as_str())
}

impl Client {
    /// Reads the company profile (`/profile/v1/me`) and returns the edition.
    pub fn detect_edition(&mut self) -> Result<Edition> {
        let url = self.url("/profile/v1/me");
        let body = self.get_text(&url, "application/json")?;
        let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| Error::Parse {
            url: url.clone(),
            message: format!("company profile is not JSON: {e}"),
        })?;
        let name = marketing_name(&v).ok_or_else(|| Error::UnknownEdition(String::new()))?;
        edition_from_marketing_name(name).ok_or_else(|| Error::UnknownEdition(name.to_owned()))
    }
}
