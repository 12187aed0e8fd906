#!/usr/bin/env python3
"""flood.py - guest-side frame floods for broth's flood and exhaustion tests.

    flood.py syn IFACE GWMAC RATE SECONDS [--count N] [--listen-port P]
                 [--listen-pct PCT] [--avoid-port P]...
        TCP SYNs from the guest's address to random ports of the gateway
        (10.0.0.1 by default), RATE per second for SECONDS (at most --count
        frames), PCT % of them to port P (a listener that never accepts).
    flood.py replay IFACE GWMAC SECONDS [--count N] [--seed S] DIR...
        every *.bin under the DIRs (the fuzz corpora; the DNS messages of a
        corpus named dns go to the gateway's port 53 in UDP frames), plus
        truncations and byte mutations of them (some with their checksums
        made right again, so the mutation reaches the ARP, DHCP and DNS
        parsers), at full speed (at most --count frames, at most SECONDS);
        the Ethernet addresses are set to the gateway's (10 % broadcast) and
        the interface's, so broth takes them.
    flood.py mutants N SEED DIR... prints a summary of N generated mutants
        (for debugging the generator; sends nothing)

--mark FILE gets "<start> <end>" (epoch seconds) of the sending.
Frames go out through an AF_PACKET socket on IFACE (the guest's eth0), with
the guest's own MAC and address; checksums are right unless a mutation
breaks them. Prints one line: "sent N frames in S s (R/s)". Every loop is
bounded by both a frame count and the wall clock.
"""
import argparse
import glob
import os
import random
import socket
import struct
import sys
import time

BATCH = 64


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def iface_mac(iface):
    with open(f"/sys/class/net/{iface}/address") as f:
        return mac_bytes(f.read().strip())


def syn_frame(dmac, smac, src, dst, sport, dport, seq):
    opts = bytes([2, 4, 5, 0xb4, 4, 2, 1, 3, 3, 7])  # MSS 1460, SACK ok, WS 7
    opts += bytes(-len(opts) % 4)
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, 0,
                      ((20 + len(opts)) // 4) << 4, 0x02, 64240, 0, 0) + opts
    ph = src + dst + struct.pack("!BBH", 0, 6, len(seg))
    seg = seg[:16] + struct.pack("!H", csum(ph + seg)) + seg[18:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), sport, 0x4000,
                      64, 6, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return dmac + smac + b"\x08\x00" + hdr + seg


def open_sock(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    return s


def send_paced(sock, frames, rate, seconds, count, mark=None):
    """send frames (cycled) at about rate/s; bounded by count and wall clock;
    mark: a file that gets "<start> <end>" (epoch seconds) of the sending"""
    n, i, errs = 0, 0, 0
    wall0 = time.time()
    t0 = time.monotonic()
    deadline = t0 + seconds
    nf = len(frames)
    send = sock.send
    while n < count:
        now = time.monotonic()
        if now >= deadline:
            break
        due = int((now - t0) * rate) if rate else count
        if n >= due:
            time.sleep(min(0.001, deadline - now))
            continue
        k = min(BATCH, due - n, count - n)
        for _ in range(k):
            try:
                send(frames[i])
            except (BlockingIOError, OSError):
                errs += 1  # tap queue full: the kernel dropped it
            i += 1
            if i == nf:
                i = 0
        n += k
    if mark:
        with open(mark, "w") as f:
            f.write(f"{wall0:.3f} {time.time():.3f}\n")
    return n, errs, time.monotonic() - t0


def mode_syn(a):
    smac = iface_mac(a.iface)
    dmac = mac_bytes(a.gwmac)
    src, dst = socket.inet_aton(a.src), socket.inet_aton(a.dst)
    rnd = random.Random(a.seed)
    avoid = set(a.avoid_port)
    frames = []
    for _ in range(a.distinct):
        if a.listen_port and rnd.random() * 100 < a.listen_pct:
            dport = a.listen_port
        else:
            dport = rnd.randrange(1, 65536)
            while dport in avoid or dport == a.listen_port:
                dport = rnd.randrange(1, 65536)
        sport = rnd.randrange(1024, 65536)
        frames.append(syn_frame(dmac, smac, src, dst, sport, dport,
                                rnd.getrandbits(32)))
    s = open_sock(a.iface)
    n, errs, dt = send_paced(s, frames, a.rate, a.seconds, a.count, a.mark)
    print(f"sent {n} frames in {dt:.2f} s ({n / dt:.0f}/s), "
          f"{errs} send errors, {len(frames)} distinct SYNs", flush=True)
    return 0


def udp_frame(dmac, smac, src, dst, sport, dport, payload):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 0x4242, 0x4000,
                      64, 17, 0, src, dst)
    return fix_csums(bytearray(dmac + smac + b"\x08\x00" + hdr + seg))


def fix_csums(b):
    """make the IPv4 header and TCP/UDP/ICMP checksums of frame b right again
    (as far as its lengths allow), so a mutation reaches the parsers behind"""
    if len(b) < 34 or b[12:14] != b"\x08\x00" or b[14] >> 4 != 4:
        return b
    ihl = (b[14] & 15) * 4
    if ihl < 20 or len(b) < 14 + ihl:
        return b
    b[24:26] = b"\0\0"
    b[24:26] = struct.pack("!H", csum(bytes(b[14:14 + ihl])))
    tot = struct.unpack("!H", b[16:18])[0]
    end = min(len(b), 14 + tot)
    l4, proto = 14 + ihl, b[23]
    off = {6: 16, 17: 6, 1: 2}.get(proto)
    if off is None or end < l4 + off + 2:
        return b
    b[l4 + off:l4 + off + 2] = b"\0\0"
    seg = bytes(b[l4:end])
    ph = bytes(b[26:34]) + struct.pack("!BBH", 0, proto, len(seg))
    ck = csum(seg) if proto == 1 else csum(ph + seg)
    if proto == 17 and ck == 0:
        ck = 0xffff
    b[l4 + off:l4 + off + 2] = struct.pack("!H", ck)
    return b


def load_seeds(dirs, dmac, smac):
    """the *.bin files under dirs; a corpus named dns holds DNS messages,
    which become queries to the gateway's port 53"""
    seeds = []
    for d in dirs:
        dns = os.path.basename(os.path.normpath(d)) == "dns"
        for p in sorted(glob.glob(os.path.join(d, "*.bin"))):
            with open(p, "rb") as f:
                b = f.read()
            if dns:
                b = bytes(udp_frame(dmac, smac, socket.inet_aton("10.0.0.2"),
                                    socket.inet_aton("10.0.0.1"), 40000 + len(seeds),
                                    53, b))
            if b:
                seeds.append(b)
    return seeds


def mutants(seeds, n, seed, dmac, smac):
    """n frames: seeds, their truncations and byte mutations (deterministic)"""
    rnd = random.Random(seed)
    out = []
    for k in range(n):
        b = bytearray(seeds[k % len(seeds)])
        kind = k % 6
        if kind == 1:    # truncated anywhere, headers included
            b = b[:rnd.randrange(0, len(b))]
        elif kind == 2:  # a few random bytes changed
            for _ in range(rnd.randrange(1, 9)):
                b[rnd.randrange(len(b))] = rnd.randrange(256)
        elif kind == 3:  # header bytes changed (after the MAC addresses)
            for _ in range(rnd.randrange(1, 4)):
                j = rnd.randrange(12, min(len(b), 60))
                b[j] = rnd.randrange(256)
        elif kind == 4:  # garbage tail
            b += bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 64)))
        elif kind == 5:  # bytes past the IP header changed, checksums right
            for _ in range(rnd.randrange(1, 6)):
                if len(b) > 42:
                    b[rnd.randrange(42, len(b))] = rnd.randrange(256)
            if rnd.random() < 0.5:
                b = b[:rnd.randrange(min(len(b), 34), len(b) + 1)]
            b = fix_csums(b)
        if len(b) >= 12:
            b[0:6] = dmac if rnd.random() < 0.9 else b"\xff" * 6
            b[6:12] = smac
        out.append(bytes(b))
    return out


