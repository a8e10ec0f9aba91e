//! Finance's tables, and the only place with SQL for them. Every function
//! takes a connection, so the caller decides what runs in one transaction.
//! Money is stored as whole cents; nothing here updates or deletes an
//! invoice.

use chrono::NaiveDate;
use partnership_platform::store::Sql;
use partnership_platform::store::rows::{corrupt, date};
use partnership_platform::{Migration, ServiceError};
use rust_decimal::Decimal;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::domain::allocation::KeyKind;
use crate::domain::calendar::Quarter;
use crate::domain::invoice::{Line, LineKind};
use crate::domain::lumpsum::LumpsumAmounts;
use crate::domain::money::{from_cents, to_cents};
use crate::domain::period::BudgetPeriod;

pub const MIGRATIONS: &[Migration] =
    &[Migration { version: 1, name: "finance", sql: include_str!("../migrations/0001_finance.sql") }];

type Result<T> = std::result::Result<T, ServiceError>;

/// A stored budget period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodRow {
    pub period: BudgetPeriod,
    pub request_id: Option<String>,
    pub created_at: String,
}

/// A stored lumpsum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LumpsumRow {
    pub id: String,
    pub budget_period_id: String,
    pub year: i32,
    pub amounts: LumpsumAmounts,
    pub key_year: i32,
    pub key_kind: KeyKind,
    pub request_id: Option<String>,
    pub created_at: String,
}

/// An issued invoice with its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRow {
    pub id: String,
    pub number: String,
    pub municipality_code: String,
    pub quarter: Quarter,
    pub seq: i64,
    pub total: Decimal,
    pub request_id: Option<String>,
    pub issued_at: String,
    pub lines: Vec<Line>,
}

/// Which lumpsums to list.
#[derive(Debug, Clone, Default)]
pub struct LumpsumFilter {
    pub budget_period_id: Option<String>,
    pub year: Option<i32>,
    /// Continue after this (year, id).
    pub after: Option<(i32, String)>,
}

/// Which invoices to list.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    pub municipality_codes: Option<Vec<String>>,
    pub year: Option<i32>,
    pub quarter: Option<Quarter>,
    /// Continue after this id (ids grow in issue order).
    pub after: Option<String>,
}

// ---------------------------------------------------------------- decoding

fn decimal(row: &AnyRow, column: &str) -> Result<Decimal> {
    let text: String = row.try_get(column)?;
    Decimal::from_str_exact(&text).map_err(|_| corrupt(column, &text))
}

fn cents(row: &AnyRow, column: &str) -> Result<Decimal> {
    Ok(from_cents(row.try_get(column)?))
}

fn int(row: &AnyRow, column: &str) -> Result<i32> {
    let value: i64 = row.try_get(column)?;
    i32::try_from(value).map_err(|_| corrupt(column, &value.to_string()))
}

/// Whole cents of an amount about to be stored.
fn to_stored_cents(what: &str, amount: Decimal) -> std::result::Result<i64, sqlx::Error> {
    to_cents(amount).ok_or_else(|| sqlx::Error::Protocol(format!("{what} {amount} is not whole cents")))
}

fn period(row: &AnyRow) -> Result<PeriodRow> {
    Ok(PeriodRow {
        period: BudgetPeriod {
            id: row.try_get("id")?,
            first_day: date(row, "first_day")?,
            last_day: date(row, "last_day")?,
            description: row.try_get("description")?,
        },
        request_id: row.try_get("request_id")?,
        created_at: row.try_get("created_at")?,
    })
}

fn lumpsum(row: &AnyRow) -> Result<LumpsumRow> {
    let kind: String = row.try_get("key_kind")?;
    Ok(LumpsumRow {
        id: row.try_get("id")?,
        budget_period_id: row.try_get("budget_period_id")?,
        year: int(row, "year")?,
        amounts: LumpsumAmounts {
            base: cents(row, "base_cents")?,
            surcharge_percent: decimal(row, "surcharge_percent")?,
            surcharge: cents(row, "surcharge_cents")?,
        },
        key_year: int(row, "key_year")?,
        key_kind: KeyKind::from_code(&kind).ok_or_else(|| corrupt("key_kind", &kind))?,
        request_id: row.try_get("request_id")?,
        created_at: row.try_get("created_at")?,
    })
}

