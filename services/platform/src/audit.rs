//! The processing log (AVG *verwerkingenlogging*), kept by every service
//! with personal data in its own store: one record per request that read or
//! changed a person's data — who, which persons (candidate ids, never a
//! BSN), which RPC, read or change, why, when, and how it ended.
//!
//! The auth layer writes the record before the answer leaves the service,
//! so no personal data is handed out unlogged (if the log cannot be
//! written, the caller gets UNAVAILABLE instead of the data). A handler
//! whose change is written in a batch may commit the call's record with
//! the change instead (`Caller::success_record`, [`record_rows`]): one
//! durable commit per call, not two. The tables
//! are append-only: no API changes them, and a database trigger refuses
//! UPDATE and DELETE even to a misguided maintenance query.
//! An administrator reads the log through `partnership.audit.v1.AuditLogService`.

use chrono::{NaiveDate, SecondsFormat, Utc};
use partnership_proto::audit as pb;
use sqlx::Row;
use tonic::{Request, Response, Status};

use crate::batch::{BatchWrite, Batcher};
use crate::error::ServiceError;
use crate::fields;
use crate::store::{Backend, Db, JsonRows, Migration, Sql};

/// The audit tables as they were first made: a record's persons in a
/// table of their own, keyed by record, with an index by person.
const AUDIT_LOG: Migration = Migration {
    version: 9_000_001,
    name: "audit log",
    sql: "
        CREATE TABLE audit_log (
            id TEXT PRIMARY KEY,
            trace_id TEXT NOT NULL,
            span_id TEXT NOT NULL,
            service TEXT NOT NULL,
            operation TEXT NOT NULL,
            action TEXT NOT NULL,
            processing_activity TEXT NOT NULL,
            principal_kind TEXT NOT NULL,
            principal_id TEXT NOT NULL,
            status_code BIGINT NOT NULL,
            start_time TEXT NOT NULL,
            end_time TEXT NOT NULL
        );
        CREATE INDEX audit_log_by_start ON audit_log (start_time);
        CREATE TABLE audit_subjects (
            record_id TEXT NOT NULL REFERENCES audit_log (id),
            data_subject_id TEXT NOT NULL,
            PRIMARY KEY (record_id, data_subject_id)
        );
        CREATE INDEX audit_subjects_by_subject ON audit_subjects (data_subject_id, record_id);
    ",
};

/// A record's persons move into the record (`data_subject_ids`, a JSON
/// array, read with it), and `audit_by_subject` keeps only what finding a
/// person's records needs, keyed by person. A record of 10,000 persons (an
/// HR push, its BSN resolution) wrote 10,000 rows into three b-trees on
/// SQLite (the table, its key, the by-person index); now into one. The
/// records already written are carried over whole. The append-only
/// triggers are dropped for the move and made again by [`protect`].
const BY_PERSON_SQLITE: Migration = Migration {
    version: 9_000_002,
    name: "audit persons by person",
    sql: "
        DROP TRIGGER IF EXISTS audit_log_no_update;
        DROP TRIGGER IF EXISTS audit_subjects_no_update;
        DROP TRIGGER IF EXISTS audit_subjects_no_delete;
        ALTER TABLE audit_log ADD COLUMN data_subject_ids TEXT NOT NULL DEFAULT '[]';
        UPDATE audit_log
        SET data_subject_ids = (SELECT json_group_array(data_subject_id) FROM audit_subjects WHERE record_id = audit_log.id)
        WHERE id IN (SELECT record_id FROM audit_subjects);
        CREATE TABLE audit_by_subject (
            data_subject_id TEXT NOT NULL,
            record_id TEXT NOT NULL REFERENCES audit_log (id),
            PRIMARY KEY (data_subject_id, record_id)
        ) WITHOUT ROWID;
        INSERT INTO audit_by_subject (data_subject_id, record_id) SELECT data_subject_id, record_id FROM audit_subjects;
        DROP TABLE audit_subjects;
    ",
};

