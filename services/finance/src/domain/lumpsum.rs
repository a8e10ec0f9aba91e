//! The lumpsum: per budget period the partnership fixes a yearly amount for
//! the basispakket (infrastructure extra costs, voortrajecten & expertise,
//! guidance & staff development of PW employees, incl. beschut). It includes
//! a surcharge (opslag) for risk and investment, 3% in the reference data,
//! stored apart from the base: total = base × 1.03, to the cent.

use rust_decimal::Decimal;

use super::RuleError;
use super::money::{non_negative, round_cents, whole_cents};

/// A yearly lumpsum's amounts, excl. VAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LumpsumAmounts {
    /// The base, whole cents.
    pub base: Decimal,
    /// The surcharge percentage it was computed with, e.g. 3.
    pub surcharge_percent: Decimal,
    /// base × surcharge_percent ÷ 100, rounded to the cent.
    pub surcharge: Decimal,
}

impl LumpsumAmounts {
    /// Computes the surcharge of a base. The base must be whole cents and
    /// not negative; the percentage not negative.
    pub fn from_base(base: Decimal, surcharge_percent: Decimal) -> Result<Self, RuleError> {
        let base = whole_cents("base", non_negative("base", base)?)?;
        let surcharge_percent = non_negative("surcharge_percent", surcharge_percent)?;
        let surcharge = round_cents(base * surcharge_percent / Decimal::ONE_HUNDRED);
        Ok(Self { base, surcharge_percent, surcharge })
    }

    /// What is allocated over the municipalities: base + surcharge.
    pub fn total(&self) -> Decimal {
        self.base + self.surcharge
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::XorShift;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn the_surcharge_is_stored_apart_and_the_total_is_base_times_1_03() {
        // The 2021 lumpsum of 2,246,325 has a base of 2,180,898.06.
        let l = LumpsumAmounts::from_base(dec("2180898.06"), dec("3")).unwrap();
        assert_eq!(l.surcharge, dec("65426.94"));
        assert_eq!(l.total(), dec("2246325.00"));
    }

    #[test]
    fn negative_or_sub_cent_bases_are_refused() {
        let err = LumpsumAmounts::from_base(dec("-1"), dec("3")).unwrap_err();
        assert_eq!(err.field(), "base");
        assert!(LumpsumAmounts::from_base(dec("1.001"), dec("3")).is_err());
    }

    #[test]
    fn the_total_is_always_base_times_1_03_rounded_to_the_cent() {
        let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
        for _ in 0..2000 {
            let base = Decimal::new((rng.below(100_000_000_000)) as i64, 2);
            let l = LumpsumAmounts::from_base(base, dec("3")).unwrap();
            assert_eq!(l.total(), round_cents(base * dec("1.03")), "{base}");
            assert!(l.total().normalize().scale() <= 2);
        }
    }
}
