//! SpotBugs and FindBugs XML reports (`spotbugs -xml:withMessages`, the Maven and Gradle
//! plugins' `spotbugsXml.xml`/`findbugsXml.xml`), including Find Security Bugs results.
//!
//! Shape: `<BugCollection version=...>` with `<Project>`, one `<BugInstance>` per bug (`type`,
//! `priority`, `rank`, `category`, `instanceHash`, `cweid`, `<ShortMessage>`,
//! `<LongMessage>`, `<Class>`/`<Method>`/`<Field>` each with a `<SourceLine>`, and the bug's own
//! `<SourceLine>` elements, the primary one marked `primary="true"`), then `<BugCategory>`,
//! `<BugPattern>` (per type: `cweid`, `<ShortDescription>`, `<Details>` in HTML), `<Errors>`
//! and `<FindBugsSummary>`. A report without `BugInstance` is zero occurrences.
//!
//! Severity (`priority`, SpotBugs' confidence-ranked priority; `rank` 1-20 is written in the
//! description):
//!
//! | SpotBugs `priority`   | Posture |
//! |-----------------------|---------|
//! | `1` (high)            | high    |
//! | `2` (normal)          | medium  |
//! | `3` (low)             | low     |
//! | `4`, `5` (experimental, ignore) | info |
//! | missing or anything else | medium (with a warning diagnostic for a value that is not a number) |
//!
//! Location: the primary `SourceLine` directly under the `BugInstance` (or the first one), else
//! the `SourceLine` of the primary `Method`, `Field` or `Class`; `sourcepath` (relative to the
//! source root, e.g. `com/acme/App.java`) is the path.
//!
//! Identity hints: `instanceHash` is SpotBugs' hash of the bug's type and its class, method
//! and field signatures, with no line number, and becomes `tool_fingerprint`. Several
//! instances of one bug in one method share it (`instanceOccurrenceNum` tells them apart, but
//! shifts when an earlier instance is fixed): Posture emits one occurrence per `BugInstance`,
//! and the engine collapses those with the same identity, as DefectDojo merges them.
//! There is no source snippet, so no `context`.
//!
//! Other fields: `cweid` (on the instance, else on its `BugPattern`) → `cwes`; `category` and
//! `rank` are written in the description; `LongMessage` is the description.
//!
//! Collapsing: none in the parser (see identity hints).

use crate::xml::{self, Element};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, Diagnostic, Location, Occurrence, ParsedReport, Severity, ToolInfo, ToolRun,
};
use std::collections::HashMap;

pub struct SpotBugs;

impl Parser for SpotBugs {
    fn id(&self) -> &'static str {
        "spotbugs-xml"
    }

    fn description(&self) -> &'static str {
        "SpotBugs / FindBugs XML report (incl. Find Security Bugs)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sast]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if s.first_char() != Some('<') {
            return Confidence::NO;
        }
        if s.contains("<BugCollection") {
            Confidence::CERTAIN
        } else {
            Confidence::NO
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let root = xml::parse(input)?;
        if root.name != "BugCollection" {
            return Err(ParseError::shape(format!(
                "expected a SpotBugs/FindBugs XML report (a <BugCollection> root), found <{}>",
                root.name
            )));
        }
        let patterns: HashMap<&str, &Element> = root
            .children_named("BugPattern")
            .filter_map(|(_, p)| p.attr("type").map(|t| (t, p)))
            .collect();
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::new();
        for (pos, bug) in root.children_named("BugInstance") {
            let locator = xml::xpath("/BugCollection", "BugInstance", pos);
            let pattern = bug.attr("type").and_then(|t| patterns.get(t).copied());
            occurrences.push(to_occurrence(bug, pattern, locator, &mut diagnostics));
        }
        let version = root
            .attr("version")
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(String::from);
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("spotbugs", version),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn severity(priority: Option<&str>) -> (Severity, bool) {
    match priority.map(str::trim) {
        Some("1") => (Severity::High, true),
        Some("2") => (Severity::Medium, true),
        Some("3") => (Severity::Low, true),
        Some("4") | Some("5") => (Severity::Info, true),
        None | Some("") => (Severity::Medium, true),
        Some(p) => (Severity::Medium, p.parse::<u32>().is_ok()),
    }
}

fn line_of(sl: &Element) -> Location {
    let num = |k: &str| {
        sl.attr(k)
            .and_then(|v| v.trim().parse::<u32>().ok())
            .filter(|n| *n > 0)
    };
    let start = num("start");
    Location {
        path: sl
            .attr("sourcepath")
            .or_else(|| sl.attr("sourcefile"))
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(String::from),
        start_line: start,
        end_line: num("end").filter(|e| start.is_some_and(|s| *e > s)),
        ..Location::default()
    }
}

fn location(bug: &Element) -> Location {
    let own: Vec<&Element> = bug
        .children
        .iter()
        .filter(|c| c.name == "SourceLine")
        .collect();
    if let Some(sl) = own
        .iter()
        .find(|s| s.attr("primary") == Some("true"))
        .or_else(|| own.iter().find(|s| s.attr("start").is_some()))
        .or(own.first())
    {
        return line_of(sl);
    }
    for name in ["Method", "Field", "Class"] {
        let holders: Vec<&Element> = bug.children.iter().filter(|c| c.name == name).collect();
        let holder = holders
            .iter()
            .find(|h| h.attr("primary") == Some("true"))
            .or(holders.first());
        if let Some(sl) = holder.and_then(|h| h.child("SourceLine")) {
            return line_of(sl);
        }
    }
    Location::default()
}

fn to_occurrence(
    bug: &Element,
    pattern: Option<&Element>,
    locator: String,
    diags: &mut Vec<Diagnostic>,
) -> Occurrence {
    let rule = bug
        .attr("type")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or("spotbugs")
        .to_string();
    let title = bug
        .child_text("ShortMessage")
        .or_else(|| pattern.and_then(|p| p.child_text("ShortDescription")))
        .unwrap_or(&rule)
        .to_string();
    let priority = bug.attr("priority");
    let (sev, known) = severity(priority);
    if !known {
        diags.push(crate::json::warning(
            &locator,
            format!(
                "unknown SpotBugs priority `{}`, read as medium",
                priority.unwrap_or_default()
            ),
        ));
    }
    let mut occ = Occurrence::new(Category::Sast, rule, title, sev, locator);
    occ.tool_severity = priority
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("priority {p}"));
    occ.location = location(bug);
    occ.identity.tool_fingerprint = bug
        .attr("instanceHash")
        .map(str::trim)
        .filter(|h| !h.is_empty() && h.bytes().any(|b| b != b'0'))
        .map(String::from);
    let cwe = bug
        .attr("cweid")
        .or_else(|| pattern.and_then(|p| p.attr("cweid")))
        .and_then(crate::json::parse_cwe);
    occ.cwes = cwe.into_iter().collect();
    let mut desc = Vec::new();
    if let Some(m) = bug.child_text("LongMessage") {
        desc.push(m.to_string());
    }
    let mut facts = Vec::new();
    if let Some(c) = bug.attr("category").filter(|c| !c.is_empty()) {
        facts.push(format!("category {c}"));
    }
    if let Some(r) = bug.attr("rank").filter(|r| !r.is_empty()) {
        facts.push(format!("rank {r}"));
    }
    if let Some(p) = priority.filter(|p| !p.is_empty()) {
        facts.push(format!("priority {p}"));
    }
    if !facts.is_empty() {
        desc.push(format!("SpotBugs {}.", facts.join(", ")));
    }
    occ.description = (!desc.is_empty()).then(|| desc.join("\n"));
    occ
}
