//! The firm's lead sheet: one A4 page of PDF that an adviser hands on to a firm — who the
//! firm is (name, SIRET/NIF, place, sector, what it offers and seeks) and its ten best
//! leads with the explanations the console's firm page shows (score, listing title, place
//! and travel time by road, kind, deadline, a closed crossing, reasons), in the console's
//! language, with the date and "Pyred" in the footer.
//!
//! How the parts fit:
//! - the console (`GET /console/firms/{id}/leads.pdf`) gathers the data and the localised
//!   words into a [`SheetFirm`] and [`SheetLead`]s, and calls [`lead_sheet`];
//! - [`layout`] places every line on the page, cutting text so that everything fits one
//!   page: the firm's name and each lead's title wrap to two lines at most, longer text
//!   ends in an ellipsis, and the reasons share the room left (every lead gets a line
//!   before any gets a second);
//! - [`write_pdf`] writes the page with `pdf-writer`.
//!
//! No font is embedded: the text is set in the PDF base-14 fonts Helvetica and
//! Helvetica-Bold with `WinAnsiEncoding`, which every viewer has and which covers French
//! and Spanish ([`winansi`]; any other character prints as `?`). Lines are broken by the
//! fonts' real glyph widths ([`text_width`], Adobe's AFM metrics). The content stream is
//! left uncompressed: a few kilobytes, and readable by tests.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::i18n::Lang;

/// The firm, as the sheet shows it; an empty field is left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetFirm {
    /// Trading name.
    pub name: String,
    /// SIRET, SIREN or NIF as displayed.
    pub legal_id: String,
    /// "Auch (32013), FR-32".
    pub place: String,
    /// Activities with their labels, "25.62 Usinage; …".
    pub sector: String,
    /// What it offers.
    pub offers: String,
    /// What it seeks.
    pub seeks: String,
}

/// One lead, already in the sheet's language; an empty field is left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetLead {
    /// "72 %".
    pub score: String,
    /// The listing's title (in its own language).
    pub title: String,
    /// "Zaragoza (ES-AR)".
    pub place: String,
    /// The trip by road, "3 h 10 par le tunnel du Somport · 263 km"; "210 km" as the
    /// crow flies for a match scored before matches carried their trip.
    pub distance: String,
    /// When the trip's best crossing was closed that day: « le col du Pourtalet est
    /// fermé ce jour (+25 min) », printed as the lead's first bullet.
    pub closed: String,
    /// The kind in words ("Appel d'offres").
    pub kind: String,
    /// `YYYY-MM-DD`.
    pub deadline: String,
    /// The reasons, strongest first.
    pub reasons: Vec<String>,
}

/// One of the two fonts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    /// Helvetica.
    Regular,
    /// Helvetica-Bold.
    Bold,
}

/// A text colour (RGB, 0..1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Color(pub f32, pub f32, pub f32);

/// Body text: the console's ink, `#1a1a1a`.
const INK: Color = Color(0.102, 0.102, 0.102);
/// Secondary text.
const MUTED: Color = Color(0.33, 0.33, 0.33);
/// Scores and the brand: the console's link blue, `#1f4e9c`.
const ACCENT: Color = Color(0.122, 0.306, 0.612);
/// Separating rules.
const RULE: Color = Color(0.75, 0.75, 0.75);

/// One line of text at a baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Left edge, points from the page's left.
    pub x: f32,
    /// Baseline, points from the page's bottom.
    pub y: f32,
    /// Font.
    pub font: Font,
    /// Font size, points.
    pub size: f32,
    /// Colour.
    pub color: Color,
    /// The text.
    pub text: String,
}

/// A horizontal rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Left end.
    pub x1: f32,
    /// Right end.
    pub x2: f32,
    /// Height.
    pub y: f32,
    /// Thickness.
    pub width: f32,
}

/// A laid-out page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// Text lines, top to bottom.
    pub lines: Vec<Line>,
    /// Rules.
    pub rules: Vec<Rule>,
    /// How many leads are on it (all given, up to ten, unless the page could not hold them).
    pub leads_shown: usize,
}

