#!/bin/sh
# omsjournal.sh - the omsjournal tool on a journal written by journal_writer
# (verify, dump with bounds, tail, json) and on its damaged copy: verify and
# dump exit 1 naming the segment file and the offset of the damaged record.
#
# usage: omsjournal.sh OMSJOURNAL JOURNAL_WRITER WORKDIR
set -u
tool=$1 writer=$2 work=$3
fail() { echo "omsjournal.sh: FAIL: $*" >&2; exit 1; }

"$writer" "$work" >/dev/null || fail "journal_writer"
j=$work/journal

out=$("$tool" verify "$j") || fail "verify exit $?"
echo "$out" | grep -q ": ok: 53 records, lsn 1..53$" || fail "verify said: $out"

"$tool" dump "$j" >"$work/dump" || fail "dump exit $?"
[ "$(wc -l <"$work/dump")" -eq 53 ] || fail "dump: $(wc -l <"$work/dump") lines"
grep -q '^lsn=1 type=event len=[0-9]* at=0*1\.journal:0 more seq=1 OrderSubmitted order=1 CLIENT1/C1 BUY 0.5 BTC-USD @65000 SUBMITTED filled=0$' \
  "$work/dump" || fail "dump: first line $(head -n 1 "$work/dump")"
grep -q 'type=fix_sent .* session=FIX.4.4:OMS->CLIENT1 seqnum=[0-9]* msg_type=8$' "$work/dump" ||
  fail "dump: no fix_sent line"
grep -q 'type=fix_seqnums .* next_in=[0-9]* next_out=[0-9]*$' "$work/dump" || fail "dump: no fix_seqnums"
grep -q 'type=fix_reset .* session=FIX.4.4:OMS->CLIENT1$' "$work/dump" || fail "dump: no fix_reset"
grep -q '^lsn=51 type=limits .* seq=1 who=ops line={"seq":1,"scope":"GLOBAL","new":{"max_order_qty":"5"}}$' "$work/dump" ||
  fail "dump: no limits line"
grep -q '^lsn=53 type=cursor .* sink=audit seq=40$' "$work/dump" || fail "dump: last $(tail -n 1 "$work/dump")"
# More than one segment: the journal rolled.
[ "$(sed 's/.* at=\([^:]*\):.*/\1/' "$work/dump" | sort -u | wc -l)" -gt 1 ] || fail "dump: one segment"

"$tool" dump "$j" --from 10 --to 12 >"$work/range" || fail "dump range exit $?"
[ "$(cut -d' ' -f1 "$work/range" | tr '\n' ' ')" = "lsn=10 lsn=11 lsn=12 " ] ||
  fail "dump --from 10 --to 12: $(cat "$work/range")"

"$tool" tail "$j" -n 2 >"$work/tail" || fail "tail exit $?"
[ "$(cut -d' ' -f1 "$work/tail" | tr '\n' ' ')" = "lsn=52 lsn=53 " ] || fail "tail -n 2: $(cat "$work/tail")"

"$tool" json "$j" >"$work/json" || fail "json exit $?"
[ "$(grep -c '^{"lsn":[0-9]*,"record":"[a-z_]*",.*}$' "$work/json")" -eq 53 ] || fail "json lines"
grep -q '^{"lsn":1,"record":"event",.*"event":{"seq":1,"type":"OrderSubmitted"' "$work/json" ||
  fail "json: first $(head -n 1 "$work/json")"
grep -q '"record":"fix_sent",.*"seqnum":[0-9]*,"msg":"8=FIX.4.4\\u00019=5\\u000135=8' "$work/json" ||
  fail "json: fix_sent"
grep -q '"record":"cursor",.*"sink":"audit","seq":40}$' "$work/json" || fail "json: cursor"
grep -q '^{"lsn":51,"record":"limits",.*,"seq":1,"ts_ns":1700000000000000000,"who":"ops","line":"{\\"seq\\":1,' \
  "$work/json" || fail "json: limits $(grep '"limits"' "$work/json")"

# The damaged copy: exit 1, file and offset named.
{ read -r file offset; read -r tfile toffset; } <"$work/damage"
"$tool" verify "$work/damaged" >/dev/null 2>"$work/verify.err" && fail "verify of the damaged copy exit 0"
grep -q "$file:$offset" "$work/verify.err" || fail "verify: $(cat "$work/verify.err"), expected $file:$offset"
"$tool" dump "$work/damaged" >"$work/dump.damaged" 2>"$work/dump.err" && fail "dump of the damaged copy exit 0"
grep -q "$file:$offset" "$work/dump.err" || fail "dump: $(cat "$work/dump.err")"

# A torn tail: not damage (exit 0, said on stderr), the records before it.
out=$("$tool" verify "$work/torn" 2>"$work/torn.err") || fail "verify of a torn tail exit $?"
echo "$out" | grep -q ": ok: 52 records, lsn 1..52$" || fail "verify of a torn tail: $out"
grep -q "torn tail at .*$tfile:$toffset" "$work/torn.err" || fail "torn tail: $(cat "$work/torn.err")"

"$tool" verify 2>/dev/null; [ $? -eq 2 ] || fail "no directory: exit 2"
"$tool" dump "$j" --from x 2>/dev/null; [ $? -eq 2 ] || fail "bad --from: exit 2"
"$tool" verify "$work/none" 2>/dev/null && fail "missing directory: exit 0"
# import: the SQLite engine's data directory into a journal, counted; the old
# file kept aside; a second import, a directory without a database and a
# directory omsd holds are refused (exit 1, nothing changed).
old=$work/old
out=$("$tool" import "$old") || fail "import exit $?"
echo "$out" | grep -q "orders=3 events=6 fills=0 .* fix_sessions=1 fix_sent=1 sink_cursors=1 limit_changes=1$" ||
  fail "import said: $out"
[ -f "$old/oms.db.sqlite-engine" ] && [ -f "$old/oms.db" ] || fail "import: the files"
out=$("$tool" verify "$old/journal") || fail "verify of the import exit $?"
echo "$out" | grep -q ": ok: 10 records, lsn 1..10$" || fail "verify of the import said: $out"
"$tool" dump "$old/journal" | grep -q 'type=limits .* seq=1 who=ops line={"seq":1}$' ||
  fail "import: no limits record"
"$tool" import "$old" 2>"$work/import.err"; [ $? -eq 1 ] || fail "second import: exit 0"
grep -q "has a journal already" "$work/import.err" || fail "second import: $(cat "$work/import.err")"
mkdir -p "$work/empty"
"$tool" import "$work/empty" 2>/dev/null; [ $? -eq 1 ] || fail "import without a database: exit 0"
if command -v flock >/dev/null; then
  mkdir -p "$work/held" && cp "$old/oms.db.sqlite-engine" "$work/held/oms.db"
  flock "$work/held/omsd.lock" "$tool" import "$work/held" 2>"$work/held.err"
  [ $? -eq 1 ] || fail "import under omsd's lock: exit 0"
  grep -q "is omsd running" "$work/held.err" || fail "held: $(cat "$work/held.err")"
  [ -f "$work/held/oms.db" ] && [ ! -e "$work/held/journal" ] || fail "held: something changed"
fi
echo "omsjournal.sh: ok"
