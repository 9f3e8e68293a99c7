#!/usr/bin/env python3
"""failover_client.py PORT_A PORT_B N OUT [OWNER_PID] - the FIX client of failover.sh.

A FIX 4.4 initiator (CLIENT1 -> OMS) that sends N resting BUY LIMIT orders
one at a time, PACE_S apart, each waiting for its answer: acknowledged (an
ExecutionReport New or later: 39=0/1/2) or refused (39=8, Text kept). Given
OWNER_PID, it kills that omsd (SIGKILL) within KILL_SPREAD_S of sending order
KILL_AT, so that an order is in flight at the kill. When the connection
drops (the owner killed) it logs on again to the other port, retrying until
the standby listens, with its sequence numbers continued (a ResendRequest
from omsd is answered with a gap fill) and sends the unanswered order again
with the same ClOrdID and PossResend(97)=Y: omsd answers a repeat with the
order's state, so a resend never makes a second order. At the end OUT holds
one line per ClOrdID sent: "<ClOrdID> <ack|rej> <OrderID> <text>". An order refused
for want of a reference price (the new owner before the venue's market data) is
sent again under a new ClOrdID (f<i>r<k>). Exit status 0 when every order got
an answer.
"""
import os
import random
import signal
import socket
import sys
import time

SOH = "\x01"
PACE_S = 0.03  # between orders: the stream outlasts the failover
KILL_AT = 21  # the order in flight when the owner is killed
KILL_SPREAD_S = 0.002  # ... at most this long after it was sent


def checksum(b):
    return "%03d" % (sum(b) % 256)


class Client:
    def __init__(self, ports, out):
        self.ports = ports
        self.which = 0
        self.out_seq = 1
        self.sock = None
        self.buf = b""
        self.out = out

    def send(self, mtype, fields, seq=None, poss_resend=False):
        now = time.strftime("%Y%m%d-%H:%M:%S.000", time.gmtime())
        body = "35=%s%s49=CLIENT1%s56=OMS%s34=%d%s52=%s%s" % (
            mtype, SOH, SOH, SOH, seq or self.out_seq, SOH, now, SOH)
        if seq is not None:
            body += "43=Y%s122=%s%s" % (SOH, now, SOH)
        if poss_resend:  # a header field: before the body's
            body += "97=Y%s" % SOH
        body += "".join("%s=%s%s" % (k, v, SOH) for k, v in fields)
        head = "8=FIX.4.4%s9=%d%s" % (SOH, len(body.encode()), SOH)
        msg = (head + body).encode()
        msg += ("10=%s%s" % (checksum(msg), SOH)).encode()
        if seq is None:
            self.out_seq += 1
        self.sock.sendall(msg)

    def read(self, timeout):
        """One message as a dict (first value of each tag), or None."""
        end = time.time() + timeout
        while True:
            at = self.buf.find(b"\x0110=")
            if at >= 0:
                stop = self.buf.find(b"\x01", at + 1)
                if stop >= 0:
                    raw = self.buf[:stop + 1]
                    self.buf = self.buf[stop + 1:]
                    f = {}
                    for part in raw.decode(errors="replace").split(SOH):
                        if "=" in part:
                            k, v = part.split("=", 1)
                            f.setdefault(k, v)
                    return f
            left = end - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not data:
                raise ConnectionError("closed")
            self.buf += data

    def connect(self):
        while True:
            port = self.ports[self.which]
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=1)
                self.buf = b""
                self.send("A", [("98", "0"), ("108", "30"), ("554", "client1-secret")])
                while True:
                    m = self.read(5)
                    if m is None:
                        raise ConnectionError("no logon answer")
                    if m.get("35") == "A":
                        print("client: logged on to port %d" % port, file=sys.stderr, flush=True)
                        # omsd asks for what it missed (a ResendRequest) right after
                        # the Logon: answered before anything new is sent, so the gap
                        # fill covers only numbers already used.
                        end = time.time() + 0.5
                        while time.time() < end:
                            m = self.read(0.1)
                            if m is not None:
                                self.admin(m)
                        return port
                    if m.get("35") == "5":
                        raise ConnectionError("logout: %s" % m.get("58"))
                    self.admin(m)
            except (OSError, ConnectionError):
                if self.sock is not None:
                    self.sock.close()
                self.sock = None
                self.which = 1  # the owner is gone: the standby from now on
                time.sleep(0.1)

    def admin(self, m):
        """Answers session-level messages; True when m was one."""
        t = m.get("35")
        if t == "2":  # ResendRequest: a gap fill (an order is sent again by ClOrdID)
            self.send("4", [("123", "Y"), ("36", str(self.out_seq))], seq=int(m.get("7", "1")))
            return True
        if t == "1":
            self.send("0", [("112", m.get("112", ""))])
            return True
        return t in ("0", "4", "A", "3")


