#!/usr/bin/env python3
"""Record a conformance scenario on the real Linux kernel of this machine.

    sudo python3 tools/record_scenario.py SCENARIO_DIR [--decode-dir DIR] [--keep]

SCENARIO_DIR holds host.yaml, scenario.yaml and the in-<iface>.pcap files
(schema: shared/conformance/FORMAT.md). The script reproduces the harness that
FORMAT.md describes under "How a scenario was run" and writes expected.json and
out-<iface>.pcap into SCENARIO_DIR:

  * a host network namespace netstack-rec-<random> configured as host.yaml says,
    and a harness namespace netstack-rec-<random>-h holding the other end of one
    veth pair per interface (nothing touches the machine's own stack);
  * IPv6 disabled, offloads off (ethtool -K when installed), sysctls, addresses,
    routes, neighbours (non-permanent ones aged beyond locktime), the firewall
    through iptables-restore, the sockets of `sockets:`;
  * counters (/proc/net/snmp + /proc/net/netstat, nstat names) and link
    statistics (netlink IFLA_STATS64, which carries rx_otherhost_dropped) as
    deltas around the injection; input frames injected 2 ms apart through
    AF_PACKET on the harness ends; what the host transmits captured on the
    harness ends until settle_ms after the last input.

Every namespace it created is deleted at the end, also on error or signal.
Standard library only (ctypes for setns(2)).
"""
import ctypes
import json
import os
import random
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DECODE_DIRS = [os.path.join(HERE, "..", "..", "shared", "conformance"), "/work/shared/conformance"]

CLONE_NEWNET = 0x40000000
SO_TIMESTAMPNS = 35
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
IFLA_IFNAME = 3
IFLA_STATS64 = 23
RTM_GETLINK = 18
RTM_NEWLINK = 16
NLMSG_DONE = 3
STATS64_NAMES = ["rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_errors", "tx_errors",
                 "rx_dropped", "tx_dropped", "multicast", "collisions", "rx_length_errors",
                 "rx_over_errors", "rx_crc_errors", "rx_frame_errors", "rx_fifo_errors",
                 "rx_missed_errors", "tx_aborted_errors", "tx_carrier_errors", "tx_fifo_errors",
                 "tx_heartbeat_errors", "tx_window_errors", "rx_compressed", "tx_compressed",
                 "rx_nohandler", "rx_otherhost_dropped"]
LINK_TEN = ["rx_packets", "rx_bytes", "rx_dropped", "rx_errors", "rx_nohandler",
            "rx_otherhost_dropped", "tx_packets", "tx_bytes", "tx_dropped", "tx_errors"]


