#!/usr/bin/env python3
"""fix_orders.py PORT SENDER PASSWORD PREFIX N - a minimal FIX 4.4 client for the
distributed tests: logs on to omsd's gateway, sends N resting limit orders
(ClOrdID PREFIX1..PREFIXN), waits for each one's ExecutionReport (New), logs
out and prints "acked=N". Exits 1 if an order is not acknowledged in 20 s."""
import socket
import sys
import time

SOH = b"\x01"


def msg(mtype, seq, sender, fields):
    now = time.strftime("%Y%m%d-%H:%M:%S.000", time.gmtime())
    body = [("35", mtype), ("49", sender), ("56", "OMS"), ("34", str(seq)), ("52", now)] + fields
    b = b"".join(f"{k}={v}".encode() + SOH for k, v in body)
    head = b"8=FIX.4.4" + SOH + f"9={len(b)}".encode() + SOH
    data = head + b
    return data + f"10={sum(data) % 256:03d}".encode() + SOH


def frames(buf):
    """Whole messages at the head of buf, and the rest."""
    out = []
    while True:
        i = buf.find(SOH + b"10=")
        if i < 0 or len(buf) < i + 8:
            return out, buf
        out.append(buf[: i + 8])
        buf = buf[i + 8 :]


def tags(m):
    return dict(p.split(b"=", 1) for p in m.split(SOH) if b"=" in p)


def main():
    port, sender, pw, prefix, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=20)
    seq = 1
    s.sendall(msg("A", seq, sender, [("98", "0"), ("108", "30"), ("554", pw)]))
    seq += 1
    buf, acked, logged_on = b"", set(), False
    deadline = time.time() + 20
    sent = False
    while len(acked) < n and time.time() < deadline:
        if logged_on and not sent:
            for i in range(1, n + 1):
                s.sendall(msg("D", seq, sender, [("11", f"{prefix}{i}"), ("55", "BTC-USD"), ("54", "1"),
                                                 ("60", time.strftime("%Y%m%d-%H:%M:%S", time.gmtime())),
                                                 ("38", "0.01"), ("40", "2"), ("44", str(64000 + i)), ("59", "0")]))
                seq += 1
            sent = True
        data = s.recv(65536)
        if not data:
            break
        got, buf = frames(buf + data)
        for m in got:
            t = tags(m)
            if t.get(b"35") == b"A":
                logged_on = True
            elif t.get(b"35") == b"8" and t.get(b"150") == b"0":
                acked.add(t.get(b"11"))
            elif t.get(b"35") in (b"3", b"5", b"j"):
                print("refused:", m.replace(SOH, b"|").decode(errors="replace"))
    s.sendall(msg("5", seq, sender, []))
    time.sleep(0.2)
    s.close()
    print(f"acked={len(acked)}")
    return 0 if len(acked) == n else 1


sys.exit(main())
