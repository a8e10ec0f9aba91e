//! The HR push: a batch of contracts upserted idempotently. Each contract
//! is checked on its own; the good ones are stored together in one
//! transaction with what they cause — a trajectory for a new PW
//! dienstverband, and an outbox message for intake — so nothing is half
//! applied and nothing acknowledged is lost.

use std::collections::{HashMap, HashSet};

use partnership_platform::auth::Caller;
use partnership_platform::store::JsonRows;
use partnership_platform::tally::Tallies;
use partnership_platform::{ServiceError, peer};
use partnership_proto::common as cpb;
use partnership_proto::intake as ipb;

use crate::Employment;
use crate::domain::contract::{Contract, ContractKind, Rejection, check};
use crate::store::{self, OutboxRow};
use crate::{headcount, tallies};

/// The most contracts one push may carry.
pub const MAX_PUSH: usize = 10_000;

/// The largest push request taken, in bytes: room for [`MAX_PUSH`]
/// contracts (more than tonic's default 4 MiB).
pub const MAX_PUSH_BYTES: usize = 64 << 20;

/// A decoded contract and the BSN it names (not stored).
#[derive(Debug, Clone)]
pub struct Pushed {
    pub bsn: String,
    /// The facts; `candidate_id` is filled in from the BSN.
    pub contract: Contract,
}

/// What happened to one contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    Rejected(Rejection),
}

/// A batch checked, resolved and planned on read connections: what its
/// write phase needs ([`Employment::store`]). A batch of a stream is
/// prepared while the one before it is written; should that one change a
/// contract this plan saw, the write meets a key and fails as ABORTED,
/// storing nothing (see [`Employment::store`]).
pub struct Prepared {
    plan: Plan,
    at: String,
}

/// The answer to a push.
#[derive(Debug)]
pub struct PushResult {
    /// One outcome per contract, in order.
    pub outcomes: Vec<(String, Outcome)>,
}

/// The request id intake knows a contract's outcome by.
pub fn outcome_request_id(hr_contract_id: &str) -> String {
    format!("employment-contract:{hr_contract_id}")
}

impl Employment {
    /// Upserts the batch. `items` holds, per contract, the decoded contract
    /// or why it could not be decoded; the answer has one outcome per item,
    /// and the candidates the stored contracts belong to. With `audited`,
    /// those candidates are the call's data subjects and its audit record
    /// is committed with the contracts (see `Caller::success_record`).
    pub async fn push(&self, items: Vec<(String, Result<Pushed, Rejection>)>, audited: Option<&Caller>) -> Result<PushResult, ServiceError> {
        let prepared = self.prepare(items, audited).await?;
        self.store(prepared, audited).await
    }

    /// The first phase of a push, which writes nothing: each contract
    /// checked, the BSNs resolved by intake, what is stored of these
    /// contracts read, and the writes planned. With `audited`, the
    /// candidates of the contracts to be stored are noted as its persons.
    pub async fn prepare(&self, items: Vec<(String, Result<Pushed, Rejection>)>, audited: Option<&Caller>) -> Result<Prepared, ServiceError> {
        let known = self.known_municipalities().await?;
        let mut checked: Vec<(String, Result<Pushed, Rejection>)> = items
            .into_iter()
            .map(|(id, item)| {
                let item = item.and_then(|p| {
                    check(&p.contract)?;
                    match &p.contract.municipality_code {
                        Some(code) if !known.contains(code) => {
                            let field = if p.contract.kind == ContractKind::Pw { "pw.paying_municipality_code" } else { "municipality_code" };
                            Err(Rejection::new(field, format!("{code} is not a municipality of the partnership")))
                        }
                        _ => Ok(p),
                    }
                });
                (id, item)
            })
            .collect();

        let bsns: Vec<String> = checked
            .iter()
            .filter_map(|(_, item)| item.as_ref().ok().map(|p| p.bsn.clone()))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        // What is stored of these contracts is read while intake resolves.
        let ids: Vec<String> = checked.iter().filter(|(_, i)| i.is_ok()).map(|(id, _)| id.clone()).collect();
        let (candidates, stored) = tokio::try_join!(self.resolve(&bsns), self.stored_fingerprints(&ids))?;
        for (_, item) in checked.iter_mut() {
            if let Ok(pushed) = item {
                match candidates.get(&pushed.bsn) {
                    Some(id) => pushed.contract.candidate_id = id.clone(),
                    None => *item = Err(Rejection::new("bsn", "no candidate with this BSN in intake")),
                }
            }
        }
        // The candidates whose contracts are stored (created, updated or unchanged).
        if let Some(caller) = audited {
            caller.touched_all(checked.iter().filter_map(|(_, i)| i.as_ref().ok().map(|p| p.contract.candidate_id.as_str())));
        }
        let at = crate::now();
        let mut conn = self.db.pool().acquire().await?;
        let plan = Plan::make(&mut conn, checked, &stored, &at).await?;
        Ok(Prepared { plan, at })
    }

