//! Employment's tables, and the only place with SQL for them.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use partnership_platform::store::{Backend, Cell, JSON_LIST, JsonRows, Sql, for_each_packed};
use partnership_platform::store::rows::{corrupt, date, opt_date, parsed_date};
use partnership_platform::tally;
use partnership_platform::{Migration, ServiceError};
use rust_decimal::Decimal;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::domain::contract::{
    Contract, ContractKind, Doelgroep, Loonwaarde, PwClassification, SoortPlaatsing, Uitstroomprofiel, WerkladderStep,
};
use crate::domain::figures::{BeschutContract, Completion, Counted, Period};
use crate::domain::trajectory::TrajectoryResult;
use crate::tallies;

pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "employment", sql: include_str!("../migrations/0001_employment.sql") },
    Migration { version: 2, name: "figure indexes", sql: include_str!("../migrations/0002_figure_indexes.sql") },
    Migration { version: 3, name: "one open trajectory", sql: include_str!("../migrations/0003_one_open_trajectory.sql") },
    Migration {
        version: 4,
        name: "contracts by municipality and dates",
        sql: include_str!("../migrations/0004_contracts_by_municipality_dates.sql"),
    },
    tally::tables(5),
    Migration { version: 6, name: "tallies of the stored facts", sql: include_str!("../migrations/0006_tally_backfill.sql") },
    tally::months_from_days(7),
    Migration { version: 8, name: "headcount per person", sql: include_str!("../migrations/0008_headcount_per_person.sql") },
    Migration { version: 9, name: "beschut contracts covered", sql: include_str!("../migrations/0009_beschut_contracts_covered.sql") },
    Migration { version: 10, name: "LKS facts covered", sql: include_str!("../migrations/0010_lks_facts_covered.sql") },
];

type Result<T> = std::result::Result<T, ServiceError>;

fn code<T>(row: &AnyRow, column: &str, parse: fn(&str) -> Option<T>) -> Result<Option<T>> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| parse(&t).ok_or_else(|| corrupt(column, &t))).transpose()
}

fn loonwaarde_of(text: Option<&str>) -> Result<Loonwaarde> {
    match text.unwrap_or_default() {
        "FORFAITAIR" => Ok(Loonwaarde::Forfaitair),
        text => Ok(Loonwaarde::Measured(text.parse().map_err(|_| corrupt("loonwaarde", text))?)),
    }
}

// --------------------------------------------------------------- contracts

const CONTRACT_COLUMNS: &str = "c.hr_contract_id, c.candidate_id, c.kind, c.start_date, c.end_date, c.hours_per_week, \
     c.municipality_code, c.soort_plaatsing, c.doelgroep, c.uitstroomprofiel, c.loonwaarde, c.werkladder_step";

/// The names of CONTRACT_COLUMNS, in its order.
const CONTRACT_FIELDS: [&str; 12] = [
    "hr_contract_id", "candidate_id", "kind", "start_date", "end_date", "hours_per_week", "municipality_code",
    "soort_plaatsing", "doelgroep", "uitstroomprofiel", "loonwaarde", "werkladder_step",
];

/// A contract's CONTRACT_COLUMNS as text (`None`: null), as a packed answer holds them.
type ContractCells = [Option<String>; 12];

fn contract(row: &AnyRow) -> Result<Contract> {
    let mut cells = ContractCells::default();
    for (cell, name) in cells.iter_mut().zip(CONTRACT_FIELDS) {
        *cell = row.try_get(name)?;
    }
    contract_of(cells)
}

/// The contract in its CONTRACT_COLUMNS cells.
fn contract_of(cells: ContractCells) -> Result<Contract> {
    let [id, candidate, kind, start, end, hours, municipality, soort, doelgroep, profiel, loonwaarde, step] = cells;
    fn required<T>(column: &str, text: Option<String>, parse: impl FnOnce(&str) -> Option<T>) -> Result<T> {
        let text = text.ok_or_else(|| corrupt(column, "NULL"))?;
        parse(&text).ok_or_else(|| corrupt(column, &text))
    }
    let pw = match soort {
        None => None,
        Some(soort) => Some(PwClassification {
            soort_plaatsing: required("soort_plaatsing", Some(soort), SoortPlaatsing::from_code)?,
            doelgroep: required("doelgroep", doelgroep, Doelgroep::from_code)?,
            uitstroomprofiel: required("uitstroomprofiel", profiel, Uitstroomprofiel::from_code)?,
            loonwaarde: loonwaarde_of(loonwaarde.as_deref())?,
            werkladder_step: required("werkladder_step", step, WerkladderStep::from_code)?,
        }),
    };
    Ok(Contract {
        hr_contract_id: required("hr_contract_id", id, |t| Some(t.to_owned()))?,
        candidate_id: required("candidate_id", candidate, |t| Some(t.to_owned()))?,
        kind: required("kind", kind, ContractKind::from_code)?,
        start_date: parsed_date("start_date", start.as_deref().ok_or_else(|| corrupt("start_date", "NULL"))?)?,
        end_date: end.map(|t| parsed_date("end_date", &t)).transpose()?,
        hours_per_week: required("hours_per_week", hours, |t| t.parse().ok())?,
        municipality_code: municipality,
        pw,
    })
}

/// The facts of a contract as bound values, in CONTRACT_COLUMNS order.
fn bind_contract(sql: &mut Sql, c: &Contract) {
    for (i, value) in contract_texts(c).into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        match value {
            Some(text) => sql.bind(text.into_owned()),
            None => sql.push("NULL"),
        };
    }
}

/// The facts of a contract as text, in CONTRACT_COLUMNS order (`None`:
/// null): what [`bind_contract`] binds and [`contract_rows`] writes.
fn contract_texts(c: &Contract) -> [Option<std::borrow::Cow<'_, str>>; 12] {
    use std::borrow::Cow;
    let pw = c.pw.as_ref();
    let loonwaarde = pw.map(|p| loonwaarde_text(&p.loonwaarde));
    let code = |code: Option<&'static str>| code.map(Cow::Borrowed);
    [
        Some(Cow::Borrowed(c.hr_contract_id.as_str())),
        Some(Cow::Borrowed(c.candidate_id.as_str())),
        Some(Cow::Borrowed(c.kind.code())),
        Some(Cow::Owned(c.start_date.to_string())),
        c.end_date.map(|d| Cow::Owned(d.to_string())),
        Some(Cow::Owned(c.hours_per_week.normalize().to_string())),
        c.municipality_code.as_deref().map(Cow::Borrowed),
        code(pw.map(|p| p.soort_plaatsing.code())),
        code(pw.map(|p| p.doelgroep.code())),
        code(pw.map(|p| p.uitstroomprofiel.code())),
        loonwaarde,
        code(pw.map(|p| p.werkladder_step.code())),
    ]
}

