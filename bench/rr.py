#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""rr.py - request/response latency over TCP or UDP, IPv4 or IPv6

sockperf 3.7 (Debian 12) takes no IPv6 address, so bench/ipv6.sh measures
both families with this one tool instead: the same code path for each, so
their ratio means something even though Python adds its own microseconds.

  rr.py server --tcp|--udp ADDR PORT [--seconds S]
  rr.py client --tcp|--udp ADDR PORT --seconds S [--size 64]

The client sends SIZE bytes, waits for them to come back, and repeats for S
seconds; it prints one JSON line: transactions, tps, and RTT p50/p90/p99 in
microseconds. The server echoes until S seconds pass (default 600).
"""
import argparse
import json
import socket
import statistics
import sys
import time


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("peer closed")
        buf += chunk
    return buf


def server(a):
    deadline = time.monotonic() + a.seconds
    s = socket.socket(family(a.addr),
                      socket.SOCK_STREAM if a.tcp else socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.addr, a.port))
    s.settimeout(1.0)
    if not a.tcp:
        while time.monotonic() < deadline:
            try:
                data, peer = s.recvfrom(65536)
            except socket.timeout:
                continue
            s.sendto(data, peer)
        return 0
    s.listen(8)
    while time.monotonic() < deadline:
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c.settimeout(5.0)
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    break
                c.sendall(data)
        except (OSError, ConnectionError):
            pass
        c.close()
    return 0


def client(a):
    s = socket.socket(family(a.addr),
                      socket.SOCK_STREAM if a.tcp else socket.SOCK_DGRAM)
    s.settimeout(2.0)
    s.connect((a.addr, a.port))
    if a.tcp:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    msg = bytes(a.size)
    rtts = []
    lost = 0
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        t0 = time.perf_counter_ns()
        s.send(msg)
        try:
            if a.tcp:
                recv_exact(s, a.size)
            else:
                s.recv(65536)
        except socket.timeout:
            lost += 1
            continue
        rtts.append((time.perf_counter_ns() - t0) / 1000.0)
    if not rtts:
        print(json.dumps({"error": "no replies", "lost": lost}))
        return 1
    q = statistics.quantiles(rtts, n=100)
    print(json.dumps({"transactions": len(rtts), "lost": lost,
                      "tps": round(len(rtts) / a.seconds, 1),
                      "p50_us": round(q[49], 1), "p90_us": round(q[89], 1),
                      "p99_us": round(q[98], 1)}))
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["server", "client"])
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--tcp", action="store_true")
    g.add_argument("--udp", action="store_true")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--seconds", type=float, default=600)
    p.add_argument("--size", type=int, default=64)
    a = p.parse_args()
    return server(a) if a.mode == "server" else client(a)


if __name__ == "__main__":
    sys.exit(main())
