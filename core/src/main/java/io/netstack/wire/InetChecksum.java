package io.netstack.wire;

/**
 * The Internet checksum (RFC 1071): ones' complement sum of 16-bit words, as
 * csum_partial / csum_fold / ip_fast_csum / csum_tcpudp_magic compute it.
 */
public final class InetChecksum {
    private InetChecksum() {}

    /** csum_partial: the unfolded 32-bit+ sum of {@code len} bytes at {@code off}, added to {@code sum}. */
    public static long partial(byte[] b, int off, int len, long sum) {
        int i = off;
        int end = off + len;
        for (; i + 1 < end; i += 2) {
            sum += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
        }
        if (i < end) {
            sum += (b[i] & 0xff) << 8;
        }
        return sum;
    }

    /** csum_fold: folds to 16 bits and complements. */
    public static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    /** ip_compute_csum: the checksum of a block; 0 when a block that holds its checksum is valid. */
    public static int compute(byte[] b, int off, int len) {
        return fold(partial(b, off, len, 0));
    }

    /** The IPv4 pseudo-header sum (csum_tcpudp_nofold) for TCP and UDP. */
    public static long pseudoHeader(int saddr, int daddr, int protocol, int length) {
        return (long) (saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) + protocol + length;
    }

    /** csum_tcpudp_magic over a transport segment: 0 when a segment holding its checksum is valid. */
    public static int transport(int saddr, int daddr, int protocol, byte[] b, int off, int len) {
        return fold(partial(b, off, len, pseudoHeader(saddr, daddr, protocol, len)));
    }

    /** csum_replace2 / RFC 1624: the checksum after a 16-bit field changes from {@code from} to {@code to}. */
    public static int replace16(int check, int from, int to) {
        long sum = (~check & 0xffff) + (~from & 0xffff) + (to & 0xffff);
        return fold(sum);
    }

    /** csum_replace4: the checksum after a 32-bit field changes. */
    public static int replace32(int check, int from, int to) {
        long sum = (~check & 0xffff) + (~(from >>> 16) & 0xffff) + (~from & 0xffff) + ((to >>> 16) & 0xffff) + (to & 0xffff);
        return fold(sum);
    }
}
