//! Figures kept up to date on write: dated counts per municipality, so a
//! report at national scale sums a few thousand rows instead of reading a
//! million registrations' histories.
//!
//! A service writes, in the same transaction as the change itself, what the
//! change did to a figure: `+n` on the day something starts to count, `-n`
//! on the day it stops ([`Tallies::span`]). A change to history (a
//! correction) writes the new spans and takes back the old ones, so the sum
//! of a figure up to any date is what the history now says for that date.
//!
//! Each change lands twice: in `tally_days`, by day, and in `tally_months`,
//! by calendar month. A sum over a date range ([`sums`]) reads the whole
//! months inside the range from the months and only the days of the partial
//! months at either end from the days.
//!
//! A figure is named (`figure`), may be split (`part`, e.g. a cohort year)
//! and counts per municipality under a key the service chooses (e.g.
//! "youth|status|reason"). Rows whose sum is zero are kept: they cost a
//! little space and no correctness.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use sqlx::AnyConnection;

use crate::store::{Backend, JsonRows, Migration, Sql};

/// The two tables, created by a service's migration.
pub const TABLES_SQL: &str = "
CREATE TABLE tally_days (
    figure TEXT NOT NULL,
    part TEXT NOT NULL,
    municipality_code TEXT NOT NULL,
    day TEXT NOT NULL,
    key TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (figure, part, municipality_code, day, key)
);
CREATE TABLE tally_months (
    figure TEXT NOT NULL,
    part TEXT NOT NULL,
    municipality_code TEXT NOT NULL,
    month TEXT NOT NULL,
    key TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (figure, part, municipality_code, month, key)
);
";

/// The migration that creates the tables, at `version` of a service.
pub const fn tables(version: i64) -> Migration {
    Migration { version, name: "tallies", sql: TABLES_SQL }
}

/// Computes `tally_months` again from `tally_days`: the last step of a
/// migration that filled a figure's days from the rows already stored (the
/// days are what is kept; the months are their sums).
pub const fn months_from_days(version: i64) -> Migration {
    Migration {
        version,
        name: "tally months from days",
        sql: "DELETE FROM tally_months;
              INSERT INTO tally_months (figure, part, municipality_code, month, key, n)
              SELECT figure, part, municipality_code, substr(day, 1, 7), key, CAST(SUM(n) AS BIGINT)
              FROM tally_days GROUP BY figure, part, municipality_code, substr(day, 1, 7), key",
    }
}

/// Between the parts of a cell's name (figure, part, municipality, key),
/// none of which holds control characters.
const SEPARATOR: char = '\u{1f}';

/// What one transaction does to the figures, summed per row before it is
/// written (one upsert per table, whatever the number of changes).
///
/// Kept per cell, named by its four parts joined in one string, and per
/// day: adding to a cell that is there already allocates nothing (an HR
/// push adds to the same few hundred cells tens of thousands of times).
#[derive(Debug, Default, Clone)]
pub struct Tallies {
    deltas: BTreeMap<String, BTreeMap<NaiveDate, i64>>,
    /// The name of the cell being added to, built here to look it up.
    name: String,
}

impl PartialEq for Tallies {
    fn eq(&self, other: &Self) -> bool {
        self.deltas == other.deltas
    }
}

impl Eq for Tallies {}

/// A cell's name: figure, part, municipality and key.
fn parts(name: &str) -> [&str; 4] {
    let mut parts = name.splitn(4, SEPARATOR);
    let mut next = || parts.next().unwrap_or_default();
    [next(), next(), next(), next()]
}

impl Tallies {
    pub fn new() -> Self {
        Self::default()
    }

    /// `n` more from `day` on.
    pub fn add(&mut self, figure: &'static str, part: &str, municipality: &str, key: &str, day: NaiveDate, n: i64) {
        self.name.clear();
        for (i, text) in [figure, part, municipality, key].into_iter().enumerate() {
            debug_assert!(!text.contains(SEPARATOR), "{text:?} names part of a cell");
            if i > 0 {
                self.name.push(SEPARATOR);
            }
            self.name.push_str(text);
        }
        let days = match self.deltas.get_mut(self.name.as_str()) {
            Some(days) => days,
            None => self.deltas.entry(self.name.clone()).or_default(),
        };
        *days.entry(day).or_default() += n;
    }

