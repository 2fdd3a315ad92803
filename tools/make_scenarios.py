#!/usr/bin/env python3
"""Build new conformance scenarios and record them on this machine's kernel.

    sudo python3 tools/make_scenarios.py [--only NAME_SUBSTRING] [--no-record] [--skip-recorded] [--base DIR]

Writes conformance/recorded/<name>/ (host.yaml, scenario.yaml, in-<iface>.pcap) for every
case below, then runs tools/record_scenario.py on it (expected.json + out-<iface>.pcap).
host.yaml keeps the complete sysctl block of a public scenario (--base, default
../shared/conformance/scenarios) with the values a case changes. Addresses come only from
the documentation ranges 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24 (plus the
special addresses a case is about: 0/8, 127/8, multicast, broadcast).
Standard library only.
"""
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
OUT = os.path.join(REPO, "conformance", "recorded")

US_MAC, PEER_MAC = "02:00:00:00:00:01", "02:00:00:00:00:99"
US1_MAC, PEER1_MAC = "02:00:00:00:01:01", "02:00:00:00:01:99"
US, PEER = "192.0.2.2", "192.0.2.1"
US1, PEER1, FAR = "198.51.100.1", "198.51.100.2", "203.0.113.9"
BCAST_MAC = "ff:ff:ff:ff:ff:ff"


# ------------------------------------------------------------------ bytes
def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip(s):
    return bytes(int(x) for x in s.split("."))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def eth(dst, src, etype, payload, vlans=()):
    """vlans: list of (tpid, tci)."""
    b = mac(dst) + mac(src)
    for tpid, tci in vlans:
        b += struct.pack("!HH", tpid, tci)
    return b + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload, ttl=64, ident=1, df=False, mf=False, frag_off=0, tos=0,
         options=b"", ihl=None, total_length=None, version=4, bad_csum=False):
    hl = 20 + len(options)
    if ihl is None:
        ihl = hl // 4
    tl = hl + len(payload) if total_length is None else total_length
    flags = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag_off // 8)
    h = struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, tos, tl, ident, flags, ttl, proto, 0, ip(src), ip(dst)) + options
    c = csum(h[:max(ihl * 4, 20)] if ihl >= 5 else h)
    if bad_csum:
        c ^= 0x1234
    h = h[:10] + struct.pack("!H", c) + h[12:]
    return h + payload


def pseudo(src, dst, proto, length):
    return ip(src) + ip(dst) + struct.pack("!BBH", 0, proto, length)


def udp(src, dst, sport, dport, data, length=None, cks="ok"):
    ln = 8 + len(data) if length is None else length
    seg = struct.pack("!HHHH", sport, dport, ln, 0) + data
    if cks == "ok":
        c = csum(pseudo(src, dst, 17, ln) + seg[:ln]) or 0xffff
    elif cks == "zero":
        c = 0
    else:
        c = (csum(pseudo(src, dst, 17, ln) + seg[:ln]) ^ 0x5555) or 1
    return seg[:6] + struct.pack("!H", c) + seg[8:]


TCP_FLAGS = {"F": 1, "S": 2, "R": 4, "P": 8, "A": 16, "U": 32, "E": 64, "C": 128}


def tcp(src, dst, sport, dport, seq, ack, flags, data=b"", window=64240, options=b"", bad=False):
    while len(options) % 4:
        options += b"\x01"
    off = (20 + len(options)) // 4
    fl = sum(TCP_FLAGS[c] for c in flags)
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, fl, window, 0, 0) + options + data
    c = csum(pseudo(src, dst, 6, len(seg)) + seg)
    if bad:
        c ^= 0x4242
    return seg[:16] + struct.pack("!H", c) + seg[18:]


SYN_OPTS = (b"\x02\x04\x05\xb4" + b"\x04\x02" + b"\x08\x0a" + struct.pack("!II", 1000, 0) + b"\x01" + b"\x03\x03\x07")


def icmp(typ, code, rest=b"\0\0\0\0", data=b"", bad=False):
    m = struct.pack("!BBH", typ, code, 0) + rest + data
    c = csum(m)
    if bad:
        c ^= 0x0f0f
    return m[:2] + struct.pack("!H", c) + m[4:]


def echo(ident=0x1234, seq=1, data=bytes(range(56)), typ=8, bad=False):
    return icmp(typ, 0, struct.pack("!HH", ident, seq), data, bad)


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + mac(sha) + ip(spa) + mac(tha) + ip(tpa)


def frame_ip(pkt, dst_mac=US_MAC, src_mac=PEER_MAC, vlans=()):
    return eth(dst_mac, src_mac, 0x0800, pkt, vlans)


def ping(src=PEER, dst=US, dst_mac=US_MAC, src_mac=PEER_MAC, ttl=64, ident=1, seq=1, **kw):
    return frame_ip(ipv4(src, dst, 1, echo(seq=seq), ttl=ttl, ident=ident, **kw), dst_mac, src_mac)


def udp_frame(sport, dport, data, src=PEER, dst=US, dst_mac=US_MAC, src_mac=PEER_MAC, ident=1, ttl=64, df=False, **kw):
    return frame_ip(ipv4(src, dst, 17, udp(src, dst, sport, dport, data, **kw), ident=ident, ttl=ttl, df=df), dst_mac, src_mac)


def tcp_frame(dport, flags, seq=1000, ack=0, data=b"", options=b"", src=PEER, dst=US, sport=40000,
              dst_mac=US_MAC, src_mac=PEER_MAC, bad=False, ttl=64, window=64240):
    return frame_ip(ipv4(src, dst, 6, tcp(src, dst, sport, dport, seq, ack, flags, data, window, options, bad),
                         ttl=ttl, df=True, ident=0), dst_mac, src_mac)


def fragments(src, dst, proto, payload, pieces, ident=0x4242, dst_mac=US_MAC, src_mac=PEER_MAC, ttl=64):
    """pieces: list of (offset, length) in sending order; MF set unless a piece ends the payload."""
    out = []
    for off, ln in pieces:
        end = off + ln
        out.append(frame_ip(ipv4(src, dst, proto, payload[off:end], ident=ident, mf=end < len(payload),
                                 frag_off=off, ttl=ttl), dst_mac, src_mac))
    return out


# ------------------------------------------------------------------ host.yaml
def base_sysctl(base, name):
    lines, on = [], False
    for l in open(os.path.join(base, name, "host.yaml")).read().split("\n"):
        if l.startswith("sysctl:"):
            on = True
            continue
        if on:
            if not l.startswith("  "):
                break
            lines.append(l)
    return lines


def render_sysctl(lines, overrides):
    out, seen = [], set()
    for l in lines:
        k = l.strip().split(":", 1)[0]
        if k in overrides:
            v = overrides[k]
            out.append("  %s: %s" % (k, ('"%s"' % v) if isinstance(v, str) else v))
            seen.add(k)
        else:
            out.append(l)
    for k, v in overrides.items():
        if k not in seen:
            out.append("  %s: %s" % (k, ('"%s"' % v) if isinstance(v, str) else v))
    return out


ROUTER_OFF = {"net.ipv4.ip_forward": 0, "net.ipv4.conf.all.forwarding": 0, "net.ipv4.conf.default.forwarding": 0,
              "net.ipv4.conf.eth0.forwarding": 0, "net.ipv4.conf.eth1.forwarding": 0,
              "net.ipv4.conf.all.accept_redirects": 1}


def host_yaml(base, router=False, sysctl=None, addrs0=(), routes=None, neighbors=None, sockets=(),
              firewall="", mtu1=1500):
    ifs = [("eth0", US_MAC, 1500, ["192.0.2.2/24"] + list(addrs0))]
    if router:
        ifs.append(("eth1", US1_MAC, mtu1, ["198.51.100.1/24"]))
    if routes is None:
        routes = [{"dst": "203.0.113.0/24", "via": PEER1, "dev": "eth1"}] if router else \
            [{"dst": "0.0.0.0/0", "via": PEER, "dev": "eth0"}]
    if neighbors is None:
        neighbors = [{"ip": PEER, "mac": PEER_MAC, "dev": "eth0"}]
        if router:
            neighbors.append({"ip": PEER1, "mac": PEER1_MAC, "dev": "eth1"})
    y = ["interfaces:"]
    for n, m, mtu, a in ifs:
        y += ["  - name: %s" % n, '    mac: "%s"' % m, "    mtu: %d" % mtu,
              "    addresses: [%s]" % ", ".join('"%s"' % x for x in a)]

    def flow(d):
        return "{" + ", ".join("%s: %s" % (k, ('"%s"' % v) if k in ("dst", "via", "ip", "mac", "src", "bind", "listen") else v)
                               for k, v in d.items()) + "}"
    y.append("routes:" if routes else "routes: []")
    y += ["  - " + flow(r) for r in routes]
    y.append("neighbors:" if neighbors else "neighbors: []")
    y += ["  - " + flow(n) for n in neighbors]
    y.append("sysctl:")
    y += render_sysctl(base_sysctl(base, "fwd-forwarded-ttl-decremented" if router else "icmp-echo-request"), sysctl or {})
    y.append("sockets:" if sockets else "sockets: []")
    y += ["  - " + flow(s) for s in sockets]
    if firewall:
        y.append("firewall: |")
        y += ["  " + l for l in firewall.strip().split("\n")]
    return "\n".join(y) + "\n"


def filt(*rules):
    return "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" + "".join(r + "\n" for r in rules) + "COMMIT"


def nat(*rules):
    return "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n" + \
        "".join(r + "\n" for r in rules) + "COMMIT"


UDP80 = {"proto": "udp", "bind": "0.0.0.0:5353"}
TCP80 = {"proto": "tcp", "listen": "0.0.0.0:80", "backlog": 128}


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for k, fr in enumerate(frames):
            t = k * 2000
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(fr), len(fr)))
            f.write(fr)


