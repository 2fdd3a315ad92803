package io.netstack.net.netfilter;

/** enum nf_inet_hooks (include/uapi/linux/netfilter.h): where in the IPv4 path the hooks run. */
public enum NfHook {
    /** ip_rcv_finish, before routing: PREROUTING (raw, conntrack, mangle, nat DNAT). */
    PRE_ROUTING,
    /** ip_local_deliver: INPUT (filter, nat SNAT). */
    LOCAL_IN,
    /** ip_forward: FORWARD (filter). */
    FORWARD,
    /** __ip_local_out: OUTPUT (raw, conntrack, nat DNAT, filter). */
    LOCAL_OUT,
    /** ip_output: POSTROUTING (nat SNAT/MASQUERADE, conntrack confirm). */
    POST_ROUTING
}
