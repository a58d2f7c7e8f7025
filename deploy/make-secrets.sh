#!/usr/bin/env bash
# Writes deploy/secrets/ for deploy/compose.yaml (not committed: deploy/.gitignore):
#   postgres-password            the PostgreSQL password (postgres image)
#   registry.toml, geo-search.toml, matchmaking.toml
#                                each service's configuration file layer (PYRED_CONFIG):
#                                database URL with that password, the service token
#                                shared by the services, the registry's key-hash secret
#   ca.pem, server.pem, server.key
#                                a private CA and one server certificate for every
#                                service name on the compose network (TLS is on)
# Leaves an existing folder alone (re-running is harmless); to rotate, delete it, and
# the postgres volume for a new database password. Needs openssl.
set -euo pipefail
dir="$(cd "$(dirname "$0")" && pwd)/secrets"
if [ -e "$dir" ]; then
  echo "secrets already in $dir; left unchanged"
  exit 0
fi
staging=$(mktemp -d "${dir}.XXXXXX")
trap 'rm -rf "$staging"' EXIT
random() { openssl rand -hex 32; }
password=$(random)
service_token=$(random)
key_hash_secret=$(random)

printf '%s\n' "$password" > "$staging/postgres-password"
cat > "$staging/registry.toml" <<TOML
[registry]
database_url = "postgres://pyred:${password}@postgres:5432/registry"

[security]
service_token = "${service_token}"
key_hash_secret = "${key_hash_secret}"
TOML
cat > "$staging/geo-search.toml" <<TOML
[security]
service_token = "${service_token}"
TOML
cat > "$staging/matchmaking.toml" <<TOML
[matchmaking]
database_url = "postgres://pyred:${password}@postgres:5432/matchmaking"

[security]
service_token = "${service_token}"
TOML

names=(company-registry geo-search geo-search-1 geo-search-2 matchmaking matchmaking-1 matchmaking-2 gateway localhost)
san=$(printf 'DNS:%s,' "${names[@]}")IP:127.0.0.1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
  -subj "/CN=Pyred compose CA" -keyout "$staging/ca.key" -out "$staging/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/CN=pyred" -keyout "$staging/server.key" -out "$staging/server.csr" 2>/dev/null
openssl x509 -req -in "$staging/server.csr" -CA "$staging/ca.pem" -CAkey "$staging/ca.key" \
  -CAcreateserial -days 825 -out "$staging/server.pem" \
  -extfile <(printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' "$san") \
  2>/dev/null
rm -f "$staging/server.csr" "$staging/ca.srl"
# The CA key signs nothing else here; keep it out of the secrets the containers see.
mv "$staging/ca.key" "$staging/.ca.key"

# Compose bind-mounts these files as they are and the services run as uid 10001, so
# they must be readable by it; the folder itself stays private to this user.
chmod 0644 "$staging"/*
chmod 0600 "$staging/.ca.key"
chmod 0700 "$staging"
mv "$staging" "$dir"
trap - EXIT
echo "wrote $dir"