    /// The second phase: the planned writes in one transaction, with the
    /// call's audit record (`audited`, the caller given to
    /// [`Employment::prepare`]).
    pub async fn store(&self, prepared: Prepared, audited: Option<&Caller>) -> Result<PushResult, ServiceError> {
        let outcomes = self.write_plan(prepared, audited).await?;
        self.outbox_wake.notify_one();
        Ok(PushResult { outcomes })
    }

    /// The candidate ids of these BSNs, through intake.
    async fn resolve(&self, bsns: &[String]) -> Result<HashMap<String, String>, ServiceError> {
        let mut found = HashMap::with_capacity(bsns.len());
        for chunk in bsns.chunks(MAX_PUSH) {
            let request = ipb::BatchResolveCandidatesRequest { bsns: chunk.to_vec() };
            let answer = self
                .intake
                .clone()
                .batch_resolve_candidates(peer::request(request, peer::DEFAULT_DEADLINE))
                .await
                .map_err(|status| unavailable("resolving BSNs", &status))?;
            for r in answer.into_inner().resolutions.into_iter().filter(|r| !r.candidate_id.is_empty()) {
                found.insert(r.bsn, r.candidate_id);
            }
        }
        Ok(found)
    }

    /// The version and fingerprint of each of these contracts that is stored.
    async fn stored_fingerprints(&self, ids: &[String]) -> Result<Fingerprints, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(store::fingerprints_by_ids(&mut conn, ids).await?)
    }

    /// Every municipality code of the partnership, from intake.
    pub(crate) async fn known_municipalities(&self) -> Result<HashSet<String>, ServiceError> {
        let scope = cpb::Scope { level: cpb::ScopeLevel::Partnership as i32, code: String::new() };
        self.scope_codes(scope).await.map(|codes| codes.into_iter().collect())
    }

    /// The municipality codes of a scope, from intake.
    pub(crate) async fn scope_codes(&self, scope: cpb::Scope) -> Result<Vec<String>, ServiceError> {
        self.scopes.resolve(scope).await
    }

    /// Writes a prepared batch. The plan — what is stored now, each
    /// contract's outcome, the rows to write — was made on a read
    /// connection, so another push could hold the one write connection
    /// meanwhile; the write phase only writes. A change another push
    /// commits in between cannot be overwritten unseen: a contract planned
    /// as new meets its primary key, a replaced version meets
    /// `contract_versions`' key, and either fails the whole push as ABORTED
    /// (nothing stored; push again). Whether a candidate has an open
    /// trajectory is decided by the store as the trajectory is written, so
    /// one opened or completed in between counts. The push commits without
    /// waiting for pushes queued behind it (`WriteTx::commit_promptly`).
    async fn write_plan(&self, prepared: Prepared, audited: Option<&Caller>) -> Result<Vec<(String, Outcome)>, ServiceError> {
        let Prepared { plan, at: now } = prepared;
        let mut tx = self.db.begin_write().await?;
        // The changed persons' contracts as they were, for the headcount.
        store::lock_persons(tx.conn(), &plan.changed_persons).await?;
        let before = store::contracts_of_candidates(tx.conn(), &plan.changed_persons).await?;
        let due = store::due_among(tx.conn(), &plan.changed_persons).await?;
        // Consecutive inserts travel together (on SQLite, one round trip).
        let mut inserts: Vec<JsonRows> = Vec::new();
        let mut replaced: Vec<(Contract, Contract)> = Vec::new();
        for step in plan.steps {
            match step {
                Step::Insert(rows) => inserts.extend(rows),
                Step::Replace { old, version, new, fingerprint } => {
                    store::insert_rows(tx.conn(), &std::mem::take(&mut inserts)).await?;
                    store::replace_contract(tx.conn(), &old, version, &new, &fingerprint, &now).await?;
                    replaced.push((old, new));
                }
            }
        }
        let opened: Vec<(String, String, String)> =
            plan.became_pw.iter().map(|m| (crate::new_id(), m.candidate_id.clone(), m.hr_contract_id.clone())).collect();
        // The contracts are written (on SQLite's thread) while the rows of
        // what they cause, and the change to the headcount, are made.
        // What the trajectories count is made as if every one meant is
        // opened, and made again below if the store left some out.
        let (written, (caused, (headcount, apart), if_all_opened)) = tokio::join!(store::insert_rows(tx.conn(), &inserts), async {
            let caused = caused_rows(&opened, &plan.became_pw, audited, &now);
            let headcount = headcount::push_changed(&plan.changed_persons, &before, &plan.created, &replaced, &due);
            (caused, headcount, opened_figures(&opened, &plan.pw_contracts, |_| true))
        });
        written?;
        let (trajectories, others) = caused;
        let all_opened = store::insert_rows_counting(tx.conn(), &trajectories).await? == opened.len() as u64;
        store::insert_rows(tx.conn(), &others).await?;
        let meant: Vec<&str> = opened.iter().map(|(id, _, _)| id.as_str()).collect();
        let mut kept = if all_opened {
            if_all_opened
        } else {
            let stored = store::stored_trajectories(tx.conn(), &meant).await?;
            opened_figures(&opened, &plan.pw_contracts, |id| stored.contains(id))
        };
        kept.extend(moved_figures(tx.conn(), &replaced, &meant).await?);
        kept.extend(headcount);
        store::set_apart(tx.conn(), &apart).await?;
        kept.write(tx.conn()).await?;
        tx.commit_promptly().await?;
        audited.into_iter().for_each(Caller::record_committed);
        Ok(plan.outcomes)
    }
}

