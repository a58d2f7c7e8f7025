#!/usr/bin/env python3
"""Rebuilds the official vocabularies compiled into libs/vocabulary (docs/vocabulary.md).

  scripts/rebuild-vocabulary.py [SHARED_REAL_DIR]     (default: ../shared/real)

Reads the EU Publications Office tables of shared/real/cpv/ (CPV 2008 and NUTS names in
French, Spanish and English; see shared/real/README.md for their provenance), writes
libs/vocabulary/data/cpv.tsv and nuts.tsv (tab-separated, UTF-8, one code a line, sorted)
and rewrites libs/vocabulary/data/SHA256SUMS with the sums of the sources and of the
outputs. Standard library only. Nothing is edited by hand: a label is as published,
with runs of white space collapsed.
"""
import csv
import hashlib
import os
import re
import sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "real")
out = os.path.join(root, "libs", "vocabulary", "data")


def clean(text):
    return " ".join(text.replace("\t", " ").split())


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def convert(source, target, code_ok):
    rows = []
    with open(source, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            code = row["code"].strip()
            if not code_ok(code):
                raise SystemExit(f"{source}: unexpected code {code!r}")
            rows.append((code, clean(row["fr"]), clean(row["es"]), clean(row["en"])))
    rows.sort()
    if len({r[0] for r in rows}) != len(rows):
        raise SystemExit(f"{source}: a code appears twice")
    with open(target, "w", encoding="utf-8", newline="\n") as f:
        f.write("code\tfr\tes\ten\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    return len(rows)


cpv_src = os.path.join(src, "cpv", "cpv2008_fr_es_en.csv")
nuts_src = os.path.join(src, "cpv", "nuts_fr_es_en.csv")
n_cpv = convert(cpv_src, os.path.join(out, "cpv.tsv"), lambda c: re.fullmatch(r"\d{8}", c) is not None)
n_nuts = convert(nuts_src, os.path.join(out, "nuts.tsv"), lambda c: re.fullmatch(r"[A-Z]{2}[0-9A-Z]{0,3}", c) is not None)
with open(os.path.join(out, "SHA256SUMS"), "w", encoding="utf-8") as f:
    f.write(f"{sha(cpv_src)}  source:shared/real/cpv/cpv2008_fr_es_en.csv\n")
    f.write(f"{sha(nuts_src)}  source:shared/real/cpv/nuts_fr_es_en.csv\n")
    for name in ("cpv.tsv", "nuts.tsv"):
        f.write(f"{sha(os.path.join(out, name))}  data/{name}\n")
print(f"{n_cpv} CPV codes, {n_nuts} NUTS codes -> {out}")
