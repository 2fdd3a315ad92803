package io.netstack.net.ipv4;

import io.netstack.skb.SkBuff;
import io.netstack.wire.Bytes;
import io.netstack.wire.InetChecksum;

/**
 * raw_sendmsg, net/ipv4/raw.c, for what ping (as root, on a SOCK_RAW IPPROTO_ICMP socket) sends:
 * an ICMP echo request handed to ip_queue_xmit (IP_LOCAL_OUT), the kernel adding the IPv4 header.
 * There is no raw socket in the socket API: a test or a tool builds the skb here and puts it on
 * IP_LOCAL_OUT; l3 counts it as icmp_out_count does for a raw socket (IcmpOutEchos).
 */
public final class RawIcmp {
    private RawIcmp() {}

    /** cb.socket of a raw ICMP socket's skb ("raw icmp"): ping's echo requests. */
    public static final String SOCKET = io.netstack.skb.SockProto.RAW.key("icmp");

    /**
     * An echo request (type 8) to {@code daddr} with the given identifier, sequence and data,
     * checksummed; data at the ICMP header, room in front for the IPv4 and Ethernet headers.
     */
    public static SkBuff echoRequest(long id, String netns, int daddr, int ident, int seq, byte[] payload) {
        int len = 8 + payload.length;
        SkBuff skb = SkBuff.alloc(id, netns, SkBuff.DEFAULT_HEADROOM, len);
        byte[] b = new byte[len];
        b[0] = 8;
        Bytes.put16(b, 4, ident);
        Bytes.put16(b, 6, seq);
        System.arraycopy(payload, 0, b, 8, payload.length);
        Bytes.put16(b, 2, InetChecksum.compute(b, 0, len));
        skb.putData(b);
        skb.resetTransportHeader();
        skb.cb().socket = SOCKET;
        skb.cb().daddr = daddr;
        skb.cb().ipProtocol = 1;
        return skb;
    }
}
