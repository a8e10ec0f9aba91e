//! Sections 3–5: completed trajectories, started dienstverbanden against
//! the norms, and PW dienstverbanden on the quarter's end.

use partnership_proto::employment as epb;
use partnership_proto::reporting as pb;
use rust_decimal::Decimal;

use super::{code, count, failures, number, row, section, table, text};
use crate::labels;
use crate::period::ReportPeriod;
use crate::sources::Sources;

fn result_rows(figures: &[&epb::TrajectoryResultFigures], groups_of: impl Fn(&epb::TrajectoryResultFigures) -> (i64, &[epb::GroupCount])) -> Vec<pb::Row> {
    let mut rows = vec![row("completed", "Afgeronde trajecten", 0, figures.iter().map(|f| count(groups_of(f).0)).collect())];
    let Some(first) = figures.first() else { return rows };
    for (g, group) in groups_of(first).1.iter().enumerate() {
        let group_code = code(epb::TrajectoryResultGroup::try_from(group.group).map(|x| x.as_str_name()).unwrap_or(""), "TRAJECTORY_RESULT_GROUP_");
        rows.push(row(group_code, labels::result_group(group_code), 0, figures.iter().map(|f| count(groups_of(f).1.get(g).map(|x| x.count).unwrap_or(0))).collect()));
        for (r, result) in group.results.iter().enumerate() {
            let result_code = code(epb::TrajectoryResult::try_from(result.result).map(|x| x.as_str_name()).unwrap_or(""), "TRAJECTORY_RESULT_");
            let cells = figures
                .iter()
                .map(|f| count(groups_of(f).1.get(g).and_then(|x| x.results.get(r)).map(|x| x.count).unwrap_or(0)))
                .collect();
            rows.push(row(result_code, labels::trajectory_result(result_code), 1, cells));
        }
    }
    rows
}

pub fn trajectories(sources: &Sources, p: ReportPeriod) -> pb::Section {
    let fetches: Vec<&pb::Fetch> = sources.trajectories.iter().map(|t| &t.fetch).collect();
    section("trajecten", 3, "Resultaten afgeronde trajecten", &fetches, failures(&sources.trajectories), || {
        let figures: Vec<&epb::TrajectoryResultFigures> = sources.trajectories.iter().filter_map(|t| t.ok()).collect();
        let columns = vec![String::new(), p.year_to_date_label(), (p.year - 1).to_string(), (p.year - 2).to_string()];
        let rows = result_rows(&figures, |f| (f.completed, &f.groups));
        // The development KPI: results by the uitstroomprofiel set at the start.
        let kpi_rows = figures[0]
            .by_uitstroomprofiel
            .iter()
            .map(|p| {
                let profile = code(epb::Uitstroomprofiel::try_from(p.uitstroomprofiel_at_start).map(|x| x.as_str_name()).unwrap_or(""), "UITSTROOMPROFIEL_");
                let to_work = p.groups.first().map(|g| g.count).unwrap_or(0);
                let other = p.groups.get(1).map(|g| g.count).unwrap_or(0);
                row(profile, labels::classification(profile), 1, vec![count(p.completed), count(to_work), count(other)])
            })
            .collect();
        pb::SectionBody {
            tables: vec![
                table("resultaten", "Afgeronde trajecten naar resultaat", columns, rows),
                table(
                    "uitstroomprofiel",
                    format!("Resultaat naar uitstroomprofiel bij de start, {}", p.year_to_date_label()),
                    vec!["Uitstroomprofiel bij start".into(), "Afgerond".into(), "Naar werk of opleiding".into(), "Overig".into()],
                    kpi_rows,
                ),
            ],
            charts: Vec::new(),
        }
    })
}

/// The norm for the part of the year the report covers.
pub(crate) fn pro_rata(norm: i64, p: ReportPeriod) -> Decimal {
    (Decimal::from(norm) * Decimal::from(p.quarters()) / Decimal::from(4)).round_dp(1)
}

