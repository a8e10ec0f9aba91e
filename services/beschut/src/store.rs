//! Beschut's tables, and the only place with SQL for them.

use chrono::NaiveDate;
use partnership_platform::store::{Sql, table_for};
use partnership_platform::store::rows::{corrupt, date, opt_date, parsed_date};
use partnership_platform::{Migration, ServiceError};
use rust_decimal::Decimal;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::domain::indication::{Indication, IndicationEnd};

pub const MIGRATIONS: &[Migration] =
    &[Migration { version: 1, name: "beschut", sql: include_str!("../migrations/0001_beschut.sql") }];

type Result<T> = std::result::Result<T, ServiceError>;

fn opt_text(value: Option<NaiveDate>) -> Option<String> {
    value.map(|d| d.to_string())
}

/// Who and where: what every record here has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub candidate_id: String,
    pub municipality_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicationRow {
    pub id: String,
    pub subject: Subject,
    pub uwv_reference: String,
    pub dates: Indication,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacementRow {
    pub id: String,
    pub subject: Subject,
    pub employer: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub hours_per_week: Decimal,
}

impl PlacementRow {
    pub fn runs_on(&self, day: NaiveDate) -> bool {
        self.start_date <= day && self.end_date.is_none_or(|e| day <= e)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchakeltrajectRow {
    pub id: String,
    pub subject: Subject,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
}

fn subject(row: &AnyRow) -> Result<Subject> {
    Ok(Subject { candidate_id: row.try_get("candidate_id")?, municipality_code: row.try_get("municipality_code")? })
}

// ------------------------------------------------------------- indications

const INDICATION_COLUMNS: &str =
    "id, candidate_id, municipality_code, uwv_reference, granted_date, valid_until, end_kind, end_date";

fn indication(row: &AnyRow) -> Result<IndicationRow> {
    let end_kind: Option<String> = row.try_get("end_kind")?;
    let ended = match (end_kind, opt_date(row, "end_date")?) {
        (Some(kind), Some(date)) => Some((IndicationEnd::from_code(&kind).ok_or_else(|| corrupt("end_kind", &kind))?, date)),
        _ => None,
    };
    Ok(IndicationRow {
        id: row.try_get("id")?,
        subject: subject(row)?,
        uwv_reference: row.try_get("uwv_reference")?,
        dates: Indication { granted_date: date(row, "granted_date")?, valid_until: opt_date(row, "valid_until")?, ended },
    })
}

pub async fn insert_indication(conn: &mut AnyConnection, i: &IndicationRow, request_id: Option<&str>, at: &str) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO indications (id, candidate_id, municipality_code, uwv_reference, granted_date, valid_until, request_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&i.id)
    .bind(&i.subject.candidate_id)
    .bind(&i.subject.municipality_code)
    .bind(&i.uwv_reference)
    .bind(i.dates.granted_date.to_string())
    .bind(opt_text(i.dates.valid_until))
    .bind(request_id)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    insert_event(conn, &i.id, "GRANTED", i.dates.granted_date, at).await
}

async fn insert_event(conn: &mut AnyConnection, id: &str, event: &str, date: NaiveDate, at: &str) -> std::result::Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO indication_events (indication_id, event, event_date, recorded_at) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(event)
        .bind(date.to_string())
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn end_indication(conn: &mut AnyConnection, id: &str, end: IndicationEnd, date: NaiveDate, at: &str) -> Result<()> {
    sqlx::query("UPDATE indications SET end_kind = $1, end_date = $2 WHERE id = $3 AND end_kind IS NULL")
        .bind(end.code())
        .bind(date.to_string())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    insert_event(conn, id, end.code(), date, at).await?;
    Ok(())
}

pub async fn indication_by(conn: &mut AnyConnection, column: &str, value: &str) -> Result<Option<IndicationRow>> {
    let mut sql = Sql::new(&format!("SELECT {INDICATION_COLUMNS} FROM indications WHERE "));
    sql.push(column).push(" = ").bind(value);
    sql.query().fetch_optional(conn).await?.as_ref().map(indication).transpose()
}

/// (event, date, recorded at) of an indication, in order.
pub async fn indication_events(conn: &mut AnyConnection, id: &str) -> Result<Vec<(String, NaiveDate, String)>> {
    let rows = sqlx::query(
        "SELECT event, event_date, recorded_at FROM indication_events WHERE indication_id = $1 ORDER BY recorded_at, event_date",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| Ok((r.try_get("event")?, date(r, "event_date")?, r.try_get("recorded_at")?))).collect()
}

/// Filters shared by the listings.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub municipality_codes: Option<Vec<String>>,
    pub candidate_id: Option<String>,
    pub after: Option<String>,
}

fn where_filter(sql: &mut Sql, f: &Filter) {
    if let Some(codes) = &f.municipality_codes {
        sql.push(" AND municipality_code IN ").bind_list(codes);
    }
    if let Some(candidate) = &f.candidate_id {
        sql.push(" AND candidate_id = ").bind(candidate);
    }
    if let Some(after) = &f.after {
        sql.push(" AND id > ").bind(after);
    }
}

pub async fn indications(conn: &mut AnyConnection, f: &Filter, limit: Option<i64>) -> Result<Vec<IndicationRow>> {
    let mut sql = Sql::new(&format!("SELECT {INDICATION_COLUMNS} FROM indications WHERE 1 = 1"));
    where_filter(&mut sql, f);
    sql.push(" ORDER BY id");
    if let Some(limit) = limit {
        sql.push(" LIMIT ").bind(limit);
    }
    sql.query().fetch_all(conn).await?.iter().map(indication).collect()
}

/// The indications of `codes` that apply on at least one day of
/// `first..=last`, by candidate, with their dates (which day each applies
/// on is [`Indication::active_on`]'s to say). Read packed in one pass for
/// every date of a report; with `whole_table`, in the table's order rather
/// than by the index on the municipality (the partnership: nearly every
/// row; 15 against 59 ms for 26,000 at scale 100, in the sqlite3 shell).
pub async fn indications_applying(
    conn: &mut AnyConnection,
    codes: &[String],
    (first, last): (NaiveDate, NaiveDate),
    whole_table: bool,
) -> Result<Vec<(String, Indication)>> {
    let mut sql = Sql::new(&format!("SELECT candidate_id, granted_date, valid_until, end_kind, end_date FROM {} WHERE municipality_code IN ", table_for(conn, "indications", whole_table)));
    sql.bind_list(codes)
        .push(" AND granted_date <= ")
        .bind(last)
        .push(" AND (valid_until IS NULL OR valid_until >= ")
        .bind(first)
        .push(") AND (end_kind IS NULL OR end_date IS NULL OR end_date > ")
        .bind(first)
        .push(")");
    let columns = ["candidate_id", "granted_date", "valid_until", "end_kind", "end_date"];
    let rows: Vec<(String, String, Option<String>, Option<String>, Option<String>)> = sql.fetch_packed(conn, &columns).await?;
    rows.into_iter()
        .map(|(candidate, granted, valid_until, end_kind, end_date)| {
            let ended = match (end_kind, end_date) {
                (Some(kind), Some(date)) => Some((IndicationEnd::from_code(&kind).ok_or_else(|| corrupt("end_kind", &kind))?, parsed_date("end_date", &date)?)),
                _ => None,
            };
            let valid_until = valid_until.map(|d| parsed_date("valid_until", &d)).transpose()?;
            Ok((candidate, Indication { granted_date: parsed_date("granted_date", &granted)?, valid_until, ended }))
        })
        .collect()
}

// -------------------------------------------------------------- placements

const PLACEMENT_COLUMNS: &str = "id, candidate_id, municipality_code, employer, start_date, end_date, hours_per_week";

fn placement(row: &AnyRow) -> Result<PlacementRow> {
    let hours: String = row.try_get("hours_per_week")?;
    Ok(PlacementRow {
        id: row.try_get("id")?,
        subject: subject(row)?,
        employer: row.try_get("employer")?,
        start_date: date(row, "start_date")?,
        end_date: opt_date(row, "end_date")?,
        hours_per_week: hours.parse().map_err(|_| corrupt("hours_per_week", &hours))?,
    })
}

pub async fn insert_placement(conn: &mut AnyConnection, p: &PlacementRow, request_id: Option<&str>, at: &str) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO placements (id, candidate_id, municipality_code, employer, start_date, end_date, hours_per_week, request_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&p.id)
    .bind(&p.subject.candidate_id)
    .bind(&p.subject.municipality_code)
    .bind(&p.employer)
    .bind(p.start_date.to_string())
    .bind(opt_text(p.end_date))
    .bind(p.hours_per_week.normalize().to_string())
    .bind(request_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn placement_by(conn: &mut AnyConnection, column: &str, value: &str) -> Result<Option<PlacementRow>> {
    let mut sql = Sql::new(&format!("SELECT {PLACEMENT_COLUMNS} FROM placements WHERE "));
    sql.push(column).push(" = ").bind(value);
    sql.query().fetch_optional(conn).await?.as_ref().map(placement).transpose()
}

pub async fn end_placement(conn: &mut AnyConnection, id: &str, date: NaiveDate) -> Result<()> {
    sqlx::query("UPDATE placements SET end_date = $1 WHERE id = $2")
        .bind(date.to_string())
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn placements(conn: &mut AnyConnection, f: &Filter, limit: Option<i64>) -> Result<Vec<PlacementRow>> {
    let mut sql = Sql::new(&format!("SELECT {PLACEMENT_COLUMNS} FROM placements WHERE 1 = 1"));
    where_filter(&mut sql, f);
    sql.push(" ORDER BY id");
    if let Some(limit) = limit {
        sql.push(" LIMIT ").bind(limit);
    }
    sql.query().fetch_all(conn).await?.iter().map(placement).collect()
}

/// The placements of `codes` running on at least one day of
/// `first..=last` (packed, one pass; `whole_table` as for
/// [`indications_applying`]).
pub async fn placements_running(
    conn: &mut AnyConnection,
    codes: &[String],
    (first, last): (NaiveDate, NaiveDate),
    whole_table: bool,
) -> Result<Vec<PlacementRow>> {
    let mut sql = Sql::new(&format!("SELECT {PLACEMENT_COLUMNS} FROM {} WHERE municipality_code IN ", table_for(conn, "placements", whole_table)));
    sql.bind_list(codes)
        .push(" AND start_date <= ")
        .bind(last)
        .push(" AND (end_date IS NULL OR end_date >= ")
        .bind(first)
        .push(")");
    let columns: Vec<&str> = PLACEMENT_COLUMNS.split(", ").collect();
    let rows: Vec<(String, String, String, String, String, Option<String>, String)> = sql.fetch_packed(conn, &columns).await?;
    rows.into_iter()
        .map(|(id, candidate_id, municipality_code, employer, start, end, hours)| {
            Ok(PlacementRow {
                id,
                subject: Subject { candidate_id, municipality_code },
                employer,
                start_date: parsed_date("start_date", &start)?,
                end_date: end.map(|e| parsed_date("end_date", &e)).transpose()?,
                hours_per_week: hours.parse().map_err(|_| corrupt("hours_per_week", &hours))?,
            })
        })
        .collect()
}

// --------------------------------------------------------- schakeltrajecten

const SCHAKEL_COLUMNS: &str = "id, candidate_id, municipality_code, start_date, end_date";

fn schakeltraject(row: &AnyRow) -> Result<SchakeltrajectRow> {
    Ok(SchakeltrajectRow {
        id: row.try_get("id")?,
        subject: subject(row)?,
        start_date: date(row, "start_date")?,
        end_date: opt_date(row, "end_date")?,
    })
}

pub async fn insert_schakeltraject(conn: &mut AnyConnection, s: &SchakeltrajectRow, request_id: Option<&str>, at: &str) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO schakeltrajecten (id, candidate_id, municipality_code, start_date, end_date, request_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&s.id)
    .bind(&s.subject.candidate_id)
    .bind(&s.subject.municipality_code)
    .bind(s.start_date.to_string())
    .bind(opt_text(s.end_date))
    .bind(request_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn schakeltraject_by(conn: &mut AnyConnection, column: &str, value: &str) -> Result<Option<SchakeltrajectRow>> {
    let mut sql = Sql::new(&format!("SELECT {SCHAKEL_COLUMNS} FROM schakeltrajecten WHERE "));
    sql.push(column).push(" = ").bind(value);
    sql.query().fetch_optional(conn).await?.as_ref().map(schakeltraject).transpose()
}

pub async fn end_schakeltraject(conn: &mut AnyConnection, id: &str, date: NaiveDate) -> Result<()> {
    sqlx::query("UPDATE schakeltrajecten SET end_date = $1 WHERE id = $2")
        .bind(date.to_string())
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn schakeltrajecten(conn: &mut AnyConnection, f: &Filter) -> Result<Vec<SchakeltrajectRow>> {
    let mut sql = Sql::new(&format!("SELECT {SCHAKEL_COLUMNS} FROM schakeltrajecten WHERE 1 = 1"));
    where_filter(&mut sql, f);
    sql.push(" ORDER BY id");
    sql.query().fetch_all(conn).await?.iter().map(schakeltraject).collect()
}
