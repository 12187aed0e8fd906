#!/usr/bin/env python3
"""tcp_server.py - host-side TCP peers for broth's TCP tests.

    tcp_server.py echo PORT            echo every connection until EOF, then
                                       close; serves until SIGTERM, then
                                       prints "echo: served N, errors E"
    tcp_server.py halfclose PORT       one connection: read until EOF, then
                                       send "<sha256> <n>\\n" + reply(sha, n)
                                       and close
    tcp_server.py host-halfclose PORT  one connection: send GREETING_BYTES,
                                       shutdown(SHUT_WR), read until EOF and
                                       check it is answer(greeting)
    tcp_server.py expect-reset PORT    one connection: read "hello\\n", send
                                       "ready\\n", next recv must raise
                                       ECONNRESET
    tcp_server.py reset PORT           one connection: read "hello\\n", then
                                       close with SO_LINGER {1, 0} (RST)

Binds 127.0.0.1. Single-connection modes print one result line ("ok ..." or
"FAIL ...") and exit 0 only on "ok"; every wait is bounded by TIMEOUT s.
The data helpers are shared with tcp_client.py.
"""
import asyncio
import hashlib
import resource
import signal
import socket
import struct
import sys

TIMEOUT = 20
GREETING_BYTES = 3 << 20   # host-halfclose: host -> guest before host FIN
REPLY_BYTES = 4 << 20      # halfclose: host -> guest after guest FIN


def data(tag, n):
    """n deterministic bytes named by tag (str or bytes)"""
    if isinstance(tag, str):
        tag = tag.encode()
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha512(tag + struct.pack("!Q", i)).digest()
        i += 1
    return bytes(out[:n])


def reply_for(sha_hex, n):
    """the halfclose reply: a function of what the server read"""
    return f"{sha_hex} {n}\n".encode() + data(f"reply:{sha_hex}:{n}", REPLY_BYTES)


def answer_for(greeting):
    """host-halfclose: what the guest sends back for a greeting"""
    return data("answer:" + hashlib.sha256(greeting).hexdigest(), len(greeting) // 2)


def raise_nofile(want=8192):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))


def recv_until_eof(s):
    h, n, chunks = hashlib.sha256(), 0, []
    while True:
        b = s.recv(1 << 16)
        if not b:
            return h.hexdigest(), n, b"".join(chunks)
        h.update(b)
        n += len(b)
        chunks.append(b)


def recv_line(s, limit=64):
    buf = b""
    while not buf.endswith(b"\n") and len(buf) < limit:
        b = s.recv(1)
        if not b:
            break
        buf += b
    return buf


def listener(port):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    ls.settimeout(TIMEOUT)
    return ls


def accept_one(port):
    with listener(port) as ls:
        s, _ = ls.accept()
    s.settimeout(TIMEOUT)
    return s


def result(ok, msg):
    print(("ok " if ok else "FAIL ") + msg, flush=True)
    return 0 if ok else 1


def mode_halfclose(port):
    s = accept_one(port)
    sha, n, _ = recv_until_eof(s)
    s.sendall(reply_for(sha, n))
    s.close()
    return result(True, f"read {n} bytes until EOF (sha256 {sha[:16]}), "
                  f"replied {REPLY_BYTES} bytes")


def mode_host_halfclose(port):
    s = accept_one(port)
    greeting = data("greeting", GREETING_BYTES)
    s.sendall(greeting)
    s.shutdown(socket.SHUT_WR)
    _, n, got = recv_until_eof(s)
    s.close()
    want = answer_for(greeting)
    return result(got == want, f"after our FIN, read {n} bytes "
                  f"(want {len(want)}, {'match' if got == want else 'MISMATCH'})")


def mode_expect_reset(port):
    s = accept_one(port)
    line = recv_line(s)
    if line != b"hello\n":
        return result(False, f"request {line!r}")
    s.sendall(b"ready\n")
    try:
        b = s.recv(4096)
    except ConnectionResetError:
        return result(True, "recv: ECONNRESET")
    except socket.timeout:
        return result(False, f"recv: timeout after {TIMEOUT}s")
    return result(False, f"recv returned {b!r} (EOF or data), not ECONNRESET")


def mode_reset(port):
    s = accept_one(port)
    line = recv_line(s)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    return result(line == b"hello\n", f"read {line!r}, closed with RST")


def mode_echo(port):
    raise_nofile()
    stats = {"served": 0, "errors": 0}

    async def handle(r, w):
        try:
            while True:
                b = await r.read(1 << 16)
                if not b:
                    break
                w.write(b)
                await w.drain()
            stats["served"] += 1
        except (ConnectionError, OSError):
            stats["errors"] += 1
        except asyncio.CancelledError:  # stopped with connections open
            stats["errors"] += 1
        finally:
            w.close()

    async def run():
        srv = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096,
                                         reuse_address=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        async with srv:
            await stop.wait()
        print(f"echo: served {stats['served']}, errors {stats['errors']}", flush=True)

    asyncio.run(run())
    return 0


MODES = {
    "echo": mode_echo,
    "halfclose": mode_halfclose,
    "host-halfclose": mode_host_halfclose,
    "expect-reset": mode_expect_reset,
    "reset": mode_reset,
}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in MODES:
        sys.exit("usage: tcp_server.py " + "|".join(MODES) + " PORT")
    try:
        sys.exit(MODES[sys.argv[1]](int(sys.argv[2])))
    except (OSError, ValueError) as e:
        print(f"FAIL {sys.argv[1]}: {e!r}", flush=True)
        sys.exit(1)