def log(*a):
    print("[record]", *a, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ tiny YAML
def _split_flow(s):
    parts, depth, cur, q = [], 0, "", None
    for ch in s:
        if q:
            cur += ch
            if ch == q:
                q = None
        elif ch in "\"'":
            q = ch
            cur += ch
        elif ch in "[{":
            depth += 1
            cur += ch
        elif ch in "]}":
            depth -= 1
            cur += ch
        elif ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return [p.strip() for p in parts]


def _strip_comment(s):
    q = None
    for i, ch in enumerate(s):
        if q:
            if ch == q:
                q = None
        elif ch in "\"'":
            q = ch
        elif ch == "#" and (i == 0 or s[i - 1] in " \t"):
            return s[:i].rstrip()
    return s.rstrip()


def scalar(s):
    s = s.strip()
    if s.startswith("{") and s.endswith("}"):
        out = {}
        for p in _split_flow(s[1:-1]):
            k, _, v = p.partition(":")
            out[k.strip()] = scalar(v)
        return out
    if s.startswith("[") and s.endswith("]"):
        return [scalar(p) for p in _split_flow(s[1:-1])]
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
        return s[1:-1]
    if re.fullmatch(r"-?\d+", s):
        return int(s)
    if s in ("true", "false"):
        return s == "true"
    if s in ("null", "~", ""):
        return None
    return s


def parse_yaml(text):
    lines = text.split("\n")
    pos = [0]

    def indent(l):
        return len(l) - len(l.lstrip(" "))

    def skip():
        while pos[0] < len(lines) and not _strip_comment(lines[pos[0]]).strip():
            pos[0] += 1

    def block(ind):
        skip()
        if pos[0] >= len(lines):
            return None
        first = lines[pos[0]]
        if first.strip().startswith("- ") or first.strip() == "-":
            out = []
            while True:
                skip()
                if pos[0] >= len(lines):
                    break
                l = lines[pos[0]]
                if indent(l) != ind or not l.strip().startswith("-"):
                    break
                item = _strip_comment(l)[ind + 1:].strip()
                if ":" in item and not item.startswith(("{", "[", "\"", "'")):
                    # "- key: value" starts a mapping whose keys sit at ind + 2
                    lines[pos[0]] = " " * (ind + 2) + item
                    out.append(mapping(ind + 2))
                else:
                    pos[0] += 1
                    out.append(scalar(item))
            return out
        return mapping(ind)

    def mapping(ind):
        out = {}
        while True:
            skip()
            if pos[0] >= len(lines):
                break
            l = lines[pos[0]]
            if indent(l) != ind or l.strip().startswith("- "):
                break
            content = _strip_comment(l).strip()
            k, _, v = content.partition(":")
            k = k.strip()
            v = v.strip()
            pos[0] += 1
            if v in ("|", "|-", ">"):
                body = []
                bi = None
                while pos[0] < len(lines):
                    bl = lines[pos[0]]
                    if bl.strip() and indent(bl) <= ind:
                        break
                    if bl.strip() and bi is None:
                        bi = indent(bl)
                    body.append(bl[bi:] if bi is not None and bl.strip() else "")
                    pos[0] += 1
                while body and not body[-1]:
                    body.pop()
                out[k] = "\n".join(body) + ("\n" if body and v == "|" else "")
            elif v == "":
                skip()
                if pos[0] < len(lines) and indent(lines[pos[0]]) > ind:
                    out[k] = block(indent(lines[pos[0]]))
                elif pos[0] < len(lines) and indent(lines[pos[0]]) == ind and lines[pos[0]].strip().startswith("- "):
                    out[k] = block(ind)
                else:
                    out[k] = None
            else:
                out[k] = scalar(v)
        return out

    return block(0) or {}


# ------------------------------------------------------------------ pcap
def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    off, frames = 24, []
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        frames.append(data[off:off + incl])
        off += incl
    return frames


def write_pcap(path, records):
    """records: list of (time_us, frame bytes)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for t, fr in records:
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(fr), len(fr)))
            f.write(fr)


# ------------------------------------------------------------------ namespaces
_libc = ctypes.CDLL(None, use_errno=True)
_root_ns_fd = os.open("/proc/self/ns/net", os.O_RDONLY)


def setns(name):
    """Moves this thread into netns `name` (None: back to where the script started)."""
    if name is None:
        fd = _root_ns_fd
    else:
        fd = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "setns " + str(name) + ": " + os.strerror(e))
    finally:
        if name is not None:
            os.close(fd)


def run(*cmd, ns=None, check=True, input=None):
    full = (["ip", "netns", "exec", ns] if ns else []) + list(cmd)
    p = subprocess.run(full, input=input, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(" ".join(full) + " failed: " + p.stderr.strip())
    return p


def sysctl_path(key):
    return "/proc/sys/" + key.replace(".", "/")


def write_sysctl(ns, key, value):
    """Writes a sysctl of netns `ns` (this thread is moved there); keys that are not per-netns are only checked."""
    value = str(value)
    setns(ns)
    try:
        path = sysctl_path(key)
        if not os.path.exists(path):
            log("warning: sysctl", key, "does not exist here")
            return
        with open(path) as f:
            cur = " ".join(f.read().split())
        if cur == " ".join(value.split()):
            return
        if key.startswith("net.core.") and key != "net.core.somaxconn":
            # net.core.{r,w}mem_* are not all per-netns: never change the machine's own.
            log("warning: %s is %s here, not %s (read-only for the recorder)" % (key, cur, value))
            return
        try:
            with open(path, "w") as f:
                f.write(value)
        except OSError as e:
            log("warning: cannot set", key, "=", value, ":", e)
    finally:
        setns(None)


def netlink_link_stats(ns):
    """{ifname: {stat: value}} for every link of netns `ns`, from RTM_GETLINK's IFLA_STATS64."""
    setns(ns)
    try:
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    finally:
        setns(None)
    try:
        req = struct.pack("=IHHII", 32, RTM_GETLINK, 0x301, 1, 0) + struct.pack("=BxHiII", 0, 0, 0, 0, 0)
        s.send(req)
        out, done = {}, False
        while not done:
            data = s.recv(65536)
            off = 0
            while off + 16 <= len(data):
                ln, typ, _, _, _ = struct.unpack("=IHHII", data[off:off + 16])
                if ln < 16:
                    done = True
                    break
                if typ == NLMSG_DONE:
                    done = True
                elif typ == RTM_NEWLINK:
                    body = data[off + 16 + 16:off + ln]
                    name, stats = None, None
                    a = 0
                    while a + 4 <= len(body):
                        alen, atype = struct.unpack("=HH", body[a:a + 4])
                        if alen < 4:
                            break
                        payload = body[a + 4:a + alen]
                        atype &= 0x3fff
                        if atype == IFLA_IFNAME:
                            name = payload.rstrip(b"\0").decode()
                        elif atype == IFLA_STATS64:
                            n = len(payload) // 8
                            vals = struct.unpack("=%dQ" % n, payload[:n * 8])
                            stats = {STATS64_NAMES[i]: vals[i] for i in range(min(n, len(STATS64_NAMES)))}
                        a += (alen + 3) & ~3
                    if name:
                        out[name] = stats or {}
                off += (ln + 3) & ~3
        return out
    finally:
        s.close()


def read_counters(ns):
    """nstat-named absolute counters of netns `ns` from /proc/net/snmp and /proc/net/netstat."""
    setns(ns)
    try:
        texts = []
        for f in ("snmp", "netstat"):
            with open("/proc/thread-self/net/" + f) as fh:
                texts.append(fh.read())
    finally:
        setns(None)
    out = {}
    for text in texts:
        ls = text.strip().split("\n")
        for i in range(0, len(ls) - 1, 2):
            hk, hv = ls[i].split(":", 1)
            vk, vv = ls[i + 1].split(":", 1)
            for name, val in zip(hv.split(), vv.split()):
                try:
                    out[hk + name] = int(val)
                except ValueError:
                    pass
    return out


# ------------------------------------------------------------------ the recording
def wrap_firewall(text):
    """Bare -A lines become *filter / *nat blocks (nat for PREROUTING/POSTROUTING and NAT targets)."""
    if "*filter" in text or "*nat" in text or "*raw" in text or "*mangle" in text:
        return text if text.endswith("\n") else text + "\n"
    filt, nat = [], []
    for l in text.split("\n"):
        l = l.strip()
        if not l or l.startswith("#"):
            continue
        if re.search(r"-A (PREROUTING|POSTROUTING)\b", l) or re.search(r"-j (DNAT|SNAT|MASQUERADE|REDIRECT)\b", l):
            nat.append(l)
        else:
            filt.append(l)
    out = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" + "\n".join(filt) + ("\n" if filt else "") + "COMMIT\n"
    if nat:
        out += "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n" + "\n".join(nat) + "\nCOMMIT\n"
    return out


def addrport(s):
    h, _, p = s.rpartition(":")
    return h, int(p)


class Recorder:
    def __init__(self, sdir, decode_dir):
        self.dir = sdir
        self.host = parse_yaml(open(os.path.join(sdir, "host.yaml")).read())
        self.scen = parse_yaml(open(os.path.join(sdir, "scenario.yaml")).read())
        sys.path.insert(0, decode_dir)
        import decode  # noqa: E402
        self.decode = decode
        tag = "%06x" % random.randrange(1 << 24)
        self.ns = "netstack-rec-" + tag
        self.hns = "netstack-rec-" + tag + "-h"
        self.created = []
        self.socks = []
        self.conns = []
        self.sockets_result = []

    # -- setup
    def setup(self):
        h = self.host
        sysctl = h.get("sysctl") or {}
        ifaces = h.get("interfaces") or []
        for ns in (self.ns, self.hns):
            run("ip", "netns", "add", ns)
            self.created.append(ns)
            for k in ("net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6"):
                write_sysctl(ns, k, 1)
        run("ip", "link", "set", "lo", "up", ns=self.ns)
        names = [i["name"] for i in ifaces]
        is_if_key = lambda k: any(("." + n + ".") in k for n in names)
        nf_key = lambda k: k.startswith("net.netfilter.")
        # 1. globals and conf.all / conf.default before the interfaces exist (they inherit default)
        for k, v in sysctl.items():
            if not is_if_key(k) and not nf_key(k):
                write_sysctl(self.ns, k, v)
        # 2. one veth pair per interface: host end in the host netns, harness end in the harness netns
        self.hmap = {}
        for idx, i in enumerate(ifaces):
            hn = "h%d" % idx
            self.hmap[i["name"]] = hn
            run("ip", "-n", self.hns, "link", "add", "name", hn, "type", "veth", "peer", "name", i["name"], "netns", self.ns)
            mtu = int(i.get("mtu") or 1500)
            run("ip", "-n", self.ns, "link", "set", "dev", i["name"], "address", i["mac"], "mtu", str(mtu))
            run("ip", "-n", self.hns, "link", "set", "dev", hn, "mtu", str(max(mtu, 1500)))
            if i.get("promisc"):
                run("ip", "-n", self.ns, "link", "set", "dev", i["name"], "promisc", "on")
            if i.get("txqueuelen") is not None:
                run("ip", "-n", self.ns, "link", "set", "dev", i["name"], "txqueuelen", str(i["txqueuelen"]))
            if run("which", "ethtool", check=False).returncode == 0:
                for ns, dev in ((self.ns, i["name"]), (self.hns, hn)):
                    for feat in ("rx", "tx", "sg", "tso", "gso", "gro", "lro", "rx-gro-list", "rx-udp-gro-forwarding",
                                 "tx-checksum-ip-generic", "rxvlan", "txvlan", "rx-vlan-filter"):
                        run("ethtool", "-K", dev, feat, "off", ns=ns, check=False)
            for a in i.get("addresses") or []:
                run("ip", "-n", self.ns, "addr", "add", a, "brd", "+", "dev", i["name"])
        # 3. per-interface sysctls
        for k, v in sysctl.items():
            if is_if_key(k) and not nf_key(k):
                write_sysctl(self.ns, k, v)
        for i in ifaces:
            run("ip", "-n", self.hns, "link", "set", "dev", self.hmap[i["name"]], "up")
            run("ip", "-n", self.ns, "link", "set", "dev", i["name"], "up")
        # 4. routes
        for r in h.get("routes") or []:
            cmd = ["ip", "-n", self.ns, "route", "add"]
            typ = r.get("type", "unicast")
            if typ != "unicast":
                cmd.append(typ)
            cmd.append(r["dst"])
            if r.get("via"):
                cmd += ["via", r["via"]]
            if r.get("dev") and typ in ("unicast", "local", "broadcast"):
                cmd += ["dev", r["dev"]]
            if r.get("src"):
                cmd += ["src", r["src"]]
            if r.get("metric") is not None:
                cmd += ["metric", str(r["metric"])]
            run(*cmd)
        # 5. neighbours; non-permanent ones aged beyond locktime
        wait = 0.0
        for n in h.get("neighbors") or []:
            state = n.get("state", "permanent")
            run("ip", "-n", self.ns, "neigh", "replace", n["ip"], "lladdr", n["mac"], "dev", n["dev"], "nud", state)
            if state != "permanent":
                lt = int(sysctl.get("net.ipv4.neigh.%s.locktime" % n["dev"], 100))
                wait = max(wait, lt / 100.0 + 0.3)
        # 6. firewall, then the netfilter sysctls (they exist once conntrack is loaded)
        fw = h.get("firewall") or ""
        if fw.strip():
            run("iptables-restore", ns=self.ns, input=wrap_firewall(fw))
        for k, v in sysctl.items():
            if nf_key(k):
                write_sysctl(self.ns, k, v)
        # 7. sockets
        setns(self.ns)
        try:
            for sp in h.get("sockets") or []:
                if sp["proto"] == "udp":
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    # several sockets on one port (a specific address and 0.0.0.0) need SO_REUSEADDR
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind(addrport(sp["bind"]))
                else:
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    s.bind(addrport(sp["listen"]))
                    s.listen(int(sp.get("backlog", 128)))
                s.setblocking(False)
                self.socks.append((sp, s))
        finally:
            setns(None)
        if wait:
            time.sleep(wait)

    # -- run
    def inject_and_capture(self):
        settle = int(self.scen.get("settle_ms") or 300) / 1000.0
        inputs = []
        for inp in self.scen.get("inputs") or []:
            for fr in read_pcap(os.path.join(self.dir, inp["pcap"])):
                inputs.append((inp["iface"], fr))
        setns(self.hns)
        try:
            caps, sends = {}, {}
            for host_if, hn in self.hmap.items():
                c = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
                c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
                c.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
                c.bind((hn, ETH_P_ALL))
                caps[c] = host_if
                s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
                s.bind((hn, 0))
                sends[host_if] = s
        finally:
            setns(None)
        # drain anything that came before
        early = self._drain(caps, 0.05)
        for t, iface, fr, out in early:
            if not out:
                log("warning: the host sent a frame before the first input:", fr.hex())
        c0 = read_counters(self.ns)
        l0 = netlink_link_stats(self.ns)
        got = []
        for k, (iface, fr) in enumerate(inputs):
            if k:
                got += self._drain(caps, 0.002)
            sends[iface].send(fr)
        got += self._drain(caps, settle)
        # the sockets are read before the final counters: udp_recvmsg counts UdpInDatagrams
        self.sockets_result = self.collect_sockets()
        c1 = read_counters(self.ns)
        l1 = netlink_link_stats(self.ns)
        for s in list(caps) + list(sends.values()):
            s.close()
        return inputs, got, c0, c1, l0, l1

    def _drain(self, caps, dur):
        end = time.monotonic() + dur
        out = []
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select(list(caps), [], [], left)
            for c in r:
                data, anc, _, addr = c.recvmsg(65536, 1024)
                ts = None
                for lvl, typ, d in anc:
                    if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                        sec, nsec = struct.unpack("=qq", d[:16])
                        ts = sec * 10 ** 9 + nsec
                out.append((ts or time.time_ns(), caps[c], data, addr[2] == PACKET_OUTGOING))
        return out

    def collect_sockets(self):
        res = []
        for sp, s in self.socks:
            if sp["proto"] == "udp":
                rec = []
                while True:
                    try:
                        data, frm = s.recvfrom(65536)
                    except BlockingIOError:
                        break
                    rec.append({"from": "%s:%d" % frm, "hex": data.hex()})
                res.append({"proto": "udp", "bind": sp["bind"], "received": rec})
            else:
                conns = []
                while True:
                    try:
                        c, frm = s.accept()
                    except BlockingIOError:
                        break
                    c.setblocking(False)
                    buf, eof = b"", False
                    while True:
                        try:
                            d = c.recv(65536)
                        except BlockingIOError:
                            break
                        except OSError:
                            break
                        if not d:
                            eof = True
                            break
                        buf += d
                    conns.append({"from": "%s:%d" % frm, "hex": buf.hex(), "eof": eof})
                    self.conns.append(c)  # closed at cleanup, after the counters are read
                res.append({"proto": "tcp", "listen": sp["listen"], "backlog": int(sp.get("backlog", 128)),
                            "connections": conns})
        return res

    def cleanup(self):
        for sp, s in self.socks:
            try:
                s.close()
            except OSError:
                pass
        self.socks = []
        for c in self.conns:
            c.close()
        self.conns = []
        for ns in reversed(self.created):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.created = []

    def record(self):
        self.setup()
        inputs, got, c0, c1, l0, l1 = self.inject_and_capture()
        sockets = self.sockets_result
        got.sort(key=lambda x: x[0])
        tx, out_pcaps, k = [], {}, 0
        for ts, iface, fr, outgoing in got:
            if outgoing:
                k += 1
                continue
            tx.append((iface, fr))
            out_pcaps.setdefault(iface, []).append((max(k - 1, 0) * 2000 + 1, fr))
        if k != len(inputs):
            log("warning: saw %d of %d inputs leave the harness" % (k, len(inputs)))
        decoded = self.decode.decode_frames([fr for _, fr in tx])
        counters = {}
        for name, v in c1.items():
            d = v - c0.get(name, 0)
            if d:
                counters[name] = d
        links = {}
        for i in self.host.get("interfaces") or []:
            a, b = l0.get(i["name"], {}), l1.get(i["name"], {})
            st = {n: b.get(n, 0) - a.get(n, 0) for n in STATS64_NAMES}
            links[i["name"]] = {n: st[n] for n in LINK_TEN}
            for n in STATS64_NAMES:
                if n not in LINK_TEN and st[n]:
                    links[i["name"]][n] = st[n]
        local = ["127.0.0.1"]  # lo's address is the host's too (route_localnet replies come from it)
        for i in self.host.get("interfaces") or []:
            local += [a.split("/")[0] for a in i.get("addresses") or []]
        ttl = int((self.host.get("sysctl") or {}).get("net.ipv4.ip_default_ttl", 64))
        result = {
            "reference": "Linux " + os.uname().release,
            "transmitted": [{"iface": i, "hex": fr.hex(), "decoded": d} for (i, fr), d in zip(tx, decoded)],
            "counters": counters,
            "links": links,
            "sockets": sockets,
            "volatile": self.decode.volatile_paths(decoded, local, ttl),
        }
        with open(os.path.join(self.dir, "expected.json"), "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
        for i in self.host.get("interfaces") or []:
            write_pcap(os.path.join(self.dir, "out-%s.pcap" % i["name"]), out_pcaps.get(i["name"], []))
        return result


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        sys.exit(__doc__)
    decode_dir = None
    for i, a in enumerate(sys.argv):
        if a == "--decode-dir":
            decode_dir = sys.argv[i + 1]
            args = [x for x in args if x != decode_dir]
    if decode_dir is None:
        decode_dir = next((d for d in DEFAULT_DECODE_DIRS if os.path.isfile(os.path.join(d, "decode.py"))), None)
    if decode_dir is None:
        sys.exit("decode.py not found: pass --decode-dir")
    rec = Recorder(args[0], decode_dir)

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        r = rec.record()
        log("%s: %d frame(s) transmitted, %d counter(s)" % (args[0], len(r["transmitted"]), len(r["counters"])))
    finally:
        rec.cleanup()


if __name__ == "__main__":
    main()
