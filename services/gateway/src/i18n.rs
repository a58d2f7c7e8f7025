//! The console's words in French (default), Spanish and English.
//!
//! Templates read them as `t.key`; a missing translation falls back to French, and a
//! test checks that every key has all three.

use std::collections::BTreeMap;

/// A console language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// French, the default.
    #[default]
    Fr,
    /// Spanish.
    Es,
    /// English.
    En,
}

impl Lang {
    /// From a code (`fr`, `es`, `en`).
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "fr" => Some(Self::Fr),
            "es" => Some(Self::Es),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Fr => "fr",
            Self::Es => "es",
            Self::En => "en",
        }
    }

    /// The words of this language.
    pub fn words(self) -> BTreeMap<&'static str, &'static str> {
        WORDS
            .iter()
            .map(|(key, fr, es, en)| {
                let word = match self {
                    Self::Fr => fr,
                    Self::Es => es,
                    Self::En => en,
                };
                (*key, if word.is_empty() { *fr } else { *word })
            })
            .collect()
    }
}

/// `(key, French, Spanish, English)`.
const WORDS: &[(&str, &str, &str, &str)] = &[
    (
        "app",
        "Pyred — console des conseillers",
        "Pyred — consola de asesores",
        "Pyred — advisers' console",
    ),
    (
        "skip",
        "Aller au contenu",
        "Ir al contenido",
        "Skip to content",
    ),
    (
        "nav",
        "Navigation principale",
        "Navegación principal",
        "Main navigation",
    ),
    ("dashboard", "Tableau de bord", "Panel", "Dashboard"),
    ("search", "Recherche", "Búsqueda", "Search"),
    ("map", "Carte", "Mapa", "Map"),
    (
        "pipeline_csv",
        "Exporter mon suivi (CSV)",
        "Exportar mi seguimiento (CSV)",
        "Export my pipeline (CSV)",
    ),
    ("sign_in", "Se connecter", "Iniciar sesión", "Sign in"),
    ("sign_out", "Se déconnecter", "Cerrar sesión", "Sign out"),
    ("key", "Clé de conseiller", "Clave de asesor", "Adviser key"),
    (
        "key_help",
        "La clé commence par pyred_ ; elle vous a été remise par l'administrateur.",
        "La clave empieza por pyred_; se la entregó el administrador.",
        "The key starts with pyred_; your administrator gave it to you.",
    ),
    (
        "bad_key",
        "Clé inconnue, révoquée ou mal copiée.",
        "Clave desconocida, revocada o mal copiada.",
        "Unknown, revoked or mistyped key.",
    ),
    (
        "not_adviser",
        "Cette clé n'est pas une clé de conseiller : utilisez l'API JSON.",
        "Esta clave no es de asesor: use la API JSON.",
        "This is not an adviser key: use the JSON API.",
    ),
    (
        "csrf_failed",
        "Le formulaire a expiré ; veuillez réessayer.",
        "El formulario ha caducado; inténtelo de nuevo.",
        "The form expired; please try again.",
    ),
    (
        "service_down",
        "Un service Pyred ne répond pas ; réessayez dans un instant.",
        "Un servicio de Pyred no responde; inténtelo en un momento.",
        "A Pyred service is not answering; try again shortly.",
    ),
    ("language", "Langue", "Idioma", "Language"),
    ("my_firms", "Mes entreprises", "Mis empresas", "My firms"),
    (
        "new_leads",
        "Nouvelles pistes non lues",
        "Nuevas pistas sin leer",
        "New unread leads",
    ),
    (
        "first_visit",
        "première visite",
        "primera visita",
        "first visit",
    ),
    (
        "last_visit",
        "dernière visite",
        "última visita",
        "last visit",
    ),
    (
        "deadlines",
        "Échéances dans les 14 prochains jours",
        "Plazos en los próximos 14 días",
        "Deadlines in the next 14 days",
    ),
    ("none", "Aucune.", "Ninguna.", "None."),
    ("firm", "Entreprise", "Empresa", "Firm"),
    ("firms", "Entreprises", "Empresas", "Firms"),
    ("place", "Lieu", "Lugar", "Place"),
    ("region", "Région", "Región", "Region"),
    ("employees", "Effectif", "Plantilla", "Employees"),
    ("leads", "Pistes", "Pistas", "Leads"),
    (
        "best_leads",
        "Meilleures pistes",
        "Mejores pistas",
        "Best leads",
    ),
    ("score", "Score", "Puntuación", "Score"),
    ("reasons", "Raisons", "Motivos", "Reasons"),
    ("distance", "Distance", "Distancia", "Distance"),
    ("status", "Statut", "Estado", "Status"),
    ("deadline", "Échéance", "Plazo", "Deadline"),
    ("published", "Publiée le", "Publicada el", "Published"),
    ("opportunity", "Opportunité", "Oportunidad", "Opportunity"),
    (
        "opportunities",
        "Opportunités",
        "Oportunidades",
        "Opportunities",
    ),
    ("profile", "Profil", "Perfil", "Profile"),
    (
        "edit",
        "Modifier le profil",
        "Editar el perfil",
        "Edit profile",
    ),
    ("save", "Enregistrer", "Guardar", "Save"),
    ("cancel", "Annuler", "Cancelar", "Cancel"),
    (
        "saved",
        "Modifications enregistrées.",
        "Cambios guardados.",
        "Changes saved.",
    ),
    (
        "fix_fields",
        "Certains champs sont à corriger :",
        "Hay campos que corregir:",
        "Some fields need fixing:",
    ),
    ("name", "Raison sociale", "Razón social", "Trading name"),
    ("description", "Description", "Descripción", "Description"),
    (
        "offers",
        "Ce qu'elle propose",
        "Lo que ofrece",
        "What it offers",
    ),
    (
        "seeks",
        "Ce qu'elle recherche",
        "Lo que busca",
        "What it seeks",
    ),
    (
        "activities",
        "Activités (codes NACE/NAF, séparés par des virgules)",
        "Actividades (códigos NACE/CNAE, separados por comas)",
        "Activities (NACE/NAF codes, comma-separated)",
    ),
    (
        "languages",
        "Langues de travail (fr, es, en…)",
        "Idiomas de trabajo (fr, es, en…)",
        "Working languages (fr, es, en…)",
    ),
    (
        "place_code",
        "Code INSEE de la commune",
        "Código INE/INSEE del municipio",
        "INSEE/INE place code",
    ),
    ("contact", "Contact", "Contacto", "Contact"),
    (
        "contact_name",
        "Nom du contact",
        "Nombre del contacto",
        "Contact name",
    ),
    (
        "contact_email",
        "Courriel du contact",
        "Correo del contacto",
        "Contact e-mail",
    ),
    (
        "contact_phone",
        "Téléphone du contact",
        "Teléfono del contacto",
        "Contact phone",
    ),
    ("visibility", "Visibilité", "Visibilidad", "Visibility"),
    ("public", "Publique", "Pública", "Public"),
    (
        "advisers_only",
        "Conseillers seulement",
        "Solo asesores",
        "Advisers only",
    ),
    (
        "service_radius",
        "Rayon d'action (km)",
        "Radio de acción (km)",
        "Service radius (km)",
    ),
    (
        "service_radius_hours",
        "Rayon d'intervention (heures de route)",
        "Radio de servicio (horas de carretera)",
        "Service radius (hours by road)",
    ),
    (
        "number_expected",
        "nombre attendu",
        "se espera un número",
        "a number is expected",
    ),
    (
        "integer_expected",
        "nombre entier attendu",
        "se espera un número entero",
        "a whole number is expected",
    ),
    (
        "lead_version_lost",
        "Le formulaire a perdu la version de la piste : rechargez la page et recommencez.",
        "El formulario ha perdido la versión de la pista: recargue la página y vuelva a empezar.",
        "The form lost the lead's version: reload the page and start again.",
    ),
    // File names of the CSV exports (without extension).
    ("leads_file", "pistes", "pistas", "leads"),
    (
        "pipeline_file",
        "suivi-pyred",
        "seguimiento-pyred",
        "pyred-pipeline",
    ),
    ("workflow", "Suivi", "Seguimiento", "Follow-up"),
    ("st_proposed", "Proposée", "Propuesta", "Proposed"),
    (
        "st_shortlisted",
        "Retenue",
        "Preseleccionada",
        "Shortlisted",
    ),
    ("st_contacted", "Contactée", "Contactada", "Contacted"),
    ("st_meeting", "Rendez-vous", "Reunión", "Meeting"),
    ("st_won", "Gagnée", "Ganada", "Won"),
    ("st_lost", "Perdue", "Perdida", "Lost"),
    ("st_dismissed", "Écartée", "Descartada", "Dismissed"),
    ("do_shortlisted", "Retenir", "Preseleccionar", "Shortlist"),
    ("do_contacted", "Contactée", "Contactada", "Contacted"),
    ("do_meeting", "Rendez-vous", "Reunión", "Meeting"),
    ("do_won", "Gagnée", "Ganada", "Won"),
    ("do_lost", "Perdue", "Perdida", "Lost"),
    ("do_dismissed", "Écarter", "Descartar", "Dismiss"),
    (
        "dismiss_reason",
        "Motif pour écarter",
        "Motivo para descartar",
        "Reason to dismiss",
    ),
    (
        "status_changed",
        "Statut mis à jour.",
        "Estado actualizado.",
        "Status updated.",
    ),
    ("notes", "Notes", "Notas", "Notes"),
    (
        "add_note",
        "Ajouter une note",
        "Añadir una nota",
        "Add a note",
    ),
    ("note", "Note", "Nota", "Note"),
    (
        "note_added",
        "Note ajoutée.",
        "Nota añadida.",
        "Note added.",
    ),
    (
        "export_leads",
        "Exporter les pistes (CSV)",
        "Exportar las pistas (CSV)",
        "Export leads (CSV)",
    ),
    (
        "export_leads_pdf",
        "Fiche des pistes (PDF)",
        "Hoja de pistas (PDF)",
        "Lead sheet (PDF)",
    ),
    (
        "lead_sheet",
        "Fiche des pistes",
        "Hoja de pistas",
        "Lead sheet",
    ),
    (
        "lead_sheet_file",
        "fiche-pistes",
        "hoja-pistas",
        "lead-sheet",
    ),
    ("legal_id", "SIRET / NIF", "SIRET / NIF", "SIRET / NIF"),
    ("sector", "Secteur", "Sector", "Sector"),
    ("deadline_colon", "Échéance :", "Plazo:", "Deadline:"),
    ("printed_on", "Édité le", "Emitida el", "Printed on"),
    (
        "listing_language",
        "Annonce en langue d'origine",
        "Anuncio en su idioma original",
        "Listing in its own language",
    ),
    (
        "key_terms",
        "Termes clés (glossaire)",
        "Términos clave (glosario)",
        "Key terms (glossary)",
    ),
    (
        "term",
        "Terme de l'annonce",
        "Término del anuncio",
        "Term in the listing",
    ),
    ("in_french", "En français", "En francés", "In French"),
    ("in_spanish", "En espagnol", "En español", "In Spanish"),
    (
        "firms_to_call",
        "Entreprises à appeler",
        "Empresas a las que llamar",
        "Firms to call",
    ),
    ("kind", "Type", "Tipo", "Kind"),
    ("budget", "Budget", "Presupuesto", "Budget"),
    ("source", "Source", "Fuente", "Source"),
    (
        "query",
        "Que cherchez-vous ?",
        "¿Qué busca?",
        "What are you looking for?",
    ),
    (
        "around",
        "Autour de (commune)",
        "Alrededor de (municipio)",
        "Around (place)",
    ),
    ("radius", "Rayon (km)", "Radio (km)", "Radius (km)"),
    (
        "travel_from",
        "En voiture depuis (commune)",
        "En coche desde (municipio)",
        "Driving from (place)",
    ),
    ("max_drive", "Au plus", "Como máximo", "Within"),
    ("of_driving", "de route", "de coche", "of driving"),
    (
        "by_travel_time",
        "Temps de route",
        "Tiempo en coche",
        "Driving time",
    ),
    ("travel_via", "par", "por", "via"),
    ("by_road", "en voiture", "en coche", "by road"),
    ("trip", "Trajet", "Trayecto", "Trip"),
    (
        "closed_that_day",
        "est fermé ce jour",
        "está cerrado ese día",
        "is closed that day",
    ),
    (
        "drive_minutes",
        "Minutes de route",
        "Minutos en coche",
        "Driving minutes",
    ),
    ("road_km", "Km par la route", "Km por carretera", "Road km"),
    ("crossing", "Passage", "Paso", "Crossing"),
    ("entity", "Chercher parmi", "Buscar entre", "Search among"),
    ("all", "Tout", "Todo", "All"),
    ("sort", "Trier par", "Ordenar por", "Sort by"),
    ("relevance", "Pertinence", "Relevancia", "Relevance"),
    ("nearest", "Distance", "Distancia", "Distance"),
    ("soonest", "Échéance", "Plazo", "Deadline"),
    ("newest", "Publication", "Publicación", "Publication"),
    ("results", "résultats", "resultados", "results"),
    ("title", "Titre", "Título", "Title"),
    (
        "concepts",
        "Concepts communs",
        "Conceptos comunes",
        "Shared concepts",
    ),
    ("facets", "Affiner", "Afinar", "Refine"),
    ("languages_facet", "Langue", "Idioma", "Language"),
    (
        "division",
        "Division NACE",
        "División NACE",
        "NACE division",
    ),
    (
        "next_page",
        "Page suivante",
        "Página siguiente",
        "Next page",
    ),
    (
        "clear_filters",
        "Effacer les filtres",
        "Borrar filtros",
        "Clear filters",
    ),
    (
        "map_title",
        "Carte : Gers, Aragon et La Rioja",
        "Mapa: Gers, Aragón y La Rioja",
        "Map: Gers, Aragón and La Rioja",
    ),
    (
        "map_desc",
        "Le Gers et ses cantons, les provinces de Huesca, Saragosse, Teruel et La Rioja : vos entreprises (carrés) et les annonces en ligne (ronds colorés par type), regroupées quand elles se chevauchent.",
        "El Gers y sus cantones, las provincias de Huesca, Zaragoza, Teruel y La Rioja: sus empresas (cuadrados) y los anuncios publicados (círculos con el color de su tipo), agrupados cuando se superponen.",
        "The Gers and its cantons, the provinces of Huesca, Zaragoza, Teruel and La Rioja: your firms (squares) and live listings (circles coloured by kind), grouped where they overlap.",
    ),
    ("border", "Frontière", "Frontera", "Border"),
    ("legend", "Légende", "Leyenda", "Legend"),
    ("canton", "Canton", "Cantón", "Canton"),
    ("country_fr", "FRANCE", "FRANCIA", "FRANCE"),
    ("country_es", "ESPAGNE", "ESPAÑA", "SPAIN"),
    ("map_firms", "Vos entreprises", "Sus empresas", "Your firms"),
    (
        "map_cluster",
        "Groupe (nombre de fiches)",
        "Grupo (número de fichas)",
        "Group (number of records)",
    ),
    (
        "cluster_open",
        "fiches ici ; cliquer pour les déplier",
        "fichas aquí; pulse para desplegarlas",
        "records here; click to spread them out",
    ),
    (
        "map_regions",
        "Gers et provinces",
        "Gers y provincias",
        "Gers and provinces",
    ),
    (
        "map_cantons",
        "Cantons du Gers",
        "Cantones del Gers",
        "Cantons of the Gers",
    ),
    (
        "map_context",
        "Territoires voisins",
        "Territorios vecinos",
        "Neighbouring areas",
    ),
    (
        "map_sources",
        "Contours : IGN — ADMIN EXPRESS COG (Licence Ouverte 2.0) ; © Instituto Geográfico Nacional de España (CC BY 4.0)",
        "Límites: IGN — ADMIN EXPRESS COG (Licence Ouverte 2.0); © Instituto Geográfico Nacional de España (CC BY 4.0)",
        "Outlines: IGN — ADMIN EXPRESS COG (Licence Ouverte 2.0); © Instituto Geográfico Nacional de España (CC BY 4.0)",
    ),
    (
        "map_download_svg",
        "Télécharger la carte (SVG)",
        "Descargar el mapa (SVG)",
        "Download the map (SVG)",
    ),
    (
        "map_download_png",
        "Télécharger la carte (PNG)",
        "Descargar el mapa (PNG)",
        "Download the map (PNG)",
    ),
    ("map_print", "Imprimer", "Imprimir", "Print"),
    (
        "map_crossings",
        "Passages des Pyrénées",
        "Pasos del Pirineo",
        "Pyrenean crossings",
    ),
    (
        "map_crossing_usable",
        "Passage des Pyrénées",
        "Paso del Pirineo",
        "Pyrenean crossing",
    ),
    (
        "map_crossing_closed",
        "Passage fermé ce jour",
        "Paso cerrado ese día",
        "Crossing closed that day",
    ),
    ("crossing_open", "ouvert", "abierto", "open"),
    (
        "crossing_closed",
        "fermé ce jour",
        "cerrado ese día",
        "closed that day",
    ),
    (
        "crossing_night",
        "fermé la nuit ({from} h–{to} h)",
        "cerrado de noche ({from} h–{to} h)",
        "closed at night ({from} h–{to} h)",
    ),
    (
        "crossing_weather",
        "peut fermer par mauvais temps",
        "puede cerrar por mal tiempo",
        "may close in bad weather",
    ),
    ("map_day", "Jour", "Día", "Day"),
    ("map_show_day", "Afficher", "Mostrar", "Show"),
    ("crossing_number", "N°", "N.º", "No."),
    ("crossing_name", "Passage", "Paso", "Crossing"),
    ("crossing_roads", "Routes", "Carreteras", "Roads"),
    (
        "crossing_state",
        "État ce jour",
        "Estado ese día",
        "State that day",
    ),
    (
        "map_crossings_source",
        "Régimes de fermeture : données du modèle de trajet de Pyred, avec leurs sources publiques (docs/travel.md)",
        "Regímenes de cierre: datos del modelo de trayectos de Pyred, con sus fuentes públicas (docs/travel.md)",
        "Closure regimes: Pyred's travel model data, with their public sources (docs/travel.md)",
    ),
    (
        "bad_day",
        "jour invalide « {day} » : une date AAAA-MM-JJ qui existe est attendue",
        "día no válido «{day}»: se espera una fecha AAAA-MM-DD que exista",
        "invalid day \"{day}\": an existing YYYY-MM-DD date is expected",
    ),
    ("map_file", "carte", "mapa", "map"),
    (
        "not_found",
        "Introuvable (ou hors de votre périmètre).",
        "No encontrado (o fuera de su ámbito).",
        "Not found (or outside your territory).",
    ),
    (
        "forbidden",
        "Action non autorisée pour cette clé.",
        "Acción no permitida para esta clave.",
        "Not allowed for this key.",
    ),
    ("error", "Erreur", "Error", "Error"),
    ("back", "Retour", "Volver", "Back"),
    ("view", "Voir", "Ver", "View"),
    (
        "signed_in_as",
        "Connecté avec la clé",
        "Conectado con la clave",
        "Signed in with key",
    ),
    (
        "version_conflict",
        "Quelqu'un a modifié cette fiche entre-temps ; rechargez la page.",
        "Alguien modificó esta ficha mientras tanto; recargue la página.",
        "Someone changed this record meanwhile; reload the page.",
    ),
    (
        "k_business_offer",
        "Offre commerciale",
        "Oferta comercial",
        "Business offer",
    ),
    (
        "k_business_request",
        "Demande commerciale",
        "Demanda comercial",
        "Business request",
    ),
    ("k_partnership", "Partenariat", "Asociación", "Partnership"),
    ("k_tender", "Appel d'offres", "Licitación", "Tender"),
    (
        "k_technology_offer",
        "Offre de technologie",
        "Oferta tecnológica",
        "Technology offer",
    ),
    (
        "k_technology_request",
        "Demande de technologie",
        "Demanda tecnológica",
        "Technology request",
    ),
    ("o_draft", "Brouillon", "Borrador", "Draft"),
    ("o_published", "Publiée", "Publicada", "Published"),
    ("o_expired", "Expirée", "Caducada", "Expired"),
    ("o_withdrawn", "Retirée", "Retirada", "Withdrawn"),
    ("o_fulfilled", "Pourvue", "Cubierta", "Fulfilled"),
    (
        "official_notice",
        "Voir l'avis officiel",
        "Ver el anuncio oficial",
        "View the official notice",
    ),
    (
        "new_tab",
        "(s'ouvre dans un nouvel onglet)",
        "(se abre en una pestaña nueva)",
        "(opens in a new tab)",
    ),
    (
        "withdrawal_reason",
        "Motif du retrait :",
        "Motivo de la retirada:",
        "Withdrawal reason:",
    ),
    (
        "buyer",
        "Acheteur public",
        "Órgano de contratación",
        "Contracting body",
    ),
    (
        "buyer_colon",
        "Acheteur :",
        "Órgano de contratación:",
        "Contracting body:",
    ),
    ("procedure", "Procédure", "Procedimiento", "Procedure"),
    (
        "contract_type",
        "Type de marché",
        "Tipo de contrato",
        "Contract type",
    ),
    ("tender_stage", "Étape", "Fase", "Stage"),
    (
        "location_approximate",
        "(localisation approximative)",
        "(ubicación aproximada)",
        "(approximate location)",
    ),
    ("lots", "Lots", "Lotes", "Lots"),
    ("lot_number", "N°", "N.º", "No."),
    ("lot_title", "Intitulé", "Título", "Title"),
    (
        "budget_net",
        "Budget HT",
        "Presupuesto sin IVA",
        "Budget excl. VAT",
    ),
    ("pr_open", "Ouverte", "Abierto", "Open"),
    (
        "pr_open_simplified",
        "Ouverte simplifiée",
        "Abierto simplificado",
        "Simplified open",
    ),
    ("pr_restricted", "Restreinte", "Restringido", "Restricted"),
    (
        "pr_negotiated_with_publication",
        "Négociée avec publicité préalable",
        "Negociado con publicidad",
        "Negotiated with prior publication",
    ),
    (
        "pr_negotiated_without_publication",
        "Négociée sans publicité préalable",
        "Negociado sin publicidad",
        "Negotiated without prior publication",
    ),
    (
        "pr_competitive_dialogue",
        "Dialogue compétitif",
        "Diálogo competitivo",
        "Competitive dialogue",
    ),
    (
        "pr_innovation_partnership",
        "Partenariat d'innovation",
        "Asociación para la innovación",
        "Innovation partnership",
    ),
    (
        "pr_design_contest",
        "Concours",
        "Concurso de proyectos",
        "Design contest",
    ),
    (
        "pr_framework_derived",
        "Marché subséquent d'un accord-cadre",
        "Derivado de acuerdo marco",
        "Contract under a framework agreement",
    ),
    (
        "pr_dynamic_purchasing_system",
        "Système d'acquisition dynamique",
        "Sistema dinámico de adquisición",
        "Dynamic purchasing system",
    ),
    (
        "pr_negotiated_tender",
        "Procédure avec négociation",
        "Licitación con negociación",
        "Tender with negotiation",
    ),
    (
        "pr_minor",
        "Contrat mineur (sans mise en concurrence)",
        "Contrato menor",
        "Minor contract",
    ),
    (
        "pr_internal_rules",
        "Règles internes de l'acheteur",
        "Normas internas",
        "Contracting body's internal rules",
    ),
    (
        "pr_other",
        "Autre procédure",
        "Otro procedimiento",
        "Other procedure",
    ),
    ("ct_supplies", "Fournitures", "Suministros", "Supplies"),
    ("ct_services", "Services", "Servicios", "Services"),
    ("ct_works", "Travaux", "Obras", "Works"),
    (
        "ct_services_concession",
        "Concession de services",
        "Concesión de servicios",
        "Services concession",
    ),
    (
        "ct_works_concession",
        "Concession de travaux",
        "Concesión de obras",
        "Works concession",
    ),
    ("ct_combined", "Mixte", "Mixto", "Combined"),
    ("ct_other", "Autre", "Otro", "Other"),
    (
        "ts_prior_notice",
        "Avis de préinformation",
        "Anuncio previo",
        "Prior information notice",
    ),
    (
        "ts_open",
        "Ouverte aux offres",
        "En plazo",
        "Open for tenders",
    ),
    (
        "ts_evaluation",
        "Offres en cours d'examen",
        "Pendiente de adjudicación",
        "Tenders under evaluation",
    ),
    ("ts_awarded", "Attribuée", "Adjudicada", "Awarded"),
    (
        "ts_resolved",
        "Contrat signé",
        "Resuelta",
        "Contract signed",
    ),
    ("ts_cancelled", "Annulée", "Anulada", "Cancelled"),
    ("alerts", "Alertes", "Alertas", "Alerts"),
    (
        "alerts_intro",
        "Les pistes nouvelles des entreprises que vous suivez, au-dessus de votre seuil, sur 30 jours. La liste se met à jour en direct.",
        "Las nuevas pistas de las empresas que usted sigue, por encima de su umbral, en 30 días. La lista se actualiza en directo.",
        "New leads of the firms you follow, above your threshold, over 30 days. The list updates live.",
    ),
    ("alerts_unread", "non lues", "sin leer", "unread"),
    ("alert_unread", "non lue", "sin leer", "unread"),
    ("alert_read", "lue", "leída", "read"),
    (
        "alert_mark_read",
        "Marquer comme lue",
        "Marcar como leída",
        "Mark as read",
    ),
    (
        "alert_mark_all_read",
        "Tout marquer comme lu",
        "Marcar todas como leídas",
        "Mark all as read",
    ),
    (
        "alert_threshold",
        "Seuil d'alerte (score minimal, %)",
        "Umbral de alerta (puntuación mínima, %)",
        "Alert threshold (minimum score, %)",
    ),
    (
        "alert_threshold_invalid",
        "Le seuil doit être un nombre entre 0 et 100.",
        "El umbral debe ser un número entre 0 y 100.",
        "The threshold must be a number between 0 and 100.",
    ),
    (
        "alert_threshold_saved",
        "Seuil d'alerte enregistré.",
        "Umbral de alerta guardado.",
        "Alert threshold saved.",
    ),
    (
        "alerts_read",
        "Alertes marquées comme lues.",
        "Alertas marcadas como leídas.",
        "Alerts marked as read.",
    ),
    (
        "alerts_none",
        "Aucune alerte.",
        "Ninguna alerta.",
        "No alerts.",
    ),
    (
        "alerts_unread_only",
        "Non lues seulement",
        "Solo sin leer",
        "Unread only",
    ),
    ("alerts_all", "Toutes", "Todas", "All"),
    ("alerts_older", "Plus anciennes", "Más antiguas", "Older"),
    ("alerts_more_than", "plus de", "más de", "more than"),
    ("alerts_raised", "Alerte du", "Alerta del", "Alert of"),
    (
        "form_version_lost",
        "Le formulaire a perdu sa version : rechargez la page de modification et recommencez.",
        "El formulario ha perdido su versión: recargue la página de edición y vuelva a empezar.",
        "The form lost its version: reload the edit page and start again.",
    ),
    // ----- brokerage cases -----
    ("cases", "Dossiers", "Expedientes", "Cases"),
    (
        "cases_h",
        "Dossiers de mise en relation",
        "Expedientes de puesta en contacto",
        "Brokerage cases",
    ),
    ("case", "Dossier", "Expediente", "Case"),
    ("cs_proposed", "Proposé", "Propuesto", "Proposed"),
    ("cs_accepted", "Accepté", "Aceptado", "Accepted"),
    (
        "cs_consents_asked",
        "Consentements demandés",
        "Consentimientos solicitados",
        "Consents asked",
    ),
    (
        "cs_introduced",
        "Mis en relation",
        "Puestos en contacto",
        "Introduced",
    ),
    ("cs_meeting", "Rendez-vous", "Reunión", "Meeting"),
    ("cs_won", "Gagné", "Ganado", "Won"),
    ("cs_lost", "Perdu", "Perdido", "Lost"),
    ("cs_dropped", "Abandonné", "Abandonado", "Dropped"),
    ("cs_declined", "Décliné", "Rechazado", "Declined"),
    (
        "cs_refused",
        "Refusé par une entreprise",
        "Denegado por una empresa",
        "Refused by a firm",
    ),
    ("cs_expired", "Expiré", "Caducado", "Expired"),
    ("ca_pending", "En attente", "Pendiente", "Pending"),
    ("ca_yes", "Oui", "Sí", "Yes"),
    ("ca_no", "Non", "No", "No"),
    ("ca_withdrawn", "Retiré", "Retirado", "Withdrawn"),
    ("ca_expired", "Expiré", "Caducado", "Expired"),
    (
        "ev_opened",
        "Dossier ouvert",
        "Expediente abierto",
        "Case opened",
    ),
    (
        "ev_accepted",
        "Dossier accepté",
        "Expediente aceptado",
        "Case accepted",
    ),
    (
        "ev_declined",
        "Dossier décliné",
        "Expediente rechazado",
        "Case declined",
    ),
    (
        "ev_consents_asked",
        "Consentements demandés",
        "Consentimientos solicitados",
        "Consents asked",
    ),
    (
        "ev_consent_yes",
        "Consentement donné",
        "Consentimiento otorgado",
        "Consent given",
    ),
    (
        "ev_consent_no",
        "Consentement refusé",
        "Consentimiento denegado",
        "Consent refused",
    ),
    (
        "ev_consent_withdrawn",
        "Consentement retiré (effacement des coordonnées)",
        "Consentimiento retirado (supresión de los datos de contacto)",
        "Consent withdrawn (contact erased)",
    ),
    (
        "ev_consent_expired",
        "Consentement expiré",
        "Consentimiento caducado",
        "Consent expired",
    ),
    (
        "ev_introduced",
        "Entreprises mises en relation",
        "Empresas puestas en contacto",
        "Firms introduced",
    ),
    (
        "ev_status",
        "Changement de statut",
        "Cambio de estado",
        "Status change",
    ),
    ("ev_note", "Note", "Nota", "Note"),
    (
        "ev_contacts_read",
        "Coordonnées consultées",
        "Datos de contacto consultados",
        "Contacts read",
    ),
    (
        "case_system",
        "Pyred (automatique)",
        "Pyred (automático)",
        "Pyred (automatic)",
    ),
    (
        "case_do_meeting",
        "Rendez-vous fixé",
        "Reunión concertada",
        "Meeting set",
    ),
    ("case_do_won", "Affaire conclue", "Negocio cerrado", "Won"),
    ("case_do_lost", "Sans suite", "Sin resultado", "Lost"),
    (
        "case_ok_opened",
        "Dossier ouvert.",
        "Expediente abierto.",
        "Case opened.",
    ),
    (
        "case_ok_accepted",
        "Dossier accepté.",
        "Expediente aceptado.",
        "Case accepted.",
    ),
    (
        "case_ok_declined",
        "Dossier décliné.",
        "Expediente rechazado.",
        "Case declined.",
    ),
    (
        "case_ok_consents_asked",
        "Consentements demandés aux deux entreprises.",
        "Consentimientos solicitados a ambas empresas.",
        "Both firms were asked for their consent.",
    ),
    (
        "case_ok_consent_recorded",
        "Réponse de l'entreprise enregistrée.",
        "Respuesta de la empresa registrada.",
        "The firm's answer was recorded.",
    ),
    (
        "case_ok_status_changed",
        "Statut modifié.",
        "Estado modificado.",
        "Status changed.",
    ),
    (
        "case_ok_note_added",
        "Note ajoutée.",
        "Nota añadida.",
        "Note added.",
    ),
    (
        "case_ok_consortium_opened",
        "Dossiers du groupement ouverts.",
        "Expedientes de la agrupación abiertos.",
        "The consortium's cases were opened.",
    ),
    ("case_filter", "Filtrer", "Filtrar", "Filter"),
    ("case_any", "Tous", "Todos", "Any"),
    ("case_side", "Côté", "Lado", "Side"),
    (
        "case_side_a_filter",
        "Proposés par nous",
        "Propuestos por nosotros",
        "Proposed by us",
    ),
    (
        "case_side_b_filter",
        "Proposés à nous",
        "Propuestos a nosotros",
        "Proposed to us",
    ),
    ("case_firm", "Entreprise", "Empresa", "Firm"),
    ("case_listing", "Annonce", "Anuncio", "Listing"),
    (
        "case_side_a",
        "Côté A (propose)",
        "Lado A (propone)",
        "Side A (proposes)",
    ),
    (
        "case_side_b",
        "Côté B (sollicité)",
        "Lado B (destinatario)",
        "Side B (asked)",
    ),
    ("case_updated", "Mis à jour", "Actualizado", "Updated"),
    (
        "case_next_page",
        "Page suivante",
        "Página siguiente",
        "Next page",
    ),
    (
        "case_firm_pending",
        "entreprise à désigner",
        "empresa por designar",
        "firm to be named",
    ),
    ("case_opened_by", "Ouvert par", "Abierto por", "Opened by"),
    ("case_created", "Ouvert le", "Abierto el", "Opened on"),
    ("case_consortium", "Groupement", "Agrupación", "Consortium"),
    ("case_timeline", "Historique", "Historial", "Timeline"),
    ("case_when", "Quand", "Cuándo", "When"),
    ("case_who", "Qui", "Quién", "Who"),
    ("case_what", "Quoi", "Qué", "What"),
    (
        "case_consents",
        "Consentements",
        "Consentimientos",
        "Consents",
    ),
    ("case_answer", "Réponse", "Respuesta", "Answer"),
    ("case_asked", "Demandé", "Solicitado", "Asked"),
    ("case_due", "Échéance", "Vencimiento", "Due"),
    ("case_answered", "Répondu", "Respondido", "Answered"),
    ("case_by", "par", "por", "by"),
    (
        "case_via",
        "recueilli par le conseiller",
        "recogido por el asesor",
        "recorded by adviser",
    ),
    (
        "case_by_firm",
        "par l'entreprise elle-même",
        "por la propia empresa",
        "by the firm itself",
    ),
    ("case_actions", "Actions", "Acciones", "Actions"),
    (
        "case_accept",
        "Accepter le dossier",
        "Aceptar el expediente",
        "Accept the case",
    ),
    (
        "case_pick_firm",
        "Entreprise de notre territoire",
        "Empresa de nuestro territorio",
        "Firm of our territory",
    ),
    (
        "case_note_optional",
        "Note (facultative)",
        "Nota (opcional)",
        "Note (optional)",
    ),
    (
        "case_decline",
        "Décliner le dossier",
        "Rechazar el expediente",
        "Decline the case",
    ),
    ("case_reason", "Motif", "Motivo", "Reason"),
    (
        "case_ask_consents",
        "Demander les consentements",
        "Solicitar los consentimientos",
        "Ask for consents",
    ),
    (
        "case_record_for",
        "Réponse recueillie auprès de",
        "Respuesta recogida de",
        "Answer obtained from",
    ),
    (
        "case_record_yes",
        "Enregistrer : oui",
        "Registrar: sí",
        "Record: yes",
    ),
    (
        "case_record_no",
        "Enregistrer : non",
        "Registrar: no",
        "Record: no",
    ),
    (
        "case_drop",
        "Abandonner le dossier",
        "Abandonar el expediente",
        "Drop the case",
    ),
    (
        "case_no_action",
        "Aucune action possible.",
        "Ninguna acción posible.",
        "No action possible.",
    ),
    (
        "case_contacts",
        "Coordonnées",
        "Datos de contacto",
        "Contacts",
    ),
    (
        "case_contacts_help",
        "Les deux entreprises ont accepté d'être mises en relation. Chaque consultation est journalisée.",
        "Ambas empresas aceptaron ser puestas en contacto. Cada consulta queda registrada.",
        "Both firms agreed to be introduced. Every read is audited.",
    ),
    (
        "case_contacts_unavailable",
        "Les coordonnées ne peuvent pas être lues pour le moment.",
        "Los datos de contacto no pueden leerse por ahora.",
        "The contacts cannot be read right now.",
    ),
    (
        "case_open",
        "Ouvrir un dossier",
        "Abrir un expediente",
        "Open a case",
    ),
    (
        "case_to_org",
        "Organisme destinataire",
        "Organismo destinatario",
        "Organisation asked",
    ),
    (
        "case_to_org_default",
        "Celui qui suit l'annonce (par défaut)",
        "El que sigue el anuncio (por defecto)",
        "The one that follows the listing (default)",
    ),
    (
        "case_note_first",
        "Note pour l'autre organisme",
        "Nota para el otro organismo",
        "Note to the other organisation",
    ),
    // ----- consortia -----
    (
        "consortia_h",
        "Candidatures groupées",
        "Ofertas conjuntas",
        "Joint bids",
    ),
    (
        "consortia_intro",
        "Groupes de deux à quatre entreprises qui, ensemble, couvrent ce que demande l'appel d'offres.",
        "Grupos de dos a cuatro empresas que, juntas, cubren lo que pide la licitación.",
        "Groups of two to four firms that together cover what the tender asks.",
    ),
    ("consortia_members", "Membres", "Miembros", "Members"),
    ("consortia_fit", "Adéquation", "Adecuación", "Fit"),
    ("consortia_covers", "Couvre", "Cubre", "Covers"),
    (
        "consortia_uncovered",
        "Non couvert",
        "Sin cubrir",
        "Not covered",
    ),
    ("consortia_form", "Forme", "Forma", "Form"),
    ("consortia_score", "Score", "Puntuación", "Score"),
    ("consortia_coverage", "Couverture", "Cobertura", "Coverage"),
    (
        "consortia_cross_border",
        "Transfrontalier",
        "Transfronteriza",
        "Cross-border",
    ),
    (
        "consortia_requirements",
        "Exigences lues dans l'avis",
        "Requisitos leídos en el anuncio",
        "Requirements read from the notice",
    ),
    (
        "consortia_open",
        "Ouvrir les dossiers de ce groupement",
        "Abrir los expedientes de esta agrupación",
        "Open this consortium's cases",
    ),
    (
        "consortia_no_lead",
        "Aucun membre n'est sur votre territoire.",
        "Ningún miembro está en su territorio.",
        "No member is in your territory.",
    ),
    (
        "consortia_unavailable",
        "Les propositions de groupement ne sont pas disponibles pour le moment.",
        "Las propuestas de agrupación no están disponibles por ahora.",
        "Consortium proposals are not available right now.",
    ),
    (
        "consortia_what",
        "UTE, groupement : de quoi s'agit-il ?",
        "UTE, groupement: ¿qué son?",
        "UTE, groupement: what are they?",
    ),
    ("form_ute", "UTE (Espagne)", "UTE (España)", "UTE (Spain)"),
    (
        "form_groupement",
        "Groupement momentané d'entreprises (France)",
        "Groupement momentané d'entreprises (Francia)",
        "Groupement momentané d'entreprises (France)",
    ),
    // ----- help: joint bids -----
    (
        "jb_title",
        "Candidatures groupées : UTE et groupements",
        "Ofertas conjuntas: UTE y groupements",
        "Joint bids: UTEs and groupements",
    ),
    (
        "jb_intro",
        "Plusieurs entreprises peuvent répondre ensemble à un marché public. La forme dépend du pays de l'acheteur. Cette page résume les textes ; elle ne constitue pas un conseil juridique.",
        "Varias empresas pueden licitar juntas a un contrato público. La forma depende del país del órgano de contratación. Esta página resume los textos; no constituye asesoramiento jurídico.",
        "Several firms may bid together for a public contract. The form depends on the buyer's country. This page summarises the texts; it is not legal advice.",
    ),
    (
        "jb_ute_h",
        "Espagne : l'Union temporaire d'entreprises (Unión Temporal de Empresas, UTE)",
        "España: la Unión Temporal de Empresas (UTE)",
        "Spain: the Unión Temporal de Empresas (UTE)",
    ),
    (
        "jb_ute_1",
        "La loi 9/2017 sur les contrats du secteur public (art. 69) permet à des entreprises de soumissionner ensemble en UTE sans la constituer formellement en acte public avant l'attribution du marché.",
        "La Ley 9/2017, de Contratos del Sector Público (art. 69) permite a las empresas licitar juntas en UTE sin necesidad de formalizarla en escritura pública hasta que se les adjudique el contrato.",
        "Spain's Public Sector Contracts Act, Ley 9/2017 (art. 69), lets firms bid together as a UTE without formalising it in a public deed until the contract is awarded to them.",
    ),
    (
        "jb_ute_2",
        "L'offre indique les noms des membres, la part de chacun et leur engagement à se constituer en UTE s'ils sont retenus. Les membres répondent solidairement envers l'acheteur et désignent un représentant unique doté des pouvoirs nécessaires jusqu'à l'extinction du contrat.",
        "La oferta indica los nombres de los miembros, la participación de cada uno y su compromiso de constituirse en UTE si resultan adjudicatarios. Los miembros responden solidariamente ante el órgano de contratación y nombran un representante o apoderado único con poderes suficientes hasta la extinción del contrato.",
        "The bid names the members, each one's share and their commitment to form the UTE if they win. The members are jointly and severally liable to the buyer and appoint a single representative with sufficient powers until the contract ends.",
    ),
    (
        "jb_ute_3",
        "La solvabilité des membres s'apprécie ensemble, et l'UTE dure au moins autant que le contrat.",
        "La solvencia de los miembros se valora de forma acumulada, y la UTE dura al menos tanto como el contrato.",
        "The members' solvency is assessed together, and the UTE lasts at least as long as the contract.",
    ),
    (
        "jb_gme_h",
        "France : le groupement momentané d'entreprises",
        "Francia: el groupement momentané d'entreprises",
        "France: the groupement momentané d'entreprises",
    ),
    (
        "jb_gme_1",
        "Le Code de la commande publique (art. R2142-19 à R2142-27) prévoit deux formes de groupement. L'acheteur ne peut pas imposer une forme pour candidater, mais peut exiger une forme après l'attribution si c'est nécessaire à la bonne exécution du marché.",
        "El Code de la commande publique (art. R2142-19 a R2142-27) prevé dos formas de agrupación. El comprador no puede imponer una forma para presentar la candidatura, pero puede exigir una forma tras la adjudicación si es necesaria para la buena ejecución del contrato.",
        "The French Public Procurement Code (art. R2142-19 to R2142-27) provides two forms of group. The buyer cannot impose a form for applying, but may require one after the award when proper performance calls for it.",
    ),
    (
        "jb_gme_conjoint",
        "Groupement conjoint : chaque membre s'engage à exécuter la ou les prestations qui lui reviennent dans le marché.",
        "Groupement conjoint: cada miembro se compromete a ejecutar la parte de las prestaciones que le corresponde en el contrato.",
        "Groupement conjoint: each member undertakes to perform its own part of the contract.",
    ),
    (
        "jb_gme_solidaire",
        "Groupement solidaire : chaque membre est engagé financièrement pour la totalité du marché.",
        "Groupement solidaire: cada miembro responde financieramente de la totalidad del contrato.",
        "Groupement solidaire: each member is financially committed for the whole contract.",
    ),
    (
        "jb_gme_mandataire",
        "Dans les deux cas, un membre est désigné mandataire : il représente les membres auprès de l'acheteur et coordonne leurs prestations ; dans un groupement conjoint, il peut être tenu solidaire des autres membres si les documents de la consultation le prévoient. La composition du groupement ne peut en principe pas changer entre la candidature et la signature du marché.",
        "En ambos casos, un miembro es designado mandatario: representa a los miembros ante el comprador y coordina sus prestaciones; en un groupement conjoint puede quedar obligado solidariamente por los demás si los pliegos lo prevén. En principio, la composición de la agrupación no puede cambiar entre la candidatura y la firma del contrato.",
        "In both, one member is named mandataire: it represents the members to the buyer and coordinates their work; in a groupement conjoint it may be made jointly liable for the others if the tender documents say so. The group's membership in principle cannot change between the application and the signature of the contract.",
    ),
    (
        "jb_pyred",
        "Pyred propose la forme que demande la procédure de l'acheteur ; les conseillers des deux organismes mettent ensuite les entreprises en relation, avec leur accord.",
        "Pyred propone la forma que exige el procedimiento del comprador; los asesores de ambos organismos ponen después en contacto a las empresas, con su consentimiento.",
        "Pyred suggests the form the buyer's procedure calls for; the advisers of both organisations then introduce the firms, with their consent.",
    ),
];

