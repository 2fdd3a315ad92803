package io.netstack.cli;

import io.netstack.wire.Bytes;
import io.netstack.wire.Inet;

import java.util.HexFormat;

/**
 * A one-line, tcpdump-style description of an Ethernet frame, for the demo's output. Reads
 * defensively: a short or odd frame is described as far as it goes, never throws.
 */
public final class FrameSummary {
    private FrameSummary() {}

    public static String of(byte[] f) {
        if (f.length < 14) return "runt frame, " + f.length + " bytes";
        String macs = mac(f, 6) + " > " + mac(f, 0);
        int type = Bytes.u16(f, 12);
        String body;
        if (type == 0x0806) body = arp(f);
        else if (type == 0x0800) body = ipv4(f);
        else body = String.format("ethertype 0x%04x (unknown)", type);
        return macs + ", length " + f.length + ": " + body;
    }

    static String mac(byte[] f, int off) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            if (i > 0) s.append(':');
            s.append(String.format("%02x", f[off + i] & 0xff));
        }
        return s.toString();
    }

    static String arp(byte[] f) {
        if (f.length < 42) return "ARP, truncated";
        int op = Bytes.u16(f, 20);
        String spa = Inet.format(Bytes.u32(f, 28));
        String tpa = Inet.format(Bytes.u32(f, 38));
        if (op == 1) return "ARP, Request who-has " + tpa + " tell " + spa;
        if (op == 2) return "ARP, Reply " + spa + " is-at " + mac(f, 22);
        return "ARP, op " + op;
    }

    static String ipv4(byte[] f) {
        if (f.length < 34) return "IPv4, truncated (" + (f.length - 14) + " bytes of header)";
        int ihl = (f[14] & 0x0f) * 4;
        int proto = f[23] & 0xff;
        String src = Inet.format(Bytes.u32(f, 26));
        String dst = Inet.format(Bytes.u32(f, 30));
        int l4 = 14 + ihl;
        int ttl = f[22] & 0xff;
        String ip = "IPv4 ttl " + ttl + " ";
        if (proto == 1 && f.length >= l4 + 8) {
            int t = f[l4] & 0xff;
            int code = f[l4 + 1] & 0xff;
            String what = switch (t) {
                case 0 -> "echo reply, seq " + Bytes.u16(f, l4 + 6);
                case 8 -> "echo request, seq " + Bytes.u16(f, l4 + 6);
                case 3 -> "unreachable, code " + code + (code == 3 ? " (port)" : "");
                case 11 -> "time exceeded";
                default -> "type " + t + " code " + code;
            };
            return ip + src + " > " + dst + ": ICMP " + what;
        }
        if (proto == 17 && f.length >= l4 + 8) {
            int len = Bytes.u16(f, l4 + 4) - 8;
            return ip + src + "." + Bytes.u16(f, l4) + " > " + dst + "." + Bytes.u16(f, l4 + 2) + ": UDP, length " + len;
        }
        if (proto == 6 && f.length >= l4 + 20) {
            int flags = f[l4 + 13] & 0xff;
            StringBuilder fl = new StringBuilder();
            if ((flags & 0x02) != 0) fl.append('S');
            if ((flags & 0x01) != 0) fl.append('F');
            if ((flags & 0x04) != 0) fl.append('R');
            if ((flags & 0x08) != 0) fl.append('P');
            if ((flags & 0x10) != 0) fl.append('.');
            return ip + src + "." + Bytes.u16(f, l4) + " > " + dst + "." + Bytes.u16(f, l4 + 2) + ": TCP [" + fl + "]";
        }
        return ip + src + " > " + dst + ": protocol " + proto;
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
