package io.netstack.wire;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * struct tcphdr, include/uapi/linux/tcp.h: a view over the TCP header (RFC 793, RFC 3168 flags).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 * |       |       |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options                    |    Padding    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class TcpHeader {
    public static final int LEN = 20;
    public static final int SOURCE = 0;
    public static final int DEST = 2;
    public static final int SEQ = 4;
    public static final int ACK_SEQ = 8;
    /** doff (high nibble) and res1 (low nibble). */
    public static final int DOFF = 12;
    public static final int FLAGS = 13;
    public static final int WINDOW = 14;
    public static final int CHECK = 16;
    public static final int URG_PTR = 18;
    public static final int IPPROTO_TCP = 6;

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    // Option kinds and lengths, include/net/tcp.h
    public static final int TCPOPT_EOL = 0;
    public static final int TCPOPT_NOP = 1;
    public static final int TCPOPT_MSS = 2;
    public static final int TCPOPT_WINDOW = 3;
    public static final int TCPOPT_SACK_PERM = 4;
    public static final int TCPOPT_SACK = 5;
    public static final int TCPOPT_TIMESTAMP = 8;
    public static final int TCPOLEN_MSS = 4;
    public static final int TCPOLEN_WINDOW = 3;
    public static final int TCPOLEN_SACK_PERM = 2;
    public static final int TCPOLEN_TIMESTAMP = 10;
    public static final int TCPOLEN_TSTAMP_ALIGNED = 12;
    public static final int MAX_TCP_OPTION_SPACE = 40;

    private final byte[] b;
    private final int off;

    public TcpHeader(byte[] b, int off) {
        this.b = b;
        this.off = off;
    }

    public int source() { return Bytes.u16(b, off + SOURCE); }
    public int dest() { return Bytes.u16(b, off + DEST); }
    public int seq() { return Bytes.u32(b, off + SEQ); }
    public int ackSeq() { return Bytes.u32(b, off + ACK_SEQ); }
    /** Data offset in 32-bit words. */
    public int doff() { return Bytes.u8(b, off + DOFF) >>> 4; }
    public int res1() { return Bytes.u8(b, off + DOFF) & 0x0f; }
    public int flags() { return Bytes.u8(b, off + FLAGS); }
    public boolean fin() { return (flags() & FIN) != 0; }
    public boolean syn() { return (flags() & SYN) != 0; }
    public boolean rst() { return (flags() & RST) != 0; }
    public boolean ack() { return (flags() & ACK) != 0; }
    public boolean ece() { return (flags() & ECE) != 0; }
    public boolean cwr() { return (flags() & CWR) != 0; }
    public int window() { return Bytes.u16(b, off + WINDOW); }
    public int check() { return Bytes.u16(b, off + CHECK); }
    public int urgPtr() { return Bytes.u16(b, off + URG_PTR); }

    public void setSource(int v) { Bytes.put16(b, off + SOURCE, v); }
    public void setDest(int v) { Bytes.put16(b, off + DEST, v); }
    public void setSeq(int v) { Bytes.put32(b, off + SEQ, v); }
    public void setAckSeq(int v) { Bytes.put32(b, off + ACK_SEQ, v); }
    public void setDoff(int words) { Bytes.put8(b, off + DOFF, (words << 4) | res1()); }
    public void setFlags(int v) { Bytes.put8(b, off + FLAGS, v); }
    public void setWindow(int v) { Bytes.put16(b, off + WINDOW, v); }
    public void setCheck(int v) { Bytes.put16(b, off + CHECK, v); }

    /** Computes and stores the checksum over {@code len} bytes of segment with the IPv4 pseudo header. */
    public void fillChecksum(int saddr, int daddr, int len) {
        setCheck(0);
        setCheck(InetChecksum.transport(saddr, daddr, IPPROTO_TCP, b, off, len));
    }

    /** One option as it stands in the header; {@code data} excludes kind and length. */
    public record Option(int kind, byte[] data) {
        @Override public boolean equals(Object o) {
            return o instanceof Option x && x.kind == kind && Arrays.equals(x.data, data);
        }
        @Override public int hashCode() { return kind * 31 + Arrays.hashCode(data); }
        @Override public String toString() { return "opt" + kind + "/" + data.length; }
    }

    /**
     * The options as written, up to EOL or the first malformed one (length below 2 or past the
     * header), the way tcp_parse_options walks them; NOP is listed so the layout shows.
     */
    public List<Option> options() {
        List<Option> out = new ArrayList<>();
        int p = off + LEN;
        int end = off + doff() * 4;
        while (p < end) {
            int kind = Bytes.u8(b, p);
            if (kind == TCPOPT_EOL) break;
            if (kind == TCPOPT_NOP) {
                out.add(new Option(kind, new byte[0]));
                p++;
                continue;
            }
            if (p + 1 >= end) break;
            int size = Bytes.u8(b, p + 1);
            if (size < 2 || p + size > end) break;
            out.add(new Option(kind, Arrays.copyOfRange(b, p + 2, p + size)));
            p += size;
        }
        return out;
    }
}