    /// Adds what `other` holds.
    pub fn extend(&mut self, other: Tallies) {
        for (cell, days) in other.deltas {
            let mine = self.deltas.entry(cell).or_default();
            for (day, n) in days {
                *mine.entry(day).or_default() += n;
            }
        }
    }

    /// `n` counted from `from` up to the day before `until` (for ever when
    /// `until` is None). An empty span (`until` <= `from`) counts nothing.
    #[allow(clippy::too_many_arguments)]
    pub fn span(
        &mut self,
        figure: &'static str,
        part: &str,
        municipality: &str,
        key: &str,
        from: NaiveDate,
        until: Option<NaiveDate>,
        n: i64,
    ) {
        if until.is_some_and(|until| until <= from) {
            return;
        }
        self.add(figure, part, municipality, key, from, n);
        if let Some(until) = until {
            self.add(figure, part, municipality, key, until, -n);
        }
    }

    /// The rows to add to `tally_days` and `tally_months`.
    pub fn rows(&self) -> [JsonRows; 2] {
        let mut by_day = upsert("tally_days", &["figure", "part", "municipality_code", "day", "key", "n"]);
        let mut by_month = upsert("tally_months", &["figure", "part", "municipality_code", "month", "key", "n"]);
        for (name, days) in &self.deltas {
            let [figure, part, municipality, key] = parts(name);
            let mut months: BTreeMap<String, i64> = BTreeMap::new();
            for (day, n) in days.iter().filter(|(_, n)| **n != 0) {
                let text = day.to_string();
                by_day.push(&[figure.into(), part.into(), municipality.into(), text.as_str().into(), key.into(), (*n).into()]);
                *months.entry(month_text(*day)).or_default() += n;
            }
            for (month, n) in months.iter().filter(|(_, n)| **n != 0) {
                by_month.push(&[figure.into(), part.into(), municipality.into(), month.into(), key.into(), (*n).into()]);
            }
        }
        [by_day, by_month]
    }

    /// Writes the changes (in the caller's transaction).
    pub async fn write(&self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        let [days, months] = self.rows();
        JsonRows::insert_all(conn, &[&days, &months]).await
    }
}

fn upsert(table: &'static str, columns: &'static [&'static str]) -> JsonRows {
    JsonRows::new(table, columns, &["n"]).adding_on_conflict(&columns[..5], "n")
}

/// A figure's sum for one municipality and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sum {
    pub municipality_code: String,
    pub key: String,
    pub n: i64,
}

/// The first day a sum "up to a date" counts from.
pub fn beginning() -> NaiveDate {
    NaiveDate::from_ymd_opt(1, 1, 1).expect("a date")
}

/// How `from..=to` splits: whole months `first..=last` (none if None) and
/// the day ranges outside them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Split {
    months: Option<(NaiveDate, NaiveDate)>,
    days: Vec<(NaiveDate, NaiveDate)>,
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("every month has a first day")
}

fn month_end(d: NaiveDate) -> NaiveDate {
    month_start(d).checked_add_months(Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MAX)
}

fn split(from: NaiveDate, to: NaiveDate) -> Split {
    let first = if from.day() == 1 { Some(from) } else { month_end(from).succ_opt() };
    let last = if to == month_end(to) { Some(month_start(to)) } else { month_start(to).pred_opt().map(month_start) };
    match (first, last) {
        (Some(first), Some(last)) if first <= last => {
            let mut days = Vec::new();
            if from < first {
                days.push((from, first.pred_opt().expect("after from")));
            }
            let after = month_end(last);
            if after < to {
                days.push((after.succ_opt().expect("before to"), to));
            }
            Split { months: Some((first, last)), days }
        }
        _ => Split { months: None, days: vec![(from, to)] },
    }
}

