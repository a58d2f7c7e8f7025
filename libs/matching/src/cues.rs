//! Function words that tell who wants what in a listing, and where a party looks for
//! business.
//!
//! Listings are written to a pattern in both languages: *[who] busca / cherche [what]*
//! or *[who] ofrece / propose [what]*. [`split_title`] cuts a title at its first such
//! verb, so that the words before it describe the publisher and the words after it
//! what is sought or offered; [`sentence_intent`] sorts the sentences of a description
//! the same way. These are closed-class words of French and Spanish (verbs of seeking,
//! needing and offering), not trade vocabulary: they hold for any sector.
//!
//! [`markets`] reads the countries and regions a text names as a target ("en Espagne",
//! "en el sur de Francia", "productores franceses"), leaving out mentions of the
//! *language* ("traducción al francés", "fiches en espagnol").

use std::collections::BTreeSet;

/// What a verb or a sentence says the publisher does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Intent {
    /// Seeks, needs, orders or asks for something.
    Seek,
    /// Offers, proposes or sells something.
    Offer,
    /// Neither: a description of the publisher or of the context.
    Neutral,
}

/// Folded, lowercase forms of the verbs (and verbal phrases' heads) of seeking.
const SEEK_WORDS: &[&str] = &[
    // Spanish
    "busca",
    "buscan",
    "buscamos",
    "buscando",
    "necesita",
    "necesitan",
    "necesitamos",
    "precisa",
    "precisan",
    "requiere",
    "requieren",
    "solicita",
    "solicitan",
    "encarga",
    "encargan",
    "demanda",
    "demandan",
    "quiere",
    "quieren",
    "desea",
    "desean",
    "contrata",
    "contratara",
    "licita",
    "adquirira",
    "adquiere",
    "compra",
    "compran",
    "selecciona",
    "amplia",
    "amplian",
    "renueva",
    "renuevan",
    "incorporar",
    "valorara",
    "valoraran",
    "imprescindible",
    "requisito",
    "requisitos",
    // French
    "cherche",
    "cherchent",
    "recherche",
    "recherchent",
    "souhaite",
    "souhaitent",
    "demande",
    "demandent",
    "sollicite",
    "veut",
    "veulent",
    "recrute",
    "recrutent",
    "achete",
    "achetent",
    "commande",
    "besoin",
    "consulte",
    "lance",
    "exige",
    "exigee",
    "exiges",
    "imperatif",
    "indispensable",
];

/// Folded, lowercase forms of the verbs of offering.
const OFFER_WORDS: &[&str] = &[
    // Spanish
    "ofrece",
    "ofrecen",
    "ofrecemos",
    "oferta",
    "ofertan",
    "propone",
    "proponen",
    "vende",
    "venden",
    "venta",
    "comercializa",
    "comercializan",
    "dispone",
    "disponen",
    "fabrica",
    "fabrican",
    "produce",
    "producen",
    "cultiva",
    "cultivan",
    "elabora",
    "elaboran",
    // French
    "offre",
    "offrent",
    "propose",
    "proposent",
    "vend",
    "vendent",
    "vente",
    "commercialise",
    "commercialisent",
    "dispose",
    "disposent",
    "fabrique",
    "fabriquent",
    "produisent",
    "cultive",
    "cultivent",
];

/// Lowercases and folds accents, as the analyzers' folding does.
pub fn fold_lower(text: &str) -> String {
    pyred_text::fold(&text.to_lowercase())
}

/// The words of `text` with their byte ranges: runs of letters and digits.
pub fn words(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            out.push((s, i));
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

fn intent_of_word(folded: &str) -> Intent {
    if SEEK_WORDS.contains(&folded) {
        Intent::Seek
    } else if OFFER_WORDS.contains(&folded) {
        Intent::Offer
    } else {
        Intent::Neutral
    }
}

/// A title cut at its first verb of seeking or offering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TitleParts<'t> {
    /// The words before the verb: who publishes (empty when the verb comes first).
    pub subject: &'t str,
    /// What the verb says, or [`Intent::Neutral`] when the title has no such verb.
    pub intent: Intent,
    /// The words after the verb: what is sought or offered (the whole title when
    /// there is no verb).
    pub object: &'t str,
}

