//! The list of formats Posture reads, and detection by content.

use crate::encoding::{self, EncodingError, Head};
use crate::formats;
use crate::{BareEmpty, Confidence, Parser, Sniff};
use posture_model::{ParsedReport, ToolInfo, ToolRun};

/// Every format Posture reads. Adding a format: one file in `formats/`, one line here, its
/// fixtures (see CONTRIBUTING.md). Order matters only for documentation.
pub static PARSERS: &[&dyn Parser] = &[
    &formats::sarif::Sarif,
    &formats::trivy::json::Trivy,
    &formats::grype::json::Grype,
    &formats::semgrep::Semgrep,
    &formats::gitleaks::json::Gitleaks,
    &formats::osv::scanner::OsvScanner,
    &formats::npm::audit::NpmAudit,
    &formats::npm::yarn::YarnAudit,
    &formats::pip_audit::PipAudit,
    &formats::safety::Safety,
    &formats::cargo_audit::CargoAudit,
    &formats::osv::govulncheck::Govulncheck,
    &formats::nancy::Nancy,
    &formats::bandit::Bandit,
    &formats::gosec::Gosec,
    &formats::brakeman::Brakeman,
    &formats::spotbugs::SpotBugs,
    &formats::eslint::Eslint,
    &formats::github_code_scanning::GithubCodeScanning,
    &formats::flake8::Flake8,
    &formats::sonarqube::SonarQube,
    &formats::checkov::Checkov,
    &formats::tfsec::Tfsec,
    &formats::kics::Kics,
    &formats::terrascan::Terrascan,
    &formats::trufflehog::Trufflehog,
    &formats::trufflehog3::Trufflehog3,
    &formats::detect_secrets::DetectSecrets,
    &formats::whispers::Whispers,
    &formats::ripsecrets::Ripsecrets,
    &formats::zap::xml::ZapXml,
    &formats::zap::json::ZapJson,
    &formats::nuclei::Nuclei,
    &formats::burp::xml::BurpXml,
    &formats::burp::api::BurpApi,
    &formats::cyclonedx::json::CycloneDxJson,
    &formats::cyclonedx::xml::CycloneDxXml,
    &formats::openvex::OpenVex,
    &formats::hadolint::Hadolint,
    &formats::dockle::Dockle,
    &formats::clair::Clair,
    &formats::github_vulnerability::GithubVulnerability,
    &formats::retirejs::Retirejs,
    &formats::snyk::Snyk,
    &formats::dependency_check::json::DependencyCheckJson,
    &formats::dependency_check::xml::DependencyCheckXml,
    &formats::trivy::operator::TrivyOperator,
    &formats::gitleaks::csv::GitleaksCsv,
    &formats::grype::jsonl::GrypeJsonl,
    &formats::asff::Asff,
    &formats::gitlab_security::GitlabSecurity,
    &formats::trivy::k8s::TrivyK8s,
    &formats::spdx_json::SpdxJson,
];

/// Looks a parser up by its `--format` id.
pub fn parser_by_id(id: &str) -> Option<&'static dyn Parser> {
    PARSERS.iter().copied().find(|p| p.id() == id)
}

/// Why no single format was detected, or why the format given does not fit the report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetectError {
    #[error(
        "the file is empty; an empty file is a clean scan only of a tool that prints nothing when it finds nothing: give the format for this file (--format FILE=FORMAT) or name the file after the tool"
    )]
    Empty,
    #[error("not a report in any format Posture reads{}", resembled(.resembles))]
    NotRecognized { resembles: Vec<&'static str> },
    #[error("the report matches several formats equally ({}); pass --format", .candidates.join(", "))]
    Ambiguous { candidates: Vec<&'static str> },
    /// The bytes are not text in an encoding Posture reads.
    #[error("{0}")]
    Encoding(EncodingError),
    /// An output with nothing in it (`[]`, `null`, nothing), and neither the format given nor
    /// the file name says which tool wrote it.
    #[error(
        "the report is {}, which is what {} write{} when nothing is found, and neither a format for this file nor its file name says which tool wrote it: give it (--format FILE=FORMAT, `format=` in the API) or name the file after the tool (`trufflehog3.json`)",
        .shape.as_str(), .candidates.join(", "), if .candidates.len() == 1 { "s" } else { "" }
    )]
    Unnamed {
        shape: BareEmpty,
        candidates: Vec<&'static str>,
    },
    /// The file name names a tool that has several formats writing this empty output.
    #[error(
        "the report is {}, and the tool its file name names writes it in several formats ({}): give the format for this file (--format FILE=FORMAT)",
        .shape.as_str(), .candidates.join(", ")
    )]
    NamedAmbiguous {
        shape: BareEmpty,
        candidates: Vec<&'static str>,
    },
    /// The format given does not fit the report: nothing is read as it.
    #[error("the report is not {format}: {why}{}", mismatch_hint(.resembles))]
    Mismatch {
        format: &'static str,
        why: String,
        resembles: Vec<&'static str>,
    },
}

