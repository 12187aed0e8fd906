#!/usr/bin/env python3
"""udp_echo.py - UDP peers for broth's UDP tests.

    udp_echo.py server PORT [--count N] [--timeout S] [--bind ADDR] [--silent]
        bind ADDR:PORT (default 127.0.0.1) and send every datagram back to its
        sender (with --silent: read and drop it); a pull request (see pull)
        is answered with the datagram it asks for instead;
        exit after N datagrams (default: unbounded), after S seconds
        without a datagram (default 30), or on SIGTERM; prints
        "echo: served N, bytes B"
    udp_echo.py client ADDR PORT N [--timeout S] [--retries R] [--window W]
                       [--max-size M]
        send N datagrams whose sizes cycle through SIZES (below), each with
        deterministic content, and check every echo byte for byte; a
        datagram whose echo does not come within S seconds (default 0.5) is
        sent again, at most R times (default 3). W datagrams (default 1) are
        in flight at once. Prints "ok sent N, echoed E, lost L, mismatched M,
        retries T, bytes B in Xs" (or FAIL ...); exit 0 only on "ok" (lost 0,
        mismatched 0). --max-size M folds the sizes into 1..M (a size s above
        M becomes (s - 1) % M + 1), e.g. to stay within one IPv6 frame
    udp_echo.py sizes N [--max-size M]
        print the size sequence the client uses, one per line
    udp_echo.py pull ADDR PORT SIZE N [--timeout S] [--retries R]
        N small requests (18 bytes), each asking the server for datagram seq
        of SIZE bytes (the client's content for seq); each answer must come
        within S seconds (default 1; asked again at most R times, default 3)
        and match byte for byte: large answers to small requests (IPv6
        fragmentation toward the guest). Prints "ok N/N pulled, bytes B" or
        FAIL
    udp_echo.py refused ADDR PORT [--timeout S]
        a connected UDP socket sends one datagram to ADDR:PORT; prints
        "refused" when recv() fails with ECONNREFUSED, else what happened
        ("timeout", "data" or the errno name); exit 0 only on "refused"
    udp_echo.py alternate ADDR OPEN CLOSED N [--timeout S]
        one unconnected socket sends, N times, a datagram to the closed port
        CLOSED and right after it one to the echo server on OPEN, and waits
        for that echo (no retry); gives up after 10 missing echoes; prints
        "ok N/N echoed" or "FAIL E/N echoed"
    udp_echo.py ports ADDR PORT K [--timeout S]
        K sockets, each from its own source port, send one datagram to
        ADDR:PORT and wait for the echo; prints "ok K/K echoed" or FAIL

ADDR may be IPv4 or IPv6 (also link-local with a zone, fe80::1%eth0).

Every wait is bounded; the seed is fixed, so runs are reproducible.
"""
import argparse
import errno
import random
import select
import struct
import signal
import socket
import sys
import time

# sizes every run covers, in this order, before the random ones
FIXED_SIZES = [1, 2, 100, 1472, 1473, 1500, 8000, 9000, 30000, 65000,
               3, 4, 5, 548, 1471, 1480, 1481, 2944, 2945, 64999, 16384]
MAX_SIZE = 65000
SEED = 0xB207
PULL_MAGIC = b"BROTH-PULL"     # + seq, size (2 x 4 bytes): a pull request


def sizes(n, max_size=MAX_SIZE):
    """the size of datagram i for i in 0..n-1: FIXED_SIZES, then a
    reproducible mix: half uniform in 1..MAX_SIZE, half log-uniform (many
    small and around-MTU sizes); sizes above max_size are folded into it"""
    rng = random.Random(SEED)
    out = []
    for i in range(n):
        if i < len(FIXED_SIZES):
            out.append(FIXED_SIZES[i])
        elif i % 2:
            out.append(rng.randint(1, MAX_SIZE))
        else:
            out.append(min(MAX_SIZE, max(1, int(2 ** rng.uniform(0, 16)))))
    return [s if s <= max_size else (s - 1) % max_size + 1 for s in out]


def udp_socket(addr):
    """an unbound UDP socket of ADDR's family, its sockaddr for ADDR:port"""
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    return socket.socket(family, socket.SOCK_DGRAM)


def sockaddr(addr, port):
    """(addr, port) for IPv4, the 4-tuple with the zone for IPv6"""
    return socket.getaddrinfo(addr, port, type=socket.SOCK_DGRAM)[0][4]


_POOL = random.Random(SEED + 1).randbytes(2 * MAX_SIZE + 4096)


def payload(seq, size):
    """datagram seq: its sequence number (4 bytes, when it fits), then bytes
    from a fixed random pool at an offset that depends on seq"""
    head = seq.to_bytes(4, "big")
    off = (seq * 7919) % 4096
    body = _POOL[off:off + size]
    if size >= 4:
        return head + body[4:size]
    return bytes((b ^ h) & 0xFF for b, h in zip(body[:size], head[-size:]))


