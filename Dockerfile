# syntax=docker/dockerfile:1
# Posture's container image: one static-ish binary on a distroless base, run as non-root.
#
#   docker build -t posture .
#   docker run -p 8080:8080 -e POSTURE_SECRET_KEY="$(openssl rand -hex 32)" -v posture-data:/var/lib/posture posture
#
# The server is configured from the environment (every `posture serve` option has a
# POSTURE_* variable; see README "For a team"). TLS to PostgreSQL uses rustls: no OpenSSL.

ARG RUST_VERSION=1.95.0

FROM rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p posture \
    && install -D -m 0755 target/release/posture /out/posture \
    && install -d -m 0700 /out/data

FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="Posture" \
      org.opencontainers.image.description="Application security posture management in one binary" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/posture /usr/local/bin/posture
# The SQLite database (and its key file) when no PostgreSQL URL is given: mount a volume here.
COPY --from=build --chown=65532:65532 /out/data /var/lib/posture
ENV POSTURE_LISTEN=0.0.0.0:8080 \
    POSTURE_DATABASE=/var/lib/posture/posture.db \
    POSTURE_LOG_FORMAT=json
USER 65532:65532
EXPOSE 8080
VOLUME ["/var/lib/posture"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/posture", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/posture"]
CMD ["serve"]
