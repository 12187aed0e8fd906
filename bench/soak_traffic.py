#!/usr/bin/env python3
"""soak_traffic.py - paced guest-side traffic for bench/soak.sh.

    soak_traffic.py churn ADDR PORT RATE SECONDS OUT
        a new TCP connection RATE times per second to an echo server: send
        64 bytes, read them back, close
    soak_traffic.py dns ADDR RATE SECONDS OUT --expect NAME=A
        RATE DNS queries per second for NAME (type A), each from a new
        socket (a new source port), answer checked
    soak_traffic.py udp ADDR PORT RATE SECONDS OUT
        RATE datagrams per second (64..1400 bytes, from 8 sockets, one of
        which moves to a new source port every 200 datagrams, so broth keeps
        opening mappings and expiring idle ones) to a UDP echo server, every
        echo checked

Every operation has a 2 s timeout. Each mode stops after SECONDS and writes
"ok N fail F" to OUT every second and at the end (so a sampler can read the
running totals); its last stdout line is "<mode>: ok N fail F [first error]".
Exit 0 when nothing failed.
"""
import argparse
import os
import random
import socket
import struct
import sys
import time

TIMEOUT = 2.0
ROTATE = 200    # udp: every ROTATE datagrams one socket gets a new source port


class Tally:
    def __init__(self, out):
        self.out, self.ok, self.fail, self.first = out, 0, 0, ""
        self.last = 0.0

    def add(self, good, why=""):
        if good:
            self.ok += 1
        else:
            self.fail += 1
            if not self.first:
                self.first = why
        now = time.monotonic()
        if now - self.last >= 1:
            self.write()
            self.last = now

    def write(self):
        tmp = self.out + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"ok {self.ok} fail {self.fail}\n")
        os.replace(tmp, self.out)


def paced(rate, seconds):
    """yield once per operation, rate per second, for seconds (bounded)"""
    t0 = time.monotonic()
    end = t0 + seconds
    n = 0
    while n < rate * seconds + 1:
        now = time.monotonic()
        if now >= end:
            return
        due = t0 + n / rate
        if due > now:
            time.sleep(min(due - now, end - now))
            continue
        yield n
        n += 1


def op_churn(addr, port, i):
    msg = struct.pack("!Q", i) * 8
    with socket.create_connection((addr, port), timeout=TIMEOUT) as s:
        s.settimeout(TIMEOUT)
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            b = s.recv(len(msg) - len(got))
            if not b:
                break
            got += b
    return got == msg, "echo differs" if got != msg else ""


def dns_query(qid, name):
    q = b""
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + b"\0" + \
        struct.pack("!HH", 1, 1)


def op_dns(addr, name, want, i):
    qid = random.getrandbits(16)
    q = dns_query(qid, name)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(TIMEOUT)
        s.sendto(q, (addr, 53))
        r, _ = s.recvfrom(4096)
    if len(r) < 12 or struct.unpack("!H", r[:2])[0] != qid:
        return False, "bad id"
    if r[3] & 15:
        return False, f"rcode {r[3] & 15}"
    return socket.inet_aton(want) in r[len(q):], "answer lacks " + want


def mode_churn(a, t):
    for i in paced(a.rate, a.seconds):
        try:
            t.add(*op_churn(a.addr, a.port, i))
        except OSError as e:
            t.add(False, repr(e))


def mode_dns(a, t):
    name, want = a.expect.split("=", 1)
    for i in paced(a.rate, a.seconds):
        try:
            t.add(*op_dns(a.addr, name, want, i))
        except OSError as e:
            t.add(False, repr(e))


def mode_udp(a, t):
    socks = []
    for _ in range(8):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(TIMEOUT)
        s.connect((a.addr, a.port))
        socks.append(s)
    rnd = random.Random(7)
    for i in paced(a.rate, a.seconds):
        k = i % len(socks)
        if i and i % ROTATE == 0:  # a new source port: a new mapping in broth
            socks[k].close()
            socks[k] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks[k].settimeout(TIMEOUT)
            socks[k].connect((a.addr, a.port))
        s = socks[k]
        msg = struct.pack("!Q", i) + rnd.randbytes(rnd.randrange(56, 1392))
        try:
            s.send(msg)
            while True:  # a late echo of an earlier datagram is skipped
                got = s.recv(2048)
                if got[:8] >= msg[:8]:
                    break
            t.add(got == msg, "echo differs")
        except OSError as e:
            t.add(False, repr(e))
    for s in socks:
        s.close()


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("churn")
    c.add_argument("addr")
    c.add_argument("port", type=int)
    d = sub.add_parser("dns")
    d.add_argument("addr")
    u = sub.add_parser("udp")
    u.add_argument("addr")
    u.add_argument("port", type=int)
    for x in (c, d, u):
        x.add_argument("rate", type=float)
        x.add_argument("seconds", type=float)
        x.add_argument("out")
    d.add_argument("--expect", required=True)
    a = p.parse_args()
    t = Tally(a.out)
    {"churn": mode_churn, "dns": mode_dns, "udp": mode_udp}[a.mode](a, t)
    t.write()
    print(f"{a.mode}: ok {t.ok} fail {t.fail} {t.first}".rstrip(), flush=True)
    return 0 if t.fail == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