fn month_text(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The sums of `figure` (its `part`) per municipality and key over the days
/// `from..=to`, for the municipalities `codes` (every municipality the
/// figure counts in, when None). Keys summing to zero are left out.
pub async fn sums(
    conn: &mut AnyConnection,
    figure: &str,
    part: &str,
    codes: Option<&[String]>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Sum>, sqlx::Error> {
    if to < from || codes.is_some_and(|codes| codes.is_empty()) {
        return Ok(Vec::new());
    }
    let backend = Backend::of(conn);
    let split = split(from, to);
    let in_scope = |sql: &mut Sql| {
        if let Some(codes) = codes {
            sql.push(" AND municipality_code IN ").bind_json_list(backend, codes);
        }
    };
    let mut sql = Sql::new("SELECT municipality_code, key, CAST(SUM(n) AS BIGINT) AS n FROM (");
    let mut first = true;
    if let Some((first_month, last_month)) = split.months {
        sql.push("SELECT municipality_code, key, n FROM tally_months WHERE figure = ")
            .bind(figure)
            .push(" AND part = ")
            .bind(part);
        in_scope(&mut sql);
        sql.push(" AND month >= ")
            .bind(month_text(first_month))
            .push(" AND month <= ")
            .bind(month_text(last_month));
        first = false;
    }
    for (from, to) in split.days {
        if !first {
            sql.push(" UNION ALL ");
        }
        first = false;
        sql.push("SELECT municipality_code, key, n FROM tally_days WHERE figure = ")
            .bind(figure)
            .push(" AND part = ")
            .bind(part);
        in_scope(&mut sql);
        sql.push(" AND day >= ")
            .bind(from)
            .push(" AND day <= ")
            .bind(to);
    }
    sql.push(") t GROUP BY municipality_code, key HAVING SUM(n) <> 0");
    let rows: Vec<(String, String, i64)> = sql.fetch_packed(conn, &["municipality_code", "key", "n"]).await?;
    Ok(rows.into_iter().map(|(municipality_code, key, n)| Sum { municipality_code, key, n }).collect())
}

/// [`sums`] added up over the municipalities: per key, those not summing
/// to zero.
pub fn per_key(sums: Vec<Sum>) -> BTreeMap<String, i64> {
    let mut per_key: BTreeMap<String, i64> = BTreeMap::new();
    for sum in sums {
        *per_key.entry(sum.key).or_default() += sum.n;
    }
    per_key.retain(|_, n| *n != 0);
    per_key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_range_reads_whole_months_and_the_days_around_them() {
        assert_eq!(
            split(d("2024-01-01"), d("2024-12-31")),
            Split { months: Some((d("2024-01-01"), d("2024-12-01"))), days: vec![] }
        );
        assert_eq!(
            split(d("2024-01-15"), d("2024-03-10")),
            Split {
                months: Some((d("2024-02-01"), d("2024-02-01"))),
                days: vec![(d("2024-01-15"), d("2024-01-31")), (d("2024-03-01"), d("2024-03-10"))]
            }
        );
        assert_eq!(split(d("2024-02-03"), d("2024-02-20")), Split { months: None, days: vec![(d("2024-02-03"), d("2024-02-20"))] });
        assert_eq!(
            split(beginning(), d("2024-09-30")),
            Split { months: Some((beginning(), d("2024-09-01"))), days: vec![] }
        );
        assert_eq!(
            split(beginning(), d("2024-02-28")),
            Split { months: Some((beginning(), d("2024-01-01"))), days: vec![(d("2024-02-01"), d("2024-02-28"))] }
        );
    }

    #[test]
    fn a_span_counts_from_its_first_day_to_the_day_before_its_end() {
        let mut t = Tallies::new();
        t.span("f", "", "GM1", "k", d("2024-01-10"), Some(d("2024-02-05")), 1);
        t.span("f", "", "GM1", "k", d("2024-02-05"), Some(d("2024-02-05")), 1);
        assert_eq!(t.deltas.values().map(BTreeMap::len).sum::<usize>(), 2);
        // Taken back: nothing left to write.
        t.span("f", "", "GM1", "k", d("2024-01-10"), Some(d("2024-02-05")), -1);
        let [days, months] = t.rows();
        assert_eq!((days.len(), months.len()), (0, 0));
    }

    #[test]
    fn a_span_within_one_month_leaves_nothing_in_the_months() {
        let mut t = Tallies::new();
        t.span("f", "", "GM1", "k", d("2024-01-10"), Some(d("2024-01-20")), 1);
        let [days, months] = t.rows();
        assert_eq!((days.len(), months.len()), (2, 0));
    }
}
