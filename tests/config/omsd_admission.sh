#!/usr/bin/env bash
# omsd_admission.sh OMSD CLIENT CONFIG WORKDIR - strangers, the logon throttle
# and a client that does not read, against the real daemon: start omsd on
# CONFIG (tests/config/admission.conf: small limits), run each scenario of
# CLIENT (admission_client.c) over real sockets, check that the operator's log
# says what happened (key=value, with the connection and the cause), stop it.
set -u
omsd=$1 client=$2 conf=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
log=$work/omsd.log
fail() { echo "FAIL: $*"; echo "--- omsd log (tail)"; tail -60 "$log"; [ -n "${pid:-}" ] && kill -KILL "$pid" 2>/dev/null; exit 1; }

# start CONFIG DATA_DIR: omsd on a free port; sets pid and port.
start() {
  "$omsd" --config "$1" --port 0 --data-dir "$2" --durability os 2>"$log" &
  pid=$!
  port=
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*msg=listening .*port=\([0-9]*\).*/\1/p' "$log")
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || fail "omsd exited at start"
    sleep 0.1
  done
  [ -n "$port" ] || fail "omsd did not listen within 10 s"
}

start "$conf" "$work/data"
grep -q 'per_address=4 logon_timeout_ms=1000 failed_logons=3 failed_logon_window_s=60' "$log" ||
  fail "the admission settings are not in the listening line"

for s in flood per_addr timeout throttle slow; do
  out=$("$client" "$port" "$s") || fail "$out"
  echo "$out"
done

expect() { grep -qE "$1" "$log" || fail "the log does not say: $1"; }
expect 'msg="connection evicted" conn=[0-9]+ reason="every slot taken'
expect 'msg="connection refused" address=127\.0\.0\.60 reason="too many connections from this address" per_address=4'
expect 'msg="logon timeout" conn=[0-9]+ address=127\.0\.0\.70 timeout_ms=1000'
expect 'msg="logon failed" conn=[0-9]+ address=127\.0\.0\.8[0-2] comp_id="CLIENT2" reason="bad password"'
expect 'msg="logon throttled" conn=[0-9]+ address=127\.0\.0\.84 comp_id="CLIENT2" reason="logon throttled: 3 failed logons for CLIENT2 in 60 s"'
expect 'msg="logon throttled" conn=[0-9]+ address=127\.0\.0\.90 comp_id="CLIENT1" reason="logon throttled: 3 failed logons from 127\.0\.0\.90 in 60 s"'
expect 'msg="session ended" conn=[0-9]+ cause="output backlog over 16384 bytes: client not reading"'

kill -TERM "$pid"
wait "$pid"
status=$?
[ "$status" -eq 0 ] || fail "omsd exited with $status after SIGTERM"

# A store that can not keep up (the SQLite engine with a write queue of 64
# records, a burst of TestRequests; the journal store has no queue): the
# session ends with a Logout naming the store failure.
sed -e 's/store_queue = 8192;/store_queue = 64;/' -e 's/output_kib = 16;/output_kib = 8192;/' \
  -e 's/durability = "fsync";/durability = "fsync"; engine = "sqlite";/' \
  "$conf" >"$work/store.conf"
start "$work/store.conf" "$work/data-store"
out=$("$client" "$port" store) || fail "$out"
echo "$out"
expect 'component=fix session=CLIENT1 conn=[0-9]+ event=logout reason="store failure: save_seqnums: OMS_EFULL \(queue or pool full\)"'
kill -TERM "$pid"
wait "$pid"
echo "omsd_admission: ok"