# ------------------------------------------------------------------ the cases
def cases():
    C = []

    def case(name, desc, tags, inputs, **host):
        """inputs: list of frames (eth0) or dict iface -> frames, or list of (iface, frames)."""
        if isinstance(inputs, dict):
            inputs = list(inputs.items())
        elif inputs and isinstance(inputs[0], bytes):
            inputs = [("eth0", inputs)]
        C.append((name, desc, tags, inputs, host))

    # ---- ICMP
    ts = struct.pack("!HH", 0x1234, 1) + struct.pack("!III", 1000, 0, 0)
    case("icmp-timestamp-request", "ICMP timestamp request to our address: timestamp reply", ["icmp"],
         [frame_ip(ipv4(PEER, US, 1, icmp(13, 0, ts[:4], ts[4:])))])
    case("icmp-echo-ignore-all", "echo request with icmp_echo_ignore_all=1: no reply", ["icmp"],
         [ping()], sysctl={"net.ipv4.icmp_echo_ignore_all": 1})
    case("icmp-echo-to-broadcast-answered", "echo request to 192.0.2.255 with icmp_echo_ignore_broadcasts=0: reply from our address",
         ["icmp", "broadcast"], [ping(dst="192.0.2.255", dst_mac=BCAST_MAC)],
         sysctl={"net.ipv4.icmp_echo_ignore_broadcasts": 0})
    case("icmp-echo-to-limited-broadcast", "echo request to 255.255.255.255 with icmp_echo_ignore_broadcasts=0",
         ["icmp", "broadcast"], [ping(dst="255.255.255.255", dst_mac=BCAST_MAC)],
         sysctl={"net.ipv4.icmp_echo_ignore_broadcasts": 0})
    case("icmp-echo-bad-checksum", "echo request with a wrong ICMP checksum: no reply", ["icmp"],
         [frame_ip(ipv4(PEER, US, 1, echo(bad=True)))])
    quoted = ipv4(US, PEER, 17, udp(US, PEER, 5353, 53, b"query"), ident=7)
    case("icmp-dest-unreachable-received", "ICMP port unreachable about a datagram we sent: counted, nothing sent", ["icmp"],
         [frame_ip(ipv4(PEER, US, 1, icmp(3, 3, b"\0\0\0\0", quoted[:28])))])
    case("icmp-echo-reply-unsolicited", "an echo reply nobody asked for", ["icmp"],
         [frame_ip(ipv4(PEER, US, 1, echo(typ=0)))])
    case("icmp-echo-from-zeronet-source", "echo request from source 0.1.2.3 (martian source): no reply", ["icmp", "martian"],
         [ping(src="0.1.2.3")])
    case("icmp-echo-from-multicast-source", "echo request from source 224.1.2.3 (martian source): no reply", ["icmp", "martian"],
         [ping(src="224.1.2.3")])
    case("icmp-echo-fragmented", "echo request of 1200 data bytes in two fragments: reassembled, one reply", ["icmp", "fragments"],
         fragments(PEER, US, 1, echo(data=bytes(i & 0xff for i in range(1200))), [(0, 800), (800, 408)]))
    case("icmp-echo-ttl-0", "echo request with TTL 0 to our address: local delivery ignores TTL", ["icmp", "ipv4"],
         [ping(ttl=0)])
    case("icmp-echo-to-other-interface-address", "router: echo request to eth1's address arriving on eth0: reply out of eth0",
         ["icmp", "router"], [ping(dst=US1)], router=True)

    # ---- UDP
    case("udp-length-longer-than-packet", "UDP length field 40 in a 13-byte datagram: short packet, UdpInErrors", ["udp"],
         [udp_frame(40000, 5353, b"hello", length=40, cks="zero")], sockets=[UDP80])
    case("udp-length-below-8", "UDP length field 4: short packet", ["udp"],
         [udp_frame(40000, 5353, b"hello", length=4, cks="zero")], sockets=[UDP80])
    case("udp-length-shorter-than-packet", "UDP length 11 in a 13-byte IP payload: trimmed to 3 data bytes and delivered", ["udp"],
         [udp_frame(40000, 5353, b"hello", length=11)], sockets=[UDP80])
    case("udp-to-subnet-broadcast", "UDP to 192.0.2.255 to a bound port and to an unbound one: delivered; no ICMP for the broadcast",
         ["udp", "broadcast"], [udp_frame(40000, 5353, b"bcast", dst="192.0.2.255", dst_mac=BCAST_MAC),
                                udp_frame(40000, 6000, b"bcast", dst="192.0.2.255", dst_mac=BCAST_MAC)], sockets=[UDP80])
    case("udp-to-limited-broadcast", "UDP to 255.255.255.255 to a bound port: delivered", ["udp", "broadcast"],
         [udp_frame(40000, 5353, b"all", dst="255.255.255.255", dst_mac=BCAST_MAC)], sockets=[UDP80])
    case("udp-socket-bound-specific-address", "socket bound to 192.0.2.3:5353: a datagram to 192.0.2.3 is delivered, one to 192.0.2.2:5353 gets port unreachable",
         ["udp"], [udp_frame(40000, 5353, b"to-3", dst="192.0.2.3"), udp_frame(40001, 5353, b"to-2")],
         addrs0=["192.0.2.3/24"], sockets=[{"proto": "udp", "bind": "192.0.2.3:5353"}])
    case("udp-specific-and-wildcard-sockets", "sockets on 192.0.2.2:5353 and 0.0.0.0:5353: the specific one gets 192.0.2.2, the wildcard 192.0.2.3",
         ["udp"], [udp_frame(40000, 5353, b"to-2"), udp_frame(40001, 5353, b"to-3", dst="192.0.2.3")],
         addrs0=["192.0.2.3/24"], sockets=[{"proto": "udp", "bind": "192.0.2.2:5353"}, UDP80])
    case("udp-rcvbuf-overflow", "100 datagrams of 1400 bytes to one socket that is not read: the receive buffer fills, the rest are dropped (UdpRcvbufErrors)",
         ["udp", "socket"], [udp_frame(40000, 5353, bytes([k]) * 1400, ident=k + 1) for k in range(100)], sockets=[UDP80])
    big = udp(PEER, US, 40000, 5353, bytes(i & 0xff for i in range(1800)))
    case("udp-fragments-out-of-order", "UDP datagram in three fragments sent last, first, middle: reassembled and delivered",
         ["udp", "fragments"], fragments(PEER, US, 17, big, [(1600, 208), (0, 800), (800, 800)]), sockets=[UDP80])
    case("udp-fragments-overlapping", "UDP datagram in fragments 0-800, 400-1208 (overlapping): the queue is dropped",
         ["udp", "fragments"], fragments(PEER, US, 17, big[:1208], [(0, 800), (400, 808)]), sockets=[UDP80])
    case("udp-fragments-duplicate", "first fragment twice, then the last: the duplicate is ignored, the datagram delivered",
         ["udp", "fragments"], fragments(PEER, US, 17, big[:1208], [(0, 800), (0, 800), (800, 408)]), sockets=[UDP80])
    case("udp-fragment-alone", "only the first fragment of a datagram: nothing delivered within settle_ms", ["udp", "fragments"],
         fragments(PEER, US, 17, big, [(0, 800)]), sockets=[UDP80])
    case("udp-to-multicast-all-hosts", "UDP to 224.0.0.1 (joined by every device) and to 224.0.0.251 (not joined) to a port bound on 0.0.0.0",
         ["udp", "multicast"], [udp_frame(40000, 5353, b"allhosts", dst="224.0.0.1", dst_mac="01:00:5e:00:00:01", ttl=1),
                                udp_frame(40000, 5353, b"mdns", dst="224.0.0.251", dst_mac="01:00:5e:00:00:fb", ttl=1)],
         sockets=[UDP80])
    case("udp-zero-checksum-unbound", "UDP with checksum 0 to an unbound port: port unreachable", ["udp", "icmp"],
         [udp_frame(40000, 7777, b"nocsum", cks="zero")])

    # ---- IPv4 header
    case("ipv4-ihl-below-5", "IPv4 header with IHL 4: header error", ["ipv4"],
         [frame_ip(ipv4(PEER, US, 1, echo(), ihl=4))])
    case("ipv4-total-length-beyond-frame", "IPv4 total length 200 in a frame carrying 84 IP bytes: truncated packet", ["ipv4"],
         [frame_ip(ipv4(PEER, US, 1, echo(), total_length=200))])
    case("ipv4-total-length-below-header", "IPv4 total length 16 (< 20): header error", ["ipv4"],
         [frame_ip(ipv4(PEER, US, 1, echo(), total_length=16))])
    case("ipv4-options-nop-eol", "echo request with options NOP NOP NOP EOL: replied", ["ipv4", "options"],
         [frame_ip(ipv4(PEER, US, 1, echo(), options=b"\x01\x01\x01\x00"))])
    case("ipv4-options-record-route", "echo request with a Record Route option (2 slots, pointer 4): replied, RR echoed", ["ipv4", "options"],
         [frame_ip(ipv4(PEER, US, 1, echo(), options=b"\x07\x0b\x04" + b"\0" * 8 + b"\x00"))])
    case("ipv4-options-bad-length", "IPv4 option with length 1 (invalid): parameter problem", ["ipv4", "options"],
         [frame_ip(ipv4(PEER, US, 1, echo(), options=b"\x07\x01\x00\x00"))])
    case("ipv4-unknown-protocol", "IPv4 protocol 99 to our address: ICMP protocol unreachable", ["ipv4", "icmp"],
         [frame_ip(ipv4(PEER, US, 99, b"payload-of-proto-99"))])
    case("ipv4-source-is-our-address", "echo request from 192.0.2.2 (our own address) with accept_local=0: martian", ["ipv4", "martian"],
         [ping(src=US)])
    case("ipv4-source-is-our-address-accept-local", "echo request from our own address with accept_local=1",
         ["ipv4", "martian"], [ping(src=US)],
         sysctl={"net.ipv4.conf.all.accept_local": 1, "net.ipv4.conf.eth0.accept_local": 1})
    case("ipv4-loopback-source", "echo request from 127.0.0.1: martian source", ["ipv4", "martian"], [ping(src="127.0.0.1")])
    case("ipv4-loopback-destination", "echo request to 127.0.0.1 with route_localnet=0: martian destination", ["ipv4", "martian"],
         [ping(dst="127.0.0.1")])
    case("ipv4-loopback-destination-route-localnet", "echo request to 127.0.0.1 with route_localnet=1", ["ipv4", "martian"],
         [ping(dst="127.0.0.1")],
         sysctl={"net.ipv4.conf.all.route_localnet": 1, "net.ipv4.conf.eth0.route_localnet": 1})
    case("ipv4-rp-filter-strict", "router rp_filter=1: echo request on eth0 from 203.0.113.5 (routed via eth1): dropped",
         ["ipv4", "rp_filter"], [ping(src="203.0.113.5")], router=True,
         sysctl={"net.ipv4.conf.all.rp_filter": 1, "net.ipv4.conf.eth0.rp_filter": 1})
    case("ipv4-rp-filter-loose", "router rp_filter=2: echo request on eth0 from 203.0.113.5 (routed via eth1): accepted, reply via eth1",
         ["ipv4", "rp_filter"], [ping(src="203.0.113.5")], router=True,
         sysctl={"net.ipv4.conf.all.rp_filter": 2, "net.ipv4.conf.eth0.rp_filter": 2})
    case("ipv4-forwarding-off-on-input-interface", "ip_forward=1 but eth0 forwarding=0: UDP to 203.0.113.9 arriving on eth0 is not forwarded",
         ["ipv4", "forwarding"], [udp_frame(40000, 53, b"fwd", dst=FAR)], router=True,
         sysctl={"net.ipv4.conf.eth0.forwarding": 0})
    case("ipv4-forwarding-off-on-output-interface", "eth0 forwarding=1, eth1 forwarding=0: forwarded (only the input device counts)",
         ["ipv4", "forwarding"], [udp_frame(40000, 53, b"fwd", dst=FAR)], router=True,
         sysctl={"net.ipv4.conf.eth1.forwarding": 0})

    # ---- ARP
    case("arp-request-for-other-address", "ARP request for 192.0.2.77 (not ours): no reply", ["arp"],
         [eth(BCAST_MAC, "02:00:00:00:00:42", 0x0806, arp(1, "02:00:00:00:00:42", "192.0.2.42", "00:00:00:00:00:00", "192.0.2.77"))])
    garp = eth(BCAST_MAC, "02:00:00:00:00:50", 0x0806, arp(1, "02:00:00:00:00:50", "192.0.2.50", "00:00:00:00:00:00", "192.0.2.50"))
    case("arp-gratuitous-accept-0", "gratuitous ARP from 192.0.2.50 (arp_accept=0), then an echo request from it: the reply needs an ARP request",
         ["arp"], [garp, ping(src="192.0.2.50", src_mac="02:00:00:00:00:50")])
    case("arp-gratuitous-accept-1", "gratuitous ARP from 192.0.2.50 (arp_accept=1), then an echo request from it: the reply goes straight to it",
         ["arp"], [garp, ping(src="192.0.2.50", src_mac="02:00:00:00:00:50")],
         sysctl={"net.ipv4.conf.all.arp_accept": 1, "net.ipv4.conf.eth0.arp_accept": 1})
    case("arp-reply-unsolicited", "ARP reply from 192.0.2.50 nobody asked for, then an echo request from it", ["arp"],
         [eth(US_MAC, "02:00:00:00:00:50", 0x0806, arp(2, "02:00:00:00:00:50", "192.0.2.50", US_MAC, US)),
          ping(src="192.0.2.50", src_mac="02:00:00:00:00:50")])
    req_other_if = eth(BCAST_MAC, "02:00:00:00:00:42", 0x0806, arp(1, "02:00:00:00:00:42", "192.0.2.42", "00:00:00:00:00:00", US1))
    case("arp-ignore-0-other-interface-address", "router arp_ignore=0: ARP request on eth0 for eth1's address: replied", ["arp"],
         [req_other_if], router=True)
    case("arp-ignore-1-other-interface-address", "router arp_ignore=1: ARP request on eth0 for eth1's address: no reply", ["arp"],
         [req_other_if], router=True, sysctl={"net.ipv4.conf.all.arp_ignore": 1, "net.ipv4.conf.eth0.arp_ignore": 1})
    req_off_subnet = eth(BCAST_MAC, "02:00:00:00:00:42", 0x0806, arp(1, "02:00:00:00:00:42", "203.0.113.7", "00:00:00:00:00:00", US))
    case("arp-ignore-2-sender-off-subnet", "arp_ignore=2: ARP request for our address from 203.0.113.7 (not in 192.0.2.0/24): no reply",
         ["arp"], [req_off_subnet], sysctl={"net.ipv4.conf.all.arp_ignore": 2, "net.ipv4.conf.eth0.arp_ignore": 2})
    case("arp-ignore-0-sender-off-subnet", "arp_ignore=0: ARP request for our address from 203.0.113.7: replied", ["arp"],
         [req_off_subnet])

    # ---- link
    case("link-broadcast-frame-unicast-ip", "UDP and echo to our unicast address in Ethernet broadcast frames", ["link"],
         [udp_frame(40000, 5353, b"l2bcast", dst_mac=BCAST_MAC), ping(dst_mac=BCAST_MAC)], sockets=[UDP80])
    case("link-multicast-mac-unicast-ip", "echo request to our address in a frame for multicast MAC 01:00:5e:00:00:01", ["link"],
         [ping(dst_mac="01:00:5e:00:00:01")])
    case("link-8023-length-frame", "IEEE 802.3 frame (length 0x0026, LLC) to our MAC: no handler", ["link"],
         [eth(US_MAC, PEER_MAC, 0x0026, b"\x42\x42\x03" + bytes(35))])
    case("link-qinq-tagged", "echo request in an 802.1ad + 802.1Q (QinQ) frame: not answered", ["link", "vlan"],
         [frame_ip(ipv4(PEER, US, 1, echo()), vlans=[(0x88a8, 10), (0x8100, 20)])])
    case("link-priority-tagged-vlan0", "echo request in a priority-tagged frame (VLAN 0, PCP 5): answered untagged", ["link", "vlan"],
         [frame_ip(ipv4(PEER, US, 1, echo()), vlans=[(0x8100, 5 << 13)])])

    # ---- TCP
    case("tcp-syn-fin-listener", "TCP SYN+FIN to a listening port", ["tcp"], [tcp_frame(80, "SF", options=SYN_OPTS)], sockets=[TCP80])
    case("tcp-syn-with-data", "TCP SYN with 5 data bytes to a listening port: SYN-ACK acknowledging only the SYN", ["tcp"],
         [tcp_frame(80, "S", data=b"hello", options=SYN_OPTS)], sockets=[TCP80])
    case("tcp-rst-closed-port", "TCP RST to a closed port: nothing sent", ["tcp"], [tcp_frame(81, "R", seq=5000)])
    case("tcp-fin-closed-port", "TCP FIN+ACK to a closed port: RST", ["tcp"], [tcp_frame(81, "FA", seq=5000, ack=777)])
    case("tcp-bad-checksum", "TCP SYN with a wrong checksum to a listening port: dropped", ["tcp"],
         [tcp_frame(80, "S", options=SYN_OPTS, bad=True)], sockets=[TCP80])
    case("tcp-syn-no-options", "TCP SYN without options to a listening port: SYN-ACK", ["tcp"], [tcp_frame(80, "S")], sockets=[TCP80])
    case("tcp-syn-mss-536", "TCP SYN with MSS 536 only: SYN-ACK", ["tcp"], [tcp_frame(80, "S", options=b"\x02\x04\x02\x18")],
         sockets=[TCP80])
    case("tcp-syn-in-broadcast-frame", "TCP SYN to our address in an Ethernet broadcast frame: dropped (not PACKET_HOST)", ["tcp", "link"],
         [tcp_frame(80, "S", options=SYN_OPTS, dst_mac=BCAST_MAC)], sockets=[TCP80])
    case("tcp-syn-port-bound-other-address", "listener on 192.0.2.3:80: SYN to 192.0.2.2:80 gets RST", ["tcp"],
         [tcp_frame(80, "S", options=SYN_OPTS)], addrs0=["192.0.2.3/24"],
         sockets=[{"proto": "tcp", "listen": "192.0.2.3:80", "backlog": 128}])

    # ---- forwarding
    r25 = [{"dst": "203.0.113.0/25", "via": PEER1, "dev": "eth1"}]
    case("fwd-no-route-net-unreachable", "router without a route to 203.0.113.200: ICMP network unreachable", ["forwarding", "icmp"],
         [udp_frame(40000, 53, b"x", dst="203.0.113.200")], router=True, routes=r25)
    for typ, what in (("blackhole", "dropped silently"), ("unreachable", "ICMP host unreachable"),
                      ("prohibit", "ICMP communication administratively prohibited")):
        case("fwd-%s-route" % typ, "router with a %s route for 203.0.113.128/25: %s" % (typ, what), ["forwarding", "route"],
             [udp_frame(40000, 53, b"x", dst="203.0.113.200")], router=True,
             routes=r25 + [{"dst": "203.0.113.128/25", "type": typ}])
    case("fwd-df-clear-fragmented", "router forwards a 1400-byte UDP packet without DF to eth1 (MTU 1280): two fragments",
         ["forwarding", "fragments"], [udp_frame(40000, 53, bytes(i & 0xff for i in range(1372)), dst=FAR, ident=0x99)],
         router=True, mtu1=1280)
    case("fwd-ttl-2", "router forwards UDP with TTL 2: leaves with TTL 1", ["forwarding"],
         [udp_frame(40000, 53, b"ttl2", dst=FAR, ttl=2)], router=True)
    redirect_in = udp_frame(40000, 53, b"redir", dst="192.0.2.50")
    nb_r = [{"ip": PEER, "mac": PEER_MAC, "dev": "eth0"}, {"ip": "192.0.2.50", "mac": "02:00:00:00:00:50", "dev": "eth0"},
            {"ip": PEER1, "mac": PEER1_MAC, "dev": "eth1"}]
    case("fwd-redirect", "router forwards 192.0.2.1 -> 192.0.2.50 back out of eth0: ICMP redirect, and the packet forwarded",
         ["forwarding", "icmp", "redirect"], [redirect_in], router=True, neighbors=nb_r)
    case("fwd-redirect-send-redirects-0", "the same with send_redirects=0: forwarded without a redirect", ["forwarding", "redirect"],
         [redirect_in], router=True, neighbors=nb_r,
         sysctl={"net.ipv4.conf.all.send_redirects": 0, "net.ipv4.conf.eth0.send_redirects": 0})

    # ---- netfilter
    case("nf-reject-icmp-port-unreachable", "INPUT -p udp --dport 9999 -j REJECT: ICMP port unreachable although a socket is bound",
         ["netfilter", "reject"], [udp_frame(40000, 9999, b"rej")], sockets=[{"proto": "udp", "bind": "0.0.0.0:9999"}],
         firewall=filt("-A INPUT -p udp -m udp --dport 9999 -j REJECT --reject-with icmp-port-unreachable"))
    case("nf-reject-tcp-reset", "INPUT -p tcp --dport 80 -j REJECT --reject-with tcp-reset: SYN to a listener gets RST",
         ["netfilter", "reject", "tcp"], [tcp_frame(80, "S", options=SYN_OPTS)], sockets=[TCP80],
         firewall=filt("-A INPUT -p tcp -m tcp --dport 80 -j REJECT --reject-with tcp-reset"))
    case("nf-output-drop-icmp", "OUTPUT -p icmp -j DROP: an echo request gets no reply", ["netfilter"], [ping()],
         firewall=filt("-A OUTPUT -p icmp -j DROP"))
    case("nf-snat-forward", "router with POSTROUTING -o eth1 SNAT to 198.51.100.1: forwarded UDP leaves with the new source",
         ["netfilter", "nat", "forwarding"], [udp_frame(40000, 53, b"snat", dst=FAR)], router=True,
         firewall=filt() + "\n" + nat("-A POSTROUTING -o eth1 -j SNAT --to-source 198.51.100.1"))
    syn_out = tcp_frame(80, "S", seq=1000, options=SYN_OPTS, dst=FAR)
    case("nf-masquerade-forward-and-reply", "router with MASQUERADE on eth1: a SYN out is masqueraded, its SYN-ACK is translated back",
         ["netfilter", "nat", "forwarding"],
         [("eth0", [syn_out]),
          ("eth1", [frame_ip(ipv4(FAR, US1, 6, tcp(FAR, US1, 80, 40000, 9000, 1001, "SA", options=b"\x02\x04\x05\xb4"),
                                 df=True, ident=0), US1_MAC, PEER1_MAC)])], router=True,
         firewall=filt() + "\n" + nat("-A POSTROUTING -o eth1 -j MASQUERADE"))
    syn_dnat = tcp_frame(8080, "S", seq=1000, options=SYN_OPTS)
    synack_back = frame_ip(ipv4(FAR, PEER, 6, tcp(FAR, PEER, 80, 40000, 9000, 1001, "SA", options=b"\x02\x04\x05\xb4"),
                                df=True, ident=0), US1_MAC, PEER1_MAC)
    case("nf-dnat-and-reply", "PREROUTING DNAT 192.0.2.2:8080 -> 203.0.113.9:80: the SYN is forwarded and the SYN-ACK comes back from 192.0.2.2:8080",
         ["netfilter", "nat", "forwarding"], [("eth0", [syn_dnat]), ("eth1", [synack_back])], router=True,
         firewall=filt() + "\n" + nat("-A PREROUTING -d 192.0.2.2/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 203.0.113.9:80"))
    case("nf-conntrack-invalid-drop", "INPUT ctstate INVALID DROP: a SYN+FIN+RST (invalid for conntrack) is dropped; a valid SYN to a closed port gets RST",
         ["netfilter", "conntrack"], [tcp_frame(81, "SFR"), tcp_frame(81, "S", sport=40001)],
         firewall=filt("-A INPUT -m conntrack --ctstate INVALID -j DROP"))
    case("nf-multiport-drop", "INPUT -p udp -m multiport --dports 5000,5353,6000:6010 -j DROP: 5353 and 6005 dropped, 7000 gets port unreachable",
         ["netfilter", "udp"], [udp_frame(40000, 5353, b"a"), udp_frame(40000, 6005, b"b"), udp_frame(40000, 7000, b"c")],
         sockets=[UDP80], firewall=filt("-A INPUT -p udp -m multiport --dports 5000,5353,6000:6010 -j DROP"))
    more_cases(case)
    return C


