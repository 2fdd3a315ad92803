package io.netstack.net.netfilter;

import io.netstack.config.ConfigException;
import io.netstack.config.HostConfig;
import io.netstack.skb.SkBuff;
import io.netstack.stack.LayerContext;
import io.netstack.wire.Inet;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The IPv4 netfilter hooks of every host: nf_hook_slow over the hook functions registered at
 * each hook, in the kernel's priority order, and ipt_do_table (net/ipv4/netfilter/ip_tables.c).
 *
 * <pre>
 *  PRE_ROUTING   conntrack in (-200)   nat PREROUTING, DNAT (-100)
 *  LOCAL_IN      filter INPUT (0)      nat INPUT, SNAT (100)         conntrack confirm (last)
 *  FORWARD       filter FORWARD (0)
 *  LOCAL_OUT     conntrack in (-200)   nat OUTPUT, DNAT (-100)       filter OUTPUT (0)
 *  POST_ROUTING  nat POSTROUTING, SNAT (100)                         conntrack confirm (last)
 * </pre>
 *
 * <p>When conntrack runs: since Linux 4.10 the conntrack hooks of a netns are registered only
 * when something calls nf_ct_netns_get for it: the checkentry of xt_state, xt_conntrack and the
 * NAT targets (xt_nat, MASQUERADE, REDIRECT). So conntrack (and with it NAT) runs for a host
 * exactly when its rules hold a {@code -m state}, {@code -m conntrack} or a DNAT / SNAT /
 * MASQUERADE / REDIRECT rule; a host with only stateless filter rules is not tracked (and its
 * packets match {@code --ctstate INVALID} nowhere, since no rule asks). The entries survive a
 * rule change, as the kernel keeps them while the module stays loaded.
 */
public final class IpTables implements Netfilter {

    /** One host's netfilter state. */
    private static final class Host {
        volatile HostConfig config;
        volatile Ruleset rules;
        volatile boolean tracking;
        volatile NfConntrack conntrack;

        Host(HostConfig config, Ruleset rules) {
            this.config = config;
            this.rules = rules;
            this.conntrack = new NfConntrack(config.sysctl());
            this.tracking = rules.needsConntrack();
        }
    }

    private final Map<String, Host> hosts = new ConcurrentHashMap<>();

    /** Parses a host's firewall and loads it; a bad line throws {@link ConfigException}. */
    @Override
    public void configure(HostConfig host) {
        Ruleset rules = IptablesRestore.parse(host.netns() + " firewall", host.firewall());
        Host h = hosts.get(host.netns());
        if (h == null) {
            hosts.put(host.netns(), new Host(host, rules));
        } else {
            synchronized (h) {
                rules.carryCounters(h.rules);
                h.config = host;
                h.rules = rules;
                h.tracking = h.tracking || rules.needsConntrack();     // the module stays loaded
                h.conntrack.setSysctl(host.sysctl());
            }
        }
    }

    @Override
    public void remove(String netns) { hosts.remove(netns); }

    /** The loaded rules with their counters (for `iptables -L -v` / `iptables-save -c`), or null. */
    public Ruleset ruleset(String netns) {
        Host h = hosts.get(netns);
        return h == null ? null : h.rules;
    }

    /** The host's conntrack table (for `conntrack -L`), or null. */
    public NfConntrack conntrack(String netns) {
        Host h = hosts.get(netns);
        return h == null ? null : h.conntrack;
    }

    /**
     * Replaces a host's conntrack table by a restored one (null: an empty table) and sets
     * whether tracking runs; the rules stay those of the configuration.
     */
    public void restoreConntrack(String netns, NfConntrack restored, boolean tracking) {
        Host h = hosts.get(netns);
        if (h == null) return;
        synchronized (h) {
            h.conntrack = restored != null ? restored : new NfConntrack(h.config.sysctl());
            h.conntrack.setSysctl(h.config.sysctl());
            h.tracking = tracking || h.rules.needsConntrack();
        }
    }

    /** Is conntrack running for the host (so l3 must defragment before PRE_ROUTING, as nf_defrag_ipv4 does)? */
    @Override
    public boolean conntrackActive(String netns) { return tracking(netns); }

    /** Same as {@link #conntrackActive}. */
    public boolean tracking(String netns) {
        Host h = hosts.get(netns);
        return h != null && h.tracking;
    }

