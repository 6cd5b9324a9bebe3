#!/usr/bin/env bash
# The guard of the README's run command: runs it exactly as the README writes it (read from
# the README's "Run it" section, so the two cannot drift) on a free port and in a temporary
# data directory, waits for the site to answer, checks that the home page, the register,
# the intake form and the demo workshop's join page answer 200 with the demo's content, and stops it with
# SIGTERM, which must end it cleanly. Fails if any of that does not happen.
set -euo pipefail
cd "$(dirname "$0")/.."

readme=${README:-README.md}
# The first command of the first ```sh block under "## Run it".
cmd=$(awk '
  /^## Run it/ { section = 1; next }
  /^## / && section { exit }
  section && /^```sh/ { block = 1; next }
  block && /^```/ { exit }
  block && NF { print; exit }
' "$readme")
if [ -z "$cmd" ]; then
  echo "FAIL: $readme has no command in a \`\`\`sh block under '## Run it'" >&2
  exit 1
fi
echo "The README's run command: $cmd"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data=$(mktemp -d)
out="$data/stdout.log"
err="$data/stderr.log"
base="http://127.0.0.1:$port"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "--- what the command printed (stdout) ---" >&2
  tail -n 40 "$out" >&2 || true
  echo "--- (stderr) ---" >&2
  tail -n 40 "$err" >&2 || true
  exit 1
}

# Its own process group, so that the stop reaches whatever the command started. The
# variables point the command's defaults elsewhere; they change nothing it writes.
SLUSS_BIND="127.0.0.1:$port" SLUSS_DATABASE_URL="sqlite://$data/sluss.db" NO_COLOR=1 \
  setsid bash -c "$cmd" >"$out" 2>"$err" </dev/null &
pid=$!

# The first run may build Sluss in release mode: up to 30 minutes on two cores.
deadline=$((SECONDS + ${README_RUN_TIMEOUT:-1800}))
until curl -fsS -o /dev/null "$base/healthz" 2>/dev/null; do
  kill -0 "$pid" 2>/dev/null || fail "the command stopped before Sluss answered on $base"
  [ "$SECONDS" -lt "$deadline" ] || fail "Sluss did not answer on $base in time"
  sleep 1
done
echo "Sluss answers on $base"

curl_opts=()
# page PATH TEXT: the page answers 200 and shows TEXT.
page() {
  local body status
  body=$(curl -sS "${curl_opts[@]}" -w '\n%{http_code}' "$base$1") || fail "GET $1 failed"
  status=${body##*$'\n'}
  body=${body%$'\n'*}
  [ "$status" = 200 ] || fail "GET $1 answered $status"
  grep -qF -- "$2" <<<"$body" || fail "GET $1 does not show \"$2\""
  echo "  GET $1: 200, shows \"$2\""
}

page / "Lämna ett behov eller en idé"
page /diarium "Region Sydost"
page /lamna 'name="title"'
page /lamna "Region Sydost"
code=$(sed -n 's/^ *workshop *code \([A-Z0-9]*\) .*/\1/p' "$out" | head -n 1)
[ -n "$code" ] || fail "--demo printed no workshop join code"
grep -qF "$base/workshop?code=$code" "$out" || fail "--demo did not print the workshop's link"
# Join the workshop as a participant does: the printed link's form, then the workshop.
jar="$data/cookies"
form=$(curl -sS -c "$jar" -b "$jar" "$base/workshop?code=$code") || fail "GET /workshop?code=$code failed"
grep -qF "value=\"$code\"" <<<"$form" || fail "the join form does not hold the code $code"
csrf=$(sed -n 's/.*name="_csrf" value="\([0-9a-f]*\)".*/\1/p' <<<"$form" | head -n 1)
joined=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -c "$jar" -b "$jar" \
  --data "_csrf=$csrf&code=$code" "$base/workshop") || fail "POST /workshop failed"
[ "$joined" = "303 $base/workshop/$code" ] || fail "joining with $code answered $joined"
echo "  POST /workshop (join with $code): 303 to /workshop/$code"
curl_opts=(-b "$jar")
page "/workshop/$code" "Framtidens nära vård"
grep -qF "admin@demo.sluss.se" "$out" || fail "--demo did not print the demo users"
version=$(curl -fsS "$base/healthz")
grep -q '"version"' <<<"$version" || fail "/healthz does not say its version: $version"
echo "  GET /healthz: $version"

kill -TERM -- "-$pid"
status=0
wait "$pid" || status=$?
pid=""
[ "$status" = 0 ] || fail "Sluss did not stop cleanly on SIGTERM (exit status $status)"
grep -q "shutting down" "$err" || fail "Sluss did not log its shutdown"
echo "Stopped cleanly. The README's run command works."
