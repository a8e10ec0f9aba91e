//! Section 9: finance — the lumpsum per municipality, LKS, pluspakket
//! revenue. Amounts are exact euros excl. VAT, as finance computed them.

use partnership_proto::reporting as pb;

use super::{count, decimal_cell, failures, row, section, table, text};
use crate::period::ReportPeriod;
use crate::sources::Sources;

pub fn finance(sources: &Sources, p: ReportPeriod) -> pb::Section {
    section("financien", 9, "Financiën", &[&sources.finance.fetch], failures([&sources.finance]), || {
        let f = sources.finance.ok().expect("checked");
        let through = format!("t/m Q{}", p.quarter);
        let mut lumpsum: Vec<pb::Row> = f
            .lumpsum
            .iter()
            .map(|l| {
                row(
                    l.municipality_code.clone(),
                    l.municipality_code.clone(),
                    1,
                    vec![decimal_cell(l.yearly_amount.as_ref()), decimal_cell(l.through_quarter_amount.as_ref()), decimal_cell(l.p_budget_share_percent.as_ref())],
                )
            })
            .collect();
        lumpsum.push(row("total", "Totaal", 0, vec![decimal_cell(f.lumpsum_total.as_ref()), text(""), text("")]));
        let mut lks: Vec<pb::Row> = f
            .lks
            .iter()
            .map(|l| row(l.municipality_code.clone(), l.municipality_code.clone(), 1, vec![count(l.contracts), decimal_cell(l.amount.as_ref())]))
            .collect();
        lks.push(row("total", "Totaal", 0, vec![text(""), decimal_cell(f.lks_total.as_ref())]));
        let mut plus: Vec<pb::Row> = f
            .pluspakket
            .iter()
            .map(|x| row(format!("{}/{}", x.municipality_code, x.service_code), format!("{} — {}", x.municipality_code, x.service_code), 1, vec![count(x.participants), decimal_cell(x.revenue.as_ref())]))
            .collect();
        plus.push(row("total", "Totaal", 0, vec![count(f.pluspakket_participants), decimal_cell(f.pluspakket_revenue.as_ref())]));
        let mut tables = vec![
            table("lumpsum", format!("Lumpsum basispakket {} per gemeente (€, excl. btw)", p.year), vec!["Gemeente".into(), "Jaar".into(), through.clone(), "% van P-budget".into()], lumpsum),
            table("lks", format!("Loonkostensubsidie {} {through} (€)", p.year), vec!["Gemeente".into(), "Contracten".into(), "Bedrag".into()], lks),
            table("pluspakket_omzet", format!("Pluspakket {} {through} (€)", p.year), vec!["Gemeente — dienst".into(), "Deelnemers".into(), "Omzet".into()], plus),
        ];
        if !f.unavailable.is_empty() {
            let rows = f.unavailable.iter().enumerate().map(|(i, u)| row(format!("u{i}"), u.clone(), 1, vec![])).collect();
            tables.push(table("onvolledig", "Niet beschikbaar bij het opstellen", vec!["Bron".into()], rows));
        }
        pb::SectionBody { tables, charts: Vec::new() }
    })
}
