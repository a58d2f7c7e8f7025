//! The French and Spanish analyzers, as functions and inside a tantivy index.

use pyred_text::{
    ANALYZER_ES, ANALYZER_FOLD, ANALYZER_FR, Language, analyze, analyze_tokens, register_analyzers,
};
use tantivy::collector::Count;
use tantivy::query::QueryParser;
use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::{Index, IndexWriter, TantivyDocument, doc};

fn one(text: &str, language: Language) -> String {
    let tokens = analyze(text, language);
    assert_eq!(tokens.len(), 1, "{text:?} gave {tokens:?}");
    tokens.into_iter().next().unwrap_or_default()
}

#[test]
fn elision_plural_and_case_meet() {
    let forms = [
        "l'usinage",
        "L’usinage",
        "usinages",
        "USINAGE",
        "d'usinage",
        "qu’usinage",
    ];
    let tokens: Vec<String> = forms.iter().map(|f| one(f, Language::Fr)).collect();
    assert!(tokens.iter().all(|t| t == "usinag"), "{tokens:?}");
}

#[test]
fn long_elisions() {
    assert_eq!(
        analyze(
            "jusqu'à l'atelier, lorsqu’il s'agit, puisqu'elle",
            Language::Fr
        ),
        ["ateli", "agit"]
    );
}

#[test]
fn french_accents_fold_after_stemming() {
    // Accented and unaccented spellings of a noun meet.
    assert_eq!(
        one("aéronautiques", Language::Fr),
        one("aeronautiques", Language::Fr)
    );
    assert_eq!(one("pièces", Language::Fr), one("pieces", Language::Fr));
    assert_eq!(one("énergies", Language::Fr), "energ");
    // Folding does not merge distinct stems: usinage (machining) vs usine (factory).
    assert_ne!(one("usinage", Language::Fr), one("usine", Language::Fr));
    // Documented limit: a suffix the stemmer only knows accented is missed unaccented.
    assert_eq!(one("abordée", Language::Fr), "abord");
    assert_eq!(one("abordee", Language::Fr), "aborde");
}

#[test]
fn spanish_plurals_and_accents() {
    for (a, b) in [
        ("aeronáuticas", "aeronáutico"),
        ("aeronáuticas", "aeronauticas"),
        ("piezas", "pieza"),
        ("depósitos", "depositos"),
        ("fabricación", "fabricacion"),
        ("soldaduras", "soldadura"),
        ("bodegas", "bodega"),
    ] {
        assert_eq!(one(a, Language::Es), one(b, Language::Es), "{a} / {b}");
    }
    // French and Spanish trade words share a stem.
    assert_eq!(
        one("aéronautiques", Language::Fr),
        one("aeronáuticas", Language::Es)
    );
    assert_eq!(
        one("logistique", Language::Fr),
        one("logística", Language::Es)
    );
}

#[test]
fn stop_words_in_both_spellings() {
    let accented = analyze("el taller está en la ciudad", Language::Es);
    assert_eq!(accented.len(), 2, "{accented:?}");
    assert_eq!(
        accented,
        analyze("el taller esta en la ciudad", Language::Es)
    );
    assert!(analyze("de la et à été", Language::Fr).is_empty());
}

#[test]
fn offsets_and_positions() {
    let text = "L’usinage de pièces";
    let tokens = analyze_tokens(text, Language::Fr);
    assert_eq!(tokens.len(), 2);
    assert_eq!(&text[tokens[0].offset_from..tokens[0].offset_to], "usinage");
    assert_eq!(&text[tokens[1].offset_from..tokens[1].offset_to], "pièces");
    assert_eq!(
        tokens[1].position - tokens[0].position,
        2,
        "the stop word keeps its place"
    );
}

#[test]
fn registered_analyzers_work_inside_tantivy() -> tantivy::Result<()> {
    let mut builder = Schema::builder();
    let field = |name: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(name)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let fr = builder.add_text_field("fr", field(ANALYZER_FR));
    let es = builder.add_text_field("es", field(ANALYZER_ES));
    let name = builder.add_text_field("name", field(ANALYZER_FOLD));
    let index = Index::create_in_ram(builder.build());
    register_analyzers(index.tokenizers());
    let mut writer: IndexWriter<TantivyDocument> = index.writer_with_num_threads(1, 15_000_000)?;
    writer.add_document(doc!(
        fr => "L’usinage de pièces aéronautiques",
        name => "Mécanique de l'Adour",
    ))?;
    writer.add_document(doc!(
        es => "Mecanizado de piezas aeronáuticas",
        name => "Talleres Logroño",
    ))?;
    writer.commit()?;
    let searcher = index.reader()?.searcher();
    let count = |field, query: &str| -> tantivy::Result<usize> {
        let parser = QueryParser::for_index(&index, vec![field]);
        let query = parser
            .parse_query(query)
            .map_err(|e| tantivy::TantivyError::InvalidArgument(e.to_string()))?;
        searcher.search(&query, &Count)
    };
    assert_eq!(count(fr, "usinages")?, 1);
    assert_eq!(
        count(fr, "\"usinage de pieces\"")?,
        1,
        "phrase keeps the stop word's place"
    );
    assert_eq!(count(fr, "aeronautique")?, 1);
    assert_eq!(count(es, "aeronautica")?, 1);
    assert_eq!(count(es, "pieza")?, 1);
    assert_eq!(count(name, "mecanique")?, 1);
    assert_eq!(count(name, "logrono")?, 1);
    Ok(())
}
