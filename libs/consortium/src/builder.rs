//! The builder: groups of two to four candidate firms that together cover a tender's
//! requirements, ranked, explained and named in the legal form of the procedure.
//!
//! **Search.** The candidates are pruned to a pool: the [`POOL_BY_FIT`] best by fit,
//! and for each requirement the [`POOL_PER_REQUIREMENT`] that cover it best (and the
//! anchor). Every pair of the pool is scored; the [`BEAM`] best valid groups of each
//! size are extended by one member, up to four. A group is valid when each member
//! brings something the others do not ([`NEW_MARGIN`] more coverage of one
//! requirement, or headcount the team size needs): extending an invalid group never
//! makes it valid, so invalid groups are dropped at once. A group must also cover
//! [`SOLO_MARGIN`] more than the best candidate alone: otherwise that firm needs no
//! partner, and a group without it would be a worse bid.
//!
//! **Score** (0..1) = [`W_COVERAGE`] × coverage + [`W_FIT`] × the members' mean fit +
//! [`W_SIZE`] × size against the budget + [`W_CROSS`] × cross-border bonus −
//! [`EXTRA_MEMBER_COST`] per member beyond two. Coverage is [`CPV_SHARE`] × the mean
//! over the CPV codes + the rest × the mean over the stated requirements of the
//! group's coverage (the best member's; the summed headcount for a team size). The cross-border bonus goes to groups spanning both sides of
//! the border when the tender asks for a local presence or its own language and a
//! member of the tender's country brings it. Size against the budget: with a budget
//! and headcounts, a group whose estimated turnover (headcount × the model's
//! revenue per employee) is below half the budget, or whose budget share per
//! member is below [`MIN_SHARE_EUR`], scores less.

use std::collections::{BTreeSet, HashSet};

use pyred_matching::Matcher;

use crate::coverage::{COVERED, Candidate, FirmCoverage, coverages};
use crate::error::ConsortiumError;
use crate::requirements::{Country, Need, Requirement, TenderProfile};

/// Candidates kept by fit.
pub const POOL_BY_FIT: usize = 16;
/// Candidates kept per requirement, by coverage.
pub const POOL_PER_REQUIREMENT: usize = 3;
/// Groups of each size extended to the next size.
pub const BEAM: usize = 40;
/// Coverage a member must add over the others on one requirement.
pub const NEW_MARGIN: f64 = 0.05;
/// Coverage a group must add to the best single candidate's.
pub const SOLO_MARGIN: f64 = 0.02;
/// Share of the CPV codes in the coverage (the stated requirements have the rest).
pub const CPV_SHARE: f64 = 0.7;
/// Weight of the coverage in the score.
pub const W_COVERAGE: f64 = 0.5;
/// Weight of the members' mean fit.
pub const W_FIT: f64 = 0.35;
/// Weight of the size against the budget.
pub const W_SIZE: f64 = 0.1;
/// Weight of the cross-border bonus.
pub const W_CROSS: f64 = 0.05;
/// Cost of each member beyond two (a smaller group is simpler to form).
pub const EXTRA_MEMBER_COST: f64 = 0.01;
/// Smallest budget share per member that makes a member worth its overhead.
pub const MIN_SHARE_EUR: f64 = 30_000.0;
/// Share of the budget the members' estimated turnover should reach.
pub const MIN_TURNOVER_SHARE: f64 = 0.5;
/// Proposals returned when the caller asks for 0.
pub const DEFAULT_LIMIT: usize = 5;
/// Most proposals returned.
pub const MAX_LIMIT: usize = 20;
/// Smallest and largest group.
pub const MIN_MEMBERS: usize = 2;
/// Largest group.
pub const MAX_MEMBERS: usize = 4;

/// What the caller asks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// A firm every group must include (its id, as in `CompanyProfile::id`).
    pub anchor: Option<String>,
    /// How many proposals; 0: [`DEFAULT_LIMIT`]; at most [`MAX_LIMIT`].
    pub limit: usize,
    /// One of the tender's lots; `None`: the whole tender.
    pub lot: Option<String>,
}