/// A driving time as advisers read it: `45 min`, `2 h 05`.
pub fn duration_text(minutes: f64) -> String {
    let total = minutes.max(0.0).round() as u64;
    if total < 60 {
        format!("{total} min")
    } else {
        format!("{} h {:02}", total / 60, total % 60)
    }
}

/// A hit's driving time and crossing: « 2 h 35 par le tunnel du Somport », « 2 h 35 por
/// el túnel de Somport », « 1 h 05 en voiture » when the route stays in one country.
/// An unknown crossing id is shown as given.
pub fn travel_text(lang: Lang, minutes: f64, crossing: &str) -> String {
    let words = lang.words();
    let duration = duration_text(minutes);
    if crossing.is_empty() {
        return format!("{duration} {}", words["by_road"]);
    }
    format!(
        "{duration} {} {}",
        words["travel_via"],
        crossing_name(lang, crossing)
    )
}

/// A lead's trip as its card shows it: the driving time, the crossing and the road
/// distance, « 3 h 10 par le tunnel du Somport · 263 km ».
pub fn trip_text(lang: Lang, minutes: f64, km: f64, crossing: &str) -> String {
    format!("{} · {km:.0} km", travel_text(lang, minutes, crossing))
}

/// The warning of a trip whose best crossing was closed on its day, with the detour
/// taken instead: « le col du Pourtalet est fermé ce jour (+25 min) », « el puerto del
/// Portalet está cerrado ese día (+25 min) ».
pub fn closed_crossing_text(lang: Lang, crossing: &str, detour_minutes: f64) -> String {
    format!(
        "{} {} (+{})",
        crossing_name(lang, crossing),
        lang.words()["closed_that_day"],
        duration_text(detour_minutes)
    )
}

