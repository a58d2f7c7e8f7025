#!/usr/bin/env bash
# Online backup of Pyred's databases: the registry's, matchmaking's, and geo-search's
# audit log.
#
#   scripts/backup.sh [--config FILE] [--data-dir DIR] DEST
#
# Finds the databases as the services do (defaults, then FILE or $PYRED_CONFIG, then
# PYRED__REGISTRY__DATABASE_URL / PYRED__MATCHMAKING__DATABASE_URL; $PYRED_DATA_DIR or
# --data-dir for the data directory) and writes DEST/pyred-backup-<UTC time>/ with
#   registry.sqlite3 | registry.pgdump         (SQLite online backup | pg_dump -Fc)
#   matchmaking.sqlite3 | matchmaking.pgdump
#   geo_search.sqlite3 | geo_search.pgdump     (geo-search's audit log, when it has one)
#   MANIFEST.json                              (time, kinds, sha256, rows per table)
# The services keep running: SQLite is copied with its online backup API (a consistent
# snapshot of a live WAL database, which a file copy is not: recent writes live in the
# -wal file), PostgreSQL with pg_dump (one transaction snapshot).
#
# Matchmaking is copied first, then the registry: matchmaking's position in the
# registry's change feed is then never ahead of the copied registry, so after a
# restore it replays what it may have missed instead of waiting for sequence numbers
# the restored registry will reuse. The search index is never backed up: geo-search
# rebuilds it from the registry (scripts/restore.sh says how).
#
# Needs python3 (3.11+, for tomllib), and pg_dump for PostgreSQL URLs (its major
# version at least the server's). Exit status: 0 done, 1 failed, 2 bad usage.
#
# `scripts/backup.sh --resolve` prints the resolved targets as JSON (used by
# scripts/restore.sh; it contains the database URLs, so never log it).
set -euo pipefail

usage() { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

config=""
data_dir=""
dest=""
resolve_only=false
while [ $# -gt 0 ]; do
  case "$1" in
    --config) [ $# -ge 2 ] || usage; config=$2; shift 2 ;;
    --config=*) config=${1#*=}; shift ;;
    --data-dir) [ $# -ge 2 ] || usage; data_dir=$2; shift 2 ;;
    --data-dir=*) data_dir=${1#*=}; shift ;;
    --resolve) resolve_only=true; shift ;;
    -h|--help) usage ;;
    -*) echo "backup: unknown option $1" >&2; usage ;;
    *) [ -z "$dest" ] || usage; dest=$1; shift ;;
  esac
done
if ! $resolve_only && [ -z "$dest" ]; then usage; fi

export PYRED_BACKUP_CONFIG="$config" PYRED_BACKUP_DATA_DIR="$data_dir"
export PYRED_BACKUP_DEST="$dest" PYRED_BACKUP_RESOLVE_ONLY="$resolve_only"
exec python3 - <<'PY'
import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tomllib
import urllib.parse

DATABASES = ("matchmaking", "registry", "geo_search")  # this order: see the header
# Default SQLite file of each database in the data directory.
DEFAULT_FILES = {"registry": "registry.db", "matchmaking": "matchmaking.db",
                 "geo_search": "geo-search.db"}
# geo-search's audit log exists only in builds that keep one; skipped when absent.
OPTIONAL = {"geo_search"}


def fail(message):
    print(f"backup: {message}", file=sys.stderr)
    sys.exit(1)


def resolve():
    """The registry's and matchmaking's database URLs, layered as the services do."""
    layers = [{}]
    config_file = os.environ["PYRED_BACKUP_CONFIG"] or os.environ.get("PYRED_CONFIG", "")
    if config_file:
        try:
            with open(config_file, "rb") as f:
                layers.append(tomllib.load(f))
        except OSError as error:
            fail(f"cannot read the configuration file {config_file}: {error.strerror}")
        except tomllib.TOMLDecodeError as error:
            fail(f"{config_file}: {error}")
    data_dir = "./pyred-data"
    urls = {}
    for layer in layers:
        data_dir = layer.get("data_dir", data_dir)
        for name in DATABASES:
            url = layer.get(name, {}).get("database_url")
            if url:
                urls[name] = url
    data_dir = os.environ.get("PYRED_DATA_DIR") or data_dir
    data_dir = os.environ["PYRED_BACKUP_DATA_DIR"] or data_dir
    data_dir = os.path.abspath(data_dir)
    for name in DATABASES:
        env = os.environ.get(f"PYRED__{name.upper()}__DATABASE_URL")
        if env:
            urls[name] = env
    index_dir = None
    for layer in layers:
        index_dir = layer.get("geo_search", {}).get("index_dir", index_dir)
    index_dir = os.environ.get("PYRED__GEO_SEARCH__INDEX_DIR") or index_dir or "index"
    index_dir = os.path.join(data_dir, index_dir)  # an absolute index_dir wins
    targets = {}
    for name in DATABASES:
        url = urls.get(name) or f"sqlite://{os.path.join(data_dir, DEFAULT_FILES[name])}?mode=rwc"
        if url.startswith("sqlite:"):
            path = url.removeprefix("sqlite:").removeprefix("//").split("?", 1)[0]
            targets[name] = {"kind": "sqlite", "path": os.path.abspath(path)}
        elif url.startswith(("postgres://", "postgresql://")):
            targets[name] = {"kind": "postgres", "url": url}
        else:
            fail(f"{name}.database_url: unsupported scheme")
    return {"data_dir": data_dir, "index_dir": index_dir, "databases": targets}