/// The legal form of a joint bid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Spanish procedure: Unión Temporal de Empresas.
    Ute,
    /// French procedure: groupement momentané d'entreprises.
    Groupement,
    /// The tender's country is not known.
    Unspecified,
}

impl Form {
    /// The form a tender of `country` calls for.
    pub fn of(country: Option<Country>) -> Form {
        match country {
            Some(Country::Es) => Form::Ute,
            Some(Country::Fr) => Form::Groupement,
            None => Form::Unspecified,
        }
    }

    fn names(self) -> (&'static str, &'static str) {
        match self {
            Form::Ute => (
                "Union temporaire d'entreprises (UTE)",
                "Unión Temporal de Empresas (UTE)",
            ),
            Form::Groupement => (
                "Groupement momentané d'entreprises",
                "Agrupación temporal (groupement momentané d'entreprises)",
            ),
            Form::Unspecified => ("Groupement", "Agrupación"),
        }
    }
}

/// A member of a proposed consortium.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The firm's id.
    pub company_id: String,
    /// Its name.
    pub company_name: String,
    /// Its region.
    pub region: String,
    /// Its fit to the tender, 0..1.
    pub fit: f64,
    /// The tender's CPV codes it covers.
    pub covers_cpv: Vec<String>,
    /// The other requirements it covers (codes).
    pub covers_requirements: Vec<String>,
    /// Why it is in the group, in French.
    pub reason_fr: String,
    /// …in Spanish.
    pub reason_es: String,
}

/// A proposed consortium.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// `cons_` + a stable hash of the tender id and the sorted member ids.
    pub id: String,
    /// Lead member first.
    pub members: Vec<Member>,
    /// Ranking score, 0..1.
    pub score: f64,
    /// Mean coverage of the requirements, 0..1.
    pub coverage: f64,
    /// Codes of the requirements nobody covers.
    pub uncovered: Vec<String>,
    /// The legal form.
    pub form: Form,
    /// Whether the members span both sides of the border.
    pub cross_border: bool,
    /// Summary in French.
    pub summary_fr: String,
    /// Summary in Spanish.
    pub summary_es: String,
}

/// The answer of [`crate::propose`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Proposals {
    /// Best first.
    pub consortia: Vec<Proposal>,
    /// The requirements read from the tender (codes).
    pub requirements: Vec<String>,
}

/// A stable hex hash (FNV-1a, 64 bits): the same members and tender give the same id
/// on every build and machine.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The id of a grouping of `members` for `tender`: order of the members does not
/// matter.
pub fn consortium_id(tender: &str, members: &[&str]) -> String {
    let mut sorted: Vec<&str> = members.iter().map(|m| m.trim()).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut key = tender.trim().to_owned();
    for m in sorted {
        key.push('\n');
        key.push_str(m);
    }
    format!("cons_{:012x}", fnv1a(key.as_bytes()) >> 16)
}

/// Everything the scoring needs, computed once per call.
struct Context<'a> {
    requirements: &'a [Requirement],
    firms: Vec<FirmCoverage>,
    tender_country: Option<Country>,
    budget: Option<f64>,
    revenue_per_employee: f64,
    /// Whether the tender asks for something only a firm of its country is sure to
    /// bring (a local presence, the procedure's language).
    local_need: Vec<usize>,
    /// The best coverage of a single candidate.
    best_solo: f64,
}

/// A scored group: member positions in `Context::firms`.
#[derive(Debug, Clone)]
struct Group {
    members: Vec<usize>,
    score: f64,
    coverage: f64,
    per_requirement: Vec<f64>,
    cross_border: bool,
}

