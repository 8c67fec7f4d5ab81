//! SVG charts drawn on the server: plain, small, readable without any script. Colours are
//! presentation attributes (the CSP forbids inline `style`); every label is escaped here.

use std::fmt::Write;

/// Escapes text for SVG/HTML content and attributes.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One bar of a horizontal bar chart.
pub struct Bar {
    pub label: String,
    pub value: usize,
    pub color: &'static str,
    /// Where a click on the bar leads (a filtered list).
    pub href: Option<String>,
}

/// Horizontal bars with their values, e.g. open findings per risk band.
pub fn horizontal_bars(title: &str, bars: &[Bar]) -> String {
    let width = 420.0;
    let label_w = 70.0;
    let value_w = 50.0;
    let row = 34.0;
    let height = row * bars.len().max(1) as f64 + 8.0;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 4.0 + i as f64 * row;
        let w = ((width - label_w - value_w) * b.value as f64 / max).max(if b.value > 0 {
            2.0
        } else {
            0.0
        });
        let bar = format!(
            r#"<rect x="{label_w}" y="{y}" width="{w:.1}" height="24" rx="3" fill="{c}"><title>{l}: {v}</title></rect>"#,
            y = y,
            c = b.color,
            l = esc(&b.label),
            v = b.value
        );
        let _ = write!(
            svg,
            r##"<text x="0" y="{ty}" font-size="14" fill="#1f2933">{l}</text>"##,
            ty = y + 17.0,
            l = esc(&b.label)
        );
        match &b.href {
            Some(h) => {
                let _ = write!(svg, r#"<a href="{}">{bar}</a>"#, esc(h));
            }
            None => svg.push_str(&bar),
        }
        let _ = write!(
            svg,
            r##"<text x="{x:.1}" y="{ty}" font-size="14" font-weight="600" fill="#1f2933">{v}</text>"##,
            x = label_w + w + 8.0,
            ty = y + 17.0,
            v = b.value
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Two series per period as grouped vertical bars (opened vs fixed per week), with a y axis,
/// a legend and period labels.
pub fn grouped_bars(
    title: &str,
    periods: &[(String, usize, usize)],
    names: (&str, &str),
    colors: (&str, &str),
) -> String {
    let width = 1200.0;
    let height = 260.0;
    let (left, right, top, bottom) = (36.0, 8.0, 28.0, 40.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let max = periods
        .iter()
        .map(|(_, a, b)| (*a).max(*b))
        .max()
        .unwrap_or(0)
        .max(1);
    let step = nice_step(max);
    let top_value = max.div_ceil(step) * step;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
    // Legend.
    let _ = write!(
        svg,
        r##"<rect x="{left}" y="6" width="12" height="12" fill="{a}"/><text x="{lx}" y="16" font-size="13" fill="#1f2933">{na}</text><rect x="{l2}" y="6" width="12" height="12" fill="{b}"/><text x="{l2x}" y="16" font-size="13" fill="#1f2933">{nb}</text>"##,
        a = colors.0,
        b = colors.1,
        lx = left + 16.0,
        na = esc(names.0),
        l2 = left + 110.0,
        l2x = left + 126.0,
        nb = esc(names.1)
    );
    // Grid and y labels.
    let mut v = 0;
    while v <= top_value {
        let y = top + plot_h - plot_h * v as f64 / top_value as f64;
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{x2}" y1="{y:.1}" y2="{y:.1}" stroke="#d9dee5" stroke-width="1"/><text x="{tx}" y="{ty:.1}" font-size="11" text-anchor="end" fill="#52606d">{v}</text>"##,
            x2 = width - right,
            tx = left - 6.0,
            ty = y + 4.0
        );
        v += step;
    }
    let n = periods.len().max(1) as f64;
    let group = plot_w / n;
    let bar = (group * 0.36).min(28.0);
    for (i, (label, a, b)) in periods.iter().enumerate() {
        let x0 = left + group * i as f64 + (group - 2.0 * bar - 2.0) / 2.0;
        for (j, (value, color, name)) in [(*a, colors.0, names.0), (*b, colors.1, names.1)]
            .into_iter()
            .enumerate()
        {
            let h = plot_h * value as f64 / top_value as f64;
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{h:.1}" fill="{color}"><title>{l}: {v} {n}</title></rect>"#,
                x = x0 + j as f64 * (bar + 2.0),
                y = top + plot_h - h,
                l = esc(label),
                v = value,
                n = esc(name)
            );
        }
        if i % 2 == 0 || periods.len() <= 16 {
            let _ = write!(
                svg,
                r##"<text x="{x:.1}" y="{y}" font-size="11" text-anchor="middle" fill="#52606d">{l}</text>"##,
                x = left + group * i as f64 + group / 2.0,
                y = height - bottom + 16.0,
                l = esc(label.get(5..).unwrap_or(label))
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A gauge for a percentage (past SLA): a track, a filled part and the number.
pub fn percent_bar(title: &str, percent: f64, color: &str) -> String {
    let p = percent.clamp(0.0, 100.0);
    format!(
        r##"<svg class="chart gauge" viewBox="0 0 300 40" width="300" height="40" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><rect x="0" y="10" width="300" height="20" rx="10" fill="#e4e7eb"/><rect x="0" y="10" width="{w:.1}" height="20" rx="10" fill="{color}"/></svg>"##,
        t = esc(title),
        w = 3.0 * p
    )
}

/// A y-axis step that gives about four or five grid lines.
fn nice_step(max: usize) -> usize {
    let raw = (max as f64 / 4.0).max(1.0);
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(raw);
    step.max(1.0) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        let svg = horizontal_bars(
            "t<",
            &[Bar {
                label: "<script>".into(),
                value: 3,
                color: "#000",
                href: Some("/x?a=1&b=\"2\"".into()),
            }],
        );
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;") && svg.contains("a=1&amp;b=&quot;2&quot;"));
    }

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(1), 1);
        assert_eq!(nice_step(9), 5);
        assert_eq!(nice_step(40), 10);
        assert_eq!(nice_step(130), 50);
    }

    #[test]
    fn grouped_bars_draw_two_bars_per_period() {
        let svg = grouped_bars(
            "trend",
            &[("2026-01-05".into(), 3, 1), ("2026-01-12".into(), 0, 2)],
            ("opened", "fixed"),
            ("#c00", "#0a0"),
        );
        assert_eq!(svg.matches("<rect").count(), 2 + 4);
        assert!(!svg.contains("style="));
    }
}
