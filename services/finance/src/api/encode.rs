//! Domain values into protobuf messages. Money goes out as a decimal string
//! with two decimals ("952620.03"), other decimals without trailing zeros.

use chrono::DateTime;
use partnership_platform::dates;
use partnership_proto::finance as pb;
use partnership_proto::google::r#type::Decimal as PbDecimal;
use rust_decimal::Decimal;

use super::decode::{key_kind_to_proto, line_kind_to_proto};
use crate::AllocationView;
use crate::domain::allocation::{AllocationKey, p_budget_share_percent};
use crate::domain::lks::{LksBasis, MonthLks};
use crate::domain::money::{money_text, plain_text, round_dp};
use crate::domain::pluspakket::{Price, ServiceRevenue};
use crate::figures::Figures;
use crate::invoices::{BudgetRealisation, InvoiceView};
use crate::statements::ContractStatement;
use crate::store::{LumpsumRow, PeriodRow};

/// Money: always two decimals.
pub fn money(value: Decimal) -> Option<PbDecimal> {
    Some(PbDecimal { value: money_text(value) })
}

/// Any other decimal.
pub fn number(value: Decimal) -> Option<PbDecimal> {
    Some(PbDecimal { value: plain_text(value) })
}

fn timestamp(rfc3339: &str) -> Option<prost_types::Timestamp> {
    DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| prost_types::Timestamp { seconds: t.timestamp(), nanos: t.timestamp_subsec_nanos() as i32 })
}

fn basis_to_proto(basis: LksBasis) -> i32 {
    match basis {
        LksBasis::Beschut => pb::LksBasis::Beschut as i32,
        LksBasis::Measured => pb::LksBasis::Measured as i32,
        LksBasis::Forfaitair => pb::LksBasis::Forfaitair as i32,
    }
}

pub fn period(row: &PeriodRow) -> pb::BudgetPeriod {
    pb::BudgetPeriod {
        id: row.period.id.clone(),
        first_day: Some(dates::to_proto(row.period.first_day)),
        last_day: Some(dates::to_proto(row.period.last_day)),
        description: row.period.description.clone(),
        create_time: timestamp(&row.created_at),
    }
}

pub fn lumpsum(row: &LumpsumRow) -> pb::Lumpsum {
    pb::Lumpsum {
        id: row.id.clone(),
        budget_period_id: row.budget_period_id.clone(),
        year: row.year,
        base: money(row.amounts.base),
        surcharge_percent: number(row.amounts.surcharge_percent),
        surcharge: money(row.amounts.surcharge),
        total: money(row.amounts.total()),
        key: Some(pb::AllocationKeyRef { year: row.key_year, kind: key_kind_to_proto(row.key_kind) }),
        create_time: timestamp(&row.created_at),
    }
}

pub fn key(key: &AllocationKey) -> pb::AllocationKey {
    pb::AllocationKey {
        year: key.year,
        kind: key.kind.map(key_kind_to_proto).unwrap_or(0),
        description: key.description.clone(),
        entries: key
            .entries
            .iter()
            .map(|e| pb::KeyEntry { municipality_code: e.municipality_code.clone(), weight: number(e.weight) })
            .collect(),
        total_weight: number(key.total_weight()),
    }
}

pub fn allocation(view: &AllocationView) -> pb::Allocation {
    pb::Allocation {
        lumpsum_id: view.lumpsum_id.clone().unwrap_or_default(),
        total: money(view.total),
        key: Some(key(&view.key)),
        parts: view
            .parts
            .iter()
            .map(|p| pb::AllocationPart {
                municipality_code: p.municipality_code.clone(),
                municipality_name: view.directory.name(&p.municipality_code),
                current_municipality_code: view.directory.current(&p.municipality_code),
                weight: number(p.weight),
                exact_share: number(p.exact_share),
                amount: money(p.amount),
                p_budget_share_percent: p_budget_share_percent(view.key.kind, p.amount, p.weight).and_then(number),
            })
            .collect(),
    }
}

fn month(m: &MonthLks) -> pb::LksMonth {
    pb::LksMonth {
        year: m.year,
        month: m.month as i32,
        wage_base: money(m.wage_base),
        part_time_factor: number(m.part_time_factor()),
        employer_cost_percent: number(m.employer_cost_percent),
        days_covered: m.days_covered() as i32,
        days_in_month: m.days_in_month as i32,
        segments: m
            .segments
            .iter()
            .map(|s| pb::LksSegment {
                first_day: Some(dates::to_proto(s.first)),
                last_day: Some(dates::to_proto(s.last)),
                basis: basis_to_proto(s.subsidy.basis),
                loonwaarde_percent: s.subsidy.loonwaarde.and_then(number),
                subsidy_percent: number(s.subsidy.percent),
            })
            .collect(),
        amount: money(m.amount),
    }
}