/// A4 in points.
pub const PAGE_WIDTH: f32 = 595.28;
/// A4 in points.
pub const PAGE_HEIGHT: f32 = 841.89;
/// Left, right and top margin.
pub const MARGIN: f32 = 42.0;
/// Nothing but the footer goes below this.
pub const BODY_BOTTOM: f32 = 50.0;
/// The most leads a sheet shows.
pub const MAX_LEADS: usize = 10;

const LEFT: f32 = MARGIN;
const RIGHT: f32 = PAGE_WIDTH - MARGIN;
const TOP: f32 = PAGE_HEIGHT - MARGIN;
const LABEL_WIDTH: f32 = 112.0;
const SCORE_WIDTH: f32 = 46.0;
const BULLET: &str = "•";
const BULLET_WIDTH: f32 = 9.0;

const TITLE_SIZE: f32 = 10.0;
const TITLE_LEADING: f32 = 12.0;
const META_SIZE: f32 = 8.5;
const META_LEADING: f32 = 11.0;
const REASON_SIZE: f32 = 8.5;
const REASON_LEADING: f32 = 10.5;
const LEAD_GAP: f32 = 7.0;
const REASON_LINES_PER_LEAD: usize = 4;

/// The sheet as PDF bytes: `date` (`YYYY-MM-DD`) goes in the footer. At most
/// [`MAX_LEADS`] leads are shown, in the order given.
pub fn lead_sheet(lang: Lang, firm: &SheetFirm, leads: &[SheetLead], date: &str) -> Vec<u8> {
    let page = layout(lang, firm, leads, date);
    let words = lang.words();
    write_pdf(&page, &format!("{} — {}", words["lead_sheet"], firm.name))
}

