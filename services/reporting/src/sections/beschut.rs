//! Section 6: beschut werk on the quarter's end and the two year-ends
//! before it: indications, the work ladder, the plaatsingspercentage, and
//! nieuw-beschut fte against the taakstelling.

use partnership_proto::beschut as bpb;
use partnership_proto::reporting as pb;

use super::{count, decimal_cell, failures, row, section, table, value};
use crate::labels;
use crate::period::ReportPeriod;
use crate::sources::Sources;

fn percent_cell(exact: Option<&partnership_proto::google::r#type::Decimal>, rounded: i32) -> pb::Cell {
    let mut cell = decimal_cell(exact);
    if cell.number.is_some() {
        cell.percent = Some(rounded);
    }
    cell
}

pub fn beschut(sources: &Sources, p: ReportPeriod) -> pb::Section {
    section("beschut", 6, "Beschut werk", &[&sources.beschut.fetch], failures([&sources.beschut]), || {
        // Asked for on these dates, and answered in their order.
        let dates = p.beschut_dates();
        let figures: Vec<&bpb::BeschutFigures> = sources.beschut.ok().map(|b| b.figures.iter().collect()).unwrap_or_default();
        let mut columns = vec![String::new()];
        columns.extend(dates.iter().map(|d| labels::date(*d)));
        let per = |f: fn(&bpb::BeschutFigures) -> pb::Cell| figures.iter().map(|x| f(x)).collect::<Vec<_>>();
        let step = |name: &'static str| move |f: &bpb::BeschutFigures| count(f.working_by_step.iter().find(|s| s.step == name).map(|s| s.persons).unwrap_or(0));
        let rows = vec![
            row("active_indications", "Actieve indicaties beschut werk", 0, per(|f| count(f.active_indications))),
            row("working", "Werkzaam (met indicatie)", 0, per(|f| count(f.working))),
            row("working_at_ibn", "In dienst bij IBN", 1, per(|f| count(f.working_at_ibn))),
            row("WERKEN_BINNEN_IBN", labels::step("WERKEN_BINNEN_IBN"), 1, figures.iter().map(|f| step("WERKEN_BINNEN_IBN")(f)).collect()),
            row("WERKEN_OP_LOCATIE", labels::step("WERKEN_OP_LOCATIE"), 1, figures.iter().map(|f| step("WERKEN_OP_LOCATIE")(f)).collect()),
            row("ZELFSTANDIG_WERKEN_OP_LOCATIE", labels::step("ZELFSTANDIG_WERKEN_OP_LOCATIE"), 1, figures.iter().map(|f| step("ZELFSTANDIG_WERKEN_OP_LOCATIE")(f)).collect()),
            row("REGULIER_WERKEN_MET_VANGNET", labels::step("REGULIER_WERKEN_MET_VANGNET"), 1, per(|f| count(f.working_regulier_met_vangnet))),
            row("plaatsingspercentage", "Plaatsingspercentage", 0, per(|f| percent_cell(f.plaatsingspercentage.as_ref(), f.plaatsingspercentage_rounded))),
        ];
        let fte_rows = vec![
            row("fte_at_ibn", "Nieuw beschut bij IBN (fte)", 1, per(|f| decimal_cell(f.fte_at_ibn.as_ref()))),
            row("fte_elsewhere", "Nieuw beschut bij andere werkgevers (fte)", 1, per(|f| decimal_cell(f.fte_elsewhere.as_ref()))),
            row("fte_total", "Nieuw beschut totaal (fte)", 0, per(|f| decimal_cell(f.fte_total.as_ref()))),
            row("taakstelling", "Taakstelling (fte)", 0, per(|f| decimal_cell(f.taakstelling_fte.as_ref()))),
            row("realisatie", "Realisatie", 0, per(|f| percent_cell(f.realisation_percent.as_ref(), f.realisation_percent_rounded))),
        ];
        let trend = pb::Chart {
            kind: "line".into(),
            title: "Plaatsingspercentage beschut werk (doel 75% eind 2024)".into(),
            unit: "%".into(),
            points: figures
                .iter()
                .zip(dates)
                .map(|(f, d)| super::point(labels::date(d), value(f.plaatsingspercentage.as_ref()).round_dp(1)))
                .collect(),
        };
        pb::SectionBody {
            tables: vec![
                table("werkladder", "Indicaties en plaatsing op de werkladder (personen)", columns.clone(), rows),
                table("fte", "Nieuw beschut in fte (31 uur) tegen de taakstelling", columns, fte_rows),
            ],
            charts: vec![trend],
        }
    })
}
