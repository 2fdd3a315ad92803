package io.netstack.net.netfilter;

import io.netstack.wire.Inet;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The loaded iptables tables of one host (struct xt_table and its ipt_entry blob, as
 * iptables-restore built it), with the packet and byte counters `iptables -L -v` shows.
 */
public final class Ruleset {

    /** The built-in chains of each table, in the order iptables-save prints them. */
    static final Map<String, List<String>> BUILTIN = Map.of(
            "filter", List.of("INPUT", "FORWARD", "OUTPUT"),
            "nat", List.of("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"));

    private final Map<String, Table> tables = new LinkedHashMap<>();

    public Map<String, Table> tables() { return tables; }

    public Table table(String name) { return tables.get(name); }

    /** Some rule needs conntrack (a state/conntrack match or a NAT target): nf_ct_netns_get was called. */
    public boolean needsConntrack() {
        for (Table t : tables.values()) {
            for (Chain c : t.chains.values()) {
                for (Rule r : c.rules) {
                    if (r.target instanceof XtTarget.Nat) return true;
                    for (XtMatch m : r.matches) if (m.needsConntrack()) return true;
                }
            }
        }
        return false;
    }

    /**
     * Takes over the counters of {@code old} for every rule that is still there, as
     * `iptables -A/-I/-D/-P` do (the userspace tool reads the table with its counters and
     * writes it back with them): a rule keeps its counter when the same rule (same table,
     * chain and iptables-save text, matched in order) was loaded before; a chain keeps its
     * policy counter. A rule that is new starts at the counters its text gives (0 unless
     * iptables-save -c wrote them).
     */
    public void carryCounters(Ruleset old) {
        if (old == null) return;
        for (Table t : tables.values()) {
            Table ot = old.tables.get(t.name);
            if (ot == null) continue;
            for (Chain c : t.chains.values()) {
                Chain oc = ot.chains.get(c.name);
                if (oc == null) continue;
                if (c.policyCounter.packets == 0 && c.policyCounter.bytes == 0) {
                    c.policyCounter.set(oc.policyCounter.packets, oc.policyCounter.bytes);
                }
                List<Rule> left = new ArrayList<>(oc.rules);
                for (Rule r : c.rules) {
                    String text = r.save();
                    for (int i = 0; i < left.size(); i++) {
                        Rule o = left.get(i);
                        if (o.save().equals(text)) {
                            if (r.counter.packets == 0 && r.counter.bytes == 0) r.counter.set(o.counter.packets, o.counter.bytes);
                            left.remove(i);
                            break;
                        }
                    }
                }
            }
        }
    }

    /** ipt_entry counters (struct xt_counters). */
    public static final class Counter {
        private long packets;
        private long bytes;

        public Counter() {}

        public Counter(long packets, long bytes) {
            this.packets = packets;
            this.bytes = bytes;
        }

        void add(long len) {
            packets++;
            bytes += len;
        }

        void set(long p, long b) {
            packets = p;
            bytes = b;
        }

        public long packets() { return packets; }
        public long bytes() { return bytes; }
    }

    /** One table (filter, nat). */
    public static final class Table {
        final String name;
        final Map<String, Chain> chains = new LinkedHashMap<>();

        Table(String name) {
            this.name = name;
            for (String c : BUILTIN.get(name)) chains.put(c, new Chain(c, "ACCEPT"));
        }

        public String name() { return name; }
        public Map<String, Chain> chains() { return chains; }
        public Chain chain(String n) { return chains.get(n); }
    }

    /** A chain; {@code policy} is null for a user-defined chain. */
    public static final class Chain {
        final String name;
        String policy;
        final Counter policyCounter = new Counter();
        final List<Rule> rules = new ArrayList<>();

        Chain(String name, String policy) {
            this.name = name;
            this.policy = policy;
        }

        public String name() { return name; }
        public String policy() { return policy; }
        public boolean builtin() { return policy != null; }
        /** The counter of the policy, as `iptables -L -v` prints it in the chain's header. */
        public Counter policyCounter() { return policyCounter; }
        public List<Rule> rules() { return rules; }
    }

    /**
     * struct ipt_entry: struct ipt_ip (addresses, interfaces, protocol, inversions),
     * the matches in order, the target and the counters.
     */
    public static final class Rule {
        final int src, srcMask, dst, dstMask;
        final boolean invSrc, invDst;
        final String in, out;
        final boolean invIn, invOut;
        /** 0 = all */
        final int proto;
        final boolean invProto;
        final List<XtMatch> matches;
        final XtTarget target;
        final Counter counter;
        final int line;

        Rule(int src, int srcMask, boolean invSrc, int dst, int dstMask, boolean invDst, String in, boolean invIn,
             String out, boolean invOut, int proto, boolean invProto, List<XtMatch> matches, XtTarget target,
             Counter counter, int line) {
            this.src = src;
            this.srcMask = srcMask;
            this.invSrc = invSrc;
            this.dst = dst;
            this.dstMask = dstMask;
            this.invDst = invDst;
            this.in = in;
            this.invIn = invIn;
            this.out = out;
            this.invOut = invOut;
            this.proto = proto;
            this.invProto = invProto;
            this.matches = matches;
            this.target = target;
            this.counter = counter;
            this.line = line;
        }

