package io.netstack.skb;

/**
 * What the kernel keeps beside the bytes and one layer hands to the next: skb->cb
 * (IPCB, TCP_SKB_CB), skb_dst() and skb->sk, reduced to what the path needs.
 * Addresses are IPv4 addresses in host order ints.
 */
public final class ControlBlock implements java.io.Serializable {

    /** skb_dst(): the route taken, or null before routing. */
    public RouteResult route;
    /** IPCB(skb)->flags: IPSKB_* bits. */
    public int ipFlags;
    /** The socket the skb is queued to or was sent from ("udp 0.0.0.0:5353"), or null. */
    public String socket;

    /** The protocol of {@link #socket} (sk->sk_protocol); null for no socket. */
    public SockProto socketProto() { return SockProto.ofKey(socket); }
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
     * Between l4 and the socket layer (SK_RECEIVE_QUEUE, SK_SENDMSG): what the skb stands for,
     * one of the SOCK_OP_* constants (DATA, the default, is payload).
     */
    public int sockOp;
    /** For SOCK_OP_SETSOCKOPT: which option (SO_RCVBUF, SO_KEEPALIVE, TCP_NODELAY constants below). */
    public int sockOpt;
    /** The op's argument: an errno, a byte count, a backlog, an option value. */
    public long sockArg;
    /** For SOCK_OP_ACCEPT_READY: the key of the new connection's socket. */
    public String sockChild;

    /** Payload bytes (both directions). */
    public static final int SOCK_OP_DATA = 0;
    /** l4 to socket: a connection completed on the listener cb.socket; cb.sockChild is its key. */
    public static final int SOCK_OP_ACCEPT_READY = 1;
    /** l4 to socket: the peer's FIN, the receive side reached EOF. */
    public static final int SOCK_OP_EOF = 2;
    /** l4 to socket: the connection was reset; sockArg = errno (ECONNRESET, EPIPE). */
    public static final int SOCK_OP_RESET = 3;
    /** l4 to socket: the active open completed. */
    public static final int SOCK_OP_CONNECTED = 4;
    /** l4 to socket: the connection failed or died; sockArg = errno (ECONNREFUSED, ETIMEDOUT). */
    public static final int SOCK_OP_ERROR = 5;
    /** socket to l4: tcp_v4_connect from cb.saddr:sport to cb.daddr:dport; sockArg = SO_RCVBUF (0: default). */
    public static final int SOCK_OP_CONNECT = 6;
    /** socket to l4: listen() on cb.socket (cb.saddr:sport); sockArg = backlog. */
    public static final int SOCK_OP_LISTEN = 7;
    /** socket to l4: a listener closed. */
    public static final int SOCK_OP_CLOSE_LISTENER = 8;
    /** socket to l4: accept() took a connection from the listener's queue. */
    public static final int SOCK_OP_ACCEPTED = 9;
    /** socket to l4: shutdown(SHUT_WR). */
    public static final int SOCK_OP_SHUTDOWN = 10;
    /** socket to l4: close(); sockArg = bytes still unread in the receive queue. */
    public static final int SOCK_OP_CLOSE = 11;
    /** socket to l4: setsockopt(cb.sockOpt, sockArg). */
    public static final int SOCK_OP_SETSOCKOPT = 12;
    /** socket to l4: the application read sockArg bytes (tcp_cleanup_rbuf: the window may open). */
    public static final int SOCK_OP_READ = 13;
    /** socket to l4: bind() of a UDP socket (so udp_rcv finds it). */
    public static final int SOCK_OP_BIND = 14;
    /**
     * l4 to socket: sk_write_space: acknowledged data left the send buffer. cb.sockArg is the
     * payload acknowledged since the connection began, cb.sockOpt the send buffer's size now
     * (sk_sndbuf as tcp_sndbuf_expand grew it, in payload bytes; CONNECTED and ACCEPT_READY
     * carry it too).
     */
    public static final int SOCK_OP_WRITE_SPACE = 15;

    /** Option codes for SOCK_OP_SETSOCKOPT (the Linux optname values). */
    public static final int SO_KEEPALIVE = 9;
    public static final int SO_RCVBUF = 8;
    public static final int TCP_NODELAY = 1;

    /**
     * IPCB(skb)-&gt;opt, struct ip_options packed as IpOptions does: on a received skb what
     * ip_options_compile found; on a reply, what ip_options_echo made of the request's.
     */
    public int ipOptFlags;
    /** IPCB(skb)->frag_max_size: the largest fragment a reassembled datagram came in; 0 if not reassembled. */
    public int fragMaxSize;
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
        sockOp = o.sockOp;
        sockOpt = o.sockOpt;
        sockArg = o.sockArg;
        sockChild = o.sockChild;
        ipOptFlags = o.ipOptFlags;
        fragMaxSize = o.fragMaxSize;
        ipOptions = o.ipOptions;
    }
}
