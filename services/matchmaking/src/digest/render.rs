//! A digest as an e-mail an adviser reads: subject, plain text and HTML (inline styles,
//! no images, no scripts), in the adviser's language, every lead and listing linked to
//! the console.

use std::fmt::Write as _;

use pyred_proto::v1 as pb;

use super::compose::{Digest, Language};

/// The words of the digest, per language.
struct Words {
    greeting: &'static str,
    intro: &'static str,
    new_leads: &'static str,
    more_new: &'static str,
    deadlines: &'static str,
    withdrawn: &'static str,
    days_left: &'static str,
    today: &'static str,
    reason: &'static str,
    open_inbox: &'static str,
    footer: &'static str,
    subject_leads: &'static str,
    subject_deadlines: &'static str,
    subject_withdrawn: &'static str,
    score: &'static str,
}

fn words(language: Language) -> &'static Words {
    match language {
        Language::Fr => &Words {
            greeting: "Bonjour",
            intro: "Voici ce qui s'est passé pour les entreprises que vous suivez.",
            new_leads: "Nouvelles pistes",
            more_new: "autres nouvelles pistes dans vos alertes",
            deadlines: "Échéances dans les {n} prochains jours",
            withdrawn: "Annonces retirées",
            days_left: "dans {n} j",
            today: "aujourd'hui",
            reason: "motif",
            open_inbox: "Ouvrir mes alertes dans la console",
            footer: "Vous recevez ce récapitulatif parce que votre clé de conseiller Pyred porte cette adresse. Seuil et lectures : page Alertes de la console.",
            subject_leads: "nouvelles pistes",
            subject_deadlines: "échéances",
            subject_withdrawn: "annonces retirées",
            score: "score",
        },
        Language::Es => &Words {
            greeting: "Hola",
            intro: "Esto es lo que ha pasado con las empresas que usted sigue.",
            new_leads: "Nuevas pistas",
            more_new: "nuevas pistas más en sus alertas",
            deadlines: "Plazos en los próximos {n} días",
            withdrawn: "Anuncios retirados",
            days_left: "en {n} días",
            today: "hoy",
            reason: "motivo",
            open_inbox: "Abrir mis alertas en la consola",
            footer: "Recibe este resumen porque su clave de asesor de Pyred lleva esta dirección. Umbral y lecturas: página Alertas de la consola.",
            subject_leads: "nuevas pistas",
            subject_deadlines: "plazos",
            subject_withdrawn: "anuncios retirados",
            score: "puntuación",
        },
        Language::En => &Words {
            greeting: "Hello",
            intro: "Here is what happened for the firms you follow.",
            new_leads: "New leads",
            more_new: "more new leads in your alerts",
            deadlines: "Deadlines in the next {n} days",
            withdrawn: "Withdrawn listings",
            days_left: "in {n} days",
            today: "today",
            reason: "reason",
            open_inbox: "Open my alerts in the console",
            footer: "You receive this digest because your Pyred adviser key carries this address. Threshold and read marks: the console's Alerts page.",
            subject_leads: "new leads",
            subject_deadlines: "deadlines",
            subject_withdrawn: "withdrawn listings",
            score: "score",
        },
    }
}

/// A rendered digest.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