fn resembled(r: &[&'static str]) -> String {
    if r.is_empty() {
        " (it resembles none of them)".to_string()
    } else {
        format!(
            " (it resembles {}; pass --format to read it as one)",
            r.join(", ")
        )
    }
}

fn mismatch_hint(r: &[&'static str]) -> String {
    if r.is_empty() {
        String::new()
    } else {
        format!(" (it resembles {})", r.join(", "))
    }
}

/// Detects the format of a report from its content (UTF-8, with or without a BOM, or UTF-16).
pub fn detect(input: &[u8]) -> Result<&'static dyn Parser, DetectError> {
    let text = encoding::decode(input).map_err(DetectError::Encoding)?;
    if crate::json::is_blank(&text) {
        return Err(DetectError::Empty);
    }
    let head = Head::of(&text);
    let sniff = head.sniff();
    let found = detect_sniff(&sniff);
    if let Err(DetectError::NotRecognized { resembles }) = &found
        && resembles.is_empty()
        && let Some(problem) =
            encoding::utf8_problem(crate::json::strip_bom(&text), 4 * Sniff::HEAD_BYTES)
        && looks_like_text(&crate::json::strip_bom(&text)[..problem.position as usize])
    {
        // what stopped detection is the encoding of a text, not the content
        let bom = if text.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        return Err(DetectError::Encoding(EncodingError {
            position: problem.position + bom,
            ..problem
        }));
    }
    found
}

/// Whether bytes read so far look like the start of a text report (not binary or compressed
/// data): a JSON, XML or text start and no control characters.
fn looks_like_text(prefix: &[u8]) -> bool {
    let first = prefix.iter().find(|b| !b.is_ascii_whitespace());
    first.is_some_and(|b| b"{[<\"".contains(b) || b.is_ascii_alphanumeric())
        && prefix
            .iter()
            .all(|b| *b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r'))
}

fn detect_sniff(sniff: &Sniff<'_>) -> Result<&'static dyn Parser, DetectError> {
    if sniff.head.is_empty() {
        return Err(DetectError::NotRecognized { resembles: vec![] });
    }
    let mut scored: Vec<(Confidence, &'static dyn Parser)> = PARSERS
        .iter()
        .map(|p| (p.detect(sniff), *p))
        .filter(|(c, _)| *c > Confidence::NO)
        .collect();
    scored.sort_by_key(|s| std::cmp::Reverse(s.0));
    match scored.as_slice() {
        [] => Err(DetectError::NotRecognized { resembles: vec![] }),
        [(best, p), rest @ ..] if *best >= Confidence::MATCH => {
            let tied: Vec<&'static str> = rest
                .iter()
                .filter(|(c, _)| c == best)
                .map(|(_, p)| p.id())
                .collect();
            if tied.is_empty() {
                Ok(*p)
            } else {
                let mut candidates = vec![p.id()];
                candidates.extend(tied);
                Err(DetectError::Ambiguous { candidates })
            }
        }
        weak => Err(DetectError::NotRecognized {
            resembles: weak.iter().map(|(_, p)| p.id()).collect(),
        }),
    }
}

/// Which empty output a report is, if it is one that cannot name its tool: nothing (0 bytes or
/// whitespace), `[]` or `null` (after a BOM; UTF-8 input, see [`encoding::decode`]).
pub fn bare_empty_shape(input: &[u8]) -> Option<BareEmpty> {
    let body = crate::json::strip_bom(input);
    let compact: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .take(5)
        .collect();
    match compact.as_slice() {
        b"" => Some(BareEmpty::Nothing),
        b"[]" => Some(BareEmpty::EmptyArray),
        b"null" => Some(BareEmpty::Null),
        _ => None,
    }
}

fn shape_bytes(shape: BareEmpty) -> &'static [u8] {
    match shape {
        BareEmpty::Nothing => b"",
        BareEmpty::EmptyArray => b"[]",
        BareEmpty::Null => b"null",
    }
}

/// The tool a format's empty output is a clean scan of (the tool of the run its parser reads
/// from it).
fn clean_scan_tool(parser: &dyn Parser, shape: BareEmpty) -> Option<String> {
    let report = parser.parse(shape_bytes(shape)).ok()?;
    match report.runs.as_slice() {
        [run] if run.occurrences.is_empty() => Some(run.tool.name.clone()),
        _ => None,
    }
}

/// Tools that write SARIF (by their name in Posture), for a SARIF file with no runs whose file
/// name names its tool (`gitleaks.sarif`).
const SARIF_TOOLS: &[&str] = &[
    "bandit",
    "brakeman",
    "checkov",
    "codeql",
    "eslint",
    "gitleaks",
    "gosec",
    "grype",
    "hadolint",
    "kics",
    "semgrep",
    "snyk",
    "tfsec",
    "trivy",
    "trufflehog",
];

/// Whether a file name (its last path segment) names a tool: the tool's name, case aside,
/// not inside a longer word (`trufflehog3.json` names trufflehog3, not trufflehog).
pub fn tool_named_by(file_name: &str, tool: &str) -> bool {
    let base = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(file_name)
        .to_ascii_lowercase();
    let tool = tool.to_ascii_lowercase();
    if tool.is_empty() {
        return false;
    }
    let bytes = base.as_bytes();
    let mut from = 0;
    while let Some(i) = base[from..].find(&tool) {
        let start = from + i;
        let end = start + tool.len();
        let before = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
        let after = end == bytes.len() || !bytes[end].is_ascii_alphanumeric();
        if before && after {
            return true;
        }
        from = start + 1;
    }
    false
}

/// Of several tools a file name names, those not part of a longer one it names too
/// (`github-code-scanning.json` names github-code-scanning, not github).
fn longest_named<'a>(file_name: &str, tools: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut named: Vec<&str> = tools
        .into_iter()
        .filter(|t| tool_named_by(file_name, t))
        .collect();
    named.sort_unstable();
    named.dedup();
    let all = named.clone();
    named.retain(|t| !all.iter().any(|o| o.len() > t.len() && o.contains(*t)));
    named
}

/// Whether a format could have written a file with this extension (a `.json` file is not
/// gitleaks' CSV; a `.csv` file is not JSON).
fn extension_fits(file_name: &str, format: &str) -> bool {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let csv = format.ends_with("-csv");
    let text = format.ends_with("-text");
    match ext.as_str() {
        "csv" => csv,
        "json" | "jsonl" | "sarif" => !csv && !text,
        _ => true,
    }
}

/// How a report's format was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Given by the caller (`--format`, `--format FILE=FORMAT`, `format=`), checked against the
    /// content.
    Given,
    /// Detected from the content.
    Detected,
    /// The content is an empty output that cannot name its tool; the file name names it.
    FileName,
}

/// A report's format, and how it was chosen (see [`choose`]).
#[derive(Clone, Copy)]
pub struct Chosen {
    pub parser: &'static dyn Parser,
    pub choice: Choice,
    /// The report is this empty output (a clean scan).
    pub bare: Option<BareEmpty>,
    /// How sure the format's own detection is of the content.
    confidence: Confidence,
}

impl std::fmt::Debug for Chosen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chosen")
            .field("parser", &self.parser.id())
            .field("choice", &self.choice)
            .field("bare", &self.bare)
            .finish()
    }
}

