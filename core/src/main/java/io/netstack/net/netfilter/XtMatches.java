package io.netstack.net.netfilter;

import java.util.List;

/**
 * The match modules iptables-save writes for the filter and nat tables: xt_tcpudp.c (tcp,
 * udp), ip_tables.c icmp_match, xt_multiport.c, xt_state.c, xt_conntrack.c, xt_comment.c.
 */
final class XtMatches {
    private XtMatches() {}

    /** port_match, xt_tcpudp.c */
    static boolean portMatch(int min, int max, int port, boolean invert) {
        return (port >= min && port <= max) ^ invert;
    }

    static String portText(int min, int max) {
        return min == max ? Integer.toString(min) : min + ":" + max;
    }

    /** tcp_mt, xt_tcpudp.c: ports and the flag byte. */
    record Tcp(int spmin, int spmax, boolean spInv, int dpmin, int dpmax, boolean dpInv,
               int flgMask, int flgCmp, boolean flgInv) implements XtMatch {
        @Override
        public boolean match(XtActionParam par) {
            // 1. A fragment other than the first never matches; offset 1 is an attack (hotdrop).
            if (par.fragoff != 0) {
                if (par.fragoff == 1) par.hotdrop = true;
                return false;
            }
            // 2. The header must be there (skb_header_pointer), else hotdrop.
            if (!par.transportHas(20)) {
                par.hotdrop = true;
                return false;
            }
            byte[] b = par.head;
            if (!portMatch(spmin, spmax, NfHeaders.sport(b, par.thoff), spInv)) return false;
            if (!portMatch(dpmin, dpmax, NfHeaders.dport(b, par.thoff), dpInv)) return false;
            return ((NfHeaders.tcpFlags(b, par.thoff) & flgMask) == flgCmp) ^ flgInv;
        }

        @Override
        public String save() {
            StringBuilder s = new StringBuilder("-m tcp");
            if (spmin != 0 || spmax != 0xffff) s.append(spInv ? " ! --sport " : " --sport ").append(portText(spmin, spmax));
            if (dpmin != 0 || dpmax != 0xffff) s.append(dpInv ? " ! --dport " : " --dport ").append(portText(dpmin, dpmax));
            if (flgMask != 0) s.append(flgInv ? " ! --tcp-flags " : " --tcp-flags ").append(flagsText(flgMask)).append(' ').append(flagsText(flgCmp));
            return s.toString();
        }
    }

