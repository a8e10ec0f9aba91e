//! The burgerservicenummer (BSN): 9 digits passing the elfproef. It is
//! personal data; only the intake service stores it.

use std::fmt;

/// A BSN that passed the elfproef.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Bsn(String);

/// Why a string is not a BSN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BsnError {
    #[error("must be 9 digits (pad with leading zeros)")]
    NotNineDigits,
    #[error("fails the elfproef")]
    Elfproef,
}

impl Bsn {
    /// Parses and validates: 9 digits, weighted sum 9·d1 + 8·d2 + … + 2·d8
    /// − 1·d9 divisible by 11, and not all zeros.
    pub fn parse(text: &str) -> Result<Self, BsnError> {
        let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
        if text.len() != 9 || digits.len() != 9 {
            return Err(BsnError::NotNineDigits);
        }
        let sum: i64 = digits
            .iter()
            .zip([9, 8, 7, 6, 5, 4, 3, 2, -1])
            .map(|(&digit, weight)| i64::from(digit) * weight)
            .sum();
        if sum == 0 || sum % 11 != 0 {
            return Err(BsnError::Elfproef);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `n`-th valid BSN of a synthetic range starting at 900000000, for
    /// tests and demonstration data; distinct `n` give distinct numbers.
    pub fn synthetic(n: u32) -> Self {
        // About one prefix in eleven has no valid check digit: skip those.
        (0u64..)
            .map(|k| 90_000_000 + u64::from(n) * 2 + k)
            .find_map(|prefix| (0..10).find_map(|last| Self::parse(&format!("{prefix}{last}")).ok()))
            .expect("a valid number exists within a few prefixes")
    }
}

/// Never prints the number itself, so a BSN cannot leak into logs.
impl fmt::Debug for Bsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bsn(***{})", &self.0[7..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_numbers_that_pass_the_elfproef() {
        assert!(Bsn::parse("111222333").is_ok());
        assert!(Bsn::parse("123456782").is_ok());
    }

    #[test]
    fn refuses_a_wrong_check_digit() {
        assert_eq!(Bsn::parse("123456789"), Err(BsnError::Elfproef));
        assert_eq!(Bsn::parse("111222334"), Err(BsnError::Elfproef));
    }

    #[test]
    fn refuses_wrong_lengths_letters_and_zeros() {
        assert_eq!(Bsn::parse("12345678"), Err(BsnError::NotNineDigits));
        assert_eq!(Bsn::parse("1234567820"), Err(BsnError::NotNineDigits));
        assert_eq!(Bsn::parse("12345678a"), Err(BsnError::NotNineDigits));
        assert_eq!(Bsn::parse(" 23456782"), Err(BsnError::NotNineDigits));
        assert_eq!(Bsn::parse("000000000"), Err(BsnError::Elfproef));
    }

    #[test]
    fn synthetic_numbers_are_valid_and_distinct() {
        let numbers: std::collections::HashSet<String> =
            (0..5000).map(|n| Bsn::synthetic(n).as_str().to_owned()).collect();
        assert_eq!(numbers.len(), 5000);
    }

    #[test]
    fn debug_output_hides_the_number() {
        let bsn = Bsn::parse("111222333").unwrap();
        assert!(!format!("{bsn:?}").contains("111222"));
    }
}