/// A loonwaarde as its column holds it.
fn loonwaarde_text(loonwaarde: &Loonwaarde) -> std::borrow::Cow<'static, str> {
    match loonwaarde {
        Loonwaarde::Forfaitair => "FORFAITAIR".into(),
        Loonwaarde::Measured(percent) => percent.normalize().to_string().into(),
    }
}

/// A PW classification as the text of its five columns joined by `|`: the
/// key the started dienstverbanden are kept under (`crate::tallies`;
/// migration 6 joins the same columns).
pub fn classification_key(pw: &PwClassification) -> String {
    [
        pw.soort_plaatsing.code(),
        pw.doelgroep.code(),
        pw.uitstroomprofiel.code(),
        &loonwaarde_text(&pw.loonwaarde),
        pw.werkladder_step.code(),
    ]
    .join("|")
}

/// A [`classification_key`] read back.
pub fn classification_of_key(key: &str) -> Result<PwClassification> {
    let bad = || corrupt("started tally key", key);
    let [soort, doelgroep, profiel, loonwaarde, step] = key.split('|').collect::<Vec<_>>()[..] else { return Err(bad()) };
    Ok(PwClassification {
        soort_plaatsing: SoortPlaatsing::from_code(soort).ok_or_else(bad)?,
        doelgroep: Doelgroep::from_code(doelgroep).ok_or_else(bad)?,
        uitstroomprofiel: Uitstroomprofiel::from_code(profiel).ok_or_else(bad)?,
        loonwaarde: loonwaarde_of(Some(loonwaarde))?,
        werkladder_step: WerkladderStep::from_code(step).ok_or_else(bad)?,
    })
}

/// The columns of a new contract row, CONTRACT_COLUMNS first.
const NEW_CONTRACT_COLUMNS: &[&str] = &[
    "hr_contract_id", "candidate_id", "kind", "start_date", "end_date", "hours_per_week", "municipality_code",
    "soort_plaatsing", "doelgroep", "uitstroomprofiel", "loonwaarde", "werkladder_step", "fingerprint", "version",
    "updated_at",
];

/// The stored contracts with these ids, with their version and fingerprint.
pub async fn contracts_by_ids(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<HashMap<String, (Contract, i64, String)>> {
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(JSON_LIST) {
        let mut sql = Sql::new(&format!(
            "SELECT {CONTRACT_COLUMNS}, c.version, c.fingerprint FROM contracts c WHERE c.hr_contract_id IN "
        ));
        sql.bind_json_list(Backend::of(conn), chunk);
        for row in sql.query().fetch_all(&mut *conn).await? {
            let c = contract(&row)?;
            found.insert(c.hr_contract_id.clone(), (c, row.try_get("version")?, row.try_get("fingerprint")?));
        }
    }
    Ok(found)
}

/// The version and fingerprint of each of these contracts that is stored.
pub async fn fingerprints_by_ids(conn: &mut AnyConnection, ids: &[String]) -> Result<HashMap<String, (i64, String)>> {
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(JSON_LIST) {
        let mut sql = Sql::new("SELECT hr_contract_id, version, fingerprint FROM contracts WHERE hr_contract_id IN ");
        sql.bind_json_list(Backend::of(conn), chunk);
        let rows = sql.fetch_packed::<(String, i64, String)>(conn, &["hr_contract_id", "version", "fingerprint"]).await?;
        found.extend(rows.into_iter().map(|(id, version, fingerprint)| (id, (version, fingerprint))));
    }
    Ok(found)
}

pub async fn insert_contract(conn: &mut AnyConnection, c: &Contract, fingerprint: &str, at: &str) -> Result<()> {
    insert_contracts(conn, &[(c.clone(), fingerprint.to_owned())], at).await
}

/// Rows per INSERT: they travel as one JSON parameter ([`JsonRows`]), so a
/// statement costs a round trip to SQLite's worker thread and nothing per
/// placeholder; the bound keeps one statement's text a few hundred KB.
const ROWS_PER_INSERT: usize = 2_000;

/// Inserts new contracts (with their fingerprints), many rows a statement.
pub async fn insert_contracts(conn: &mut AnyConnection, rows: &[(Contract, String)], at: &str) -> Result<()> {
    insert_rows(conn, &contract_rows(rows, at)).await
}

/// The rows of new contracts (with their fingerprints), [`ROWS_PER_INSERT`]
/// a statement, for [`JsonRows::insert_all`].
pub fn contract_rows(rows: &[(Contract, String)], at: &str) -> Vec<JsonRows> {
    let statement = |chunk: &[(Contract, String)]| {
        let mut insert = JsonRows::new("contracts", NEW_CONTRACT_COLUMNS, &["version"]);
        for (contract, fingerprint) in chunk {
            let texts = contract_texts(contract);
            let mut values: Vec<Cell> = texts.iter().map(|t| t.as_deref().into()).collect();
            values.extend([fingerprint.into(), Cell::Int(1), at.into()]);
            insert.push(&values);
        }
        insert
    };
    rows.chunks(ROWS_PER_INSERT).map(statement).collect()
}

/// Inserts rows built by the `*_rows` functions, in order (on SQLite in
/// one round trip).
pub async fn insert_rows(conn: &mut AnyConnection, rows: &[JsonRows]) -> Result<()> {
    JsonRows::insert_all(conn, &rows.iter().collect::<Vec<_>>()).await?;
    Ok(())
}

/// [`insert_rows`], answering how many rows were stored (those left out
/// on a conflict not counted).
pub async fn insert_rows_counting(conn: &mut AnyConnection, rows: &[JsonRows]) -> Result<u64> {
    Ok(JsonRows::insert_all_counting(conn, &rows.iter().collect::<Vec<_>>()).await?)
}

/// Replaces a contract with a new version, keeping the old one.
pub async fn replace_contract(
    conn: &mut AnyConnection,
    old: &Contract,
    old_version: i64,
    new: &Contract,
    fingerprint: &str,
    at: &str,
) -> Result<()> {
    let mut keep = Sql::new(&format!(
        "INSERT INTO contract_versions ({}, version, replaced_at) VALUES (",
        CONTRACT_COLUMNS.replace("c.", "")
    ));
    bind_contract(&mut keep, old);
    keep.push(", ").bind(old_version).push(", ").bind(at).push(")");
    keep.query().execute(&mut *conn).await?;
    let mut update = Sql::new(&format!(
        "UPDATE contracts SET ({}) = (",
        CONTRACT_COLUMNS.replace("c.", "")
    ));
    bind_contract(&mut update, new);
    update
        .push("), fingerprint = ")
        .bind(fingerprint)
        .push(", version = ")
        .bind(old_version + 1)
        .push(", updated_at = ")
        .bind(at)
        .push(" WHERE hr_contract_id = ")
        .bind(&new.hr_contract_id);
    update.query().execute(conn).await?;
    Ok(())
}

/// The earlier versions of a contract, oldest first.
pub async fn contract_versions(conn: &mut AnyConnection, id: &str) -> Result<Vec<(i64, Contract, String)>> {
    let mut sql = Sql::new(&format!(
        "SELECT {CONTRACT_COLUMNS}, c.version, c.replaced_at FROM contract_versions c WHERE c.hr_contract_id = "
    ));
    sql.bind(id).push(" ORDER BY c.version");
    let rows = sql.query().fetch_all(conn).await?;
    rows.iter().map(|row| Ok((row.try_get("version")?, contract(row)?, row.try_get("replaced_at")?))).collect()
}

/// Filters of a contract listing.
#[derive(Debug, Clone, Default)]
pub struct ContractFilter {
    /// Only this one contract.
    pub hr_contract_id: Option<String>,
    pub kind: Option<ContractKind>,
    pub municipality_codes: Option<Vec<String>>,
    pub active_from: Option<NaiveDate>,
    pub active_to: Option<NaiveDate>,
    pub after: Option<String>,
}

/// A contract as listed: facts, version, the trajectory it started.
#[derive(Debug, Clone)]
pub struct ListedContract {
    pub contract: Contract,
    pub version: i64,
    pub trajectory_id: Option<String>,
}

pub async fn list_contracts(conn: &mut AnyConnection, f: &ContractFilter, limit: Option<i64>) -> Result<Vec<ListedContract>> {
    let mut sql = Sql::new(&format!(
        "SELECT {CONTRACT_COLUMNS}, c.version, t.id AS trajectory_id FROM contracts c
         LEFT JOIN trajectories t ON t.hr_contract_id = c.hr_contract_id WHERE 1 = 1"
    ));
    if let Some(id) = &f.hr_contract_id {
        sql.push(" AND c.hr_contract_id = ").bind(id);
    }
    if let Some(kind) = f.kind {
        sql.push(" AND c.kind = ").bind(kind.code());
    }
    if let Some(codes) = &f.municipality_codes {
        // A page (with a limit) must be read in key order: with the bare
        // column SQLite picks the municipality index, then sorts every
        // match for every page, which makes paging through a national
        // listing quadratic. `|| ''` keeps NULL as NULL on both backends
        // but is no longer an indexable term, so the primary key is used.
        let column = if limit.is_some() { " AND (c.municipality_code || '') IN " } else { " AND c.municipality_code IN " };
        sql.push(column).bind_list(codes);
    }
    if let Some(from) = f.active_from {
        sql.push(" AND (c.end_date IS NULL OR c.end_date >= ").bind(from).push(")");
    }
    if let Some(to) = f.active_to {
        sql.push(" AND c.start_date <= ").bind(to);
    }
    if let Some(after) = &f.after {
        sql.push(" AND c.hr_contract_id > ").bind(after);
    }
    sql.push(" ORDER BY c.hr_contract_id");
    if let Some(limit) = limit {
        sql.push(" LIMIT ").bind(limit);
    }
    let rows = sql.query().fetch_all(conn).await?;
    rows.iter()
        .map(|row| {
            Ok(ListedContract {
                contract: contract(row)?,
                version: row.try_get("version")?,
                trajectory_id: row.try_get("trajectory_id")?,
            })
        })
        .collect()
}

// ----------------------------------------------------------------- figures
//
// The figures read only what can change them, and count in SQL what SQL
// can count: at national scale (half a million contracts) loading every
// contract of a scope into the service costs seconds per report.

/// `AND <alias>.municipality_code IN (…)` for a scope; `None` is the whole
/// partnership (contracts without a municipality included).
fn in_scope<'a>(sql: &'a mut Sql, alias: &str, codes: Option<&[String]>) -> &'a mut Sql {
    if let Some(codes) = codes {
        sql.push(&format!(" AND {alias}.municipality_code IN ")).bind_list(codes);
    }
    sql
}

