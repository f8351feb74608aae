#!/usr/bin/env bash
# `make api-check`: property-based checks of the HTTP API against its own
# OpenAPI document with schemathesis (every check, positive and negative
# data). Not part of `make test`: it takes minutes and a Python venv.
#
# Starts `printhub serve` on free loopback ports with a temporary data dir
# and two embedded emulated printers (a PT-P750W and a QL-820NWB, printing
# at once), no anonymous access, waits for /healthz, runs schemathesis
# against /api/openapi.json with the admin key the first start prints (so
# `ignored_auth` checks that a request without it is refused) and stops
# the server. The venv
# lives in $PRINTHUB_VENV (default ~/.cache/printhub-venv) and is
# re-created when scripts/api-check/requirements.txt changes.
#
# Extra arguments go to `schemathesis run` (e.g. `--max-examples 20`,
# `--include-path-regex /api/jobs`); API_CHECK_MAX_EXAMPLES sets the
# examples per operation (default 50).
#
# Left out on purpose:
#   - GET /api/events: a stream that never ends (its events are checked
#     against the document by the gateway tests instead);
#   - POST /api/printers and PATCH /api/printers/{key}: they take printer
#     addresses, and the hub resolves and connects to whatever is given;
#     this check sends traffic to this machine's loopback only.
#
# Findings that are deliberate server behaviour (docs/ARCHITECTURE.md,
# gateway section), expected in every run:
#   - ST202 "Schema-valid request rejected" for a number written with a
#     fraction (`"copies": 228.0`, `"scale": 2.0`): JSON Schema's `integer`
#     admits it, the server refuses it (400), as the field descriptions say;
#   - ST202 for an `expires_at` that is past by the time it arrives: a key's
#     expiry must be in the future (400), which JSON Schema cannot say.
# Model and media names are read ignoring case while the schemas list the
# catalogue's spelling, and unknown query parameters are refused (400):
# schemathesis may flag either.
# Request bodies must be sent as application/json (415 otherwise) and be
# objects at every level (400 for serde's positional arrays); both are in
# the document (415 responses, `type: object`).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv=${PRINTHUB_VENV:-$HOME/.cache/printhub-venv}
requirements=$root/scripts/api-check/requirements.txt
target=${CARGO_TARGET_DIR:-$root/target}

if [ ! -x "$venv/bin/schemathesis" ] || ! cmp -s "$requirements" "$venv/requirements.txt"; then
    echo "api-check: installing schemathesis into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet -r "$requirements"
    cp "$requirements" "$venv/requirements.txt"
fi

echo "api-check: building printhub"
(cd "$root" && cargo build --quiet -p printhub --bin printhub)
bin=$target/debug/printhub

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
http=$(free_port)
pt=$(free_port)
ql=$(free_port)
pt_snmp=$(free_port)
ql_snmp=$(free_port)

data=$(mktemp -d)
server=
stop() {
    if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
        kill "$server"
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$data"
}
trap stop EXIT

cat >"$data/printhub.toml" <<EOF
listen = "127.0.0.1:$http"
data_dir = "$data/data"

[auth]
anonymous = "off"
rate_limit_per_minute = 1000000

[[printer]]
slug = "pt"
model = "PT-P750W"
media = "tze-12"
address = "127.0.0.1:$pt"
snmp = "127.0.0.1:$pt_snmp"

[[printer]]
slug = "ql"
model = "QL-820NWB"
media = "dk-62"
address = "127.0.0.1:$ql"
snmp = "127.0.0.1:$ql_snmp"

[[emulator]]
model = "PT-P750W"
media = "tze-12"
tcp_addr = "127.0.0.1:$pt"
snmp_addr = "127.0.0.1:$pt_snmp"
out_dir = "$data/emulator/pt"

[[emulator]]
model = "QL-820NWB"
media = "dk-62"
tcp_addr = "127.0.0.1:$ql"
snmp_addr = "127.0.0.1:$ql_snmp"
out_dir = "$data/emulator/ql"
EOF

base=http://127.0.0.1:$http
"$bin" serve --config "$data/printhub.toml" >"$data/serve.log" 2>&1 &
server=$!

for _ in $(seq 1 100); do
    if python3 -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$base/healthz" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$server" 2>/dev/null; then
        echo "api-check: printhub serve exited:" >&2
        cat "$data/serve.log" >&2
        exit 1
    fi
    sleep 0.2
done

key=$(grep -o 'phk_[A-Za-z0-9_-]*' "$data/serve.log" | head -n 1)
if [ -z "$key" ]; then
    echo "api-check: printhub serve printed no admin key" >&2
    cat "$data/serve.log" >&2
    exit 1
fi

echo "api-check: schemathesis against $base/api/openapi.json"
status=0
# From the temp dir: schemathesis keeps a cache (.schemathesis/) in the
# working directory.
report=$root/target/api-check
(cd "$data" && "$venv/bin/schemathesis" run "$base/api/openapi.json" \
    --checks all \
    --header "Authorization: Bearer $key" \
    --max-examples "${API_CHECK_MAX_EXAMPLES:-50}" \
    --request-timeout 10 \
    --exclude-path /api/events \
    --exclude-operation-id post_api_printers \
    --exclude-operation-id patch_api_printers__key_ \
    --report-dir "$report" \
    --report junit \
    "$@") || status=$?
if [ "$status" -ne 0 ]; then
    echo "api-check: failed (server log: the last lines below)" >&2
    tail -n 20 "$data/serve.log" >&2
fi
exit "$status"
