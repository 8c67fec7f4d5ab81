//! Cobertura XML (Cobertura itself, coverage.py's `coverage xml`, gcovr `--xml`,
//! coverlet, `cargo llvm-cov --cobertura`; DTD coverage-04): `<coverage timestamp>` (ms, or s
//! from some writers) holds `<packages><package><classes><class filename>` with
//! `<lines><line number hits/>`; `<methods><method><lines>` repeat the class's lines and are
//! read past. The path is the class's `filename` as written (relative to one of the
//! `<sources>`; the path map of posture.toml joins it to the repository where they differ).

use super::{CoverageReport, FileCoverage, line_number, unix_time, xml_count};
use crate::xml::{Element, xpath};
use crate::{ParseError, Position};

pub(super) fn parse(input: &[u8]) -> Result<CoverageReport, ParseError> {
    let root = crate::xml::parse(input)?;
    if root.name != "coverage" {
        return Err(ParseError::shape(format!(
            "the root element is <{}>, a Cobertura report's is <coverage>",
            root.name
        ))
        .at(Position::Pointer(format!("/{}", root.name))));
    }
    let mut report = CoverageReport {
        generated_at: root.attr("timestamp").and_then(unix_time),
        ..CoverageReport::default()
    };
    let base = "/coverage[1]";
    for (psi, packages) in root.children_named("packages") {
        let ps_at = xpath(base, "packages", psi);
        for (pi, p) in packages.children_named("package") {
            let p_at = xpath(&ps_at, "package", pi);
            for (csi, classes) in p.children_named("classes") {
                let cs_at = xpath(&p_at, "classes", csi);
                for (ci, c) in classes.children_named("class") {
                    report.files.push(class(c, &xpath(&cs_at, "class", ci))?);
                }
            }
        }
    }
    Ok(report)
}

fn class(c: &Element, at: &str) -> Result<FileCoverage, ParseError> {
    let Some(path) = c.attr("filename").map(str::trim).filter(|f| !f.is_empty()) else {
        return Err(
            ParseError::shape("<class> without a `filename`").at(Position::Pointer(at.into()))
        );
    };
    let mut file = FileCoverage {
        path: path.replace('\\', "/"),
        lines: Vec::new(),
    };
    for (lsi, lines) in c.children_named("lines") {
        let ls_at = xpath(at, "lines", lsi);
        for (li, l) in lines.children_named("line") {
            let l_at = xpath(&ls_at, "line", li);
            let Some(number) = l.attr("number").and_then(line_number) else {
                return Err(ParseError::shape(format!(
                    "<line> has number `{}`, expected a line number >= 1",
                    l.attr("number").unwrap_or("")
                ))
                .at(Position::Pointer(l_at)));
            };
            let Some(hits) = xml_count(l, "hits", &l_at)? else {
                return Err(ParseError::shape("<line> without `hits`").at(Position::Pointer(l_at)));
            };
            file.lines.push((number, hits));
        }
    }
    Ok(file)
}