/// `AND <alias>` runs on at least one day of `first..=last`.
fn running<'a>(sql: &'a mut Sql, alias: &str, first: NaiveDate, last: NaiveDate) -> &'a mut Sql {
    sql.push(&format!(" AND ({alias}.end_date IS NULL OR {alias}.end_date >= "))
        .bind(first)
        .push(&format!(") AND {alias}.start_date <= "))
        .bind(last)
}

/// The classifications of the PW contracts that started a dienstverband in
/// the period (they have a trajectory), with how many share each: the
/// figure kept on write (`crate::tallies::STARTED`).
pub async fn started_pw_classifications(
    conn: &mut AnyConnection,
    codes: Option<&[String]>,
    period: Period,
) -> Result<Vec<(PwClassification, u64)>> {
    let sums = tally::sums(conn, tallies::STARTED, "", codes, period.first, period.last).await?;
    tally::per_key(sums)
        .into_iter()
        .map(|(key, n)| Ok((classification_of_key(&key)?, counted(tallies::STARTED, n)?)))
        .collect()
}

/// A kept count as a number of things; a negative sum is a corrupt store.
fn counted(figure: &str, n: i64) -> Result<u64> {
    u64::try_from(n).map_err(|_| corrupt(figure, &n.to_string()))
}

/// (candidate, start, end) of the PW contracts running in `window` of the
/// persons who have such a contract starting or ending in `period`: only
/// they can flow in or out in the period (a merged spell starts on some
/// contract's start and ends on some contract's end), and their other
/// contracts in the window tell a renewal from a real start or end.
pub async fn pw_spells_changing(
    conn: &mut AnyConnection,
    codes: Option<&[String]>,
    window: Period,
    period: Period,
) -> Result<Vec<(String, NaiveDate, Option<NaiveDate>)>> {
    let mut sql = Sql::new("SELECT c.candidate_id, c.start_date, c.end_date FROM contracts c WHERE c.kind = 'PW'");
    running(&mut sql, "c", window.first, window.last);
    in_scope(&mut sql, "c", codes).push(" AND c.candidate_id IN (SELECT d.candidate_id FROM contracts d WHERE d.kind = 'PW'");
    running(&mut sql, "d", window.first, window.last);
    in_scope(&mut sql, "d", codes)
        .push(" AND ((d.start_date >= ")
        .bind(period.first)
        .push(" AND d.start_date <= ")
        .bind(period.last)
        .push(") OR (d.end_date >= ")
        .bind(period.first)
        .push(" AND d.end_date <= ")
        .bind(period.last)
        .push(")))");
    // Packed: tens of thousands of rows for the partnership at scale 100.
    let rows: Vec<(String, String, Option<String>)> = sql.fetch_packed(conn, &["candidate_id", "start_date", "end_date"]).await?;
    rows.into_iter()
        .map(|(candidate, start, end)| {
            Ok((candidate, parsed_date("start_date", &start)?, end.map(|e| parsed_date("end_date", &e)).transpose()?))
        })
        .collect()
}

