#!/usr/bin/env bash
# The test command: installs what the tests need, then runs every test.
#   formatting and lints → the README's run command as written there (and the systemd units
#   in deploy/) → Rust unit and API tests (SQLite, and PostgreSQL when reachable;
#   always under CI), including the crash test (SIGKILL under vote load) → browser tests
#   (Playwright + Debian's Chromium + axe-core) → the Nu HTML checker over the pages they
#   checked → schemathesis against the OpenAPI document.
#   The mail tests send through a real SMTP server (aiosmtpd from PyPI, installed here).
set -euo pipefail
cd "$(dirname "$0")/.."

# Build outside the clone when we may, so that a fresh clone on the same machine reuses it.
if [ -z "${CARGO_TARGET_DIR:-}" ]; then
  if mkdir -p /var/cache/sluss-target 2>/dev/null && [ -w /var/cache/sluss-target ]; then
    export CARGO_TARGET_DIR=/var/cache/sluss-target
  else
    export CARGO_TARGET_DIR="$PWD/target"
  fi
fi

step() { printf '\n== %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

step "Installing what the tests need"
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
for tool in curl setsid; do
  if ! command -v "$tool" >/dev/null; then
    echo "Installing Debian's curl and util-linux (for the README's run command)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl util-linux >/dev/null
  fi
done
if ! command -v java >/dev/null; then
  echo "Installing Debian's Java runtime (for the Nu HTML checker)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null
fi
/usr/bin/chromium --version
(cd e2e && npm ci --no-audit --no-fund --loglevel=error)
# A real SMTP server for the mail tests (crates/web/tests/api/mail.rs starts it through
# scripts/smtp_sink.py): aiosmtpd, pinned, in a virtualenv beside schemathesis's.
TOOLS="${SLUSS_TOOLS_DIR:-}"
if [ -z "$TOOLS" ]; then
  if mkdir -p /var/cache/sluss-tools 2>/dev/null && [ -w /var/cache/sluss-tools ]; then
    TOOLS=/var/cache/sluss-tools
  else
    TOOLS="$PWD/.tools"
  fi
fi
SMTP_VENV="$TOOLS/aiosmtpd-1.4.6"
if [ ! -x "$SMTP_VENV/bin/python" ] || ! "$SMTP_VENV/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
  echo "Installing aiosmtpd 1.4.6 into $SMTP_VENV"
  python3 -m venv "$SMTP_VENV"
  "$SMTP_VENV/bin/pip" install -q --disable-pip-version-check aiosmtpd==1.4.6
fi
export SLUSS_SMTP_SINK_PYTHON="$SMTP_VENV/bin/python"

# PostgreSQL: CI always has one at 127.0.0.1:5432; elsewhere use it when it answers.
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  if [ "${CI:-}" = "true" ]; then
    export TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test
  elif (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
    export TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test
  fi
fi
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "PostgreSQL half of the suite: on"
else
  echo "PostgreSQL half of the suite: off (no server at 127.0.0.1:5432; set TEST_DATABASE_URL)"
fi

step "Formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "The README's run command, as the README writes it"
scripts/readme-run.sh
scripts/deploy-check.sh "$CARGO_TARGET_DIR/release/sluss"

step "Rust tests (domain, store, app, API on SQLite and PostgreSQL)"
cargo test --workspace --locked

step "Browser tests (Chromium, axe-core)"
cargo build --locked -p sluss
rm -rf e2e/test-results/html
SLUSS_BIN="$CARGO_TARGET_DIR/debug/sluss" npm --prefix e2e test

step "Valid HTML (the Nu checker over every page the browser tests checked)"
ls e2e/test-results/html/*.html >/dev/null
java -jar e2e/node_modules/vnu-jar/build/dist/vnu.jar --errors-only --skip-non-html e2e/test-results/html
echo "$(ls e2e/test-results/html/*.html | wc -l) pages: valid"

step "Bad input at scale (schemathesis against /api/v1/openapi.json)"
scripts/schemathesis.sh "$CARGO_TARGET_DIR/debug/sluss"
