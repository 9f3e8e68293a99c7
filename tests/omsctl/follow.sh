#!/usr/bin/env bash
# follow.sh OMSCTL WORKDIR - `omsctl events --follow` when the stream drops:
# against a stand-in for omsd's stream (sse_mock.js, node) that cuts the
# first connection after event 2. omsctl must print events 1, the transient
# one and 2, reconnect with Last-Event-ID: 2, print event 3 once, say on
# stderr that the stream dropped and came back, and end with 0 on SIGINT.
# Also: a refused token ends the stream at once with exit 4.
set -u
omsctl=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
node=$(command -v node || command -v nodejs) || { echo "follow: node not found"; exit 1; }
fail() {
  echo "FAIL: $*"
  for f in mock.log out err; do echo "--- $f"; cat "$work/$f" 2>/dev/null; done
  kill -KILL "${mock:-}" "${ctl:-}" 2>/dev/null
  exit 1
}
"$node" "$(dirname "$0")/sse_mock.js" "$work/port" >"$work/mock.log" 2>&1 &
mock=$!
for _ in $(seq 1 50); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || fail "the mock did not start"
url=http://127.0.0.1:$(cat "$work/port")

"$omsctl" --url "$url" --token bad events --follow >"$work/out" 2>"$work/err"
rc=$?
[ "$rc" -eq 4 ] || fail "a refused token exited $rc, not 4"
grep -q "the token was refused (401 UNAUTHORIZED)" "$work/err" || fail "no 401 message"

"$omsctl" --url "$url" --token good events --follow --json >"$work/out" 2>"$work/err" &
ctl=$!
for _ in $(seq 1 100); do grep -q '"seq":3' "$work/out" && break; sleep 0.1; done
grep -q '"seq":3' "$work/out" || fail "event 3 never came"
sleep 0.3
kill -INT "$ctl"
wait "$ctl"
rc=$?
[ "$rc" -eq 0 ] || fail "omsctl exited $rc after SIGINT, not 0"
seqs=$(sed -n 's/^{"seq":\([0-9]*\),.*/\1/p' "$work/out" | tr '\n' ' ')
[ "$seqs" = "1 0 2 3 " ] || fail "events printed: $seqs (want 1 0 2 3)"
grep -q '^"text":"transient"}$' "$work/out" || fail "the two data lines were not joined by a newline"
grep -q "request 3 last-event-id=2" "$work/mock.log" || fail "the reconnection did not send Last-Event-ID: 2"
grep -q "event stream dropped .*reconnecting after event 2" "$work/err" || fail "no word of the drop"
grep -q "event stream resumed" "$work/err" || fail "no word of the resumption"

# The table form: one line per event, the header once.
"$omsctl" --url "$url" --token good events --follow >"$work/out" 2>"$work/err" &
ctl=$!
for _ in $(seq 1 100); do grep -q 'OrderFilled' "$work/out" && break; sleep 0.1; done
kill -INT "$ctl"
wait "$ctl" || fail "omsctl (tables) did not end with 0"
[ "$(grep -c '^SEQ ' "$work/out")" -eq 1 ] || fail "the header was not printed once"
grep -qE '^3 +2023-11-14 22:13:20.000 +OrderFilled +43 +AAPL +BUY +1 +185 +ACCEPTED' "$work/out" ||
  fail "event 3 is not a table line"
kill -TERM "$mock"
wait "$mock"
echo "follow: ok"
