#!/usr/bin/env python3
"""dns_query.py - many DNS queries over UDP, each from its own source port.

    dns_query.py many SERVER N --expect NAME=ADDR [--expect NAME=ADDR ...]
                 [--port P] [--first-port F] [--inflight K] [--timeout S]
                 [--retries R] [--deadline S]

Query i asks for the A record of the (i mod E)-th --expect name, from a new
socket bound to source port F + i (default F 20000: N distinct ports), with
K queries (default 32) in flight. An answer counts when its id, question,
QR/RCODE and its A record(s) match (ADDR among them). A query unanswered
after S seconds (default 2) is sent again from the same socket, at most R
times (default 0). The whole run stops after --deadline seconds (default 60).
Prints "ok answered A/N ..." or "FAIL answered A/N ..." with the counts of
timeouts, wrong answers and rcodes; exit 0 only when all N were answered
correctly.
"""
import argparse
import random
import select
import socket
import struct
import sys
import time


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query(qid, name, qtype=1):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + \
        encode_name(name) + struct.pack("!HH", qtype, 1)


def skip_name(msg, off):
    while True:
        n = msg[off]
        if n == 0:
            return off + 1
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1 + n


def parse_answer(msg, qid, name):
    """(rcode, [A addresses]) or raise ValueError"""
    if len(msg) < 12:
        raise ValueError("short")
    rid, flags, qd, an, _, _ = struct.unpack("!HHHHHH", msg[:12])
    if rid != qid:
        raise ValueError(f"id {rid} != {qid}")
    if not flags & 0x8000:
        raise ValueError("not a response")
    rcode = flags & 0xF
    q = encode_name(name)
    if qd != 1 or msg[12:12 + len(q)].lower() != q.lower():
        raise ValueError("question differs")
    off = 12 + len(q) + 4
    addrs = []
    for _ in range(an):
        off = skip_name(msg, off)
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        if rtype == 1 and rdlen == 4:
            addrs.append(socket.inet_ntoa(msg[off:off + 4]))
        off += rdlen
    return rcode, addrs


def mode_many(a):
    expect = []
    for e in a.expect:
        n, _, addr = e.partition("=")
        expect.append((n, addr))
    rng = random.Random(0xD115)
    poll = select.poll()
    inflight = {}  # fd -> [sock, i, qid, name, want, sent_at, tries]
    answered = timeouts = wrong = bind_errors = retries = 0
    rcodes = {}
    samples = []
    nxt = 0
    t0 = time.monotonic()
    lat = []
    while (nxt < a.n or inflight) and time.monotonic() - t0 < a.deadline:
        while nxt < a.n and len(inflight) < a.inflight:
            name, want = expect[nxt % len(expect)]
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                s.bind(("0.0.0.0", a.first_port + nxt if a.first_port else 0))
            except OSError as e:
                bind_errors += 1
                if len(samples) < 5:
                    samples.append(f"query {nxt}: bind: {e!r}")
                s.close()
                nxt += 1
                continue
            s.setblocking(False)
            qid = rng.randrange(1 << 16)
            s.sendto(query(qid, name), (a.server, a.port))
            inflight[s.fileno()] = [s, nxt, qid, name, want, time.monotonic(), 0]
            poll.register(s, select.POLLIN)
            nxt += 1
        oldest = min(v[5] for v in inflight.values()) if inflight else time.monotonic()
        wait_ms = max(0, int((oldest + a.timeout - time.monotonic()) * 1000))
        for fd, _ in poll.poll(wait_ms):
            v = inflight.get(fd)
            if v is None:
                continue
            s, i, qid, name, want, at, _ = v
            try:
                msg = s.recv(4096)
            except OSError as e:
                msg = None
                err = repr(e)
            done = True
            if msg is None:
                wrong += 1
                if len(samples) < 5:
                    samples.append(f"query {i} {name}: {err}")
            else:
                try:
                    rcode, addrs = parse_answer(msg, qid, name)
                except (ValueError, struct.error, IndexError) as e:
                    done = False  # not ours (stale or garbage): keep waiting
                    if len(samples) < 5:
                        samples.append(f"query {i} {name}: unparsable answer: {e}")
                else:
                    rcodes[rcode] = rcodes.get(rcode, 0) + 1
                    if rcode == 0 and want in addrs:
                        answered += 1
                        lat.append(time.monotonic() - at)
                    else:
                        wrong += 1
                        if len(samples) < 5:
                            samples.append(f"query {i} {name}: rcode {rcode} {addrs}")
            if done:
                poll.unregister(s)
                del inflight[fd]
                s.close()
        now = time.monotonic()
        for fd, v in list(inflight.items()):
            s, i, qid, name, want, at, tries = v
            if now - at < a.timeout:
                continue
            if tries < a.retries:
                s.sendto(query(qid, name), (a.server, a.port))
                v[5], v[6] = now, tries + 1
                retries += 1
                continue
            timeouts += 1
            if len(samples) < 5:
                samples.append(f"query {i} {name} from port {s.getsockname()[1]}: timeout")
            poll.unregister(s)
            del inflight[fd]
            s.close()
    dt = time.monotonic() - t0
    unfinished = a.n - answered - timeouts - wrong - bind_errors
    for s in samples:
        print(s, flush=True)
    lat.sort()
    p50 = lat[len(lat) // 2] * 1000 if lat else 0
    p99 = lat[int(len(lat) * 0.99)] * 1000 if lat else 0
    line = (f"answered {answered}/{a.n} in {dt:.1f}s, timeouts {timeouts}, wrong {wrong}, "
            f"bind errors {bind_errors}, unfinished {unfinished}, retries {retries}, "
            f"rcodes {dict(sorted(rcodes.items()))}, latency p50 {p50:.1f} ms p99 {p99:.1f} ms")
    ok = answered == a.n
    print(("ok " if ok else "FAIL ") + line, flush=True)
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("many")
    p.add_argument("server")
    p.add_argument("n", type=int)
    p.add_argument("--expect", action="append", required=True)
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--first-port", type=int, default=20000)
    p.add_argument("--inflight", type=int, default=32)
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--retries", type=int, default=0)
    p.add_argument("--deadline", type=float, default=60.0)
    a = ap.parse_args()
    if a.first_port and a.first_port + a.n > 65536:
        ap.error("--first-port + N exceeds 65535")
    return mode_many(a)


if __name__ == "__main__":
    sys.exit(main())
