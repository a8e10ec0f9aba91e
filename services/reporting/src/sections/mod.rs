//! The report's nine sections (domain.md §6), each built from the figures
//! fetched for it. A section whose figures could not all be fetched is
//! marked unavailable with the reason; it never shows a zero it did not get.

mod activities;
mod beschut;
mod employment;
mod finance;
mod registrations;
mod targets;

use partnership_platform::decimals;
use partnership_proto::common as cpb;
use partnership_proto::reporting as pb;
use rust_decimal::Decimal;

use crate::fanout::Fetched;
use crate::period::ReportPeriod;
use crate::sources::Sources;

/// Composes every section from the fetched figures.
///
/// `partnership` says whether the scope is the whole partnership: the norms
/// of started dienstverbanden are the partnership's, so a narrower scope
/// shows its realisation without comparing it to them.
pub fn compose(sources: &Sources, p: ReportPeriod, partnership: bool) -> Vec<pb::Section> {
    vec![
        registrations::cohorts(sources, p),
        registrations::areas(sources, p),
        employment::trajectories(sources, p),
        employment::started(sources, p, partnership),
        employment::headcount(sources, p),
        beschut::beschut(sources, p),
        activities::activities(sources, p),
        targets::targets(sources, p, partnership),
        finance::finance(sources, p),
    ]
}

/// A section from its fetches: the body if every fetch succeeded, else
/// unavailable with the first failure's reason.
pub(crate) fn section(
    key: &str,
    number: i32,
    title: &str,
    fetches: &[&pb::Fetch],
    failures: Vec<&str>,
    body: impl FnOnce() -> pb::SectionBody,
) -> pb::Section {
    let content = match failures.first() {
        Some(reason) => pb::section::Content::Unavailable(pb::Unavailable { reason: (*reason).to_owned() }),
        None => pb::section::Content::Body(body()),
    };
    pb::Section {
        key: key.to_owned(),
        number,
        title: title.to_owned(),
        content: Some(content),
        fetches: fetches.iter().map(|f| (*f).clone()).collect(),
    }
}

/// The failures among some fetched figures.
pub(crate) fn failures<'a, T>(fetched: impl IntoIterator<Item = &'a Fetched<T>>) -> Vec<&'a str>
where
    T: 'a,
{
    fetched.into_iter().filter_map(|f| f.result.as_ref().err().map(String::as_str)).collect()
}

pub(crate) fn count(n: i64) -> pb::Cell {
    pb::Cell { count: Some(n), ..Default::default() }
}

pub(crate) fn share(s: Option<&cpb::Share>) -> pb::Cell {
    match s {
        Some(s) => pb::Cell { count: Some(s.count), percent: Some(s.percent), ..Default::default() },
        None => pb::Cell::default(),
    }
}

pub(crate) fn number(d: Decimal) -> pb::Cell {
    pb::Cell { number: Some(decimals::to_proto(d)), ..Default::default() }
}

pub(crate) fn decimal_cell(d: Option<&partnership_proto::google::r#type::Decimal>) -> pb::Cell {
    match d {
        Some(d) if !d.value.is_empty() => pb::Cell { number: Some(d.clone()), ..Default::default() },
        _ => pb::Cell::default(),
    }
}

pub(crate) fn text(t: impl Into<String>) -> pb::Cell {
    pb::Cell { text: t.into(), ..Default::default() }
}

pub(crate) fn row(key: impl Into<String>, label: impl Into<String>, level: i32, cells: Vec<pb::Cell>) -> pb::Row {
    pb::Row { key: key.into(), label: label.into(), level, cells }
}

pub(crate) fn table(key: &str, title: impl Into<String>, columns: Vec<String>, rows: Vec<pb::Row>) -> pb::Table {
    pb::Table { key: key.to_owned(), title: title.into(), columns, rows }
}

pub(crate) fn point(label: impl Into<String>, value: Decimal) -> pb::Point {
    pb::Point { label: label.into(), value: Some(decimals::to_proto(value)) }
}

/// The protobuf name of an enum value without its type prefix.
pub(crate) fn code(name: &'static str, prefix: &str) -> &'static str {
    name.strip_prefix(prefix).unwrap_or(name)
}

/// A decimal field's value (0 if missing or unreadable).
pub(crate) fn value(d: Option<&partnership_proto::google::r#type::Decimal>) -> Decimal {
    d.and_then(|d| d.value.parse().ok()).unwrap_or_default()
}
