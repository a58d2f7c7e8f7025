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