/// The rows of what the pushed contracts cause: a PW dienstverband at IBN
/// starts a development trajectory (`opened`: id, candidate, contract)
/// unless one is still open (the store leaves those out, see
/// `store::opened_trajectory_rows`); and the others: intake is told
/// (outbox), and the call's audit record, if it is audited.
fn caused_rows(
    opened: &[(String, String, String)],
    became_pw: &[OutboxRow],
    audited: Option<&Caller>,
    now: &str,
) -> (Vec<JsonRows>, Vec<JsonRows>) {
    let mut others = store::outbox_rows(became_pw, now);
    let record = audited.and_then(Caller::success_record);
    others.extend(record.as_ref().map(|r| partnership_platform::audit::record_rows(&[r])).into_iter().flatten());
    (store::opened_trajectory_rows(opened), others)
}

/// What the trajectories the push opened count (`crate::tallies`), each
/// with its contract as pushed (`pw_contracts`, the last version of each
/// contract that became PW); `stored` says whether a trajectory the push
/// meant to open was stored (the store leaves out those of persons with
/// one open).
fn opened_figures(opened: &[(String, String, String)], pw_contracts: &HashMap<String, Contract>, stored: impl Fn(&str) -> bool) -> Tallies {
    let mut kept = Tallies::new();
    for (id, _, contract_id) in opened {
        if let (true, Some(contract)) = (stored(id), pw_contracts.get(contract_id)) {
            tallies::trajectory(&mut kept, contract, None, 1);
        }
    }
    kept
}

/// What the push's changed contracts move of what their stored
/// trajectories (not those it meant to open, `meant`) count: from the old
/// contract to the new, with the completion as stored now — read after
/// the contract's row was written, so a completion committed meanwhile is
/// seen (see `store::lock_contract_of_trajectory`).
async fn moved_figures(conn: &mut sqlx::AnyConnection, replaced: &[(Contract, Contract)], meant: &[&str]) -> Result<Tallies, ServiceError> {
    let mut kept = Tallies::new();
    let mut changed: Vec<String> = replaced.iter().map(|(_, new)| new.hr_contract_id.clone()).collect();
    changed.sort_unstable();
    changed.dedup();
    let meant: HashSet<&str> = meant.iter().copied().collect();
    let mut stored_before = HashMap::new();
    for (contract_id, trajectory_id, completion) in store::trajectories_of_contracts(conn, &changed).await? {
        if !meant.contains(trajectory_id.as_str()) {
            stored_before.insert(contract_id, completion);
        }
    }
    for (old, new) in replaced {
        if let Some(completion) = stored_before.get(&new.hr_contract_id) {
            tallies::trajectory(&mut kept, old, *completion, -1);
            tallies::trajectory(&mut kept, new, *completion, 1);
        }
    }
    Ok(kept)
}

/// Stored contracts' versions and fingerprints, by HR contract id.
type Fingerprints = HashMap<String, (i64, String)>;

/// What a push will do, decided against the store as it was read.
struct Plan {
    /// One outcome per contract, in order.
    outcomes: Vec<(String, Outcome)>,
    /// The contract writes, in order.
    steps: Vec<Step>,
    /// A contract became a PW dienstverband (new, or changed to PW): an
    /// outbox message each, and a trajectory unless one is open.
    became_pw: Vec<OutboxRow>,
    /// The last version in this push of each contract in `became_pw`.
    pw_contracts: HashMap<String, Contract>,
    /// The persons whose contracts the push creates or changes (for a
    /// contract moved to another person, both), once each: they are
    /// counted again (`crate::headcount`).
    changed_persons: Vec<String>,
    /// The contracts the push creates, in order.
    created: Vec<Contract>,
}

