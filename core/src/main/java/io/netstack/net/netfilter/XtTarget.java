package io.netstack.net.netfilter;

import io.netstack.wire.Inet;

/**
 * struct xt_target: what a rule does when it matches. The standard target (ACCEPT, DROP,
 * RETURN, a jump) and the targets of the filter and nat tables.
 */
sealed interface XtTarget {

    String save();

    /** XT_STANDARD_TARGET with a verdict: ACCEPT, DROP or RETURN. */
    record Verdict(String name) implements XtTarget {
        @Override public String save() { return "-j " + name; }
    }

    /** A jump (-j CHAIN) or goto (-g CHAIN) to a user-defined chain. */
    record Jump(String chain, boolean isGoto) implements XtTarget {
        @Override public String save() { return (isGoto ? "-g " : "-j ") + chain; }
    }

    /** ipt_REJECT: enum ipt_reject_with, as the ICMP code to send or a TCP reset. */
    record Reject(String with, int icmpCode, boolean tcpReset) implements XtTarget {
        @Override public String save() { return "-j REJECT --reject-with " + with; }
    }

    /**
     * xt_nat / xt_MASQUERADE / xt_REDIRECT: an nf_nat_range2 and the manip it binds.
     *
     * @param kind DNAT, SNAT, MASQUERADE, REDIRECT
     * @param ipSpecified NF_NAT_RANGE_MAP_IPS
     * @param protoSpecified NF_NAT_RANGE_PROTO_SPECIFIED
     */
    record Nat(String kind, boolean ipSpecified, int minIp, int maxIp, boolean protoSpecified, int minPort, int maxPort)
            implements XtTarget {
        boolean dst() { return kind.equals("DNAT") || kind.equals("REDIRECT"); }

        @Override
        public String save() {
            String ports = protoSpecified ? (minPort == maxPort ? "" + minPort : minPort + "-" + maxPort) : "";
            switch (kind) {
                case "MASQUERADE":
                    return "-j MASQUERADE" + (protoSpecified ? " --to-ports " + ports : "");
                case "REDIRECT":
                    return "-j REDIRECT" + (protoSpecified ? " --to-ports " + ports : "");
                default:
                    String ip = !ipSpecified ? "" : minIp == maxIp ? Inet.format(minIp) : Inet.format(minIp) + "-" + Inet.format(maxIp);
                    return "-j " + kind + (kind.equals("DNAT") ? " --to-destination " : " --to-source ")
                            + ip + (protoSpecified ? ":" + ports : "");
            }
        }
    }
}