/// PW contracts with the same LKS facts within a period: the paying
/// municipality, the days they run in it (cut to the period), hours,
/// doelgroep, the loonwaarde at the start and its later measurements.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LksGroup {
    pub paying_municipality_code: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub hours_per_week: Decimal,
    pub doelgroep: Doelgroep,
    pub loonwaarde: Loonwaarde,
    /// Oldest first; empty for contracts never measured since the start.
    pub measurements: Vec<(NaiveDate, Decimal)>,
    pub contracts: u64,
}

/// The PW contracts of `codes` running in `period` for LKS: those never
/// measured since their start counted per group (the many), those with
/// measurements one each with their id (the few; the caller adds the
/// measurements and groups them).
///
/// One statement, so one snapshot: every contract's facts, read from the
/// index on the municipality and dates, which holds them (migration 10: no
/// table row is read), and then the measured contracts again with their
/// ids, found from their measurements (a lookup per contract of whether it
/// has one took a fifth of the read at national volume). Those are taken
/// out of the groups here. The rows come packed and are grouped here, not
/// by `GROUP BY`: sorting the contracts on six text columns took SQLite
/// six times as long as reading them (scale 100: 140 ms against 28 ms for
/// 49,000 contracts, in the sqlite3 shell).
pub async fn lks_groups(
    conn: &mut AnyConnection,
    codes: &[String],
    period: Period,
) -> Result<(Vec<LksGroup>, Vec<(String, LksGroup)>)> {
    let facts = |sql: &mut Sql| {
        sql.push(" c.municipality_code, CASE WHEN c.start_date < ")
            .bind(period.first)
            .push(" THEN ")
            .bind(period.first)
            .push(" ELSE c.start_date END AS first_day, CASE WHEN c.end_date IS NULL OR c.end_date > ")
            .bind(period.last)
            .push(" THEN ")
            .bind(period.last)
            .push(" ELSE c.end_date END AS last_day, c.hours_per_week, c.doelgroep, c.loonwaarde");
    };
    let lks_contracts = |sql: &mut Sql| {
        sql.push(" AND c.kind = 'PW' AND c.soort_plaatsing IS NOT NULL");
        running(sql, "c", period.first, period.last);
        in_scope(sql, "c", Some(codes));
    };
    let mut sql = Sql::new("SELECT NULL AS measured,");
    facts(&mut sql);
    sql.push(" FROM contracts c WHERE 1 = 1");
    lks_contracts(&mut sql);
    // CROSS JOIN: SQLite walks the loonwaarde measurements (their own
    // index, `development_loonwaarde`: the kind a literal) and looks each
    // contract up by its key, instead of the other way round.
    sql.push(" UNION ALL SELECT DISTINCT c.hr_contract_id AS measured,");
    facts(&mut sql);
    sql.push(" FROM development_events e CROSS JOIN contracts c WHERE c.hr_contract_id = e.hr_contract_id AND e.kind = 'LOONWAARDE'");
    lks_contracts(&mut sql);
    let columns = ["measured", "municipality_code", "first_day", "last_day", "hours_per_week", "doelgroep", "loonwaarde"];
    let text = sql.fetch_packed_text(conn, &columns).await?;
    let mut groups: HashMap<LksFacts<'_>, i64> = HashMap::new();
    let mut measured = Vec::new();
    for_each_packed(&text, |(id, municipality, first_day, last_day, hours, doelgroep, loonwaarde): LksRow<'_>| {
        let facts = (municipality, first_day, last_day, hours, doelgroep, loonwaarde);
        match id {
            Some(id) => {
                *groups.entry(facts).or_default() -= 1;
                measured.push((id, facts));
            }
            None => *groups.entry(facts).or_default() += 1,
        }
    })?;
    let mut unmeasured = Vec::with_capacity(groups.len());
    for (facts, n) in &groups {
        let contracts = u64::try_from(*n).map_err(|_| corrupt("LKS contracts", "a measured contract among none"))?;
        if contracts > 0 {
            unmeasured.push(lks_group(facts, contracts)?);
        }
    }
    let measured = measured.iter().map(|(id, facts)| Ok((id.clone(), lks_group(facts, 1)?))).collect::<Result<_>>()?;
    Ok((unmeasured, measured))
}

/// A contract's LKS facts as stored (borrowed from the packed answer):
/// paying municipality, first and last day in the period, hours,
/// doelgroep, loonwaarde.
type LksFacts<'a> = (Option<&'a str>, &'a str, &'a str, &'a str, Option<&'a str>, Option<&'a str>);

/// An [`lks_groups`] row: the contract's id if it has measurements, and its facts.
type LksRow<'a> = (Option<String>, Option<&'a str>, &'a str, &'a str, &'a str, Option<&'a str>, Option<&'a str>);

fn lks_group(&(municipality, first_day, last_day, hours, doelgroep, loonwaarde): &LksFacts<'_>, contracts: u64) -> Result<LksGroup> {
    let doelgroep = doelgroep.ok_or_else(|| corrupt("doelgroep", "NULL"))?;
    Ok(LksGroup {
        paying_municipality_code: municipality.unwrap_or_default().to_owned(),
        first_day: parsed_date("first_day", first_day)?,
        last_day: parsed_date("last_day", last_day)?,
        hours_per_week: hours.parse().map_err(|_| corrupt("hours_per_week", hours))?,
        doelgroep: Doelgroep::from_code(doelgroep).ok_or_else(|| corrupt("doelgroep", doelgroep))?,
        loonwaarde: loonwaarde_of(loonwaarde)?,
        measurements: Vec::new(),
        contracts,
    })
}

/// `AND c` is a nieuw beschut PW contract running on a day of `span`, in
/// scope, of one of `candidates` if given. Kind and doelgroep are
/// literals: they imply the condition of the index that holds these
/// contracts (`contracts_beschut`), which a bound value would not.
fn running_beschut<'a>(sql: &'a mut Sql, backend: Backend, codes: Option<&[String]>, candidates: Option<&[String]>, span: Period) -> &'a mut Sql {
    sql.push(&format!(" AND c.kind = '{}' AND c.doelgroep = '{}'", ContractKind::Pw.code(), Doelgroep::NieuwBeschut.code()));
    running(sql, "c", span.first, span.last);
    in_scope(sql, "c", codes);
    if let Some(ids) = candidates {
        sql.push(" AND c.candidate_id IN ").bind_json_list(backend, ids);
    }
    sql
}

/// The candidate lists to ask for: every chunk of `candidates`, or one
/// pass over everybody.
fn candidate_chunks(candidates: Option<&[String]>) -> Vec<Option<&[String]>> {
    match candidates {
        None => vec![None],
        Some(ids) => ids.chunks(JSON_LIST).map(Some).collect(),
    }
}

