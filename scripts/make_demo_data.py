#!/usr/bin/env python3
"""Writes the demo data set of `pyred up --demo`: invented Gers firms and invented
Aragón, La Rioja and Gers listings, in the JSON Lines format of docs/import.md.

Every firm and listing is made up. The places are real: INSEE and INE codes from the
bundled gazetteer (libs/domain/data), whose reference point is moved by 200 to 800 m.
SIRET numbers are invented but pass the Luhn check (SIREN and SIRET); NAF and NACE
codes are checked against the bundled taxonomy; CPV check digits, when written, use
the weights 3, 7, 1 (mod 10). The output is deterministic (fixed random seed).

Standard library only. Usage, from the repository root:

    python3 scripts/make_demo_data.py
    # writes services/pyred/demo/companies.jsonl and opportunities.jsonl
"""

import csv
import json
import math
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "libs" / "domain" / "data"
OUT = ROOT / "services" / "pyred" / "demo"
SEED = 20261128
KM_PER_DEGREE = 111.32


def load_places():
    """INSEE/INE code -> (display name, lat, lon, region)."""
    places = {}
    with open(DATA / "gers_communes.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            places[row["insee_code"]] = (
                row["name"], float(row["lat"]), float(row["lon"]), "FR-32")
    with open(DATA / "aragon_rioja_municipios.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if not row["lat"]:
                continue  # only the province centre is known: not precise enough
            name = row["name"]
            if ", " in name:  # "Muela, La" -> "La Muela"
                base, article = name.rsplit(", ", 1)
                name = f"{article} {base}"
            region = "ES-RI" if row["province_code"] == "26" else "ES-AR"
            places[row["ine_code"]] = (
                name, float(row["lat"]), float(row["lon"]), region)
    return places


def load_codes():
    """Valid NAF sub-classes, NACE codes and CNAE codes."""
    codes = set()
    with open(DATA / "naf_subclasses.csv", encoding="utf-8") as f:
        codes.update(row["naf_code"] for row in csv.DictReader(f))
    with open(DATA / "nace_fr_es.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            codes.add(row["code"])
            codes.add(row["cnae_code"])
    return codes


PLACES = load_places()
CODES = load_codes()
RNG = random.Random(SEED)


def location(code):
    """The place's point moved by 200 to 800 m in a random direction."""
    name, lat, lon, _ = PLACES[code]
    distance = RNG.uniform(0.2, 0.8)
    bearing = RNG.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(bearing) / KM_PER_DEGREE
    dlon = distance * math.sin(bearing) / (KM_PER_DEGREE * math.cos(math.radians(lat)))
    return {"lat": round(lat + dlat, 5), "lon": round(lon + dlon, 5),
            "place": name, "code": code}


def luhn_valid(digits):
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def luhn_complete(prefix):
    return next(prefix + str(d) for d in range(10) if luhn_valid(prefix + str(d)))


def siret():
    siren = luhn_complete(str(RNG.randint(30_000_000, 99_999_999)))
    nic = f"{RNG.randint(1, 9):04d}"
    result = luhn_complete(siren + nic)
    assert luhn_valid(siren) and luhn_valid(result) and len(result) == 14
    return result


def cpv(code, with_check):
    weights = [3, 7, 1, 3, 7, 1, 3, 7]
    check = sum(int(d) * w for d, w in zip(code, weights)) % 10
    return f"{code}-{check}" if with_check else code


def checked(codes):
    for code in codes:
        assert code in CODES, f"unknown activity code {code}"
    return codes


# ----- firms -----

# id, name, INSEE code, NAF codes, employees, languages, description, offers, seeks
COMPANIES = [
    ("demo-gers-01", "Foies Gras Bartharès", "32147", ["10.12Z"], 24, ["fr", "en"],
     "Entreprise familiale installée à Gimont depuis 1986, au cœur du pays du foie gras. "
     "Elle fait élever et gaver ses canards mulards dans quatre fermes partenaires du "
     "Savès, puis les abat et les transforme dans son propre atelier agréé CE. Démarche "
     "IGP Canard à foie gras du Sud-Ouest ; certification IFS Food obtenue en 2023.",
     "Foie gras de canard entier mi-cuit et en conserve, magrets séchés, confits, "
     "rillettes et pâtés ; lobes crus extra déveinés sous vide pour la restauration et "
     "coffrets cadeaux pour l'épicerie fine. Fabrication sous marque de distributeur à "
     "partir de 2 000 unités.",
     "Recherche des distributeurs de produits gastronomiques en Aragon et en Navarre, "
     "ainsi que des chefs et des groupes de restauration prêts à travailler le foie gras "
     "cru en direct ; souhaite exposer dans un salon professionnel à Saragosse."),
    ("demo-gers-02", "Domaine de Lartigolle", "32096", ["11.01Z", "01.21Z"], 9,
     ["fr", "es", "en"],
     "Domaine viticole de 35 hectares en Bas-Armagnac, sur les sables fauves de "
     "Cazaubon. La famille distille elle-même à l'alambic armagnacais et élève ses "
     "eaux-de-vie en fûts de chêne gascon ; le chai abrite plus de 600 barriques, avec "
     "des millésimes depuis 1974. Le domaine produit aussi du Floc de Gascogne et des "
     "vins blancs de Côtes de Gascogne.",
     "Bas-Armagnac millésimés et assemblages (VS, VSOP, XO, hors d'âge), Floc de "
     "Gascogne blanc et rosé, eaux-de-vie en bouteilles ou en vrac pour l'assemblage ; "
     "visites et dégustations pour les groupes.",
     "Cherche un importateur ou un agent commercial en Espagne pour le circuit des "
     "cavistes et de l'hôtellerie haut de gamme, et des restaurants gastronomiques "
     "intéressés par des accords mets et armagnac."),
    ("demo-gers-03", "Les Aulx de Saint-Clar", "32370", ["01.13Z", "46.31Z"], 14, ["fr"],
     "Groupement de producteurs et station de conditionnement d'ail blanc de Lomagne "
     "IGP, à Saint-Clar. Une quarantaine d'exploitations y apportent chaque été leur "
     "récolte, que l'entreprise sèche, calibre, tresse et conditionne : environ 1 200 "
     "tonnes par an, dont 30 % partent à l'export.",
     "Ail blanc de Lomagne IGP en vrac calibré, en filets, en tresses et en manchettes ; "
     "ail pelé et semences d'ail certifiées. Palettes filmées, traçabilité à la "
     "parcelle, certification GLOBALG.A.P.",
     "Recherche des grossistes en fruits et légumes, des conserveries et des centrales "
     "d'achat espagnoles ; cherche aussi un transporteur frigorifique pour des envois "
     "groupés vers le nord de l'Espagne."),
    ("demo-gers-04", "Savès Usinage Aéro", "32160", ["25.62B"], 46, ["fr", "en", "es"],
     "Atelier de mécanique de précision créé en 2004 à L'Isle-Jourdain, à trente "
     "minutes de Toulouse. Il usine des pièces de structure et de système pour les "
     "équipementiers aéronautiques de rang 1 et 2 : aluminium, titane, inox et Inconel, "
     "en petites et moyennes séries. Certifié EN 9100 ; quatorze centres d'usinage "
     "5 axes, tours bi-broches et contrôle tridimensionnel.",
     "Usinage 5 axes de pièces complexes, fraisage et tournage de précision au "
     "centième, ajustage et montage de sous-ensembles, traitements de surface chez des "
     "sous-traitants qualifiés, rapports de premier article selon l'EN 9102.",
     "Souhaite diversifier sa clientèle hors de l'aéronautique (ferroviaire, machines "
     "spéciales, défense) et trouver des donneurs d'ordres en Aragon, notamment autour "
     "de Saragosse ; cherche aussi un partenaire de traitement thermique du titane."),
    ("demo-gers-05", "Charpentes Daubèze", "32249", ["16.23Z", "43.91A"], 18, ["fr"],
     "Entreprise de charpente et de construction bois fondée en 1962 à Mauvezin. Elle "
     "conçoit et fabrique en atelier des charpentes traditionnelles et industrielles, "
     "des ossatures bois et des murs à caissons préfabriqués, en bois de pays (douglas, "
     "chêne, peuplier) certifié PEFC. Bureau d'études intégré et taille numérique.",
     "Charpentes traditionnelles et fermettes, maisons et extensions à ossature bois, "
     "murs et planchers préfabriqués, bardages et terrasses ; pose dans un rayon de "
     "200 km ou livraison en kit avec les plans de montage.",
     "Recherche des promoteurs et des constructeurs de l'autre côté des Pyrénées pour "
     "des logements en ossature bois préfabriquée, et des scieries capables de livrer "
     "du bois lamellé-collé."),
    ("demo-gers-06", "Astarac Solaire", "32256", ["43.21A", "35.11Z"], 22, ["fr", "es"],
     "Installateur photovoltaïque créé en 2011 à Mirande, qualifié QualiPV et RGE. "
     "L'entreprise étudie, installe et entretient des centrales solaires sur les "
     "toitures de bâtiments agricoles et industriels, de 9 à 500 kWc, ainsi que des "
     "ombrières de parking. Plus de 900 installations en service dans le Gers, les "
     "Hautes-Pyrénées et les Landes.",
     "Centrales photovoltaïques en toiture et ombrières, autoconsommation avec ou sans "
     "stockage par batteries, maintenance préventive, supervision à distance, études de "
     "raccordement et dossiers d'aides.",
     "Cherche des propriétaires de bâtiments agricoles et des coopératives en Espagne "
     "pour des projets d'autoconsommation, et des électriciens locaux pour des "
     "partenariats de pose ; s'intéresse aux appels d'offres publics de toitures "
     "solaires."),
    ("demo-gers-07", "Semences Adour-Gascogne", "32344", ["01.30Z", "46.21Z"], 31,
     ["fr", "es"],
     "Station de semences installée à Riscle, dans la vallée de l'Adour. Elle organise "
     "la multiplication de semences de maïs, de tournesol et de soja chez 180 "
     "agriculteurs sous contrat, puis sèche, trie, traite et ensache les lots dans son "
     "usine. Toutes ses semences sont certifiées par le SOC.",
     "Production sous contrat de semences hybrides de maïs et de tournesol, "
     "conditionnement en doses et en big-bags, séchage à façon, essais variétaux ; "
     "semences de soja non OGM.",
     "Recherche des obtenteurs et des semenciers qui veulent faire multiplier leurs "
     "variétés en France, et des agriculteurs multiplicateurs dans les zones irriguées "
     "d'Aragon pour étendre ses surfaces."),
    ("demo-gers-08", "Maison Fitte, melons de Lectoure", "32208", ["01.13Z"], 27, ["fr"],
     "Exploitation et expéditeur de melons charentais à Lectoure depuis trois "
     "générations : 140 hectares en production raisonnée, sous chenilles et en plein "
     "champ, récoltés de juin à septembre. Station de conditionnement avec calibrage "
     "optique et chambres froides ; certification GLOBALG.A.P.",
     "Melons charentais jaunes et verts en colis de 6 à 12 pièces, palettes pour la "
     "grande distribution, melons de deuxième catégorie pour la transformation "
     "(sorbets, jus) ; potirons et courges à l'automne.",
     "Cherche des acheteurs en Espagne pour les pics de production de juillet et des "
     "transformateurs de fruits intéressés par les melons déclassés ; aimerait "
     "échanger avec des producteurs espagnols pour allonger sa saison de vente."),
    ("demo-gers-09", "Transports Soubiran", "32013", ["49.41A", "52.10B"], 64,
     ["fr", "es"],
     "Transporteur routier auscitain fondé en 1975 : 48 tracteurs, des semi-remorques "
     "bâchées, frigorifiques et citernes alimentaires, et un entrepôt de 6 000 m² à "
     "Auch. Liaisons régulières entre le Sud-Ouest et l'Espagne par le tunnel du "
     "Somport et par Hendaye ; certification IFS Logistics.",
     "Transport de lots complets et de groupage, en température dirigée ou ambiante, "
     "entre le Gers, Toulouse, Saragosse, Logroño et Barcelone ; stockage, préparation "
     "de commandes et cross-docking.",
     "Recherche du fret de retour depuis l'Aragon et La Rioja (vins, conserves de "
     "légumes, pièces automobiles) et des transitaires espagnols pour organiser des "
     "tournées communes."),
    ("demo-gers-10", "Inox Ténarèze", "32107", ["25.29Z"], 38, ["fr", "es", "en"],
     "Chaudronnerie spécialisée dans l'acier inoxydable, installée à Condom depuis "
     "1991. Elle conçoit, soude et installe des cuves de vinification, des cuves de "
     "stockage et des équipements de chai pour les viticulteurs, les distilleries "
     "d'armagnac et l'agroalimentaire. Soudeurs TIG qualifiés, atelier de 4 000 m².",
     "Cuves inox sur mesure de 10 à 2 000 hl (thermorégulées, autovidantes, à chapeau "
     "flottant), cuves de stockage pour l'huile et les jus, tuyauterie alimentaire, "
     "passerelles et escaliers inox ; montage et maintenance sur site.",
     "Cherche des caves coopératives et des bodegas d'Aragon (Cariñena, Campo de Borja, "
     "Somontano) et de La Rioja qui renouvellent leur cuverie ; ouvert à un partenariat "
     "avec un installateur espagnol pour le montage et le service après-vente."),
    ("demo-gers-11", "Laboratoire Thermes & Plantes", "32083", ["20.42Z"], 11,
     ["fr", "en"],
     "Laboratoire de cosmétiques naturels créé en 2016 à Castéra-Verduzan, station "
     "thermale du Gers. Il formule et fabrique des soins à base d'eau thermale et "
     "d'huiles végétales locales (tournesol, pépins de raisin), certifiés Cosmos "
     "Organic.",
     "Crèmes, sérums, savons saponifiés à froid et huiles de massage sous sa propre "
     "marque ; fabrication à façon en petites séries, dès 500 unités, pour des spas, des "
     "pharmacies et des domaines viticoles.",
     "Cherche des distributeurs en parapharmacie et des balnéarios en Espagne, ainsi "
     "qu'un fournisseur de flacons en verre recyclé et de flacons airless."),
    ("demo-gers-12", "Minoterie bio de l'Armagnac", "32001", ["10.61A"], 12, ["fr"],
     "Moulin familial d'Aignan converti à l'agriculture biologique en 2008. Il écrase "
     "chaque année environ 3 000 tonnes de blé tendre, de petit épeautre et de "
     "sarrasin, achetés à des agriculteurs bio du Gers et des départements voisins, sur "
     "meules de pierre et sur cylindres.",
     "Farines biologiques T55 à T150, farines de meule, farines de sarrasin et de petit "
     "épeautre, mélanges pour la boulangerie artisanale ; sacs de 25 kg, big-bags et "
     "vrac en camion souffleur.",
     "Recherche des boulangeries artisanales, des biscuiteries et des distributeurs bio "
     "en Espagne ; souhaite aussi acheter du blé dur et des légumineuses bio à des "
     "coopératives aragonaises."),
    ("demo-gers-13", "Cave des Coteaux de Montréal", "32290", ["11.02B", "01.21Z"], 45,
     ["fr", "es", "en"],
     "Cave coopérative qui réunit 120 vignerons et 1 800 hectares de Côtes de Gascogne "
     "et d'Armagnac autour de Montréal-du-Gers. Elle vinifie surtout des blancs de "
     "colombard, d'ugni blanc et de gros manseng, vendus en bouteilles comme en vrac.",
     "Vins IGP Côtes de Gascogne blancs, rosés et rouges, vins désalcoolisés, vrac en "
     "citernes pour la mise en bouteille à destination, marques de distributeur.",
     "Cherche des acheteurs de vin en vrac et des embouteilleurs en Espagne, ainsi que "
     "des fournisseurs de bouchons, de cartons et de matériel de chai."),
    ("demo-gers-14", "Ateliers Lacave Machinisme", "32319", ["28.30Z"], 29, ["fr"],
     "Constructeur de matériel agricole installé à Plaisance depuis 1958. Il conçoit et "
     "fabrique des outils de travail du sol (déchaumeurs à disques, vibroculteurs, "
     "rouleaux) et des bineuses guidées par caméra pour le maïs, le tournesol et les "
     "cultures légumières.",
     "Outils de travail du sol de 3 à 8 m, bineuses à guidage optique, pièces d'usure, "
     "adaptations sur mesure ; vente par concessionnaires et service après-vente.",
     "Recherche des concessionnaires de machinisme agricole en Aragon et dans La Rioja "
     "pour distribuer sa gamme ; cherche aussi un sous-traitant en découpe laser et en "
     "pliage de tôles fortes."),
    ("demo-gers-15", "Agrinuméric", "32013", ["62.01Z"], 16, ["fr", "es", "en"],
     "Éditeur de logiciels agricoles fondé à Auch en 2015. Son application de gestion "
     "parcellaire et de traçabilité sert 4 000 exploitations et une dizaine de "
     "coopératives : cahier de culture, calcul des doses d'engrais, registre "
     "phytosanitaire, cartes de rendement.",
     "Logiciel en ligne et application mobile de gestion d'exploitation, connecteurs "
     "vers les consoles de tracteurs (ISOBUS), développements sur mesure pour les "
     "coopératives et les négoces, formation des utilisateurs.",
     "Cherche des coopératives et des distributeurs de services agricoles en Espagne "
     "pour adapter et revendre son logiciel (cuaderno de campo digital) ; ouvert à des "
     "projets européens de recherche en agriculture numérique."),
    ("demo-gers-16", "Cartonnages du Bas-Armagnac", "32296", ["17.21A"], 52, ["fr"],
     "Fabricant d'emballages en carton ondulé implanté à Nogaro. L'usine transforme "
     "chaque année 25 millions de m² de carton en caisses, plateaux et présentoirs, "
     "imprimés en flexographie jusqu'à quatre couleurs, pour les producteurs de fruits "
     "et légumes, les conserveries et les vignerons du Sud-Ouest.",
     "Caisses américaines, plateaux pour fruits et légumes, cartons à bouteilles avec "
     "croisillons, présentoirs, emballages pour la vente en ligne ; conception et "
     "prototypage rapide.",
     "Cherche des clients agroalimentaires et viticoles en Aragon et dans La Rioja, et "
     "un fournisseur de papier recyclé pour sécuriser ses approvisionnements."),
    ("demo-gers-17", "Terres de Fezensac Compost", "32462", ["20.15Z"], 8, ["fr"],
     "Plateforme de compostage de Vic-Fezensac qui valorise les fumiers de canards et "
     "de volailles, les marcs de raisin et les déchets verts du Gers. Elle produit des "
     "amendements et des engrais organiques granulés utilisables en agriculture "
     "biologique.",
     "Compost normé NF U 44-051, engrais organiques granulés, amendements calciques ; "
     "livraison en vrac, en big-bags ou en sacs de 25 kg, épandage à façon.",
     "Recherche des distributeurs d'intrants agricoles et des viticulteurs bio en "
     "Espagne ; cherche aussi des déchets organiques d'industries agroalimentaires à "
     "valoriser."),
    ("demo-gers-18", "Maison Barrère, pastis gascon", "32213", ["10.71D"], 15, ["fr"],
     "Pâtisserie artisanale de Lombez spécialisée dans le pastis gascon, ou croustade : "
     "une pâte étirée à la main, très fine, garnie de pommes et parfumée à l'armagnac. "
     "Elle fabrique aussi des tourtières aux pruneaux et des gâteaux à la broche, "
     "vendus frais ou surgelés.",
     "Croustades aux pommes, aux poires et aux pruneaux, fraîches ou surgelées, en "
     "formats individuels et familiaux ; fabrication sous marque de distributeur pour "
     "les épiceries fines.",
     "Cherche des distributeurs de produits surgelés et des pâtissiers en Espagne, et "
     "un fournisseur de pommes de variétés anciennes."),
    ("demo-gers-19", "Traducteurs associés d'Occitanie", "32307", ["74.30Z"], 6,
     ["fr", "es", "en", "ca"],
     "Agence de traduction et d'interprétation installée à Pavie, près d'Auch, qui "
     "travaille en français, en espagnol, en anglais et en catalan. Ses traducteurs "
     "traitent surtout des documents techniques, juridiques et agroalimentaires ; elle "
     "fournit des interprètes de liaison pour les missions et les salons.",
     "Traduction de fiches techniques, de notices, de contrats et de sites internet ; "
     "traductions assermentées ; interprétation de liaison et de conférence ; relecture "
     "de dossiers de réponse aux marchés publics espagnols.",
     "Cherche des entreprises et des organismes qui préparent des échanges avec "
     "l'Espagne, et des agences partenaires à Saragosse et à Logroño."),
    ("demo-gers-20", "Géodrone Gascogne", "32331", ["71.12B"], 7, ["fr", "en"],
     "Bureau d'études créé en 2019 à Preignan, spécialisé dans la topographie et "
     "l'imagerie par drone. Il réalise des relevés photogrammétriques et LiDAR, des "
     "modèles numériques de terrain et des inspections de toitures, de lignes "
     "électriques et de centrales solaires.",
     "Levés topographiques par drone, orthophotographies, calculs de cubatures pour les "
     "carrières, cartographie multispectrale des cultures, thermographie de panneaux "
     "photovoltaïques.",
     "Cherche des bureaux d'ingénierie, des exploitants de centrales solaires et des "
     "collectivités en Espagne pour des missions de relevés ; intéressé par la "
     "sous-traitance de marchés publics."),
    ("demo-gers-21", "Huilerie de Fleurance", "32132", ["10.41A"], 10, ["fr"],
     "Huilerie artisanale fondée à Fleurance en 2012, qui presse à froid des graines de "
     "tournesol, de colza, de cameline et de chanvre cultivées en bio dans le Gers. Les "
     "tourteaux sont vendus aux éleveurs de la région.",
     "Huiles vierges de tournesol, de colza et de cameline en bouteilles, bidons et "
     "cubitainers ; huiles pour la cosmétique ; tourteaux gras bio pour l'alimentation "
     "animale.",
     "Recherche des distributeurs bio et des fabricants de cosmétiques en Espagne, et "
     "des éleveurs intéressés par des tourteaux bio."),
]

# ----- listings -----

# id, source, kind, INE/INSEE code, published, deadline, nace, cpv, budget, title,
# description. The language follows the region.
OPPORTUNITIES = [
    # Aragón Exterior
    ("demo-arex-0101", "arex", "business_request", "50297", "2026-09-08", "2027-02-28",
     ["47.29"], [], None,
     "Cadena de tiendas gourmet de Zaragoza busca proveedor francés de foie gras y "
     "conservas de pato",
     "Empresa aragonesa con seis tiendas de alimentación gourmet en Zaragoza y Huesca, "
     "además de venta en línea, busca un fabricante del suroeste de Francia que le "
     "suministre foie gras de pato entero, micuit, magret curado y confit. El volumen "
     "estimado es de 8.000 unidades al año, muy concentrado en la campaña de Navidad. "
     "Se exige etiquetado en castellano y registro sanitario en vigor; se valorará la "
     "certificación IFS o BRCGS."),
    ("demo-arex-0102", "arex", "business_request", "50272", "2026-10-02", "2027-01-31",
     ["2562"], [], None,
     "Fabricante de componentes ferroviarios de Utebo busca taller de mecanizado de "
     "precisión",
     "Empresa de Utebo dedicada a equipos de freno y enganches para material "
     "ferroviario busca un subcontratista de mecanizado CNC en cinco ejes para piezas "
     "de acero inoxidable y aluminio, en series de 50 a 500 unidades. Se exige un "
     "sistema de calidad ISO 9001 (preferiblemente EN 9100 o IRIS), informes de "
     "medición tridimensional y capacidad para entregar en cuatro semanas."),
    ("demo-arex-0103", "arex", "business_request", "50073", "2026-10-19", "2027-03-15",
     ["11.02"], [], 420000,
     "Bodega cooperativa de Cariñena busca fabricante de depósitos de acero inoxidable",
     "Cooperativa vitivinícola de la D.O.P. Cariñena, con 1.500 hectáreas de viñedo de "
     "garnacha, va a sustituir cuarenta depósitos de hormigón por depósitos de acero "
     "inoxidable AISI 304 y 316 de entre 250 y 1.000 hl, con camisa de refrigeración, "
     "sombrero flotante y fondo autovaciante. Busca fabricantes con experiencia en "
     "bodegas que se encarguen del diseño, la fabricación, el transporte y el montaje "
     "antes de la vendimia de 2027."),
    ("demo-arex-0104", "arex", "business_offer", "50182", "2026-09-22", "2027-06-30",
     ["25.62"], [], None,
     "Taller de La Muela ofrece capacidad de mecanizado en cinco ejes para el sector "
     "aeronáutico",
     "Empresa de mecanizado de La Muela, certificada EN 9100, dispone de capacidad libre "
     "en sus centros de cinco ejes y tornos multitarea. Ofrece fabricar piezas de "
     "aluminio y titanio para fabricantes y proveedores de primer nivel del sector "
     "aeronáutico de Toulouse y Burdeos, con entregas semanales por carretera."),
    ("demo-arex-0105", "arex", "partnership", "22125", "2026-10-05", "2027-01-15",
     ["72.19"], [], None,
     "Centro tecnológico de Huesca busca socios franceses para un proyecto POCTEFA de "
     "regadío de precisión",
     "Un centro de investigación agroalimentaria de Huesca prepara una candidatura a la "
     "próxima convocatoria del programa Interreg España-Francia-Andorra (POCTEFA) sobre "
     "la digitalización de explotaciones de regadío: sondas de humedad, imágenes de "
     "satélite y de dron y recomendaciones de riego. Busca una empresa francesa de "
     "software agrícola y un centro de formación del sur de Francia para completar el "
     "consorcio."),
    ("demo-arex-0106", "arex", "business_request", "50095", "2026-09-15", "2027-04-30",
     ["01.30"], [], None,
     "Empresa de semillas de las Cinco Villas busca multiplicadores de maíz híbrido en "
     "Francia",
     "Obtentor aragonés con sede en Ejea de los Caballeros necesita ampliar la "
     "multiplicación de semilla de sus híbridos de maíz y girasol para la campaña de "
     "2027. Busca empresas francesas con agricultores multiplicadores bajo contrato, "
     "planta de secado y acondicionamiento y certificación oficial de semillas. "
     "Superficie prevista: 300 hectáreas de maíz y 120 de girasol."),
    ("demo-arex-0107", "arex", "business_offer", "50067", "2026-09-01", "2027-05-31",
     ["01.24"], [], None,
     "Productor de cereza de Calatayud busca distribuidores en Francia",
     "Explotación familiar de la comarca de Calatayud, con 90 hectáreas de cerezo y "
     "melocotón, ofrece cereza de calibre 28+ en cajas de 5 kg y en tarrinas, de mayo a "
     "julio. Busca mayoristas, fruterías de calidad y cadenas de supermercados del "
     "suroeste de Francia; dispone de cámaras frigoríficas y certificación GLOBALG.A.P."),
    ("demo-arex-0108", "arex", "business_request", "22112", "2026-10-27", "2027-02-15",
     ["46.31"], [], None,
     "Central hortofrutícola de Fraga busca proveedor de envases de cartón ondulado",
     "Central de confección de fruta dulce del Bajo Cinca, que expide 40.000 toneladas "
     "de melocotón, nectarina y paraguayo al año, busca un segundo proveedor de bandejas "
     "y cajas de cartón ondulado impresas a dos colores, con formatos de 30x40 y 40x60. "
     "Consumo estimado: 1,2 millones de envases por campaña, con entregas semanales de "
     "abril a septiembre."),
    ("demo-arex-0109", "arex", "technology_request", "50297", "2026-11-03", "2027-03-31",
     ["35.11"], [], None,
     "Mantenedor de plantas fotovoltaicas busca tecnología de inspección termográfica "
     "con dron",
     "Empresa zaragozana de operación y mantenimiento de plantas solares, con 600 MW "
     "bajo contrato en Aragón y Castilla-La Mancha, busca un socio tecnológico que "
     "aporte inspección termográfica con dron, tratamiento automático de las imágenes y "
     "localización de los módulos defectuosos. Se valorará la experiencia en plantas "
     "con seguidores a un eje."),
    ("demo-arex-0110", "arex", "business_request", "44013", "2026-09-29", "2027-03-01",
     ["46.61"], [], None,
     "Distribuidor de maquinaria agrícola del Bajo Aragón busca fabricante de aperos de "
     "labranza",
     "Concesionario de Alcañiz con tres puntos de venta en Teruel y Zaragoza quiere "
     "completar su catálogo con gradas de discos, cultivadores y rodillos de un "
     "fabricante europeo. Busca un acuerdo de distribución exclusiva para el Bajo "
     "Aragón, con formación técnica y suministro de recambios en 48 horas."),
    ("demo-arex-0111", "arex", "business_offer", "44216", "2026-10-12", "2027-04-15",
     ["10.13"], [], None,
     "Secadero de jamón de Teruel busca importadores en Francia",
     "Secadero de la D.O.P. Jamón de Teruel, con una producción de 60.000 piezas al año, "
     "ofrece jamones y paletas curados de más de 18 meses, enteros, deshuesados o "
     "loncheados al vacío. Busca importadores y distribuidores de charcutería en "
     "Occitania y Nueva Aquitania."),
    ("demo-arex-0112", "arex", "partnership", "50297", "2026-11-10", "2027-02-26",
     ["29.32"], [], None,
     "Clúster de automoción aragonés busca socios para un proyecto europeo de economía "
     "circular",
     "El consorcio reúne a proveedores de componentes de automoción de Zaragoza que "
     "quieren recuperar y reutilizar los plásticos técnicos de los vehículos al final de "
     "su vida útil. Busca empresas francesas de reciclaje, laboratorios de materiales y "
     "fabricantes de piezas inyectadas para presentar una propuesta conjunta."),
    ("demo-arex-0113", "arex", "business_request", "22048", "2026-09-17", "2027-01-31",
     ["46.34"], [], None,
     "Bodega del Somontano busca distribuidor de vinos en el suroeste de Francia",
     "Bodega familiar de Barbastro, con 70 hectáreas propias y una producción de 400.000 "
     "botellas de la D.O.P. Somontano, busca un distribuidor o un agente comercial para "
     "la restauración y las vinotecas de Toulouse, Burdeos y Pau. Ofrece condiciones "
     "de exclusividad territorial y apoyo en las catas."),
    ("demo-arex-0114", "arex", "business_request", "22130", "2026-10-21", "2027-03-31",
     ["55.10"], [], None,
     "Grupo hotelero del Pirineo busca proveedor de cosmética natural para sus spas",
     "Grupo con cuatro hoteles y dos centros de bienestar en Jaca y el valle de Tena "
     "busca un laboratorio de cosmética natural certificada que le suministre productos "
     "de cabina (aceites de masaje, exfoliantes, envolturas) y amenities con su propia "
     "marca. Se requiere certificación ecológica y fichas técnicas en castellano."),
    ("demo-arex-0115", "arex", "business_request", "50297", "2026-11-12", "2027-05-31",
     ["10.71"], [], None,
     "Panificadora de Zaragoza busca harinas ecológicas francesas",
     "Panificadora artesana con doce obradores en Zaragoza busca un molino que le "
     "suministre harinas ecológicas de trigo, espelta y trigo sarraceno, molidas a la "
     "piedra. Consumo previsto: 300 toneladas al año, en sacos de 25 kg o en big-bags. "
     "Se exige certificado ecológico y análisis de cada lote."),
    ("demo-arex-0116", "arex", "technology_offer", "50297", "2026-09-24", "2027-06-30",
     ["72.19"], [], None,
     "Empresa de base tecnológica ofrece visión artificial para clasificar frutas y "
     "hortalizas",
     "Una spin-off universitaria de Zaragoza ha desarrollado un sistema de visión "
     "artificial e inteligencia artificial que clasifica melones, sandías y frutas de "
     "hueso por calibre, color y defectos externos, adaptable a calibradoras "
     "existentes. Busca centrales hortofrutícolas y fabricantes de maquinaria para "
     "licenciar la tecnología o hacer pruebas piloto."),
    ("demo-arex-0117", "arex", "business_request", "50099", "2026-10-08", "2027-02-28",
     ["41.20"], [], 1800000,
     "Promotora de vivienda industrializada busca fabricante de entramado ligero de "
     "madera",
     "Promotora aragonesa que prepara 64 viviendas de consumo casi nulo en Épila y La "
     "Almunia busca un fabricante de entramado ligero de madera y de paneles "
     "prefabricados de muro y forjado, con cálculo estructural propio y montaje en obra. "
     "Se valorarán la madera certificada PEFC o FSC y la experiencia en edificios de "
     "dos o tres plantas."),
    ("demo-arex-0118", "arex", "business_offer", "50298", "2026-09-11", "2027-06-30",
     ["49.41"], [], None,
     "Empresa de transporte frigorífico de Zuera ofrece rutas regulares entre Zaragoza "
     "y Toulouse",
     "Transportista con 35 camiones frigoríficos ofrece plazas de carga en sus rutas "
     "diarias entre Zaragoza, Huesca y Toulouse por el túnel del Somport, para palés "
     "refrigerados o congelados. Busca cargadores franceses de productos "
     "agroalimentarios para los viajes de vuelta."),
    ("demo-arex-0119", "arex", "business_request", "50251", "2026-11-05", "2027-04-30",
     ["10.39"], [], None,
     "Conservera de verduras de Tarazona busca proveedor de ajo blanco",
     "Conservera del Moncayo que elabora pistos, salsas y verduras asadas busca un "
     "proveedor de ajo blanco seco, en cabezas calibradas o pelado, con un consumo de "
     "unas 150 toneladas al año. Se exigen trazabilidad, análisis de residuos y "
     "certificación GLOBALG.A.P. o equivalente; se valorará la indicación geográfica "
     "protegida."),
    ("demo-arex-0120", "arex", "partnership", "22199", "2026-10-14", "2027-01-31",
     ["79.12"], [], None,
     "Empresa de turismo activo del Pirineo busca socios para paquetes transfronterizos",
     "Agencia de Sabiñánigo especializada en senderismo, barranquismo y esquí de "
     "travesía quiere diseñar paquetes de una semana a ambos lados del Pirineo. Busca "
     "alojamientos rurales, guías y agencias receptivas del sur de Francia para "
     "comercializarlos en común."),
    ("demo-arex-0121", "arex", "business_request", "50297", "2026-09-03", "2026-10-31",
     ["46.34"], [], None,
     "Importador de Zaragoza busca armagnac y licores franceses para la campaña de "
     "Navidad",
     "Distribuidor de bebidas espirituosas para la hostelería aragonesa busca "
     "productores de armagnac, coñac y licores franceses para su catálogo de Navidad. "
     "Pedido inicial de unas 2.000 botellas, con etiqueta en castellano y precios en "
     "condiciones DAP Zaragoza."),
    ("demo-arex-0122", "arex", "technology_request", "22158", "2026-11-18", "2027-05-15",
     ["20.15"], [], None,
     "Industria química de Monzón busca tecnología para valorizar lodos orgánicos",
     "Empresa química del polígono de Monzón busca una tecnología o un socio capaz de "
     "transformar sus lodos orgánicos de depuradora en un fertilizante o en una "
     "enmienda apta para la agricultura, mediante compostaje o secado térmico. Genera "
     "unas 8.000 toneladas al año."),
    # ADER La Rioja
    ("demo-ader-0201", "ader", "business_request", "26089", "2026-09-10", "2027-03-31",
     ["46.34"], [], None,
     "Distribuidora de vinos y destilados de Logroño busca armagnac francés",
     "Distribuidora riojana con 900 clientes de hostelería y tiendas especializadas "
     "quiere incorporar dos o tres referencias de armagnac de pequeños productores, "
     "preferiblemente añadas antiguas y Bas-Armagnac. Busca un acuerdo de distribución "
     "para La Rioja, Navarra y el País Vasco."),
    ("demo-ader-0202", "ader", "business_request", "26071", "2026-10-07", "2027-02-28",
     ["1102"], [], 260000,
     "Bodega de Haro busca depósitos de acero inoxidable para fermentación",
     "Bodega centenaria del barrio de la Estación de Haro amplía su sala de "
     "fermentación y necesita doce depósitos troncocónicos de acero inoxidable de "
     "150 hl, con camisa de frío, bazuqueo neumático y puerta inferior de descube. "
     "Busca fabricantes capaces de instalarlos antes de agosto de 2027."),
    ("demo-ader-0203", "ader", "business_request", "26036", "2026-09-25", "2027-03-15",
     ["10.39"], [], None,
     "Conservera de Calahorra busca proveedor de ajo pelado",
     "Conservera de pimientos y verduras de Calahorra busca un proveedor estable de ajo "
     "pelado, fresco o congelado IQF, para sus salsas y sus pimientos confitados. "
     "Volumen estimado: 60 toneladas al año, con entregas quincenales. Se valorará el "
     "origen con indicación geográfica."),
    ("demo-ader-0204", "ader", "business_offer", "26018", "2026-11-02", None,
     ["15.20"], [], None,
     "Fabricante de calzado de Arnedo busca distribuidores en Francia",
     "Fabricante de calzado de seguridad y de trabajo de Arnedo, con marca propia y "
     "certificación EN ISO 20345, busca distribuidores de equipos de protección "
     "individual en Francia para sus gamas de calzado agrícola y de industria "
     "alimentaria."),
    ("demo-ader-0205", "ader", "business_request", "26102", "2026-10-16", "2027-01-29",
     ["31.09"], [], None,
     "Fabricante de muebles de Nájera busca proveedor de madera de roble",
     "Fábrica de muebles de Nájera especializada en mesas y sillas de madera maciza "
     "busca un aserradero francés que le suministre tablones de roble secados al aire y "
     "en secadero, calidades QF1 y QF2, unos 400 m³ al año."),
    ("demo-ader-0206", "ader", "partnership", "26089", "2026-11-09", "2027-03-20",
     ["62.01"], [], None,
     "Empresa riojana de software agroalimentario busca socio francés para un proyecto "
     "Horizonte Europa",
     "Empresa de Logroño que desarrolla software de trazabilidad para bodegas y "
     "conserveras prepara una propuesta de Horizonte Europa sobre cuadernos de campo "
     "digitales interoperables. Busca un editor francés de software agrícola y una "
     "cooperativa para validar la solución en explotaciones reales."),
    ("demo-ader-0207", "ader", "business_request", "26061", "2026-09-18", "2026-11-15",
     ["56.10"], [], None,
     "Restaurante de Ezcaray busca proveedor de hígado de pato fresco",
     "Restaurante con estrella de Ezcaray busca un productor de hígado de pato fresco "
     "extra, desvenado, y de magret, con entregas semanales durante la temporada de "
     "invierno. Consumo aproximado: 40 kg de hígado al mes."),
    ("demo-ader-0208", "ader", "technology_request", "26089", "2026-10-23", "2027-04-30",
     ["11.02"], [], None,
     "Bodega de Logroño busca sistema de autoconsumo solar con baterías",
     "Bodega con 4.000 m² de cubierta y gran consumo eléctrico durante la vendimia busca "
     "una empresa que estudie, instale y mantenga una planta fotovoltaica de "
     "autoconsumo de unos 400 kWp con almacenamiento en baterías y gestión inteligente "
     "de la demanda de frío."),
    ("demo-ader-0209", "ader", "business_request", "26011", "2026-11-13", "2027-06-15",
     ["46.31"], [], None,
     "Central hortofrutícola de Alfaro busca melones para su campaña de verano",
     "Comercializadora de Alfaro que abastece a cadenas de supermercados del norte de "
     "España busca productores de melón piel de sapo y melón cantalupo para julio y "
     "agosto de 2027. Necesita unas 30 cargas completas por semana, en cajas o en "
     "palots, con certificación GLOBALG.A.P."),
    ("demo-ader-0210", "ader", "business_request", "26168", "2026-10-01", "2027-02-28",
     ["20.15"], [], None,
     "Fabricante de fertilizantes de Villamediana busca materia orgánica compostada",
     "Empresa riojana de abonos órgano-minerales para viñedo y hortícolas busca "
     "proveedores de compost y de estiércol de ave compostado, con análisis de metales "
     "pesados y apto para agricultura ecológica. Necesita unas 5.000 toneladas al año."),
    ("demo-ader-0211", "ader", "technology_offer", "26089", "2026-09-30", "2027-05-31",
     ["01.13"], [], None,
     "Centro tecnológico riojano ofrece un proceso de compostaje del sustrato agotado "
     "de champiñón",
     "Un centro tecnológico de La Rioja ha desarrollado un proceso para compostar en "
     "ocho semanas el sustrato agotado del cultivo de champiñón y setas y convertirlo "
     "en una enmienda orgánica certificada. Ofrece licencias y asistencia técnica a "
     "plantas de compostaje y a empresas de fertilizantes."),
    ("demo-ader-0212", "ader", "business_request", "26138", "2026-11-20", "2027-03-31",
     ["46.38"], [], None,
     "Distribuidor de congelados busca repostería francesa",
     "Distribuidor de alimentación congelada para hostelería, con sede en Santo Domingo "
     "de la Calzada, busca obradores franceses de repostería tradicional (tartas de "
     "manzana, hojaldres, pasteles regionales) que puedan suministrar producto "
     "ultracongelado con etiquetado en castellano."),
    # Public tenders (Plataforma de Contratación del Sector Público)
    ("demo-pcsp-2026-4011", "pcsp", "tender", "50297", "2026-10-20", "2026-12-18",
     [], [("09331200", True), ("09332000", False), ("45261215", True)], 486000,
     "Suministro e instalación de módulos fotovoltaicos en cubiertas de edificios "
     "municipales",
     "El ayuntamiento licita el suministro, la instalación y la legalización de "
     "instalaciones fotovoltaicas de autoconsumo en las cubiertas de once colegios y "
     "pabellones deportivos, con una potencia total de 780 kWp, y su mantenimiento "
     "durante cinco años. Procedimiento abierto; criterios: precio, plazo de ejecución "
     "y garantía de los módulos."),
    ("demo-pcsp-2026-4012", "pcsp", "tender", "22125", "2026-10-28", "2027-01-12",
     [], [("79530000", True), ("79540000", False)], 38000,
     "Servicio de traducción e interpretación para un proyecto transfronterizo",
     "La diputación provincial contrata la traducción al francés de documentación "
     "técnica, la interpretación consecutiva en reuniones de socios y la traducción de "
     "los contenidos web de un proyecto de cooperación con Occitania. Duración: "
     "dieciocho meses."),
    ("demo-pcsp-2026-4013", "pcsp", "tender", "26089", "2026-11-04", "2027-01-20",
     [], [("44611000", True)], 215000,
     "Suministro de depósitos de acero inoxidable para una bodega experimental",
     "El Gobierno de La Rioja licita el suministro y la instalación de veinte depósitos "
     "de acero inoxidable de entre 10 y 50 hl, con control de temperatura, para la "
     "bodega experimental de una finca de investigación vitivinícola."),
    ("demo-pcsp-2026-4014", "pcsp", "tender", "44216", "2026-09-16", "2026-11-06",
     [], [("45233140", False)], 1250000,
     "Obras de acondicionamiento y refuerzo del firme de una carretera provincial",
     "Fresado y reposición del firme, refuerzo de cunetas y nueva señalización en "
     "nueve kilómetros de carretera provincial de la comarca de Teruel. Plazo de "
     "ejecución: seis meses."),
    ("demo-pcsp-2026-4015", "pcsp", "tender", "50297", "2026-11-16", "2027-01-25",
     [], [("71355000", True), ("71354100", False)], 64000,
     "Servicio de levantamiento topográfico mediante dron de los polígonos industriales",
     "Se contrata el vuelo con dron, la restitución fotogramétrica y la elaboración de "
     "un modelo digital del terreno y de una ortofoto de alta resolución de cuatro "
     "polígonos industriales, así como la inspección termográfica de sus cubiertas."),
    ("demo-pcsp-2026-4016", "pcsp", "tender", "26036", "2026-10-09", "2027-01-08",
     [], [("03221000", False), ("03222000", True)], 320000,
     "Suministro de frutas y hortalizas frescas para comedores escolares",
     "Acuerdo marco para el suministro de fruta y verdura fresca de temporada a los "
     "comedores escolares de la Rioja Baja durante dos cursos, en tres lotes. Se "
     "valorarán los productos de proximidad, la producción ecológica y la reducción de "
     "envases."),
    ("demo-pcsp-2026-4017", "pcsp", "tender", "22130", "2026-11-06", "2027-01-29",
     [], [("45261100", True), ("45422000", False)], 940000,
     "Construcción de un pabellón polivalente con estructura de madera",
     "Obras de construcción de un pabellón polivalente de 1.200 m² con estructura de "
     "madera laminada, entramado de cubierta y cerramientos de paneles "
     "prefabricados de madera. Se exige clasificación de contratista y experiencia en "
     "estructuras de madera de luces superiores a 20 m."),
    ("demo-pcsp-2026-4018", "pcsp", "tender", "50095", "2026-10-30", "2026-12-30",
     [], [("16100000", True)], 90000,
     "Suministro de aperos de labranza para una finca experimental",
     "Suministro de una grada de discos de 4 m, un cultivador y una binadora guiada por "
     "cámara para la finca experimental de un centro de investigación agraria de las "
     "Cinco Villas."),
    ("demo-pcsp-2026-4019", "pcsp", "tender", "50297", "2026-09-21", "2026-11-20",
     [], [("60100000", True)], 150000,
     "Servicio de transporte refrigerado de alimentos para el banco de alimentos",
     "Transporte de alimentos refrigerados y congelados entre los almacenes del banco "
     "de alimentos y las entidades de reparto de la provincia de Zaragoza durante un "
     "año, con vehículos frigoríficos y registro de temperatura."),
    # CCI Gers
    ("demo-cci-gers-0301", "cci-gers", "business_request", "32410", "2026-10-06",
     "2027-02-15", ["49.41"], [], None,
     "Abattoir de volailles de Samatan recherche un transporteur frigorifique vers "
     "l'Espagne",
     "Un abattoir de canards et de volailles de Samatan cherche un transporteur "
     "frigorifique pour livrer chaque semaine trois à cinq palettes de produits frais à "
     "des clients de Saragosse, de Pampelune et de Logroño. Exigences : camions "
     "frigorifiques bi-température, enregistrement des températures, délai de 24 heures."),
    ("demo-cci-gers-0302", "cci-gers", "business_offer", "32119", "2026-09-14",
     "2027-06-30", ["11.01"], [], None,
     "Distillerie d'Éauze propose des eaux-de-vie d'armagnac en vrac",
     "Une distillerie d'Éauze propose des eaux-de-vie de Bas-Armagnac et de Ténarèze de "
     "deux à vingt ans d'âge, en vrac, à des assembleurs, des liquoristes et des "
     "marques de spiritueux espagnols. Échantillons et certificats d'âge sur demande."),
    ("demo-cci-gers-0303", "cci-gers", "partnership", "32013", "2026-11-17",
     "2027-03-31", [], [], None,
     "Le réseau agroalimentaire du Gers cherche des partenaires espagnols pour une "
     "plateforme logistique mutualisée",
     "Un groupement de quinze entreprises agroalimentaires du Gers étudie une "
     "plateforme logistique commune pour livrer l'Aragon et La Rioja. Il cherche des "
     "distributeurs, des transporteurs et des entrepositaires espagnols pour "
     "mutualiser les flux dans les deux sens."),
    ("demo-cci-gers-0304", "cci-gers", "technology_request", "32107", "2026-10-13",
     "2027-01-31", ["11.02"], [], None,
     "Chai de Condom cherche une régulation thermique des cuves pilotée à distance",
     "Un domaine viticole de la Ténarèze cherche une solution de régulation thermique "
     "de ses 60 cuves de vinification, pilotable depuis un téléphone, avec des sondes "
     "sans fil et un historique des fermentations."),
    ("demo-cci-gers-0305", "cci-gers", "business_request", "32160", "2026-11-24",
     "2027-04-30", ["30.30"], [], None,
     "Équipementier aéronautique cherche des sous-traitants en usinage de pièces en "
     "titane",
     "Un équipementier aéronautique de l'ouest toulousain cherche deux sous-traitants "
     "certifiés EN 9100 capables d'usiner en cinq axes des pièces de train "
     "d'atterrissage en titane et en acier à haute résistance, en séries de 20 à 200 "
     "pièces."),
    ("demo-cci-gers-0306", "cci-gers", "business_request", "32233", "2026-09-09",
     "2026-11-20", ["90.04"], [], None,
     "Un festival de Marciac cherche des interprètes et un transporteur de groupes",
     "Un festival de musique de Marciac accueillera l'été prochain des groupes "
     "espagnols et cherche des interprètes français-espagnol ainsi qu'un autocariste "
     "pour les trajets entre Saragosse, Pampelune et le Gers."),
    ("demo-cci-gers-0307", "cci-gers", "technology_offer", "32013", "2026-11-25",
     "2027-09-30", ["26.51"], [], None,
     "Jeune entreprise d'Auch propose un capteur connecté de suivi des fermentations",
     "Une jeune entreprise auscitaine a mis au point une sonde connectée qui mesure en "
     "continu la densité et la température des moûts en fermentation et envoie des "
     "alertes sur téléphone. Elle cherche des caves pilotes et des distributeurs de "
     "matériel œnologique en France et en Espagne."),
]


def company_lines():
    for (ident, name, code, nace, employees, languages, description, offers,
         seeks) in COMPANIES:
        _, _, _, region = PLACES[code]
        yield {
            "id": ident, "name": name, "country": "FR", "siret": siret(),
            "nace": checked(nace), "lang": "fr", "description": description,
            "offers": offers, "seeks": seeks, "location": location(code),
            "region": region, "employees": employees, "languages": languages,
        }


def opportunity_lines():
    for (ident, source, kind, code, published, deadline, nace, cpvs, budget, title,
         description) in OPPORTUNITIES:
        _, _, _, region = PLACES[code]
        line = {
            "id": ident, "source": source, "kind": kind, "title": title,
            "description": description, "lang": "fr" if region == "FR-32" else "es",
        }
        if nace:
            line["nace"] = checked(nace)
        if cpvs:
            line["cpv"] = [cpv(c, with_check) for c, with_check in cpvs]
        line.update({"location": location(code), "region": region,
                     "published": published})
        if deadline:
            assert deadline > published, ident
            line["deadline"] = deadline
        if budget is not None:
            line["budget_eur"] = budget
        yield line


def write(path, lines):
    with open(path, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    write(OUT / "companies.jsonl", company_lines())
    write(OUT / "opportunities.jsonl", opportunity_lines())
    print(f"{len(COMPANIES)} companies, {len(OPPORTUNITIES)} opportunities -> {OUT}")


if __name__ == "__main__":
    main()