/// A contract write.
enum Step {
    /// The rows of new contracts, built before the write phase.
    Insert(Vec<JsonRows>),
    /// A stored version replaced.
    Replace { old: Contract, version: i64, new: Contract, fingerprint: String },
}

impl Plan {
    /// `stored`: the version and fingerprint of the pushed contracts that
    /// are stored (small); whole contracts are read only for those that
    /// differ from the push — HR sends everything every time, and most of
    /// it is unchanged.
    async fn make(
        conn: &mut sqlx::AnyConnection,
        items: Vec<(String, Result<Pushed, Rejection>)>,
        stored: &Fingerprints,
        at: &str,
    ) -> Result<Self, ServiceError> {
        let fingerprints: Vec<Option<String>> = items.iter().map(|(_, i)| i.as_ref().ok().map(|p| p.contract.fingerprint())).collect();
        let differs = |id: &str, fingerprint: &str| stored.get(id).is_none_or(|(_, f)| f != fingerprint);
        let changed: Vec<String> = items
            .iter()
            .zip(&fingerprints)
            .filter_map(|((id, _), f)| f.as_ref().filter(|f| stored.contains_key(id) && differs(id, f)).map(|_| id.clone()))
            .collect();
        let mut current = store::contracts_by_ids(conn, &changed).await?;

        let mut plan =
            Plan {
                outcomes: Vec::with_capacity(items.len()),
                steps: Vec::new(),
                became_pw: Vec::new(),
                pw_contracts: HashMap::new(),
                changed_persons: Vec::new(),
                created: Vec::new(),
            };
        let mut created: HashSet<String> = HashSet::new();
        let mut inserts: Vec<(Contract, String)> = Vec::new();
        for ((id, item), fingerprint) in items.into_iter().zip(fingerprints) {
            let pushed = match item {
                Ok(pushed) => pushed,
                Err(rejection) => {
                    plan.outcomes.push((id, Outcome::Rejected(rejection)));
                    continue;
                }
            };
            let contract = pushed.contract;
            let fingerprint = fingerprint.expect("computed above for every accepted contract");
            // Whole in `current` if it differed from the store or came
            // earlier in this batch; else only its stored fingerprint.
            let (outcome, became_pw) = match current.get(&id) {
                Some((_, _, stored)) if *stored == fingerprint => (Outcome::Unchanged, false),
                None if !differs(&id, &fingerprint) => (Outcome::Unchanged, false),
                Some((old, version, _)) => {
                    if created.contains(&id) {
                        // Created earlier in this batch: it must be stored before it changes.
                        plan.steps.push(Step::Insert(store::contract_rows(&std::mem::take(&mut inserts), at)));
                        created.clear();
                    }
                    let old_was_pw = old.kind == ContractKind::Pw;
                    plan.changed_persons.push(old.candidate_id.clone());
                    let step = Step::Replace { old: old.clone(), version: *version, new: contract.clone(), fingerprint: fingerprint.clone() };
                    plan.steps.push(step);
                    (Outcome::Updated, !old_was_pw && contract.kind == ContractKind::Pw)
                }
                None => {
                    created.insert(id.clone());
                    plan.created.push(contract.clone());
                    inserts.push((contract.clone(), fingerprint.clone()));
                    (Outcome::Created, contract.kind == ContractKind::Pw)
                }
            };
            if became_pw {
                plan.became_pw.push(OutboxRow {
                    id: crate::new_id(),
                    hr_contract_id: id.clone(),
                    candidate_id: contract.candidate_id.clone(),
                    effective_date: contract.start_date,
                    attempts: 0,
                });
            }
            if outcome != Outcome::Unchanged {
                plan.changed_persons.push(contract.candidate_id.clone());
                let version = current.get(&id).map(|(_, v, _)| v + 1).unwrap_or(1);
                current.insert(id.clone(), (contract, version, fingerprint));
            }
            plan.outcomes.push((id, outcome));
        }
        if !inserts.is_empty() {
            plan.steps.push(Step::Insert(store::contract_rows(&inserts, at)));
        }
        plan.changed_persons.sort_unstable();
        plan.changed_persons.dedup();
        for m in &plan.became_pw {
            if let Some((contract, _, _)) = current.get(&m.hr_contract_id) {
                plan.pw_contracts.insert(m.hr_contract_id.clone(), contract.clone());
            }
        }
        Ok(plan)
    }
}

fn unavailable(what: &str, status: &tonic::Status) -> ServiceError {
    ServiceError::Unavailable(format!("{what}: intake answered {:?}: {}; nothing was stored, push again", status.code(), status.message()))
}
