#!/usr/bin/env python3
"""Rebuild or check libs/travel/data/edges.csv (the travel model's road graph).

Every edge whose `length_source` is `estimated` gets its `km` recomputed as the
great-circle (haversine, mean Earth radius 6371.0088 km) distance between its two
nodes in nodes.csv times the detour factor of its road kind; every edge gets the
typical speed of its kind. Edges with a published length keep their `km`.

    scripts/rebuild-travel-data.py            # rewrite edges.csv in place
    scripts/rebuild-travel-data.py --check    # exit 1 if edges.csv differs

Python 3 standard library only; the factors and speeds are documented in
libs/travel/data/PROVENANCE.md and must match libs/travel/src/graph.rs.
"""
import csv
import io
import math
import pathlib
import sys

DATA = pathlib.Path(__file__).resolve().parent.parent / "libs" / "travel" / "data"
R = 6371.0088
# kind: (detour factor over the great circle, typical speed km/h)
KINDS = {
    "motorway": (1.15, 115),
    "expressway": (1.15, 95),
    "national": (1.25, 75),
    "secondary": (1.25, 65),
    "valley": (1.35, 55),
    "pass": (1.60, 40),
}
COLUMNS = ["from", "to", "road", "kind", "km", "speed_kmh", "length_source"]


def haversine(a, b):
    (lat1, lon1), (lat2, lon2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R * math.asin(min(1.0, math.sqrt(h)))


def build():
    with open(DATA / "nodes.csv", newline="", encoding="utf-8") as f:
        nodes = {r["id"]: (float(r["lat"]), float(r["lon"])) for r in csv.DictReader(f)}
    with open(DATA / "edges.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        for end in ("from", "to"):
            if r[end] not in nodes:
                sys.exit(f"edge {r['from']}-{r['to']}: unknown node {r[end]}")
        factor, speed = KINDS[r["kind"]]
        if r["length_source"] == "estimated":
            km = haversine(nodes[r["from"]], nodes[r["to"]]) * factor
            r["km"] = f"{km:.1f}"
        r["speed_kmh"] = str(speed)
        w.writerow({c: r.get(c, "") for c in COLUMNS})
    return out.getvalue()


def main():
    text = build()
    path = DATA / "edges.csv"
    if "--check" in sys.argv[1:]:
        if path.read_text(encoding="utf-8") != text:
            sys.exit("edges.csv is out of date: run scripts/rebuild-travel-data.py")
        print("edges.csv is up to date")
        return
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