impl Context<'_> {
    fn group_cover(&self, members: &[usize], r: usize, skip: Option<usize>) -> f64 {
        let iter = members.iter().filter(|m| Some(**m) != skip);
        match self.requirements.get(r).map(|q| &q.need) {
            Some(Need::Staff(n)) if *n > 0 => {
                let total: u64 = iter
                    .filter_map(|m| self.firms.get(*m).and_then(|f| f.employees))
                    .map(u64::from)
                    .sum();
                (total as f64 / f64::from(*n)).min(1.0)
            }
            _ => iter
                .filter_map(|m| self.firms.get(*m).and_then(|f| f.covers.get(r)))
                .fold(0.0, |a: f64, b| a.max(*b)),
        }
    }

    /// The coverage of a group: [`CPV_SHARE`] for the mean over the CPV codes, the
    /// rest for the mean over the stated requirements (all of it to one kind when the
    /// tender has only that kind).
    fn coverage(&self, per_requirement: &[f64]) -> f64 {
        let mean = |cpv: bool| {
            let values: Vec<f64> = self
                .requirements
                .iter()
                .zip(per_requirement)
                .filter(|(r, _)| r.is_cpv() == cpv)
                .map(|(_, c)| *c)
                .collect();
            if values.is_empty() {
                None
            } else {
                Some(values.iter().sum::<f64>() / values.len() as f64)
            }
        };
        match (mean(true), mean(false)) {
            (Some(codes), Some(stated)) => CPV_SHARE * codes + (1.0 - CPV_SHARE) * stated,
            (Some(one), None) | (None, Some(one)) => one,
            (None, None) => 0.0,
        }
    }

    /// Whether each member brings something the others do not.
    fn valid(&self, members: &[usize]) -> bool {
        members.iter().all(|&m| {
            (0..self.requirements.len()).any(|r| {
                let with = self.group_cover(members, r, None);
                let without = self.group_cover(members, r, Some(m));
                with - without >= NEW_MARGIN - 1e-12
            })
        })
    }

    fn size_fit(&self, members: &[usize]) -> f64 {
        let Some(budget) = self.budget else {
            return 1.0;
        };
        let mut fit: f64 = 1.0;
        let share = budget / members.len() as f64;
        if members.len() > MIN_MEMBERS && share < MIN_SHARE_EUR {
            fit = fit.min(share / MIN_SHARE_EUR);
        }
        let headcounts: Vec<u32> = members
            .iter()
            .filter_map(|m| self.firms.get(*m).and_then(|f| f.employees))
            .collect();
        if headcounts.len() == members.len() && self.revenue_per_employee > 0.0 {
            let turnover: f64 = headcounts
                .iter()
                .map(|e| f64::from(*e) * self.revenue_per_employee)
                .sum();
            let wanted = budget * MIN_TURNOVER_SHARE;
            if turnover < wanted {
                fit = fit.min(turnover / wanted);
            }
        }
        fit.clamp(0.0, 1.0)
    }

    fn score(&self, members: Vec<usize>) -> Option<Group> {
        if members.len() < MIN_MEMBERS || !self.valid(&members) {
            return None;
        }
        let per_requirement: Vec<f64> = (0..self.requirements.len())
            .map(|r| self.group_cover(&members, r, None))
            .collect();
        let coverage = self.coverage(&per_requirement);
        // A group that covers no more than one candidate alone is no joint bid.
        if coverage < self.best_solo + SOLO_MARGIN {
            return None;
        }
        let fits: Vec<f64> = members
            .iter()
            .filter_map(|m| self.firms.get(*m).map(|f| f.fit))
            .collect();
        let mean_fit = fits.iter().sum::<f64>() / fits.len().max(1) as f64;
        let countries: BTreeSet<Country> = members
            .iter()
            .filter_map(|m| self.firms.get(*m).and_then(|f| f.country))
            .collect();
        let cross_border = countries.len() > 1;
        let bonus = cross_border
            && self.local_need.iter().any(|&r| {
                members.iter().any(|&m| {
                    self.firms.get(m).is_some_and(|f| {
                        f.country == self.tender_country
                            && f.covers.get(r).is_some_and(|c| *c >= COVERED)
                    })
                })
            });
        let score = W_COVERAGE * coverage
            + W_FIT * mean_fit
            + W_SIZE * self.size_fit(&members)
            + W_CROSS * f64::from(u8::from(bonus))
            - EXTRA_MEMBER_COST * (members.len() - MIN_MEMBERS) as f64;
        Some(Group {
            members,
            score: score.clamp(0.0, 1.0),
            coverage,
            per_requirement,
            cross_border,
        })
    }
}

