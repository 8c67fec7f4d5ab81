//! The CISA Known Exploited Vulnerabilities catalog.
//!
//! JSON (`known_exploited_vulnerabilities.json`): `{title, catalogVersion, dateReleased, count,
//! vulnerabilities: [...]}`; each entry has `cveID`, `vendorProject`, `product`,
//! `vulnerabilityName`, `dateAdded`, `shortDescription`, `requiredAction`, `dueDate`, `notes`,
//! and since late 2023 `knownRansomwareCampaignUse` (`Known`/`Unknown`) and `cwes` (a list).
//! Catalogs from 2022 lack the last two; they read as "not stated" and an empty list.
//!
//! CSV (`known_exploited_vulnerabilities.csv`): the same columns, found by header name; the CWEs
//! are packed in one field (`"CWE-59, CWE-436"`). The CSV carries no catalog version or release
//! date.

use super::{FeedError, max_decompressed_size, maybe_gunzip, strip_bom};
use jiff::civil::Date;
use posture_model::normalize_vuln_id;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One catalog entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KevEntry {
    /// Normalized (`CVE-2021-44228`).
    #[serde(rename = "cveID")]
    pub cve_id: String,
    #[serde(default)]
    pub vendor_project: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub vulnerability_name: String,
    pub date_added: Date,
    #[serde(default)]
    pub short_description: String,
    #[serde(default)]
    pub required_action: String,
    #[serde(default)]
    pub due_date: Option<Date>,
    /// `Known` or `Unknown` as CISA writes it; `None` when the catalog predates the field.
    #[serde(default)]
    pub known_ransomware_campaign_use: Option<String>,
    #[serde(default)]
    pub notes: String,
    /// CWE ids (`CWE-59`); empty when the catalog predates the field.
    #[serde(default)]
    pub cwes: Vec<String>,
}

impl KevEntry {
    /// True when CISA states `knownRansomwareCampaignUse: Known`.
    pub fn known_ransomware(&self) -> bool {
        self.known_ransomware_campaign_use
            .as_deref()
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("known"))
    }
}

/// A parsed catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KevCatalog {
    /// `2025.08.25` (JSON only).
    pub catalog_version: Option<String>,
    /// `2025-08-25T17:04:19.9796Z` as CISA writes it (JSON only).
    pub date_released: Option<String>,
    /// The `count` the catalog states (JSON only); compare with `entries.len()`.
    pub stated_count: Option<usize>,
    pub entries: Vec<KevEntry>,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

/// What the risk model needs to know of a KEV listing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KevFact {
    /// The catalog version the fact comes from (`2025.08.25`), for the explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_added: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<Date>,
    /// `knownRansomwareCampaignUse: Known`.
    #[serde(default)]
    pub known_ransomware: bool,
}

