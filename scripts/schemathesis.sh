#!/usr/bin/env bash
# Bad input at scale: schemathesis (PyPI, pinned) generates requests from
# /api/v1/openapi.json (and runs its examples) against a real server on a fresh SQLite file
# and checks that no response is a server error and every response matches the schema.
# scripts/schemathesis_hooks.py calls each operation as a caller who may (administrator,
# decision maker, participant) with identifiers of the data set up here, so that requests
# reach the operations' logic (no operation is only refused). Part of the test command; the
# number of examples is bounded so it stays within CI's time.
#   scripts/schemathesis.sh [path to the sluss binary]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-${CARGO_TARGET_DIR:-target}/debug/sluss}"
TOOLS="${SLUSS_TOOLS_DIR:-}"
if [ -z "$TOOLS" ]; then
  if mkdir -p /var/cache/sluss-tools 2>/dev/null && [ -w /var/cache/sluss-tools ]; then
    TOOLS=/var/cache/sluss-tools
  else
    TOOLS="$PWD/.tools"
  fi
fi
VENV="$TOOLS/schemathesis-4.32.5"
if [ ! -x "$VENV/bin/schemathesis" ]; then
  echo "Installing schemathesis 4.32.5 into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check schemathesis==4.32.5
fi

WORK="$(mktemp -d)"
DB="sqlite://$WORK/schemathesis.db"
cleanup() {
  if [ -n "${SERVER:-}" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" org add --slug region-st --name "Region Schemathesis" --database-url "$DB" >/dev/null
"$BIN" org add --slug enhet-st --name "Enhet Schemathesis" --parent region-st --database-url "$DB" >/dev/null
"$BIN" user add --email st@example.se --name "Schema Testare" --org region-st --role admin \
  --password "schemathesis-password-1" --database-url "$DB" >/dev/null
TOKEN="$("$BIN" token create --email st@example.se --database-url "$DB" | tail -n 1)"
"$BIN" user add --email st-beslut@example.se --name "Schema Beslutsfattare" --org region-st \
  --role decision_maker --password "schemathesis-password-2" --database-url "$DB" >/dev/null
DECIDER="$("$BIN" token create --email st-beslut@example.se --database-url "$DB" | tail -n 1)"
# A user of the region for the account operations (listing tokens, revoking, deactivating),
# which may act on them again and again; nobody calls as them.
"$BIN" user add --email st-medlem@example.se --name "Schema Medlem" --org enhet-st \
  --role staff --password "schemathesis-password-3" --database-url "$DB" >/dev/null
"$BIN" token create --email st-medlem@example.se --database-url "$DB" >/dev/null
read -r MEMBER MEMBER_TOKEN < <(python3 - "${DB#sqlite://}" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
(user,) = db.execute("SELECT id FROM users WHERE email = 'st-medlem@example.se'").fetchone()
(token,) = db.execute("SELECT id FROM api_tokens WHERE user_id = ?", (user,)).fetchone()
print(user, token)
PY
)

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
RUST_LOG=warn "$BIN" serve --bind "127.0.0.1:$PORT" --public-write-limit 100000000 \
  --join-limit 100000000 --join-code-miss-limit 100000000 \
  --database-url "$DB" >"$WORK/server.log" 2>&1 &
SERVER=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do
  if curl -fsS "$BASE/api/v1/openapi.json" >/dev/null 2>&1; then break; fi
  sleep 0.1
done

# Real identifiers, so that operations on a campaign or a case reach their logic
# instead of stopping at 404.
api() { curl -sS --fail-with-body -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d[sys.argv[1]]) if sys.argv[1] in d else sys.exit(\"unexpected answer: \" + json.dumps(d, ensure_ascii=False))" "$1"; }
CODE="$(api -X POST "$BASE/api/v1/campaigns" \
  -d '{"title":"Schematest","question":"Vilken idé?","mode":"open","organisation":"region-st","vote_quota":1000}' | json code)"
api -X POST "$BASE/api/v1/campaigns/$CODE/phase" -d '{"phase":"open"}' >/dev/null
for i in 1 2 3; do
  IDEA="$(api -X POST "$BASE/api/v1/campaigns/$CODE/ideas" -d "{\"text\":\"Idé $i\"}" | json id)"
done
PARTICIPANT="$(api -X POST "$BASE/api/v1/campaigns/$CODE/participants" | json token)"
# A workshop in its scoring phase, for the participant's scores.
SCORING="$(api -X POST "$BASE/api/v1/campaigns" \
  -d '{"title":"Bedömning","question":"Vilket koncept?","mode":"workshop","organisation":"region-st"}' | json code)"
for i in 1 2; do
  SCORED="$(api -X POST "$BASE/api/v1/campaigns/$SCORING/ideas" -d "{\"text\":\"Koncept $i\"}" | json id)"
done
api -X POST "$BASE/api/v1/campaigns/$SCORING/phase" -d '{"phase":"criteria"}' >/dev/null
SCORER="$(api -X POST "$BASE/api/v1/campaigns/$SCORING/participants" | json token)"
CASE="$(api -X POST "$BASE/api/v1/cases" \
  -d '{"title":"Schematest","description":"Ett ärende för schematest","unit":"enhet-st","template":"spelplanen"}' | json id)"
DECIDED="$(api -X POST "$BASE/api/v1/cases" \
  -d '{"title":"Beslutstest","description":"Ett ärende för grindbeslut","unit":"enhet-st","template":"spelplanen"}' | json id)"
SUBMISSION="$(api -X POST "$BASE/api/v1/submissions" \
  -d '{"kind":"need","title":"Köer i receptionen","description":"Patienter står i kö vid receptionen varje morgon.","submitter_role":"patient","organisation":"enhet-st","contact_name":"Anna Andersson","contact_email":"anna@example.se"}' | json id)"

# Who calls what, and with which identifiers: scripts/schemathesis_hooks.py reads this.
SLUSS_SCHEMATHESIS_SETUP="$(python3 -c 'import json,sys; print(json.dumps(dict(zip(sys.argv[1::2], sys.argv[2::2]))))' \
  base "$BASE" admin "$TOKEN" decision_maker "$DECIDER" participant "$PARTICIPANT" \
  code "$CODE" idea "$IDEA" case "$CASE" decided_case "$DECIDED" submission "$SUBMISSION" unit enhet-st \
  step arbetsgrupp item verksamheten scoring "$SCORING" scored "$SCORED" scorer "$SCORER" \
  member_user "$MEMBER" member_token "$MEMBER_TOKEN")"
export SLUSS_SCHEMATHESIS_SETUP
export SCHEMATHESIS_HOOKS=schemathesis_hooks
export PYTHONPATH="$PWD/scripts${PYTHONPATH:+:$PYTHONPATH}" PYTHONDONTWRITEBYTECODE=1

echo "schemathesis against $BASE (campaign $CODE, case $CASE)"
cd "$WORK"
"$VENV/bin/schemathesis" run "$BASE/api/v1/openapi.json" \
  --checks not_a_server_error,response_schema_conformance \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" \
  --workers 2 \
  --seed 1 \
  --no-color
# The log may be coloured: strip the escapes before looking for errors.
if sed 's/\x1b\[[0-9;]*m//g' "$WORK/server.log" | grep -E " ERROR |panicked"; then
  echo "the server logged errors during the schemathesis run" >&2
  exit 1
fi