pub fn contract_lks(s: &ContractStatement) -> pb::ContractLks {
    pb::ContractLks {
        hr_contract_id: s.facts.contract_id.clone(),
        candidate_id: s.facts.candidate_id.clone(),
        paying_municipality_code: s.facts.paying_municipality_code.clone(),
        beschut: s.facts.beschut,
        hours_per_week: number(s.facts.hours_per_week),
        months: s.months.iter().map(month).collect(),
        amount: money(s.amount),
    }
}

pub fn price(p: &Price) -> pb::PluspakketPrice {
    pb::PluspakketPrice {
        service_code: p.service_code.clone(),
        year: p.year,
        price_per_participant: money(p.price_per_participant),
    }
}

pub fn invoice(inv: &InvoiceView) -> pb::Invoice {
    pb::Invoice {
        id: inv.id.clone(),
        number: inv.number.clone(),
        municipality_code: inv.municipality_code.clone(),
        year: inv.quarter.year,
        quarter: inv.quarter.number as i32,
        sequence: inv.seq as i32,
        lines: inv
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| pb::InvoiceLine {
                line_number: i as i32 + 1,
                kind: line_kind_to_proto(l.kind),
                source: l.source.clone(),
                description: l.description.clone(),
                quantity: number(l.quantity),
                unit_amount: l.unit_amount.and_then(money),
                amount: money(l.amount),
                trace: l.trace.clone(),
                correction: l.correction,
            })
            .collect(),
        total: money(inv.total),
        issue_time: timestamp(&inv.issued_at),
    }
}

pub fn budget(b: &BudgetRealisation) -> pb::BudgetRealisation {
    let budget_total: Decimal = b.kinds.iter().map(|k| k.1).sum();
    let invoiced_total: Decimal = b.kinds.iter().map(|k| k.2).sum();
    pb::BudgetRealisation {
        municipality_code: b.municipality_code.clone(),
        year: b.year,
        kinds: b
            .kinds
            .iter()
            .map(|&(kind, budget, invoiced)| pb::KindRealisation {
                kind: line_kind_to_proto(kind),
                budget: money(budget),
                invoiced: money(invoiced),
            })
            .collect(),
        budget_total: money(budget_total),
        invoiced_total: money(invoiced_total),
        difference: money(budget_total - invoiced_total),
    }
}

fn pluspakket_figure(r: &ServiceRevenue) -> pb::PluspakketFigure {
    pb::PluspakketFigure {
        municipality_code: r.municipality_code.clone(),
        service_code: r.service_code.clone(),
        participants: r.participants as i64,
        revenue: money(r.revenue),
    }
}

pub fn figures(f: &Figures, scope: Option<partnership_proto::common::Scope>) -> pb::FinanceFigures {
    pb::FinanceFigures {
        scope,
        year: f.year,
        through_quarter: f.through_quarter as i32,
        lumpsum: f
            .lumpsum
            .iter()
            .map(|l| pb::LumpsumFigure {
                municipality_code: l.municipality_code.clone(),
                current_municipality_code: l.current_municipality_code.clone(),
                yearly_amount: money(l.yearly_amount),
                through_quarter_amount: money(l.through_quarter_amount),
                p_budget_share_percent: l.p_budget_share_percent.map(|p| round_dp(p, 2)).and_then(number),
            })
            .collect(),
        lumpsum_total: money(f.lumpsum.iter().map(|l| l.yearly_amount).sum()),
        lks: f
            .lks
            .iter()
            .map(|l| pb::LksFigure {
                municipality_code: l.municipality_code.clone(),
                contracts: l.contracts as i64,
                amount: money(l.amount),
            })
            .collect(),
        lks_total: money(f.lks.iter().map(|l| l.amount).sum()),
        pluspakket_participants: f.pluspakket.iter().map(|r| r.participants as i64).sum(),
        pluspakket_revenue: money(f.pluspakket.iter().map(|r| r.revenue).sum()),
        // One year: one price, so one figure per municipality and service.
        pluspakket: f.pluspakket.iter().map(pluspakket_figure).collect(),
        unavailable: f.unavailable.clone(),
    }
}
