//! Expertise and development activities, counted per period (domain.md §3).

use partnership_platform::code_enum;

code_enum! {
    /// The kind of an activity.
    pub enum ActivityKind {
        /// Arbeidsonderzoek: a work assessment.
        Arbeidsonderzoek = "ARBEIDSONDERZOEK",
        /// Training in basic skills (basisvaardigheden).
        TrainingBasisvaardigheden = "TRAINING_BASISVAARDIGHEDEN",
        /// Tailored training (maatwerk).
        TrainingMaatwerk = "TRAINING_MAATWERK",
        Jobcoaching = "JOBCOACHING",
    }
}