    /** nf_hook_slow: the hook's functions in priority order until one does not accept. */
    @Override
    public NfVerdict hook(NfHook hook, SkBuff skb, String in, String out, LayerContext ctx) {
        Host h = hosts.get(skb.netns());
        if (h == null) return NfVerdict.ACCEPT;
        synchronized (h) {
            Ruleset rules = h.rules;
            if (rules.tables().isEmpty() && !h.tracking) return NfVerdict.ACCEPT;
            ctx.trace(skb, "nf_hook_slow");
            long now = ctx.nowNanos();
            in = in == null ? "" : in;
            out = out == null ? "" : out;
            NfVerdict v = NfVerdict.ACCEPT;
            switch (hook) {
                case PRE_ROUTING -> {
                    conntrackIn(h, skb, hook, ctx, now);
                    v = natFn(h, hook, "PREROUTING", skb, in, out, ctx, now);
                }
                case LOCAL_IN -> {
                    v = filter(h, "INPUT", hook, skb, in, out, ctx, now);
                    if (v instanceof NfVerdict.Accept) v = natFn(h, hook, "INPUT", skb, in, out, ctx, now);
                    if (v instanceof NfVerdict.Accept) confirm(h, skb, ctx, now);
                }
                case FORWARD -> v = filter(h, "FORWARD", hook, skb, in, out, ctx, now);
                case LOCAL_OUT -> {
                    conntrackIn(h, skb, hook, ctx, now);
                    v = natFn(h, hook, "OUTPUT", skb, in, out, ctx, now);
                    if (v instanceof NfVerdict.Accept) v = filter(h, "OUTPUT", hook, skb, in, out, ctx, now);
                }
                case POST_ROUTING -> {
                    v = natFn(h, hook, "POSTROUTING", skb, in, out, ctx, now);
                    if (v instanceof NfVerdict.Accept) confirm(h, skb, ctx, now);
                }
            }
            if (v instanceof NfVerdict.Drop) release(h, skb);
            return v;
        }
    }

    private void conntrackIn(Host h, SkBuff skb, NfHook hook, LayerContext ctx, long now) {
        if (!h.tracking) return;
        ctx.trace(skb, "nf_conntrack_in");
        h.conntrack.conntrackIn(skb, hook, now);
    }

    private void confirm(Host h, SkBuff skb, LayerContext ctx, long now) {
        if (!h.tracking) return;
        NfConntrack.Conn ct = h.conntrack.get(skb);
        if (ct != null && !ct.confirmed) {
            ctx.trace(skb, "__nf_conntrack_confirm");
            h.conntrack.confirm(skb, now);
        }
    }

    /** A dropped packet frees its unconfirmed entry (the skb held its only reference). */
    private void release(Host h, SkBuff skb) {
        NfConntrack.Conn ct = h.conntrack.get(skb);
        if (ct != null && !ct.confirmed) h.conntrack.kill(ct);
    }

    private NfVerdict filter(Host h, String chain, NfHook hook, SkBuff skb, String in, String out, LayerContext ctx, long now) {
        Ruleset.Table t = h.rules.table("filter");
        if (t == null) return NfVerdict.ACCEPT;
        return iptDoTable(h, t, chain, hook, skb, in, out, ctx, now);
    }

    /**
     * nf_nat_ipv4_fn / nf_nat_inet_fn: ICMP errors of a NATed flow are translated; a NEW (or
     * RELATED) entry not yet bound for this manip runs the nat chain, then gets a null binding
     * if no rule bound it; every packet is then rewritten by nf_nat_packet.
     */
    private NfVerdict natFn(Host h, NfHook hook, String chain, SkBuff skb, String in, String out, LayerContext ctx, long now) {
        Ruleset.Table nat = h.rules.table("nat");
        if (nat == null || !h.tracking) return NfVerdict.ACCEPT;
        NfConntrack.Conn ct = h.conntrack.get(skb);
        if (ct == null) return NfVerdict.ACCEPT;
        int ctinfo = skb.cb().nfCtinfo;
        int manip = NfNat.hook2manip(hook);
        if ((ctinfo == NfConntrack.IP_CT_RELATED || ctinfo == NfConntrack.IP_CT_RELATED_REPLY)
                && NfHeaders.protocol(skb.head(), skb.data()) == NfHeaders.IPPROTO_ICMP) {
            ctx.trace(skb, "nf_nat_icmp_reply_translation");
            return NfNat.icmpReplyTranslation(skb, ct, ctinfo, hook) ? NfVerdict.ACCEPT : NfVerdict.DROP;
        }
        if (ctinfo == NfConntrack.IP_CT_NEW || ctinfo == NfConntrack.IP_CT_RELATED || ctinfo == NfConntrack.IP_CT_RELATED_REPLY) {
            if (!NfNat.initialized(ct, manip)) {
                NfVerdict v = iptDoTable(h, nat, chain, hook, skb, in, out, ctx, now);
                if (!(v instanceof NfVerdict.Accept)) return v;
                if (!NfNat.initialized(ct, manip)) NfNat.nullBinding(h.conntrack, ct, hook, now);
            }
        }
        if (ct.srcNat || ct.dstNat) ctx.trace(skb, "nf_nat_packet");
        return NfNat.natPacket(ct, ctinfo, hook, skb) ? NfVerdict.ACCEPT : NfVerdict.DROP;
    }

