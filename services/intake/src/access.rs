//! Who may call which of intake's RPCs (see `partnership_platform::auth`).
//! Municipalities reach only their own residents; that narrowing is done
//! per RPC in [`crate::api`], with the caller's jurisdiction.

use partnership_platform::auth::policy::{
    PEERS, Policy, RESIDENTS, RESIDENTS_AND_PEERS, changes, figures, reads, reference, streams_changes,
};
use partnership_proto::intake::intake_service_server::SERVICE_NAME;

/// Registering residents and following their route (Participatiewet).
const REGISTRATION: &str = "registratie en opvolging van kandidaten (Participatiewet)";
/// Linking IBN's employment to the registration it results from.
const EMPLOYMENT: &str = "koppeling dienstverband aan aanmelding";
/// Pluspakket services a municipality buys for a resident.
const PLUSPAKKET: &str = "pluspakketdienstverlening";

pub const POLICY: Policy = Policy {
    service: SERVICE_NAME,
    rules: &[
        reference("GetMunicipality"),
        reference("ListMunicipalities"),
        reference("ListAreas"),
        reference("ResolveScope"),
        changes("CreateCandidate", RESIDENTS, REGISTRATION),
        reads("GetCandidate", RESIDENTS_AND_PEERS, REGISTRATION),
        reads("ResolveCandidate", RESIDENTS_AND_PEERS, REGISTRATION),
        reads("BatchResolveCandidates", PEERS, EMPLOYMENT),
        changes("CreateRegistration", RESIDENTS, REGISTRATION),
        reads("GetRegistration", RESIDENTS, REGISTRATION),
        reads("ListRegistrations", RESIDENTS, REGISTRATION),
        changes("ChangeRegistrationStatus", RESIDENTS, REGISTRATION),
        changes("CorrectRegistrationStatus", RESIDENTS, REGISTRATION),
        changes("RecordEmploymentOutcome", PEERS, EMPLOYMENT),
        streams_changes("ImportRegistrations", RESIDENTS, REGISTRATION),
        changes("CreatePluspakketRegistration", RESIDENTS, PLUSPAKKET),
        reads("ListPluspakketRegistrations", RESIDENTS_AND_PEERS, PLUSPAKKET),
        figures("GetCohortFigures"),
        figures("GetAreaRegistrationCounts"),
        figures("CountPluspakketRegistrations"),
    ],
};
