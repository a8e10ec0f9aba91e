//! Who may call which of employment's RPCs (see `partnership_platform::auth`).
//! HR pushes contracts and nothing else; municipalities read their own
//! residents' contracts and trajectories (narrowed in [`crate::api`]); IBN's
//! administrator records development and activities; peers read what
//! their figures need.

use partnership_platform::audit::Action;
use partnership_platform::auth::policy::{
    HR, IBN, PEERS, Policy, RESIDENTS, RESIDENTS_AND_PEERS, changes, figures, reads, restricted, streams_changes,
};
use partnership_proto::employment::employment_service_server::SERVICE_NAME;

/// Administering the employment IBN offers (dienstverbanden, detacheringen).
const EMPLOYMENT: &str = "administratie dienstverbanden en detacheringen";
/// Guiding an employee's development (trajectories, werkladder, loonwaarde).
const DEVELOPMENT: &str = "ontwikkeling en begeleiding van medewerkers";
/// Beschut werk: who works in a sheltered job, for the targets.
const BESCHUT: &str = "realisatie beschut werk";

pub const POLICY: Policy = Policy {
    service: SERVICE_NAME,
    rules: &[
        changes("PushContracts", HR, EMPLOYMENT),
        streams_changes("PushContractBatches", HR, EMPLOYMENT),
        reads("GetContract", RESIDENTS_AND_PEERS, EMPLOYMENT),
        reads("ListContracts", RESIDENTS_AND_PEERS, EMPLOYMENT),
        reads("ListTrajectories", RESIDENTS, DEVELOPMENT),
        changes("CompleteTrajectory", IBN, DEVELOPMENT),
        changes("RecordDevelopment", IBN, DEVELOPMENT),
        reads("ListForfaitairOverdue", RESIDENTS, DEVELOPMENT),
        changes("RecordActivity", IBN, DEVELOPMENT),
        figures("GetStartedContractFigures"),
        figures("GetTrajectoryResultFigures"),
        figures("GetHeadcountFigures"),
        figures("GetBeschutFigures"),
        figures("GetActivityFigures"),
        reads("ListBeschutEmployees", PEERS, BESCHUT),
        // Counts, but over sets the caller names: a set of one tells
        // about one person. For the suite's own services only.
        restricted("CountBeschutEmployees", PEERS, Action::Read),
        // Grouped, without persons, but a group of one is one contract's
        // facts: for the suite's own services only.
        restricted("GetLksContractGroups", PEERS, Action::Read),
    ],
};