def mode_server(port, count, timeout, bind, silent=False):
    s = udp_socket(bind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    s.bind(sockaddr(bind, port))
    served = nbytes = 0
    stop = False

    def on_term(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    s.settimeout(0.2)
    last = time.monotonic()
    while not stop and (count is None or served < count):
        if time.monotonic() - last > timeout:
            print(f"echo: idle {timeout}s", flush=True)
            break
        try:
            data, peer = s.recvfrom(1 << 16)
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        last = time.monotonic()
        if len(data) == len(PULL_MAGIC) + 8 and data.startswith(PULL_MAGIC):
            seq, size = struct.unpack("!II", data[len(PULL_MAGIC):])
            data = payload(seq, min(size, MAX_SIZE))
        elif silent:
            served += 1
            nbytes += len(data)
            continue
        try:
            s.sendto(data, peer)
        except OSError as e:
            print(f"echo: sendto {peer}: {e!r}", flush=True)
            continue
        served += 1
        nbytes += len(data)
    print(f"echo: served {served}, bytes {nbytes}", flush=True)
    return 0


def mode_client(addr, port, n, timeout, retries, window, max_size=MAX_SIZE):
    s = udp_socket(addr)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    s.connect(sockaddr(addr, port))
    s.setblocking(False)
    sz = sizes(n, max_size)
    want = {}          # seq -> (payload, sent_at, tries) for in-flight ones
    done = set()       # seqs already echoed (late duplicates are ignored)
    echoed = lost = mismatched = total_retries = nbytes = 0
    mismatches = []
    nxt = 0
    t0 = time.monotonic()
    deadline = t0 + max(60.0, n * 0.02)
    poll = select.poll()
    poll.register(s, select.POLLIN)

    def send(seq):
        p = payload(seq, sz[seq])
        s.send(p)
        return p

    while (nxt < n or want) and time.monotonic() < deadline:
        while nxt < n and len(want) < window:
            want[nxt] = (send(nxt), time.monotonic(), 0)
            nxt += 1
        now = time.monotonic()
        first = min(v[1] for v in want.values())
        wait_ms = max(0, int((first + timeout - now) * 1000))
        if poll.poll(wait_ms):
            while True:
                try:
                    data = s.recv(1 << 16)
                except BlockingIOError:
                    break
                except ConnectionRefusedError as e:
                    print(f"FAIL recv: {e!r}", flush=True)
                    return 1
                seq = None
                if len(data) >= 4:
                    seq = int.from_bytes(data[:4], "big")
                    if seq not in want and seq not in done:
                        seq = None
                else:
                    for k, v in want.items():
                        if v[0] == data:
                            seq = k
                            break
                    if seq is None and any(k in done and sz[k] == len(data) and
                                           payload(k, sz[k]) == data
                                           for k in range(max(0, nxt - 256), nxt)):
                        continue  # late echo of a tiny one already counted
                if seq is not None and seq in done:
                    continue  # echo of a retransmission
                if seq is None or want[seq][0] != data:
                    mismatched += 1
                    if len(mismatches) < 5:
                        mismatches.append(f"len {len(data)} head {data[:8].hex()}")
                    continue
                del want[seq]
                done.add(seq)
                echoed += 1
                nbytes += len(data)
        now = time.monotonic()
        for seq, (p, at, tries) in list(want.items()):
            if now - at < timeout:
                continue
            if tries >= retries:
                lost += 1
                del want[seq]
                done.add(seq)
                if lost <= 10:
                    print(f"lost: seq {seq} size {sz[seq]}", flush=True)
                continue
            s.send(p)
            total_retries += 1
            want[seq] = (p, now, tries + 1)
    dt = time.monotonic() - t0
    unfinished = n - echoed - lost
    line = (f"sent {n}, echoed {echoed}, lost {lost}, mismatched {mismatched}, "
            f"retries {total_retries}, bytes {nbytes} in {dt:.1f}s")
    for m in mismatches:
        print(f"mismatch: {m}", flush=True)
    if lost or mismatched or unfinished:
        print(f"FAIL {line}, unfinished {unfinished}", flush=True)
        return 1
    print(f"ok {line}", flush=True)
    return 0


def mode_pull(addr, port, size, n, timeout, retries):
    s = udp_socket(addr)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.connect(sockaddr(addr, port))
    s.settimeout(timeout)
    ok = nbytes = asked = 0
    bad = []
    t0 = time.monotonic()
    for seq in range(n):
        want = payload(seq, size)
        req = PULL_MAGIC + struct.pack("!II", seq, size)
        for _ in range(retries + 1):
            s.send(req)
            asked += 1
            try:
                while True:
                    data = s.recv(1 << 16)
                    if data == want:
                        break
                    if len(bad) < 5:
                        bad.append(f"seq {seq}: got {len(data)} bytes, "
                                   f"head {data[:8].hex()}")
            except socket.timeout:
                continue
            except OSError as e:
                print(f"FAIL recv: {e!r}", flush=True)
                return 1
            ok += 1
            nbytes += len(data)
            break
    for b in bad:
        print(f"unexpected: {b}", flush=True)
    line = (f"{ok}/{n} pulled, {size} bytes each, {asked} requests, "
            f"bytes {nbytes} in {time.monotonic() - t0:.1f}s")
    print(("ok " if ok == n else "FAIL ") + line, flush=True)
    return 0 if ok == n else 1


def mode_refused(addr, port, timeout):
    s = udp_socket(addr)
    s.connect(sockaddr(addr, port))
    s.settimeout(timeout)
    t0 = time.monotonic()
    try:
        s.send(b"anyone there?\n")
        s.recv(2048)
        what = "data"
    except ConnectionRefusedError:
        what = "refused"
    except socket.timeout:
        what = "timeout"
    except OSError as e:
        what = errno.errorcode.get(e.errno, str(e.errno))
    ms = (time.monotonic() - t0) * 1000
    print(f"{what} {ms:.1f}", flush=True)
    return 0 if what == "refused" else 1


def mode_alternate(addr, port_open, port_closed, n, timeout):
    s = udp_socket(addr)
    s.settimeout(timeout)
    ok = 0
    missed = []
    for i in range(n):
        msg = f"alternate-{i}".encode()
        s.sendto(b"nobody", sockaddr(addr, port_closed))
        s.sendto(msg, sockaddr(addr, port_open))
        try:
            while True:
                data, _ = s.recvfrom(2048)
                if data == msg:
                    ok += 1
                    break
        except socket.timeout:
            missed.append(i)
            if len(missed) >= 10:
                print(f"giving up after {i + 1} rounds", flush=True)
                break
        except OSError as e:
            print(f"FAIL recvfrom: {e!r}", flush=True)
            return 1
    if missed:
        print(f"missed: {missed[:20]}", flush=True)
    print(("ok " if ok == n else "FAIL ") + f"{ok}/{n} echoed", flush=True)
    return 0 if ok == n else 1


def mode_ports(addr, port, k, timeout):
    socks = []
    ok = 0
    try:
        for i in range(k):
            s = udp_socket(addr)
            s.settimeout(timeout)
            s.connect(sockaddr(addr, port))
            socks.append(s)
            msg = f"port-{i}-{s.getsockname()[1]}".encode()
            for _ in range(3):
                s.send(msg)
                try:
                    if s.recv(2048) == msg:
                        ok += 1
                        break
                except socket.timeout:
                    continue
        line = f"{ok}/{k} echoed"
        print(("ok " if ok == k else "FAIL ") + line, flush=True)
        return 0 if ok == k else 1
    finally:
        for s in socks:
            s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("server")
    p.add_argument("port", type=int)
    p.add_argument("--count", type=int, default=None)
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--silent", action="store_true")
    p = sub.add_parser("client")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("n", type=int)
    p.add_argument("--timeout", type=float, default=0.5)
    p.add_argument("--retries", type=int, default=3)
    p.add_argument("--window", type=int, default=1)
    p.add_argument("--max-size", type=int, default=MAX_SIZE)
    p = sub.add_parser("sizes")
    p.add_argument("n", type=int)
    p.add_argument("--max-size", type=int, default=MAX_SIZE)
    p = sub.add_parser("pull")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("size", type=int)
    p.add_argument("n", type=int)
    p.add_argument("--timeout", type=float, default=1.0)
    p.add_argument("--retries", type=int, default=3)
    p = sub.add_parser("refused")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--timeout", type=float, default=3.0)
    p = sub.add_parser("alternate")
    p.add_argument("addr")
    p.add_argument("port_open", type=int)
    p.add_argument("port_closed", type=int)
    p.add_argument("n", type=int)
    p.add_argument("--timeout", type=float, default=0.5)
    p = sub.add_parser("ports")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("k", type=int)
    p.add_argument("--timeout", type=float, default=1.0)
    a = ap.parse_args()
    if a.mode == "server":
        return mode_server(a.port, a.count, a.timeout, a.bind, a.silent)
    if a.mode == "client":
        return mode_client(a.addr, a.port, a.n, a.timeout, a.retries, a.window,
                           a.max_size)
    if a.mode == "sizes":
        for x in sizes(a.n, a.max_size):
            print(x)
        return 0
    if a.mode == "pull":
        if not 1 <= a.size <= MAX_SIZE:
            ap.error(f"pull: SIZE must be 1..{MAX_SIZE}")
        return mode_pull(a.addr, a.port, a.size, a.n, a.timeout, a.retries)
    if a.mode == "refused":
        return mode_refused(a.addr, a.port, a.timeout)
    if a.mode == "alternate":
        return mode_alternate(a.addr, a.port_open, a.port_closed, a.n, a.timeout)
    if a.mode == "ports":
        return mode_ports(a.addr, a.port, a.k, a.timeout)
    return 2


if __name__ == "__main__":
    sys.exit(main())