/// Cuts `title` at its first verb of seeking or offering (not its first word, which
/// is the publisher's noun). A title without one is all object.
pub fn split_title(title: &str) -> TitleParts<'_> {
    let spans = words(title);
    for &(from, to) in spans.iter().skip(1) {
        let word = fold_lower(&title[from..to]);
        let intent = intent_of_word(&word);
        if intent != Intent::Neutral {
            return TitleParts {
                subject: title[..from].trim(),
                intent,
                object: title[to..].trim(),
            };
        }
    }
    // A heading "Publisher : what" (tender notices).
    if let Some((subject, object)) = title.split_once(" : ").or_else(|| title.split_once(": ")) {
        return TitleParts {
            subject: subject.trim(),
            intent: Intent::Neutral,
            object: object.trim(),
        };
    }
    TitleParts {
        subject: "",
        intent: Intent::Neutral,
        object: title,
    }
}

/// Cuts a sentence at its first verb of its intent (seeking before offering): the words
/// before it say who ("Agencia con quince años de experiencia … que"), the words after
/// it what is sought or offered. A sentence without such a verb is all subject.
pub fn split_clause(sentence: &str) -> TitleParts<'_> {
    let intent = sentence_intent(sentence);
    if intent != Intent::Neutral {
        for (from, to) in words(sentence) {
            if intent_of_word(&fold_lower(&sentence[from..to])) == intent {
                return TitleParts {
                    subject: sentence[..from].trim(),
                    intent,
                    object: sentence[to..].trim(),
                };
            }
        }
    }
    TitleParts {
        subject: sentence,
        intent: Intent::Neutral,
        object: "",
    }
}

/// Words that open a purpose or destination clause: "para", "pour", "destinado a".
const PURPOSE_WORDS: &[&str] = &[
    "para",
    "pour",
    "destinado",
    "destinada",
    "destinados",
    "destinadas",
    "destine",
    "destinee",
    "destines",
    "destinees",
    "dirigido",
    "dirigida",
    "dirigidos",
    "dirigidas",
];

/// Cuts a phrase at its first purpose word: ("calibradoras ópticas", "para melón y
/// sandía"). Without one, the second part is empty.
pub fn split_purpose(text: &str) -> (&str, &str) {
    for (from, to) in words(text) {
        if PURPOSE_WORDS.contains(&fold_lower(&text[from..to]).as_str()) {
            return (&text[..from], &text[from..]);
        }
    }
    (text, "")
}

/// The sentences of a text (split at `.`, `!`, `?`, `;` followed by a space, and at
/// line breaks), each with the intent its verbs show: seeking wins over offering when
/// a sentence has both ("busca X y ofrece Y" is first of all a request).
pub fn sentences(text: &str) -> Vec<(&str, Intent)> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let end_mark = matches!(b, b'.' | b'!' | b'?' | b';')
            && bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace());
        if end_mark || b == b'\n' {
            push_sentence(&text[start..=i], &mut out);
            start = i + 1;
        }
    }
    push_sentence(&text[start..], &mut out);
    out
}

fn push_sentence<'t>(sentence: &'t str, out: &mut Vec<(&'t str, Intent)>) {
    let sentence = sentence.trim();
    if sentence.is_empty() {
        return;
    }
    out.push((sentence, sentence_intent(sentence)));
}

/// The intent of one sentence: [`Intent::Seek`] when it has a verb of seeking, else
/// [`Intent::Offer`] when it has a verb of offering, else neutral.
pub fn sentence_intent(sentence: &str) -> Intent {
    let mut intent = Intent::Neutral;
    for (from, to) in words(sentence) {
        match intent_of_word(&fold_lower(&sentence[from..to])) {
            Intent::Seek => return Intent::Seek,
            Intent::Offer => intent = Intent::Offer,
            Intent::Neutral => {}
        }
    }
    intent
}

/// A country or region a text names as a place to do business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Market {
    /// Spain.
    Spain,
    /// France.
    France,
    /// Aragón.
    Aragon,
    /// La Rioja.
    Rioja,
    /// Navarre.
    Navarre,
    /// Catalonia.
    Catalonia,
    /// The Basque Country.
    BasqueCountry,
    /// Occitanie.
    Occitanie,
    /// Nouvelle-Aquitaine.
    NouvelleAquitaine,
    /// The French south-west (Gascony, Toulouse, Pau, Bordeaux…).
    SouthWestFrance,
    /// The Gers.
    Gers,
    /// Northern Spain (the Ebro valley and the Pyrenees' southern side).
    NorthernSpain,
}

