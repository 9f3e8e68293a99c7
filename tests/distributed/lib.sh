# lib.sh - what the tests/distributed scripts share, sourced after they set
# $work (their scratch directory): free loopback ports, a throwaway
# PostgreSQL cluster of their own, omsd started and waited for, processes
# stopped by their PID, and fail MESSAGE (report, stop what was started,
# exit 1) for a script with one omsd ($pid, its log $log); a script that
# starts more defines its own fail after sourcing this.
#
# The cluster lives in $work/pg (data, socket; its log in $work/pg.log),
# listens on 127.0.0.1:$pg_port and is started and stopped by pg_ctl only,
# so no other PostgreSQL on the machine is touched. As root, its commands
# run as the postgres user (initdb refuses root).

pg_bin=/usr/lib/postgresql/15/bin
pid=
pg_up=

# A loopback port free now (the kernel's pick).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits up to TENTHS x 0.1 s until something accepts on 127.0.0.1:PORT.
wait_port() { # port tenths
  for _ in $(seq 1 "$2"); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# Sends SIGNAL to PID and reaps it; returns its exit status.
stop_pid() { # pid signal
  kill -"$2" "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# Without PostgreSQL 15 the test NAME is skipped loudly (exit 0), or failed
# under CI; otherwise a new cluster is made in $work/pg on a free port.
pg_init() { # name
  if [ ! -x "$pg_bin/initdb" ]; then
    [ -n "${CI:-}" ] && { echo "FAIL: PostgreSQL 15 not found under CI (make deps installs it)"; exit 1; }
    echo "SKIP: PostgreSQL 15 not found in $pg_bin (make deps installs it): $1: skipped"
    exit 0
  fi
  pg_port=$(free_port)
  mkdir -p "$work/pg"
  [ "$(id -u)" = 0 ] && chown postgres "$work/pg"
  chmod o+rx "$work" 2>/dev/null
  as_pg "$pg_bin/initdb" -D "$work/pg/data" -A trust -E UTF8 -U postgres >>"$work/pg.log" 2>&1 ||
    { echo "FAIL: initdb"; cat "$work/pg.log"; exit 1; }
}

# Starts the cluster; arguments are more server options (-c fsync=off).
pg_start() {
  pg_up=1
  as_pg "$pg_bin/pg_ctl" -D "$work/pg/data" -w -t 30 -o "-k $work/pg -h 127.0.0.1 -p $pg_port $*" start \
    >>"$work/pg.log" 2>&1 || fail "PostgreSQL did not start"
}

pg_stop() {
  [ -n "$pg_up" ] && as_pg "$pg_bin/pg_ctl" -D "$work/pg/data" -m fast -w -t 30 stop >>"$work/pg.log" 2>&1
  pg_up=
}

# $work/omsd.conf: CONF with its store projecting into this cluster as
# instance INSTANCE.
pg_omsd_conf() { # conf instance
  { cat "$1"; printf '\n'; } | sed 's/^store = {/store = { projection = "postgres"; pg_conninfo = "host=127.0.0.1 port='"$pg_port"' user=postgres dbname=postgres connect_timeout=2"; instance = "'"$2"'";/' >"$work/omsd.conf"
  grep -q 'projection = "postgres"' "$work/omsd.conf" || fail "cannot set store.projection in the config"
}

sql() { "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -tAc "$1"; }

# Starts $omsd on $work/omsd.conf and $work/data (ports of its own choosing,
# stderr to $log) and waits for its admin port: its PID in $pid, the admin
# API's URL in $base, its FIX port in $fix. $starts counts the starts, so
# each start reads its own "admin listening" line of the shared log.
starts=0
omsd_start() {
  "$omsd" --config "$work/omsd.conf" --port 0 --admin-port 0 --data-dir "$work/data" --durability os 2>>"$log" &
  pid=$!
  base=
  for _ in $(seq 1 100); do
    local p
    p=$(sed -n 's/.*admin listening.* port=\([0-9][0-9]*\).*/\1/p' "$log" | sed -n "$((starts + 1))p")
    if [ -n "$p" ]; then
      base=http://127.0.0.1:$p; starts=$((starts + 1))
      fix=$(sed -n 's/.*msg=listening address=127.0.0.1 port=\([0-9][0-9]*\) sessions=.*/\1/p' "$log" | tail -n 1)
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || fail "omsd exited at start"
    sleep 0.1
  done
  fail "no \"admin listening\" line within 10 s"
}

fail() {
  echo "FAIL: $*"
  echo "--- omsd log (last 40 lines)"; tail -n 40 "$log"
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  pg_stop
  exit 1
}