        public Counter counter() { return counter; }
        /** The line of the firewall text it came from. */
        public int line() { return line; }

        /** The rule as iptables-save prints it, without `-A CHAIN`. */
        public String save() {
            StringBuilder s = new StringBuilder();
            if (srcMask != 0 || invSrc) s.append(invSrc ? " ! -s " : " -s ").append(Inet.format(src)).append('/').append(Integer.bitCount(srcMask));
            if (dstMask != 0 || invDst) s.append(invDst ? " ! -d " : " -d ").append(Inet.format(dst)).append('/').append(Integer.bitCount(dstMask));
            if (!in.isEmpty()) s.append(invIn ? " ! -i " : " -i ").append(in);
            if (!out.isEmpty()) s.append(invOut ? " ! -o " : " -o ").append(out);
            if (proto != 0 || invProto) s.append(invProto ? " ! -p " : " -p ").append(protoName(proto));
            for (XtMatch m : matches) s.append(' ').append(m.save());
            if (target != null) s.append(' ').append(target.save());
            return s.toString().trim();
        }
    }

    static String protoName(int p) {
        return switch (p) {
            case 0 -> "all";
            case 1 -> "icmp";
            case 6 -> "tcp";
            case 17 -> "udp";
            default -> Integer.toString(p);
        };
    }

    /** The tables as `iptables-save -c` prints them (counters in brackets). */
    public String save() {
        StringBuilder s = new StringBuilder();
        for (Table t : tables.values()) {
            s.append('*').append(t.name).append('\n');
            for (Chain c : t.chains.values()) {
                s.append(':').append(c.name).append(' ').append(c.builtin() ? c.policy : "-")
                        .append(" [").append(c.policyCounter.packets).append(':').append(c.policyCounter.bytes).append("]\n");
            }
            for (Chain c : t.chains.values()) {
                for (Rule r : c.rules) {
                    s.append('[').append(r.counter.packets).append(':').append(r.counter.bytes).append("] -A ")
                            .append(c.name).append(' ').append(r.save()).append('\n');
                }
            }
            s.append("COMMIT\n");
        }
        return s.toString();
    }

    /** One table as `iptables -t TABLE -L -v -n` prints it (pkts/bytes exact, not scaled). */
    public String listVerbose(String table) {
        Table t = tables.get(table);
        if (t == null) return "";
        StringBuilder s = new StringBuilder();
        for (Chain c : t.chains.values()) {
            if (s.length() > 0) s.append('\n');
            if (c.builtin()) {
                s.append("Chain ").append(c.name).append(" (policy ").append(c.policy).append(' ')
                        .append(c.policyCounter.packets).append(" packets, ").append(c.policyCounter.bytes).append(" bytes)\n");
            } else {
                s.append("Chain ").append(c.name).append(" (").append(references(t, c.name)).append(" references)\n");
            }
            s.append(String.format("%8s %5s %-9s %-4s %-3s %-6s %-6s %-18s %-18s%n",
                    "pkts", "bytes", "target", "prot", "opt", "in", "out", "source", "destination"));
            for (Rule r : c.rules) {
                String target = r.target == null ? "" : r.target instanceof XtTarget.Verdict v ? v.name()
                        : r.target instanceof XtTarget.Jump j ? j.chain()
                        : r.target instanceof XtTarget.Reject ? "REJECT" : ((XtTarget.Nat) r.target).kind();
                s.append(String.format("%8d %5d %-9s %-4s %-3s %-6s %-6s %-18s %-18s",
                        r.counter.packets, r.counter.bytes, target, (r.invProto ? "!" : "") + protoName(r.proto), "--",
                        r.in.isEmpty() ? "*" : (r.invIn ? "!" : "") + r.in, r.out.isEmpty() ? "*" : (r.invOut ? "!" : "") + r.out,
                        (r.invSrc ? "!" : "") + Inet.format(r.src) + "/" + Integer.bitCount(r.srcMask),
                        (r.invDst ? "!" : "") + Inet.format(r.dst) + "/" + Integer.bitCount(r.dstMask)));
                for (XtMatch m : r.matches) s.append(' ').append(m.save().replaceFirst("^-m \\S+ ?", ""));
                s.append('\n');
            }
        }
        return s.toString();
    }

    /** `iptables -L -v -n` of a table that was never loaded: its built-in chains, policy ACCEPT, no rules. */
    public String listVerboseEmpty(String table) {
        if (!BUILTIN.containsKey(table)) return "";
        Ruleset r = new Ruleset();
        r.tables.put(table, new Table(table));
        return r.listVerbose(table);
    }

    private static int references(Table t, String chain) {
        int n = 0;
        for (Chain c : t.chains.values()) {
            for (Rule r : c.rules) if (r.target instanceof XtTarget.Jump j && j.chain().equals(chain)) n++;
        }
        return n;
    }
}
