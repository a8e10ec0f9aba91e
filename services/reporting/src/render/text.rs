//! The report as plain text, for a terminal.

use std::fmt::Write;

use partnership_proto::reporting as pb;

use super::cell;

pub fn report(report: &pb::Report) -> String {
    let mut out = String::new();
    let end = report.period_end.as_ref().map(|d| format!("{:02}-{:02}-{}", d.day, d.month, d.year)).unwrap_or_default();
    let _ = writeln!(out, "{} — {} (stand per {end})\n", report.title, report.scope_name);
    for section in &report.sections {
        let _ = writeln!(out, "{}. {}", section.number, section.title);
        match &section.content {
            Some(pb::section::Content::Unavailable(u)) => {
                let _ = writeln!(out, "   NIET BESCHIKBAAR: {}\n", u.reason);
            }
            Some(pb::section::Content::Body(body)) => {
                for table in &body.tables {
                    out.push_str(&table_text(table));
                }
            }
            None => {}
        }
    }
    out
}

fn table_text(table: &pb::Table) -> String {
    let mut lines: Vec<Vec<String>> = vec![table.columns.clone()];
    for row in &table.rows {
        let indent = if row.level > 0 { "  " } else { "" };
        let mut line = vec![format!("{indent}{}", row.label)];
        line.extend(row.cells.iter().map(cell));
        lines.push(line);
    }
    let columns = lines.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> =
        (0..columns).map(|c| lines.iter().filter_map(|l| l.get(c)).map(|s| s.chars().count()).max().unwrap_or(0)).collect();
    let mut out = format!("   {}\n", table.title);
    for line in lines {
        let mut text = String::from("   ");
        for (c, value) in line.iter().enumerate() {
            let pad = widths[c].saturating_sub(value.chars().count());
            if c == 0 {
                text.push_str(value);
                text.push_str(&" ".repeat(pad));
            } else {
                text.push_str("  ");
                text.push_str(&" ".repeat(pad));
                text.push_str(value);
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out.push('\n');
    out
}
