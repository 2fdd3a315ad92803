package io.netstack.net.netfilter;

/**
 * struct xt_action_param: what ipt_do_table knows about the packet while it walks a table.
 * Offsets are absolute indexes into {@code head}.
 */
final class XtActionParam {
    final byte[] head;
    /** Offset of the IPv4 header. */
    final int ip;
    /** Offset of the transport header (ip + ihl*4). */
    final int thoff;
    /** One past the last byte of the packet (ip + skb->len). */
    final int end;
    /** frag_off & IP_OFFSET. */
    final int fragoff;
    final int protocol;
    final String in;
    final String out;
    /** The conntrack entry of the packet, or null (INVALID or untracked). */
    final NfConntrack.Conn ct;
    /** enum ip_conntrack_info when ct is set. */
    final int ctinfo;
    boolean hotdrop;

    XtActionParam(byte[] head, int ip, int end, String in, String out, NfConntrack.Conn ct, int ctinfo) {
        this.head = head;
        this.ip = ip;
        this.thoff = ip + NfHeaders.ihlBytes(head, ip);
        this.end = end;
        this.fragoff = NfHeaders.fragOff(head, ip);
        this.protocol = NfHeaders.protocol(head, ip);
        this.in = in;
        this.out = out;
        this.ct = ct;
        this.ctinfo = ctinfo;
    }

    /** skb_header_pointer: are {@code n} bytes of the transport header present? */
    boolean transportHas(int n) { return thoff + n <= end; }
}