pub fn started(sources: &Sources, p: ReportPeriod, partnership: bool) -> pb::Section {
    section("gestart", 4, "Gestarte dienstverbanden", &[&sources.started.fetch], failures([&sources.started]), || {
        let f = sources.started.ok().expect("checked");
        let class_table = |key: &str, title: &str, counts: &[epb::ClassCount]| {
            let mut rows: Vec<pb::Row> = counts.iter().map(|c| row(c.value.clone(), labels::classification(&c.value), 1, vec![count(c.count)])).collect();
            rows.push(row("total", "Totaal", 0, vec![count(counts.iter().map(|c| c.count).sum())]));
            table(key, title, vec![title.to_owned(), p.year_to_date_label()], rows)
        };
        let aanbod = f.by_soort_plaatsing.iter().find(|c| c.value == "AANBODGESTUURD").map(|c| c.count).unwrap_or(0);
        let vraag = f.by_soort_plaatsing.iter().find(|c| c.value == "VRAAGGESTUURD").map(|c| c.count).unwrap_or(0);
        let norm_row = |key: &str, label: &str, realised: i64, norm: i64| {
            if partnership {
                row(key, label, 0, vec![count(realised), count(norm), number(pro_rata(norm, p))])
            } else {
                row(key, label, 0, vec![count(realised), text("norm geldt voor het partnership"), text("–")])
            }
        };
        let norms = table(
            "normen",
            "Gerealiseerd tegen de norm",
            vec![String::new(), "Gerealiseerd".into(), "Norm (jaar)".into(), format!("Norm t/m Q{}", p.quarter)],
            vec![
                norm_row("total", "Gestarte dienstverbanden", f.total, f.norm_total),
                norm_row("AANBODGESTUURD", "Aanbodgestuurd", aanbod, f.norm_aanbodgestuurd),
                norm_row("VRAAGGESTUURD", "Vraaggestuurd", vraag, f.norm_vraaggestuurd),
            ],
        );
        pb::SectionBody {
            tables: vec![
                norms,
                class_table("soort_plaatsing", "Soort plaatsing", &f.by_soort_plaatsing),
                class_table("doelgroep", "Doelgroep", &f.by_doelgroep),
                class_table("uitstroomprofiel", "Uitstroomprofiel", &f.by_uitstroomprofiel),
                class_table("loonwaardeklasse", "Loonwaardeklasse", &f.by_loonwaardeklasse),
                class_table("instroom_trede", "Instroom trede werkladder", &f.by_instroom_trede),
            ],
            charts: Vec::new(),
        }
    })
}

pub fn headcount(sources: &Sources, p: ReportPeriod) -> pb::Section {
    let fetched = [&sources.headcount_previous.fetch, &sources.headcount.fetch];
    let failed = failures([&sources.headcount_previous, &sources.headcount]);
    section("pw", 5, "PW-dienstverbanden", &fetched, failed, || {
        let before = sources.headcount_previous.ok().expect("checked");
        let h = sources.headcount.ok().expect("checked");
        let previous = p.previous();
        let both = |f: fn(&epb::HeadcountFigures) -> i64| vec![count(f(before)), count(f(h))];
        // Quarter on quarter: the previous quarter's end beside this one.
        let columns = vec![String::new(), labels::date(previous.end()), labels::date(p.end())];
        let rows = vec![
            row("pw_persons", "Personen met een PW-dienstverband bij IBN", 0, both(|x| x.pw_persons)),
            row("pw_beschut", "waarvan beschut", 1, both(|x| x.pw_beschut)),
            row("pw_niet_beschut", "waarvan niet-beschut", 1, both(|x| x.pw_niet_beschut)),
            row("pw_inflow", "Instroom (jaar t/m het kwartaal)", 0, both(|x| x.pw_inflow)),
            row("pw_outflow", "Uitstroom (jaar t/m het kwartaal)", 0, both(|x| x.pw_outflow)),
        ];
        let kinds = h
            .by_kind
            .iter()
            .map(|k| {
                let kind = code(epb::ContractKind::try_from(k.kind).map(|x| x.as_str_name()).unwrap_or(""), "CONTRACT_KIND_");
                let before = before.by_kind.iter().find(|b| b.kind == k.kind).map(|b| b.persons).unwrap_or(0);
                row(kind, labels::contract_kind(kind), 1, vec![count(before), count(k.persons)])
            })
            .collect();
        pb::SectionBody {
            tables: vec![
                table("stand", "Stand en verloop, kwartaal op kwartaal", columns.clone(), rows),
                table("soort_dienstverband", "Personen in dienst, naar soort dienstverband", columns, kinds),
            ],
            charts: vec![pb::Chart {
                kind: "bars".into(),
                title: format!("Verloop {}", p.year_to_date_label()),
                unit: "personen".into(),
                points: vec![super::point("Instroom", Decimal::from(h.pw_inflow)), super::point("Uitstroom", Decimal::from(h.pw_outflow))],
            }],
        }
    })
}

/// "ok" / "achter" against a pro-rata norm, for section 8.
pub(crate) fn status_against(realised: i64, norm: Decimal) -> pb::Cell {
    if Decimal::from(realised) >= norm { text("Op schema") } else { text("Achter op schema") }
}