/// Places every line of the sheet on one page.
pub fn layout(lang: Lang, firm: &SheetFirm, leads: &[SheetLead], date: &str) -> Page {
    let words = lang.words();
    let mut page = Page::default();
    let width = RIGHT - LEFT;
    let mut y = TOP;

    // Header: the brand, the firm's name, its profile as label/value rows.
    y -= 9.0;
    page.lines.push(Line {
        x: LEFT,
        y,
        font: Font::Bold,
        size: 9.0,
        color: ACCENT,
        text: format!("Pyred · {}", words["lead_sheet"]),
    });
    y -= 6.0;
    for text in wrap(&firm.name, Font::Bold, 16.0, width, 2) {
        y -= 19.0;
        page.lines.push(Line {
            x: LEFT,
            y,
            font: Font::Bold,
            size: 16.0,
            color: INK,
            text,
        });
    }
    y -= 5.0;
    let rows = [
        (words["legal_id"], &firm.legal_id, 1),
        (words["place"], &firm.place, 1),
        (words["sector"], &firm.sector, 2),
        (words["offers"], &firm.offers, 3),
        (words["seeks"], &firm.seeks, 3),
    ];
    for (label, value, max_lines) in rows {
        if value.trim().is_empty() {
            continue;
        }
        let label_lines = wrap(label, Font::Bold, 8.5, LABEL_WIDTH - 8.0, 1);
        let value_lines = wrap(value, Font::Regular, 9.0, width - LABEL_WIDTH, max_lines);
        for (i, text) in value_lines.into_iter().enumerate() {
            y -= 11.5;
            if i == 0 {
                page.lines.extend(label_lines.first().map(|label| Line {
                    x: LEFT,
                    y,
                    font: Font::Bold,
                    size: 8.5,
                    color: MUTED,
                    text: label.clone(),
                }));
            }
            page.lines.push(Line {
                x: LEFT + LABEL_WIDTH,
                y,
                font: Font::Regular,
                size: 9.0,
                color: INK,
                text,
            });
        }
    }
    y -= 9.0;
    page.rules.push(Rule {
        x1: LEFT,
        x2: RIGHT,
        y,
        width: 0.8,
    });

    // The leads: fixed parts first, then the reasons share the room left.
    let leads = &leads[..leads.len().min(MAX_LEADS)];
    y -= 18.0;
    page.lines.push(Line {
        x: LEFT,
        y,
        font: Font::Bold,
        size: 11.5,
        color: INK,
        text: format!("{} ({})", words["best_leads"], leads.len()),
    });
    y -= 6.0;
    if leads.is_empty() {
        y -= 14.0;
        page.lines.push(Line {
            x: LEFT,
            y,
            font: Font::Regular,
            size: 9.0,
            color: MUTED,
            text: words["none"].to_owned(),
        });
    }
    let text_x = LEFT + SCORE_WIDTH;
    let column_width = RIGHT - text_x;
    let reason_width = column_width - BULLET_WIDTH;
    struct Block {
        title: Vec<String>,
        meta: String,
        reasons: Vec<(bool, String)>,
    }
    let blocks: Vec<Block> = leads
        .iter()
        .map(|lead| Block {
            title: wrap(&lead.title, Font::Bold, TITLE_SIZE, column_width, 2),
            meta: wrap(
                &meta_line(&words, lead),
                Font::Regular,
                META_SIZE,
                column_width,
                1,
            )
            .into_iter()
            .next()
            .unwrap_or_default(),
            reasons: (!lead.closed.is_empty())
                .then_some(&lead.closed)
                .into_iter()
                .chain(&lead.reasons)
                .flat_map(|reason| {
                    wrap(
                        reason,
                        Font::Regular,
                        REASON_SIZE,
                        reason_width,
                        REASON_LINES_PER_LEAD,
                    )
                    .into_iter()
                    .enumerate()
                    .map(|(i, line)| (i == 0, line))
                })
                .collect(),
        })
        .collect();
    let fixed = |block: &Block| {
        block.title.len().max(1) as f32 * TITLE_LEADING
            + if block.meta.is_empty() {
                0.0
            } else {
                META_LEADING
            }
            + LEAD_GAP
    };
    let room = y - BODY_BOTTOM;
    // Leads that cannot fit even without reasons are left out (never with ten leads and
    // the header's caps; a guard so that the sheet stays one page whatever it is given).
    let mut shown = 0;
    let mut used = 0.0;
    for block in &blocks {
        if used + fixed(block) > room {
            break;
        }
        used += fixed(block);
        shown += 1;
    }
    let blocks = &blocks[..shown];
    let mut spare_lines = ((room - used) / REASON_LEADING).floor().max(0.0) as usize;
    let mut allowed = vec![0_usize; blocks.len()];
    for round in 1..=REASON_LINES_PER_LEAD {
        for (block, allowed) in blocks.iter().zip(allowed.iter_mut()) {
            if spare_lines > 0 && block.reasons.len() >= round {
                *allowed += 1;
                spare_lines -= 1;
            }
        }
    }
    for ((lead, block), allowed) in leads.iter().zip(blocks).zip(allowed) {
        let top = y;
        for text in &block.title {
            y -= TITLE_LEADING;
            page.lines.push(Line {
                x: text_x,
                y,
                font: Font::Bold,
                size: TITLE_SIZE,
                color: INK,
                text: text.clone(),
            });
        }
        if block.title.is_empty() {
            y -= TITLE_LEADING;
        }
        page.lines.push(Line {
            x: LEFT,
            y: top - TITLE_LEADING,
            font: Font::Bold,
            size: 12.0,
            color: ACCENT,
            text: lead.score.clone(),
        });
        if !block.meta.is_empty() {
            y -= META_LEADING;
            page.lines.push(Line {
                x: text_x,
                y,
                font: Font::Regular,
                size: META_SIZE,
                color: MUTED,
                text: block.meta.clone(),
            });
        }
        let cut = block.reasons.len() > allowed;
        for (i, (first, text)) in block.reasons.iter().take(allowed).enumerate() {
            y -= REASON_LEADING;
            if *first {
                page.lines.push(Line {
                    x: text_x,
                    y,
                    font: Font::Regular,
                    size: REASON_SIZE,
                    color: INK,
                    text: BULLET.to_owned(),
                });
            }
            let text = if cut && i + 1 == allowed {
                ellipsize(text, Font::Regular, REASON_SIZE, reason_width)
            } else {
                text.clone()
            };
            page.lines.push(Line {
                x: text_x + BULLET_WIDTH,
                y,
                font: Font::Regular,
                size: REASON_SIZE,
                color: INK,
                text,
            });
        }
        y -= LEAD_GAP;
        page.rules.push(Rule {
            x1: text_x,
            x2: RIGHT,
            y: y + LEAD_GAP / 2.0,
            width: 0.3,
        });
    }
    // The last lead needs no rule under it.
    if shown > 0 {
        page.rules.pop();
    }
    page.leads_shown = shown;

    // Footer.
    page.rules.push(Rule {
        x1: LEFT,
        x2: RIGHT,
        y: 40.0,
        width: 0.5,
    });
    page.lines.push(Line {
        x: LEFT,
        y: 29.0,
        font: Font::Bold,
        size: 8.0,
        color: ACCENT,
        text: "Pyred".to_owned(),
    });
    let dated = format!("{} {date}", words["printed_on"]);
    page.lines.push(Line {
        x: RIGHT - text_width(&dated, Font::Regular, 8.0),
        y: 29.0,
        font: Font::Regular,
        size: 8.0,
        color: MUTED,
        text: dated,
    });
    page
}

