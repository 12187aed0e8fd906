#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make_seeds.py - write the seed corpora of the libFuzzer harnesses

Builds a handful of valid frames for the default guest network (10.0.0.0/24,
gateway 10.0.0.1, guest 10.0.0.2) and valid DNS messages, one file each,
under tests/fuzz/corpus/<harness>/. The output is deterministic: run it again
after changing it and commit the files.

Usage: tests/fuzz/make_seeds.py [OUTDIR]   (default: corpus/ beside this file)
"""
import pathlib
import struct
import sys

GW = bytes([10, 0, 0, 1])
GUEST = bytes([10, 0, 0, 2])
REMOTE = bytes([93, 184, 216, 34])
ZERO4 = bytes(4)
BCAST4 = bytes([255] * 4)
GUEST_MAC = bytes([0x02, 0x00, 0x00, 0x00, 0x00, 0x02])
GW_MAC = bytes([0x52, 0x55, 0x00, 0x00, 0x00, 0x01])
BCAST_MAC = bytes([0xff] * 6)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def eth(dst, src, etype, payload):
    frame = dst + src + struct.pack("!H", etype) + payload
    return frame + bytes(max(0, 60 - len(frame)))


def ip4(src, dst, proto, payload, options=b"", ttl=64, df=True):
    ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload),
                      0x1234, 0x4000 if df else 0, ttl, proto, 0, src, dst)
    hdr += options
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def l4_csum(src, dst, proto, seg):
    return csum(src + dst + struct.pack("!BBH", 0, proto, len(seg)) + seg)


def udp(src, dst, sport, dport, payload):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ck = l4_csum(src, dst, 17, seg) or 0xffff
    seg = seg[:6] + struct.pack("!H", ck) + seg[8:]
    return ip4(src, dst, 17, seg)


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", options=b""):
    doff = (20 + len(options)) // 4
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, doff << 4, flags,
                      64240, 0, 0) + options + payload
    seg = seg[:16] + struct.pack("!H", l4_csum(src, dst, 6, seg)) + seg[18:]
    return ip4(src, dst, 6, seg)


def icmp_echo(src, dst, ident, seq, payload, options=b""):
    msg = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
    msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
    return ip4(src, dst, 1, msg, options)


PREFIX6 = bytes.fromhex("fd0000b0007d0000")
GW6 = PREFIX6 + bytes(7) + b"\x01"
GW6_LL = bytes.fromhex("fe80") + bytes(13) + b"\x01"
GUEST6_LL = bytes.fromhex("fe80000000000000020000fffe000002")
REMOTE6 = bytes.fromhex("20010db8") + bytes(11) + b"\x42"
ALL_ROUTERS = bytes.fromhex("ff02") + bytes(13) + b"\x02"
ALL_DHCP = bytes.fromhex("ff02") + bytes(11) + b"\x01\x00\x02"
UNSPEC6 = bytes(16)


def ip6(src, dst, nh, payload, ext=b"", ext_nh=None, hops=64):
    first = ext_nh if ext else nh
    return struct.pack("!IHBB", 6 << 28, len(ext) + len(payload), first,
                       hops) + src + dst + ext + payload


def l4_csum6(src, dst, nh, seg):
    return csum(src + dst + struct.pack("!IxxxB", len(seg), nh) + seg)


def udp6(src, dst, sport, dport, payload, ext=b"", ext_nh=None):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ck = l4_csum6(src, dst, 17, seg) or 0xffff
    seg = seg[:6] + struct.pack("!H", ck) + seg[8:]
    return ip6(src, dst, 17, seg, ext, ext_nh)


def icmp6(src, dst, typ, code, body, hops=64):
    msg = struct.pack("!BBH", typ, code, 0) + body
    msg = msg[:2] + struct.pack("!H", l4_csum6(src, dst, 58, msg)) + msg[4:]
    return ip6(src, dst, 58, msg, hops=hops)


def tcp6(src, dst, sport, dport, seq, ack, flags, options=b""):
    doff = (20 + len(options)) // 4
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, doff << 4, flags,
                      64240, 0, 0) + options
    seg = seg[:16] + struct.pack("!H", l4_csum6(src, dst, 6, seg)) + seg[18:]
    return ip6(src, dst, 6, seg)


def dhcp6(msgtype, opts):
    out = bytes([msgtype, 0x12, 0x34, 0x56])
    for code, val in opts:
        out += struct.pack("!HH", code, len(val)) + val
    return out


def arp(op, sha, sip, tha, tip):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, sip, tha,
                       tip)


def dhcp(msgtype, xid, ciaddr=ZERO4, opts=()):
    bootp = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0,
                        0x8000 if ciaddr == ZERO4 else 0, ciaddr, ZERO4,
                        ZERO4, ZERO4, GUEST_MAC + bytes(10), b"", b"")
    out = bootp + bytes([99, 130, 83, 99, 53, 1, msgtype])
    for code, val in opts:
        out += bytes([code, len(val)]) + val
    return out + b"\xff"


def dns_name(name):
    out = b""
    for label in name.split(".") if name else []:
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_query(qid, name, qtype, edns=False, flags=0x0100):
    msg = struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 1 if edns else 0)
    msg += dns_name(name) + struct.pack("!HH", qtype, 1)
    if edns:   # OPT: root name, type 41, UDP size 1232, DO bit, no options
        msg += b"\0" + struct.pack("!HHIH", 41, 1232, 0x8000, 0)
    return msg


def dns_response(qid, name, addr):
    msg = struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0)
    msg += dns_name(name) + struct.pack("!HH", 1, 1)
    msg += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + addr
    return msg


def frames():
    client_id = b"\x01" + GUEST_MAC
    prl = bytes([1, 3, 6, 15, 28, 51, 119])
    discover = dhcp(1, 0x11223344, opts=[(61, client_id), (55, prl),
                                         (12, b"guest"), (57, b"\x05\xdc")])
    request = dhcp(3, 0x11223344, opts=[(61, client_id), (50, GUEST),
                                        (54, GW), (55, prl)])
    renew = dhcp(3, 0x55667788, ciaddr=GUEST, opts=[(55, prl)])
    release = dhcp(7, 0x55667789, ciaddr=GUEST, opts=[(54, GW)])
    mss_sack_ws_ts = bytes([2, 4, 5, 0xb4, 4, 2, 8, 10]) + bytes(8) + \
        bytes([1, 3, 3, 7])
    slla = bytes([1, 1]) + GUEST_MAC
    duid = struct.pack("!HH", 3, 1) + GUEST_MAC
    server = struct.pack("!HH", 3, 1) + GW_MAC
    ia_na = struct.pack("!III", 7, 0, 0)
    ia_addr = struct.pack("!HH", 5, 24) + PREFIX6 + bytes(7) + b"\x02" + \
        struct.pack("!II", 3600, 3600)
    hbh_dst = bytes([60, 0, 1, 4, 0, 0, 0, 0, 17, 0, 1, 4, 0, 0, 0, 0])
    v6 = {
        "ndp_rs": eth(bytes.fromhex("333300000002"), GUEST_MAC, 0x86dd,
                      icmp6(GUEST6_LL, ALL_ROUTERS, 133, 0, bytes(4) + slla,
                            hops=255)),
        "ndp_rs_dad": eth(bytes.fromhex("333300000002"), GUEST_MAC, 0x86dd,
                          icmp6(UNSPEC6, ALL_ROUTERS, 133, 0, bytes(4),
                                hops=255)),
        "ndp_ns_gw": eth(bytes.fromhex("3333ff000001"), GUEST_MAC, 0x86dd,
                         icmp6(GUEST6_LL, GW6_LL, 135, 0,
                               bytes(4) + GW6_LL + slla, hops=255)),
        "ndp_ns_dad": eth(bytes.fromhex("3333ff000002"), GUEST_MAC, 0x86dd,
                          icmp6(UNSPEC6, bytes.fromhex("ff020000000000000000"
                                                       "0001ff000002"), 135, 0,
                                bytes(4) + PREFIX6 + bytes(7) + b"\x02",
                                hops=255)),
        "dhcp6_info": eth(bytes.fromhex("333300010002"), GUEST_MAC, 0x86dd,
                          udp6(GUEST6_LL, ALL_DHCP, 546, 547,
                               dhcp6(11, [(1, duid), (8, b"\0\0"),
                                          (6, b"\0\x17\0\x18")]))),
        "dhcp6_solicit": eth(bytes.fromhex("333300010002"), GUEST_MAC, 0x86dd,
                             udp6(GUEST6_LL, ALL_DHCP, 546, 547,
                                  dhcp6(1, [(1, duid), (14, b""),
                                            (3, ia_na)]))),
        "dhcp6_request": eth(bytes.fromhex("333300010002"), GUEST_MAC, 0x86dd,
                             udp6(GUEST6_LL, ALL_DHCP, 546, 547,
                                  dhcp6(3, [(1, duid), (2, server),
                                            (3, ia_na + ia_addr)]))),
        "dhcp6_confirm": eth(bytes.fromhex("333300010002"), GUEST_MAC, 0x86dd,
                             udp6(GUEST6_LL, ALL_DHCP, 546, 547,
                                  dhcp6(4, [(1, duid),
                                            (3, ia_na + ia_addr)]))),
        "icmp6_echo_gw": eth(GW_MAC, GUEST_MAC, 0x86dd,
                             icmp6(GUEST6_LL, GW6_LL, 128, 0,
                                   struct.pack("!HH", 0x4242, 1) +
                                   bytes(range(56)))),
        "icmp6_echo_remote": eth(GW_MAC, GUEST_MAC, 0x86dd,
                                 icmp6(GW6, REMOTE6, 128, 0,
                                       struct.pack("!HH", 9, 3) + bytes(32))),
        "udp6_ext_headers": eth(GW_MAC, GUEST_MAC, 0x86dd,
                                udp6(GW6, REMOTE6, 40001, 9, b"hello",
                                     ext=hbh_dst, ext_nh=0)),
        "udp6_dns_gw": eth(GW_MAC, GUEST_MAC, 0x86dd,
                           udp6(GUEST6_LL, GW6_LL, 40000, 53,
                                dns_query(0x1234, "host.example", 28))),
        "tcp6_syn": eth(GW_MAC, GUEST_MAC, 0x86dd,
                        tcp6(GW6, REMOTE6, 50000, 80, 1000, 0, 0x02,
                             options=mss_sack_ws_ts)),
    }
    return v6 | {
        "arp_request": eth(BCAST_MAC, GUEST_MAC, 0x0806,
                           arp(1, GUEST_MAC, GUEST, bytes(6), GW)),
        "arp_probe": eth(BCAST_MAC, GUEST_MAC, 0x0806,
                         arp(1, GUEST_MAC, ZERO4, bytes(6), GUEST)),
        "arp_reply": eth(GW_MAC, GUEST_MAC, 0x0806,
                         arp(2, GUEST_MAC, GUEST, GW_MAC, GW)),
        "dhcp_discover": eth(BCAST_MAC, GUEST_MAC, 0x0800,
                             udp(ZERO4, BCAST4, 68, 67, discover)),
        "dhcp_request": eth(BCAST_MAC, GUEST_MAC, 0x0800,
                            udp(ZERO4, BCAST4, 68, 67, request)),
        "dhcp_renew": eth(GW_MAC, GUEST_MAC, 0x0800,
                          udp(GUEST, GW, 68, 67, renew)),
        "dhcp_release": eth(GW_MAC, GUEST_MAC, 0x0800,
                            udp(GUEST, GW, 68, 67, release)),
        "icmp_echo_gw": eth(GW_MAC, GUEST_MAC, 0x0800,
                            icmp_echo(GUEST, GW, 0x4242, 1,
                                      bytes(range(56)))),
        "icmp_echo_gw_ipopt": eth(GW_MAC, GUEST_MAC, 0x0800,
                                  icmp_echo(GUEST, GW, 7, 2, b"ping",
                                            options=bytes([1, 1, 1, 0]))),
        "icmp_echo_remote": eth(GW_MAC, GUEST_MAC, 0x0800,
                                icmp_echo(GUEST, REMOTE, 9, 3, bytes(32))),
        "udp_dns_gw": eth(GW_MAC, GUEST_MAC, 0x0800,
                          udp(GUEST, GW, 40000, 53,
                              dns_query(0x1234, "host.example", 1))),
        "udp_remote": eth(GW_MAC, GUEST_MAC, 0x0800,
                          udp(GUEST, REMOTE, 40001, 9, b"hello, world\n")),
        "tcp_syn": eth(GW_MAC, GUEST_MAC, 0x0800,
                       tcp(GUEST, REMOTE, 50000, 80, 1000, 0, 0x02,
                           options=mss_sack_ws_ts)),
        "tcp_data": eth(GW_MAC, GUEST_MAC, 0x0800,
                        tcp(GUEST, REMOTE, 50000, 80, 1001, 2001, 0x18,
                            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")),
    }


def dns_messages():
    return {
        "dns_a": dns_query(0x0001, "host.example", 1),
        "dns_aaaa": dns_query(0x0002, "host.example", 28),
        "dns_any_mixed_case": dns_query(0x0003, "mixed.CASE.example", 255),
        "dns_a_forward": dns_query(0x0004, "www.example.com", 1),
        "dns_edns": dns_query(0x0005, "broth.internal", 1, edns=True),
        "dns_root": dns_query(0x0006, "", 2),
        "dns_response": dns_response(0x0007, "www.example.com",
                                     bytes([93, 184, 216, 34])),
    }


def main():
    here = pathlib.Path(__file__).resolve().parent
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else here / "corpus"
    f = frames()
    sets = {
        "parse": f,
        "arp": {k: v for k, v in f.items() if k.startswith("arp_")} |
               {"udp_remote": f["udp_remote"]},
        "dhcp": {k: v for k, v in f.items() if k.startswith("dhcp_")},
        "icmp": {k: v for k, v in f.items() if k.startswith("icmp_")} |
                {"udp_remote": f["udp_remote"], "tcp_syn": f["tcp_syn"]},
        "dns": dns_messages(),
        "ndp": {k: v for k, v in f.items() if k.startswith("ndp_")} |
               {"icmp6_echo_gw": f["icmp6_echo_gw"]},
        "dhcp6": {k: v for k, v in f.items() if k.startswith("dhcp6_")},
    }
    for name, seeds in sets.items():
        d = out / name
        d.mkdir(parents=True, exist_ok=True)
        for old in d.glob("*.bin"):     # regression inputs stay
            if not old.name.startswith("regress_"):
                old.unlink()
        for seed, data in seeds.items():
            assert len(data) < 2048, seed
            (d / (seed + ".bin")).write_bytes(data)
    print(f"wrote {sum(len(s) for s in sets.values())} seeds under {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
