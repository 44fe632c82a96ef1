#!/usr/bin/env bash
# Host capacity for single-event ingest, measured with wrk (a C load
# generator that leaves the cores to the host), against a bare-HTTP
# baseline in the same run. Builds the release host, starts it on a fresh
# data dir, posts one event per request from 32 connections.
# Usage: loadtest/wrk/ingest.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-10}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --locked -p homeguard-host
data=$(mktemp -d)
port=18196
JWT_SECRET=wrk-secret-wrk-secret-wrk-secret-wrk-xx target/release/homeguard up --port $port --data-dir "$data" >/dev/null 2>&1 &
host=$!
trap 'kill $host 2>/dev/null; wait $host 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 50); do curl -sf localhost:$port/health/liveness >/dev/null && break; sleep 0.2; done
json() { python3 -c "import json,sys; print($1)"; }
token=$(curl -s localhost:$port/auth/login -H 'content-type: application/json' \
  -d '{"email":"john@demo.com","password":"demo123"}' | json 'json.load(sys.stdin)["token"]')
device=$(curl -s localhost:$port/devices -H "authorization: Bearer $token" \
  | json '[d["device_id"] for d in json.load(sys.stdin)["devices"] if d["type"] == "door"][0]')
key=$(curl -s -X POST localhost:$port/devices/$device/key -H "authorization: Bearer $token" \
  | json 'json.load(sys.stdin)["device_key"]')
script=$(mktemp)
cat > "$script" <<LUA
wrk.method = "POST"
wrk.body = '{"device_id":"$device","event_type":"door_open","payload":{"source":"wrk"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Device-Key"] = "$key"
LUA
echo "baseline GET /health/liveness:"
wrk -t2 -c32 -d"${secs}s" http://127.0.0.1:$port/health/liveness | grep -E "Latency|Requests/sec"
echo "POST /ingest/events, one event per request:"
wrk -t2 -c32 -d"${secs}s" -s "$script" http://127.0.0.1:$port/ingest/events | grep -E "Latency|Requests/sec|Non-2xx"
sleep 2
echo "handled by the consumers:"
curl -s localhost:$port/metrics | grep '^bus_messages_handled_total'
rm -f "$script"