fn by_score(a: &Group, b: &Group) -> std::cmp::Ordering {
    b.score
        .total_cmp(&a.score)
        .then_with(|| a.members.len().cmp(&b.members.len()))
        .then_with(|| a.members.cmp(&b.members))
}

/// Proposes consortia for a tender (or one of its lots) among `candidates`.
///
/// The caller gathers the candidates — typically the firms the matching model ranks
/// best for the tender ([`Matcher::companies_for_opportunity`]) with their scores as
/// fit, a few hundred at most. Returns at most `options.limit` proposals, best
/// first, with the requirements read; none when no group of two to four firms has
/// each member bringing something the others do not.
///
/// # Errors
/// [`ConsortiumError::UnknownLot`] for a lot the tender does not have,
/// [`ConsortiumError::UnknownAnchor`] for an anchor that is not a candidate.
pub fn propose(
    matcher: &Matcher,
    tender: &TenderProfile,
    candidates: &[Candidate<'_>],
    options: &Options,
) -> Result<Proposals, ConsortiumError> {
    let lot = options.lot.as_deref().filter(|l| !l.trim().is_empty());
    let requirements = tender.requirements(matcher, lot)?;
    let anchor = match options.anchor.as_deref().map(str::trim) {
        Some(id) if !id.is_empty() => Some(
            candidates
                .iter()
                .position(|c| c.profile.id == id || c.company.id == id)
                .ok_or_else(|| ConsortiumError::UnknownAnchor(id.to_owned()))?,
        ),
        _ => None,
    };
    let limit = match options.limit {
        0 => DEFAULT_LIMIT,
        n => n.min(MAX_LIMIT),
    };
    let local_need = requirements
        .iter()
        .enumerate()
        .filter(|(_, r)| match &r.need {
            Need::Presence(_) => true,
            Need::Language(code) => tender.country.is_some_and(|c| c.code() == code),
            Need::Cpv(_) | Need::Certification(_) | Need::Staff(_) => false,
        })
        .map(|(i, _)| i)
        .collect();
    let mut context = Context {
        requirements: &requirements,
        firms: coverages(matcher, candidates, &requirements),
        tender_country: tender.country,
        budget: tender.budget(lot),
        revenue_per_employee: matcher.weights().revenue_per_employee_eur,
        local_need,
        best_solo: 0.0,
    };
    context.best_solo = (0..context.firms.len())
        .map(|m| {
            let per: Vec<f64> = (0..requirements.len())
                .map(|r| context.group_cover(&[m], r, None))
                .collect();
            context.coverage(&per)
        })
        .fold(0.0, f64::max);
    let pool = pool(&context, anchor);
    let mut seen: HashSet<Vec<usize>> = HashSet::new();
    let mut all: Vec<Group> = Vec::new();
    // Pairs.
    let mut level: Vec<Group> = Vec::new();
    for (i, &a) in pool.iter().enumerate() {
        for &b in pool.iter().skip(i + 1) {
            if anchor.is_some_and(|x| x != a && x != b) {
                continue;
            }
            let mut members = vec![a, b];
            members.sort_unstable();
            if seen.insert(members.clone())
                && let Some(group) = context.score(members)
            {
                level.push(group);
            }
        }
    }
    for _size in MIN_MEMBERS + 1..=MAX_MEMBERS {
        level.sort_by(by_score);
        level.truncate(BEAM);
        let mut next = Vec::new();
        for group in &level {
            for &c in &pool {
                if group.members.contains(&c) {
                    continue;
                }
                let mut members = group.members.clone();
                members.push(c);
                members.sort_unstable();
                if seen.insert(members.clone())
                    && let Some(g) = context.score(members)
                {
                    next.push(g);
                }
            }
        }
        all.append(&mut level);
        level = next;
    }
    all.append(&mut level);
    all.sort_by(by_score);
    all.truncate(limit);
    let form = Form::of(tender.country);
    let consortia = all
        .iter()
        .map(|g| describe(&context, candidates, tender, g, form, anchor))
        .collect();
    Ok(Proposals {
        consortia,
        requirements: requirements.iter().map(|r| r.code.clone()).collect(),
    })
}

/// The pool of candidates the search enumerates.
fn pool(context: &Context<'_>, anchor: Option<usize>) -> Vec<usize> {
    let mut by_fit: Vec<usize> = (0..context.firms.len()).collect();
    let fit = |i: usize| context.firms.get(i).map_or(0.0, |f| f.fit);
    by_fit.sort_by(|&a, &b| fit(b).total_cmp(&fit(a)).then_with(|| a.cmp(&b)));
    let mut out: Vec<usize> = by_fit.iter().copied().take(POOL_BY_FIT).collect();
    for r in 0..context.requirements.len() {
        let cover = |i: usize| {
            context
                .firms
                .get(i)
                .and_then(|f| f.covers.get(r))
                .copied()
                .unwrap_or(0.0)
        };
        let mut best: Vec<usize> = by_fit.iter().copied().filter(|&i| cover(i) > 0.0).collect();
        // Stable sort: equal coverage keeps the order by fit.
        best.sort_by(|&a, &b| cover(b).total_cmp(&cover(a)));
        for i in best.into_iter().take(POOL_PER_REQUIREMENT) {
            if !out.contains(&i) {
                out.push(i);
            }
        }
    }
    if let Some(a) = anchor
        && !out.contains(&a)
    {
        out.push(a);
    }
    out
}

fn join(parts: &[String], and: &str) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {and} {last}", init.join(", ")),
    }
}