    // --- ipt_do_table ------------------------------------------------------------------------

    private record Frame(Ruleset.Chain chain, int index) {}

    /**
     * ipt_do_table: walks the chain from the hook's entry. For each rule: ip_packet_match,
     * then the matches in order (a hotdrop drops); a match counts the packet and runs the
     * target. Jumps push a return point (-g does not); the end of a user chain returns; the
     * end of the built-in chain (or RETURN in it) applies the policy, counted on the policy.
     */
    private NfVerdict iptDoTable(Host h, Ruleset.Table table, String chainName, NfHook hook, SkBuff skb,
                                 String in, String out, LayerContext ctx, long now) {
        Ruleset.Chain base = table.chain(chainName);
        if (base == null) return NfVerdict.ACCEPT;
        byte[] b = skb.head();
        int ip = skb.data();
        int end = ip + skb.len();
        NfConntrack.Conn ct = h.tracking ? h.conntrack.get(skb) : null;
        XtActionParam par = new XtActionParam(b, ip, end, in, out, ct, skb.cb().nfCtinfo);
        long len = skb.len();
        Deque<Frame> stack = new ArrayDeque<>();
        Ruleset.Chain cur = base;
        int i = 0;
        int steps = 0;
        while (true) {
            if (++steps > 100_000) {            // a loop among user chains (the kernel refuses it at load)
                ctx.trace(skb, "ipt_do_table " + table.name() + " " + chainName + ": loop, DROP");
                return NfVerdict.DROP;
            }
            if (i >= cur.rules.size()) {
                if (stack.isEmpty() || cur == base) {
                    return policy(table, base, skb, ctx, len);
                }
                Frame f = stack.pop();
                cur = f.chain();
                i = f.index() + 1;
                continue;
            }
            Ruleset.Rule r = cur.rules.get(i);
            if (!ipPacketMatch(r, par)) {
                i++;
                continue;
            }
            boolean matched = true;
            for (XtMatch m : r.matches) {
                if (!m.match(par)) {
                    matched = false;
                    break;
                }
            }
            if (par.hotdrop) {
                ctx.trace(skb, "ipt_do_table " + table.name() + " " + cur.name + " #" + (i + 1) + ": hotdrop");
                return NfVerdict.DROP;
            }
            if (!matched) {
                i++;
                continue;
            }
            r.counter.add(len);
            XtTarget t = r.target;
            String where = "ipt_do_table " + table.name() + " " + cur.name + " #" + (i + 1) + " (line " + r.line + "): ";
            if (t == null) {                    // no target: count and go on
                i++;
                continue;
            }
            if (t instanceof XtTarget.Verdict v) {
                switch (v.name()) {
                    case "ACCEPT" -> {
                        ctx.trace(skb, where + "ACCEPT");
                        return NfVerdict.ACCEPT;
                    }
                    case "DROP" -> {
                        ctx.trace(skb, where + "DROP");
                        return NfVerdict.DROP;
                    }
                    default -> {                // RETURN
                        if (stack.isEmpty() || cur == base) return policy(table, base, skb, ctx, len);
                        Frame f = stack.pop();
                        cur = f.chain();
                        i = f.index() + 1;
                        continue;
                    }
                }
            }
            if (t instanceof XtTarget.Jump j) {
                if (!j.isGoto()) stack.push(new Frame(cur, i));
                cur = table.chain(j.chain());
                i = 0;
                continue;
            }
            if (t instanceof XtTarget.Reject rj) {
                ctx.trace(skb, where + "REJECT --reject-with " + rj.with());
                return reject(h, rj, hook, skb, ctx);
            }
            XtTarget.Nat nat = (XtTarget.Nat) t;
            ctx.trace(skb, where + nat.kind());
            return natTarget(h, nat, hook, skb, in, out, ct, now);
        }
    }

