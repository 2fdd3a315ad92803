package io.netstack.net.ipv4;

import io.netstack.config.HostConfig;
import io.netstack.skb.SkBuff;
import io.netstack.stack.LayerContext;

/**
 * net/ipv4/icmp.c for one host. STUB of the API that l3, l4 and netfilter share;
 * the ICMP work fills it in.
 */
public final class Icmp {

    private final HostConfig host;

    public Icmp(HostConfig host) {
        this.host = host;
    }

    /**
     * icmp_send (__icmp_send, net/ipv4/icmp.c): the ICMP error about {@code skbIn}, built as
     * Linux builds it, or null when Linux sends none (an error about an error, a broadcast,
     * a non-first fragment, rate limited). Counts IcmpOutMsgs and the per-type counters.
     *
     * <p>{@code skbIn}'s network header must point at its IPv4 header. The result is
     * allocated through {@code ctx} as spawned by skbIn and has the shape of
     * {@link io.netstack.stack.KernelQueue#IP_LOCAL_OUT}.
     *
     * @param info the next-hop MTU for fragmentation needed, the gateway for a redirect,
     *             the pointer for a parameter problem; 0 otherwise
     */
    public SkBuff icmpSend(LayerContext ctx, SkBuff skbIn, int type, int code, int info) {
        return null;
    }

    public HostConfig host() { return host; }
}
