#!/usr/bin/env python3
"""Rebuilds the ISO code lists that validation checks against, from Debian's iso-codes.

    apt-get install iso-codes            # 4.15.0 on the build machines
    scripts/rebuild-iso-codes.py [ISO_CODES_JSON_DIR]   # default /usr/share/iso-codes/json

Writes, in libs/domain/data/:
  iso_3166_1.txt  the assigned ISO 3166-1 alpha-2 country codes, one per line
  iso_3166_2.txt  the ISO 3166-2 subdivision codes (all countries), one per line
  iso_639_1.txt   the ISO 639-1 (two-letter) language codes, one per line
Each file starts with a '#' line naming its source. Review the diff before committing.
"""
import json
import os
import sys

src = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/iso-codes/json"
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "libs", "domain", "data")


def load(name, key):
    with open(os.path.join(src, name), encoding="utf-8") as f:
        return json.load(f)[key]


def write(name, source, codes):
    path = os.path.join(out, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"# {source} (Debian iso-codes, {src})\n")
        for code in sorted(set(codes)):
            f.write(code + "\n")
    print(f"wrote {path}: {len(set(codes))} codes")


write("iso_3166_1.txt", "ISO 3166-1 alpha-2", [c["alpha_2"] for c in load("iso_3166-1.json", "3166-1")])
write("iso_3166_2.txt", "ISO 3166-2", [c["code"] for c in load("iso_3166-2.json", "3166-2")])
write("iso_639_1.txt", "ISO 639-1", [c["alpha_2"] for c in load("iso_639-2.json", "639-2") if "alpha_2" in c])
