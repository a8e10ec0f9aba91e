//! The yearly norms for started PW dienstverbanden (domain.md §3): 200 a
//! year; supply-led 140 and demand-led 60 through 2022, 180 and 20 from
//! 2023. Data, loaded from a file, not code.

use serde::Deserialize;

/// The norms from a year on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Norm {
    pub from_year: i32,
    pub total: u32,
    pub aanbodgestuurd: u32,
    pub vraaggestuurd: u32,
}

/// The norms file in the repository, built in.
pub const EMBEDDED: &str = include_str!("../../reference/norms.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Norms {
    norms: Vec<Norm>,
}

impl Norms {
    pub fn from_toml(text: &str) -> anyhow::Result<Self> {
        let mut norms: Self = toml::from_str(text)?;
        norms.norms.sort_by_key(|n| n.from_year);
        for n in &norms.norms {
            anyhow::ensure!(
                n.aanbodgestuurd + n.vraaggestuurd == n.total,
                "norms from {}: {} + {} is not {}",
                n.from_year,
                n.aanbodgestuurd,
                n.vraaggestuurd,
                n.total
            );
        }
        Ok(norms)
    }

    pub fn embedded() -> anyhow::Result<Self> {
        Self::from_toml(EMBEDDED)
    }

    /// The norms of a year (none before the first row).
    pub fn for_year(&self, year: i32) -> Option<Norm> {
        self.norms.iter().rev().find(|n| n.from_year <= year).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_norms_changed_in_2023() {
        let norms = Norms::embedded().unwrap();
        assert_eq!(norms.for_year(2022).map(|n| (n.total, n.aanbodgestuurd, n.vraaggestuurd)), Some((200, 140, 60)));
        assert_eq!(norms.for_year(2024).map(|n| (n.total, n.aanbodgestuurd, n.vraaggestuurd)), Some((200, 180, 20)));
        assert_eq!(norms.for_year(2019), None);
    }

    #[test]
    fn norms_that_do_not_add_up_are_refused() {
        let bad = "[[norms]]\nfrom_year = 2021\ntotal = 200\naanbodgestuurd = 150\nvraaggestuurd = 60\n";
        assert!(Norms::from_toml(bad).is_err());
    }
}
