//! Who may call which of finance's RPCs (see `partnership_platform::auth`).
//! IBN's administrator keeps the budget and issues invoices; a
//! municipality sees its own LKS and invoices (which name contracts, so
//! they are personal data and audited); reference data and figures are
//! open to every caller that has them on its screen.

use partnership_platform::auth::policy::{Action, IBN, Policy, RESIDENTS, changes, figures, reads, reference, restricted};
use partnership_proto::finance::finance_service_server::SERVICE_NAME;

/// Paying loonkostensubsidie and invoicing it per contract.
const LKS: &str = "bekostiging loonkostensubsidie";
/// Invoicing municipalities for the partnership's services.
const INVOICING: &str = "facturatie aan gemeenten";

pub const POLICY: Policy = Policy {
    service: SERVICE_NAME,
    rules: &[
        restricted("CreateBudgetPeriod", IBN, Action::Change),
        reference("ListBudgetPeriods"),
        restricted("CreateLumpsum", IBN, Action::Change),
        reference("ListLumpsums"),
        reference("ListAllocationKeys"),
        reference("AllocateLumpsum"),
        reads("ComputeLks", RESIDENTS, LKS),
        figures("ComputeTrajectkostenvergoeding"),
        reference("ListPluspakketPrices"),
        reads("PreviewInvoice", RESIDENTS, INVOICING),
        changes("IssueInvoice", IBN, INVOICING),
        reads("GetInvoice", RESIDENTS, INVOICING),
        reads("ListInvoices", RESIDENTS, INVOICING),
        figures("GetBudgetRealisation"),
        figures("GetFinanceFigures"),
    ],
};
