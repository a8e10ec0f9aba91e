//! The HR push: a batch of contracts upserted idempotently. Each contract
//! is checked on its own; the good ones are stored together in one
//! transaction with what they cause — a trajectory for a new PW
//! dienstverband, and an outbox message for intake — so nothing is half
//! applied and nothing acknowledged is lost.

use std::collections::{HashMap, HashSet};

use partnership_platform::{ServiceError, peer};
use partnership_proto::common as cpb;
use partnership_proto::intake as ipb;

use crate::Employment;
use crate::domain::contract::{Contract, ContractKind, Rejection, check};
use crate::store::{self, OutboxRow};

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

/// The answer to a push.
#[derive(Debug)]
pub struct PushResult {
    /// One outcome per contract, in order.
    pub outcomes: Vec<(String, Outcome)>,
    /// The candidates whose contracts were stored (created, updated or unchanged).
    pub candidate_ids: Vec<String>,
}

/// The request id intake knows a contract's outcome by.
pub fn outcome_request_id(hr_contract_id: &str) -> String {
    format!("employment-contract:{hr_contract_id}")
}

impl Employment {
    /// Upserts the batch. `items` holds, per contract, the decoded contract
    /// or why it could not be decoded; the answer has one outcome per item,
    /// and the candidates the stored contracts belong to (for the audit log).
    pub async fn push(&self, items: Vec<(String, Result<Pushed, Rejection>)>) -> Result<PushResult, ServiceError> {
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
        let candidates = self.resolve(&bsns).await?;
        for (_, item) in checked.iter_mut() {
            if let Ok(pushed) = item {
                match candidates.get(&pushed.bsn) {
                    Some(id) => pushed.contract.candidate_id = id.clone(),
                    None => *item = Err(Rejection::new("bsn", "no candidate with this BSN in intake")),
                }
            }
        }
        let candidate_ids = checked.iter().filter_map(|(_, i)| i.as_ref().ok().map(|p| p.contract.candidate_id.clone())).collect();
        let outcomes = self.store_batch(checked).await?;
        self.outbox_wake.notify_one();
        Ok(PushResult { outcomes, candidate_ids })
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

    /// Every municipality code of the partnership, from intake.
    pub(crate) async fn known_municipalities(&self) -> Result<HashSet<String>, ServiceError> {
        let scope = cpb::Scope { level: cpb::ScopeLevel::Partnership as i32, code: String::new() };
        self.scope_codes(scope).await.map(|codes| codes.into_iter().collect())
    }

    /// The municipality codes of a scope, from intake.
    pub(crate) async fn scope_codes(&self, scope: cpb::Scope) -> Result<Vec<String>, ServiceError> {
        peer::resolve_scope(&self.intake, scope).await
    }

    async fn store_batch(&self, items: Vec<(String, Result<Pushed, Rejection>)>) -> Result<Vec<(String, Outcome)>, ServiceError> {
        let now = crate::now();
        let ids: Vec<String> = items.iter().filter(|(_, i)| i.is_ok()).map(|(id, _)| id.clone()).collect();
        let fingerprints: Vec<Option<String>> = items.iter().map(|(_, i)| i.as_ref().ok().map(|p| p.contract.fingerprint())).collect();
        let mut tx = self.db.begin_write().await?;
        // What is stored, in two steps: every contract's fingerprint (small),
        // then whole contracts only for those that differ from the push —
        // HR sends everything every time, and most of it is unchanged.
        let stored = store::fingerprints_by_ids(tx.conn(), &ids).await?;
        let differs = |id: &str, fingerprint: &str| stored.get(id).is_none_or(|(_, f)| f != fingerprint);
        let changed: Vec<String> = items
            .iter()
            .zip(&fingerprints)
            .filter_map(|((id, _), f)| f.as_ref().filter(|f| stored.contains_key(id) && differs(id, f)).map(|_| id.clone()))
            .collect();
        let mut current = store::contracts_by_ids(tx.conn(), &changed).await?;
        // Only a contract that may become PW here asks whether its
        // candidate has an open trajectory: a PW contract that is new,
        // changed, or pushed twice in the batch. An unchanged push (HR
        // sends everything, every time) asks nothing.
        let mut seen: HashMap<&str, u32> = HashMap::with_capacity(ids.len());
        for id in &ids {
            *seen.entry(id.as_str()).or_default() += 1;
        }
        let candidate_ids: Vec<String> = items
            .iter()
            .zip(&fingerprints)
            .filter_map(|((id, i), f)| i.as_ref().ok().zip(f.as_ref()).map(|(p, f)| (id, p, f)))
            .filter(|(id, p, f)| {
                p.contract.kind == ContractKind::Pw && (seen.get(id.as_str()).is_some_and(|n| *n > 1) || differs(id, f))
            })
            .map(|(_, p, _)| p.contract.candidate_id.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        drop(seen);
        let mut open_trajectory: HashSet<String> =
            store::candidates_with_open_trajectory(tx.conn(), &candidate_ids).await?.into_iter().collect();

        let mut outcomes = Vec::with_capacity(items.len());
        let mut new_rows = NewRows::default();
        for ((id, item), fingerprint) in items.into_iter().zip(fingerprints) {
            let pushed = match item {
                Ok(pushed) => pushed,
                Err(rejection) => {
                    outcomes.push((id, Outcome::Rejected(rejection)));
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
                    if new_rows.created.contains(&id) {
                        // Created earlier in this batch: it must be stored before it changes.
                        new_rows.write(tx.conn(), &now).await?;
                    }
                    store::replace_contract(tx.conn(), old, *version, &contract, &fingerprint, &now).await?;
                    (Outcome::Updated, old.kind != ContractKind::Pw && contract.kind == ContractKind::Pw)
                }
                None => {
                    new_rows.created.insert(id.clone());
                    new_rows.contracts.push((contract.clone(), fingerprint.clone()));
                    (Outcome::Created, contract.kind == ContractKind::Pw)
                }
            };
            if became_pw {
                // A PW dienstverband at IBN: it starts a development trajectory
                // unless one is still open, and intake is told (outbox).
                if open_trajectory.insert(contract.candidate_id.clone()) {
                    new_rows.trajectories.push((crate::new_id(), contract.candidate_id.clone(), id.clone()));
                }
                new_rows.outbox.push(OutboxRow {
                    id: crate::new_id(),
                    hr_contract_id: id.clone(),
                    candidate_id: contract.candidate_id.clone(),
                    effective_date: contract.start_date,
                    attempts: 0,
                });
            }
            if outcome != Outcome::Unchanged {
                let version = current.get(&id).map(|(_, v, _)| v + 1).unwrap_or(1);
                current.insert(id.clone(), (contract, version, fingerprint));
            }
            outcomes.push((id, outcome));
        }
        new_rows.write(tx.conn(), &now).await?;
        tx.commit().await?;
        Ok(outcomes)
    }
}

/// The rows a push creates, written together in multi-row statements (in
/// the push's transaction) instead of one statement each.
#[derive(Default)]
struct NewRows {
    /// The HR ids of the contracts buffered.
    created: HashSet<String>,
    contracts: Vec<(Contract, String)>,
    trajectories: Vec<(String, String, String)>,
    outbox: Vec<OutboxRow>,
}

impl NewRows {
    /// Writes what is buffered: contracts first, as the others refer to them.
    async fn write(&mut self, conn: &mut sqlx::AnyConnection, at: &str) -> Result<(), ServiceError> {
        store::insert_contracts(conn, &self.contracts, at).await?;
        store::insert_trajectories(conn, &self.trajectories).await?;
        store::insert_outbox_rows(conn, &self.outbox, at).await?;
        *self = Self::default();
        Ok(())
    }
}

fn unavailable(what: &str, status: &tonic::Status) -> ServiceError {
    ServiceError::Unavailable(format!("{what}: intake answered {:?}: {}; nothing was stored, push again", status.code(), status.message()))
}