fn invoice(row: &AnyRow) -> Result<InvoiceRow> {
    let (year, number) = (int(row, "year")?, int(row, "quarter")?);
    let quarter = u32::try_from(number)
        .ok()
        .and_then(|n| Quarter::new(year, n))
        .ok_or_else(|| corrupt("quarter", &format!("{year}-{number}")))?;
    Ok(InvoiceRow {
        id: row.try_get("id")?,
        number: row.try_get("number")?,
        municipality_code: row.try_get("municipality_code")?,
        quarter,
        seq: row.try_get("seq")?,
        total: cents(row, "total_cents")?,
        request_id: row.try_get("request_id")?,
        issued_at: row.try_get("issued_at")?,
        lines: Vec::new(),
    })
}

fn line(row: &AnyRow) -> Result<(String, Line)> {
    let kind: String = row.try_get("kind")?;
    let unit: Option<i64> = row.try_get("unit_amount_cents")?;
    Ok((
        row.try_get("invoice_id")?,
        Line {
            kind: LineKind::from_code(&kind).ok_or_else(|| corrupt("kind", &kind))?,
            source: row.try_get("source")?,
            description: row.try_get("description")?,
            quantity: decimal(row, "quantity")?,
            unit_amount: unit.map(from_cents),
            amount: cents(row, "amount_cents")?,
            trace: row.try_get("trace")?,
            correction: row.try_get::<i64, _>("correction")? != 0,
        },
    ))
}

// ---------------------------------------------------------- budget periods

const PERIOD_COLUMNS: &str = "SELECT id, first_day, last_day, description, request_id, created_at FROM budget_periods";

/// Takes the budget-period guard for the rest of the transaction.
pub async fn lock_periods(conn: &mut AnyConnection) -> std::result::Result<(), sqlx::Error> {
    sqlx::query("UPDATE budget_period_guard SET version = version + 1 WHERE id = 1").execute(conn).await?;
    Ok(())
}