/// The same on PostgreSQL (its own trigger names and JSON aggregate; a
/// table there is a heap beside its key either way).
const BY_PERSON_POSTGRES: Migration = Migration {
    version: BY_PERSON_SQLITE.version,
    name: BY_PERSON_SQLITE.name,
    sql: "
        DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
        DROP TRIGGER IF EXISTS audit_subjects_append_only ON audit_subjects;
        ALTER TABLE audit_log ADD COLUMN data_subject_ids TEXT NOT NULL DEFAULT '[]';
        UPDATE audit_log SET data_subject_ids = s.ids
        FROM (SELECT record_id, CAST(json_agg(data_subject_id) AS TEXT) AS ids FROM audit_subjects GROUP BY record_id) AS s
        WHERE s.record_id = audit_log.id;
        CREATE TABLE audit_by_subject (
            data_subject_id TEXT NOT NULL,
            record_id TEXT NOT NULL REFERENCES audit_log (id),
            PRIMARY KEY (data_subject_id, record_id)
        );
        INSERT INTO audit_by_subject (data_subject_id, record_id) SELECT data_subject_id, record_id FROM audit_subjects;
        DROP TABLE audit_subjects;
    ",
};

/// The audit tables' migrations, in every service's store (versions far
/// above any service's own).
pub fn migrations(backend: Backend) -> &'static [Migration] {
    match backend {
        Backend::Sqlite => &[AUDIT_LOG, BY_PERSON_SQLITE],
        Backend::Postgres => &[AUDIT_LOG, BY_PERSON_POSTGRES],
    }
}

/// Makes the audit tables refuse UPDATE and DELETE (idempotent; run after
/// the migrations at every start).
pub async fn protect(db: &Db) -> Result<(), sqlx::Error> {
    let statements: &[&str] = match db.backend() {
        Backend::Sqlite => &[
            "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
            "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
            "CREATE TRIGGER IF NOT EXISTS audit_by_subject_no_update BEFORE UPDATE ON audit_by_subject
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
            "CREATE TRIGGER IF NOT EXISTS audit_by_subject_no_delete BEFORE DELETE ON audit_by_subject
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
        ],
        Backend::Postgres => &[
            "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
             $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
            "CREATE OR REPLACE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
             FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
            "CREATE OR REPLACE TRIGGER audit_by_subject_append_only BEFORE UPDATE OR DELETE ON audit_by_subject
             FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
        ],
    };
    let mut conn = db.pool().acquire().await?;
    for statement in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(*statement)).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Read or change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Change,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Change => "change",
        }
    }
}

/// One record, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub trace_id: String,
    pub span_id: String,
    pub service: String,
    pub operation: String,
    pub action: Action,
    pub processing_activity: String,
    pub principal_kind: String,
    pub principal_id: String,
    pub data_subject_ids: Vec<String>,
    pub status_code: i32,
    pub start_time: chrono::DateTime<Utc>,
    pub end_time: chrono::DateTime<Utc>,
}

/// A record with its id, ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: String,
    pub entry: AuditEntry,
}

impl AuditRecord {
    /// Ids are time-ordered (UUIDv7), so newest first is by id.
    pub fn new(entry: AuditEntry) -> Self {
        Self { id: uuid::Uuid::now_v7().to_string(), entry }
    }
}

/// What an administrator asks for.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub data_subject_id: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Records with an id below this one (the previous page's last).
    pub before: Option<String>,
}

/// A service's processing log.
#[derive(Clone, Debug)]
pub struct AuditLog {
    db: Db,
    service: &'static str,
    writer: Batcher<RecordWriter>,
}

/// The columns of a record.
const LOG_COLUMNS: &[&str] = &[
    "id", "trace_id", "span_id", "service", "operation", "action", "processing_activity", "principal_kind",
    "principal_id", "status_code", "start_time", "end_time", "data_subject_ids",
];
/// The most records one write carries.
const MAX_BATCH: usize = 512;

impl AuditLog {
    /// The log of `service` in `db`. Records are written by one task, as
    /// many at a time as are waiting: every request still waits for its
    /// record to be durable, but a hundred concurrent requests share a
    /// handful of statements and one commit instead of paying each.
    pub fn new(db: Db, service: &'static str) -> Self {
        let writer = Batcher::new(db.clone(), RecordWriter, MAX_BATCH);
        Self { db, service, writer }
    }

