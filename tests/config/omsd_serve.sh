#!/usr/bin/env bash
# omsd_serve.sh OMSD CONFIG WORKDIR MAX_RSS_KB - the daemon for real: start it on
# CONFIG (free port, fresh data directory), check it listens and takes a TCP
# connection, that a second omsd on the same data directory or port is refused
# (the failed bind logged with its address and errno), that it
# idles under MAX_RSS_KB resident (0: not checked, e.g. under ASan), then stop it
# with SIGTERM and check it exits 0 after flushing the store.
set -u
omsd=$1 conf=$2 work=$3 max_rss=$4
rm -rf "$work" && mkdir -p "$work"
log=$work/omsd.log
fail() { echo "FAIL: $*"; echo "--- omsd log"; cat "$log"; [ -n "${pid:-}" ] && kill -KILL "$pid" 2>/dev/null; exit 1; }

"$omsd" --config "$conf" --port 0 --admin-port 0 --data-dir "$work/data" --durability os 2>"$log" &
pid=$!
port=
for _ in $(seq 1 100); do
  port=$(sed -n 's/.*msg=listening .*port=\([0-9]*\).*/\1/p' "$log")
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || fail "omsd exited at start"
  sleep 0.1
done
[ -n "$port" ] || fail "omsd did not listen within 10 s"

# A client connects and goes away: accepted, then closed as the peer closed.
exec 3<>"/dev/tcp/127.0.0.1/$port" || fail "cannot connect to port $port"
exec 3>&-
for _ in $(seq 1 50); do grep -q 'reason="peer closed"' "$log" && break; sleep 0.1; done
grep -q 'msg="connection accepted"' "$log" || fail "no connection accepted"
grep -q 'reason="peer closed"' "$log" || fail "the closed connection was not noticed"

# The sample serves the admin API too (docs/admin-api.md), on the port it logs.
for _ in $(seq 1 50); do
  admin_port=$(sed -n 's/.*msg="admin listening" address=[^ ]* port=\([0-9]*\).*/\1/p' "$log")
  [ -n "$admin_port" ] && break
  sleep 0.1
done
[ -n "$admin_port" ] || fail "the admin API did not say where it listens"
exec 3<>"/dev/tcp/127.0.0.1/$admin_port" || fail "cannot connect to the admin port $admin_port"
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3
grep -q '"status":"alive"' <&3 || fail "GET /healthz did not answer alive"
exec 3>&-

# The data directory is locked.
if "$omsd" --config "$conf" --port 0 --admin-port 0 --data-dir "$work/data" 2>"$work/second.log"; then
  fail "a second omsd started on the same data directory"
fi
grep -q 'another omsd is running on this data directory' "$work/second.log" ||
  fail "the second omsd did not say why: $(cat "$work/second.log")"

# A port in use: the failed system call is logged with its object and errno.
"$omsd" --config "$conf" --port "$port" --admin-port 0 --data-dir "$work/data2" 2>"$work/third.log" &&
  fail "a second omsd listened on port $port"
grep -q "msg=\"bind failed\" call=bind address=127.0.0.1 port=$port errno=98 err=\"Address already in use\"" \
  "$work/third.log" || fail "the bind failure was not logged as expected: $(cat "$work/third.log")"

rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
echo "omsd idle VmRSS=${rss} kB"
if [ "$max_rss" -gt 0 ] && [ "$rss" -gt "$max_rss" ]; then
  fail "idle VmRSS ${rss} kB is above ${max_rss} kB"
fi

kill -TERM "$pid"
wait "$pid"
status=$?
[ "$status" -eq 0 ] || fail "omsd exited with $status after SIGTERM"
grep -q 'msg="store flushed"' "$log" || fail "the store was not flushed"
grep -q 'msg=stopped status=0' "$log" || fail "no clean stop in the log"
echo "omsd_serve: ok"