# ------------------------------------------------------------------ second round
N60, N60_MAC = "192.0.2.60", "02:00:00:00:00:60"
N50, N50_MAC = "192.0.2.50", "02:00:00:00:00:50"


def arp_reply(sha, spa, dst_mac=US_MAC, tpa=US, tha=None):
    return eth(dst_mac, sha, 0x0806, arp(2, sha, spa, tha or dst_mac, tpa))


def arp_request(sha, spa, tpa, dst_mac=BCAST_MAC):
    return eth(dst_mac, sha, 0x0806, arp(1, sha, spa, "00:00:00:00:00:00", tpa))


def both(key, v, ifs=("all", "eth0")):
    return {"net.ipv4.conf.%s.%s" % (i, key): v for i in ifs}


def more_cases(case):
    fwd_nb = [{"ip": PEER, "mac": PEER_MAC, "dev": "eth0"}]

    # ---- IP options (ip_options_compile / ip_options_echo / ip_forward_options)
    rr2 = b"\x07\x0b\x04" + b"\0" * 8 + b"\x00"
    case("ipv4-options-rr-udp-port-unreachable", "UDP with Record Route to a closed port: the port unreachable echoes the option",
         ["ipv4", "options", "icmp"], [frame_ip(ipv4(PEER, US, 17, udp(PEER, US, 40000, 7777, b"rr"), options=rr2))])
    case("ipv4-options-rr-full", "echo request with a full Record Route (pointer 12 of 11): echoed unchanged", ["ipv4", "options"],
         [frame_ip(ipv4(PEER, US, 1, echo(), options=b"\x07\x0b\x0c" + ip("192.0.2.9") + ip("192.0.2.8") + b"\x00"))])
    case("ipv4-options-rr-forwarded", "router forwards UDP with Record Route: our eth1 address recorded", ["ipv4", "options", "forwarding"],
         [frame_ip(ipv4(PEER, FAR, 17, udp(PEER, FAR, 40000, 53, b"rr"), options=rr2))], router=True)
    case("ipv4-options-ts-full-overflow", "echo request with a full timestamp option (flag tsonly): overflow counted, echoed", ["ipv4", "options"],
         [frame_ip(ipv4(PEER, US, 1, echo(), options=b"\x44\x0c\x0d\x00" + struct.pack("!II", 1, 2)))])
    case("ipv4-options-ts-overflow-15", "timestamp option full with overflow 15: parameter problem", ["ipv4", "options"],
         [frame_ip(ipv4(PEER, US, 1, echo(), options=b"\x44\x0c\x0d\xf0" + struct.pack("!II", 1, 2)))])
    case("ipv4-options-ts-pointer-below-5", "timestamp option with pointer 4: parameter problem at the pointer", ["ipv4", "options"],
         [frame_ip(ipv4(PEER, US, 1, echo(), options=b"\x44\x0c\x04\x00" + bytes(8)))])
    case("ipv4-options-rr-pointer-below-4", "Record Route with pointer 3: parameter problem", ["ipv4", "options"],
         [frame_ip(ipv4(PEER, US, 1, echo(), options=b"\x07\x07\x03" + bytes(4) + b"\x00"))])
    case("ipv4-options-two-rr", "two Record Route options: parameter problem at the second", ["ipv4", "options"],
         [frame_ip(ipv4(PEER, US, 1, echo(), options=b"\x07\x07\x08" + bytes(4) + b"\x07\x07\x08" + bytes(4) + b"\x00\x00"))])
    lsrr_done = b"\x83\x07\x08" + ip("192.0.2.9") + b"\x00"
    case("ipv4-options-lsrr-accept-source-route-0", "echo with a completed loose source route, accept_source_route 0 (all): dropped",
         ["ipv4", "options"], [frame_ip(ipv4(PEER, US, 1, echo(), options=lsrr_done))])
    sr1 = dict(both("accept_source_route", 1))
    case("ipv4-options-lsrr-completed-accepted", "echo with a completed loose source route (via 198.51.100.9), accept_source_route 1: reply reverses it",
         ["ipv4", "options"], [frame_ip(ipv4(PEER, US, 1, echo(), options=b"\x83\x07\x08" + ip("198.51.100.9") + b"\x00"))], sysctl=sr1)
    case("ipv4-options-router-alert", "echo with Router Alert: replied without options", ["ipv4", "options"],
         [frame_ip(ipv4(PEER, US, 1, echo(), options=b"\x94\x04\x00\x00"))])
    case("ipv4-options-security", "echo with a Security option (130): replied without it", ["ipv4", "options"],
         [frame_ip(ipv4(PEER, US, 1, echo(), options=b"\x82\x0b" + bytes(9) + b"\x00"))])
    case("ipv4-options-garbage-after-end", "options END then non-zero bytes: replied", ["ipv4", "options"],
         [frame_ip(ipv4(PEER, US, 1, echo(), options=b"\x00\x07\x03\x05"))])

    # ---- neighbour resolution
    case("neigh-reply-no-entry-then-arp-reply", "echo from 192.0.2.60 (no neighbour entry): ARP request, reply queued; the ARP reply releases it",
         ["neighbour", "arp"], [ping(src=N60, src_mac=N60_MAC), arp_reply(N60_MAC, N60)])
    case("neigh-three-queued-then-arp-reply", "three echo requests from 192.0.2.60 without an entry: one ARP request, three replies after the ARP reply",
         ["neighbour", "arp"], [ping(src=N60, src_mac=N60_MAC, seq=k, ident=k) for k in (1, 2, 3)] + [arp_reply(N60_MAC, N60)])
    case("neigh-forward-no-entry", "router forwards to 203.0.113.9 via 198.51.100.2 with no neighbour entry: ARP request on eth1, packet queued",
         ["neighbour", "forwarding"], [udp_frame(40000, 53, b"queued", dst=FAR)], router=True, neighbors=fwd_nb)
    case("neigh-forward-no-entry-then-arp-reply", "router: ARP request for the next hop, its reply on eth1 releases the forwarded packet",
         ["neighbour", "forwarding"], [("eth0", [udp_frame(40000, 53, b"queued", dst=FAR)]),
                                       ("eth1", [arp_reply(PEER1_MAC, PEER1, US1_MAC, US1)])], router=True, neighbors=fwd_nb)
    case("neigh-forward-on-link-no-entry", "router forwards to 198.51.100.7 (on eth1's subnet, no entry): ARP request for it",
         ["neighbour", "forwarding"], [udp_frame(40000, 53, b"onlink", dst="198.51.100.7")], router=True)
    for st in ("stale", "reachable", "delay", "probe"):
        case("neigh-%s-entry-used" % st, "neighbour 192.0.2.1 in state %s: the echo reply goes to its MAC" % st,
             ["neighbour"], [ping()], neighbors=[{"ip": PEER, "mac": PEER_MAC, "dev": "eth0", "state": st}])
    case("neigh-stale-entry-arp-reply-new-mac", "stale neighbour 192.0.2.50, ARP reply with a new MAC, then echo from it: reply to the new MAC",
         ["neighbour", "arp"], [arp_reply("02:00:00:00:00:51", N50), ping(src=N50, src_mac="02:00:00:00:00:51")],
         neighbors=[{"ip": PEER, "mac": PEER_MAC, "dev": "eth0"}, {"ip": N50, "mac": N50_MAC, "dev": "eth0", "state": "stale"}])
    case("neigh-arp-request-creates-entry", "ARP request for our address from 192.0.2.60 creates its entry: the echo reply needs no ARP",
         ["neighbour", "arp"], [arp_request(N60_MAC, N60, US), ping(src=N60, src_mac=N60_MAC)])
    two = ["192.0.2.2/24", "203.0.113.1/24"]
    for ann in (0, 1, 2):
        case("arp-announce-%d" % ann, "echo to our 203.0.113.1 from 192.0.2.60 (no entry), arp_announce=%d: the ARP request's sender address" % ann,
             ["arp", "neighbour"], [ping(src=N60, dst="203.0.113.1", src_mac=N60_MAC)], addrs0=["203.0.113.1/24"],
             sysctl=both("arp_announce", ann))
    case("arp-request-for-secondary-address", "ARP request for 192.0.2.3 (second address on eth0): replied", ["arp"],
         [arp_request("02:00:00:00:00:42", "192.0.2.42", "192.0.2.3")], addrs0=["192.0.2.3/24"])
    case("arp-request-for-address-of-other-subnet-same-if", "ARP request from 192.0.2.42 for 203.0.113.1 (eth0, other subnet): replied", ["arp"],
         [arp_request("02:00:00:00:00:42", "192.0.2.42", "203.0.113.1")], addrs0=["203.0.113.1/24"])
    px = dict(router=True, sysctl=dict(both("proxy_arp", 1), **{"net.ipv4.neigh.eth0.proxy_delay": 0}))
    case("arp-proxy-arp-other-interface", "router proxy_arp=1 (proxy_delay 0): ARP request on eth0 for 203.0.113.9 (routed via eth1): we answer",
         ["arp", "proxy_arp"], [arp_request("02:00:00:00:00:42", "192.0.2.42", FAR)], **px)
    case("arp-proxy-arp-same-interface", "router proxy_arp=1: ARP request on eth0 for 192.0.2.77 (routed back out of eth0): no answer",
         ["arp", "proxy_arp"], [arp_request("02:00:00:00:00:42", "192.0.2.42", "192.0.2.77")], **px)
    case("arp-proxy-arp-off", "router proxy_arp=0: ARP request on eth0 for 203.0.113.9: no answer", ["arp", "proxy_arp"],
         [arp_request("02:00:00:00:00:42", "192.0.2.42", FAR)], router=True)
    case("arp-proxy-arp-unicast-request", "router proxy_arp=1 with the default proxy_delay: a unicast ARP request is answered at once",
         ["arp", "proxy_arp"], [arp_request("02:00:00:00:00:42", "192.0.2.42", FAR, dst_mac=US_MAC)], router=True,
         sysctl=both("proxy_arp", 1))
    for ig in (3, 8):
        case("arp-ignore-%d" % ig, "arp_ignore=%d: ARP request for our (global scope) address" % ig, ["arp"],
             [arp_request("02:00:00:00:00:42", "192.0.2.42", US)], sysctl=both("arp_ignore", ig))
    garp = eth(BCAST_MAC, N50_MAC, 0x0806, arp(1, N50_MAC, N50, "00:00:00:00:00:00", N50))
    garp_rep = eth(BCAST_MAC, N50_MAC, 0x0806, arp(2, N50_MAC, N50, BCAST_MAC, N50))
    case("arp-gratuitous-accept-2-same-subnet", "gratuitous ARP from 192.0.2.50 with arp_accept=2 (same subnet): entry created",
         ["arp"], [garp, ping(src=N50, src_mac=N50_MAC)], sysctl=both("arp_accept", 2))
    garp_far = eth(BCAST_MAC, N50_MAC, 0x0806, arp(1, N50_MAC, "203.0.113.50", "00:00:00:00:00:00", "203.0.113.50"))
    case("arp-gratuitous-accept-2-other-subnet", "gratuitous ARP from 203.0.113.50 (not our subnet) with arp_accept=2, then echo from it",
         ["arp"], [garp_far, ping(src="203.0.113.50", src_mac=N50_MAC)], sysctl=both("arp_accept", 2),
         routes=[{"dst": "203.0.113.0/24", "dev": "eth0"}])
    case("arp-gratuitous-reply-accept-1", "gratuitous ARP reply (op 2) from 192.0.2.50 with arp_accept=1, then echo", ["arp"],
         [garp_rep, ping(src=N50, src_mac=N50_MAC)], sysctl=both("arp_accept", 1))
    case("arp-gratuitous-updates-existing", "stale entry 192.0.2.50 -> old MAC; gratuitous ARP (arp_accept=0) with a new MAC updates it",
         ["arp", "neighbour"], [eth(BCAST_MAC, "02:00:00:00:00:51", 0x0806, arp(1, "02:00:00:00:00:51", N50, "00:00:00:00:00:00", N50)),
                                ping(src=N50, src_mac="02:00:00:00:00:51")],
         neighbors=[{"ip": PEER, "mac": PEER_MAC, "dev": "eth0"}, {"ip": N50, "mac": N50_MAC, "dev": "eth0", "state": "stale"}])
    case("arp-request-sender-zero", "ARP probe (sender 0.0.0.0) for our address: replied, no entry created", ["arp"],
         [arp_request("02:00:00:00:00:42", "0.0.0.0", US)])

    # ---- fragments
    big = udp(PEER, US, 40000, 5353, bytes(i & 0xff for i in range(2400)))
    case("frag-four-reverse-order", "UDP datagram of 2408 bytes in four fragments sent in reverse order: delivered", ["fragments", "udp"],
         fragments(PEER, US, 17, big, [(1800, 608), (1200, 600), (600, 600), (0, 600)]), sockets=[UDP80])
    case("frag-duplicate-last", "the last fragment twice: the datagram delivered once", ["fragments", "udp"],
         fragments(PEER, US, 17, big[:1208], [(800, 408), (800, 408), (0, 800)]), sockets=[UDP80])
    case("frag-overlap-tail", "fragments 0-800, 800-1208 and 1000-1208 (inside the last): the queue is dropped", ["fragments", "udp"],
         fragments(PEER, US, 17, big[:1208], [(0, 800), (800, 408), (1000, 208)]), sockets=[UDP80])
    case("frag-with-df", "two fragments with DF also set: reassembled and delivered", ["fragments", "udp"],
         [frame_ip(ipv4(PEER, US, 17, big[:800], ident=0x77, mf=True, df=True)),
          frame_ip(ipv4(PEER, US, 17, big[800:1208], ident=0x77, frag_off=800, df=True))], sockets=[UDP80])
    syn = tcp(PEER, US, 40000, 80, 1000, 0, "S", options=SYN_OPTS)
    case("frag-first-smaller-than-tcp-header", "a TCP SYN (40 bytes) in fragments of 8 and 32 bytes to a listener: reassembled, SYN-ACK",
         ["fragments", "tcp"], fragments(PEER, US, 6, syn, [(0, 8), (8, 32)]), sockets=[TCP80])
    case("frag-udp-header-split", "UDP datagram whose first fragment holds only 8 bytes (the header): delivered", ["fragments", "udp"],
         fragments(PEER, US, 17, big[:108], [(0, 8), (8, 100)]), sockets=[UDP80])
    fwd_big = udp(PEER, FAR, 40000, 53, bytes(i & 0xff for i in range(1200)))
    case("frag-forward-no-conntrack", "router without conntrack forwards two fragments as they are", ["fragments", "forwarding"],
         fragments(PEER, FAR, 17, fwd_big, [(0, 800), (800, 408)]), router=True)
    case("frag-forward-reverse-no-conntrack", "router without conntrack forwards fragments sent last-first, unchanged, in arrival order",
         ["fragments", "forwarding"], fragments(PEER, FAR, 17, fwd_big, [(800, 408), (0, 800)]), router=True)
    case("frag-forward-with-conntrack", "router with a FORWARD -m state rule (conntrack): fragments reassembled, sent again fragmented",
         ["fragments", "forwarding", "conntrack"], fragments(PEER, FAR, 17, fwd_big, [(800, 408), (0, 800)]), router=True,
         firewall=filt("-A FORWARD -m state --state INVALID -j DROP"))
    case("frag-icmp-echo-reply-fragmented", "echo request with 2000 data bytes in two fragments: the reply exceeds 1500 and is fragmented",
         ["fragments", "icmp"], fragments(PEER, US, 1, echo(data=bytes(i & 0xff for i in range(2000))), [(0, 1480), (1480, 528)]))
    badu = udp(PEER, US, 40000, 5353, bytes(range(200)) * 5, cks="bad")
    case("frag-udp-bad-checksum", "UDP datagram in two fragments whose checksum is wrong: reassembled, then dropped (UdpInCsumErrors)",
         ["fragments", "udp"], fragments(PEER, US, 17, badu, [(0, 504), (504, 504)]), sockets=[UDP80])
    case("frag-too-big", "fragment at offset 65528 with 16 bytes (beyond 65535): dropped", ["fragments"],
         [frame_ip(ipv4(PEER, US, 17, bytes(16), ident=0x55, frag_off=65528)),
          frame_ip(ipv4(PEER, US, 17, big[:16], ident=0x55, mf=True))], sockets=[UDP80])
    case("frag-mf-odd-length", "a non-last fragment of 13 bytes (not a multiple of 8) and the rest: the datagram", ["fragments", "udp"],
         fragments(PEER, US, 17, big[:100], [(0, 13), (8, 92)]), sockets=[UDP80])
    case("frag-to-unbound-port", "UDP datagram in two fragments to an unbound port: reassembled, port unreachable quoting the first 8 bytes",
         ["fragments", "udp", "icmp"], fragments(PEER, US, 17, udp(PEER, US, 40000, 7777, bytes(1000)), [(0, 504), (504, 504)]))

    # ---- pmtu / forwarding
    def fwd_udp(n, df, ttl=64, dst=FAR, src=PEER):
        return udp_frame(40000, 53, bytes(i & 0xff for i in range(n - 28)), dst=dst, src=src, df=df, ident=0x99, ttl=ttl)
    case("pmtu-df-too-big", "router: 1400-byte UDP with DF to eth1 (MTU 1280): frag needed, mtu 1280", ["pmtu", "forwarding", "icmp"],
         [fwd_udp(1400, True)], router=True, mtu1=1280)
    case("pmtu-exactly-mtu-df", "router: 1280-byte UDP with DF to eth1 (MTU 1280): forwarded", ["pmtu", "forwarding"],
         [fwd_udp(1280, True)], router=True, mtu1=1280)
    case("pmtu-mtu-plus-one-df", "router: 1281-byte UDP with DF to eth1 (MTU 1280): frag needed", ["pmtu", "forwarding"],
         [fwd_udp(1281, True)], router=True, mtu1=1280)
    case("pmtu-mtu-plus-one-no-df", "router: 1281-byte UDP without DF to eth1 (MTU 1280): two fragments", ["pmtu", "forwarding", "fragments"],
         [fwd_udp(1281, False)], router=True, mtu1=1280)
    case("pmtu-small-mtu-576", "router: 1000-byte UDP without DF to eth1 (MTU 576): fragmented", ["pmtu", "forwarding", "fragments"],
         [fwd_udp(1000, False)], router=True, mtu1=576)
    case("pmtu-echo-reply-larger-than-mtu", "router: echo from 203.0.113.9 on eth1 (MTU 576) with 1000 data bytes arriving in fragments: reply fragmented to 576",
         ["pmtu", "fragments", "icmp"], [("eth1", fragments(FAR, US1, 1, echo(data=bytes(1000)), [(0, 552), (552, 456)],
                                                   dst_mac=US1_MAC, src_mac=PEER1_MAC))], router=True, mtu1=576)
    case("fwd-ttl-1-forwarded", "router: UDP with TTL 1 to forward: time exceeded", ["forwarding", "icmp"],
         [fwd_udp(100, False, ttl=1)], router=True)
    case("fwd-ttl-1-to-us", "router: echo with TTL 1 to our eth0 address: answered", ["forwarding", "icmp"], [ping(ttl=1)], router=True)
    case("fwd-ttl-1-to-other-interface", "router: echo with TTL 1 to eth1's address arriving on eth0: answered (local)",
         ["forwarding", "icmp"], [ping(ttl=1, dst=US1)], router=True)
    case("fwd-directed-broadcast-bc-forwarding-0", "router: UDP to 198.51.100.255 (eth1's broadcast) from eth0, bc_forwarding=0: not forwarded",
         ["forwarding", "broadcast"], [udp_frame(40000, 5353, b"dbc", dst="198.51.100.255")], router=True, sockets=[UDP80])
    case("fwd-directed-broadcast-bc-forwarding-1", "router: UDP to 198.51.100.255 from eth0, bc_forwarding=1 on all and eth0 and eth1: forwarded as broadcast",
         ["forwarding", "broadcast"], [udp_frame(40000, 5353, b"dbc", dst="198.51.100.255")], router=True, sockets=[UDP80],
         sysctl=both("bc_forwarding", 1, ("all", "eth0", "eth1")))
    case("fwd-limited-broadcast", "router: UDP to 255.255.255.255 on eth0: delivered locally, never forwarded", ["forwarding", "broadcast"],
         [udp_frame(40000, 5353, b"lbc", dst="255.255.255.255", dst_mac=BCAST_MAC)], router=True, sockets=[UDP80])
    case("fwd-no-route-error-source-other-interface", "router without a route to 198.18.0.1: net unreachable to 203.0.113.77 (arrived on eth0, reply route via eth1)",
         ["forwarding", "icmp"], [udp_frame(40000, 53, b"x", src="203.0.113.77", dst="198.18.0.1")], router=True)
    case("fwd-no-route-errors-use-inbound-ifaddr", "the same with icmp_errors_use_inbound_ifaddr=1: the error's source is eth0's address",
         ["forwarding", "icmp"], [udp_frame(40000, 53, b"x", src="203.0.113.77", dst="198.18.0.1")], router=True,
         sysctl={"net.ipv4.icmp_errors_use_inbound_ifaddr": 1})
    case("fwd-no-route-secondary-address", "router with 192.0.2.2 and 192.0.2.3 on eth0, no route: net unreachable from the primary",
         ["forwarding", "icmp"], [udp_frame(40000, 53, b"x", dst="198.18.0.1")], router=True, addrs0=["192.0.2.3/24"])
    nb50 = fwd_nb + [{"ip": PEER1, "mac": PEER1_MAC, "dev": "eth1"}, {"ip": N50, "mac": N50_MAC, "dev": "eth0"}]
    case("fwd-route-metric-lower-wins", "two routes to 203.0.113.0/24: via eth1 metric 10, via 192.0.2.50 metric 20: eth1 wins",
         ["forwarding", "route"], [fwd_udp(100, False)], router=True, neighbors=nb50,
         routes=[{"dst": "203.0.113.0/24", "via": PEER1, "dev": "eth1", "metric": 10},
                 {"dst": "203.0.113.0/24", "via": N50, "dev": "eth0", "metric": 20}])
    case("fwd-route-metric-other-way", "the same with metrics swapped: out of eth0 to 192.0.2.50, with a redirect", ["forwarding", "route", "redirect"],
         [fwd_udp(100, False)], router=True, neighbors=nb50,
         routes=[{"dst": "203.0.113.0/24", "via": PEER1, "dev": "eth1", "metric": 20},
                 {"dst": "203.0.113.0/24", "via": N50, "dev": "eth0", "metric": 10}])
    case("fwd-more-specific-route-wins", "203.0.113.0/24 via eth1 and 203.0.113.9/32 via 198.51.100.3: the /32 wins", ["forwarding", "route"],
         [fwd_udp(100, False)], router=True, neighbors=nb50 + [{"ip": "198.51.100.3", "mac": "02:00:00:00:01:03", "dev": "eth1"}],
         routes=[{"dst": "203.0.113.0/24", "via": PEER1, "dev": "eth1"}, {"dst": "203.0.113.9/32", "via": "198.51.100.3", "dev": "eth1"}])
    redirect_in = udp_frame(40000, 53, b"redir", dst=N50)
    case("fwd-redirect-send-redirects-all-0-eth0-1", "send_redirects all=0, eth0=1 (OR): redirect sent", ["forwarding", "redirect"],
         [redirect_in], router=True, neighbors=nb50, sysctl={"net.ipv4.conf.all.send_redirects": 0, "net.ipv4.conf.eth0.send_redirects": 1})
    case("fwd-redirect-off-subnet-source", "in==out but the source 203.0.113.77 is not on eth0's subnet: no redirect", ["forwarding", "redirect"],
         [udp_frame(40000, 53, b"redir", src="203.0.113.77", dst=N50)], router=True, neighbors=nb50,
         routes=[{"dst": "203.0.113.0/24", "via": PEER, "dev": "eth0"}])
    case("fwd-redirect-twice", "two packets that each warrant a redirect: how many redirects", ["forwarding", "redirect"],
         [redirect_in, udp_frame(40000, 53, b"redir2", dst=N50, ident=2)], router=True, neighbors=nb50)
    case("fwd-rp-filter-strict-forwarded", "router rp_filter=1: UDP on eth0 from 203.0.113.77 (routed via eth1) to forward: dropped",
         ["forwarding", "rp_filter"], [udp_frame(40000, 53, b"spoof", src="203.0.113.77", dst="198.51.100.7")], router=True,
         sysctl=both("rp_filter", 1))
    case("fwd-rp-filter-loose-no-route-to-source", "router rp_filter=2: UDP on eth0 from 198.18.0.5 (no route at all) to forward: dropped",
         ["forwarding", "rp_filter"], [udp_frame(40000, 53, b"spoof", src="198.18.0.5", dst=FAR)], router=True,
         sysctl=both("rp_filter", 2))
    case("fwd-rp-filter-loose-forwarded", "router rp_filter=2: UDP on eth0 from 203.0.113.77 (routed via eth1) to 198.51.100.2: forwarded",
         ["forwarding", "rp_filter"], [udp_frame(40000, 53, b"loose", src="203.0.113.77", dst=PEER1)], router=True,
         sysctl=both("rp_filter", 2))

    # ---- netfilter / conntrack / nat
    snat = filt() + "\n" + nat("-A POSTROUTING -o eth1 -j SNAT --to-source 198.51.100.1")
    udp_back = frame_ip(ipv4(FAR, US1, 17, udp(FAR, US1, 53, 40000, b"answer")), US1_MAC, PEER1_MAC)
    case("nf-snat-udp-and-reply", "SNAT on eth1: UDP out, the answer to 198.51.100.1 translated back to 192.0.2.1", ["netfilter", "nat", "conntrack"],
         [("eth0", [udp_frame(40000, 53, b"query", dst=FAR)]), ("eth1", [udp_back])], router=True, firewall=snat)
    case("nf-masquerade-udp-and-reply", "MASQUERADE on eth1: UDP out and its answer", ["netfilter", "nat", "conntrack"],
         [("eth0", [udp_frame(40000, 53, b"query", dst=FAR)]), ("eth1", [udp_back])], router=True,
         firewall=filt() + "\n" + nat("-A POSTROUTING -o eth1 -j MASQUERADE"))
    case("nf-masquerade-related-icmp", "MASQUERADE on eth1: UDP out, then ICMP port unreachable about it from 203.0.113.9: translated back (RELATED)",
         ["netfilter", "nat", "conntrack", "icmp"],
         [("eth0", [udp_frame(40000, 53, b"query", dst=FAR)]),
          ("eth1", [frame_ip(ipv4(FAR, US1, 1, icmp(3, 3, b"\0\0\0\0", ipv4(US1, FAR, 17, udp(US1, FAR, 40000, 53, b"query"), ident=1))),
                             US1_MAC, PEER1_MAC)])], router=True, firewall=filt() + "\n" + nat("-A POSTROUTING -o eth1 -j MASQUERADE"))
    dnat_udp = filt() + "\n" + nat("-A PREROUTING -d 192.0.2.2/32 -p udp -m udp --dport 5300 -j DNAT --to-destination 203.0.113.9:53")
    case("nf-dnat-udp-port-and-reply", "DNAT udp 192.0.2.2:5300 -> 203.0.113.9:53: forwarded, the answer comes back from 192.0.2.2:5300",
         ["netfilter", "nat", "conntrack"], [("eth0", [udp_frame(40000, 5300, b"query")]),
                                             ("eth1", [frame_ip(ipv4(FAR, PEER, 17, udp(FAR, PEER, 53, 40000, b"answer")), US1_MAC, PEER1_MAC)])],
         router=True, firewall=dnat_udp)
    case("nf-dnat-to-local-port", "DNAT udp dport 9000 -> 192.0.2.2:5353 (local socket)", ["netfilter", "nat"],
         [udp_frame(40000, 9000, b"dnat-local")], sockets=[UDP80],
         firewall=filt() + "\n" + nat("-A PREROUTING -p udp -m udp --dport 9000 -j DNAT --to-destination 192.0.2.2:5353"))
    case("nf-redirect-to-local-socket", "PREROUTING REDIRECT udp 53 --to-ports 5353: delivered to the 5353 socket", ["netfilter", "nat"],
         [udp_frame(40000, 53, b"redirected")], sockets=[UDP80],
         firewall=filt() + "\n" + nat("-A PREROUTING -p udp -m udp --dport 53 -j REDIRECT --to-ports 5353"))
    case("nf-redirect-echo-reply-from-original", "REDIRECT udp 53 -> 5353 with no socket on 5353: port unreachable quoting the original port",
         ["netfilter", "nat", "icmp"], [udp_frame(40000, 53, b"redirected")],
         firewall=filt() + "\n" + nat("-A PREROUTING -p udp -m udp --dport 53 -j REDIRECT --to-ports 5353"))
    for rw, what in (("icmp-host-prohibited", "host prohibited"), ("icmp-net-unreachable", "net unreachable"),
                     ("icmp-admin-prohibited", "admin prohibited"), ("icmp-host-unreachable", "host unreachable"),
                     ("icmp-proto-unreachable", "protocol unreachable"), ("icmp-net-prohibited", "net prohibited")):
        case("nf-reject-%s" % rw.replace("icmp-", ""), "INPUT udp 9999 REJECT --reject-with %s" % rw, ["netfilter", "reject", "icmp"],
             [udp_frame(40000, 9999, b"rej")], firewall=filt("-A INPUT -p udp -m udp --dport 9999 -j REJECT --reject-with %s" % rw))
    case("nf-reject-tcp-reset-ack", "REJECT tcp-reset of an ACK segment: RST with seq = its ack", ["netfilter", "reject", "tcp"],
         [tcp_frame(80, "A", seq=5000, ack=7777)], sockets=[TCP80],
         firewall=filt("-A INPUT -p tcp -m tcp --dport 80 -j REJECT --reject-with tcp-reset"))
    case("nf-reject-forward", "router FORWARD REJECT (default icmp-port-unreachable) of UDP to 203.0.113.9: error from eth0's address",
         ["netfilter", "reject", "forwarding"], [fwd_udp(100, False)], router=True,
         firewall=filt("-A FORWARD -p udp -j REJECT"))
    case("nf-reject-icmp-echo", "INPUT -p icmp REJECT: an echo request gets port unreachable", ["netfilter", "reject", "icmp"],
         [ping()], firewall=filt("-A INPUT -p icmp -j REJECT"))
    case("nf-ctstate-invalid-bad-tcp-checksum", "ctstate INVALID DROP: a TCP segment with a bad checksum is INVALID for conntrack",
         ["netfilter", "conntrack", "tcp"], [tcp_frame(81, "S", bad=True)], firewall=filt("-A INPUT -m conntrack --ctstate INVALID -j DROP"))
    case("nf-ctstate-invalid-icmp-error-unrelated", "ctstate INVALID DROP: an ICMP port unreachable about no connection",
         ["netfilter", "conntrack", "icmp"], [frame_ip(ipv4(PEER, US, 1, icmp(3, 3, b"\0\0\0\0", quoted[:28] if False else
                                                                           ipv4(US, PEER, 17, udp(US, PEER, 5353, 53, b"query"), ident=7)[:28])))],
         firewall=filt("-A INPUT -m conntrack --ctstate INVALID -j DROP"))
    case("nf-ctstate-new-established", "INPUT: ESTABLISHED accept, NEW udp to 5353 accept, rest drop; a reply from the peer after our ping",
         ["netfilter", "conntrack"], [udp_frame(40000, 5353, b"new"), udp_frame(40000, 6000, b"other")], sockets=[UDP80],
         firewall=filt("-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
                       "-A INPUT -p udp -m conntrack --ctstate NEW -m udp --dport 5353 -j ACCEPT", "-A INPUT -j DROP"))
    case("nf-multiport-sports", "INPUT -p udp -m multiport --sports 40000:40010 -j DROP", ["netfilter"],
         [udp_frame(40005, 5353, b"a"), udp_frame(41000, 5353, b"b")], sockets=[UDP80],
         firewall=filt("-A INPUT -p udp -m multiport --sports 40000:40010 -j DROP"))
    case("nf-comment-match", "INPUT -p udp --dport 5353 -m comment (drop mdns) -j DROP: dropped", ["netfilter"],
         [udp_frame(40000, 5353, b"a")], sockets=[UDP80],
         firewall=filt('-A INPUT -p udp -m udp --dport 5353 -m comment --comment "drop mdns" -j DROP'))
    case("nf-user-chain-return", "INPUT -j CHK; CHK: udp 5353 RETURN, udp DROP: 5353 delivered, 6000 dropped", ["netfilter"],
         [udp_frame(40000, 5353, b"a"), udp_frame(40000, 6000, b"b")], sockets=[UDP80],
         firewall="*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:CHK - [0:0]\n"
                  "-A INPUT -j CHK\n-A CHK -p udp -m udp --dport 5353 -j RETURN\n-A CHK -p udp -j DROP\nCOMMIT")
    case("nf-policy-drop", "INPUT policy DROP with an ACCEPT for icmp: echo answered, UDP dropped silently", ["netfilter"],
         [ping(), udp_frame(40000, 7777, b"a")],
         firewall="*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p icmp -j ACCEPT\nCOMMIT")
    case("nf-forward-policy-drop", "router FORWARD policy DROP: nothing forwarded", ["netfilter", "forwarding"],
         [fwd_udp(100, False)], router=True,
         firewall="*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT")
    case("nf-output-drop-echo-reply", "OUTPUT -p icmp --icmp-type echo-reply -j DROP", ["netfilter", "icmp"], [ping()],
         firewall=filt("-A OUTPUT -p icmp -m icmp --icmp-type 0 -j DROP"))
    case("nf-tcp-flags-syn-drop", "INPUT -p tcp --tcp-flags SYN,ACK SYN -j DROP: SYN dropped, ACK gets RST", ["netfilter", "tcp"],
         [tcp_frame(81, "S"), tcp_frame(81, "A", seq=5000, ack=1, sport=40001)],
         firewall=filt("-A INPUT -p tcp -m tcp --tcp-flags SYN,ACK SYN -j DROP"))
    case("nf-tcp-flags-xmas", "INPUT -p tcp --tcp-flags ALL FIN,PSH,URG -j DROP", ["netfilter", "tcp"],
         [tcp_frame(81, "FPU"), tcp_frame(81, "F", sport=40001)],
         firewall=filt("-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG FIN,PSH,URG -j DROP"))
    case("nf-source-negation", "INPUT ! -s 192.0.2.1 -j DROP: echo from .1 answered, from .50 dropped", ["netfilter"],
         [ping(), ping(src=N50, src_mac=N50_MAC)], neighbors=[{"ip": PEER, "mac": PEER_MAC, "dev": "eth0"}, {"ip": N50, "mac": N50_MAC, "dev": "eth0"}],
         firewall=filt("! -s 192.0.2.1/32 -A INPUT -j DROP".replace("! -s 192.0.2.1/32 -A INPUT", "-A INPUT ! -s 192.0.2.1/32")))

    # ---- vlan / link / broadcast
    case("link-vlan-tagged-vid-10", "echo request tagged VID 10 (no VLAN device): dropped", ["vlan", "link"],
         [frame_ip(ipv4(PEER, US, 1, echo()), vlans=[(0x8100, 10)])])
    case("link-vlan0-pcp-udp", "UDP in a VLAN 0 frame with PCP 3: delivered", ["vlan", "link"],
         [frame_ip(ipv4(PEER, US, 17, udp(PEER, US, 40000, 5353, b"prio")), vlans=[(0x8100, 3 << 13)])], sockets=[UDP80])
    case("link-qinq-vlan0", "echo in 802.1ad VID 0 + 802.1Q VID 0", ["vlan", "link"],
         [frame_ip(ipv4(PEER, US, 1, echo()), vlans=[(0x88a8, 0), (0x8100, 0)])])
    case("link-multicast-mac-drop-unicast-in-l2-multicast", "echo to our address in a multicast frame with drop_unicast_in_l2_multicast=1",
         ["link", "broadcast"], [ping(dst_mac="01:00:5e:00:00:01")], sysctl=both("drop_unicast_in_l2_multicast", 1))
    case("link-broadcast-mac-drop-unicast-in-l2-multicast", "UDP to our address in a broadcast frame with drop_unicast_in_l2_multicast=1",
         ["link", "broadcast"], [udp_frame(40000, 5353, b"b", dst_mac=BCAST_MAC)], sockets=[UDP80],
         sysctl=both("drop_unicast_in_l2_multicast", 1))
    case("udp-limited-broadcast-no-socket", "UDP to 255.255.255.255 with no socket: no ICMP", ["udp", "broadcast"],
         [udp_frame(40000, 6000, b"lb", dst="255.255.255.255", dst_mac=BCAST_MAC)])
    case("udp-subnet-broadcast-no-socket", "UDP to 192.0.2.255 with no socket: no ICMP", ["udp", "broadcast"],
         [udp_frame(40000, 6000, b"sb", dst="192.0.2.255", dst_mac=BCAST_MAC)])
    case("udp-broadcast-specific-and-wildcard", "UDP to 192.0.2.255:5353 with sockets on 192.0.2.2:5353 and 0.0.0.0:5353", ["udp", "broadcast"],
         [udp_frame(40000, 5353, b"both", dst="192.0.2.255", dst_mac=BCAST_MAC)],
         sockets=[{"proto": "udp", "bind": "192.0.2.2:5353"}, UDP80])
    for ign in (0, 1):
        case("icmp-echo-multicast-all-hosts-ignore-%d" % ign, "echo to 224.0.0.1 with icmp_echo_ignore_broadcasts=%d" % ign,
             ["icmp", "broadcast"], [ping(dst="224.0.0.1", dst_mac="01:00:5e:00:00:01", ttl=1)],
             sysctl={"net.ipv4.icmp_echo_ignore_broadcasts": ign})
    case("udp-unicast-in-broadcast-frame-unbound", "UDP to our address in a broadcast frame to an unbound port", ["udp", "link"],
         [udp_frame(40000, 7777, b"x", dst_mac=BCAST_MAC)])

    # ---- UDP
    # (two sockets on one address and port cannot be told apart in expected.json: no such case)
    case("udp-zero-payload", "UDP datagram with 0 payload bytes: delivered empty", ["udp"], [udp_frame(40000, 5353, b"")], sockets=[UDP80])
    case("udp-bad-checksum-bound", "UDP with a wrong checksum to a bound port: UdpInCsumErrors", ["udp"],
         [udp_frame(40000, 5353, b"bad", cks="bad")], sockets=[UDP80])
    case("udp-rcvbuf-overflow-small", "300 datagrams of 100 bytes to an unread socket: truesize fills the buffer", ["udp", "socket"],
         [udp_frame(40000, 5353, bytes([k & 0xff]) * 100, ident=k + 1) for k in range(300)], sockets=[UDP80])

    # ---- ICMP
    case("icmp-echo-zero-data", "echo request with no data", ["icmp"], [frame_ip(ipv4(PEER, US, 1, echo(data=b"")))])
    case("icmp-echo-max-data", "echo request with 1472 data bytes (1500-byte packet)", ["icmp"],
         [frame_ip(ipv4(PEER, US, 1, echo(data=bytes(i & 0xff for i in range(1472)))))])
    case("icmp-timestamp-short", "timestamp request with 8 bytes after the header (should be 12): error", ["icmp"],
         [frame_ip(ipv4(PEER, US, 1, icmp(13, 0, struct.pack("!HH", 1, 1), struct.pack("!II", 1000, 0))))])
    case("icmp-timestamp-long", "timestamp request with 20 bytes after the header", ["icmp"],
         [frame_ip(ipv4(PEER, US, 1, icmp(13, 0, struct.pack("!HH", 1, 1), struct.pack("!IIIII", 1000, 0, 0, 7, 8))))])
    case("icmp-address-mask-request", "ICMP address mask request (17): ignored", ["icmp"],
         [frame_ip(ipv4(PEER, US, 1, icmp(17, 0, struct.pack("!HH", 1, 1), bytes(4))))])
    case("icmp-info-request", "ICMP information request (15): ignored", ["icmp"],
         [frame_ip(ipv4(PEER, US, 1, icmp(15, 0, struct.pack("!HH", 1, 1))))])
    q_far = ipv4(US, FAR, 1, echo(typ=8), ident=9)[:28]
    nbr = [{"ip": PEER, "mac": PEER_MAC, "dev": "eth0"}, {"ip": N50, "mac": N50_MAC, "dev": "eth0"}]
    case("icmp-redirect-received", "redirect from our gateway: 203.0.113.9 via 192.0.2.50; then an echo from 203.0.113.9: the reply goes to 192.0.2.50",
         ["icmp", "redirect"], [frame_ip(ipv4(PEER, US, 1, icmp(5, 1, ip(N50), q_far))), ping(src=FAR)], neighbors=nbr)
    case("icmp-redirect-from-non-gateway", "redirect from 192.0.2.50 (not our gateway) for 203.0.113.9: ignored", ["icmp", "redirect"],
         [frame_ip(ipv4(N50, US, 1, icmp(5, 1, ip("192.0.2.60"), q_far)), src_mac=N50_MAC), ping(src=FAR)], neighbors=nbr)
    case("icmp-redirect-accept-redirects-0", "redirect from our gateway with accept_redirects=0: ignored", ["icmp", "redirect"],
         [frame_ip(ipv4(PEER, US, 1, icmp(5, 1, ip(N50), q_far))), ping(src=FAR)], neighbors=nbr,
         sysctl=both("accept_redirects", 0))
    rl = {"net.ipv4.icmp_ratelimit": 1000}
    case("icmp-ratelimit-port-unreachable-burst", "icmp_ratelimit=1000: 10 UDP datagrams to a closed port in a burst", ["icmp", "udp"],
         [udp_frame(40000, 7777, b"x", ident=k + 1) for k in range(10)], sysctl=rl)
    case("icmp-ratelimit-echo-not-in-mask", "icmp_ratelimit=1000: 10 echo requests, echo reply not in icmp_ratemask: all answered", ["icmp"],
         [ping(seq=k, ident=k + 1) for k in range(10)], sysctl=rl)
    case("icmp-ratemask-echo-reply", "icmp_ratelimit=1000, icmp_ratemask with echo reply: 10 echo requests", ["icmp"],
         [ping(seq=k, ident=k + 1) for k in range(10)], sysctl=dict(rl, **{"net.ipv4.icmp_ratemask": 6169}))
    # (icmp_msgs_burst small enough to bite is not recorded: icmp_global_consume takes a random 0-2 credits)

    # ---- TCP single segments
    for key, what in (("tcp_timestamps", "timestamps"), ("tcp_sack", "SACK"), ("tcp_window_scaling", "window scaling")):
        case("tcp-syn-%s-off" % key.replace("_", "-"), "SYN with all options to a listener, %s=0: SYN-ACK without %s" % (key, what),
             ["tcp"], [tcp_frame(80, "S", options=SYN_OPTS)], sockets=[TCP80], sysctl={"net.ipv4." + key: 0})
    for nm, opts in (("mss-ts", b"\x02\x04\x05\xb4\x01\x01\x08\x0a" + struct.pack("!II", 1000, 0)),
                     ("mss-sack", b"\x02\x04\x05\xb4\x04\x02"),
                     ("mss-wscale", b"\x02\x04\x05\xb4\x01\x03\x03\x07"),
                     ("sack-ts", b"\x04\x02\x08\x0a" + struct.pack("!II", 1000, 0)),
                     ("wscale-14-plus", b"\x02\x04\x05\xb4\x01\x03\x03\x0f")):
        case("tcp-syn-opts-%s" % nm, "SYN with options %s to a listener" % nm, ["tcp"], [tcp_frame(80, "S", options=opts)], sockets=[TCP80])
    case("tcp-syn-mss-9000", "SYN with MSS 9000 (larger than ours)", ["tcp"], [tcp_frame(80, "S", options=b"\x02\x04\x23\x28")], sockets=[TCP80])
    case("tcp-syn-listener-specific-address", "listener on 192.0.2.2:80: SYN-ACK", ["tcp"], [tcp_frame(80, "S", options=SYN_OPTS)],
         sockets=[{"proto": "tcp", "listen": "192.0.2.2:80", "backlog": 128}])
    case("tcp-syn-rst-listener", "SYN+RST to a listener: dropped silently", ["tcp"], [tcp_frame(80, "SR")], sockets=[TCP80])
    case("tcp-data-offset-below-5", "TCP with data offset 4: bad segment", ["tcp"],
         [frame_ip(ipv4(PEER, US, 6, bytearray_doff(tcp(PEER, US, 40000, 80, 1, 0, "S"), 4), df=True, ident=0))], sockets=[TCP80])
    case("tcp-data-offset-beyond-segment", "TCP with data offset 15 in a 20-byte segment", ["tcp"],
         [frame_ip(ipv4(PEER, US, 6, bytearray_doff(tcp(PEER, US, 40000, 80, 1, 0, "S"), 15), df=True, ident=0))], sockets=[TCP80])
    case("tcp-urg-closed-port", "TCP URG|ACK with urgent pointer to a closed port: RST", ["tcp"],
         [tcp_frame(81, "UA", seq=5000, ack=9, data=b"urgent")])
    for ecn in (0, 1, 2):
        case("tcp-ecn-syn-tcp-ecn-%d" % ecn, "ECN setup SYN (ECE|CWR) to a listener with tcp_ecn=%d" % ecn, ["tcp"],
             [tcp_frame(80, "SEC", options=SYN_OPTS)], sockets=[TCP80], sysctl={"net.ipv4.tcp_ecn": ecn})
    case("tcp-syncookies-always", "SYN to a listener with tcp_syncookies=2: SYN-ACK with a cookie", ["tcp"],
         [tcp_frame(80, "S", options=SYN_OPTS)], sockets=[TCP80], sysctl={"net.ipv4.tcp_syncookies": 2})