/// A crossing's name in `lang` (« le tunnel du Somport », « el túnel de Somport »,
/// "Somport road tunnel (8.6 km)"); an id the bundled model doesn't know, as given.
pub fn crossing_name(lang: Lang, crossing: &str) -> &str {
    pyred_travel::TravelModel::bundled()
        .crossings()
        .iter()
        .find(|c| c.id().as_str() == crossing)
        .map_or(crossing, |c| match lang {
            Lang::Fr => c.name_fr(),
            Lang::Es => c.name_es(),
            Lang::En => c.name(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn travel_times_read_in_the_adviser_s_language() {
        assert_eq!(
            travel_text(Lang::Fr, 155.2, "somport-tunnel"),
            "2 h 35 par le tunnel du Somport"
        );
        assert_eq!(
            travel_text(Lang::Es, 154.6, "somport-tunnel"),
            "2 h 35 por el túnel de Somport"
        );
        assert_eq!(travel_text(Lang::Fr, 65.0, ""), "1 h 05 en voiture");
        assert_eq!(travel_text(Lang::Es, 44.6, ""), "45 min en coche");
        assert_eq!(
            travel_text(Lang::Fr, 300.0, "nowhere"),
            "5 h 00 par nowhere"
        );
    }

    #[test]
    fn a_lead_s_trip_and_its_closed_crossing_read_in_the_adviser_s_language() {
        assert_eq!(
            trip_text(Lang::Fr, 190.0, 263.4, "somport-tunnel"),
            "3 h 10 par le tunnel du Somport · 263 km"
        );
        assert_eq!(
            trip_text(Lang::Es, 64.6, 71.0, ""),
            "1 h 05 en coche · 71 km"
        );
        assert_eq!(
            closed_crossing_text(Lang::Fr, "portalet", 25.0),
            "le col du Pourtalet est fermé ce jour (+25 min)"
        );
        assert_eq!(
            closed_crossing_text(Lang::Es, "portalet", 25.0),
            "el puerto del Portalet está cerrado ese día (+25 min)"
        );
        assert_eq!(
            closed_crossing_text(Lang::En, "bielsa-tunnel", 75.0),
            "Aragnouet-Bielsa tunnel (3.07 km) is closed that day (+1 h 15)"
        );
    }

    #[test]
    fn every_word_has_three_languages_and_keys_are_unique() {
        let mut keys = std::collections::BTreeSet::new();
        for (key, fr, es, en) in WORDS {
            assert!(keys.insert(*key), "duplicate key {key}");
            assert!(!fr.is_empty() && !es.is_empty() && !en.is_empty(), "{key}");
        }
        assert_eq!(Lang::Es.words()["search"], "Búsqueda");
        assert_eq!(Lang::parse("de"), None);
    }

    #[test]
    fn every_tender_word_of_the_api_has_a_label() {
        use crate::json::{ContractTypeJson, ProcedureJson, TenderStageJson};
        let words = Lang::Es.words();
        let groups: [(&str, &[&str]); 3] = [
            ("pr_", ProcedureJson::ALL),
            ("ct_", ContractTypeJson::ALL),
            ("ts_", TenderStageJson::ALL),
        ];
        for (prefix, all) in groups {
            for word in all {
                assert!(
                    words.contains_key(format!("{prefix}{word}").as_str()),
                    "{prefix}{word}"
                );
            }
        }
        assert_eq!(words["location_approximate"], "(ubicación aproximada)");
        assert_eq!(
            Lang::Fr.words()["location_approximate"],
            "(localisation approximative)"
        );
    }
}