/// The columns of a [`BeschutContract`], all in the index `contracts_beschut`.
const BESCHUT_COLUMNS: [&str; 7] =
    ["hr_contract_id", "candidate_id", "start_date", "end_date", "hours_per_week", "municipality_code", "werkladder_step"];

/// A [`BESCHUT_COLUMNS`] row of a packed answer: the ids owned (they may
/// hold escapes), codes, dates and hours borrowed.
type BeschutRow<'a> = (String, String, &'a str, Option<&'a str>, &'a str, Option<String>, Option<&'a str>);

/// Nieuw beschut PW contracts running on a day of `span` (of these
/// candidates only, if given), with only what the beschut figures need.
pub async fn running_beschut_contracts(
    conn: &mut AnyConnection,
    codes: Option<&[String]>,
    candidates: Option<&[String]>,
    span: Period,
) -> Result<Vec<BeschutContract>> {
    let mut contracts = Vec::new();
    let select = BESCHUT_COLUMNS.map(|column| format!("c.{column}")).join(", ");
    for chunk in candidate_chunks(candidates) {
        let mut sql = Sql::new(&format!("SELECT {select} FROM contracts c WHERE 1 = 1"));
        running_beschut(&mut sql, Backend::of(conn), codes, chunk, span);
        let text = sql.fetch_packed_text(conn, &BESCHUT_COLUMNS).await?;
        let mut bad = None;
        for_each_packed(&text, |row: BeschutRow<'_>| match beschut_contract(row) {
            Ok(contract) => contracts.push(contract),
            Err(e) => {
                bad.get_or_insert(e);
            }
        })?;
        if let Some(e) = bad {
            return Err(e);
        }
    }
    Ok(contracts)
}

fn beschut_contract((id, candidate, start, end, hours, municipality, step): BeschutRow<'_>) -> Result<BeschutContract> {
    let step = step.ok_or_else(|| corrupt("werkladder_step", "NULL"))?;
    Ok(BeschutContract {
        hr_contract_id: id,
        candidate_id: candidate,
        start_date: parsed_date("start_date", start)?,
        end_date: end.map(|t| parsed_date("end_date", t)).transpose()?,
        hours_per_week: hours.parse().map_err(|_| corrupt("hours_per_week", hours))?,
        municipality_code: municipality,
        werkladder_step: WerkladderStep::from_code(step).ok_or_else(|| corrupt("werkladder_step", step))?,
    })
}

/// The events of one kind of the contracts [`running_beschut_contracts`]
/// gives, by date: a join instead of a list of every contract's id.
pub async fn events_of_running_beschut(
    conn: &mut AnyConnection,
    kind: &str,
    codes: Option<&[String]>,
    candidates: Option<&[String]>,
    span: Period,
) -> Result<Vec<EventRow>> {
    let mut events = Vec::new();
    for chunk in candidate_chunks(candidates) {
        let mut sql = Sql::new(
            "SELECT e.id, e.hr_contract_id, e.effective_date, e.kind, e.value
             FROM development_events e JOIN contracts c ON c.hr_contract_id = e.hr_contract_id WHERE e.kind = ",
        );
        sql.bind(kind);
        running_beschut(&mut sql, Backend::of(conn), codes, chunk, span).push(" ORDER BY e.effective_date, e.recorded_at");
        for row in sql.query().fetch_all(&mut *conn).await? {
            events.push(event(&row)?);
        }
    }
    // A contract's events are all in one chunk (one candidate), already in
    // recording order; a stable sort by date keeps that order for ties.
    events.sort_by_key(|e| e.effective_date);
    Ok(events)
}

// ------------------------------------------------------------ trajectories

pub async fn insert_trajectory(conn: &mut AnyConnection, id: &str, candidate_id: &str, hr_contract_id: &str) -> Result<()> {
    insert_trajectories(conn, &[(id.to_owned(), candidate_id.to_owned(), hr_contract_id.to_owned())]).await
}

/// Inserts new trajectories: (id, candidate id, HR contract id).
pub async fn insert_trajectories(conn: &mut AnyConnection, rows: &[(String, String, String)]) -> Result<()> {
    insert_rows(conn, &trajectory_rows(rows)).await
}

/// The rows of new trajectories: (id, candidate id, HR contract id).
pub fn trajectory_rows(rows: &[(String, String, String)]) -> Vec<JsonRows> {
    let statement = |chunk: &[(String, String, String)]| {
        let mut insert = JsonRows::new("trajectories", &["id", "candidate_id", "hr_contract_id"], &[]);
        for (id, candidate, contract) in chunk {
            insert.push(&[id.into(), candidate.into(), contract.into()]);
        }
        insert
    };
    rows.chunks(ROWS_PER_INSERT).map(statement).collect()
}

/// The rows of trajectories a push opens: (id, candidate id, HR contract
/// id), in the push's order. A candidate keeps one open trajectory at a
/// time (`trajectories_one_open_per_candidate`): a row for a candidate who
/// has one open — stored, or opened by an earlier row of the same
/// transaction — is left out, so a renewal or a second contract opens none.
pub fn opened_trajectory_rows(rows: &[(String, String, String)]) -> Vec<JsonRows> {
    // The conflict target names that index: its column and its WHERE.
    let open = "(candidate_id) WHERE completion_date IS NULL";
    trajectory_rows(rows).into_iter().map(|insert| insert.skipping_conflicts_on(open)).collect()
}

/// A trajectory with the facts of the contract that started it.
#[derive(Debug, Clone)]
pub struct TrajectoryRow {
    pub id: String,
    pub contract: Contract,
    pub completion: Option<(NaiveDate, TrajectoryResult)>,
}

const TRAJECTORY_SELECT: &str = "SELECT t.id AS trajectory_id, t.completion_date, t.result, ";

fn trajectory(row: &AnyRow) -> Result<TrajectoryRow> {
    let completion = match (opt_date(row, "completion_date")?, code(row, "result", TrajectoryResult::from_code)?) {
        (Some(date), Some(result)) => Some((date, result)),
        _ => None,
    };
    Ok(TrajectoryRow { id: row.try_get("trajectory_id")?, contract: contract(row)?, completion })
}

/// Filters of a trajectory listing.
#[derive(Debug, Clone, Default)]
pub struct TrajectoryFilter {
    pub municipality_codes: Option<Vec<String>>,
    pub open_only: bool,
    /// Only those completed in this period.
    pub completed_in: Option<Period>,
    pub after: Option<String>,
}

