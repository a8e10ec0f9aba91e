//! The Dutch labels the councils read (domain.md), by the codes the
//! services use. One place, so every rendering says the same.

pub fn status(code: &str) -> &'static str {
    match code {
        "INTAKE" => "Intake",
        "VOORTRAJECT" => "Voortraject",
        "PROEFPLAATSING" => "Proefplaatsing",
        "OPLEIDING" => "Opleiding",
        "DVB_REGULIERE_WERKGEVER" => "Dvb reguliere werkgever",
        "DVB_IBN" => "Dvb IBN",
        "VERHUISD" => "Verhuisd",
        "ON_HOLD" => "On hold",
        "TERUGGEMELD" => "Teruggemeld",
        _ => "Onbekend",
    }
}

pub fn status_group(code: &str) -> &'static str {
    match code {
        "AAN_HET_WERK_OPLEIDING" => "Aan het werk / opleiding geholpen",
        "NOG_IN_TRAJECT" => "Nog in traject",
        "NIET_IN_TRAJECT" => "Niet in traject",
        _ => "Onbekend",
    }
}

pub fn reason(code: &str) -> &'static str {
    match code {
        "TIJDELIJK_NIET_IN_STAAT" => "Tijdelijk niet in staat te werken",
        "VOLDOET_NIET_AAN_INSTROOMEISEN" => "Voldoet niet aan de gestelde instroomeisen",
        "OP_VERZOEK_VAN_GEMEENTE" => "Op verzoek van gemeente",
        "OP_VERZOEK_VAN_KANDIDAAT" => "Op verzoek van kandidaat",
        "OVERIG" => "Overig",
        "NIET_UIT_DE_DATA_AF_TE_LEIDEN" => "Niet uit de data af te leiden",
        _ => "Onbekend",
    }
}

pub fn trajectory_result(code: &str) -> &'static str {
    match code {
        "OPLEIDING" => "Opleiding",
        "DVB_REGULIERE_WERKGEVER" => "Dvb reguliere werkgever",
        "DVB_IBN_REGULIER_CONTRACT" => "Dvb IBN (regulier contract)",
        "DVB_IBN_KERNBEZETTING" => "Dvb IBN (kernbezetting PW)",
        "OP_EIGEN_VERZOEK" => "Op eigen verzoek",
        "NIET_PASSEND" => "Traject (nog) niet passend",
        "VERHUISD" => "Verhuisd",
        _ => "Onbekend",
    }
}

pub fn result_group(code: &str) -> &'static str {
    match code {
        "NAAR_WERK_OF_OPLEIDING" => "Afgerond, naar werk of opleiding",
        "OVERIG" => "Afgerond, overig",
        _ => "Onbekend",
    }
}

/// A classification value of a started dienstverband.
pub fn classification(code: &str) -> &'static str {
    match code {
        "AANBODGESTUURD" => "Aanbodgestuurd",
        "VRAAGGESTUURD" => "Vraaggestuurd",
        "NIEUW_REGULIER" => "Nieuw regulier (niet beschut)",
        "NIEUW_BESCHUT" => "Nieuw beschut",
        "REGULIER_VRAAGGESTUURD" => "Regulier (vraaggestuurd)",
        "MET_UITSTROOMPROFIEL_REGULIER" => "Met uitstroomprofiel regulier",
        "ZONDER_UITSTROOMPROFIEL_REGULIER" => "Zonder uitstroomprofiel regulier",
        "NIET_BEKEND" => "Niet bekend",
        "NVT_VRAAGGESTUURD" => "N.v.t. (vraaggestuurd)",
        "FORFAITAIR" => "Forfaitair",
        "ONDER_30" => "<30%",
        "30_TOT_50" => "30–49%",
        "50_TOT_EN_MET_80" => "50–80%",
        "BOVEN_80" => ">80%",
        other => step(other),
    }
}

pub fn step(code: &str) -> &'static str {
    match code {
        "WERKEN_BINNEN_IBN" => "Werken binnen IBN",
        "WERKEN_OP_LOCATIE" => "Werken op locatie",
        "ZELFSTANDIG_WERKEN_OP_LOCATIE" => "Zelfstandig werken op locatie",
        "REGULIER_WERKEN_MET_VANGNET" => "Regulier werken met vangnet",
        "REGULIER_WERKEN" => "Regulier werken",
        _ => "Onbekend",
    }
}

pub fn activity(code: &str) -> &'static str {
    match code {
        "ARBEIDSONDERZOEK" => "Arbeidsonderzoeken",
        "TRAINING_BASISVAARDIGHEDEN" => "Trainingen basisvaardigheden",
        "TRAINING_MAATWERK" => "Trainingen maatwerk",
        "JOBCOACHING" => "Jobcoaching",
        _ => "Onbekend",
    }
}

pub fn contract_kind(code: &str) -> &'static str {
    match code {
        "WSW" => "Wsw",
        "PW" => "Participatiewet",
        "REGULIER" => "Regulier",
        "KADER" => "Kader",
        _ => "Onbekend",
    }
}

/// A date as the report prints it: 31-12-2023.
pub fn date(d: chrono::NaiveDate) -> String {
    d.format("%d-%m-%Y").to_string()
}