    pub fn service(&self) -> &'static str {
        self.service
    }

    /// Appends one record; returns its id once it is durable.
    pub async fn append(&self, entry: &AuditEntry) -> Result<String, sqlx::Error> {
        let record = AuditRecord::new(entry.clone());
        let id = record.id.clone();
        self.writer.write(record).await?;
        Ok(id)
    }

    /// Records matching `query`, newest first, at most `limit`.
    pub async fn list(&self, query: &AuditQuery, limit: i64) -> Result<Vec<pb::AuditRecord>, ServiceError> {
        let mut sql = Sql::new(
            "SELECT id, trace_id, span_id, service, operation, action, processing_activity, principal_kind,
                    principal_id, status_code, start_time, end_time, data_subject_ids
             FROM audit_log WHERE 1 = 1",
        );
        if let Some(subject) = &query.data_subject_id {
            sql.push(" AND id IN (SELECT record_id FROM audit_by_subject WHERE data_subject_id = ").bind(subject).push(")");
        }
        if let Some(from) = query.from {
            sql.push(" AND start_time >= ").bind(from.to_string());
        }
        if let Some(to) = query.to.and_then(|d| d.succ_opt()) {
            sql.push(" AND start_time < ").bind(to.to_string());
        }
        if let Some(before) = &query.before {
            sql.push(" AND id < ").bind(before);
        }
        sql.push(" ORDER BY id DESC LIMIT ").bind(limit);
        let rows = sql.query().fetch_all(self.db.pool()).await?;
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            let subjects: String = row.try_get("data_subject_ids")?;
            let mut data_subject_ids: Vec<String> = serde_json::from_str(&subjects)
                .map_err(|e| ServiceError::Internal(format!("an audit record's persons do not read back: {e}")))?;
            data_subject_ids.sort_unstable();
            records.push(pb::AuditRecord {
                id: row.try_get("id")?,
                trace_id: row.try_get("trace_id")?,
                span_id: row.try_get("span_id")?,
                service: row.try_get("service")?,
                operation: row.try_get("operation")?,
                action: row.try_get("action")?,
                processing_activity: row.try_get("processing_activity")?,
                principal_kind: row.try_get("principal_kind")?,
                principal_id: row.try_get("principal_id")?,
                data_subject_ids,
                status_code: i32::try_from(row.try_get::<i64, _>("status_code")?).unwrap_or(i32::MAX),
                start_time: row.try_get("start_time")?,
                end_time: row.try_get("end_time")?,
            });
        }
        Ok(records)
    }
}

/// The rows of records (the log's, the subjects'): two statements however
/// many records, each with its rows as one JSON parameter. For the log's
/// own batches, and for a handler that inserts them with its own rows in
/// one go ([`JsonRows::insert_all`]): a call's record committed with its
/// change (`Caller::success_record`).
pub fn record_rows(records: &[&AuditRecord]) -> [JsonRows; 2] {
    let time = |t: &chrono::DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Micros, true);
    let mut log = JsonRows::new("audit_log", LOG_COLUMNS, &["status_code"]);
    let mut subjects = JsonRows::new("audit_by_subject", &["data_subject_id", "record_id"], &[]);
    for AuditRecord { id, entry: e } in records {
        let (start, end) = (time(&e.start_time), time(&e.end_time));
        let subject_ids = serde_json::json!(e.data_subject_ids).to_string();
        log.push(&[
            id.into(),
            (&e.trace_id).into(),
            (&e.span_id).into(),
            (&e.service).into(),
            (&e.operation).into(),
            e.action.as_str().into(),
            (&e.processing_activity).into(),
            (&e.principal_kind).into(),
            (&e.principal_id).into(),
            i64::from(e.status_code).into(),
            (&start).into(),
            (&end).into(),
            (&subject_ids).into(),
        ]);
        for subject in &e.data_subject_ids {
            subjects.push(&[subject.into(), id.into()]);
        }
    }
    [log, subjects]
}

/// The log's writer: the records of concurrent calls, written together.
struct RecordWriter;

impl BatchWrite for RecordWriter {
    type Item = AuditRecord;