    private NfVerdict policy(Ruleset.Table table, Ruleset.Chain base, SkBuff skb, LayerContext ctx, long len) {
        base.policyCounter.add(len);
        ctx.trace(skb, "ipt_do_table " + table.name() + " " + base.name + ": policy " + base.policy);
        return "DROP".equals(base.policy) ? NfVerdict.DROP : NfVerdict.ACCEPT;
    }

    /** ip_packet_match: addresses under their masks, interfaces (with + as wildcard), protocol. */
    static boolean ipPacketMatch(Ruleset.Rule r, XtActionParam par) {
        int s = NfHeaders.saddr(par.head, par.ip), d = NfHeaders.daddr(par.head, par.ip);
        if (((s & r.srcMask) != r.src) ^ r.invSrc) return false;
        if (((d & r.dstMask) != r.dst) ^ r.invDst) return false;
        if (!r.in.isEmpty() && (!ifnameMatch(r.in, par.in) ^ r.invIn)) return false;
        if (!r.out.isEmpty() && (!ifnameMatch(r.out, par.out) ^ r.invOut)) return false;
        if (r.proto != 0 && ((par.protocol != r.proto) ^ r.invProto)) return false;
        return true;
    }

    /** ifname_compare_aligned with the mask iptables builds: "eth+" matches every name starting "eth". */
    static boolean ifnameMatch(String rule, String dev) {
        if (rule.endsWith("+")) return dev.startsWith(rule.substring(0, rule.length() - 1));
        return rule.equals(dev);
    }

    /** reject_tg, ipt_REJECT.c: sends the reply and drops the packet. */
    private NfVerdict reject(Host h, XtTarget.Reject rj, NfHook hook, SkBuff skb, LayerContext ctx) {
        SkBuff reply = rj.tcpReset()
                ? NfReject.sendReset(h.config, skb, hook, ctx)
                : NfReject.sendUnreach(h.config, skb, rj.icmpCode(), hook, ctx);
        if (reply == null) return NfVerdict.DROP;
        if (h.tracking) h.conntrack.attachRelated(reply, skb);
        return new NfVerdict.Reject(reply);
    }

    /** xt_nat (DNAT, SNAT), MASQUERADE (nf_nat_masquerade_ipv4), REDIRECT (nf_nat_redirect_ipv4). */
    private NfVerdict natTarget(Host h, XtTarget.Nat t, NfHook hook, SkBuff skb, String in, String out,
                                NfConntrack.Conn ct, long now) {
        if (ct == null) return NfVerdict.ACCEPT;
        int manip = NfNat.hook2manip(hook);
        NfNat.Range range;
        switch (t.kind()) {
            case "MASQUERADE" -> {
                // inet_select_addr(out, next hop, RT_SCOPE_UNIVERSE): an address of the output
                // device on the next hop's subnet, else its primary address.
                HostConfig.Interface dev = h.config.iface(out).orElse(null);
                if (dev == null || dev.addresses().isEmpty()) return NfVerdict.DROP;
                int nh = skb.cb().route != null && skb.cb().route.gateway() != 0
                        ? skb.cb().route.gateway() : NfHeaders.daddr(skb.head(), skb.data());
                int src = dev.addresses().get(0).address();
                for (HostConfig.IfAddress a : dev.addresses()) {
                    if (Inet.inPrefix(nh, a.address(), a.prefixLen())) {
                        src = a.address();
                        break;
                    }
                }
                range = new NfNat.Range(true, src, src, t.protoSpecified(), t.minPort(), t.maxPort());
            }
            case "REDIRECT" -> {
                // To the input device's primary address (127.0.0.1 for locally sent packets).
                int dst;
                if (hook == NfHook.LOCAL_OUT) {
                    dst = 0x7f000001;
                } else {
                    HostConfig.Interface dev = h.config.iface(in).orElse(null);
                    if (dev == null || dev.addresses().isEmpty()) return NfVerdict.DROP;
                    dst = dev.addresses().get(0).address();
                }
                range = new NfNat.Range(true, dst, dst, t.protoSpecified(), t.minPort(), t.maxPort());
            }
            default -> range = new NfNat.Range(t.ipSpecified(), t.minIp(), t.maxIp(), t.protoSpecified(), t.minPort(), t.maxPort());
        }
        NfNat.setupInfo(h.conntrack, ct, range, manip, now);
        return NfVerdict.ACCEPT;
    }
}
