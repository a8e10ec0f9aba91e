//! Sections 1 and 2: basispakket registrations by cohort (all and youth),
//! and registrations per area per year.

use partnership_proto::intake as ipb;
use partnership_proto::reporting as pb;
use rust_decimal::Decimal;

use super::{code, count, failures, point, row, section, share, table};
use crate::labels;
use crate::period::ReportPeriod;
use crate::sources::Sources;

fn cohort_columns(p: ReportPeriod) -> Vec<String> {
    let first = if p.is_annual() { format!("Cohort {}", p.year) } else { format!("Cohort {} (t/m Q{})", p.year, p.quarter) };
    vec![String::new(), first, format!("Cohort {}", p.year - 1), format!("Cohort {}", p.year - 2)]
}

/// The rows of a status breakdown: total, each group with its statuses.
fn status_rows(breakdowns: &[Option<&ipb::StatusBreakdown>]) -> Vec<pb::Row> {
    let mut rows = vec![row("total", "Aanmeldingen", 0, breakdowns.iter().map(|b| super::count(b.map(|b| b.total).unwrap_or(0))).collect())];
    let Some(first) = breakdowns.iter().flatten().next() else { return rows };
    for (g, group) in first.groups.iter().enumerate() {
        let group_code = code(ipb::StatusGroup::try_from(group.group).map(|x| x.as_str_name()).unwrap_or(""), "STATUS_GROUP_");
        let cells = breakdowns.iter().map(|b| share(b.and_then(|b| b.groups.get(g)).and_then(|x| x.share.as_ref()))).collect();
        rows.push(row(group_code, labels::status_group(group_code), 0, cells));
        for (s, status) in group.statuses.iter().enumerate() {
            let status_code =
                code(ipb::RegistrationStatus::try_from(status.status).map(|x| x.as_str_name()).unwrap_or(""), "REGISTRATION_STATUS_");
            let cells = breakdowns
                .iter()
                .map(|b| share(b.and_then(|b| b.groups.get(g)).and_then(|x| x.statuses.get(s)).and_then(|x| x.share.as_ref())))
                .collect();
            rows.push(row(status_code, labels::status(status_code), 1, cells));
        }
    }
    rows
}

fn reason_rows(breakdowns: &[Option<&ipb::StatusBreakdown>]) -> Vec<pb::Row> {
    let Some(first) = breakdowns.iter().flatten().next() else { return Vec::new() };
    first
        .terugmelding_reasons
        .iter()
        .enumerate()
        .map(|(r, reason)| {
            let reason_code =
                code(ipb::TerugmeldingReason::try_from(reason.reason).map(|x| x.as_str_name()).unwrap_or(""), "TERUGMELDING_REASON_");
            let cells = breakdowns
                .iter()
                .map(|b| share(b.and_then(|b| b.terugmelding_reasons.get(r)).and_then(|x| x.share.as_ref())))
                .collect();
            row(reason_code, labels::reason(reason_code), 1, cells)
        })
        .collect()
}

pub fn cohorts(sources: &Sources, p: ReportPeriod) -> pb::Section {
    let fetches: Vec<&pb::Fetch> = sources.cohorts.iter().map(|c| &c.fetch).collect();
    section("aanmeldingen", 1, "Aanmeldingen basispakket", &fetches, failures(&sources.cohorts), || {
        let figures: Vec<&ipb::CohortFigures> = sources.cohorts.iter().filter_map(|c| c.ok()).collect();
        let all: Vec<Option<&ipb::StatusBreakdown>> = figures.iter().map(|f| f.all.as_ref()).collect();
        let youth: Vec<Option<&ipb::StatusBreakdown>> = figures.iter().map(|f| f.youth.as_ref()).collect();
        let mut youth_rows = status_rows(&youth);
        youth_rows.push(row("youth_share", "Aandeel jongeren in het cohort", 0, figures.iter().map(|f| share(f.youth_share.as_ref())).collect()));
        let charts = figures
            .iter()
            .zip([p.year, p.year - 1, p.year - 2])
            .map(|(f, year)| pb::Chart {
                kind: "funnel".into(),
                title: format!("Cohort {year}"),
                unit: "aanmeldingen".into(),
                points: std::iter::once(point("Aanmeldingen", Decimal::from(f.all.as_ref().map(|a| a.total).unwrap_or(0))))
                    .chain(f.all.iter().flat_map(|a| &a.groups).map(|g| {
                        let group_code = code(ipb::StatusGroup::try_from(g.group).map(|x| x.as_str_name()).unwrap_or(""), "STATUS_GROUP_");
                        point(labels::status_group(group_code), Decimal::from(g.share.as_ref().map(|s| s.count).unwrap_or(0)))
                    }))
                    .collect(),
            })
            .collect();
        pb::SectionBody {
            tables: vec![
                table("alle", "Alle aanmeldingen, status per einddatum", cohort_columns(p), status_rows(&all)),
                table("terugmeldingen", "Redenen terugmelding (van het aantal teruggemeld)", cohort_columns(p), reason_rows(&all)),
                table("jongeren", "Jongeren (jonger dan 27 bij aanmelding)", cohort_columns(p), youth_rows),
            ],
            charts,
        }
    })
}

pub fn areas(sources: &Sources, p: ReportPeriod) -> pb::Section {
    let fetched = [&sources.area_counts.fetch, &sources.areas.fetch];
    let mut failed = failures([&sources.area_counts]);
    failed.extend(failures([&sources.areas]));
    section("gebieden", 2, "Aanmeldingen per uitvoeringsgebied", &fetched, failed, || {
        let counts = sources.area_counts.ok().expect("checked");
        let mut columns = vec!["Uitvoeringsgebied".to_owned()];
        columns.extend(counts.totals.iter().map(|t| if t.year == p.year { p.year_to_date_label() } else { t.year.to_string() }));
        let mut rows: Vec<pb::Row> = counts
            .areas
            .iter()
            .map(|a| row(a.area_code.clone(), a.area_name.clone(), 1, a.years.iter().map(|y| count(y.count)).collect()))
            .collect();
        rows.push(row("total", "Totaal", 0, counts.totals.iter().map(|t| count(t.count)).collect()));
        let youth: Vec<pb::Row> = counts
            .areas
            .iter()
            .map(|a| row(a.area_code.clone(), a.area_name.clone(), 1, a.years.iter().map(|y| count(y.youth)).collect()))
            .chain(std::iter::once(row("total", "Totaal", 0, counts.totals.iter().map(|t| count(t.youth)).collect())))
            .collect();
        let chart = pb::Chart {
            kind: "bars".into(),
            title: format!("Aanmeldingen per gebied, {}", p.year_to_date_label()),
            unit: "aanmeldingen".into(),
            points: counts
                .areas
                .iter()
                .map(|a| point(a.area_name.clone(), Decimal::from(a.years.last().map(|y| y.count).unwrap_or(0))))
                .collect(),
        };
        pb::SectionBody {
            tables: vec![
                table("per_gebied", "Aanmeldingen per gebied per jaar", columns.clone(), rows),
                table("jongeren_per_gebied", "Waarvan jongeren", columns, youth),
            ],
            charts: vec![chart],
        }
    })
}