fn describe(
    context: &Context<'_>,
    candidates: &[Candidate<'_>],
    tender: &TenderProfile,
    group: &Group,
    form: Form,
    anchor: Option<usize>,
) -> Proposal {
    let requirements = context.requirements;
    // Lead first: the anchor, else the best fit; then by fit.
    let mut order = group.members.clone();
    let fit = |m: usize| context.firms.get(m).map_or(0.0, |f| f.fit);
    order.sort_by(|&a, &b| {
        let anchored = |x: usize| {
            context
                .firms
                .get(x)
                .is_some_and(|f| Some(f.index) == anchor)
        };
        anchored(b)
            .cmp(&anchored(a))
            .then_with(|| fit(b).total_cmp(&fit(a)))
            .then_with(|| a.cmp(&b))
    });
    let mut members = Vec::new();
    for &m in &order {
        let Some(firm) = context.firms.get(m) else {
            continue;
        };
        let Some(candidate) = candidates.get(firm.index) else {
            continue;
        };
        let mut cpv_codes = Vec::new();
        let (mut cpv_fr, mut cpv_es) = (Vec::new(), Vec::new());
        let mut others = Vec::new();
        let (mut other_fr, mut other_es) = (Vec::new(), Vec::new());
        let mut partial: Option<(f64, &Requirement)> = None;
        for (r, requirement) in requirements.iter().enumerate() {
            let own = firm.covers.get(r).copied().unwrap_or(0.0);
            let staff_share = matches!(requirement.need, Need::Staff(_))
                && context.group_cover(&group.members, r, None)
                    - context.group_cover(&group.members, r, Some(m))
                    >= NEW_MARGIN - 1e-12;
            if own >= COVERED || staff_share {
                if requirement.is_cpv() {
                    cpv_codes.push(requirement.code.trim_start_matches("cpv:").to_owned());
                    cpv_fr.push(requirement.label_fr.clone());
                    cpv_es.push(requirement.label_es.clone());
                } else {
                    others.push(requirement.code.clone());
                    other_fr.push(requirement.label_fr.clone());
                    other_es.push(requirement.label_es.clone());
                }
            } else if own > 0.0
                && own - context.group_cover(&group.members, r, Some(m)) >= NEW_MARGIN - 1e-12
                && partial.is_none_or(|(best, _)| own > best)
            {
                // What it adds to the group without covering it fully.
                partial = Some((own, requirement));
            }
        }
        let mut parts_fr = Vec::new();
        let mut parts_es = Vec::new();
        match cpv_fr.len() {
            0 => {}
            1 => {
                parts_fr.push(format!("le code CPV {}", join(&cpv_fr, "et")));
                parts_es.push(format!("el código CPV {}", join(&cpv_es, "y")));
            }
            _ => {
                parts_fr.push(format!("les codes CPV {}", join(&cpv_fr, "et")));
                parts_es.push(format!("los códigos CPV {}", join(&cpv_es, "y")));
            }
        }
        parts_fr.extend(other_fr);
        parts_es.extend(other_es);
        let percent = (firm.fit * 100.0).round();
        let (mut reason_fr, mut reason_es) = if parts_fr.is_empty() {
            match partial {
                Some((_, r)) => (
                    format!("complète en partie {}", cpv_or_label(r, true)),
                    format!("completa en parte {}", cpv_or_label(r, false)),
                ),
                None => (
                    "complète le groupe".to_owned(),
                    "completa el grupo".to_owned(),
                ),
            }
        } else {
            let mut fr = format!("couvre {}", join(&parts_fr, "et"));
            let mut es = format!("cubre {}", join(&parts_es, "y"));
            if let Some((_, r)) = partial {
                fr.push_str(&format!(" et complète en partie {}", cpv_or_label(r, true)));
                es.push_str(&format!(" y completa en parte {}", cpv_or_label(r, false)));
            }
            (fr, es)
        };
        reason_fr.push_str(&format!(" ; adéquation au marché {percent} %"));
        reason_es.push_str(&format!("; adecuación a la licitación {percent} %"));
        members.push(Member {
            company_id: candidate.profile.id.clone(),
            company_name: candidate.profile.name.clone(),
            region: candidate.company.region.trim().to_owned(),
            fit: firm.fit,
            covers_cpv: cpv_codes,
            covers_requirements: others,
            reason_fr,
            reason_es,
        });
    }
    let uncovered: Vec<&Requirement> = requirements
        .iter()
        .zip(&group.per_requirement)
        .filter(|(_, c)| **c < COVERED)
        .map(|(r, _)| r)
        .collect();
    let ids: Vec<&str> = members.iter().map(|m| m.company_id.as_str()).collect();
    let id = consortium_id(tender.id(), &ids);
    let covered = requirements.len() - uncovered.len();
    let (form_fr, form_es) = form.names();
    let (border_fr, border_es) = if group.cross_border {
        (
            " de part et d'autre de la frontière",
            " de ambos lados de la frontera",
        )
    } else {
        ("", "")
    };
    let mut summary_fr = format!(
        "{form_fr} de {} entreprises{border_fr} : couvre {covered} des {} exigences ({} %)",
        members.len(),
        requirements.len(),
        (group.coverage * 100.0).round()
    );
    let mut summary_es = format!(
        "{form_es} de {} empresas{border_es}: cubre {covered} de {} requisitos ({} %)",
        members.len(),
        requirements.len(),
        (group.coverage * 100.0).round()
    );
    if !uncovered.is_empty() {
        let fr: Vec<String> = uncovered.iter().map(|r| cpv_or_label(r, true)).collect();
        let es: Vec<String> = uncovered.iter().map(|r| cpv_or_label(r, false)).collect();
        summary_fr.push_str(&format!(" ; non couvert : {}", join(&fr, "et")));
        summary_es.push_str(&format!("; sin cubrir: {}", join(&es, "y")));
    }
    summary_fr.push('.');
    summary_es.push('.');
    Proposal {
        id,
        members,
        score: group.score,
        coverage: group.coverage,
        uncovered: uncovered.iter().map(|r| r.code.clone()).collect(),
        form,
        cross_border: group.cross_border,
        summary_fr,
        summary_es,
    }
}

fn cpv_or_label(requirement: &Requirement, french: bool) -> String {
    match (requirement.is_cpv(), french) {
        (true, true) => format!("le code CPV {}", requirement.label_fr),
        (true, false) => format!("el código CPV {}", requirement.label_es),
        (false, true) => requirement.label_fr.clone(),
        (false, false) => requirement.label_es.clone(),
    }
}
