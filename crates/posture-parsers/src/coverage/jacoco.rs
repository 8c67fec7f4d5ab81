//! JaCoCo XML reports (`jacoco:report`, Gradle's `jacocoTestReport`; DTD "-//JACOCO//DTD
//! Report 1.1//EN"): `<report>` holds `<sessioninfo start dump>` (ms) and `<package
//! name="com/acme/app">` (possibly inside `<group>`s), whose `<sourcefile name="Foo.java">`
//! lists `<line nr mi ci mb cb>`. JaCoCo records whether an instruction ran, not how often:
//! a line with a covered instruction (`ci > 0`) counts 1 hit, a line with none 0. The path is
//! the package's path and the source file's name (`com/acme/app/Foo.java`).

use super::{CoverageReport, FileCoverage, line_number, unix_time, xml_count};
use crate::xml::{Element, xpath};
use crate::{ParseError, Position};

pub(super) fn parse(input: &[u8]) -> Result<CoverageReport, ParseError> {
    let root = crate::xml::parse(input)?;
    if root.name != "report" {
        return Err(ParseError::shape(format!(
            "the root element is <{}>, a JaCoCo report's is <report>",
            root.name
        ))
        .at(Position::Pointer(format!("/{}", root.name))));
    }
    let mut report = CoverageReport::default();
    for (_, s) in root.children_named("sessioninfo") {
        if let Some(t) = s.attr("dump").and_then(unix_time) {
            report.generated_at = Some(report.generated_at.map_or(t, |old| old.max(t)));
        }
    }
    walk(&root, "/report[1]", &mut report)?;
    Ok(report)
}

/// Reads the packages of `<report>` or of a `<group>` (groups nest).
fn walk(el: &Element, at: &str, report: &mut CoverageReport) -> Result<(), ParseError> {
    for (gi, g) in el.children_named("group") {
        walk(g, &xpath(at, "group", gi), report)?;
    }
    for (pi, p) in el.children_named("package") {
        let p_at = xpath(at, "package", pi);
        let package = p.attr("name").unwrap_or("").trim().trim_end_matches('/');
        for (si, s) in p.children_named("sourcefile") {
            let s_at = xpath(&p_at, "sourcefile", si);
            let Some(name) = s.attr("name").map(str::trim).filter(|n| !n.is_empty()) else {
                return Err(
                    ParseError::shape("<sourcefile> without a `name`").at(Position::Pointer(s_at))
                );
            };
            let path = if package.is_empty() {
                name.to_string()
            } else {
                format!("{package}/{name}")
            };
            let mut file = FileCoverage {
                path,
                lines: Vec::new(),
            };
            for (li, l) in s.children_named("line") {
                let l_at = xpath(&s_at, "line", li);
                let Some(nr) = l.attr("nr").and_then(line_number) else {
                    return Err(ParseError::shape(format!(
                        "<line> has nr `{}`, expected a line number >= 1",
                        l.attr("nr").unwrap_or("")
                    ))
                    .at(Position::Pointer(l_at)));
                };
                let ci = xml_count(l, "ci", &l_at)?.unwrap_or(0);
                xml_count(l, "mi", &l_at)?;
                file.lines.push((nr, u64::from(ci > 0)));
            }
            report.files.push(file);
        }
    }
    Ok(())
}
