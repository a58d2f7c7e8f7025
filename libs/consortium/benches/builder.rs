//! Bench of the builder (no criterion): `cargo bench -p pyred-consortium --bench builder`.
//!
//! A Spanish tender with six CPV codes in six trades and stated requirements
//! (certification, languages, local presence, team size), against 50, 200 and 500
//! candidate firms in those trades and others, French and Spanish; prints the time
//! per `propose` call (median of the runs) and the size of the best group.

#![allow(clippy::unwrap_used, missing_docs)]

use std::time::Instant;

use pyred_consortium::{Candidate, Options, TenderProfile, propose};
use pyred_matching::Matcher;
use pyred_proto::v1 as pb;

const TRADES_FR: &[&str] = &[
    "Travaux de construction de bâtiments",
    "Services de traduction et d'interprétation",
    "Installation de panneaux solaires photovoltaïques",
    "Services d'architecture et d'ingénierie",
    "Travaux de charpente et de couverture",
    "Services de nettoyage de bâtiments",
    "Transport routier de marchandises",
    "Services informatiques et logiciels",
    "Fabrication de meubles de bureau",
    "Services de restauration collective",
];
const TRADES_ES: &[&str] = &[
    "Trabajos de construcción de edificios",
    "Servicios de traducción e interpretación",
    "Instalación de paneles solares fotovoltaicos",
    "Servicios de arquitectura e ingeniería",
    "Trabajos de carpintería de armar y cubiertas",
    "Servicios de limpieza de edificios",
    "Transporte de mercancías por carretera",
    "Servicios informáticos y programas",
    "Fabricación de mobiliario de oficina",
    "Servicios de comedores colectivos",
];

fn main() {
    let matcher = Matcher::new().unwrap();
    let tender = pb::Opportunity {
        id: "bench-tender".to_owned(),
        kind: pb::OpportunityKind::Tender as i32,
        title: "Construcción y equipamiento de un centro de visitantes".to_owned(),
        description: "Obras, traducción de contenidos, paneles solares, arquitectura, cubierta y \
            limpieza. Se exige ISO 9001 y delegación en Aragón; un equipo de al menos 40 \
            personas. Documentación en castellano y francés."
            .to_owned(),
        language: pb::Language::Es as i32,
        region: "ES-AR".to_owned(),
        cpv: [
            "45210000", "79530000", "09331200", "71200000", "45261000", "90911200",
        ]
        .iter()
        .map(|c| (*c).to_owned())
        .collect(),
        budget_eur: Some(2_500_000.0),
        ..Default::default()
    };
    let profile = TenderProfile::new(&matcher, &tender).unwrap();
    for n in [50usize, 200, 500] {
        let companies: Vec<pb::Company> = (0..n)
            .map(|i| {
                let spanish = i % 3 == 0;
                let trade = if spanish {
                    TRADES_ES[i % TRADES_ES.len()]
                } else {
                    TRADES_FR[i % TRADES_FR.len()]
                };
                pb::Company {
                    id: format!("firm-{i:04}"),
                    name: format!("Firm {i}"),
                    language: if spanish {
                        pb::Language::Es
                    } else {
                        pb::Language::Fr
                    } as i32,
                    description: if i % 7 == 0 {
                        format!("{trade}. Certificada ISO 9001.")
                    } else {
                        trade.to_owned()
                    },
                    offers: trade.to_owned(),
                    region: if spanish { "ES-AR" } else { "FR-32" }.to_owned(),
                    employees: Some(5 + (i % 40) as i32),
                    languages: vec!["fr".to_owned(), "es".to_owned()],
                    ..Default::default()
                }
            })
            .collect();
        let profiles: Vec<_> = companies
            .iter()
            .map(|c| matcher.company(c).unwrap())
            .collect();
        let candidates: Vec<Candidate<'_>> = companies
            .iter()
            .zip(&profiles)
            .enumerate()
            .map(|(i, (company, profile))| Candidate {
                company,
                profile,
                fit: 0.95 - 0.9 * (i as f64 / n as f64),
            })
            .collect();
        let runs = 15;
        let mut times = Vec::with_capacity(runs);
        let mut size = 0;
        for _ in 0..runs {
            let start = Instant::now();
            let got = propose(&matcher, &profile, &candidates, &Options::default()).unwrap();
            times.push(start.elapsed().as_secs_f64() * 1000.0);
            size = got.consortia.first().map_or(0, |c| c.members.len());
        }
        times.sort_by(f64::total_cmp);
        println!(
            "propose, {n:>3} candidates: median {:.2} ms, max {:.2} ms ({runs} runs); best group of {size}",
            times[runs / 2],
            times[runs - 1]
        );
    }
}
