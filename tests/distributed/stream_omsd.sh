#!/usr/bin/env bash
# stream_omsd.sh OMSD READER CONFIG WORKDIR - the event stream through a real
# omsd (docs/deployment.md): a nats-server of its own (127.0.0.1, a free
# port) and omsd on CONFIG with a stream group; orders through the admin API
# while nats-server is killed (-9) and restarted, then while omsd is killed
# (-9) and restarted on the same data directory. At the end the stream must
# hold every stored event once, in seq order (READER checks ids 1..N), and
# omsd's lag must be 0. Every process is stopped by its PID. Without
# nats-server: skipped loudly, or failed under CI.
set -u
omsd=$1 reader=$2 conf=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
log=$work/omsd.log
pid= npid=
. "$(dirname "$0")/lib.sh"
fail() {
  echo "FAIL: $*"
  echo "--- omsd log (last 40 lines)"; tail -n 40 "$log"
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  [ -n "$npid" ] && kill -KILL "$npid" 2>/dev/null
  exit 1
}
if ! command -v nats-server >/dev/null; then
  [ -n "${CI:-}" ] && { echo "FAIL: nats-server not found under CI (make deps installs it)"; exit 1; }
  echo "SKIP: nats-server not found (make deps installs it): stream_omsd: skipped"
  exit 0
fi
port=$(free_port)
url=nats://127.0.0.1:$port
nats_start() {
  nats-server -js -sd "$work/nats" -a 127.0.0.1 -p "$port" >>"$work/nats.log" 2>&1 &
  npid=$!
  # 20 s: a restart after kill -9 recovers its JetStream store first, and a
  # loaded machine (the whole suite on 2 CPUs) has taken more than 5 s.
  wait_port "$port" 200 || fail "nats-server did not listen on $port"
}
nats_kill() { stop_pid "$npid" KILL; npid=; }

{ cat "$conf"; printf '\nstream = { nats_url = "%s"; stream = "OMS_E2E"; instance = "e2e1"; window = 256; ack_timeout_ms = 1000; };\n' "$url"; } >"$work/omsd.conf"

trader="Authorization: Bearer trader1-secret-change-me"
viewer="Authorization: Bearer viewer-secret-change-me"
placed=0
orders() { # from to: one BUY LIMIT each (resting: submitted, accepted)
  for i in $(seq "$1" "$2"); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "$trader" -H 'Content-Type: application/json' \
      -X POST "$base/v1/orders" \
      -d "{\"client_order_id\":\"s$i\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\",\"side\":\"BUY\",\"type\":\"LIMIT\",\"qty\":\"0.01\",\"price\":\"64990\"}")
    [ "$code" = 201 ] || fail "order s$i: HTTP $code"
    placed=$((placed + 1))
  done
}
metric() { curl -s -H "$viewer" "$base/metrics" | sed -n "s/^$1 \([0-9]*\)$/\1/p"; }

nats_start
omsd_start
orders 1 40
nats_kill                       # the server dies mid-stream
orders 41 80                    # trading goes on; the journal keeps the events
sleep 0.3
nats_start
orders 81 120
stop_pid "$pid" KILL; pid=   # omsd dies mid-stream
omsd_start
orders 121 160
ok=
for _ in $(seq 1 300); do # the publisher runs at SCHED_IDLE: 30 s on a saturated machine
  lag=$(metric oms_stream_lag_events)
  [ "$lag" = 0 ] && { ok=1; break; }
  sleep 0.1
done
[ -n "$ok" ] || fail "the stream's lag is ${lag:-?}, not 0, after 30 s"
failures=$(curl -s -H "$viewer" "$base/metrics" | sed -n 's/^oms_stream_messages_total{kind="failure"} \([0-9]*\)$/\1/p')
sessions=$(curl -s -H "$viewer" "$base/v1/sessions")
echo "$sessions" | grep -q '"stream": *{"state": *"publishing"' ||
  echo "$sessions" | grep -q '"state": *"publishing"' || fail "GET /v1/sessions: no publishing stream: $sessions"
echo "$sessions" | grep -q '"lag": *0' || fail "GET /v1/sessions: the stream's lag is not 0: $sessions"
stop_pid "$pid" TERM; rc=$?; pid=
[ "$rc" = 0 ] || fail "omsd exited $rc on SIGTERM"
out=$("$reader" "$url" OMS_E2E) || { echo "$out"; fail "the stream is not every event once in order"; }
echo "$out"
n=$(echo "$out" | sed -n 's/.*n=\([0-9]*\).*/\1/p')
[ "$n" -ge $((2 * placed)) ] || fail "$n events in the stream for $placed orders (at least 2 each)"
grep -q 'component=stream msg="publishing to stream OMS_E2E' "$log" || fail "no publishing line"
nats_kill
echo "stream_omsd: ok orders=$placed events=$n failures_after_restart=${failures:-?}"