/// Escapes text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A path segment as it may appear in a URL.
fn segment(id: &str) -> String {
    let mut out = String::new();
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

fn reason_of(lead: &pb::Match, language: Language) -> Option<&str> {
    lead.reasons.first().map(|reason| match language {
        Language::Es => reason.text_es.as_str(),
        _ => reason.text_fr.as_str(),
    })
}

fn percent(score: f64) -> String {
    format!("{:.0} %", (score * 100.0).clamp(0.0, 100.0))
}

/// Renders `digest` with links under `console_url` (`https://…/console`).
pub fn render(digest: &Digest, console_url: &str, deadline_days: u32) -> Rendered {
    let language = digest.adviser.language;
    let w = words(language);
    let console = console_url.trim_end_matches('/');
    let firm_url = |lead: &pb::Match| format!("{console}/firms/{}", segment(&lead.company_id));
    let listing_url =
        |lead: &pb::Match| format!("{console}/opportunities/{}", segment(&lead.opportunity_id));
    let deadlines_title = w.deadlines.replace("{n}", &deadline_days.to_string());
    let when = |days: i64| {
        if days == 0 {
            w.today.to_owned()
        } else {
            w.days_left.replace("{n}", &days.to_string())
        }
    };

    let mut parts = Vec::new();
    if digest.new_lead_count() > 0 {
        parts.push(format!("{} {}", digest.new_lead_count(), w.subject_leads));
    }
    if !digest.deadlines.is_empty() {
        parts.push(format!(
            "{} {}",
            digest.deadlines.len(),
            w.subject_deadlines
        ));
    }
    if !digest.withdrawn.is_empty() {
        parts.push(format!(
            "{} {}",
            digest.withdrawn.len(),
            w.subject_withdrawn
        ));
    }
    let subject = format!("Pyred — {} ({})", parts.join(", "), digest.day);

    // Plain text.
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{} {},\n\n{}\n",
        w.greeting, digest.adviser.name, w.intro
    );
    if !digest.new_leads.is_empty() {
        let _ = writeln!(
            text,
            "== {} ({}) ==\n",
            w.new_leads,
            digest.new_lead_count()
        );
        for lead in &digest.new_leads {
            let _ = writeln!(
                text,
                "* {} — {} ← {}",
                percent(lead.score),
                lead.company_name,
                lead.opportunity_title
            );
            if let Some(reason) = reason_of(lead, language) {
                let _ = writeln!(text, "  {reason}");
            }
            let _ = writeln!(text, "  {}\n", listing_url(lead));
        }
        if digest.more_new_leads > 0 {
            let _ = writeln!(text, "+ {} {}\n", digest.more_new_leads, w.more_new);
        }
    }
    if !digest.deadlines.is_empty() {
        let _ = writeln!(text, "== {deadlines_title} ==\n");
        for item in &digest.deadlines {
            let _ = writeln!(
                text,
                "* {} ({}) — {} ← {}\n  {}\n",
                item.deadline,
                when(item.days_left),
                item.lead.company_name,
                item.lead.opportunity_title,
                listing_url(&item.lead)
            );
        }
    }
    if !digest.withdrawn.is_empty() {
        let _ = writeln!(text, "== {} ==\n", w.withdrawn);
        for item in &digest.withdrawn {
            let _ = write!(
                text,
                "* {} ← {}",
                item.lead.company_name, item.lead.opportunity_title
            );
            if !item.reason.is_empty() {
                let _ = write!(text, " ({} : {})", w.reason, item.reason);
            }
            let _ = writeln!(text, "\n  {}\n", firm_url(&item.lead));
        }
    }
    let _ = writeln!(
        text,
        "{} : {console}/alerts\n\n-- \n{}",
        w.open_inbox, w.footer
    );

    // HTML.
    let mut html = String::new();
    let _ = write!(
        html,
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"margin:0;padding:24px;background:#f6f6f3;font-family:Helvetica,Arial,sans-serif;color:#1a1a1a;\">\
         <div style=\"max-width:640px;margin:0 auto;background:#ffffff;padding:24px;border:1px solid #ddd;\">\
         <p style=\"margin:0 0 4px;color:#1f4e9c;font-weight:bold;\">Pyred</p>\
         <p>{} {},</p><p>{}</p>",
        language.code(),
        escape(&subject),
        w.greeting,
        escape(&digest.adviser.name),
        w.intro
    );
    let section = |html: &mut String, title: &str| {
        let _ = write!(
            html,
            "<h2 style=\"font-size:18px;border-bottom:2px solid #1f4e9c;padding-bottom:4px;margin-top:24px;\">{}</h2>",
            escape(title)
        );
    };
    let link_style = "color:#1f4e9c;";
    if !digest.new_leads.is_empty() {
        section(
            &mut html,
            &format!("{} ({})", w.new_leads, digest.new_lead_count()),
        );
        html.push_str("<ul style=\"padding-left:18px;\">");
        for lead in &digest.new_leads {
            let _ = write!(
                html,
                "<li style=\"margin-bottom:10px;\"><strong title=\"{}\">{}</strong> — \
                 <a style=\"{link_style}\" href=\"{}\">{}</a> ← \
                 <a style=\"{link_style}\" href=\"{}\">{}</a>",
                w.score,
                escape(&percent(lead.score)),
                escape(&firm_url(lead)),
                escape(&lead.company_name),
                escape(&listing_url(lead)),
                escape(&lead.opportunity_title)
            );
            if let Some(reason) = reason_of(lead, language) {
                let _ = write!(
                    html,
                    "<br><span style=\"color:#555;font-size:14px;\">{}</span>",
                    escape(reason)
                );
            }
            html.push_str("</li>");
        }
        html.push_str("</ul>");
        if digest.more_new_leads > 0 {
            let _ = write!(
                html,
                "<p>+ {} <a style=\"{link_style}\" href=\"{}\">{}</a></p>",
                digest.more_new_leads,
                escape(&format!("{console}/alerts?unread=1")),
                w.more_new
            );
        }
    }
    if !digest.deadlines.is_empty() {
        section(&mut html, &deadlines_title);
        html.push_str("<ul style=\"padding-left:18px;\">");
        for item in &digest.deadlines {
            let _ = write!(
                html,
                "<li style=\"margin-bottom:8px;\"><strong>{}</strong> ({}) — \
                 <a style=\"{link_style}\" href=\"{}\">{}</a> ← \
                 <a style=\"{link_style}\" href=\"{}\">{}</a></li>",
                item.deadline,
                escape(&when(item.days_left)),
                escape(&firm_url(&item.lead)),
                escape(&item.lead.company_name),
                escape(&listing_url(&item.lead)),
                escape(&item.lead.opportunity_title)
            );
        }
        html.push_str("</ul>");
    }
    if !digest.withdrawn.is_empty() {
        section(&mut html, w.withdrawn);
        html.push_str("<ul style=\"padding-left:18px;\">");
        for item in &digest.withdrawn {
            let _ = write!(
                html,
                "<li style=\"margin-bottom:8px;\"><a style=\"{link_style}\" href=\"{}\">{}</a> ← {}",
                escape(&firm_url(&item.lead)),
                escape(&item.lead.company_name),
                escape(&item.lead.opportunity_title)
            );
            if !item.reason.is_empty() {
                let _ = write!(html, " <em>({} : {})</em>", w.reason, escape(&item.reason));
            }
            html.push_str("</li>");
        }
        html.push_str("</ul>");
    }
    let _ = write!(
        html,
        "<p style=\"margin-top:24px;\"><a style=\"display:inline-block;background:#1f4e9c;color:#ffffff;padding:10px 16px;text-decoration:none;border-radius:4px;\" href=\"{}\">{}</a></p>\
         <p style=\"color:#555;font-size:12px;margin-top:24px;\">{}</p></div></body></html>",
        escape(&format!("{console}/alerts")),
        w.open_inbox,
        w.footer
    );
    Rendered {
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::super::compose::{Adviser, Deadline, Digest, Withdrawn};
    use super::*;
    use pyred_domain::Day;

    fn lead(company: &str, title: &str, score: f64) -> pb::Match {
        pb::Match {
            id: format!("{company}~o"),
            company_id: company.to_owned(),
            opportunity_id: "o/1".to_owned(),
            score,
            company_name: "Foies Gras Bartharès".to_owned(),
            opportunity_title: title.to_owned(),
            reasons: vec![pb::MatchReason {
                feature: "concepts".into(),
                contribution: 0.2,
                text_fr: "Besoin : canard — votre offre : canards".into(),
                text_es: "Necesidad: pato — su oferta: canards".into(),
            }],
            ..Default::default()
        }
    }

    fn digest(language: Language) -> Digest {
        let day = Day::new(2026, 12, 4).unwrap_or_else(|_| unreachable!());
        Digest {
            adviser: Adviser {
                key_id: "k1".into(),
                name: "Amélie <CCI>".into(),
                email: "amelie@example.org".into(),
                language,
                territory: vec!["FR-32".into()],
            },
            day,
            new_leads: vec![lead("c1", "Distribuidor busca foie gras & magret", 0.72)],
            more_new_leads: 3,
            deadlines: vec![Deadline {
                lead: lead("c2", "Suministro de aperos", 0.4),
                deadline: day,
                days_left: 0,
            }],
            withdrawn: vec![Withdrawn {
                lead: lead("c3", "Obras retiradas", 0.5),
                reason: "ANULADA".into(),
            }],
            through_seq: 9,
        }
    }

    #[test]
    fn a_french_digest_says_everything_with_links_and_escapes_text() {
        let out = render(&digest(Language::Fr), "https://pyred.example/console/", 14);
        assert_eq!(
            out.subject,
            "Pyred — 4 nouvelles pistes, 1 échéances, 1 annonces retirées (2026-12-04)"
        );
        assert!(out.text.contains("Bonjour Amélie <CCI>"));
        assert!(
            out.text
                .contains("72 % — Foies Gras Bartharès ← Distribuidor busca foie gras & magret")
        );
        assert!(
            out.text
                .contains("https://pyred.example/console/opportunities/o%2F1")
        );
        assert!(out.text.contains("Échéances dans les 14 prochains jours"));
        assert!(out.text.contains("aujourd'hui"));
        assert!(out.text.contains("motif : ANULADA"));
        assert!(out.html.contains("<html lang=\"fr\">"));
        assert!(out.html.contains("Amélie &lt;CCI&gt;"));
        assert!(out.html.contains("foie gras &amp; magret"));
        assert!(
            out.html
                .contains("href=\"https://pyred.example/console/firms/c1\"")
        );
        assert!(
            out.html
                .contains("href=\"https://pyred.example/console/alerts\"")
        );
        assert!(!out.html.contains("<CCI>"), "text is escaped");
    }

    #[test]
    fn a_spanish_digest_uses_the_spanish_reasons() {
        let out = render(&digest(Language::Es), "https://pyred.example/console", 7);
        assert!(out.subject.starts_with("Pyred — 4 nuevas pistas, 1 plazos"));
        assert!(out.text.contains("Hola Amélie"));
        assert!(out.text.contains("Necesidad: pato"));
        assert!(out.text.contains("Plazos en los próximos 7 días"));
        assert!(out.html.contains("<html lang=\"es\">"));
        assert!(out.html.contains("Abrir mis alertas en la consola"));
    }
}