    static final String[] TCP_FLAG_NAMES = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};

    static String flagsText(int f) {
        if (f == 0) return "NONE";
        if (f == 0xff) return "ALL";
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if ((f & (1 << i)) != 0) s.append(s.length() == 0 ? "" : ",").append(TCP_FLAG_NAMES[i]);
        }
        return s.toString();
    }

    /** udp_mt, xt_tcpudp.c */
    record Udp(int spmin, int spmax, boolean spInv, int dpmin, int dpmax, boolean dpInv) implements XtMatch {
        @Override
        public boolean match(XtActionParam par) {
            if (par.fragoff != 0) return false;
            if (!par.transportHas(8)) {
                par.hotdrop = true;
                return false;
            }
            return portMatch(spmin, spmax, NfHeaders.sport(par.head, par.thoff), spInv)
                    && portMatch(dpmin, dpmax, NfHeaders.dport(par.head, par.thoff), dpInv);
        }

        @Override
        public String save() {
            StringBuilder s = new StringBuilder("-m udp");
            if (spmin != 0 || spmax != 0xffff) s.append(spInv ? " ! --sport " : " --sport ").append(portText(spmin, spmax));
            if (dpmin != 0 || dpmax != 0xffff) s.append(dpInv ? " ! --dport " : " --dport ").append(portText(dpmin, dpmax));
            return s.toString();
        }
    }

    /** icmp_match / icmp_type_code_match, net/ipv4/netfilter/ip_tables.c; type 0xff matches any. */
    record Icmp(int type, int codeMin, int codeMax, boolean invert) implements XtMatch {
        @Override
        public boolean match(XtActionParam par) {
            if (par.fragoff != 0) return false;
            if (!par.transportHas(8)) {
                par.hotdrop = true;
                return false;
            }
            int t = NfHeaders.icmpType(par.head, par.thoff);
            int c = NfHeaders.icmpCode(par.head, par.thoff);
            boolean m = type == 0xff || (t == type && c >= codeMin && c <= codeMax);
            return m ^ invert;
        }

        @Override
        public String save() {
            if (type == 0xff && !invert) return "-m icmp --icmp-type any";
            String tc = type == 0xff ? "any" : codeMin == 0 && codeMax == 0xff ? Integer.toString(type) : type + "/" + codeMin;
            return "-m icmp" + (invert ? " ! --icmp-type " : " --icmp-type ") + tc;
        }
    }

    /** One port or range of a multiport list. */
    record PortRange(int min, int max) {}

    /** multiport_mt (revision 1), xt_multiport.c. flags: 1 source, 2 destination, 3 either. */
    record Multiport(int flags, List<PortRange> ports, boolean invert) implements XtMatch {
        static final int SRC = 1, DST = 2, ANY = 3;

        @Override
        public boolean match(XtActionParam par) {
            if (par.fragoff != 0) return false;
            if (!par.transportHas(4)) {
                par.hotdrop = true;
                return false;
            }
            int s = NfHeaders.sport(par.head, par.thoff);
            int d = NfHeaders.dport(par.head, par.thoff);
            for (PortRange r : ports) {
                boolean hit = switch (flags) {
                    case SRC -> s >= r.min() && s <= r.max();
                    case DST -> d >= r.min() && d <= r.max();
                    default -> (s >= r.min() && s <= r.max()) || (d >= r.min() && d <= r.max());
                };
                if (hit) return !invert;
            }
            return invert;
        }

        @Override
        public String save() {
            StringBuilder s = new StringBuilder("-m multiport");
            s.append(invert ? " ! " : " ").append(flags == SRC ? "--sports " : flags == DST ? "--dports " : "--ports ");
            for (int i = 0; i < ports.size(); i++) {
                if (i > 0) s.append(',');
                s.append(portText(ports.get(i).min(), ports.get(i).max()));
            }
            return s.toString();
        }
    }

    // XT_STATE_BIT / XT_CONNTRACK_STATE_*: include/uapi/linux/netfilter/xt_state.h, xt_conntrack.h
    static final int STATE_INVALID = 1;
    static final int STATE_ESTABLISHED = 1 << 1;
    static final int STATE_RELATED = 1 << 2;
    static final int STATE_NEW = 1 << 3;
    static final int STATE_UNTRACKED = 1 << 6;
    static final int STATE_SNAT = 1 << 7;
    static final int STATE_DNAT = 1 << 8;
    static final String[] STATE_NAMES = {"INVALID", "ESTABLISHED", "RELATED", "NEW", "", "", "UNTRACKED", "SNAT", "DNAT"};

    static String stateText(int mask) {
        StringBuilder s = new StringBuilder();
        // iptables prints them in this order: INVALID,NEW,RELATED,ESTABLISHED,UNTRACKED,SNAT,DNAT
        int[] order = {STATE_INVALID, STATE_NEW, STATE_RELATED, STATE_ESTABLISHED, STATE_UNTRACKED, STATE_SNAT, STATE_DNAT};
        for (int bit : order) {
            if ((mask & bit) != 0) s.append(s.length() == 0 ? "" : ",").append(STATE_NAMES[Integer.numberOfTrailingZeros(bit)]);
        }
        return s.toString();
    }

    /** XT_STATE_BIT(ctinfo): 1 << (ctinfo % IP_CT_IS_REPLY + 1); no conntrack means INVALID. */
    static int stateBit(XtActionParam par) {
        if (par.ct == null) return par.ctinfo == NfConntrack.IP_CT_UNTRACKED ? STATE_UNTRACKED : STATE_INVALID;
        return 1 << (par.ctinfo % NfConntrack.IP_CT_IS_REPLY + 1);
    }

    /** state_mt, xt_state.c (the `!` is folded into the mask by iptables; kept here for save). */
    record State(int mask, boolean invert) implements XtMatch {
        @Override
        public boolean match(XtActionParam par) {
            return ((mask & stateBit(par)) != 0) ^ invert;
        }

        @Override public String save() { return "-m state" + (invert ? " ! --state " : " --state ") + stateText(mask); }
        @Override public boolean needsConntrack() { return true; }
    }

    /** conntrack_mt --ctstate, xt_conntrack.c: SNAT/DNAT bits from the entry's status. */
    record Conntrack(int mask, boolean invert) implements XtMatch {
        @Override
        public boolean match(XtActionParam par) {
            int bit = stateBit(par);
            if (par.ct != null) {
                if (par.ct.srcNat) bit |= STATE_SNAT;
                if (par.ct.dstNat) bit |= STATE_DNAT;
            }
            return ((mask & bit) != 0) ^ invert;
        }

        @Override public String save() { return "-m conntrack" + (invert ? " ! --ctstate " : " --ctstate ") + stateText(mask); }
        @Override public boolean needsConntrack() { return true; }
    }

    /** comment_mt, xt_comment.c: always true. */
    record Comment(String text) implements XtMatch {
        @Override public boolean match(XtActionParam par) { return true; }
        @Override public String save() { return "-m comment --comment \"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\""; }
    }
}