def bytearray_doff(seg, doff):
    """A TCP segment with its data offset field rewritten (checksum left as computed: the offset is in the sum)."""
    b = bytearray(seg)
    old = struct.unpack("!H", bytes(b[12:14]))[0]
    new = (old & 0x0fff) | (doff << 12)
    b[12:14] = struct.pack("!H", new)
    c = struct.unpack("!H", bytes(b[16:18]))[0]
    # incremental update (RFC 1624): HC' = ~(~HC + ~m + m')
    s = (~c & 0xffff) + (~old & 0xffff) + new
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    b[16:18] = struct.pack("!H", ~s & 0xffff)
    return bytes(b)


def main():
    base = os.path.join(REPO, "..", "shared", "conformance", "scenarios")
    if not os.path.isdir(base):
        base = "/work/shared/conformance/scenarios"
    only, record = None, True
    a = sys.argv[1:]
    if "--base" in a:
        base = a[a.index("--base") + 1]
    if "--only" in a:
        only = a[a.index("--only") + 1]
    if "--no-record" in a:
        record = False
    skip_done = "--skip-recorded" in a
    made = []
    for name, desc, tags, inputs, host in cases():
        if only and only not in name:
            continue
        d = os.path.join(OUT, name)
        if skip_done and os.path.isfile(os.path.join(d, "expected.json")):
            continue
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            os.remove(os.path.join(d, f))
        with open(os.path.join(d, "host.yaml"), "w") as f:
            f.write(host_yaml(base, **host))
        y = ['description: "%s"' % desc, "tags: [%s]" % ", ".join(tags), "inputs:"]
        for iface, frames in inputs:
            write_pcap(os.path.join(d, "in-%s.pcap" % iface), frames)
            y.append("  - {iface: %s, pcap: in-%s.pcap}" % (iface, iface))
        y.append("settle_ms: 300")
        with open(os.path.join(d, "scenario.yaml"), "w") as f:
            f.write("\n".join(y) + "\n")
        made.append(d)
    if record:
        for d in made:
            p = subprocess.run([sys.executable, os.path.join(HERE, "record_scenario.py"), d])
            if p.returncode:
                print("FAILED to record", d, file=sys.stderr)
    print("%d scenario(s) under %s" % (len(made), OUT))


if __name__ == "__main__":
    main()
