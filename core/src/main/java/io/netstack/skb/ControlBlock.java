package io.netstack.skb;

/**
 * What the kernel keeps beside the bytes and one layer hands to the next: skb->cb
 * (IPCB, TCP_SKB_CB), skb_dst() and skb->sk, reduced to what the path needs.
 * Addresses are IPv4 addresses in host order ints.
 */
public final class ControlBlock {

    /** skb_dst(): the route taken, or null before routing. */
    public RouteResult route;
    /** IPCB(skb)->flags: IPSKB_* bits. */
    public int ipFlags;
    /** The socket the skb is queued to or was sent from ("udp 0.0.0.0:5353"), or null. */
    public String socket;
    /** The flow for the sending path (l4 to l3) and the peer for delivery (l4 to socket). */
    public int saddr;
    public int daddr;
    public int sport;
    public int dport;
    public int ipProtocol;
    public int tos;
    /** 0: use ip_default_ttl. */
    public int ttl;
    public boolean df;
    /** enum ip_conntrack_info, and the conntrack entry's id, for netfilter. */
    public int nfCtinfo;
    public long nfCtId;
    /**
     * IPCB(skb)-&gt;opt, struct ip_options packed as IpOptions does: on a received skb what
     * ip_options_compile found; on a reply, what ip_options_echo made of the request's.
     */
    public int ipOptFlags;
    /** The IP options an outgoing skb's header is to carry (ip_options_echo for a reply), or null. */
    public byte[] ipOptions;

    /** IPSKB_FORWARDED */
    public static final int IPSKB_FORWARDED = 1;
    /** IPSKB_XFRM_TUNNEL_SIZE */
    public static final int IPSKB_XFRM_TUNNEL_SIZE = 2;
    /** IPSKB_FRAG_COMPLETE */
    public static final int IPSKB_FRAG_COMPLETE = 8;
    /** IPSKB_REROUTED */
    public static final int IPSKB_REROUTED = 16;
    /** IPSKB_FRAG_PMTU */
    public static final int IPSKB_FRAG_PMTU = 64;

    public void copyFrom(ControlBlock o) {
        route = o.route;
        ipFlags = o.ipFlags;
        socket = o.socket;
        saddr = o.saddr;
        daddr = o.daddr;
        sport = o.sport;
        dport = o.dport;
        ipProtocol = o.ipProtocol;
        tos = o.tos;
        ttl = o.ttl;
        df = o.df;
        nfCtinfo = o.nfCtinfo;
        nfCtId = o.nfCtId;
        ipOptFlags = o.ipOptFlags;
        ipOptions = o.ipOptions;
    }
}
