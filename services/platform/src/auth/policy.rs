//! A service's access policy: for every RPC, which principal kinds may call
//! it, what kind of data it serves, and — for personal data — the purpose
//! (verwerkingsactiviteit) the audit log records. An RPC without a rule is
//! refused: a new RPC is closed until somebody writes down who may call it.

use super::Kind;
pub use crate::audit::Action;

/// What an RPC hands out or changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Data {
    /// Reference data (municipalities, prices, keys): nobody's in particular.
    Reference,
    /// Figures: counts and sums, never a person.
    Aggregate,
    /// Data about persons: every call is written to the audit log.
    Personal,
}

/// Who may call one RPC.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The RPC's method name, e.g. `CreateRegistration`.
    pub method: &'static str,
    pub allowed: &'static [Kind],
    pub data: Data,
    /// Why the data is processed (the audit log's purpose), for personal data.
    pub purpose: &'static str,
    /// Reads, or changes.
    pub action: Action,
    /// A streaming RPC's handler writes its own audit records (one per
    /// batch, as it learns whom the batch touched); the layer does not.
    pub handler_audits: bool,
}

/// One service's rules.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// The full protobuf service name, e.g. `partnership.intake.v1.IntakeService`.
    pub service: &'static str,
    pub rules: &'static [Rule],
}

impl Policy {
    /// The rule for a request path `/package.Service/Method`, if any.
    pub fn rule(&self, path: &str) -> Option<&'static Rule> {
        let (service, method) = path.strip_prefix('/')?.split_once('/')?;
        if service != self.service {
            return None;
        }
        self.rules.iter().find(|r| r.method == method)
    }
}

/// Every principal kind.
pub const EVERYONE: &[Kind] = &Kind::ALL;
/// Figures: everybody but HR (which pushes contracts only).
pub const FIGURES: &[Kind] = &[Kind::Municipality, Kind::Dashboard, Kind::Peer, Kind::Administrator];
/// A municipality's residents: the municipality (narrowed to its own),
/// and IBN's administrator.
pub const RESIDENTS: &[Kind] = &[Kind::Municipality, Kind::Administrator];
/// As [`RESIDENTS`], and the suite's own services.
pub const RESIDENTS_AND_PEERS: &[Kind] = &[Kind::Municipality, Kind::Peer, Kind::Administrator];
/// Between services only (and the administrator, for repairs).
pub const PEERS: &[Kind] = &[Kind::Peer, Kind::Administrator];
/// IBN's own records: its administrator.
pub const IBN: &[Kind] = &[Kind::Administrator];
/// IBN's HR system (and the administrator).
pub const HR: &[Kind] = &[Kind::Hr, Kind::Administrator];

/// A rule for reference data everybody may read.
pub const fn reference(method: &'static str) -> Rule {
    Rule { method, allowed: EVERYONE, data: Data::Reference, purpose: "", action: Action::Read, handler_audits: false }
}

/// A rule for figures.
pub const fn figures(method: &'static str) -> Rule {
    Rule { method, allowed: FIGURES, data: Data::Aggregate, purpose: "", action: Action::Read, handler_audits: false }
}

/// A rule for reading personal data, for `purpose`.
pub const fn reads(method: &'static str, allowed: &'static [Kind], purpose: &'static str) -> Rule {
    Rule { method, allowed, data: Data::Personal, purpose, action: Action::Read, handler_audits: false }
}

/// A rule for changing personal data, for `purpose`.
pub const fn changes(method: &'static str, allowed: &'static [Kind], purpose: &'static str) -> Rule {
    Rule { method, allowed, data: Data::Personal, purpose, action: Action::Change, handler_audits: false }
}

/// A streaming change of personal data whose handler audits each batch.
pub const fn streams_changes(method: &'static str, allowed: &'static [Kind], purpose: &'static str) -> Rule {
    Rule { method, allowed, data: Data::Personal, purpose, action: Action::Change, handler_audits: true }
}

/// A rule for non-personal data only some kinds may touch.
pub const fn restricted(method: &'static str, allowed: &'static [Kind], action: Action) -> Rule {
    Rule { method, allowed, data: Data::Aggregate, purpose: "", action, handler_audits: false }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy { service: "p.v1.S", rules: &[reference("Get"), figures("Figures")] };

    #[test]
    fn rules_are_found_by_path_and_only_for_their_service() {
        assert_eq!(POLICY.rule("/p.v1.S/Get").unwrap().method, "Get");
        assert!(POLICY.rule("/p.v1.S/Other").is_none());
        assert!(POLICY.rule("/p.v1.T/Get").is_none());
        assert!(POLICY.rule("garbage").is_none());
    }
}
