//! The national taakstelling beschut werk per year (fte), for the
//! partnership and per municipality where known. Data, loaded from a file.

use rust_decimal::Decimal;
use serde::Deserialize;

pub const EMBEDDED: &str = include_str!("../../reference/taakstelling.toml");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    pub year: i32,
    /// "partnership" or a CBS gemeentecode.
    pub scope: String,
    /// Fte, exact (a string in the file: "352" or "12.5").
    pub fte: Decimal,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Taakstelling {
    #[serde(default)]
    taakstelling: Vec<Row>,
}

/// The scope a taakstelling is asked for.
pub enum For<'a> {
    Partnership,
    /// The municipalities of an area or a municipality (merged ones included).
    Municipalities(&'a [String]),
}

impl Taakstelling {
    pub fn from_toml(text: &str) -> anyhow::Result<Self> {
        let data: Self = toml::from_str(text)?;
        for row in &data.taakstelling {
            anyhow::ensure!(row.fte >= Decimal::ZERO, "taakstelling {} {}: fte may not be negative", row.year, row.scope);
        }
        Ok(data)
    }

    pub fn embedded() -> anyhow::Result<Self> {
        Self::from_toml(EMBEDDED)
    }

    /// The taakstelling of a year for the scope: the partnership's figure,
    /// or the sum over the municipalities when every one of them has one
    /// for that year (codes without their own row, e.g. merged ones, are
    /// skipped if at least one code has a row).
    pub fn fte(&self, year: i32, scope: For<'_>) -> Option<Decimal> {
        let rows = self.taakstelling.iter().filter(|r| r.year == year);
        match scope {
            For::Partnership => rows.clone().find(|r| r.scope == "partnership").map(|r| r.fte),
            For::Municipalities(codes) => {
                let found: Vec<Decimal> = rows.filter(|r| codes.contains(&r.scope)).map(|r| r.fte).collect();
                (!found.is_empty()).then(|| found.into_iter().sum())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_2022_taakstelling_is_352_fte() {
        let t = Taakstelling::embedded().unwrap();
        assert_eq!(t.fte(2022, For::Partnership), Some(Decimal::from(352)));
        assert_eq!(t.fte(2019, For::Partnership), None);
    }

    #[test]
    fn municipalities_add_up() {
        let t = Taakstelling::from_toml(
            "[[taakstelling]]\nyear = 2024\nscope = \"GM0828\"\nfte = \"40.5\"\n[[taakstelling]]\nyear = 2024\nscope = \"GM1721\"\nfte = \"10\"\n",
        )
        .unwrap();
        let codes = vec!["GM0828".to_owned(), "GM1721".to_owned()];
        assert_eq!(t.fte(2024, For::Municipalities(&codes)), Some("50.5".parse().unwrap()));
        assert!(Taakstelling::from_toml("[[taakstelling]]\nyear = 2024\nscope = \"x\"\nfte = \"-1\"\n").is_err());
    }
}
