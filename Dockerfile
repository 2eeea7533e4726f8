# The demo service and load generator for docker-compose.yml (examples/demo.rs,
# examples/loadgen.rs). Build context: the repository root.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --example demo --example loadgen \
 && cp target/release/examples/demo target/release/examples/loadgen /usr/local/bin/

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /data demo && mkdir -p /data && chown demo /data
COPY --from=build /usr/local/bin/demo /usr/local/bin/loadgen /usr/local/bin/
USER demo
WORKDIR /data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/demo"]