impl Market {
    /// The market's name in French.
    pub fn name_fr(self) -> &'static str {
        match self {
            Market::Spain => "Espagne",
            Market::France => "France",
            Market::Aragon => "Aragon",
            Market::Rioja => "La Rioja",
            Market::Navarre => "Navarre",
            Market::Catalonia => "Catalogne",
            Market::BasqueCountry => "Pays basque",
            Market::Occitanie => "Occitanie",
            Market::NouvelleAquitaine => "Nouvelle-Aquitaine",
            Market::SouthWestFrance => "Sud-Ouest",
            Market::Gers => "Gers",
            Market::NorthernSpain => "nord de l'Espagne",
        }
    }

    /// The market's name in Spanish.
    pub fn name_es(self) -> &'static str {
        match self {
            Market::Spain => "España",
            Market::France => "Francia",
            Market::Aragon => "Aragón",
            Market::Rioja => "La Rioja",
            Market::Navarre => "Navarra",
            Market::Catalonia => "Cataluña",
            Market::BasqueCountry => "País Vasco",
            Market::Occitanie => "Occitania",
            Market::NouvelleAquitaine => "Nueva Aquitania",
            Market::SouthWestFrance => "suroeste de Francia",
            Market::Gers => "Gers",
            Market::NorthernSpain => "norte de España",
        }
    }

    /// The country a market lies in.
    pub fn country(self) -> Market {
        match self {
            Market::Spain
            | Market::Aragon
            | Market::Rioja
            | Market::Navarre
            | Market::Catalonia
            | Market::BasqueCountry
            | Market::NorthernSpain => Market::Spain,
            Market::France
            | Market::Occitanie
            | Market::NouvelleAquitaine
            | Market::SouthWestFrance
            | Market::Gers => Market::France,
        }
    }
}

/// Single folded words naming a market. Names of places that are also trade words
/// ("Rioja" the wine, "Armagnac", "Gascogne" in product names) are left out: they say
/// what, not where.
const MARKET_WORDS: &[(&str, Market)] = &[
    ("espagne", Market::Spain),
    ("espana", Market::Spain),
    ("spain", Market::Spain),
    ("espagnols", Market::Spain),
    ("espagnoles", Market::Spain),
    ("espanoles", Market::Spain),
    ("espanolas", Market::Spain),
    ("hispanique", Market::Spain),
    ("iberique", Market::Spain),
    ("france", Market::France),
    ("francia", Market::France),
    ("francais", Market::France),
    ("francaises", Market::France),
    ("franceses", Market::France),
    ("francesas", Market::France),
    ("aragon", Market::Aragon),
    ("aragonais", Market::Aragon),
    ("aragonaises", Market::Aragon),
    ("aragoneses", Market::Aragon),
    ("aragonesas", Market::Aragon),
    ("saragosse", Market::Aragon),
    ("zaragoza", Market::Aragon),
    ("huesca", Market::Aragon),
    ("teruel", Market::Aragon),
    ("logrono", Market::Rioja),
    ("riojanos", Market::Rioja),
    ("riojanas", Market::Rioja),
    ("riojans", Market::Rioja),
    ("navarre", Market::Navarre),
    ("navarra", Market::Navarre),
    ("pampelune", Market::Navarre),
    ("pamplona", Market::Navarre),
    ("catalogne", Market::Catalonia),
    ("cataluna", Market::Catalonia),
    ("catalunya", Market::Catalonia),
    ("barcelone", Market::Catalonia),
    ("barcelona", Market::Catalonia),
    ("euskadi", Market::BasqueCountry),
    ("occitanie", Market::Occitanie),
    ("occitania", Market::Occitanie),
    ("toulouse", Market::Occitanie),
    ("tolosa", Market::Occitanie),
    ("montpellier", Market::Occitanie),
    ("aquitaine", Market::NouvelleAquitaine),
    ("aquitania", Market::NouvelleAquitaine),
    ("bordeaux", Market::NouvelleAquitaine),
    ("burdeos", Market::NouvelleAquitaine),
    ("pau", Market::NouvelleAquitaine),
    ("bayonne", Market::NouvelleAquitaine),
    ("gascuna", Market::SouthWestFrance),
    ("gascon", Market::SouthWestFrance),
    ("gers", Market::Gers),
    ("auch", Market::Gers),
];