/// Chooses the format of a report (UTF-8 text, see [`encoding::decode`]):
/// * a format **given** is checked against the content: an empty output it never is, or content
///   that detects as another format its own detection does not recognise, is a
///   [`DetectError::Mismatch`];
/// * else the format the **content** says;
/// * else, for an empty output that cannot name its tool (`[]`, `null`, nothing), the one format
///   that writes it for the tool the **file name** names.
///
/// After parsing, [`Chosen::check`] refuses a given format that read foreign content as empty.
pub fn choose(
    input: &[u8],
    file_name: &str,
    given: Option<&'static dyn Parser>,
) -> Result<Chosen, DetectError> {
    let bare = bare_empty_shape(input);
    if let Some(parser) = given {
        if let Some(shape) = bare {
            if !parser.bare_empty().contains(&shape) {
                let why = if shape == BareEmpty::Nothing {
                    format!(
                        "the file is empty, and {}'s tool always writes a document (did the scanner fail?)",
                        parser.id()
                    )
                } else {
                    format!(
                        "{} is not an output of {}'s tool",
                        shape.as_str(),
                        parser.id()
                    )
                };
                return Err(DetectError::Mismatch {
                    format: parser.id(),
                    why,
                    resembles: writers_of(shape),
                });
            }
            return Ok(Chosen {
                parser,
                choice: Choice::Given,
                bare,
                confidence: Confidence::CERTAIN,
            });
        }
        let head = Head::of(input);
        let sniff = head.sniff();
        let confidence = parser.detect(&sniff);
        if confidence < Confidence::MATCH
            && let Ok(other) = detect_sniff(&sniff)
            && other.id() != parser.id()
        {
            return Err(DetectError::Mismatch {
                format: parser.id(),
                why: format!("its content is a {} report", other.id()),
                resembles: vec![other.id()],
            });
        }
        return Ok(Chosen {
            parser,
            choice: Choice::Given,
            bare: None,
            confidence,
        });
    }
    let Some(shape) = bare else {
        let parser = detect(input)?;
        return Ok(Chosen {
            parser,
            choice: Choice::Detected,
            bare: None,
            confidence: Confidence::MATCH,
        });
    };
    let writers: Vec<(&'static dyn Parser, String)> = PARSERS
        .iter()
        .copied()
        .filter(|p| p.bare_empty().contains(&shape))
        .filter_map(|p| clean_scan_tool(p, shape).map(|t| (p, t)))
        .collect();
    let named = longest_named(file_name, writers.iter().map(|(_, t)| t.as_str()));
    let candidates: Vec<&'static dyn Parser> = writers
        .iter()
        .filter(|(p, t)| named.contains(&t.as_str()) && extension_fits(file_name, p.id()))
        .map(|(p, _)| *p)
        .collect();
    match (named.len(), candidates.as_slice()) {
        (1, [parser]) => Ok(Chosen {
            parser: *parser,
            choice: Choice::FileName,
            bare,
            confidence: Confidence::CERTAIN,
        }),
        (1, several @ [_, _, ..]) => Err(DetectError::NamedAmbiguous {
            shape,
            candidates: several.iter().map(|p| p.id()).collect(),
        }),
        _ if shape == BareEmpty::Nothing && named.is_empty() => Err(DetectError::Empty),
        _ => Err(DetectError::Unnamed {
            shape,
            candidates: writers_of(shape),
        }),
    }
}

/// The formats whose tool writes this empty output.
fn writers_of(shape: BareEmpty) -> Vec<&'static str> {
    PARSERS
        .iter()
        .filter(|p| p.bare_empty().contains(&shape))
        .map(|p| p.id())
        .collect()
}

