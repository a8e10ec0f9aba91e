//! Intake's tables, and the only place with SQL for them. Every function
//! takes a connection, so the caller decides what runs in one transaction.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use partnership_platform::audit::AuditRecord;
use partnership_platform::store::rows::{corrupt, date};
use partnership_platform::store::{Backend, JSON_LIST, JsonRows, Sql};
use partnership_platform::tally::{self, Tallies};
use partnership_platform::{Migration, ServiceError, dates};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::domain::bsn::Bsn;
use crate::domain::cohort::{MunicipalityYearCount, StatusCount};
use crate::domain::registration::{RegistrationKind, VoortrajectKind};
use crate::domain::status::{RegistrationStatus, StatusChange, TerugmeldingReason};
use crate::tallies;

pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "intake", sql: include_str!("../migrations/0001_intake.sql") },
    Migration { version: 2, name: "report indexes", sql: include_str!("../migrations/0002_report_indexes.sql") },
    tally::tables(3),
    Migration { version: 4, name: "tallies of the stored histories", sql: include_str!("../migrations/0004_tally_backfill.sql") },
    tally::months_from_days(5),
];

type Result<T> = std::result::Result<T, ServiceError>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateRow {
    pub id: String,
    pub bsn: String,
    pub birth_date: NaiveDate,
    pub municipality_code: String,
    pub request_id: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationRow {
    pub id: String,
    pub candidate_id: String,
    pub municipality_code: String,
    pub kind: RegistrationKind,
    pub voortraject_kind: Option<VoortrajectKind>,
    pub registration_date: NaiveDate,
    pub youth: bool,
    pub version: i64,
    pub request_id: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRow {
    pub seq: i64,
    pub ordinal: i64,
    pub change: StatusChange,
    pub note: String,
    pub request_id: Option<String>,
    pub recorded_at: String,
    pub corrects_seq: Option<i64>,
    pub correction_reason: Option<String>,
    pub superseded_by_seq: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluspakketRow {
    pub id: String,
    pub candidate_id: String,
    pub municipality_code: String,
    pub service_code: String,
    pub registration_date: NaiveDate,
    pub request_id: Option<String>,
    pub created_at: String,
}

// ---------------------------------------------------------------- decoding

fn status(row: &AnyRow, column: &str) -> Result<RegistrationStatus> {
    let code: String = row.try_get(column)?;
    RegistrationStatus::from_code(&code).ok_or_else(|| corrupt(column, &code))
}

fn reason(row: &AnyRow, column: &str) -> Result<Option<TerugmeldingReason>> {
    let code: Option<String> = row.try_get(column)?;
    code.map(|c| TerugmeldingReason::from_code(&c).ok_or_else(|| corrupt(column, &c))).transpose()
}

fn candidate(row: &AnyRow) -> Result<CandidateRow> {
    Ok(CandidateRow {
        id: row.try_get("id")?,
        bsn: row.try_get("bsn")?,
        birth_date: date(row, "birth_date")?,
        municipality_code: row.try_get("municipality_code")?,
        request_id: row.try_get("request_id")?,
        created_at: row.try_get("created_at")?,
    })
}

const REGISTRATION_COLUMNS: &str = "r.id, r.candidate_id, r.municipality_code, r.kind, r.voortraject_kind, \
     r.registration_date, r.youth, r.version, r.request_id, r.created_at";

fn registration(row: &AnyRow) -> Result<RegistrationRow> {
    let kind: String = row.try_get("kind")?;
    let voortraject: Option<String> = row.try_get("voortraject_kind")?;
    Ok(RegistrationRow {
        id: row.try_get("id")?,
        candidate_id: row.try_get("candidate_id")?,
        municipality_code: row.try_get("municipality_code")?,
        kind: RegistrationKind::from_code(&kind).ok_or_else(|| corrupt("kind", &kind))?,
        voortraject_kind: voortraject
            .map(|v| VoortrajectKind::from_code(&v).ok_or_else(|| corrupt("voortraject_kind", &v)))
            .transpose()?,
        registration_date: date(row, "registration_date")?,
        youth: row.try_get::<i64, _>("youth")? != 0,
        version: row.try_get("version")?,
        request_id: row.try_get("request_id")?,
        created_at: row.try_get("created_at")?,
    })
}

fn entry(row: &AnyRow) -> Result<EntryRow> {
    Ok(EntryRow {
        seq: row.try_get("seq")?,
        ordinal: row.try_get("ordinal")?,
        change: StatusChange {
            status: status(row, "status")?,
            effective_date: date(row, "effective_date")?,
            reason: reason(row, "terugmelding_reason")?,
        },
        note: row.try_get("note")?,
        request_id: row.try_get("request_id")?,
        recorded_at: row.try_get("recorded_at")?,
        corrects_seq: row.try_get("corrects_seq")?,
        correction_reason: row.try_get("correction_reason")?,
        superseded_by_seq: row.try_get("superseded_by_seq")?,
    })
}

fn pluspakket(row: &AnyRow) -> Result<PluspakketRow> {
    Ok(PluspakketRow {
        id: row.try_get("id")?,
        candidate_id: row.try_get("candidate_id")?,
        municipality_code: row.try_get("municipality_code")?,
        service_code: row.try_get("service_code")?,
        registration_date: date(row, "registration_date")?,
        request_id: row.try_get("request_id")?,
        created_at: row.try_get("created_at")?,
    })
}

// -------------------------------------------------------------- candidates

pub async fn insert_candidate(conn: &mut AnyConnection, c: &CandidateRow) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO candidates (id, bsn, birth_date, municipality_code, request_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&c.id)
    .bind(&c.bsn)
    .bind(c.birth_date.to_string())
    .bind(&c.municipality_code)
    .bind(&c.request_id)
    .bind(&c.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

async fn candidate_where(conn: &mut AnyConnection, column: &str, value: &str) -> Result<Option<CandidateRow>> {
    let sql = Sql::new("SELECT id, bsn, birth_date, municipality_code, request_id, created_at FROM candidates WHERE ")
        .push(column)
        .push(" = ")
        .bind(value)
        .clone();
    sql.query().fetch_optional(conn).await?.as_ref().map(candidate).transpose()
}

pub async fn candidate_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<CandidateRow>> {
    candidate_where(conn, "id", id).await
}

pub async fn candidate_by_bsn(conn: &mut AnyConnection, bsn: &Bsn) -> Result<Option<CandidateRow>> {
    candidate_where(conn, "bsn", bsn.as_str()).await
}

/// (BSN, candidate id) of the candidates with these BSNs (any number;
/// queried in chunks). Two columns, not the whole candidate: HR resolves
/// every BSN of every push, and each column of each row costs on the way
/// out of the driver.
pub async fn candidate_ids_by_bsns(conn: &mut AnyConnection, bsns: &[String]) -> Result<Vec<(String, String)>> {
    let mut found = Vec::with_capacity(bsns.len());
    for chunk in bsns.chunks(JSON_LIST) {
        let mut sql = Sql::new("SELECT bsn, id FROM candidates WHERE bsn IN ");
        sql.bind_json_list(Backend::of(conn), chunk);
        found.extend(sql.fetch_packed::<(String, String)>(conn, &["bsn", "id"]).await?);
    }
    Ok(found)
}

pub async fn candidate_by_request_id(conn: &mut AnyConnection, request_id: &str) -> Result<Option<CandidateRow>> {
    candidate_where(conn, "request_id", request_id).await
}

// ----------------------------------------------------------- registrations

pub async fn insert_registration(
    conn: &mut AnyConnection,
    r: &RegistrationRow,
) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO registrations (id, candidate_id, municipality_code, kind, voortraject_kind,
             registration_date, youth, version, request_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&r.id)
    .bind(&r.candidate_id)
    .bind(&r.municipality_code)
    .bind(r.kind.code())
    .bind(r.voortraject_kind.map(|k| k.code()))
    .bind(r.registration_date.to_string())
    .bind(i64::from(r.youth))
    .bind(r.version)
    .bind(&r.request_id)
    .bind(&r.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A new registration, its first status entry and the audit record of the
/// call that made it (committed together, so the call needs one durable
/// commit, not two).
pub type RegistrationWrite = (RegistrationRow, EntryRow, Option<AuditRecord>);

/// New registrations, each with its first status entry and its audit
/// record, written together (see `partnership_platform::batch`) with what
/// they add to the kept figures: six statements a batch, each with its rows
/// as one JSON parameter.
pub struct NewRegistrations;

impl partnership_platform::batch::BatchWrite for NewRegistrations {
    type Item = RegistrationWrite;

    fn rows(&self, items: &[RegistrationWrite]) -> Vec<JsonRows> {
        let mut registrations = JsonRows::new(
            "registrations",
            &["id", "candidate_id", "municipality_code", "kind", "voortraject_kind", "registration_date", "youth", "version", "request_id", "created_at"],
            &["youth", "version"],
        );
        let mut entries = JsonRows::new(
            "status_entries",
            &[
                "registration_id", "seq", "ordinal", "status", "terugmelding_reason", "effective_date", "note", "request_id",
                "recorded_at", "corrects_seq", "correction_reason", "superseded_by_seq",
            ],
            &["seq", "ordinal", "corrects_seq", "superseded_by_seq"],
        );
        for (r, e, _) in items {
            let (registration_date, effective_date) = (r.registration_date.to_string(), e.change.effective_date.to_string());
            registrations.push(&[
                (&r.id).into(),
                (&r.candidate_id).into(),
                (&r.municipality_code).into(),
                r.kind.code().into(),
                r.voortraject_kind.map(|k| k.code()).into(),
                (&registration_date).into(),
                i64::from(r.youth).into(),
                r.version.into(),
                r.request_id.as_ref().into(),
                (&r.created_at).into(),
            ]);
            entries.push(&[
                (&r.id).into(),
                e.seq.into(),
                e.ordinal.into(),
                e.change.status.code().into(),
                e.change.reason.map(|r| r.code()).into(),
                (&effective_date).into(),
                (&e.note).into(),
                e.request_id.as_ref().into(),
                (&e.recorded_at).into(),
                e.corrects_seq.into(),
                e.correction_reason.as_ref().into(),
                e.superseded_by_seq.into(),
            ]);
        }
        let mut tallies = Tallies::new();
        for (r, e, _) in items {
            crate::tallies::registered(&mut tallies, r, &[e.change]);
        }
        let [days, months] = tallies.rows();
        let records: Vec<&AuditRecord> = items.iter().filter_map(|(_, _, record)| record.as_ref()).collect();
        let [log, subjects] = partnership_platform::audit::record_rows(&records);
        vec![registrations, entries, log, subjects, days, months]
    }
}

async fn registration_where(conn: &mut AnyConnection, column: &str, value: &str) -> Result<Option<RegistrationRow>> {
    let sql = Sql::new(&format!("SELECT {REGISTRATION_COLUMNS} FROM registrations r WHERE r."))
        .push(column)
        .push(" = ")
        .bind(value)
        .clone();
    sql.query().fetch_optional(conn).await?.as_ref().map(registration).transpose()
}

pub async fn registration_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<RegistrationRow>> {
    registration_where(conn, "id", id).await
}

pub async fn registration_by_request_id(conn: &mut AnyConnection, request_id: &str) -> Result<Option<RegistrationRow>> {
    registration_where(conn, "request_id", request_id).await
}

/// The registrations of a candidate, oldest first.
pub async fn registrations_of_candidate(conn: &mut AnyConnection, candidate_id: &str) -> Result<Vec<RegistrationRow>> {
    let mut sql = Sql::new(&format!("SELECT {REGISTRATION_COLUMNS} FROM registrations r WHERE r.candidate_id = "));
    sql.bind(candidate_id).push(" ORDER BY r.registration_date, r.id");
    sql.query().fetch_all(conn).await?.iter().map(registration).collect()
}

/// Moves the registration's version on, if it is still `expected`. False
/// means a concurrent change came first.
pub async fn bump_version(conn: &mut AnyConnection, id: &str, expected: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE registrations SET version = version + 1 WHERE id = $1 AND version = $2")
        .bind(id)
        .bind(expected)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Filters of a registration listing.
#[derive(Debug, Clone, Default)]
pub struct RegistrationFilter {
    /// Registering municipality codes (a scope, resolved).
    pub municipality_codes: Option<Vec<String>>,
    pub registered_from: Option<NaiveDate>,
    pub registered_to: Option<NaiveDate>,
    /// A status and the date it must hold on.
    pub status_on: Option<(RegistrationStatus, NaiveDate)>,
    pub candidate_id: Option<String>,
    /// Only after this (registration date, id): the page token.
    pub after: Option<(NaiveDate, String)>,
}

/// The effective history entry that is the registration's status as of
/// the date bound next (`ordinal` of the latest effective entry in effect).
const LATEST_ORDINAL_ON: &str = "(SELECT MAX(x.ordinal) FROM status_entries x
      WHERE x.registration_id = r.id AND x.superseded_by_seq IS NULL AND x.effective_date <= ";

/// Registrations matching the filter with their status today, ordered by
/// registration date and id.
pub async fn list_registrations(
    conn: &mut AnyConnection,
    filter: &RegistrationFilter,
    limit: i64,
) -> Result<Vec<(RegistrationRow, StatusChange)>> {
    let mut sql = Sql::new(&format!(
        "SELECT {REGISTRATION_COLUMNS}, e.status, e.effective_date, e.terugmelding_reason
         FROM registrations r
         JOIN status_entries e ON e.registration_id = r.id AND e.superseded_by_seq IS NULL
          AND e.ordinal = {LATEST_ORDINAL_ON}'9999-12-31')
         WHERE 1 = 1"
    ));
    if let Some(codes) = &filter.municipality_codes {
        sql.push(" AND r.municipality_code IN ").bind_list(codes);
    }
    if let Some(from) = filter.registered_from {
        sql.push(" AND r.registration_date >= ").bind(from);
    }
    if let Some(to) = filter.registered_to {
        sql.push(" AND r.registration_date <= ").bind(to);
    }
    if let Some(candidate) = &filter.candidate_id {
        sql.push(" AND r.candidate_id = ").bind(candidate);
    }
    if let Some((status, on)) = filter.status_on {
        sql.push(" AND EXISTS (SELECT 1 FROM status_entries y WHERE y.registration_id = r.id")
            .push(" AND y.superseded_by_seq IS NULL AND y.status = ")
            .bind(status.code())
            .push(" AND y.ordinal = ")
            .push(LATEST_ORDINAL_ON)
            .bind(on)
            .push("))");
    }
    if let Some((date, id)) = &filter.after {
        sql.push(" AND (r.registration_date > ")
            .bind(*date)
            .push(" OR (r.registration_date = ")
            .bind(*date)
            .push(" AND r.id > ")
            .bind(id)
            .push("))");
    }
    sql.push(" ORDER BY r.registration_date, r.id LIMIT ").bind(limit);
    let rows = sql.query().fetch_all(conn).await?;
    rows.iter()
        .map(|row| {
            let change = StatusChange {
                status: status(row, "status")?,
                effective_date: date(row, "effective_date")?,
                reason: reason(row, "terugmelding_reason")?,
            };
            Ok((registration(row)?, change))
        })
        .collect()
}

// --------------------------------------------------------- status history

pub async fn insert_entry(
    conn: &mut AnyConnection,
    registration_id: &str,
    e: &EntryRow,
) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO status_entries (registration_id, seq, ordinal, status, terugmelding_reason,
             effective_date, note, request_id, recorded_at, corrects_seq, correction_reason, superseded_by_seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(registration_id)
    .bind(e.seq)
    .bind(e.ordinal)
    .bind(e.change.status.code())
    .bind(e.change.reason.map(|r| r.code()))
    .bind(e.change.effective_date.to_string())
    .bind(&e.note)
    .bind(&e.request_id)
    .bind(&e.recorded_at)
    .bind(e.corrects_seq)
    .bind(&e.correction_reason)
    .bind(e.superseded_by_seq)
    .execute(conn)
    .await?;
    Ok(())
}

/// The whole history of a registration, superseded entries included, in
/// order of recording.
pub async fn entries(conn: &mut AnyConnection, registration_id: &str) -> Result<Vec<EntryRow>> {
    let rows = sqlx::query(
        "SELECT seq, ordinal, status, terugmelding_reason, effective_date, note, request_id, recorded_at,
                corrects_seq, correction_reason, superseded_by_seq
         FROM status_entries WHERE registration_id = $1 ORDER BY seq",
    )
    .bind(registration_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(entry).collect()
}

/// The registration a status change with this request id was recorded on.
pub async fn registration_of_entry_request(conn: &mut AnyConnection, request_id: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT registration_id FROM status_entries WHERE request_id = $1")
        .bind(request_id)
        .fetch_optional(conn)
        .await?)
}

pub async fn mark_superseded(conn: &mut AnyConnection, registration_id: &str, seq: i64, by: i64) -> Result<()> {
    sqlx::query("UPDATE status_entries SET superseded_by_seq = $1 WHERE registration_id = $2 AND seq = $3")
        .bind(by)
        .bind(registration_id)
        .bind(seq)
        .execute(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- figures

/// Cohort `year`'s registrations in the given municipalities, counted by
/// youth and by status (and reason) as of `as_of`: the kept STATUS figure
/// summed up to that date (see `crate::tallies`). A registration dated
/// after `as_of` has no status yet on it, so it is not counted.
pub async fn cohort_counts(conn: &mut AnyConnection, codes: &[String], year: i32, as_of: NaiveDate) -> Result<Vec<StatusCount>> {
    let sums = tally::sums(conn, tallies::STATUS, &year.to_string(), Some(codes), tally::beginning(), as_of).await?;
    tally::per_key(sums)
        .into_iter()
        .map(|(key, n)| {
            let (youth, status, reason) = tallies::parse_status_key(&key).ok_or_else(|| corrupt("status tally key", &key))?;
            let count = u64::try_from(n).map_err(|_| corrupt("status tally", &n.to_string()))?;
            Ok(StatusCount { youth, status, reason, count })
        })
        .collect()
}

/// Registrations per recorded municipality per year, dated `from`..=`to`:
/// the kept REGISTERED figure, summed a calendar year at a time.
pub async fn municipality_year_counts(
    conn: &mut AnyConnection,
    codes: &[String],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<MunicipalityYearCount>> {
    let mut counts = Vec::new();
    let mut first = from;
    while first <= to {
        let year = first.year();
        let (_, year_end) = dates::year_bounds(year).ok_or_else(|| corrupt("year", &year.to_string()))?;
        let last = year_end.min(to);
        let mut per_municipality: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for sum in tally::sums(conn, tallies::REGISTERED, "", Some(codes), first, last).await? {
            let n = u64::try_from(sum.n).map_err(|_| corrupt("registered tally", &sum.n.to_string()))?;
            let entry = per_municipality.entry(sum.municipality_code).or_default();
            entry.0 += n;
            if sum.key == tallies::registered_key(true) {
                entry.1 += n;
            }
        }
        counts.extend(
            per_municipality
                .into_iter()
                .map(|(municipality_code, (count, youth))| MunicipalityYearCount { municipality_code, year, count, youth }),
        );
        match last.succ_opt() {
            Some(next) => first = next,
            None => break,
        }
    }
    Ok(counts)
}

// ------------------------------------------------------------- pluspakket

pub async fn insert_pluspakket(conn: &mut AnyConnection, p: &PluspakketRow) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO pluspakket_registrations
             (id, candidate_id, municipality_code, service_code, registration_date, request_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&p.id)
    .bind(&p.candidate_id)
    .bind(&p.municipality_code)
    .bind(&p.service_code)
    .bind(p.registration_date.to_string())
    .bind(&p.request_id)
    .bind(&p.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

const PLUSPAKKET_COLUMNS: &str =
    "id, candidate_id, municipality_code, service_code, registration_date, request_id, created_at";

pub async fn pluspakket_by_request_id(conn: &mut AnyConnection, request_id: &str) -> Result<Option<PluspakketRow>> {
    let sql = Sql::new(&format!("SELECT {PLUSPAKKET_COLUMNS} FROM pluspakket_registrations WHERE request_id = "))
        .bind(request_id)
        .clone();
    sql.query().fetch_optional(conn).await?.as_ref().map(pluspakket).transpose()
}

/// Filters of a pluspakket listing.
#[derive(Debug, Clone, Default)]
pub struct PluspakketFilter {
    pub municipality_codes: Option<Vec<String>>,
    pub service_code: Option<String>,
    pub registered_from: Option<NaiveDate>,
    pub registered_to: Option<NaiveDate>,
    pub after: Option<(NaiveDate, String)>,
}

pub async fn list_pluspakket(conn: &mut AnyConnection, f: &PluspakketFilter, limit: i64) -> Result<Vec<PluspakketRow>> {
    let mut sql = Sql::new(&format!("SELECT {PLUSPAKKET_COLUMNS} FROM pluspakket_registrations WHERE 1 = 1"));
    if let Some(codes) = &f.municipality_codes {
        sql.push(" AND municipality_code IN ").bind_list(codes);
    }
    if let Some(service) = &f.service_code {
        sql.push(" AND service_code = ").bind(service);
    }
    if let Some(from) = f.registered_from {
        sql.push(" AND registration_date >= ").bind(from);
    }
    if let Some(to) = f.registered_to {
        sql.push(" AND registration_date <= ").bind(to);
    }
    if let Some((date, id)) = &f.after {
        sql.push(" AND (registration_date > ")
            .bind(*date)
            .push(" OR (registration_date = ")
            .bind(*date)
            .push(" AND id > ")
            .bind(id)
            .push("))");
    }
    sql.push(" ORDER BY registration_date, id LIMIT ").bind(limit);
    let rows = sql.query().fetch_all(conn).await?;
    rows.iter().map(pluspakket).collect()
}

/// Pluspakket registrations dated from `first` to `last` (of `codes`, if
/// given), counted per municipality and service, in that order.
pub async fn count_pluspakket(
    conn: &mut AnyConnection,
    codes: Option<&[String]>,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<(String, String, u64)>> {
    let mut sql = Sql::new("SELECT municipality_code, service_code, COUNT(*) AS n FROM pluspakket_registrations WHERE registration_date >= ");
    sql.bind(first).push(" AND registration_date <= ").bind(last);
    if let Some(codes) = codes {
        sql.push(" AND municipality_code IN ").bind_list(codes);
    }
    sql.push(" GROUP BY municipality_code, service_code ORDER BY municipality_code, service_code");
    let rows = sql.query().fetch_all(conn).await?;
    rows.iter()
        .map(|row| {
            let n: i64 = row.try_get("n")?;
            let n = u64::try_from(n).map_err(|_| corrupt("pluspakket count", &n.to_string()))?;
            Ok((row.try_get("municipality_code")?, row.try_get("service_code")?, n))
        })
        .collect()
}

// ---------------------------------------------------------------- imports

/// The registration ids of an import batch taken before, if any.
pub async fn import_batch(conn: &mut AnyConnection, request_id: &str) -> Result<Option<Vec<String>>> {
    let ids: Option<String> = sqlx::query_scalar("SELECT registration_ids FROM import_batches WHERE request_id = $1")
        .bind(request_id)
        .fetch_optional(conn)
        .await?;
    Ok(ids.map(|ids| ids.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()))
}

pub async fn insert_import_batch(
    conn: &mut AnyConnection,
    request_id: &str,
    registration_ids: &[String],
    at: &str,
) -> std::result::Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO import_batches (request_id, registration_ids, imported_at) VALUES ($1, $2, $3)")
        .bind(request_id)
        .bind(registration_ids.join(","))
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}
