#!/usr/bin/env python3
"""stream.py - a long TCP download with a throughput timeline, for broth's
flood, exhaustion, zero-window and soak tests.

    stream.py server PORT [--addr A]
        host side: each connection reads one line "<bytes> <seed>\\n" and
        gets <bytes> bytes of the deterministic stream named by <seed>
        (0: endless, until the client closes); threaded; SIGTERM stops it.
    stream.py client ADDR PORT --bytes N [--seed S] [--seconds T]
                     [--rate BPS] [--timeline FILE] [--interval I]
                     [--pause-at B --pause-for P] [--ready FILE]
        guest side: asks for N bytes (0: endless), checks every byte
        against the stream, and reads for at most T seconds. --rate paces
        reading (bytes/s; after a stall it catches up by 0.1 s worth at
        most). --timeline writes "<seconds> <total bytes>"
        every I s (default 0.25). --pause-at/--pause-for stop reading for
        P seconds once B bytes have arrived (a zero window from the guest).
        --ready FILE is written once the connection is up.
        Prints "ok <bytes> bytes intact in <s> s (<MiB/s>), sha256 <hex>"
        or "FAIL ...".
    stream.py rates TIMELINE FROM TO [--step S]
        MiB/s between the wall-clock times FROM and TO (seconds since the
        epoch, as `date +%s.%N` prints them) of a --timeline: prints
        "mean <m> median <md> min <lo> max <hi> windows <n>" over windows of S
        seconds (default 0.5); mean covers all of FROM..TO.
    stream.py sha BYTES [--seed S]   sha256 of the first BYTES of stream S

The stream is a 1 MiB block from the seed, repeated, so checking it costs a
memcmp; the sha256 covers every byte received.
"""
import argparse
import bisect
import hashlib
import random
import signal
import socket
import socketserver
import statistics
import sys
import time

BLOCK = 1 << 20
TIMEOUT = 30


def block(seed):
    return random.Random(seed).randbytes(BLOCK)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(3600)  # a guest may hold a zero window for minutes
        line = b""
        while not line.endswith(b"\n") and len(line) < 64:
            b = s.recv(1)
            if not b:
                return
            line += b
        try:
            n, seed = (int(x) for x in line.split())
        except ValueError:
            return
        blk = memoryview(block(seed))
        sent = 0
        try:
            while n == 0 or sent < n:
                k = BLOCK if n == 0 else min(BLOCK, n - sent)
                s.sendall(blk[:k])
                sent += k
            s.shutdown(socket.SHUT_WR)
            while s.recv(4096):
                pass
        except OSError:
            pass


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def mode_server(a):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    srv = Server((a.addr, a.port), Handler)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def mode_client(a):
    blk = block(a.seed)
    s = socket.create_connection((a.addr, a.port), timeout=TIMEOUT)
    s.settimeout(TIMEOUT if not a.pause_for else TIMEOUT + a.pause_for)
    s.sendall(f"{a.bytes} {a.seed}\n".encode())
    if a.ready:
        with open(a.ready, "w") as f:
            f.write("up\n")
    h = hashlib.sha256()
    buf = bytearray(BLOCK)
    mv = memoryview(buf)
    total, off, bad = 0, 0, None
    t0 = time.monotonic()
    deadline = t0 + a.seconds
    tl = open(a.timeline, "w") if a.timeline else None
    next_mark = t0
    paused = False
    ok = True
    why = ""
    pace0 = t0
    try:
        while a.bytes == 0 or total < a.bytes:
            now = time.monotonic()
            if now >= deadline:
                if a.bytes:
                    ok, why = False, f"deadline {a.seconds}s"
                break
            if tl and now >= next_mark:
                tl.write(f"{time.time():.3f} {total}\n")
                tl.flush()
                next_mark += a.interval
            if a.pause_at and not paused and total >= a.pause_at:
                paused = True
                end = min(now + a.pause_for, deadline)
                while time.monotonic() < end:  # do not read: zero window
                    if tl:
                        tl.write(f"{time.time():.3f} {total}\n")
                        tl.flush()
                    time.sleep(min(a.interval, max(0.0, end - time.monotonic())))
                continue
            want = BLOCK - off
            if a.rate:
                # time lost to a stall stays lost: the reader catches up by
                # at most 0.1 s worth, so a stalled flow shows in the rates
                if (now - pace0) * a.rate - total > 0.1 * a.rate:
                    pace0 = now - (total / a.rate + 0.1)
                ahead = total - (now - pace0) * a.rate
                if ahead > 0:
                    time.sleep(min(ahead / a.rate, 0.05))
                    continue
                want = min(want, 65536)
            if a.bytes:
                want = min(want, a.bytes - total)
            k = s.recv_into(mv[off:off + want])
            if not k:
                if a.bytes:
                    ok, why = False, "EOF early"
                break
            if mv[off:off + k] != blk[off:off + k]:
                bad = total
                ok, why = False, f"data differs near byte {bad}"
                break
            h.update(mv[off:off + k])
            total += k
            off = (off + k) % BLOCK
    except OSError as e:
        ok, why = False, repr(e)
    dt = time.monotonic() - t0
    if tl:
        tl.write(f"{time.time():.3f} {total}\n")
        tl.close()
    s.close()
    rate = total / dt / 1048576 if dt > 0 else 0
    msg = f"{total} bytes intact in {dt:.2f} s ({rate:.1f} MiB/s), sha256 {h.hexdigest()}"
    print(("ok " + msg) if ok else f"FAIL {why}: {msg}", flush=True)
    return 0 if ok else 1