pub async fn insert_period(conn: &mut AnyConnection, p: &PeriodRow) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO budget_periods (id, first_day, last_day, description, request_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&p.period.id)
    .bind(p.period.first_day.to_string())
    .bind(p.period.last_day.to_string())
    .bind(&p.period.description)
    .bind(&p.request_id)
    .bind(&p.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

async fn period_where(conn: &mut AnyConnection, column: &str, value: &str) -> Result<Option<PeriodRow>> {
    let mut sql = Sql::new(PERIOD_COLUMNS);
    sql.push(" WHERE ").push(column).push(" = ").bind(value);
    sql.query().fetch_optional(conn).await?.as_ref().map(period).transpose()
}

pub async fn period_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<PeriodRow>> {
    period_where(conn, "id", id).await
}

pub async fn period_by_request_id(conn: &mut AnyConnection, request_id: &str) -> Result<Option<PeriodRow>> {
    period_where(conn, "request_id", request_id).await
}

/// Budget periods by first day, after the (first day, id) given.
pub async fn list_periods(
    conn: &mut AnyConnection,
    after: Option<&(NaiveDate, String)>,
    limit: i64,
) -> Result<Vec<PeriodRow>> {
    let mut sql = Sql::new(PERIOD_COLUMNS);
    if let Some((day, id)) = after {
        sql.push(" WHERE (first_day > ")
            .bind(*day)
            .push(" OR (first_day = ")
            .bind(*day)
            .push(" AND id > ")
            .bind(id)
            .push("))");
    }
    sql.push(" ORDER BY first_day, id LIMIT ").bind(limit);
    sql.query().fetch_all(conn).await?.iter().map(period).collect()
}

/// Every budget period (there are a handful).
pub async fn all_periods(conn: &mut AnyConnection) -> Result<Vec<BudgetPeriod>> {
    let rows = list_periods(conn, None, i64::MAX).await?;
    Ok(rows.into_iter().map(|r| r.period).collect())
}

// --------------------------------------------------------------- lumpsums

const LUMPSUM_COLUMNS: &str = "SELECT id, budget_period_id, year, base_cents, surcharge_percent, surcharge_cents, \
     key_year, key_kind, request_id, created_at FROM lumpsums";

pub async fn insert_lumpsum(conn: &mut AnyConnection, l: &LumpsumRow) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO lumpsums (id, budget_period_id, year, base_cents, surcharge_percent, surcharge_cents,
             key_year, key_kind, request_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&l.id)
    .bind(&l.budget_period_id)
    .bind(i64::from(l.year))
    .bind(to_stored_cents("base", l.amounts.base)?)
    .bind(l.amounts.surcharge_percent.normalize().to_string())
    .bind(to_stored_cents("surcharge", l.amounts.surcharge)?)
    .bind(i64::from(l.key_year))
    .bind(l.key_kind.code())
    .bind(&l.request_id)
    .bind(&l.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

async fn lumpsum_where(conn: &mut AnyConnection, column: &str, value: &str) -> Result<Option<LumpsumRow>> {
    let mut sql = Sql::new(LUMPSUM_COLUMNS);
    sql.push(" WHERE ").push(column).push(" = ").bind(value);
    sql.query().fetch_optional(conn).await?.as_ref().map(lumpsum).transpose()
}

pub async fn lumpsum_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<LumpsumRow>> {
    lumpsum_where(conn, "id", id).await
}

pub async fn lumpsum_by_request_id(conn: &mut AnyConnection, request_id: &str) -> Result<Option<LumpsumRow>> {
    lumpsum_where(conn, "request_id", request_id).await
}

/// Lumpsums by year, then id.
pub async fn list_lumpsums(conn: &mut AnyConnection, filter: &LumpsumFilter, limit: i64) -> Result<Vec<LumpsumRow>> {
    let mut sql = Sql::new(LUMPSUM_COLUMNS);
    sql.push(" WHERE 1 = 1");
    if let Some(period) = &filter.budget_period_id {
        sql.push(" AND budget_period_id = ").bind(period);
    }
    if let Some(year) = filter.year {
        sql.push(" AND year = ").bind(i64::from(year));
    }
    if let Some((year, id)) = &filter.after {
        let year = i64::from(*year);
        sql.push(" AND (year > ").bind(year).push(" OR (year = ").bind(year).push(" AND id > ").bind(id).push("))");
    }
    sql.push(" ORDER BY year, id LIMIT ").bind(limit);
    sql.query().fetch_all(conn).await?.iter().map(lumpsum).collect()
}

// --------------------------------------------------------------- invoices

const INVOICE_COLUMNS: &str = "SELECT id, number, municipality_code, year, quarter, seq, total_cents, request_id, \
     issued_at FROM invoices";

/// Inserts an invoice with its lines. Fails with a unique violation if the
/// invoice's (municipality, quarter, seq) or request id is taken.
pub async fn insert_invoice(conn: &mut AnyConnection, inv: &InvoiceRow) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO invoices (id, number, municipality_code, year, quarter, seq, total_cents, request_id, issued_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&inv.id)
    .bind(&inv.number)
    .bind(&inv.municipality_code)
    .bind(i64::from(inv.quarter.year))
    .bind(i64::from(inv.quarter.number))
    .bind(inv.seq)
    .bind(to_stored_cents("total", inv.total)?)
    .bind(&inv.request_id)
    .bind(&inv.issued_at)
    .execute(&mut *conn)
    .await?;
    for (index, l) in inv.lines.iter().enumerate() {
        let unit = l.unit_amount.map(|u| to_stored_cents("unit amount", u)).transpose()?;
        sqlx::query(
            "INSERT INTO invoice_lines (invoice_id, line_number, kind, source, description, quantity,
                 unit_amount_cents, amount_cents, trace, correction)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&inv.id)
        .bind(index as i64 + 1)
        .bind(l.kind.code())
        .bind(&l.source)
        .bind(&l.description)
        .bind(l.quantity.normalize().to_string())
        .bind(unit)
        .bind(to_stored_cents("amount", l.amount)?)
        .bind(&l.trace)
        .bind(i64::from(l.correction))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Fills in the lines of the invoices, in line-number order.
async fn with_lines(conn: &mut AnyConnection, mut invoices: Vec<InvoiceRow>) -> Result<Vec<InvoiceRow>> {
    if invoices.is_empty() {
        return Ok(invoices);
    }
    let mut sql = Sql::new(
        "SELECT invoice_id, line_number, kind, source, description, quantity, unit_amount_cents, amount_cents, \
         trace, correction FROM invoice_lines WHERE invoice_id IN ",
    );
    sql.bind_list(invoices.iter().map(|i| i.id.clone())).push(" ORDER BY invoice_id, line_number");
    for row in sql.query().fetch_all(conn).await? {
        let (invoice_id, l) = line(&row)?;
        if let Some(inv) = invoices.iter_mut().find(|i| i.id == invoice_id) {
            inv.lines.push(l);
        }
    }
    Ok(invoices)
}

async fn invoice_where(conn: &mut AnyConnection, column: &str, value: &str) -> Result<Option<InvoiceRow>> {
    let mut sql = Sql::new(INVOICE_COLUMNS);
    sql.push(" WHERE ").push(column).push(" = ").bind(value);
    let found = sql.query().fetch_optional(&mut *conn).await?.as_ref().map(invoice).transpose()?;
    Ok(with_lines(conn, found.into_iter().collect()).await?.pop())
}

pub async fn invoice_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<InvoiceRow>> {
    invoice_where(conn, "id", id).await
}

pub async fn invoice_by_request_id(conn: &mut AnyConnection, request_id: &str) -> Result<Option<InvoiceRow>> {
    invoice_where(conn, "request_id", request_id).await
}

/// Invoices with their lines, in issue order.
pub async fn list_invoices(conn: &mut AnyConnection, filter: &InvoiceFilter, limit: i64) -> Result<Vec<InvoiceRow>> {
    let mut sql = Sql::new(INVOICE_COLUMNS);
    sql.push(" WHERE 1 = 1");
    if let Some(codes) = &filter.municipality_codes {
        sql.push(" AND municipality_code IN ").bind_list(codes);
    }
    if let Some(year) = filter.year {
        sql.push(" AND year = ").bind(i64::from(year));
    }
    if let Some(q) = filter.quarter {
        sql.push(" AND year = ").bind(i64::from(q.year)).push(" AND quarter = ").bind(i64::from(q.number));
    }
    if let Some(after) = &filter.after {
        sql.push(" AND id > ").bind(after);
    }
    sql.push(" ORDER BY id LIMIT ").bind(limit);
    let rows: Vec<InvoiceRow> = sql.query().fetch_all(&mut *conn).await?.iter().map(invoice).collect::<Result<_>>()?;
    with_lines(conn, rows).await
}

/// The invoices of one municipality and quarter, in sequence.
pub async fn invoices_of_quarter(
    conn: &mut AnyConnection,
    municipality_code: &str,
    quarter: Quarter,
) -> Result<Vec<InvoiceRow>> {
    let filter = InvoiceFilter {
        municipality_codes: Some(vec![municipality_code.to_owned()]),
        quarter: Some(quarter),
        ..InvoiceFilter::default()
    };
    let mut invoices = list_invoices(conn, &filter, i64::MAX).await?;
    invoices.sort_by_key(|i| i.seq);
    Ok(invoices)
}
