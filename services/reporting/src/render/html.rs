//! The report as an HTML page: Dutch labels, tables, and charts as inline
//! SVG (a funnel per cohort, bars per area, the beschut placement trend).
//! Every figure carries its raw value in `data-value`, so what the page
//! shows can be checked against the protobuf report.

use std::fmt::Write;

use partnership_proto::reporting as pb;
use rust_decimal::Decimal;

use super::{cell, raw};

const STYLE: &str = r#"
body { font-family: "Segoe UI", Arial, sans-serif; margin: 2rem auto; max-width: 70rem; color: #1d2a35; }
h1 { color: #004b87; margin-bottom: 0.2rem; } h2 { color: #004b87; border-bottom: 2px solid #004b87; padding-bottom: 0.2rem; margin-top: 2.5rem; }
table { border-collapse: collapse; margin: 1rem 0; min-width: 30rem; } caption { text-align: left; font-weight: 600; padding: 0.3rem 0; }
th, td { border-bottom: 1px solid #d0d7de; padding: 0.25rem 0.6rem; text-align: right; } th:first-child { text-align: left; }
thead th { background: #eef3f8; } tr.level-0 th, tr.level-0 td { font-weight: 600; } tr.level-1 th { padding-left: 1.6rem; font-weight: normal; }
.unavailable { background: #fff4e5; border-left: 4px solid #e67e00; padding: 0.6rem 1rem; }
figure { display: inline-block; margin: 0.5rem 1.5rem 0.5rem 0; vertical-align: top; } figcaption { font-size: 0.9rem; color: #555; }
nav a { margin-right: 1rem; } .meta { color: #555; }
@media print { nav { display: none; } section { page-break-inside: avoid; } body { margin: 0; } }
"#;

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The query string that asks for this report again.
pub fn query(report: &pb::Report) -> String {
    let scope = report.scope.as_ref().map(scope_param).unwrap_or_default();
    format!("year={}&quarter={}&scope={}", report.year, report.quarter, scope)
}

/// `partnership`, `area:CODE` or `municipality:CODE`.
pub fn scope_param(scope: &partnership_proto::common::Scope) -> String {
    use partnership_proto::common::ScopeLevel;
    match ScopeLevel::try_from(scope.level) {
        Ok(ScopeLevel::Area) => format!("area:{}", scope.code),
        Ok(ScopeLevel::Municipality) => format!("municipality:{}", scope.code),
        _ => "partnership".into(),
    }
}

pub fn page(report: &pb::Report) -> String {
    let mut html = String::new();
    let end = report.period_end.as_ref().map(|d| format!("{:02}-{:02}-{}", d.day, d.month, d.year)).unwrap_or_default();
    let _ = write!(
        html,
        "<!doctype html><html lang=\"nl\"><head><meta charset=\"utf-8\"><title>{} — {}</title><style>{STYLE}</style></head><body>\
         <nav><a href=\"/\">Overzicht</a><a href=\"/report.json?{}\">JSON</a></nav>\
         <header><h1 data-title>{}</h1><p class=\"meta\">{} · stand per {end} · opgesteld {}</p></header>",
        escape(&report.title),
        escape(&report.scope_name),
        query(report),
        escape(&report.title),
        escape(&report.scope_name),
        escape(&report.generated_at),
    );
    for section in &report.sections {
        let _ = write!(html, "<section id=\"{0}\" data-section=\"{0}\"><h2>{1}. {2}</h2>", escape(&section.key), section.number, escape(&section.title));
        match &section.content {
            Some(pb::section::Content::Unavailable(u)) => {
                let _ = write!(html, "<p class=\"unavailable\" data-unavailable=\"{}\">Niet beschikbaar: {}</p>", escape(&section.key), escape(&u.reason));
            }
            Some(pb::section::Content::Body(body)) => {
                for chart in &body.charts {
                    html.push_str(&svg(chart));
                }
                for table in &body.tables {
                    html.push_str(&table_html(&section.key, table));
                }
            }
            None => {}
        }
        html.push_str("</section>");
    }
    html.push_str("</body></html>");
    html
}

fn table_html(section: &str, table: &pb::Table) -> String {
    let mut html = format!("<table data-table=\"{}.{}\"><caption>{}</caption><thead><tr>", escape(section), escape(&table.key), escape(&table.title));
    for column in &table.columns {
        let _ = write!(html, "<th>{}</th>", escape(column));
    }
    html.push_str("</tr></thead><tbody>");
    for row in &table.rows {
        let _ = write!(html, "<tr class=\"level-{}\" data-row=\"{}\"><th>{}</th>", row.level, escape(&row.key), escape(&row.label));
        for (i, c) in row.cells.iter().enumerate() {
            let _ = write!(
                html,
                "<td data-cell=\"{}.{}.{}.{}\" data-value=\"{}\">{}</td>",
                escape(section),
                escape(&table.key),
                escape(&row.key),
                i,
                escape(&raw(c)),
                escape(&cell(c))
            );
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
    html
}

fn value(p: &pb::Point) -> Decimal {
    p.value.as_ref().and_then(|v| v.value.parse().ok()).unwrap_or_default()
}

/// Scales a value to a length: value ÷ max × length, as a plain number.
fn scale(v: Decimal, max: Decimal, length: u32) -> String {
    if max.is_zero() {
        return "0".into();
    }
    (v / max * Decimal::from(length)).round_dp(1).to_string()
}

fn svg(chart: &pb::Chart) -> String {
    let max = chart.points.iter().map(value).max().unwrap_or_default();
    let mut svg = String::new();
    match chart.kind.as_str() {
        "funnel" => {
            let height = 30 * chart.points.len() as u32 + 10;
            let _ = write!(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"520\" height=\"{height}\" role=\"img\" aria-label=\"{}\">", escape(&chart.title));
            for (i, p) in chart.points.iter().enumerate() {
                let width = scale(value(p), max, 220);
                let y = 5 + 30 * i as u32;
                let _ = write!(
                    svg,
                    "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text><rect x=\"230\" y=\"{y}\" width=\"{width}\" height=\"22\" fill=\"#004b87\" data-point=\"{}\" data-value=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>",
                    y + 15,
                    escape(&p.label),
                    escape(&p.label),
                    value(p),
                    235.0 + width.parse::<f32>().unwrap_or(0.0),
                    y + 15,
                    super::dutch_number(&value(p))
                );
            }
        }
        "line" => {
            let (w, h) = (460u32, 200u32);
            let _ = write!(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\">", escape(&chart.title));
            let hundred = Decimal::ONE_HUNDRED;
            let n = chart.points.len().max(2) as u32 - 1;
            let xy: Vec<(u32, String)> = chart
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| (40 + i as u32 * (w - 80) / n, (Decimal::from(h - 30) - (value(p) / hundred * Decimal::from(h - 50))).round_dp(1).to_string()))
                .collect();
            let target_y = (Decimal::from(h - 30) - Decimal::new(75, 2) * Decimal::from(h - 50)).round_dp(1);
            let _ = write!(svg, "<line x1=\"30\" x2=\"{}\" y1=\"{target_y}\" y2=\"{target_y}\" stroke=\"#e67e00\" stroke-dasharray=\"4\"/><text x=\"{}\" y=\"{target_y}\" font-size=\"11\">doel 75%</text>", w - 20, w - 70);
            let points: Vec<String> = xy.iter().map(|(x, y)| format!("{x},{y}")).collect();
            let _ = write!(svg, "<polyline fill=\"none\" stroke=\"#004b87\" stroke-width=\"2\" points=\"{}\"/>", points.join(" "));
            for ((x, y), p) in xy.iter().zip(&chart.points) {
                let _ = write!(
                    svg,
                    "<circle cx=\"{x}\" cy=\"{y}\" r=\"4\" fill=\"#004b87\" data-point=\"{}\" data-value=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"11\">{}%</text><text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text>",
                    escape(&p.label),
                    value(p),
                    x - 12,
                    y.parse::<f32>().unwrap_or(0.0) - 8.0,
                    super::dutch_number(&value(p)),
                    x - 30,
                    h - 8,
                    escape(&p.label)
                );
            }
        }
        _ => {
            let (w, h) = (60 * chart.points.len().max(1) as u32 + 40, 220u32);
            let _ = write!(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\">", escape(&chart.title));
            for (i, p) in chart.points.iter().enumerate() {
                let bar = scale(value(p), max, 150);
                let x = 20 + 60 * i as u32;
                let y = Decimal::from(170u32) - bar.parse::<Decimal>().unwrap_or_default();
                let _ = write!(
                    svg,
                    "<rect x=\"{x}\" y=\"{y}\" width=\"40\" height=\"{bar}\" fill=\"#004b87\" data-point=\"{}\" data-value=\"{}\"/><text x=\"{x}\" y=\"{}\" font-size=\"11\">{}</text><text x=\"{x}\" y=\"190\" font-size=\"9\">{}</text>",
                    escape(&p.label),
                    value(p),
                    y - Decimal::from(4),
                    super::dutch_number(&value(p)),
                    escape(&truncate(&p.label, 12))
                );
            }
        }
    }
    svg.push_str("</svg>");
    format!("<figure data-chart=\"{}\">{svg}<figcaption>{}</figcaption></figure>", escape(&chart.kind), escape(&chart.title))
}

fn truncate(text: &str, n: usize) -> String {
    if text.chars().count() <= n { text.to_owned() } else { text.chars().take(n - 1).collect::<String>() + "…" }
}

/// The dashboard: every report there is to read.
pub fn index(available: &pb::ListReportsResponse) -> String {
    let mut html = format!(
        "<!doctype html><html lang=\"nl\"><head><meta charset=\"utf-8\"><title>Rapportages partnership</title><style>{STYLE}</style></head><body><h1>Rapportages partnership gemeenten–IBN</h1><p class=\"meta\">Kwartaalrapportages en jaarverslagen per partnership, uitvoeringsgebied en gemeente.</p>"
    );
    for year in &available.years {
        let _ = write!(html, "<h2>{year}</h2><table data-year=\"{year}\"><thead><tr><th>Scope</th><th>Q1</th><th>Q2</th><th>Q3</th><th>Jaarverslag</th></tr></thead><tbody>");
        for option in &available.scopes {
            let scope = option.scope.as_ref().map(scope_param).unwrap_or_default();
            let _ = write!(html, "<tr><th>{}</th>", escape(&option.name));
            for quarter in 1..=4 {
                let _ = write!(html, "<td><a href=\"/report?year={year}&quarter={quarter}&scope={scope}\">{}</a></td>", if quarter == 4 { "jaar".to_owned() } else { format!("Q{quarter}") });
            }
            html.push_str("</tr>");
        }
        html.push_str("</tbody></table>");
    }
    html.push_str("</body></html>");
    html
}
