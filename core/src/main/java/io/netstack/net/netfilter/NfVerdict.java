package io.netstack.net.netfilter;

import io.netstack.skb.SkBuff;

/** What nf_hook_slow decided (NF_ACCEPT, NF_DROP, NF_STOLEN); a REJECT is a drop that answers. */
public sealed interface NfVerdict {

    /** NF_ACCEPT: go on (the packet may have been rewritten by NAT). */
    record Accept() implements NfVerdict {}

    /** NF_DROP: the caller drops the skb with SKB_DROP_REASON_NETFILTER_DROP. */
    record Drop() implements NfVerdict {}

    /**
     * REJECT (nf_reject_ipv4): the caller drops the skb with NETFILTER_DROP and sends
     * {@code reply}, an ICMP error or TCP RST already built in the shape of
     * {@link io.netstack.stack.KernelQueue#IP_LOCAL_OUT}, out through ip_local_out.
     */
    record Reject(SkBuff reply) implements NfVerdict {}

    NfVerdict ACCEPT = new Accept();
    NfVerdict DROP = new Drop();
}
