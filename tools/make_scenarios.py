#!/usr/bin/env python3
"""Build new conformance scenarios and record them on this machine's kernel.

    sudo python3 tools/make_scenarios.py [--only NAME_SUBSTRING] [--no-record] [--base DIR]

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
    return C


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
    made = []
    for name, desc, tags, inputs, host in cases():
        if only and only not in name:
            continue
        d = os.path.join(OUT, name)
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
