# Nexus Forge as one container next to a Postgres (see compose.yaml).
#
# The builder stage runs the same scripts CI runs (scripts/image build: the tools, then
# scripts/build); scripts/image layout puts the binary and the site where the runtime stage
# expects them, and CI checks that layout against this file (scripts/image check).
#
#   docker build -t nexus-forge .
#   docker run -p 3000:3000 -e DATABASE_URL=postgres://user:pass@db:5432/nexus_forge nexus-forge

FROM rust:1.95-bookworm AS build
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN scripts/image build && scripts/image layout /out

FROM debian:bookworm-slim
# CA certificates for model providers over https; curl for the health check; Debian's
# chromium for the browser check of generated apps (optional at run time).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl chromium \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin nexus
COPY --from=build /out/ /
ENV NF_LISTEN=0.0.0.0:3000 \
    LEPTOS_SITE_ROOT=/app/site \
    LEPTOS_ENV=PROD \
    NF_LOG=info,sqlx=warn
USER 10001
WORKDIR /app
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["curl", "-fsS", "http://127.0.0.1:3000/healthz"]
ENTRYPOINT ["/app/nexus-forge"]