/// Two-word folded phrases naming a market.
const MARKET_PHRASES: &[(&str, &str, Market)] = &[
    ("sud", "ouest", Market::SouthWestFrance),
    ("suroeste", "frances", Market::SouthWestFrance),
    ("sudoeste", "frances", Market::SouthWestFrance),
    ("suroeste", "francia", Market::SouthWestFrance),
    ("sur", "francia", Market::SouthWestFrance),
    ("midi", "france", Market::SouthWestFrance),
    ("pays", "basque", Market::BasqueCountry),
    ("pais", "vasco", Market::BasqueCountry),
    ("nord", "espagne", Market::NorthernSpain),
    ("norte", "espana", Market::NorthernSpain),
    ("valle", "ebro", Market::NorthernSpain),
    ("vallee", "ebre", Market::NorthernSpain),
    ("la", "rioja", Market::Rioja),
];

/// Singular nationality adjectives: a market when they qualify a party ("fabricante
/// francés"), a language after a preposition or in a pair ("al francés",
/// "francés-español", "en espagnol").
const NATIONALITY_SINGULAR: &[(&str, Market)] = &[
    ("frances", Market::France),
    ("francesa", Market::France),
    ("francais", Market::France),
    ("francaise", Market::France),
    ("espanol", Market::Spain),
    ("espanola", Market::Spain),
    ("espagnol", Market::Spain),
    ("espagnole", Market::Spain),
];

/// Words after which a nationality adjective names a language.
const LANGUAGE_CONTEXT: &[&str] = &[
    "al",
    "en",
    "de",
    "del",
    "du",
    "parle",
    "parlent",
    "habla",
    "hablan",
    "langue",
    "lengua",
    "idioma",
    "castellano",
    "anglais",
    "ingles",
    "traduction",
    "traduccion",
    "interpretes",
    "interpretation",
    "interpretacion",
];

/// The markets `text` names as places to do business.
pub fn markets(text: &str) -> BTreeSet<Market> {
    let spans = words(text);
    let folded: Vec<String> = spans
        .iter()
        .map(|&(from, to)| fold_lower(&text[from..to]))
        .collect();
    let mut out = BTreeSet::new();
    for (i, word) in folded.iter().enumerate() {
        if let Some(&(_, market)) = MARKET_WORDS.iter().find(|(w, _)| w == word) {
            out.insert(market);
        }
        // Phrases, allowing one small word in between ("sur de Francia").
        for &(first, second, market) in MARKET_PHRASES {
            if word == first
                && (folded.get(i + 1).is_some_and(|w| w == second)
                    || (folded.get(i + 1).is_some_and(|w| w.len() <= 3)
                        && folded.get(i + 2).is_some_and(|w| w == second)))
            {
                out.insert(market);
            }
        }
        if let Some(&(_, market)) = NATIONALITY_SINGULAR.iter().find(|(w, _)| w == word) {
            let after_language_word = i
                .checked_sub(1)
                .and_then(|p| folded.get(p))
                .is_some_and(|p| LANGUAGE_CONTEXT.contains(&p.as_str()));
            let in_pair = is_language_pair(text, &spans, i);
            if !after_language_word && !in_pair {
                out.insert(market);
            }
        }
    }
    out
}

/// Whether word `i` is one side of "francés-español" or "français/espagnol".
fn is_language_pair(text: &str, spans: &[(usize, usize)], i: usize) -> bool {
    let joined_to = |a: usize, b: usize| {
        let (Some(&(_, end)), Some(&(start, _))) = (spans.get(a), spans.get(b)) else {
            return false;
        };
        let between = text.get(end..start).unwrap_or_default().trim();
        matches!(between, "-" | "/" | "–" | "<>" | "↔")
    };
    let nationality = |index: usize| {
        spans.get(index).is_some_and(|&(from, to)| {
            let word = fold_lower(&text[from..to]);
            NATIONALITY_SINGULAR.iter().any(|(w, _)| *w == word)
        })
    };
    (i > 0 && nationality(i - 1) && joined_to(i - 1, i))
        || (nationality(i + 1) && joined_to(i, i + 1))
}

