//! Section 8: the partnership's actions and their status against the
//! targets — youth share, 75% beschut placement by the end of 2024,
//! demand-led contracts and the norm of 200 started dienstverbanden. It
//! reuses figures fetched for other sections; a row whose source failed
//! says so instead of the section disappearing.

use partnership_proto::reporting as pb;
use rust_decimal::Decimal;

use super::employment::{pro_rata, status_against};
use super::{count, number, row, table, text, value};
use crate::period::ReportPeriod;
use crate::sources::Sources;

fn unavailable_row(key: &str, label: &str, reason: &str) -> pb::Row {
    row(key, label, 0, vec![text("niet beschikbaar"), text("–"), text(reason)])
}

pub fn targets(sources: &Sources, p: ReportPeriod, partnership: bool) -> pb::Section {
    let mut rows = Vec::new();
    match &sources.cohorts[0].result {
        Ok(c) => {
            let share = c.youth_share.clone().unwrap_or_default();
            rows.push(row(
                "youth_share",
                format!("Aandeel jongeren in cohort {}", p.year),
                0,
                vec![pb::Cell { count: Some(share.count), percent: Some(share.percent), ..Default::default() }, text("geen jongere loslaten"), text("–")],
            ));
        }
        Err(reason) => rows.push(unavailable_row("youth_share", "Aandeel jongeren", reason)),
    }
    match sources.beschut.result.as_ref().map(|b| b.figures.first()) {
        Ok(Some(b)) => {
            let placement = value(b.plaatsingspercentage.as_ref());
            let status = if placement >= Decimal::from(b.target_percent) {
                "Doel gehaald".to_owned()
            } else {
                format!("{} procentpunt onder het doel", (Decimal::from(b.target_percent) - placement).round_dp(1))
            };
            let cell = pb::Cell { number: b.plaatsingspercentage.clone(), percent: Some(b.plaatsingspercentage_rounded), ..Default::default() };
            rows.push(row("beschut_placement", "Plaatsingspercentage beschut werk", 0, vec![cell, text(format!("{}% eind 2024", b.target_percent)), text(status)]));
        }
        Ok(None) => rows.push(unavailable_row("beschut_placement", "Plaatsingspercentage beschut werk", "beschut gave no figures")),
        Err(reason) => rows.push(unavailable_row("beschut_placement", "Plaatsingspercentage beschut werk", reason)),
    }
    match &sources.started.result {
        Ok(s) if !partnership => {
            let vraag = s.by_soort_plaatsing.iter().find(|c| c.value == "VRAAGGESTUURD").map(|c| c.count).unwrap_or(0);
            let whole = text("norm geldt voor het partnership");
            rows.push(row("vraaggestuurd", "Vraaggestuurde dienstverbanden", 0, vec![count(vraag), whole.clone(), text("–")]));
            rows.push(row("norm_200", "Gestarte dienstverbanden", 0, vec![count(s.total), whole, text("–")]));
        }
        Ok(s) => {
            let vraag = s.by_soort_plaatsing.iter().find(|c| c.value == "VRAAGGESTUURD").map(|c| c.count).unwrap_or(0);
            let vraag_norm = pro_rata(s.norm_vraaggestuurd, p);
            let total_norm = pro_rata(s.norm_total, p);
            rows.push(row("vraaggestuurd", "Vraaggestuurde dienstverbanden", 0, vec![count(vraag), number(vraag_norm), status_against(vraag, vraag_norm)]));
            rows.push(row("norm_200", format!("Gestarte dienstverbanden (norm {} per jaar)", s.norm_total), 0, vec![count(s.total), number(total_norm), status_against(s.total, total_norm)]));
        }
        Err(reason) => {
            rows.push(unavailable_row("vraaggestuurd", "Vraaggestuurde dienstverbanden", reason));
            rows.push(unavailable_row("norm_200", "Gestarte dienstverbanden", reason));
        }
    }
    let fetches = [&sources.cohorts[0].fetch, &sources.beschut.fetch, &sources.started.fetch];
    pb::Section {
        key: "doelen".into(),
        number: 8,
        title: "Acties en doelen".into(),
        content: Some(pb::section::Content::Body(pb::SectionBody {
            tables: vec![table(
                "doelen",
                format!("Status tegen de doelen, {}", p.year_to_date_label()),
                vec!["Actie".into(), "Realisatie".into(), format!("Doel (t/m Q{})", p.quarter), "Status".into()],
                rows,
            )],
            charts: Vec::new(),
        })),
        fetches: fetches.iter().map(|f| (*f).clone()).collect(),
    }
}