def redacted(url):
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def sqlite_counts(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        db.close()


def postgres_counts(url):
    query = (
        "SELECT format('%s.%s\t', schemaname, relname) || "
        "(xpath('/row/c/text()', query_to_xml(format('SELECT COUNT(*) AS c FROM %I.%I', "
        "schemaname, relname), false, true, '')))[1]::text "
        "FROM pg_stat_user_tables ORDER BY 1"
    )
    out = subprocess.run(["psql", "-X", "-A", "-t", "-q", "-d", url, "-c", query],
                         check=True, capture_output=True, text=True).stdout
    counts = {}
    for line in out.splitlines():
        if "\t" in line:
            table, count = line.split("\t")
            counts[table.removeprefix("public.")] = int(count)
    return counts


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup_sqlite(name, path, out_dir):
    if not os.path.exists(path):
        fail(f"{name}: no database at {path} (wrong data directory?)")
    target = os.path.join(out_dir, f"{name}.sqlite3")
    # Read-only source; the backup API copies a consistent snapshot page by page and
    # restarts if a writer changes a page it already copied.
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy, pages=1024)
        copy.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
        check = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            fail(f"{name}: the copy fails its integrity check: {check}")
    finally:
        copy.close()
        source.close()
    return {"kind": "sqlite", "file": os.path.basename(target), "source": path,
            "rows": sqlite_counts(target)}


def backup_postgres(name, url, out_dir):
    if shutil.which("pg_dump") is None:
        fail(f"{name}: pg_dump is not installed (Debian: postgresql-client)")
    target = os.path.join(out_dir, f"{name}.pgdump")
    # Rows are counted in the same snapshot as the dump would be ideal; counting just
    # before is exact when nothing writes, and an audit aid otherwise.
    rows = postgres_counts(url)
    result = subprocess.run(["pg_dump", "-Fc", "--no-owner", "--no-privileges",
                             "-d", url, "-f", target], capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"{name}: pg_dump failed: {result.stderr.strip()}")
    return {"kind": "postgres", "file": os.path.basename(target), "source": redacted(url),
            "rows": rows}


def main():
    resolved = resolve()
    if os.environ["PYRED_BACKUP_RESOLVE_ONLY"] == "true":
        json.dump(resolved, sys.stdout)
        return
    dest = os.path.abspath(os.environ["PYRED_BACKUP_DEST"])
    os.makedirs(dest, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    final = os.path.join(dest, f"pyred-backup-{stamp}")
    partial = final + ".partial"
    if os.path.exists(final):
        fail(f"{final} exists already")
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial, mode=0o700)
    try:
        write_backup(resolved, partial, stamp)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)  # never leave half a backup behind
        raise
    os.rename(partial, final)
    print(f"backup written to {final} (the search index is rebuilt, never backed up)")


def write_backup(resolved, partial, stamp):
    manifest = {"format": 1, "created_at": stamp, "databases": {}}
    for name in DATABASES:
        target = resolved["databases"][name]
        if name in OPTIONAL and target["kind"] == "sqlite" and not os.path.exists(target["path"]):
            print(f"{name}: no database at {target['path']}; skipped")
            continue
        if target["kind"] == "sqlite":
            entry = backup_sqlite(name, target["path"], partial)
        else:
            entry = backup_postgres(name, target["url"], partial)
        entry["sha256"] = sha256(os.path.join(partial, entry["file"]))
        entry["bytes"] = os.path.getsize(os.path.join(partial, entry["file"]))
        manifest["databases"][name] = entry
        total = sum(entry["rows"].values())
        print(f"{name}: {entry['kind']} {entry['source']} -> {entry['file']} "
              f"({entry['bytes']} bytes, {len(entry['rows'])} tables, {total} rows)")
    with open(os.path.join(partial, "MANIFEST.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")


main()
PY
