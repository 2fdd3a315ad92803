package io.netstack.net.netfilter;

/**
 * struct xt_match (include/linux/netfilter/x_tables.h): one `-m` module of a rule, as
 * ipt_do_table calls it with the packet's xt_action_param.
 */
interface XtMatch {

    /** The match function; may set {@code par.hotdrop} (the packet is dropped, the rule fails). */
    boolean match(XtActionParam par);

    /** The text iptables-save prints for it ("-m tcp --dport 80"). */
    String save();

    /** Does the module need conntrack (nf_ct_netns_get in its checkentry)? */
    default boolean needsConntrack() { return false; }
}