/// "Zaragoza (ES-AR) · 210 km · Appel d'offres · Échéance : 2026-12-20".
fn meta_line(
    words: &std::collections::BTreeMap<&'static str, &'static str>,
    lead: &SheetLead,
) -> String {
    let deadline = (!lead.deadline.is_empty())
        .then(|| format!("{} {}", words["deadline_colon"], lead.deadline));
    [
        Some(lead.place.clone()),
        Some(lead.distance.clone()),
        Some(lead.kind.clone()),
        deadline,
    ]
    .into_iter()
    .flatten()
    .filter(|part| !part.trim().is_empty())
    .collect::<Vec<_>>()
    .join(" · ")
}

/// Writes a laid-out page as a one-page PDF (uncompressed), `title` in its metadata.
pub fn write_pdf(page: &Page, title: &str) -> Vec<u8> {
    let catalog_id = Ref::new(1);
    let pages_id = Ref::new(2);
    let page_id = Ref::new(3);
    let regular_id = Ref::new(4);
    let bold_id = Ref::new(5);
    let content_id = Ref::new(6);
    let info_id = Ref::new(7);
    let regular = Name(b"F1");
    let bold = Name(b"F2");

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(pages_id);
    pdf.pages(pages_id).kids([page_id]).count(1);
    let mut pdf_page = pdf.page(page_id);
    pdf_page
        .media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
        .parent(pages_id)
        .contents(content_id);
    pdf_page
        .resources()
        .fonts()
        .pair(regular, regular_id)
        .pair(bold, bold_id);
    drop(pdf_page);
    for (id, base) in [(regular_id, "Helvetica"), (bold_id, "Helvetica-Bold")] {
        pdf.type1_font(id)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }

    let mut content = Content::new();
    content.set_stroke_rgb(RULE.0, RULE.1, RULE.2);
    for rule in &page.rules {
        content
            .set_line_width(rule.width)
            .move_to(rule.x1, rule.y)
            .line_to(rule.x2, rule.y)
            .stroke();
    }
    content.begin_text();
    for line in &page.lines {
        let font = match line.font {
            Font::Regular => regular,
            Font::Bold => bold,
        };
        content
            .set_fill_rgb(line.color.0, line.color.1, line.color.2)
            .set_font(font, line.size)
            .set_text_matrix([1.0, 0.0, 0.0, 1.0, line.x, line.y])
            .show(Str(&winansi(&line.text)));
    }
    content.end_text();
    pdf.stream(content_id, &content.finish());
    pdf.document_info(info_id)
        .title(TextStr(title))
        .creator(TextStr("Pyred"))
        .producer(TextStr("Pyred"));
    pdf.finish()
}

// ----- text: WinAnsi, widths, wrapping -----

/// A string in WinAnsiEncoding (Windows-1252), one byte a character: ASCII and Latin-1
/// as themselves, `€ … « » – — ‘ ’ “ ” • œ Œ …` at their 0x80–0x9F places; typographic
/// spaces (thin, narrow no-break) as a no-break space, `‐` and `‑` as `-`, `→` (which
/// the matching reasons use) as `›`; anything else (and control characters) as `?`.
pub fn winansi(text: &str) -> Vec<u8> {
    text.chars().map(winansi_byte).collect()
}

/// The WinAnsi byte of one character (`?` when it has none).
pub fn winansi_byte(c: char) -> u8 {
    match c {
        ' '..='~' | '\u{A0}'..='\u{FF}' => u8::try_from(u32::from(c)).unwrap_or(b'?'),
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        '\u{2007}' | '\u{2009}' | '\u{202F}' => 0xA0,
        '\u{2010}' | '\u{2011}' => b'-',
        // The matching reasons' "fournisseur → client": the nearest WinAnsi glyph.
        '→' => 0x9B,
        _ => b'?',
    }
}

