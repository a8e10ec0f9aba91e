//! Who may call which of beschut's RPCs (see `partnership_platform::auth`).
//! Indications, placements and schakeltrajecten are a municipality's
//! decisions about its own residents (narrowed in [`crate::api`]); IBN's
//! administrator may act too; figures are for everybody but HR.

use partnership_platform::auth::policy::{Policy, RESIDENTS, changes, figures, reads};
use partnership_proto::beschut::beschut_service_server::SERVICE_NAME;

/// Beschut werk: indications, placements and the route towards them.
const BESCHUT: &str = "uitvoering beschut werk (Participatiewet art. 10b)";

pub const POLICY: Policy = Policy {
    service: SERVICE_NAME,
    rules: &[
        changes("GrantIndication", RESIDENTS, BESCHUT),
        changes("EndIndication", RESIDENTS, BESCHUT),
        reads("GetIndication", RESIDENTS, BESCHUT),
        reads("ListIndications", RESIDENTS, BESCHUT),
        changes("CreatePlacement", RESIDENTS, BESCHUT),
        changes("EndPlacement", RESIDENTS, BESCHUT),
        reads("ListPlacements", RESIDENTS, BESCHUT),
        changes("CreateSchakeltraject", RESIDENTS, BESCHUT),
        changes("EndSchakeltraject", RESIDENTS, BESCHUT),
        figures("GetBeschutFigures"),
        figures("BatchGetBeschutFigures"),
        figures("GetSchakeltrajectFigures"),
    ],
};