/// The markets a place in the ISO 3166-2 region `region` belongs to.
pub fn markets_of_region(region: &str) -> BTreeSet<Market> {
    let region = region.trim().to_ascii_uppercase();
    let mut out = BTreeSet::new();
    let Some((country, sub)) = region.split_once('-') else {
        match region.as_str() {
            "FR" => {
                out.insert(Market::France);
            }
            "ES" => {
                out.insert(Market::Spain);
            }
            _ => {}
        }
        return out;
    };
    match country {
        "FR" => {
            out.insert(Market::France);
            const OCCITANIE: &[&str] = &[
                "OCC", "09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82",
            ];
            const NOUVELLE_AQUITAINE: &[&str] = &[
                "NAQ", "16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87",
            ];
            const SOUTH_WEST: &[&str] = &[
                "09", "24", "31", "32", "33", "40", "46", "47", "64", "65", "81", "82",
            ];
            if OCCITANIE.contains(&sub) {
                out.insert(Market::Occitanie);
            }
            if NOUVELLE_AQUITAINE.contains(&sub) {
                out.insert(Market::NouvelleAquitaine);
            }
            if SOUTH_WEST.contains(&sub) {
                out.insert(Market::SouthWestFrance);
            }
            if sub == "32" {
                out.insert(Market::Gers);
            }
        }
        "ES" => {
            out.insert(Market::Spain);
            let specific = match sub {
                "AR" | "HU" | "TE" | "Z" => Some(Market::Aragon),
                "RI" | "LO" => Some(Market::Rioja),
                "NC" | "NA" => Some(Market::Navarre),
                "CT" | "B" | "GI" | "L" | "T" => Some(Market::Catalonia),
                "PV" | "BI" | "SS" | "VI" => Some(Market::BasqueCountry),
                _ => None,
            };
            if let Some(market) = specific {
                out.insert(market);
            }
            if matches!(
                sub,
                "AR" | "HU" | "TE" | "Z" | "RI" | "LO" | "NC" | "NA" | "CT" | "PV" | "CL" | "CB"
            ) {
                out.insert(Market::NorthernSpain);
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_splits_at_its_verb() {
        let parts = split_title("Bodega riojana busca estuches de cartón");
        assert_eq!(parts.subject, "Bodega riojana");
        assert_eq!(parts.intent, Intent::Seek);
        assert_eq!(parts.object, "estuches de cartón");
        let parts = split_title("Scierie landaise propose des palettes");
        assert_eq!(parts.intent, Intent::Offer);
        assert_eq!(parts.subject, "Scierie landaise");
        let parts = split_title("Suministro de pan para comedores escolares");
        assert_eq!(parts.intent, Intent::Neutral);
        assert_eq!(parts.subject, "");
        let parts = split_title("Ville de Condom : rénovation du marché couvert");
        assert_eq!(parts.subject, "Ville de Condom");
        assert_eq!(parts.object, "rénovation du marché couvert");
    }

    #[test]
    fn a_clause_splits_at_the_verb_of_its_intent() {
        let parts = split_clause("Agencia con almacén propio que busca clientes en Occitania.");
        assert_eq!(parts.subject, "Agencia con almacén propio que");
        assert_eq!(parts.intent, Intent::Seek);
        assert_eq!(parts.object, "clientes en Occitania.");
        let parts = split_clause("Empresa familiar con treinta años.");
        assert_eq!(parts.intent, Intent::Neutral);
        assert_eq!(parts.subject, "Empresa familiar con treinta años.");
    }

    #[test]
    fn a_purpose_clause_names_customers() {
        assert_eq!(
            split_purpose("calibradoras ópticas para melón y sandía"),
            ("calibradoras ópticas ", "para melón y sandía")
        );
        assert_eq!(split_purpose("cuves inox"), ("cuves inox", ""));
    }

    #[test]
    fn sentences_carry_their_intent() {
        let found = sentences(
            "Empresa familiar con 30 años. Necesita 200 palés al mes; se ofrece contrato anual.",
        );
        let intents: Vec<Intent> = found.iter().map(|(_, i)| *i).collect();
        assert_eq!(intents, [Intent::Neutral, Intent::Seek, Intent::Offer]);
    }

    #[test]
    fn markets_are_places_not_languages() {
        let found =
            markets("Busca fabricante francés con fichas en español para el sur de Francia");
        assert!(found.contains(&Market::France));
        assert!(found.contains(&Market::SouthWestFrance));
        assert!(!found.contains(&Market::Spain), "{found:?}");
        let found = markets("Servicio de traducción francés-español");
        assert!(found.is_empty(), "{found:?}");
        let found = markets("Cherche des importateurs en Espagne et au Pays basque");
        assert!(found.contains(&Market::Spain) && found.contains(&Market::BasqueCountry));
    }

    #[test]
    fn regions_belong_to_markets() {
        let gers = markets_of_region("FR-32");
        assert!(gers.contains(&Market::Gers) && gers.contains(&Market::Occitanie));
        assert!(markets_of_region("ES-AR").contains(&Market::NorthernSpain));
        assert!(markets_of_region("XX").is_empty());
    }
}