/// Advance widths (1/1000 em) of WinAnsi codes 0x20–0xFF in Helvetica, from Adobe's
/// `Helvetica.afm` (the base-14 metrics every viewer uses); 0 for the five codes
/// WinAnsi leaves undefined and DEL, which [`winansi`] never produces.
const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0x30
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 0x50
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // 0x60
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0, // 0x70
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, // 0x80
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667, // 0x90
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500, // 0xF0
];

/// The same for Helvetica-Bold (`Helvetica-Bold.afm`).
const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0x30
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 0x50
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // 0x60
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0, // 0x70
    556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, // 0x80
    0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667, // 0x90
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556, // 0xF0
];

/// Width of one character as printed (its WinAnsi glyph, `?` for the others), 1/1000 em.
fn char_units(c: char, font: Font) -> u16 {
    let table = match font {
        Font::Regular => &HELVETICA,
        Font::Bold => &HELVETICA_BOLD,
    };
    let byte = usize::from(winansi_byte(c));
    table.get(byte.wrapping_sub(0x20)).copied().unwrap_or(0)
}

/// Width of `text` in points at `size`, as the viewer will print it.
pub fn text_width(text: &str, font: Font, size: f32) -> f32 {
    let units: u32 = text.chars().map(|c| u32::from(char_units(c, font))).sum();
    units as f32 * size / 1000.0
}

/// Spaces a line may break at (not the no-break ones).
fn breaks(c: char) -> bool {
    c.is_whitespace() && !matches!(c, '\u{A0}' | '\u{2007}' | '\u{202F}')
}