impl KevCatalog {
    fn new(
        catalog_version: Option<String>,
        date_released: Option<String>,
        stated_count: Option<usize>,
        entries: Vec<KevEntry>,
    ) -> Self {
        let mut index = HashMap::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            index.entry(e.cve_id.clone()).or_insert(i);
        }
        KevCatalog {
            catalog_version,
            date_released,
            stated_count,
            entries,
            index,
        }
    }

    /// The entry for a CVE id (any case).
    pub fn get(&self, cve: &str) -> Option<&KevEntry> {
        let i = *self.index.get(&normalize_vuln_id(cve))?;
        self.entries.get(i)
    }

    /// The risk model's view of a CVE's listing, when it is listed.
    pub fn fact(&self, cve: &str) -> Option<KevFact> {
        let e = self.get(cve)?;
        Some(KevFact {
            catalog_version: self.catalog_version.clone(),
            date_added: Some(e.date_added),
            due_date: e.due_date,
            known_ransomware: e.known_ransomware(),
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCatalog {
    #[serde(default)]
    catalog_version: Option<String>,
    #[serde(default)]
    date_released: Option<String>,
    #[serde(default)]
    count: Option<usize>,
    vulnerabilities: Vec<KevEntry>,
}

/// Parses the KEV catalog JSON (plain or gzip).
pub fn parse_kev_json(bytes: &[u8]) -> Result<KevCatalog, FeedError> {
    let data = maybe_gunzip(bytes, max_decompressed_size(bytes.len()))?;
    let raw: RawCatalog = serde_json::from_slice(strip_bom(&data))
        .map_err(|e| FeedError::at(e.line() as u64, format!("KEV JSON: {e}")))?;
    let entries = raw
        .vulnerabilities
        .into_iter()
        .map(|mut e| {
            e.cve_id = normalize_vuln_id(&e.cve_id);
            e
        })
        .collect();
    Ok(KevCatalog::new(
        raw.catalog_version,
        raw.date_released,
        raw.count,
        entries,
    ))
}

/// Parses the KEV catalog CSV (plain or gzip). Columns are found by header name; `cveID` and
/// `dateAdded` are required, the others default to empty.
pub fn parse_kev_csv(bytes: &[u8]) -> Result<KevCatalog, FeedError> {
    let data = maybe_gunzip(bytes, max_decompressed_size(bytes.len()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(strip_bom(&data));
    let headers = reader
        .headers()
        .map_err(|e| csv_error(&e, 1))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect::<Vec<_>>();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let cve_col =
        col("cveID").ok_or_else(|| FeedError::at(1, "KEV CSV: no `cveID` column in the header"))?;
    let added_col = col("dateAdded")
        .ok_or_else(|| FeedError::at(1, "KEV CSV: no `dateAdded` column in the header"))?;
    let vendor = col("vendorProject");
    let product = col("product");
    let name = col("vulnerabilityName");
    let desc = col("shortDescription");
    let action = col("requiredAction");
    let due = col("dueDate");
    let ransom = col("knownRansomwareCampaignUse");
    let notes = col("notes");
    let cwes = col("cwes");

    let mut entries = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(&e, 0))?;
        let line = record.position().map_or(0, |p| p.line());
        // Text fields are kept as published (as the JSON parser does); ids, dates, the
        // ransomware flag and the CWEs are trimmed.
        let field = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .map(str::to_string)
                .unwrap_or_default()
        };
        let trimmed = |c: Option<usize>| field(c).trim().to_string();
        let cve = trimmed(Some(cve_col));
        if cve.is_empty() {
            return Err(FeedError::at(line, "KEV CSV: empty cveID"));
        }
        let date_added = parse_date(&trimmed(Some(added_col)))
            .map_err(|m| FeedError::at(line, format!("KEV CSV: dateAdded: {m}")))?;
        let due_text = trimmed(due);
        let due_date = if due_text.is_empty() {
            None
        } else {
            Some(
                parse_date(&due_text)
                    .map_err(|m| FeedError::at(line, format!("KEV CSV: dueDate: {m}")))?,
            )
        };
        let ransom_text = trimmed(ransom);
        entries.push(KevEntry {
            cve_id: normalize_vuln_id(&cve),
            vendor_project: field(vendor),
            product: field(product),
            vulnerability_name: field(name),
            date_added,
            short_description: field(desc),
            required_action: field(action),
            due_date,
            known_ransomware_campaign_use: (ransom.is_some() && !ransom_text.is_empty())
                .then_some(ransom_text),
            notes: field(notes),
            cwes: field(cwes)
                .split([',', ';', ' '])
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect(),
        });
    }
    Ok(KevCatalog::new(None, None, None, entries))
}

fn parse_date(text: &str) -> Result<Date, String> {
    text.parse::<Date>()
        .map_err(|e| format!("`{text}` is not a date (YYYY-MM-DD): {e}"))
}

fn csv_error(e: &csv::Error, fallback_line: u64) -> FeedError {
    let line = e.position().map_or(fallback_line, |p| p.line());
    FeedError::at(line, format!("KEV CSV: {e}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const CSV: &str = "cveID,vendorProject,product,vulnerabilityName,dateAdded,shortDescription,requiredAction,dueDate,knownRansomwareCampaignUse,notes,cwes\n\
CVE-2025-48384,Git,Git,\"Git Link Following Vulnerability\",2025-08-25,\"Git contains, a link\",\"Apply mitigations\",2025-09-15,Unknown,\"see https://x\",\"CWE-59, CWE-436\"\n\
cve-2021-44228,Apache,Log4j2,\"Log4Shell\",2021-12-10,\"JNDI\",\"Apply updates\",2021-12-24,Known,,CWE-917\n";

    #[test]
    fn reads_the_csv_with_packed_cwes() {
        let c = parse_kev_csv(CSV.as_bytes()).unwrap();
        assert_eq!(c.entries.len(), 2);
        assert_eq!(c.entries[0].cwes, vec!["CWE-59", "CWE-436"]);
        assert_eq!(c.entries[0].short_description, "Git contains, a link");
        assert!(!c.entries[0].known_ransomware());
        let log4j = c.get("CVE-2021-44228").unwrap();
        assert!(log4j.known_ransomware());
        assert_eq!(log4j.cwes, vec!["CWE-917"]);
        assert_eq!(c.catalog_version, None);
        let fact = c.fact("cve-2021-44228").unwrap();
        assert!(fact.known_ransomware);
        assert_eq!(fact.date_added, Some(jiff::civil::date(2021, 12, 10)));
    }

    #[test]
    fn csv_errors_name_the_line() {
        let bad = CSV.replace("2021-12-10", "10/12/2021");
        let e = parse_kev_csv(bad.as_bytes()).unwrap_err();
        assert!(
            matches!(&e, FeedError::Syntax { line: 3, message } if message.contains("dateAdded")),
            "{e}"
        );
        let e = parse_kev_csv(b"cve,epss\nCVE-1,0.1\n").unwrap_err();
        assert!(matches!(e, FeedError::Syntax { line: 1, .. }), "{e}");
        let ragged = format!("{CSV}CVE-2020-1,a,b\n");
        let e = parse_kev_csv(ragged.as_bytes()).unwrap_err();
        assert!(matches!(e, FeedError::Syntax { line: 4, .. }), "{e}");
    }

    #[test]
    fn json_errors_name_the_line() {
        let doc = "{\n  \"catalogVersion\": \"1\",\n  \"vulnerabilities\": [\n    {\"cveID\": \"CVE-1\", \"dateAdded\": \"yesterday\"}\n  ]\n}";
        let e = parse_kev_json(doc.as_bytes()).unwrap_err();
        assert!(matches!(e, FeedError::Syntax { line: 4, .. }), "{e}");
        let e = parse_kev_json(b"{\"title\": \"x\"}").unwrap_err();
        assert!(e.to_string().contains("vulnerabilities"), "{e}");
    }
}
