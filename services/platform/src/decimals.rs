//! Exact decimals on the wire: `google.type.Decimal` (a string) to and from
//! `rust_decimal::Decimal`. Hours, fte, percentages and euros are never
//! floating point.

use partnership_proto::google::r#type::Decimal as ProtoDecimal;
use rust_decimal::Decimal;

use crate::error::ServiceError;

/// Hours per week that make one fte of nieuw beschut werk (the national
/// measure the taakstelling is set in). Employment counts fte for a
/// municipality and beschut for the partnership; both with this rule.
pub const HOURS_PER_FTE: u32 = 31;

/// Hours per week as fte of nieuw beschut werk, to 6 decimals.
pub fn fte(hours_per_week: Decimal) -> Decimal {
    (hours_per_week / Decimal::from(HOURS_PER_FTE)).round_dp(6)
}

/// The protobuf form, in plain notation without trailing zeros.
pub fn to_proto(value: Decimal) -> ProtoDecimal {
    ProtoDecimal { value: value.normalize().to_string() }
}

/// A required decimal field.
pub fn required(field: &str, value: Option<&ProtoDecimal>) -> Result<Decimal, ServiceError> {
    match value.map(|v| v.value.trim()).filter(|v| !v.is_empty()) {
        None => Err(ServiceError::invalid(field, "is required")),
        Some(text) => parse(field, text),
    }
}

/// An optional decimal field: unset or empty gives `None`.
pub fn optional(field: &str, value: Option<&ProtoDecimal>) -> Result<Option<Decimal>, ServiceError> {
    match value.map(|v| v.value.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => parse(field, text).map(Some),
    }
}

fn parse(field: &str, text: &str) -> Result<Decimal, ServiceError> {
    let plain = text.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+');
    // Exact or refused: more digits than a Decimal holds are an error, not
    // silently rounded away.
    match Decimal::from_str_exact(text) {
        Ok(value) if plain => Ok(value),
        _ if text.len() > 40 => Err(ServiceError::invalid(field, format!("is not a decimal number like \"20.5\" ({} bytes)", text.len()))),
        _ => Err(ServiceError::invalid(field, format!("{text:?} is not a decimal number like \"20.5\""))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_20_hour_contract_is_20_31_fte() {
        assert_eq!(fte(Decimal::from(20)), "0.645161".parse().unwrap());
        assert_eq!(fte(Decimal::from(31)), Decimal::ONE);
    }

    #[test]
    fn decimals_travel_exactly() {
        let value: Decimal = "952620.03".parse().unwrap();
        assert_eq!(required("x", Some(&to_proto(value))).unwrap(), value);
        assert_eq!(to_proto("20.500".parse().unwrap()).value, "20.5");
    }

    #[test]
    fn garbage_and_exponents_are_refused() {
        let too_precise = format!("0.{}", "1".repeat(60));
        for text in ["", "twenty", "1e3", "1,5", &too_precise, &"9".repeat(40)] {
            let result = required("hours", Some(&ProtoDecimal { value: text.into() }));
            assert!(result.is_err(), "{text:?}");
        }
        assert_eq!(optional("hours", None).unwrap(), None);
    }
}
