package io.netstack.net.ipv6;

import io.netstack.stats.Snmp;
import io.netstack.config.SysctlRegistry;
import io.netstack.config.HostConfig;
import io.netstack.skb.PktType;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.LayerContext;
import io.netstack.stats.LinkStat;

/**
 * net/ipv6/ip6_input.c, as far as a host with IPv6 disabled on its interfaces goes. The
 * ipv6 module is loaded (ipv6_packet_type is in ptype_base), only
 * net.ipv6.conf.&lt;dev&gt;.disable_ipv6 is 1, so an IPv6 frame is handled (not rx_dropped as
 * an unknown protocol) and dropped by ip6_rcv_core.
 */
public final class Ip6Input {
    private Ip6Input() {}

    /**
     * ipv6_rcv / ip6_rcv_core, net/ipv6/ip6_input.c, up to the disable_ipv6 check.
     *
     * <ol>
     * <li>PACKET_OTHERHOST: rx_otherhost_dropped, SKB_DROP_REASON_OTHERHOST, before any MIB moves.
     * <li>__IP6_UPD_PO_STATS(IPSTATS_MIB_IN): Ip6InReceives, Ip6InOctets += skb->len.
     * <li>idev->cnf.disable_ipv6: Ip6InDiscards, SKB_DROP_REASON_IPV6DISABLED.
     * </ol>
     * Every interface has IPv6 disabled (conformance/FORMAT.md); a host.yaml that sets
     * net.ipv6.conf.&lt;dev&gt;.disable_ipv6 to 0 asks for IPv6, which is not emulated.
     */
    public static void ipv6Rcv(SkBuff skb, HostConfig host, LayerContext ctx) {
        ctx.trace(skb, "ipv6_rcv");
        // 1.
        if (skb.pktType() == PktType.PACKET_OTHERHOST) {
            ctx.linkStat(skb.netns(), skb.dev(), LinkStat.rx_otherhost_dropped, 1);
            ctx.drop(skb, SkbDropReason.OTHERHOST);
            return;
        }
        // 2.
        ctx.count(skb, Snmp.Ip6InReceives);
        ctx.count(skb, Snmp.Ip6InOctets, skb.len());
        // 3.
        if (host.sysctl().conf(skb.dev(), SysctlRegistry.IPV6_CONF_DISABLE_IPV6) != 0) {
            ctx.count(skb, Snmp.Ip6InDiscards);
            ctx.drop(skb, SkbDropReason.IPV6DISABLED);
            return;
        }
        ctx.drop(skb, SkbDropReason.NOT_EMULATED);
    }
}
