package io.netstack.net.netfilter;

import io.netstack.config.HostConfig;
import io.netstack.skb.SkBuff;
import io.netstack.stack.LayerContext;

/**
 * The netfilter hooks of the IPv4 path (NF_HOOK): iptables tables filter and nat from the
 * host's `firewall` (iptables-save text), with conntrack. l3 calls {@link #hook} at the five
 * places the kernel does; the skb's data points at the IPv4 header when it does.
 */
public interface Netfilter {

    /**
     * nf_hook_slow: runs the hook's chains over the skb.
     *
     * @param in  the input device name, "" on LOCAL_OUT
     * @param out the output device name, "" on PRE_ROUTING and LOCAL_IN
     */
    NfVerdict hook(NfHook hook, SkBuff skb, String in, String out, LayerContext ctx);

    /** Loads (or replaces) a host's rules; conntrack state survives a rule change, as in Linux. */
    void configure(HostConfig host);

    void remove(String netns);

    /**
     * Does conntrack run for the host? Then l3 reassembles fragments before PRE_ROUTING, as
     * nf_defrag_ipv4 (ipv4_conntrack_defrag, priority -400) does once conntrack is loaded.
     */
    default boolean conntrackActive(String netns) { return false; }

    /** Hooks that accept everything: a host with no rules and no conntrack. */
    static Netfilter acceptAll() {
        return new Netfilter() {
            @Override public NfVerdict hook(NfHook hook, SkBuff skb, String in, String out, LayerContext ctx) { return NfVerdict.ACCEPT; }
            @Override public void configure(HostConfig host) {}
            @Override public void remove(String netns) {}
        };
    }
}
