package io.netstack.wire;

/**
 * struct icmphdr, include/uapi/linux/icmp.h: a view over the 8-byte ICMP header (RFC 792).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   rest of header: id + sequence / gateway / unused + mtu      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class IcmpHeader {
    public static final int LEN = 8;
    public static final int TYPE = 0;
    public static final int CODE = 1;
    public static final int CHECKSUM = 2;
    /** un.echo.id, or the first half of un.gateway / un.frag. */
    public static final int ID = 4;
    /** un.echo.sequence, or un.frag.mtu. */
    public static final int SEQUENCE = 6;
    /** un.gateway: the 32-bit rest of header. */
    public static final int REST = 4;

    // Types, include/uapi/linux/icmp.h
    public static final int ICMP_ECHOREPLY = 0;
    public static final int ICMP_DEST_UNREACH = 3;
    public static final int ICMP_SOURCE_QUENCH = 4;
    public static final int ICMP_REDIRECT = 5;
    public static final int ICMP_ECHO = 8;
    public static final int ICMP_TIME_EXCEEDED = 11;
    public static final int ICMP_PARAMETERPROB = 12;
    public static final int ICMP_TIMESTAMP = 13;
    public static final int ICMP_TIMESTAMPREPLY = 14;
    public static final int ICMP_INFO_REQUEST = 15;
    public static final int ICMP_INFO_REPLY = 16;
    public static final int ICMP_ADDRESS = 17;
    public static final int ICMP_ADDRESSREPLY = 18;
    public static final int NR_ICMP_TYPES = 18;
    public static final int ICMP_EXT_ECHO = 42;
    public static final int ICMP_EXT_ECHOREPLY = 43;

    // Codes of ICMP_DEST_UNREACH
    public static final int ICMP_NET_UNREACH = 0;
    public static final int ICMP_HOST_UNREACH = 1;
    public static final int ICMP_PROT_UNREACH = 2;
    public static final int ICMP_PORT_UNREACH = 3;
    public static final int ICMP_FRAG_NEEDED = 4;
    // Codes of ICMP_TIME_EXCEEDED
    public static final int ICMP_EXC_TTL = 0;
    public static final int ICMP_EXC_FRAGTIME = 1;

    private final byte[] b;
    private final int off;

    public IcmpHeader(byte[] b, int off) {
        this.b = b;
        this.off = off;
    }

    public int type() { return Bytes.u8(b, off + TYPE); }
    public int code() { return Bytes.u8(b, off + CODE); }
    public int checksum() { return Bytes.u16(b, off + CHECKSUM); }
    public int id() { return Bytes.u16(b, off + ID); }
    public int sequence() { return Bytes.u16(b, off + SEQUENCE); }
    public int rest() { return Bytes.u32(b, off + REST); }

    public void setType(int v) { Bytes.put8(b, off + TYPE, v); }
    public void setCode(int v) { Bytes.put8(b, off + CODE, v); }
    public void setChecksum(int v) { Bytes.put16(b, off + CHECKSUM, v); }
    public void setRest(int v) { Bytes.put32(b, off + REST, v); }

    /** Computes and stores the checksum over the {@code len} bytes of the message (header included). */
    public void fillChecksum(int len) {
        setChecksum(0);
        setChecksum(InetChecksum.compute(b, off, len));
    }

    /** icmp_pointers[type].error, net/ipv4/icmp.c: which types are error messages (unknown ones count as errors). */
    public static boolean isError(int type) {
        if (type > NR_ICMP_TYPES) return true;
        switch (type) {
            case 1: case 2: case ICMP_DEST_UNREACH: case ICMP_SOURCE_QUENCH: case ICMP_REDIRECT:
            case 6: case 7: case 9: case 10: case ICMP_TIME_EXCEEDED: case ICMP_PARAMETERPROB:
                return true;
            default:
                return false;
        }
    }
}