def mode_replay(a):
    dmac, smac = mac_bytes(a.gwmac), iface_mac(a.iface)
    seeds = load_seeds(a.dirs, dmac, smac)
    if not seeds:
        print("FAIL no *.bin seeds under " + " ".join(a.dirs), flush=True)
        return 1
    frames = mutants(seeds, a.distinct, a.seed, dmac, smac)
    frames = [f for f in frames if len(f) >= 14]   # AF_PACKET's minimum
    s = open_sock(a.iface)
    n, errs, dt = send_paced(s, frames, 0, a.seconds, a.count, a.mark)
    print(f"sent {n} frames in {dt:.2f} s ({n / dt:.0f}/s), {errs} send errors, "
          f"{len(frames)} distinct from {len(seeds)} seeds", flush=True)
    return 0


def mode_mutants(a):
    mac = b"\x02" * 6
    seeds = load_seeds(a.dirs, mac, mac)
    ms = mutants(seeds, a.n, a.seed, mac, mac)
    sizes = sorted(len(m) for m in ms)
    print(f"{len(ms)} mutants of {len(seeds)} seeds, sizes {sizes[0]}..{sizes[-1]}")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("syn")
    s.add_argument("iface")
    s.add_argument("gwmac")
    s.add_argument("rate", type=int)
    s.add_argument("seconds", type=float)
    s.add_argument("--count", type=int, default=10_000_000)
    s.add_argument("--distinct", type=int, default=65536)
    s.add_argument("--src", default="10.0.0.2")
    s.add_argument("--dst", default="10.0.0.1")
    s.add_argument("--listen-port", type=int, default=0)
    s.add_argument("--listen-pct", type=float, default=5)
    s.add_argument("--avoid-port", type=int, action="append", default=[])
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--mark")
    r = sub.add_parser("replay")
    r.add_argument("iface")
    r.add_argument("gwmac")
    r.add_argument("seconds", type=float)
    r.add_argument("dirs", nargs="+")
    r.add_argument("--count", type=int, default=10_000_000)
    r.add_argument("--distinct", type=int, default=20000)
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--mark")
    m = sub.add_parser("mutants")
    m.add_argument("n", type=int)
    m.add_argument("seed", type=int)
    m.add_argument("dirs", nargs="+")
    a = p.parse_args()
    return {"syn": mode_syn, "replay": mode_replay, "mutants": mode_mutants}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