def bytes_at(ts, bs, t):
    """bytes received by time t, interpolated between timeline samples"""
    i = bisect.bisect_left(ts, t)
    if i <= 0:
        return bs[0]
    if i >= len(ts):
        return bs[-1]
    t0, t1, b0, b1 = ts[i - 1], ts[i], bs[i - 1], bs[i]
    return b0 + (b1 - b0) * (t - t0) / (t1 - t0) if t1 > t0 else b1


def mode_rates(a):
    ts, bs = [], []
    with open(a.timeline) as f:
        for line in f:
            t, b = line.split()
            ts.append(float(t))
            bs.append(int(b))
    lo, hi = a.start, min(a.end, ts[-1]) if ts else a.end
    if not ts or hi - lo < a.step:
        print("mean 0 median 0 min 0 max 0 windows 0")
        return 1
    mib = 1048576
    win = []
    t = lo
    while t + a.step <= hi + 1e-9:
        win.append((bytes_at(ts, bs, t + a.step) - bytes_at(ts, bs, t)) / a.step / mib)
        t += a.step
    mean = (bytes_at(ts, bs, hi) - bytes_at(ts, bs, lo)) / (hi - lo) / mib
    print(f"mean {mean:.1f} median {statistics.median(win):.1f} min {min(win):.1f} "
          f"max {max(win):.1f} windows {len(win)}")
    return 0


def mode_sha(a):
    """sha256 of the first N bytes of stream S (what the client should see)"""
    blk = block(a.seed)
    h = hashlib.sha256()
    left = a.bytes
    while left:
        k = min(left, BLOCK)
        h.update(blk[:k])
        left -= k
    print(h.hexdigest())
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("server")
    s.add_argument("port", type=int)
    s.add_argument("--addr", default="127.0.0.1")
    c = sub.add_parser("client")
    c.add_argument("addr")
    c.add_argument("port", type=int)
    c.add_argument("--bytes", type=int, required=True)
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--seconds", type=float, default=60)
    c.add_argument("--rate", type=float, default=0)
    c.add_argument("--timeline")
    c.add_argument("--interval", type=float, default=0.25)
    c.add_argument("--pause-at", type=int, default=0)
    c.add_argument("--pause-for", type=float, default=0)
    c.add_argument("--ready")
    r = sub.add_parser("rates")
    r.add_argument("timeline")
    r.add_argument("start", type=float)
    r.add_argument("end", type=float)
    r.add_argument("--step", type=float, default=0.5)
    h = sub.add_parser("sha")
    h.add_argument("bytes", type=int)
    h.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    return {"server": mode_server, "client": mode_client, "rates": mode_rates,
            "sha": mode_sha}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
