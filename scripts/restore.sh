#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh into the databases the configuration
# names (the same flags and variables as backup.sh):
#
#   scripts/restore.sh [--config FILE] [--data-dir DIR] [--force] BACKUP_DIR
#
# STOP THE SERVICES FIRST (all of them: registry, geo-search, matchmaking). Then:
#   - SQLite: the copy is checked (sha256, integrity), written beside the live file and
#     renamed over it; the old file's -wal and -shm are removed (they belong to it).
#   - PostgreSQL: pg_restore --clean --if-exists into the database (created when
#     missing), without owners or grants (the URL's user owns what it restores).
#   - Row counts per table are compared with the backup's MANIFEST.json.
#   - The search index of this configuration is deleted (geo_search.index_dir, default
#     data_dir/index) so that geo-search rebuilds it from the restored registry when
#     it starts: an index that applied changes the restored registry no longer has
#     would otherwise wait for sequence numbers that now mean other changes. With
#     several geo-search replicas, delete each replica's index (its volume) likewise.
# An existing database is replaced only with --force.
#
# Exit status: 0 restored and verified, 1 failed, 2 bad usage.
set -euo pipefail

usage() { sed -n '5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

args=()
force=false
backup=""
while [ $# -gt 0 ]; do
  case "$1" in
    --config|--data-dir) [ $# -ge 2 ] || usage; args+=("$1" "$2"); shift 2 ;;
    --config=*|--data-dir=*) args+=("$1"); shift ;;
    --force) force=true; shift ;;
    -h|--help) usage ;;
    -*) echo "restore: unknown option $1" >&2; usage ;;
    *) [ -z "$backup" ] || usage; backup=$1; shift ;;
  esac
done
[ -n "$backup" ] || usage
[ -f "$backup/MANIFEST.json" ] || { echo "restore: $backup has no MANIFEST.json" >&2; exit 1; }

resolved=$("$(dirname "$0")/backup.sh" --resolve "${args[@]}")
export PYRED_RESTORE_TARGETS="$resolved" PYRED_RESTORE_BACKUP="$backup" PYRED_RESTORE_FORCE="$force"
exec python3 - <<'PY'
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.parse

targets = json.loads(os.environ["PYRED_RESTORE_TARGETS"])
backup = os.path.abspath(os.environ["PYRED_RESTORE_BACKUP"])
force = os.environ["PYRED_RESTORE_FORCE"] == "true"
with open(os.path.join(backup, "MANIFEST.json")) as f:
    manifest = json.load(f)


def fail(message):
    print(f"restore: {message}", file=sys.stderr)
    sys.exit(1)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sqlite_counts(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        db.close()


def psql(url, sql):
    return subprocess.run(["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                          check=True, capture_output=True, text=True).stdout


def postgres_counts(url):
    query = (
        "SELECT format('%s.%s\t', schemaname, relname) || "
        "(xpath('/row/c/text()', query_to_xml(format('SELECT COUNT(*) AS c FROM %I.%I', "
        "schemaname, relname), false, true, '')))[1]::text "
        "FROM pg_stat_user_tables ORDER BY 1"
    )
    counts = {}
    for line in psql(url, query).splitlines():
        if "\t" in line:
            table, count = line.split("\t")
            counts[table.removeprefix("public.")] = int(count)
    return counts


def restore_sqlite(name, entry, path):
    source = os.path.join(backup, entry["file"])
    if os.path.exists(path) and not force:
        fail(f"{name}: {path} exists; stop the services and pass --force to replace it")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    staging = path + ".restoring"
    shutil.copyfile(source, staging)
    db = sqlite3.connect(staging)
    try:
        check = db.execute("PRAGMA integrity_check").fetchone()[0]
        # The services open their databases in WAL mode; leave it to them.
    finally:
        db.close()
    if check != "ok":
        os.remove(staging)
        fail(f"{name}: the backup copy fails its integrity check: {check}")
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    os.replace(staging, path)
    return sqlite_counts(path)


def restore_postgres(name, entry, url):
    if shutil.which("pg_restore") is None:
        fail(f"{name}: pg_restore is not installed (Debian: postgresql-client)")
    parts = urllib.parse.urlsplit(url)
    database = urllib.parse.unquote(parts.path.lstrip("/"))
    maintenance = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    exists = psql(maintenance, f"SELECT 1 FROM pg_database WHERE datname = '{database.replace(chr(39), chr(39) * 2)}'").strip()
    if not exists:
        quoted = '"' + database.replace('"', '""') + '"'
        psql(maintenance, f"CREATE DATABASE {quoted}")
        print(f"{name}: created database {database}")
    elif psql(url, "SELECT count(*) FROM pg_stat_user_tables").strip() != "0" and not force:
        fail(f"{name}: database {database} holds tables; stop the services and pass --force to replace them")
    result = subprocess.run(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
         "--exit-on-error", "--single-transaction", "-d", url, os.path.join(backup, entry["file"])],
        capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"{name}: pg_restore failed: {result.stderr.strip()}")
    psql(url, "ANALYZE")
    return postgres_counts(url)


for name, entry in sorted(manifest["databases"].items()):
    file = os.path.join(backup, entry["file"])
    if sha256(file) != entry["sha256"]:
        fail(f"{name}: {entry['file']} does not match its checksum in MANIFEST.json")
restored_any = False
for name, entry in sorted(manifest["databases"].items()):
    target = targets["databases"].get(name)
    if target is None:
        fail(f"{name}: no such database in this configuration")
    if (entry["kind"], target["kind"]) == ("sqlite", "sqlite"):
        counts = restore_sqlite(name, entry, target["path"])
        where = target["path"]
    elif (entry["kind"], target["kind"]) == ("postgres", "postgres"):
        counts = restore_postgres(name, entry, target["url"])
        parts = urllib.parse.urlsplit(target["url"])
        where = f"{parts.hostname}{parts.path}"
    else:
        fail(f"{name}: the backup is {entry['kind']} but the configuration says {target['kind']}; "
             "moving between SQLite and PostgreSQL is an import, not a restore")
    if counts != entry["rows"]:
        fail(f"{name}: rows after restore {counts} differ from the backup's {entry['rows']}")
    print(f"{name}: restored into {where}, {sum(counts.values())} rows in {len(counts)} tables match the backup")
    restored_any = True

index = targets["index_dir"]
if os.path.isdir(index):
    shutil.rmtree(index)
    print(f"search index {index} deleted: geo-search rebuilds it from the registry at start")
else:
    print(f"no search index at {index}: delete each geo-search's index (its volume) "
          "so that it rebuilds from the restored registry")
print("restore done; start the services")
PY
