package io.netstack.wire;

/**
 * struct udphdr, include/uapi/linux/udp.h: a view over the 8-byte UDP header (RFC 768).
 *
 * <pre>
 *  0      7 8     15 16    23 24    31
 * +--------+--------+--------+--------+
 * |   Source Port   | Destination Port|
 * +--------+--------+--------+--------+
 * |     Length      |    Checksum     |
 * +--------+--------+--------+--------+
 * </pre>
 */
public final class UdpHeader {
    public static final int LEN = 8;
    public static final int SOURCE = 0;
    public static final int DEST = 2;
    public static final int LENGTH = 4;
    public static final int CHECK = 6;
    public static final int IPPROTO_UDP = 17;

    private final byte[] b;
    private final int off;

    public UdpHeader(byte[] b, int off) {
        this.b = b;
        this.off = off;
    }

    public int source() { return Bytes.u16(b, off + SOURCE); }
    public int dest() { return Bytes.u16(b, off + DEST); }
    public int length() { return Bytes.u16(b, off + LENGTH); }
    public int check() { return Bytes.u16(b, off + CHECK); }

    public void setSource(int v) { Bytes.put16(b, off + SOURCE, v); }
    public void setDest(int v) { Bytes.put16(b, off + DEST, v); }
    public void setLength(int v) { Bytes.put16(b, off + LENGTH, v); }
    public void setCheck(int v) { Bytes.put16(b, off + CHECK, v); }

    /** udp4_hwcsum / udp_set_csum in software: a computed 0 is sent as 0xffff (CSUM_MANGLED_0, RFC 768). */
    public void fillChecksum(int saddr, int daddr, int len) {
        setCheck(0);
        int c = InetChecksum.transport(saddr, daddr, IPPROTO_UDP, b, off, len);
        setCheck(c == 0 ? 0xffff : c);
    }

    /** Is the checksum right (a check of 0 means none, RFC 768)? */
    public boolean checksumOk(int saddr, int daddr, int len) {
        return check() == 0 || InetChecksum.transport(saddr, daddr, IPPROTO_UDP, b, off, len) == 0;
    }
}
