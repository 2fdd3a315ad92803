package io.netstack.wire;

/**
 * A view over an IPv4 header in a byte array (RFC 791 section 3.1, struct iphdr).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |Type of Service|          Total Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |Flags|      Fragment Offset    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options                    |    Padding    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * The unchecked constructor trusts the caller (ip_rcv_core makes its checks in the kernel's
 * order itself); {@link #checked} validates the lengths once.
 */
public final class Ipv4Header {

    public static final int VER_IHL = 0;
    public static final int TOS = 1;
    public static final int TOT_LEN = 2;
    public static final int ID = 4;
    public static final int FRAG_OFF = 6;
    public static final int TTL = 8;
    public static final int PROTOCOL = 9;
    public static final int CHECK = 10;
    public static final int SADDR = 12;
    public static final int DADDR = 16;
    public static final int OPTIONS = 20;

    /** sizeof(struct iphdr) */
    public static final int MIN_LEN = 20;
    public static final int IP_CE = 0x8000;
    public static final int IP_DF = 0x4000;
    public static final int IP_MF = 0x2000;
    public static final int IP_OFFSET = 0x1fff;
    /** INET_ECN_MASK */
    public static final int ECN_MASK = 3;

    public static final int IPPROTO_ICMP = 1;
    public static final int IPPROTO_IGMP = 2;
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_UDP = 17;

    private final byte[] b;
    private final int off;

    public Ipv4Header(byte[] buf, int offset) {
        this.b = buf;
        this.off = offset;
    }

    /**
     * A header whose fixed part, IHL and total length fit in {@code len} bytes at {@code offset},
     * version 4 and IHL at least 5; IllegalArgumentException otherwise.
     */
    public static Ipv4Header checked(byte[] buf, int offset, int len) {
        if (offset < 0 || len < MIN_LEN || offset + len > buf.length) {
            throw new IllegalArgumentException("IPv4 header needs " + MIN_LEN + " bytes, have " + len);
        }
        Ipv4Header h = new Ipv4Header(buf, offset);
        if (h.version() != 4) throw new IllegalArgumentException("IP version " + h.version());
        if (h.ihl() < 5) throw new IllegalArgumentException("IHL " + h.ihl() + " < 5");
        if (h.headerLength() > len) throw new IllegalArgumentException("IHL " + h.ihl() + " beyond " + len + " bytes");
        if (h.totalLength() < h.headerLength() || h.totalLength() > len) {
            throw new IllegalArgumentException("total length " + h.totalLength() + " outside " + h.headerLength() + ".." + len);
        }
        return h;
    }

    public byte[] buffer() { return b; }
    public int offset() { return off; }

    public int version() { return (b[off] & 0xff) >>> 4; }
    public int ihl() { return b[off] & 0x0f; }
    public int headerLength() { return ihl() * 4; }
    public int tos() { return b[off + TOS] & 0xff; }
    public int ecn() { return tos() & ECN_MASK; }
    public int totalLength() { return Bytes.u16(b, off + TOT_LEN); }
    public int id() { return Bytes.u16(b, off + ID); }
    /** The whole 16-bit flags + offset field (frag_off in host order). */
    public int fragOff() { return Bytes.u16(b, off + FRAG_OFF); }
    public boolean df() { return (fragOff() & IP_DF) != 0; }
    public boolean mf() { return (fragOff() & IP_MF) != 0; }
    /** The fragment offset in bytes. */
    public int fragmentOffset() { return (fragOff() & IP_OFFSET) << 3; }
    /** ip_is_fragment: MF set or a non-zero offset. */
    public boolean isFragment() { return (fragOff() & (IP_MF | IP_OFFSET)) != 0; }
    public int ttl() { return b[off + TTL] & 0xff; }
    public int protocol() { return b[off + PROTOCOL] & 0xff; }
    public int checksum() { return Bytes.u16(b, off + CHECK); }
    public int saddr() { return Bytes.u32(b, off + SADDR); }
    public int daddr() { return Bytes.u32(b, off + DADDR); }

    public void setVersionIhl(int version, int ihl) { b[off] = (byte) ((version << 4) | (ihl & 0x0f)); }
    public void setTos(int tos) { b[off + TOS] = (byte) tos; }
    public void setTotalLength(int v) { Bytes.put16(b, off + TOT_LEN, v); }
    public void setId(int v) { Bytes.put16(b, off + ID, v); }
    public void setFragOff(int v) { Bytes.put16(b, off + FRAG_OFF, v); }
    public void setTtl(int v) { b[off + TTL] = (byte) v; }
    public void setProtocol(int v) { b[off + PROTOCOL] = (byte) v; }
    public void setChecksum(int v) { Bytes.put16(b, off + CHECK, v); }
    public void setSaddr(int v) { Bytes.put32(b, off + SADDR, v); }
    public void setDaddr(int v) { Bytes.put32(b, off + DADDR, v); }

    /** ip_fast_csum over the header: 0 when the stored checksum is right. */
    public int verifyChecksum() { return InetChecksum.compute(b, off, headerLength()); }

    public boolean checksumValid() { return verifyChecksum() == 0; }

    /** ip_send_check: recomputes the header checksum. */
    public void fillChecksum() {
        setChecksum(0);
        setChecksum(InetChecksum.compute(b, off, headerLength()));
    }

    /**
     * ip_decrease_ttl, include/net/ip.h: TTL minus one with the checksum patched incrementally
     * (RFC 1624), as the kernel does instead of recomputing it.
     */
    public void decreaseTtl() {
        int oldWord = Bytes.u16(b, off + TTL);
        setTtl(ttl() - 1);
        setChecksum(InetChecksum.replace16(checksum(), oldWord, Bytes.u16(b, off + TTL)));
    }

    /** Writes a 20-byte header with no options and its checksum at {@code offset}. */
    public static Ipv4Header write(byte[] buf, int offset, int tos, int totalLength, int id, int fragOff,
                                   int ttl, int protocol, int saddr, int daddr) {
        Ipv4Header h = new Ipv4Header(buf, offset);
        h.setVersionIhl(4, 5);
        h.setTos(tos);
        h.setTotalLength(totalLength);
        h.setId(id);
        h.setFragOff(fragOff);
        h.setTtl(ttl);
        h.setProtocol(protocol);
        h.setSaddr(saddr);
        h.setDaddr(daddr);
        h.fillChecksum();
        return h;
    }

    @Override
    public String toString() {
        return "IP " + Inet.format(saddr()) + " > " + Inet.format(daddr()) + " proto " + protocol()
                + " len " + totalLength() + " id " + id() + " ttl " + ttl()
                + (df() ? " DF" : "") + (mf() ? " MF" : "") + (fragmentOffset() != 0 ? " off " + fragmentOffset() : "");
    }
}
