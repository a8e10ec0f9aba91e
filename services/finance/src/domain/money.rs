//! Euro amounts (excl. VAT) and other exact decimals: parsing what a client
//! or a data file sends, rounding to the cent, and whole cents for the
//! store. Never a float: the text "0.1" is exactly one tenth here.

use rust_decimal::{Decimal, RoundingStrategy};

use super::RuleError;

/// Parses an exact decimal: an optional minus sign, digits, optionally a
/// point and digits. No exponent, no grouping separators, no spaces.
pub fn parse_decimal(field: &str, text: &str) -> Result<Decimal, RuleError> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let well_formed = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && !(digits.contains('.') && fraction.is_empty());
    if text.is_empty() {
        return Err(RuleError::invalid(field, "is required"));
    }
    if !well_formed {
        return Err(RuleError::invalid(field, format!("{text:?} is not a decimal number like \"1234.56\"")));
    }
    Decimal::from_str_exact(text).map_err(|e| RuleError::invalid(field, format!("{text:?}: {e}")))
}

/// A decimal that may not be negative.
pub fn non_negative(field: &str, value: Decimal) -> Result<Decimal, RuleError> {
    if value.is_sign_negative() && !value.is_zero() {
        Err(RuleError::invalid(field, format!("{value} is negative; it may not be")))
    } else {
        Ok(value)
    }
}

/// A money amount that is whole cents (at most two decimals).
pub fn whole_cents(field: &str, value: Decimal) -> Result<Decimal, RuleError> {
    if value.normalize().scale() > 2 {
        Err(RuleError::invalid(field, format!("{value} has more than two decimals; amounts are whole cents")))
    } else {
        Ok(value)
    }
}

/// Parses a non-negative amount in whole cents, e.g. a lumpsum base.
pub fn parse_amount(field: &str, text: &str) -> Result<Decimal, RuleError> {
    whole_cents(field, non_negative(field, parse_decimal(field, text)?)?)
}

/// Rounds to the cent, half away from zero (the usual commercial rounding).
pub fn round_cents(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Rounds to `dp` decimals, half away from zero (for percentages shown).
pub fn round_dp(value: Decimal, dp: u32) -> Decimal {
    value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

/// The amount in whole cents, for storing. Fails for sub-cent amounts and
/// for amounts beyond ±92 quadrillion euros.
pub fn to_cents(value: Decimal) -> Option<i64> {
    let cents = value.checked_mul(Decimal::ONE_HUNDRED)?.normalize();
    if cents.scale() == 0 { i64::try_from(cents.mantissa()).ok() } else { None }
}

/// An amount of whole cents.
pub fn from_cents(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// The text shown to people and sent over gRPC: always two decimals for
/// money, e.g. "952620.03", "-12.50", "0.00".
pub fn money_text(value: Decimal) -> String {
    let mut v = round_cents(value);
    if v.is_zero() {
        // No "-0.00": a zero is a zero, whatever sign the arithmetic left.
        v = Decimal::ZERO;
    }
    v.rescale(2);
    v.to_string()
}

/// The text of a decimal that is not money (weights, percentages, hours):
/// without trailing zeros, e.g. "50.58", "36", "0.5".
pub fn plain_text(value: Decimal) -> String {
    value.normalize().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        parse_decimal("x", text).unwrap()
    }

    #[test]
    fn parses_exact_decimals_and_refuses_everything_else() {
        assert_eq!(dec("2246325").to_string(), "2246325");
        assert_eq!(dec("952620.03").to_string(), "952620.03");
        assert_eq!(dec("-0.5").to_string(), "-0.5");
        for bad in ["", "1e5", "1,000", "1 000", "1.", ".5", "abc", "--1", "1_000", "+1", "NaN"] {
            assert!(parse_decimal("base", bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(parse_decimal("base", "x1").unwrap_err().field(), "base");
    }

    #[test]
    fn amounts_are_non_negative_whole_cents() {
        assert_eq!(parse_amount("base", "10.50").unwrap(), dec("10.5"));
        assert_eq!(parse_amount("base", "10.500").unwrap(), dec("10.5"));
        assert!(parse_amount("base", "-1").unwrap_err().to_string().contains("negative"));
        assert!(parse_amount("base", "0.001").unwrap_err().to_string().contains("whole cents"));
        assert_eq!(parse_amount("base", "0").unwrap(), Decimal::ZERO);
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round_cents(dec("65426.9418")), dec("65426.94"));
        assert_eq!(round_cents(dec("0.005")), dec("0.01"));
        assert_eq!(round_cents(dec("-0.005")), dec("-0.01"));
        assert_eq!(round_cents(dec("0.0049")), dec("0.00"));
    }

    #[test]
    fn cents_round_trip() {
        for text in ["0", "0.01", "952620.03", "-12.5", "2246325"] {
            let value = dec(text);
            assert_eq!(from_cents(to_cents(value).unwrap()), value, "{text}");
        }
        assert_eq!(to_cents(dec("952620.03")), Some(95_262_003));
        assert_eq!(to_cents(dec("0.001")), None);
        assert_eq!(money_text(dec("12.5")), "12.50");
        assert_eq!(money_text(Decimal::ZERO), "0.00");
        assert_eq!(money_text(dec("-0.001")), "0.00");
        assert_eq!(money_text(dec("5") - dec("5.00")), "0.00");
        assert_eq!(plain_text(dec("50.5800")), "50.58");
    }
}