    fn rows(&self, records: &[AuditRecord]) -> Vec<JsonRows> {
        record_rows(&records.iter().collect::<Vec<_>>()).into()
    }
}

/// The gRPC face of a service's log.
pub struct AuditApi {
    log: AuditLog,
}

impl AuditApi {
    pub fn new(log: AuditLog) -> Self {
        Self { log }
    }

    pub fn server(self) -> pb::audit_log_service_server::AuditLogServiceServer<Self> {
        pb::audit_log_service_server::AuditLogServiceServer::new(self)
    }
}

/// The page size of ListAuditRecords when none is asked.
const DEFAULT_PAGE_SIZE: i64 = 100;

#[tonic::async_trait]
impl pb::audit_log_service_server::AuditLogService for AuditApi {
    async fn list_audit_records(
        &self,
        request: Request<pb::ListAuditRecordsRequest>,
    ) -> Result<Response<pb::ListAuditRecordsResponse>, Status> {
        let req = request.into_inner();
        let mut v = crate::Violations::new();
        let limit = v.check(fields::page_size(req.page_size, DEFAULT_PAGE_SIZE));
        let from = v.check(crate::dates::optional("from", req.from.as_ref()));
        let to = v.check(crate::dates::optional("to", req.to.as_ref()));
        if let (Some(Some(from)), Some(Some(to))) = (from, to)
            && to < from {
                v.add("to", "is before `from`");
            }
        v.finish()?;
        let (Some(limit), Some(from), Some(to)) = (limit, from, to) else { unreachable!("checked by finish") };
        let query = AuditQuery {
            data_subject_id: fields::optional(&req.data_subject_id),
            from,
            to,
            before: fields::optional(&req.page_token),
        };
        let mut records = self.log.list(&query, limit + 1).await?;
        let next_page_token = fields::next_page(&mut records, limit, |r| r.id.clone());
        Ok(Response::new(pb::ListAuditRecordsResponse { records, next_page_token }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(subjects: &[&str], start: &str) -> AuditEntry {
        let start: chrono::DateTime<Utc> = start.parse().unwrap();
        AuditEntry {
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
            span_id: "00f067aa0ba902b7".into(),
            service: "intake".into(),
            operation: "/partnership.intake.v1.IntakeService/GetCandidate".into(),
            action: Action::Read,
            processing_activity: "registratie".into(),
            principal_kind: "municipality".into(),
            principal_id: "municipality:1991".into(),
            data_subject_ids: subjects.iter().map(|s| s.to_string()).collect(),
            status_code: 0,
            start_time: start,
            end_time: start,
        }
    }

    #[tokio::test]
    async fn records_are_found_per_person_and_period_and_cannot_be_altered() {
        for store in crate::testing::test_stores("audit").await.unwrap() {
            let db = Db::connect(&store.url, &[]).await.unwrap();
            let log = AuditLog::new(db.clone(), "intake");
            log.append(&entry(&["c-1", "c-2"], "2026-01-10T10:00:00Z")).await.unwrap();
            log.append(&entry(&["c-2"], "2026-02-10T10:00:00Z")).await.unwrap();
            let many: Vec<String> = (0..450).map(|i| format!("m-{i}")).collect();
            let refs: Vec<&str> = many.iter().map(String::as_str).collect();
            log.append(&entry(&refs, "2026-03-10T10:00:00Z")).await.unwrap();

            let of_c2 = log.list(&AuditQuery { data_subject_id: Some("c-2".into()), ..Default::default() }, 10).await.unwrap();
            assert_eq!(of_c2.len(), 2);
            assert!(of_c2[0].start_time > of_c2[1].start_time, "newest first");
            assert_eq!(of_c2[1].data_subject_ids, ["c-1", "c-2"]);
            let january = AuditQuery {
                from: Some("2026-01-01".parse().unwrap()),
                to: Some("2026-01-31".parse().unwrap()),
                ..Default::default()
            };
            assert_eq!(log.list(&january, 10).await.unwrap().len(), 1);
            let all = log.list(&AuditQuery::default(), 10).await.unwrap();
            assert_eq!(all[0].data_subject_ids.len(), 450);

            // Concurrent records are written together, each one whole.
            let appends: Vec<_> = (0..100)
                .map(|i| {
                    let log = log.clone();
                    tokio::spawn(async move { log.append(&entry(&[&format!("p-{i}")], "2026-04-10T10:00:00Z")).await })
                })
                .collect();
            for append in appends {
                append.await.unwrap().unwrap();
            }
            let april = AuditQuery { from: Some("2026-04-01".parse().unwrap()), ..Default::default() };
            let records = log.list(&april, 1000).await.unwrap();
            assert_eq!(records.len(), 100);
            assert!(records.iter().all(|r| r.data_subject_ids.len() == 1 && r.data_subject_ids[0].starts_with("p-")));

            let mut conn = db.pool().acquire().await.unwrap();
            assert!(sqlx::query("UPDATE audit_log SET principal_id = 'x'").execute(&mut *conn).await.is_err());
            assert!(sqlx::query("DELETE FROM audit_by_subject").execute(&mut *conn).await.is_err());
            assert!(sqlx::query("DELETE FROM audit_log").execute(&mut *conn).await.is_err());
            assert_eq!(log.list(&AuditQuery::default(), 1000).await.unwrap().len(), 103);
        }
    }

    #[tokio::test]
    async fn records_written_before_the_persons_moved_are_carried_over_whole() {
        use sqlx::Connection;
        for store in crate::testing::test_stores("audit-move").await.unwrap() {
            // A store as the first audit migration left it, with two records.
            sqlx::any::install_default_drivers();
            let mut old = sqlx::AnyConnection::connect(&store.url).await.unwrap();
            sqlx::raw_sql(AUDIT_LOG.sql).execute(&mut old).await.unwrap();
            let setup = [
                "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
                "INSERT INTO schema_migrations VALUES (9000001, 'audit log', '2026-01-01T00:00:00Z')",
                "INSERT INTO audit_log VALUES ('r-1', 't', 's', 'intake', 'op', 'read', 'registratie', 'municipality',
                    'municipality:1991', 0, '2026-01-10T10:00:00Z', '2026-01-10T10:00:00Z')",
                "INSERT INTO audit_log VALUES ('r-2', 't', 's', 'intake', 'op', 'read', 'registratie', 'municipality',
                    'municipality:1991', 7, '2026-01-11T10:00:00Z', '2026-01-11T10:00:00Z')",
                "INSERT INTO audit_subjects VALUES ('r-1', 'c-2'), ('r-1', 'c-1')",
            ];
            for statement in setup {
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement)).execute(&mut old).await.unwrap();
            }
            old.close().await.unwrap();

            let db = Db::connect(&store.url, &[]).await.unwrap();
            let log = AuditLog::new(db.clone(), "intake");
            log.append(&entry(&["c-1"], "2026-02-10T10:00:00Z")).await.unwrap();
            let all = log.list(&AuditQuery::default(), 10).await.unwrap();
            let persons = |id: &str| all.iter().find(|r| r.id == id).map(|r| (r.data_subject_ids.clone(), r.status_code));
            assert_eq!(all.len(), 3, "{}", store.label);
            assert_eq!(persons("r-1"), Some((vec!["c-1".to_owned(), "c-2".to_owned()], 0)), "{}", store.label);
            assert_eq!(persons("r-2"), Some((vec![], 7)), "{}", store.label);
            let of_c1 = log.list(&AuditQuery { data_subject_id: Some("c-1".into()), ..Default::default() }, 10).await.unwrap();
            assert_eq!(of_c1.len(), 2, "the carried-over record and the new one, on {}", store.label);
            assert!(of_c1.iter().any(|r| r.id == "r-1"));

            let mut conn = db.pool().acquire().await.unwrap();
            assert!(sqlx::query("SELECT 1 FROM audit_subjects").fetch_all(&mut *conn).await.is_err(), "the old table is gone");
            assert!(sqlx::query("UPDATE audit_log SET data_subject_ids = '[]'").execute(&mut *conn).await.is_err());
            assert!(sqlx::query("DELETE FROM audit_by_subject").execute(&mut *conn).await.is_err());
        }
    }
}