/// `text` broken into lines no wider than `width`, at most `max_lines`: words are kept
/// whole unless one alone is too wide, runs of spaces become one, and when the text does
/// not fit the last line ends in "…".
pub fn wrap(text: &str, font: Font, size: f32, width: f32, max_lines: usize) -> Vec<String> {
    if max_lines == 0 {
        return Vec::new();
    }
    let fits = |line: &str| text_width(line, font, size) <= width;
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(breaks).filter(|word| !word.is_empty()) {
        let candidate = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if fits(&candidate) {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        current = word.to_owned();
        // A word wider than the line is cut where it stops fitting (one character at least).
        while !fits(&current) {
            let mut head = String::new();
            for c in current.chars() {
                head.push(c);
                if !fits(&head) {
                    head.pop();
                    break;
                }
            }
            if head.is_empty() {
                head = current.chars().take(1).collect();
            }
            current = current[head.len()..].to_owned();
            lines.push(head);
            if current.is_empty() {
                break;
            }
        }
        if lines.len() > max_lines {
            break;
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            *last = ellipsize(last, font, size, width);
        }
    }
    lines
}

/// `line` ending in "…", shortened (at a character, trailing spaces dropped) so that it
/// fits `width`.
pub fn ellipsize(line: &str, font: Font, size: f32, width: f32) -> String {
    let mut kept: String = line.to_owned();
    loop {
        let trimmed = kept.trim_end();
        let candidate = format!("{trimmed}…");
        if trimmed.is_empty() || text_width(&candidate, font, size) <= width {
            return candidate;
        }
        kept.truncate(trimmed.len());
        kept.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_and_spanish_encode_as_winansi() {
        assert_eq!(winansi("Pyred"), b"Pyred");
        assert_eq!(
            winansi("éèêàçñáíóúü¿¡«»€…"),
            vec![
                0xE9, 0xE8, 0xEA, 0xE0, 0xE7, 0xF1, 0xE1, 0xED, 0xF3, 0xFA, 0xFC, 0xBF, 0xA1, 0xAB,
                0xBB, 0x80, 0x85
            ]
        );
        assert_eq!(
            winansi("Œuvre – “cœur” ’"),
            b"\x8Cuvre \x96 \x93c\x9Cur\x94 \x92"
        );
        assert_eq!(winansi("ÉCHÉANCE Ñ Ü"), b"\xC9CH\xC9ANCE \xD1 \xDC");
        // A narrow no-break space (French « ») stays a no-break space.
        assert_eq!(winansi("«\u{202F}oui\u{202F}»"), b"\xAB\xA0oui\xA0\xBB");
        // The reasons' arrow prints as the nearest glyph.
        assert_eq!(winansi("fournisseur → client"), b"fournisseur \x9B client");
    }

    #[test]
    fn characters_outside_winansi_become_question_marks() {
        assert_eq!(winansi("⇒ Łódź 中文 😀 ✓"), b"? ?\xF3d? ?? ? ?");
        assert_eq!(winansi("a\tb\nc\u{7F}\u{85}"), b"a?b?c??");
        assert_eq!(winansi_byte('ł'), b'?');
        // Every byte it produces is a defined WinAnsi glyph with a width.
        for c in (0..0x3000_u32).filter_map(char::from_u32) {
            let byte = winansi_byte(c);
            assert!(byte >= 0x20, "{c:?}");
            assert!(char_units(c, Font::Regular) > 0, "{c:?}");
            assert!(char_units(c, Font::Bold) > 0, "{c:?}");
        }
    }

    #[test]
    fn widths_are_helveticas() {
        // Adobe's AFM: space 278, A 667, W 944, i 222, é 556, € 556; bold A 722, i 278.
        assert_eq!(text_width(" ", Font::Regular, 1000.0), 278.0);
        assert_eq!(
            text_width("AWié€", Font::Regular, 1000.0),
            667.0 + 944.0 + 222.0 + 556.0 + 556.0
        );
        assert_eq!(text_width("Ai", Font::Bold, 1000.0), 722.0 + 278.0);
        assert!((text_width("Pyred", Font::Regular, 10.0) - 26.12).abs() < 0.01);
        // A character outside WinAnsi measures as the `?` it prints as.
        assert_eq!(text_width("⇒", Font::Regular, 1000.0), 556.0);
    }

    #[test]
    fn wrapping_breaks_at_spaces_by_real_widths() {
        let text = "Suministro de vestuario para la brigada de incendios forestales";
        let lines = wrap(text, Font::Regular, 10.0, 150.0, 5);
        assert!(lines.len() > 1);
        assert_eq!(lines.join(" "), text, "nothing lost, nothing added");
        for line in &lines {
            assert!(text_width(line, Font::Regular, 10.0) <= 150.0, "{line}");
        }
        // Each line but the last would overflow with the next word.
        for pair in lines.windows(2) {
            let next = pair[1].split(' ').next().unwrap_or_default();
            let longer = format!("{} {next}", pair[0]);
            assert!(text_width(&longer, Font::Regular, 10.0) > 150.0, "{longer}");
        }
        // Narrow letters fit more per line than wide ones.
        let narrow = wrap(&"il ".repeat(40), Font::Regular, 10.0, 100.0, 50);
        let wide = wrap(&"WM ".repeat(40), Font::Regular, 10.0, 100.0, 50);
        assert!(narrow.len() < wide.len());
        // Runs of spaces and newlines become one space; no-break spaces hold.
        assert_eq!(
            wrap("a  b\n\tc", Font::Regular, 10.0, 500.0, 2),
            vec!["a b c"]
        );
        assert_eq!(
            wrap("72\u{A0}% x", Font::Regular, 10.0, 30.0, 3),
            vec!["72\u{A0}%", "x"]
        );
        assert!(wrap("  ", Font::Regular, 10.0, 100.0, 2).is_empty());
        assert!(wrap("x", Font::Regular, 10.0, 100.0, 0).is_empty());
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        let text = "Contrato de suministro de vestuario y calzado para la brigada provincial de incendios forestales, en dos lotes.";
        let lines = wrap(text, Font::Bold, 10.0, 120.0, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'), "{lines:?}");
        assert!(text_width(&lines[1], Font::Bold, 10.0) <= 120.0);
        assert!(text.starts_with(lines[0].as_str()));
        // A word longer than the line is cut into pieces that fit.
        let long = "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        let pieces = wrap(long, Font::Regular, 10.0, 60.0, 10);
        assert!(pieces.len() > 1);
        assert_eq!(pieces.concat(), long);
        assert!(
            pieces
                .iter()
                .all(|p| text_width(p, Font::Regular, 10.0) <= 60.0)
        );
        let cut = wrap(long, Font::Regular, 10.0, 60.0, 1);
        assert_eq!(cut.len(), 1);
        assert!(cut[0].ends_with('…') && text_width(&cut[0], Font::Regular, 10.0) <= 60.0);
        // Multi-byte letters are cut at a character.
        let accents = wrap(&"é".repeat(100), Font::Regular, 10.0, 40.0, 1);
        assert!(accents[0].ends_with('…'));
    }

    fn long_firm() -> SheetFirm {
        let words = "Usinage de précision de pièces aéronautiques en titane et en aluminium, ";
        SheetFirm {
            name: "Ateliers Mécaniques de Gascogne et des Pyrénées — Usinage, Chaudronnerie et Traitements de Surface Réunis SAS".to_owned(),
            legal_id: "123 456 789 00012".to_owned(),
            place: "L'Isle-Jourdain (32160), FR-32".to_owned(),
            sector: words.repeat(4),
            offers: words.repeat(8),
            seeks: words.repeat(8),
        }
    }

    fn long_lead(i: usize) -> SheetLead {
        SheetLead {
            score: format!("{} %", 90 - i),
            title: format!("{i} Suministro de vestuario y calzado de seguridad para la brigada provincial de incendios forestales de la Diputación de Zaragoza, en dos lotes").repeat(2),
            place: "Ejea de los Caballeros (ES-AR)".to_owned(),
            distance: "210 km".to_owned(),
            closed: String::new(),
            kind: "Appel d'offres".to_owned(),
            deadline: "2026-12-20".to_owned(),
            reasons: (0..6)
                .map(|r| format!("Raison {r} : concepts communs mécanisation, usinage, aéronautique, titane, chaudronnerie, traitement de surface, soudure, découpe laser"))
                .collect(),
        }
    }

    #[test]
    fn a_lead_shows_its_trip_by_road_and_a_closed_crossing_first() {
        let lead = SheetLead {
            score: "81 %".to_owned(),
            title: "Suministro de depósitos".to_owned(),
            place: "Aínsa (ES-AR)".to_owned(),
            distance: crate::i18n::trip_text(Lang::Es, 250.0, 231.0, "somport-tunnel"),
            closed: crate::i18n::closed_crossing_text(Lang::Es, "bielsa-tunnel", 80.0),
            kind: "Licitación".to_owned(),
            deadline: "2026-12-20".to_owned(),
            reasons: vec!["Conceptos comunes".to_owned()],
        };
        let page = layout(Lang::Es, &long_firm(), &[lead], "2026-01-18");
        let texts: Vec<&str> = page.lines.iter().map(|l| l.text.as_str()).collect();
        let meta = texts
            .iter()
            .find(|t| t.starts_with("Aínsa (ES-AR) · "))
            .expect("the meta line");
        assert_eq!(
            *meta,
            "Aínsa (ES-AR) · 4 h 10 por el túnel de Somport · 231 km · Licitación · Plazo: 2026-12-20"
        );
        let bullet = texts.iter().position(|t| *t == BULLET).expect("a bullet");
        assert_eq!(
            texts[bullet + 1],
            "el túnel de Bielsa-Aragnouet está cerrado ese día (+1 h 20)"
        );
        assert_eq!(texts[bullet + 3], "Conceptos comunes");
    }

    #[test]
    fn every_crossing_s_trip_and_closure_print_in_winansi() {
        for crossing in pyred_travel::TravelModel::bundled().crossings() {
            let id = crossing.id().as_str();
            for lang in [Lang::Fr, Lang::Es, Lang::En] {
                for text in [
                    crate::i18n::trip_text(lang, 190.0, 263.0, id),
                    crate::i18n::closed_crossing_text(lang, id, 25.0),
                ] {
                    assert!(!winansi(&text).contains(&b'?'), "{text}");
                }
            }
        }
    }

    #[test]
    fn ten_long_leads_fit_one_page() {
        let leads: Vec<SheetLead> = (0..12).map(long_lead).collect();
        let page = layout(Lang::Fr, &long_firm(), &leads, "2026-12-04");
        assert_eq!(page.leads_shown, MAX_LEADS, "ten leads, never more");
        for line in &page.lines {
            assert!(line.x >= LEFT - 0.01, "{line:?}");
            assert!(
                line.x + text_width(&line.text, line.font, line.size) <= RIGHT + 0.01,
                "{line:?}"
            );
            assert!(line.y <= TOP && line.y >= 20.0, "{line:?}");
        }
        let body = page.lines.iter().filter(|line| line.y > 35.0);
        assert!(
            body.clone().all(|line| line.y >= BODY_BOTTOM),
            "only the footer below the body"
        );
        // Titles wrap to two lines at most, ending in an ellipsis.
        let titles: Vec<&Line> = page
            .lines
            .iter()
            .filter(|line| line.font == Font::Bold && line.size == TITLE_SIZE)
            .collect();
        assert_eq!(titles.len(), 20, "two lines for each of the ten titles");
        assert!(
            titles
                .iter()
                .skip(1)
                .step_by(2)
                .all(|line| line.text.ends_with('…'))
        );
        // Every lead keeps at least one line of reasons, cut with an ellipsis.
        let bullets = page.lines.iter().filter(|line| line.text == BULLET).count();
        assert!(bullets >= MAX_LEADS, "{bullets}");
        // The firm's name wraps to two lines.
        assert_eq!(
            page.lines.iter().filter(|line| line.size == 16.0).count(),
            2
        );
        let pdf = write_pdf(&page, "t");
        assert!(pdf.starts_with(b"%PDF-"));
    }

    #[test]
    fn a_short_sheet_gives_the_reasons_room() {
        let lead = SheetLead {
            score: "72 %".to_owned(),
            title: "Distribuidor de foie gras en Zaragoza".to_owned(),
            kind: "Demanda comercial".to_owned(),
            reasons: vec![
                "Conceptos comunes: foie gras, distribución".to_owned(),
                "Mismo sector (10.12)".to_owned(),
                "A 210 km".to_owned(),
            ],
            ..SheetLead::default()
        };
        let firm = SheetFirm {
            name: "Foies Gras Bartharès".to_owned(),
            ..SheetFirm::default()
        };
        let page = layout(Lang::Es, &firm, &[lead.clone(), lead], "2026-12-04");
        let texts: Vec<&str> = page.lines.iter().map(|line| line.text.as_str()).collect();
        for expected in [
            "Pyred · Hoja de pistas",
            "Foies Gras Bartharès",
            "Mejores pistas (2)",
            "72 %",
            "Distribuidor de foie gras en Zaragoza",
            "Demanda comercial",
            "Mismo sector (10.12)",
            "A 210 km",
            "Pyred",
            "Emitida el 2026-12-04",
        ] {
            assert!(texts.contains(&expected), "{expected} missing in {texts:?}");
        }
        assert!(!texts.iter().any(|text| text.contains('…')), "nothing cut");
        // Empty profile fields are left out, with their labels.
        assert!(!texts.contains(&"SIRET / NIF"));
        let empty = layout(Lang::Fr, &firm, &[], "2026-12-04");
        assert!(empty.lines.iter().any(|line| line.text == "Aucune."));
        assert!(
            empty
                .lines
                .iter()
                .any(|line| line.text == "Meilleures pistes (0)")
        );
    }

    #[test]
    fn the_pdf_is_one_uncompressed_page_in_base_fonts() {
        let bytes = lead_sheet(
            Lang::Fr,
            &SheetFirm {
                name: "Menuiserie Dupuy & Fils (Auch)".to_owned(),
                ..SheetFirm::default()
            },
            &[long_lead(1)],
            "2026-12-04",
        );
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with("%PDF-"));
        assert!(text.trim_end().ends_with("%%EOF"));
        // One page object and the page tree ("/Type /Pages").
        assert_eq!(text.matches("/Type /Pages").count(), 1, "{text}");
        assert_eq!(text.matches("/Type /Page").count(), 2, "{text}");
        assert!(text.contains("/Count 1"));
        assert!(
            text.contains("/BaseFont /Helvetica-Bold") && text.contains("/BaseFont /Helvetica\n")
        );
        assert_eq!(text.matches("/Encoding /WinAnsiEncoding").count(), 2);
        assert!(!text.contains("/Filter"), "not compressed");
        // Parentheses in ASCII text are escaped or balanced by the writer.
        assert!(
            text.contains("(Menuiserie Dupuy & Fils \\(Auch\\)) Tj")
                || text.contains("(Menuiserie Dupuy & Fils (Auch)) Tj"),
            "{text}"
        );
    }
}