pub async fn list_trajectories(conn: &mut AnyConnection, f: &TrajectoryFilter, limit: Option<i64>) -> Result<Vec<TrajectoryRow>> {
    let mut sql = Sql::new(TRAJECTORY_SELECT);
    sql.push(CONTRACT_COLUMNS).push(" FROM trajectories t JOIN contracts c ON c.hr_contract_id = t.hr_contract_id WHERE 1 = 1");
    if let Some(codes) = &f.municipality_codes {
        sql.push(" AND c.municipality_code IN ").bind_list(codes);
    }
    if f.open_only {
        sql.push(" AND t.completion_date IS NULL");
    }
    if let Some(period) = f.completed_in {
        sql.push(" AND t.completion_date >= ").bind(period.first).push(" AND t.completion_date <= ").bind(period.last);
    }
    if let Some(after) = &f.after {
        sql.push(" AND t.id > ").bind(after);
    }
    sql.push(" ORDER BY t.id");
    if let Some(limit) = limit {
        sql.push(" LIMIT ").bind(limit);
    }
    let rows = sql.query().fetch_all(conn).await?;
    rows.iter().map(trajectory).collect()
}

pub async fn trajectory_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<TrajectoryRow>> {
    let mut sql = Sql::new(TRAJECTORY_SELECT);
    sql.push(CONTRACT_COLUMNS)
        .push(" FROM trajectories t JOIN contracts c ON c.hr_contract_id = t.hr_contract_id WHERE t.id = ")
        .bind(id);
    sql.query().fetch_optional(conn).await?.as_ref().map(trajectory).transpose()
}

