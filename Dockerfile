# syntax=docker/dockerfile:1
#
# One image for every Pyred service. The binary is the command:
#
#   docker build -t pyred:dev .
#   docker run --rm pyred:dev company-registry          # or geo-search, matchmaking, pyred …
#
# Configuration comes from PYRED__SECTION__KEY variables (see docs/OPERATIONS.md); the
# image sets only what a container needs: listen on every interface, data in
# /var/lib/pyred (a volume). Checked by scripts/check-deploy.sh (hadolint).

# --- build -------------------------------------------------------------------------
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# rust:*-slim ships gcc and libc6-dev, all that ring and the bundled SQLite need; the
# protobuf contracts compile with protox (pure Rust), so no protoc either.
COPY . .
# Cache mounts keep the registry and the target directory between builds (BuildKit);
# the binaries are copied out because a cache mount is not part of the layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
        --bin company-registry --bin geo-search --bin matchmaking --bin gateway --bin pyred \
 && mkdir -p /out \
 && cp target/release/company-registry target/release/geo-search \
       target/release/matchmaking target/release/gateway target/release/pyred /out/

# --- runtime -----------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime
# ca-certificates: TLS to PostgreSQL and to an https OTLP collector. tini reaps and
# forwards SIGTERM so the services drain in-flight calls (server.shutdown_grace_secs).
# Unpinned on purpose: bookworm's point releases carry the security fixes.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 pyred \
 && useradd --system --uid 10001 --gid pyred --home-dir /var/lib/pyred --shell /usr/sbin/nologin pyred \
 && install -d -o pyred -g pyred -m 0750 /var/lib/pyred
COPY --from=build /out/ /usr/local/bin/
COPY deploy/docker/pyred-healthcheck /usr/local/bin/pyred-healthcheck

ENV PYRED_DATA_DIR=/var/lib/pyred \
    PYRED__SERVER__HOST=0.0.0.0 \
    PYRED__LOGGING__FORMAT=json
VOLUME ["/var/lib/pyred"]
WORKDIR /var/lib/pyred
USER 10001:10001
# gRPC: registry 50051, geo-search 50052, matchmaking 50053; Prometheus metrics
# (GET /metrics): 9101, 9102, 9103 (config <service>.metrics_port).
EXPOSE 50051 50052 50053 9101 9102 9103

# PYRED_HEALTHCHECK lists what must answer, e.g. "http:9102" (GET /metrics answers
# 200) or "tcp:50052" (the gRPC port accepts). Unset: the check passes, so a one-off
# `pyred` command is never marked unhealthy. deploy/compose.yaml sets it per service.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/pyred-healthcheck"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["pyred", "--help"]
