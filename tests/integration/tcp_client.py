#!/usr/bin/env python3
"""tcp_client.py - guest-side TCP clients for broth's TCP tests.

    tcp_client.py probe ADDR PORT [TIMEOUT]
        one connect() to an IPv4 or IPv6 ADDR; prints "<outcome> <ms>" where
        outcome is connected, refused, timeout or the errno name; exit 0 (the
        test judges)
    tcp_client.py many ADDR PORT N SIZE HOLDFILE GOFILE
        N connections open at once; each sends SIZE unique bytes and checks
        the echo; with all N still open writes "<connected> <echoed>" to
        HOLDFILE, waits (bounded) for GOFILE, then closes them all; prints
        "ok ..." or "FAIL ..."
    tcp_client.py halfclose ADDR PORT      send a request, shutdown(SHUT_WR),
                                           read the whole reply until EOF
    tcp_client.py host-halfclose ADDR PORT read until the server's EOF, then
                                           still send our answer
    tcp_client.py reset ADDR PORT          send "hello\\n", read "ready\\n",
                                           close with SO_LINGER {1, 0}
    tcp_client.py expect-reset ADDR PORT   send "hello\\n"; recv must raise
                                           ECONNRESET
Every wait is bounded (TIMEOUT s). Exit 0 only when the line says "ok".
"""
import asyncio
import errno
import hashlib
import os
import socket
import struct
import sys
import time

from tcp_server import (GREETING_BYTES, TIMEOUT, answer_for, data, raise_nofile,
                        recv_line, recv_until_eof, reply_for, result)

REQUEST_BYTES = 1 << 20


def connect(addr, port):
    s = socket.create_connection((addr, port), timeout=TIMEOUT)
    s.settimeout(TIMEOUT)
    return s


def mode_probe(addr, port, timeout="2"):
    # IPv4 or IPv6 (a link-local address may carry its zone: fe80::1%eth0)
    family, _, _, _, sa = socket.getaddrinfo(addr, int(port), type=socket.SOCK_STREAM)[0]
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(float(timeout))
    t0 = time.monotonic()
    try:
        s.connect(sa)
        what = "connected"
    except ConnectionRefusedError:
        what = "refused"
    except socket.timeout:
        what = "timeout"
    except OSError as e:
        what = errno.errorcode.get(e.errno, str(e.errno))
    ms = (time.monotonic() - t0) * 1000
    s.close()
    print(f"{what} {ms:.1f}", flush=True)
    return 0


def mode_many(addr, port, n, size, holdfile, gofile):
    n, size, port = int(n), int(size), int(port)
    raise_nofile(n + 256)
    errors = []

    async def open_one(i):
        try:
            return await asyncio.wait_for(asyncio.open_connection(addr, port), TIMEOUT)
        except (OSError, asyncio.TimeoutError) as e:
            errors.append(f"conn {i}: connect: {e!r}")
            return None

    async def echo_one(i, rw):
        r, w = rw
        want = data(f"conn-{i}", size)
        try:
            w.write(want)
            await w.drain()
            got = await asyncio.wait_for(r.readexactly(size), TIMEOUT)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
            errors.append(f"conn {i}: echo: {e!r}")
            return False
        if got != want:
            errors.append(f"conn {i}: echo differs")
            return False
        return True

    async def run():
        t0 = time.monotonic()
        conns = await asyncio.gather(*(open_one(i) for i in range(n)))
        up = [(i, c) for i, c in enumerate(conns) if c]
        t1 = time.monotonic()
        oks = await asyncio.gather(*(echo_one(i, c) for i, c in up))
        t2 = time.monotonic()
        good = sum(oks)
        with open(holdfile, "w") as f:
            f.write(f"{len(up)} {good}\n")
        deadline = time.monotonic() + 60
        while not os.path.exists(gofile) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for _, (_, w) in up:
            w.close()
        for _, (_, w) in up:
            try:
                await asyncio.wait_for(w.wait_closed(), TIMEOUT)
            except (OSError, asyncio.TimeoutError):
                pass
        msg = (f"{len(up)}/{n} connected at once in {t1 - t0:.2f}s, {good}/{n} "
               f"echoed {size} bytes intact in {t2 - t1:.2f}s")
        for e in errors[:10]:
            print("  " + e, flush=True)
        return result(good == n and not errors, msg)

    return asyncio.run(run())


def mode_halfclose(addr, port):
    s = connect(addr, int(port))
    req = data("request", REQUEST_BYTES)
    s.sendall(req)
    s.shutdown(socket.SHUT_WR)
    _, n, got = recv_until_eof(s)
    s.close()
    want = reply_for(hashlib.sha256(req).hexdigest(), len(req))
    return result(got == want, f"sent {len(req)} bytes + FIN, then read {n} bytes "
                  f"until EOF (want {len(want)}, {'match' if got == want else 'MISMATCH'})")


def mode_host_halfclose(addr, port):
    s = connect(addr, int(port))
    _, n, greeting = recv_until_eof(s)
    if greeting != data("greeting", GREETING_BYTES):
        return result(False, f"greeting of {n} bytes differs (want {GREETING_BYTES})")
    ans = answer_for(greeting)
    s.sendall(ans)
    s.close()
    return result(True, f"read {n} bytes until the server's EOF, then sent {len(ans)}")


def mode_reset(addr, port):
    s = connect(addr, int(port))
    s.sendall(b"hello\n")
    line = recv_line(s)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    return result(line == b"ready\n", f"read {line!r}, closed with RST")


def mode_expect_reset(addr, port):
    s = connect(addr, int(port))
    s.sendall(b"hello\n")
    try:
        b = s.recv(4096)
    except ConnectionResetError:
        return result(True, "recv: ECONNRESET")
    except socket.timeout:
        return result(False, f"recv: timeout after {TIMEOUT}s")
    return result(False, f"recv returned {b!r} (EOF or data), not ECONNRESET")


MODES = {
    "probe": mode_probe,
    "many": mode_many,
    "halfclose": mode_halfclose,
    "host-halfclose": mode_host_halfclose,
    "reset": mode_reset,
    "expect-reset": mode_expect_reset,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in MODES:
        sys.exit("usage: tcp_client.py " + "|".join(MODES) + " ARGS...")
    try:
        sys.exit(MODES[sys.argv[1]](*sys.argv[2:]))
    except (OSError, ValueError, TypeError) as e:
        print(f"FAIL {sys.argv[1]}: {e!r}", flush=True)
        sys.exit(1)