def kill_after_a_while(pid):
    """SIGKILL to pid a random moment (busy-waited: sleep is too coarse)
    within KILL_SPREAD_S: the order just sent is anywhere on its way, from
    unread to answered, when the owner dies."""
    end = time.perf_counter() + random.uniform(0, KILL_SPREAD_S)
    while time.perf_counter() < end:
        pass
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def main():
    pa, pb, n, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    owner = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    c = Client([pa, pb], out)
    port = c.connect()
    results = {}
    reconnects = 0
    i, attempt, resend = 1, 0, False
    while i <= n:
        clid = "f%d" % i if attempt == 0 else "f%dr%d" % (i, attempt)
        # Prices differ from one order to the next (the duplicate-order check).
        px = "%.1f" % (64900 - (i % 40) * 0.5)
        try:
            c.send("D", [("11", clid), ("1", "ACC1"), ("55", "BTC-USD"), ("54", "1"),
                         ("60", time.strftime("%Y%m%d-%H:%M:%S", time.gmtime())),
                         ("38", "0.001"), ("40", "2"), ("44", px), ("59", "1")],
                   poss_resend=resend)
            resend = False
            if i == KILL_AT and attempt == 0 and owner:
                kill_after_a_while(owner)
                owner = 0
            heard = "nothing"
            deadline = time.time() + 10
            while clid not in results:
                m = c.read(max(0.1, deadline - time.time()))
                if m is None:
                    if time.time() > deadline:
                        raise ConnectionError("no answer for %s (last heard of it: %s)" % (clid, heard))
                    continue
                if c.admin(m) or m.get("35") != "8" or m.get("11") != clid:
                    continue
                st = m.get("39")
                heard = "39=%s 150=%s" % (st, m.get("150"))
                if st in ("0", "1", "2", "4"):
                    results[clid] = ("ack", m.get("37", "?"), "")
                elif st == "8":
                    results[clid] = ("rej", m.get("37", "?"), m.get("58", "").replace(" ", "_"))
        except (OSError, ConnectionError) as e:
            print("client: %s while on %s; logging on again" % (e, clid), file=sys.stderr, flush=True)
            c.sock.close()
            port = c.connect()
            reconnects += 1
            resend = True  # the same order again, PossResend: its state if omsd has it
            continue
        if results[clid][0] == "rej" and "NO_REFERENCE_PRICE" in results[clid][2] and attempt < 100:
            # The new owner has no market data yet: the order again, under a new ClOrdID.
            attempt += 1
            time.sleep(0.1)
            continue
        i, attempt = i + 1, 0
        time.sleep(PACE_S)
    c.send("5", [])
    with open(out, "w") as f:
        for k in results:
            f.write("%s %s %s %s\n" % (k, *results[k]))
    print("client: orders=%d answers=%d acked=%d reconnects=%d last_port=%d" % (
        n, len(results), sum(1 for r in results.values() if r[0] == "ack"), reconnects, port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