impl Chosen {
    /// Checks what the chosen parser read, and completes it:
    /// * a format given that read a document it does not recognise (none of its keys) as an
    ///   empty report is a [`DetectError::Mismatch`]: a foreign report must not close the
    ///   format's findings;
    /// * a SARIF file with no runs whose file name names its tool (`gitleaks.sarif`) is a clean
    ///   scan of that tool (an empty run).
    pub fn check(&self, report: &mut ParsedReport, file_name: &str) -> Result<(), DetectError> {
        let read_nothing = report.occurrence_count() == 0
            && !report
                .diagnostics
                .iter()
                .any(|d| d.level == posture_model::DiagnosticLevel::Skipped);
        if self.choice == Choice::Given
            && self.bare.is_none()
            && read_nothing
            && self.confidence == Confidence::NO
            && report.components.is_empty()
            && report.vex.is_empty()
        {
            return Err(DetectError::Mismatch {
                format: self.parser.id(),
                why: format!(
                    "it reads as an empty {} report, but it has none of the keys {} reports have",
                    self.parser.id(),
                    self.parser.id()
                ),
                resembles: Vec::new(),
            });
        }
        if report.runs.is_empty() && self.parser.id() == "sarif" {
            let named = longest_named(file_name, SARIF_TOOLS.iter().copied());
            if let [tool] = named.as_slice() {
                report.runs.push(ToolRun {
                    tool: ToolInfo::new(*tool, None),
                    occurrences: Vec::new(),
                });
            } else {
                report.diagnostics.push(crate::json::warning(
                    "/runs",
                    "the SARIF file has no runs, so it names no tool and closes nothing; name the file after its tool (`gitleaks.sarif`) to record a clean scan",
                ));
            }
        }
        Ok(())
    }
}