pub async fn complete_trajectory(conn: &mut AnyConnection, id: &str, date: NaiveDate, result: TrajectoryResult) -> Result<bool> {
    let done = sqlx::query("UPDATE trajectories SET completion_date = $1, result = $2 WHERE id = $3 AND completion_date IS NULL")
        .bind(date.to_string())
        .bind(result.code())
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Trajectories completed in the period, counted by result and by the
/// uitstroomprofiel of the contract that started them: the figure kept on
/// write (`crate::tallies::COMPLETED`).
pub async fn completions(conn: &mut AnyConnection, codes: Option<&[String]>, period: Period) -> Result<Vec<Completion>> {
    let sums = tally::sums(conn, tallies::COMPLETED, "", codes, period.first, period.last).await?;
    tally::per_key(sums)
        .into_iter()
        .map(|(key, n)| {
            let (result, uitstroomprofiel_at_start) = tallies::parse_completed_key(&key).ok_or_else(|| corrupt("completed tally key", &key))?;
            Ok(Completion { result, uitstroomprofiel_at_start, count: counted(tallies::COMPLETED, n)? })
        })
        .collect()
}

/// Of these values, those `column` of `table` holds (a key: one row each).
async fn present_among(conn: &mut AnyConnection, table: &str, column: &str, values: &[&str]) -> Result<HashSet<String>> {
    let backend = Backend::of(conn);
    let mut present = HashSet::with_capacity(values.len());
    for chunk in values.chunks(JSON_LIST) {
        let chunk: Vec<String> = chunk.iter().map(|v| (*v).to_owned()).collect();
        let mut sql = Sql::new(&format!("SELECT {column} FROM {table} WHERE {column} IN "));
        sql.bind_json_list(backend, &chunk);
        let rows: Vec<(String,)> = sql.fetch_packed(conn, &[column]).await?;
        present.extend(rows.into_iter().map(|(value,)| value));
    }
    Ok(present)
}

/// Of these trajectory ids, those stored.
pub async fn stored_trajectories(conn: &mut AnyConnection, ids: &[&str]) -> Result<HashSet<String>> {
    present_among(conn, "trajectories", "id", ids).await
}

/// The trajectories of these contracts: (HR contract id, trajectory id,
/// completion).
pub async fn trajectories_of_contracts(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<Vec<(String, String, Option<(NaiveDate, TrajectoryResult)>)>> {
    let backend = Backend::of(conn);
    let mut found = Vec::new();
    for chunk in ids.chunks(JSON_LIST) {
        let mut sql = Sql::new("SELECT hr_contract_id, id, completion_date, result FROM trajectories WHERE hr_contract_id IN ");
        sql.bind_json_list(backend, chunk);
        let rows: Vec<(String, String, Option<String>, Option<String>)> =
            sql.fetch_packed(conn, &["hr_contract_id", "id", "completion_date", "result"]).await?;
        for (contract, id, day, result) in rows {
            let completion = match (day, result) {
                (Some(day), Some(result)) => {
                    let result = TrajectoryResult::from_code(&result).ok_or_else(|| corrupt("result", &result))?;
                    Some((parsed_date("completion_date", &day)?, result))
                }
                _ => None,
            };
            found.push((contract, id, completion));
        }
    }
    Ok(found)
}

/// On PostgreSQL, takes the row lock of a trajectory's contract, so that a
/// push changing the contract and the trajectory's completion are kept on
/// write one after the other, each seeing the other's result. SQLite has
/// one writer anyway.
pub async fn lock_contract_of_trajectory(conn: &mut AnyConnection, id: &str) -> Result<()> {
    if Backend::of(conn) != Backend::Postgres {
        return Ok(());
    }
    sqlx::query("UPDATE contracts SET version = version WHERE hr_contract_id = (SELECT hr_contract_id FROM trajectories WHERE id = $1)")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

// --------------------------------------------------------------- headcount

/// Persons employed on the day per category, of those counted on write
/// (`crate::tallies::EMPLOYED`; the persons counted apart are not in it).
pub async fn employed_on(conn: &mut AnyConnection, codes: Option<&[String]>, on: NaiveDate) -> Result<Vec<(Counted, u64)>> {
    let sums = tally::sums(conn, tallies::EMPLOYED, "", codes, tally::beginning(), on).await?;
    tally::per_key(sums)
        .into_iter()
        .map(|(key, n)| Ok((Counted::from_code(&key).ok_or_else(|| corrupt("employed tally key", &key))?, counted(tallies::EMPLOYED, n)?)))
        .collect()
}

/// PW (inflow, outflow) in `first..=last`, which lie in one calendar year,
/// of those counted on write (`crate::tallies::PW_INFLOW`, `PW_OUTFLOW`).
pub async fn pw_flows_kept(conn: &mut AnyConnection, codes: Option<&[String]>, first: NaiveDate, last: NaiveDate) -> Result<(u64, u64)> {
    let year = chrono::Datelike::year(&first).to_string();
    let mut flows = [0, 0];
    for (figure, total) in [tallies::PW_INFLOW, tallies::PW_OUTFLOW].into_iter().zip(&mut flows) {
        let sums = tally::sums(conn, figure, &year, codes, first, last).await?;
        *total = counted(figure, tally::per_key(sums).into_values().sum())?;
    }
    Ok((flows[0], flows[1]))
}

/// Takes up to `limit` persons off the list of those not counted yet (in
/// the caller's transaction: they are back if it fails), after locking
/// them (see [`lock_persons`]). Only those this transaction took off are
/// answered: on PostgreSQL another counting may have taken some first.
pub async fn take_due(conn: &mut AnyConnection, limit: i64) -> Result<Vec<String>> {
    let mut first = Sql::new("SELECT candidate_id FROM headcount_due ORDER BY candidate_id LIMIT ");
    first.bind(limit);
    let due: Vec<(String,)> = first.fetch_packed(conn, &["candidate_id"]).await?;
    let due: Vec<String> = due.into_iter().map(|(id,)| id).collect();
    if due.is_empty() {
        return Ok(due);
    }
    lock_persons(conn, &due).await?;
    let mut taken = Sql::new("DELETE FROM headcount_due WHERE candidate_id IN ");
    taken.bind_json_list(Backend::of(conn), &due).push(" RETURNING candidate_id");
    let rows = taken.query().fetch_all(conn).await?;
    rows.iter().map(|row| Ok(row.try_get("candidate_id")?)).collect()
}

/// Whether any person is still to be counted.
pub async fn any_due(conn: &mut AnyConnection) -> Result<bool> {
    Ok(sqlx::query("SELECT candidate_id FROM headcount_due LIMIT 1").fetch_optional(conn).await?.is_some())
}

/// Of these persons, those not counted yet.
pub async fn due_among(conn: &mut AnyConnection, candidates: &[String]) -> Result<HashSet<String>> {
    if candidates.is_empty() || !any_due(conn).await? {
        return Ok(HashSet::new());
    }
    let candidates: Vec<&str> = candidates.iter().map(String::as_str).collect();
    present_among(conn, "headcount_due", "candidate_id", &candidates).await
}

/// On PostgreSQL, locks these persons until the transaction ends (advisory
/// locks, taken in one order), so that two changes of one person's
/// contracts are counted one after the other, each reading the other's
/// result. SQLite has one writer anyway.
pub async fn lock_persons(conn: &mut AnyConnection, candidates: &[String]) -> Result<()> {
    if Backend::of(conn) != Backend::Postgres || candidates.is_empty() {
        return Ok(());
    }
    let mut sorted = candidates.to_vec();
    sorted.sort_unstable();
    for chunk in sorted.chunks(JSON_LIST) {
        sqlx::query(
            "SELECT COUNT(pg_advisory_xact_lock(hashtextextended(v, 0)))
             FROM (SELECT v FROM jsonb_array_elements_text(CAST($1 AS jsonb)) AS v ORDER BY v) AS persons",
        )
        .bind(serde_json::Value::from(chunk.to_vec()).to_string())
        .fetch_one(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Writes which of these persons are counted apart, and in what: those
/// with categories get (or keep) a row, the others lose theirs.
pub async fn set_apart(conn: &mut AnyConnection, persons: &[(String, Vec<Counted>)]) -> Result<()> {
    let backend = Backend::of(conn);
    let (apart, not): (Vec<_>, Vec<_>) = persons.iter().partition(|(_, categories)| !categories.is_empty());
    for chunk in not.chunks(JSON_LIST) {
        let ids: Vec<String> = chunk.iter().map(|(id, _)| id.clone()).collect();
        let mut sql = Sql::new("DELETE FROM headcount_apart WHERE candidate_id IN ");
        sql.bind_json_list(backend, &ids);
        sql.query().execute(&mut *conn).await?;
    }
    let rows: Vec<JsonRows> = apart
        .chunks(ROWS_PER_INSERT)
        .map(|chunk| {
            let mut insert = JsonRows::new("headcount_apart", &["candidate_id", "categories"], &[])
                .replacing_on_conflict(&["candidate_id"], &["categories"]);
            for (id, categories) in chunk {
                let categories: Vec<&str> = categories.iter().map(|c| c.code()).collect();
                insert.push(&[id.into(), categories.join("|").as_str().into()]);
            }
            insert
        })
        .collect();
    insert_rows(conn, &rows).await
}

/// Every contract of these persons.
pub async fn contracts_of_candidates(conn: &mut AnyConnection, candidates: &[String]) -> Result<Vec<Contract>> {
    let backend = Backend::of(conn);
    let mut contracts = Vec::new();
    for chunk in candidates.chunks(JSON_LIST) {
        let mut sql = Sql::new(&format!("SELECT {CONTRACT_COLUMNS} FROM contracts c WHERE c.candidate_id IN "));
        sql.bind_json_list(backend, chunk);
        for cells in sql.fetch_packed::<ContractCells>(conn, &CONTRACT_FIELDS).await? {
            contracts.push(contract_of(cells)?);
        }
    }
    Ok(contracts)
}

/// The contracts in scope of the persons counted apart in some category,
/// with those categories (codes).
pub async fn apart_contracts(conn: &mut AnyConnection, codes: Option<&[String]>) -> Result<Vec<(Vec<Counted>, Contract)>> {
    // CROSS JOIN: SQLite reads the few persons apart first (else it may
    // scan every contract to look each one up), PostgreSQL plans it as
    // any join.
    let mut sql = Sql::new(&format!(
        "SELECT p.categories, {CONTRACT_COLUMNS} FROM headcount_apart p CROSS JOIN contracts c WHERE c.candidate_id = p.candidate_id"
    ));
    in_scope(&mut sql, "c", codes);
    let mut fields = vec!["categories"];
    fields.extend(CONTRACT_FIELDS);
    let rows: Vec<Vec<Option<String>>> = sql.fetch_packed(conn, &fields).await?;
    rows.into_iter()
        .map(|mut cells| {
            let text = cells.remove(0).unwrap_or_default();
            let apart = text.split('|').map(|code| Counted::from_code(code).ok_or_else(|| corrupt("headcount_apart.categories", &text))).collect::<Result<_>>()?;
            let cells: ContractCells = cells.try_into().map_err(|_| corrupt("apart contract", "columns"))?;
            Ok((apart, contract_of(cells)?))
        })
        .collect()
}

// ------------------------------------------------------------- development

/// A development event as stored: kind and value are codes or decimals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub id: String,
    pub hr_contract_id: String,
    pub effective_date: NaiveDate,
    pub kind: String,
    pub value: String,
}

pub async fn insert_event(conn: &mut AnyConnection, e: &EventRow, request_id: Option<&str>, at: &str) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO development_events (id, hr_contract_id, effective_date, kind, value, request_id, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&e.id)
    .bind(&e.hr_contract_id)
    .bind(e.effective_date.to_string())
    .bind(&e.kind)
    .bind(&e.value)
    .bind(request_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

fn event(row: &AnyRow) -> Result<EventRow> {
    Ok(EventRow {
        id: row.try_get("id")?,
        hr_contract_id: row.try_get("hr_contract_id")?,
        effective_date: date(row, "effective_date")?,
        kind: row.try_get("kind")?,
        value: row.try_get("value")?,
    })
}

pub async fn event_by_request_id(conn: &mut AnyConnection, request_id: &str) -> Result<Option<EventRow>> {
    let row = sqlx::query("SELECT id, hr_contract_id, effective_date, kind, value FROM development_events WHERE request_id = $1")
        .bind(request_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(event).transpose()
}

/// Every event of one kind, for the given contracts (all if `None`), by date.
pub async fn events_of_kind(conn: &mut AnyConnection, kind: &str, contracts: Option<&[String]>) -> Result<Vec<EventRow>> {
    let mut rows = Vec::new();
    let chunks: Vec<Option<&[String]>> = match contracts {
        None => vec![None],
        Some(ids) => ids.chunks(JSON_LIST).map(Some).collect(),
    };
    for chunk in chunks {
        let mut sql = Sql::new("SELECT id, hr_contract_id, effective_date, kind, value FROM development_events WHERE kind = ");
        sql.bind(kind);
        if let Some(ids) = chunk {
            sql.push(" AND hr_contract_id IN ").bind_json_list(Backend::of(conn), ids);
        }
        sql.push(" ORDER BY effective_date, recorded_at");
        for row in sql.query().fetch_all(&mut *conn).await? {
            rows.push(event(&row)?);
        }
    }
    Ok(rows)
}

/// Every event of one kind of the contracts with ids from `first` to
/// `last` (both included), by date: one range read of the index for a
/// page of a listing (in id order) instead of a list of every id.
pub async fn events_of_kind_between(conn: &mut AnyConnection, kind: &str, first: &str, last: &str) -> Result<Vec<EventRow>> {
    let mut sql = Sql::new("SELECT id, hr_contract_id, effective_date, kind, value FROM development_events WHERE hr_contract_id >= ");
    sql.bind(first).push(" AND hr_contract_id <= ").bind(last).push(" AND kind = ").bind(kind);
    sql.push(" ORDER BY effective_date, recorded_at");
    sql.query().fetch_all(conn).await?.iter().map(event).collect()
}

// -------------------------------------------------------------- activities

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRow {
    pub id: String,
    pub kind: String,
    pub candidate_id: Option<String>,
    pub municipality_code: String,
    pub date: NaiveDate,
}

pub async fn insert_activity(conn: &mut AnyConnection, a: &ActivityRow, request_id: Option<&str>, at: &str) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO activities (id, kind, candidate_id, municipality_code, activity_date, request_id, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&a.id)
    .bind(&a.kind)
    .bind(&a.candidate_id)
    .bind(&a.municipality_code)
    .bind(a.date.to_string())
    .bind(request_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn activity_by_request_id(conn: &mut AnyConnection, request_id: &str) -> Result<Option<ActivityRow>> {
    let row = sqlx::query(
        "SELECT id, kind, candidate_id, municipality_code, activity_date FROM activities WHERE request_id = $1",
    )
    .bind(request_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref()
        .map(|row| {
            Ok(ActivityRow {
                id: row.try_get("id")?,
                kind: row.try_get("kind")?,
                candidate_id: row.try_get("candidate_id")?,
                municipality_code: row.try_get("municipality_code")?,
                date: date(row, "activity_date")?,
            })
        })
        .transpose()
}

/// Activities per kind in the period: the figure kept on write
/// (`crate::tallies::ACTIVITIES`).
pub async fn activity_counts(conn: &mut AnyConnection, codes: Option<&[String]>, period: Period) -> Result<Vec<(String, u64)>> {
    let sums = tally::sums(conn, tallies::ACTIVITIES, "", codes, period.first, period.last).await?;
    tally::per_key(sums).into_iter().map(|(kind, n)| Ok((kind, counted(tallies::ACTIVITIES, n)?))).collect()
}

// ------------------------------------------------------------------ outbox

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: String,
    pub hr_contract_id: String,
    pub candidate_id: String,
    pub effective_date: NaiveDate,
    pub attempts: i64,
}

pub async fn insert_outbox(conn: &mut AnyConnection, m: &OutboxRow, at: &str) -> Result<()> {
    insert_outbox_rows(conn, std::slice::from_ref(m), at).await
}

/// Inserts outbox messages, many rows a statement.
pub async fn insert_outbox_rows(conn: &mut AnyConnection, rows: &[OutboxRow], at: &str) -> Result<()> {
    insert_rows(conn, &outbox_rows(rows, at)).await
}

/// The rows of new outbox messages.
pub fn outbox_rows(rows: &[OutboxRow], at: &str) -> Vec<JsonRows> {
    let columns = &["id", "hr_contract_id", "candidate_id", "effective_date", "created_at", "attempts"];
    let statement = |chunk: &[OutboxRow]| {
        let mut insert = JsonRows::new("outbox", columns, &["attempts"]);
        for m in chunk {
            let effective_date = m.effective_date.to_string();
            insert.push(&[(&m.id).into(), (&m.hr_contract_id).into(), (&m.candidate_id).into(), (&effective_date).into(), at.into(), Cell::Int(0)]);
        }
        insert
    };
    rows.chunks(ROWS_PER_INSERT).map(statement).collect()
}

/// Undelivered messages whose date has come, oldest first.
pub async fn pending_outbox(conn: &mut AnyConnection, today: NaiveDate, limit: i64) -> Result<Vec<OutboxRow>> {
    let rows = sqlx::query(
        "SELECT id, hr_contract_id, candidate_id, effective_date, attempts FROM outbox
         WHERE delivered_at IS NULL AND effective_date <= $1 ORDER BY created_at, id LIMIT $2",
    )
    .bind(today.to_string())
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(OutboxRow {
                id: row.try_get("id")?,
                hr_contract_id: row.try_get("hr_contract_id")?,
                candidate_id: row.try_get("candidate_id")?,
                effective_date: date(row, "effective_date")?,
                attempts: row.try_get("attempts")?,
            })
        })
        .collect()
}

pub async fn mark_delivered(conn: &mut AnyConnection, id: &str, result: &str, at: &str) -> Result<()> {
    sqlx::query("UPDATE outbox SET delivered_at = $1, result = $2, attempts = attempts + 1 WHERE id = $3")
        .bind(at)
        .bind(result)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn mark_failed_attempt(conn: &mut AnyConnection, id: &str, error: &str) -> Result<()> {
    sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = $1 WHERE id = $2")
        .bind(error)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// (delivered, pending) message counts.
pub async fn outbox_counts(conn: &mut AnyConnection) -> Result<(u64, u64)> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(CASE WHEN delivered_at IS NULL THEN 0 ELSE 1 END), 0) AS BIGINT) AS delivered,
                CAST(COALESCE(SUM(CASE WHEN delivered_at IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS pending
         FROM outbox",
    )
    .fetch_one(conn)
    .await?;
    Ok((row.try_get::<i64, _>("delivered")? as u64, row.try_get::<i64, _>("pending")? as u64))
}
