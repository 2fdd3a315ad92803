package io.netstack.wire;

/**
 * A view over an ARP packet for IPv4 over Ethernet (RFC 826, struct arphdr + the addresses).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Hardware Type         |         Protocol Type         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  HW Addr Len  | Proto Addr Len|           Operation           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Sender Hardware Address (6)                   |
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               | Sender Protocol Address (4)   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 * |                               |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 * |                 Target Hardware Address (6)                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Target Protocol Address (4)                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class ArpPacket {

    public static final int HRD = 0;
    public static final int PRO = 2;
    public static final int HLN = 4;
    public static final int PLN = 5;
    public static final int OP = 6;
    public static final int SHA = 8;
    public static final int SPA = 14;
    public static final int THA = 18;
    public static final int TPA = 24;
    /** arp_hdr_len(dev) for Ethernet: the header and two MAC + two IPv4 addresses. */
    public static final int LEN = 28;

    public static final int ARPHRD_ETHER = 1;
    public static final int ARPHRD_IEEE802 = 6;
    public static final int ETH_P_IP = 0x0800;
    public static final int ETH_P_ARP = 0x0806;
    public static final int ARPOP_REQUEST = 1;
    public static final int ARPOP_REPLY = 2;

    private final byte[] b;
    private final int off;

    public ArpPacket(byte[] buf, int offset) {
        this.b = buf;
        this.off = offset;
    }

    /** A view of {@code len} bytes that holds the whole 28-byte body; IllegalArgumentException otherwise. */
    public static ArpPacket checked(byte[] buf, int offset, int len) {
        if (offset < 0 || len < LEN || offset + len > buf.length) {
            throw new IllegalArgumentException("ARP needs " + LEN + " bytes, have " + len);
        }
        return new ArpPacket(buf, offset);
    }

    public int hardwareType() { return Bytes.u16(b, off + HRD); }
    public int protocolType() { return Bytes.u16(b, off + PRO); }
    public int hardwareLength() { return b[off + HLN] & 0xff; }
    public int protocolLength() { return b[off + PLN] & 0xff; }
    public int op() { return Bytes.u16(b, off + OP); }
    public MacAddress sha() { return MacAddress.read(b, off + SHA); }
    public int spa() { return Bytes.u32(b, off + SPA); }
    public MacAddress tha() { return MacAddress.read(b, off + THA); }
    public int tpa() { return Bytes.u32(b, off + TPA); }

    /** Writes an Ethernet/IPv4 ARP body (arp_create's layout) at {@code offset}. */
    public static ArpPacket write(byte[] buf, int offset, int op, MacAddress sha, int spa, MacAddress tha, int tpa) {
        Bytes.put16(buf, offset + HRD, ARPHRD_ETHER);
        Bytes.put16(buf, offset + PRO, ETH_P_IP);
        buf[offset + HLN] = 6;
        buf[offset + PLN] = 4;
        Bytes.put16(buf, offset + OP, op);
        sha.write(buf, offset + SHA);
        Bytes.put32(buf, offset + SPA, spa);
        tha.write(buf, offset + THA);
        Bytes.put32(buf, offset + TPA, tpa);
        return new ArpPacket(buf, offset);
    }

    @Override
    public String toString() {
        return (op() == ARPOP_REQUEST ? "ARP who-has " + Inet.format(tpa()) + " tell " + Inet.format(spa())
                : "ARP " + Inet.format(spa()) + " is-at " + sha()) + " op " + op();
    }
}
