#!/usr/bin/env bash
# Checks the systemd units in deploy/ with systemd-analyze (where the machine has it):
# every key known, every command present. A unit it says anything about fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:?usage: deploy-check.sh PATH-TO-SLUSS}
if ! command -v systemd-analyze >/dev/null; then
  echo "systemd-analyze is not on this machine: the units in deploy/ are not checked"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for unit in deploy/*.service deploy/*.timer; do
  sed "s|/usr/local/bin/sluss|$bin|g" "$unit" >"$tmp/$(basename "$unit")"
done
said=$(systemd-analyze verify --man=no "$tmp"/* 2>&1 || true)
if [ -n "$said" ]; then
  echo "FAIL: systemd-analyze on deploy/:" >&2
  echo "$said" >&2
  exit 1
fi
echo "deploy/: $(ls deploy/*.service deploy/*.timer | wc -l) systemd units verified"
