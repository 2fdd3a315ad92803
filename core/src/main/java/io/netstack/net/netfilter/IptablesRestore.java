package io.netstack.net.netfilter;

import io.netstack.config.ConfigException;
import io.netstack.wire.Inet;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * iptables-restore (iptables/iptables-restore.c, do_command4 in iptables/iptables.c): reads
 * the text of the host's {@code firewall} into a {@link Ruleset}, refusing a bad line with
 * its number.
 *
 * <p>Two forms are accepted:
 * <ul>
 * <li>an iptables-save dump: {@code *table}, {@code :CHAIN POLICY [p:b]}, {@code -A CHAIN ...}
 *     (optionally with a {@code [p:b]} counter prefix, as {@code iptables-save -c} writes it),
 *     {@code COMMIT}; a table must end with COMMIT, a rule must be inside a table.</li>
 * <li>bare rules, when the text holds no {@code *table} line: {@code -A}/{@code -I}/{@code -N}/
 *     {@code -P} lines as given to the iptables command (a leading {@code iptables} word is
 *     ignored). A line's table is {@code -t TABLE} if given; else it is inferred: nat when
 *     the chain is PREROUTING or POSTROUTING (filter has neither) or the target is DNAT,
 *     SNAT, MASQUERADE or REDIRECT (targets only the nat table accepts); filter otherwise.
 *     A user chain referenced without -N is created in the table of the rule jumping to it.</li>
 * </ul>
 * Blank lines and {@code #} comments are skipped in both.
 */
public final class IptablesRestore {

    private static final Set<String> NAT_TARGETS = Set.of("DNAT", "SNAT", "MASQUERADE", "REDIRECT");

    private final String source;
    private final Ruleset rules = new Ruleset();
    /** Chains jumped to, to check once a table is complete: {chain, table, line}. */
    private final List<Object[]> jumps = new ArrayList<>();
    private int lineNo;

    private IptablesRestore(String source) {
        this.source = source;
    }

    /**
     * Parses firewall text.
     *
     * @param source the name to give in errors ("host.yaml firewall")
     * @throws ConfigException at the first bad line
     */
    public static Ruleset parse(String source, String text) {
        IptablesRestore p = new IptablesRestore(source);
        p.run(text == null ? "" : text);
        return p.rules;
    }

    private ConfigException error(String message) {
        return new ConfigException(source, lineNo, message);
    }

    private void run(String text) {
        String[] lines = text.split("\r?\n", -1);
        boolean dump = false;
        for (String l : lines) {
            if (l.trim().startsWith("*")) {
                dump = true;
                break;
            }
        }
        Ruleset.Table current = null;
        int tableLine = 0;
        for (int i = 0; i < lines.length; i++) {
            lineNo = i + 1;
            String line = lines[i].trim();
            if (line.isEmpty() || line.startsWith("#")) continue;
            if (dump) {
                if (line.startsWith("*")) {
                    if (current != null) throw error("COMMIT expected before " + line + " (table " + current.name + " opened at line " + tableLine + ")");
                    String name = line.substring(1).trim();
                    if (!Ruleset.BUILTIN.containsKey(name)) throw error("table '" + name + "' is not supported (filter, nat)");
                    if (rules.tables().containsKey(name)) throw error("table '" + name + "' given twice");
                    current = new Ruleset.Table(name);
                    rules.tables().put(name, current);
                    tableLine = lineNo;
                } else if (line.equals("COMMIT")) {
                    if (current == null) throw error("COMMIT outside a table");
                    checkJumps(current);
                    current = null;
                } else if (line.startsWith(":")) {
                    if (current == null) throw error("chain outside a table: " + line);
                    chainHeader(current, line);
                } else {
                    if (current == null) throw error("rule outside a table (no *filter or *nat before it)");
                    List<String> tokens = tokenize(line);
                    Ruleset.Counter counter = new Ruleset.Counter();
                    if (!tokens.isEmpty() && tokens.get(0).startsWith("[")) counter = counters(tokens.remove(0));
                    if (tokens.isEmpty() || !(tokens.get(0).equals("-A") || tokens.get(0).equals("--append"))) {
                        throw error("expected -A CHAIN, found '" + (tokens.isEmpty() ? "" : tokens.get(0)) + "'");
                    }
                    command(current, tokens, counter);
                }
            } else {
                List<String> tokens = tokenize(line);
                if (!tokens.isEmpty() && (tokens.get(0).equals("iptables") || tokens.get(0).endsWith("/iptables"))) tokens.remove(0);
                bareLine(tokens);
            }
        }
        lineNo = lines.length > 0 && lines[lines.length - 1].isEmpty() ? lines.length - 1 : lines.length;
        if (current != null) throw error("COMMIT expected at the end (table " + current.name + " opened at line " + tableLine + ")");
        if (!dump) {
            for (Ruleset.Table t : rules.tables().values()) checkJumps(t);
        }
    }

    /** :CHAIN POLICY [p:b] */
    private void chainHeader(Ruleset.Table table, String line) {
        String[] f = line.substring(1).trim().split("\\s+");
        if (f.length < 2 || f.length > 3) throw error("bad chain line, expected ':CHAIN POLICY [packets:bytes]'");
        String name = f[0];
        checkChainName(name);
        Ruleset.Counter c = f.length == 3 ? counters(f[2]) : new Ruleset.Counter();
        Ruleset.Chain chain = table.chains.get(name);
        boolean builtin = Ruleset.BUILTIN.get(table.name).contains(name);
        if (builtin) {
            if (!f[1].equals("ACCEPT") && !f[1].equals("DROP")) throw error("bad policy '" + f[1] + "' for built-in chain " + name + " (ACCEPT or DROP)");
            chain.policy = f[1];
        } else {
            if (!f[1].equals("-")) throw error("user-defined chain " + name + " cannot have a policy ('" + f[1] + "')");
            if (chain != null) throw error("chain " + name + " defined twice");
            chain = new Ruleset.Chain(name, null);
            table.chains.put(name, chain);
        }
        // The [p:b] restore the policy's counters as they were (iptables-restore -c; kept always here).
        chain.policyCounter.set(c.packets(), c.bytes());
    }

    private void checkChainName(String name) {
        if (name.isEmpty() || name.length() > 28 || name.startsWith("-") || name.startsWith("!")) {
            throw error("bad chain name '" + name + "'");
        }
    }

    private Ruleset.Counter counters(String token) {
        if (!token.matches("\\[\\d+:\\d+]")) throw error("bad counters '" + token + "', expected [packets:bytes]");
        String[] pb = token.substring(1, token.length() - 1).split(":");
        return new Ruleset.Counter(Long.parseLong(pb[0]), Long.parseLong(pb[1]));
    }

    /** A line of the bare form: [-t TABLE] -A|-I|-N|-P ... */
    private void bareLine(List<String> tokens) {
        String tableName = null;
        for (int i = 0; i + 1 < tokens.size(); i++) {
            if (tokens.get(i).equals("-t") || tokens.get(i).equals("--table")) {
                tableName = tokens.get(i + 1);
                tokens.remove(i + 1);
                tokens.remove(i);
                break;
            }
        }
        if (tokens.isEmpty()) throw error("empty command");
        String cmd = tokens.get(0);
        if (tokens.size() < 2) throw error(cmd + " needs a chain");
        String chainName = tokens.get(1);
        if (tableName == null) tableName = inferTable(chainName, tokens);
        if (!Ruleset.BUILTIN.containsKey(tableName)) throw error("table '" + tableName + "' is not supported (filter, nat)");
        Ruleset.Table table = rules.tables().computeIfAbsent(tableName, Ruleset.Table::new);
        switch (cmd) {
            case "-A", "--append", "-I", "--insert" -> {
                if (!table.chains.containsKey(chainName) && !Ruleset.BUILTIN.get(tableName).contains(chainName)) {
                    checkChainName(chainName);
                    table.chains.put(chainName, new Ruleset.Chain(chainName, null));
                }
                command(table, tokens, new Ruleset.Counter());
            }
            case "-N", "--new-chain" -> {
                checkChainName(chainName);
                if (table.chains.containsKey(chainName)) throw error("chain " + chainName + " already exists");
                if (tokens.size() > 2) throw error("unexpected '" + tokens.get(2) + "' after -N " + chainName);
                table.chains.put(chainName, new Ruleset.Chain(chainName, null));
            }
            case "-P", "--policy" -> {
                Ruleset.Chain c = table.chains.get(chainName);
                if (c == null || !c.builtin()) throw error("-P needs a built-in chain of table " + tableName + ", not '" + chainName + "'");
                if (tokens.size() != 3 || !(tokens.get(2).equals("ACCEPT") || tokens.get(2).equals("DROP"))) throw error("-P " + chainName + " needs ACCEPT or DROP");
                c.policy = tokens.get(2);
            }
            default -> throw error("unknown command '" + cmd + "' (expected -A, -I, -N or -P)");
        }
    }

    private static String inferTable(String chain, List<String> tokens) {
        if (chain.equals("PREROUTING") || chain.equals("POSTROUTING")) return "nat";
        for (int i = 0; i + 1 < tokens.size(); i++) {
            if ((tokens.get(i).equals("-j") || tokens.get(i).equals("--jump")) && NAT_TARGETS.contains(tokens.get(i + 1))) return "nat";
        }
        return "filter";
    }

    /** -A CHAIN rule... or -I CHAIN [n] rule...: parses the rule and adds it. */
    private void command(Ruleset.Table table, List<String> tokens, Ruleset.Counter counter) {
        boolean insert = tokens.get(0).equals("-I") || tokens.get(0).equals("--insert");
        if (tokens.size() < 2) throw error(tokens.get(0) + " needs a chain");
        String chainName = tokens.get(1);
        Ruleset.Chain chain = table.chains.get(chainName);
        if (chain == null) throw error("chain " + chainName + " does not exist in table " + table.name);
        int pos = 2;
        int at = chain.rules.size();
        if (insert) {
            at = 0;
            if (pos < tokens.size() && tokens.get(pos).matches("\\d+")) {
                at = Integer.parseInt(tokens.get(pos)) - 1;
                pos++;
                if (at < 0 || at > chain.rules.size()) throw error("index of insertion too big");
            }
        }
        Ruleset.Rule rule = rule(table, chainName, tokens.subList(pos, tokens.size()), counter);
        chain.rules.add(at, rule);
    }

    // --- one rule -------------------------------------------------------------------------

    private final class Cursor {
        final List<String> t;
        int i;
        boolean bang;

        Cursor(List<String> t) { this.t = t; }

        boolean more() { return i < t.size(); }

        String next(String what) {
            if (i >= t.size()) throw error(what + " needs an argument");
            String s = t.get(i++);
            if (s.equals("!")) throw error("'!' cannot stand in place of the argument of " + what);
            return s;
        }
    }

    private Ruleset.Rule rule(Ruleset.Table table, String chain, List<String> tokens, Ruleset.Counter counter) {
        int src = 0, srcMask = 0, dst = 0, dstMask = 0, proto = 0;
        boolean invSrc = false, invDst = false, invIn = false, invOut = false, invProto = false, protoSet = false;
        String in = "", out = "";
        List<XtMatch> matches = new ArrayList<>();
        XtTarget target = null;
        // The tcp/udp/icmp match being filled (implicit with -p, or -m tcp).
        int[] tcp = null;   // spmin, spmax, spInv, dpmin, dpmax, dpInv, mask, cmp, flgInv
        int[] udp = null;
        XtMatches.Icmp icmp = null;
        int tcpIdx = -1, udpIdx = -1, icmpIdx = -1;
        String module = null;
        Cursor c = new Cursor(tokens);
        while (c.more()) {
            String opt = c.t.get(c.i++);
            boolean inv = false;
            if (opt.equals("!")) {
                inv = true;
                if (!c.more()) throw error("'!' at the end of the rule");
                opt = c.t.get(c.i++);
            }
            switch (opt) {
                case "-s", "--source", "--src" -> {
                    int[] a = addrMask(c.next(opt));
                    src = a[0];
                    srcMask = a[1];
                    invSrc = inv;
                }
                case "-d", "--destination", "--dst" -> {
                    int[] a = addrMask(c.next(opt));
                    dst = a[0];
                    dstMask = a[1];
                    invDst = inv;
                }
                case "-i", "--in-interface" -> {
                    in = iface(c.next(opt));
                    invIn = inv;
                    if (chain.equals("OUTPUT") || chain.equals("POSTROUTING")) throw error("-i cannot be used in chain " + chain);
                }
                case "-o", "--out-interface" -> {
                    out = iface(c.next(opt));
                    invOut = inv;
                    if (chain.equals("PREROUTING") || chain.equals("INPUT")) throw error("-o cannot be used in chain " + chain);
                }
                case "-p", "--protocol" -> {
                    proto = protocol(c.next(opt));
                    invProto = inv;
                    protoSet = true;
                }
                case "-m", "--match" -> {
                    if (inv) throw error("'!' before -m");
                    module = c.next(opt);
                    switch (module) {
                        case "tcp" -> {
                            needProto(proto, invProto, 6, "tcp");
                            if (tcp == null) {
                                tcp = new int[]{0, 0xffff, 0, 0, 0xffff, 0, 0, 0, 0};
                                tcpIdx = matches.size();
                                matches.add(null);
                            }
                        }
                        case "udp" -> {
                            needProto(proto, invProto, 17, "udp");
                            if (udp == null) {
                                udp = new int[]{0, 0xffff, 0, 0, 0xffff, 0};
                                udpIdx = matches.size();
                                matches.add(null);
                            }
                        }
                        case "icmp" -> {
                            needProto(proto, invProto, 1, "icmp");
                            if (icmpIdx < 0) {
                                icmpIdx = matches.size();
                                matches.add(null);
                            }
                        }
                        case "state", "conntrack", "multiport", "comment" -> { }
                        default -> throw error("match '" + module + "' is not supported (tcp, udp, icmp, state, conntrack, multiport, comment)");
                    }
                }
                case "--sport", "--source-port", "--dport", "--destination-port" -> {
                    boolean source = opt.startsWith("--s");
                    int[] r = portRange(c.next(opt));
                    if (proto == 6 && !invProto) {
                        if (tcp == null) {
                            tcp = new int[]{0, 0xffff, 0, 0, 0xffff, 0, 0, 0, 0};
                            tcpIdx = matches.size();
                            matches.add(null);
                        }
                        int o = source ? 0 : 3;
                        tcp[o] = r[0];
                        tcp[o + 1] = r[1];
                        tcp[o + 2] = inv ? 1 : 0;
                    } else if (proto == 17 && !invProto) {
                        if (udp == null) {
                            udp = new int[]{0, 0xffff, 0, 0, 0xffff, 0};
                            udpIdx = matches.size();
                            matches.add(null);
                        }
                        int o = source ? 0 : 3;
                        udp[o] = r[0];
                        udp[o + 1] = r[1];
                        udp[o + 2] = inv ? 1 : 0;
                    } else {
                        throw error(opt + " needs -p tcp or -p udp");
                    }
                }
                case "--syn", "--tcp-flags" -> {
                    if (proto != 6 || invProto) throw error(opt + " needs -p tcp");
                    if (tcp == null) {
                        tcp = new int[]{0, 0xffff, 0, 0, 0xffff, 0, 0, 0, 0};
                        tcpIdx = matches.size();
                        matches.add(null);
                    }
                    if (opt.equals("--syn")) {
                        tcp[6] = NfHeaders.TCP_SYN | NfHeaders.TCP_RST | NfHeaders.TCP_ACK | NfHeaders.TCP_FIN;
                        tcp[7] = NfHeaders.TCP_SYN;
                    } else {
                        tcp[6] = tcpFlags(c.next(opt));
                        tcp[7] = tcpFlags(c.next(opt));
                    }
                    tcp[8] = inv ? 1 : 0;
                }
                case "--icmp-type" -> {
                    if (proto != 1 || invProto) throw error("--icmp-type needs -p icmp");
                    if (icmpIdx < 0) {
                        icmpIdx = matches.size();
                        matches.add(null);
                    }
                    int[] tc = icmpType(c.next(opt));
                    icmp = new XtMatches.Icmp(tc[0], tc[1], tc[2], inv);
                }
                case "--state" -> {
                    if (!"state".equals(module)) throw error("--state needs -m state");
                    matches.add(new XtMatches.State(states(c.next(opt), false), inv));
                }
                case "--ctstate" -> {
                    if (!"conntrack".equals(module)) throw error("--ctstate needs -m conntrack");
                    matches.add(new XtMatches.Conntrack(states(c.next(opt), true), inv));
                }
                case "--dports", "--destination-ports", "--sports", "--source-ports", "--ports" -> {
                    if (!"multiport".equals(module)) throw error(opt + " needs -m multiport");
                    if ((proto != 6 && proto != 17) || invProto) throw error("multiport needs -p tcp or -p udp");
                    int flags = opt.startsWith("--d") ? XtMatches.Multiport.DST : opt.startsWith("--s") ? XtMatches.Multiport.SRC : XtMatches.Multiport.ANY;
                    matches.add(new XtMatches.Multiport(flags, portList(c.next(opt)), inv));
                }
                case "--comment" -> {
                    if (!"comment".equals(module)) throw error("--comment needs -m comment");
                    String text = c.next(opt);
                    if (text.length() > 255) throw error("comment longer than 255 characters");
                    matches.add(new XtMatches.Comment(text));
                }
                case "-j", "--jump", "-g", "--goto" -> {
                    if (inv) throw error("'!' before " + opt);
                    if (target != null) throw error("more than one target");
                    target = target(table, chain, opt.startsWith("-g") || opt.equals("--goto"), c.next(opt), c, proto, invProto);
                }
                default -> throw error("unknown option '" + opt + "'");
            }
        }
        if (tcp != null) matches.set(tcpIdx, new XtMatches.Tcp(tcp[0], tcp[1], tcp[2] != 0, tcp[3], tcp[4], tcp[5] != 0, tcp[6], tcp[7], tcp[8] != 0));
        if (udp != null) matches.set(udpIdx, new XtMatches.Udp(udp[0], udp[1], udp[2] != 0, udp[3], udp[4], udp[5] != 0));
        if (icmpIdx >= 0) matches.set(icmpIdx, icmp != null ? icmp : new XtMatches.Icmp(0xff, 0, 0xff, false));
        if (protoSet && proto == 0 && invProto) throw error("rule would never match protocol (! -p all)");
        return new Ruleset.Rule(src, srcMask, invSrc, dst, dstMask, invDst, in, invIn, out, invOut, proto, invProto,
                List.copyOf(matches), target, counter, lineNo);
    }

    private void needProto(int proto, boolean inv, int want, String name) {
        if (proto != want || inv) throw error("-m " + name + " needs -p " + name);
    }

    private XtTarget target(Ruleset.Table table, String chain, boolean isGoto, String name, Cursor c, int proto, boolean invProto) {
        switch (name) {
            case "ACCEPT", "DROP", "RETURN" -> {
                if (isGoto) throw error("-g needs a user-defined chain, not " + name);
                return new XtTarget.Verdict(name);
            }
            case "REJECT" -> {
                if (!table.name.equals("filter")) throw error("REJECT is only valid in table filter");
                String with = "icmp-port-unreachable";
                if (c.more() && c.t.get(c.i).equals("--reject-with")) {
                    c.i++;
                    with = c.next("--reject-with");
                }
                String canonical = REJECT_WITH.get(with);
                if (canonical == null) throw error("unknown --reject-with '" + with + "'");
                if (canonical.equals("tcp-reset")) {
                    if (proto != 6 || invProto) throw error("--reject-with tcp-reset needs -p tcp");
                    return new XtTarget.Reject(canonical, 0, true);
                }
                return new XtTarget.Reject(canonical, REJECT_CODE.get(canonical), false);
            }
            case "DNAT", "SNAT", "MASQUERADE", "REDIRECT" -> {
                return natTarget(table, chain, name, c, proto, invProto);
            }
            default -> {
                if (name.startsWith("-")) throw error("missing target after -j");
                if (Ruleset.BUILTIN.get(table.name).contains(name)) throw error("cannot jump to built-in chain " + name);
                if (!name.matches("[A-Za-z0-9_.\\-]+") || name.equals(name.toUpperCase()) && KNOWN_UNSUPPORTED.contains(name)) {
                    throw error("target '" + name + "' is not supported");
                }
                jumps.add(new Object[]{name, table.name, lineNo});
                return new XtTarget.Jump(name, isGoto);
            }
        }
    }

    private static final Set<String> KNOWN_UNSUPPORTED = Set.of("LOG", "MARK", "CONNMARK", "NOTRACK", "CT", "TCPMSS",
            "NFLOG", "NFQUEUE", "QUEUE", "TEE", "TRACE", "ULOG", "CLASSIFY", "DSCP", "TOS", "TTL", "NETMAP", "SET", "AUDIT");

    /** reject_with names (extensions/libipt_REJECT.c), the long ones iptables-save prints and the short aliases. */
    private static final Map<String, String> REJECT_WITH = Map.ofEntries(
            Map.entry("icmp-net-unreachable", "icmp-net-unreachable"), Map.entry("net-unreach", "icmp-net-unreachable"),
            Map.entry("icmp-host-unreachable", "icmp-host-unreachable"), Map.entry("host-unreach", "icmp-host-unreachable"),
            Map.entry("icmp-proto-unreachable", "icmp-proto-unreachable"), Map.entry("proto-unreach", "icmp-proto-unreachable"),
            Map.entry("icmp-port-unreachable", "icmp-port-unreachable"), Map.entry("port-unreach", "icmp-port-unreachable"),
            Map.entry("icmp-net-prohibited", "icmp-net-prohibited"), Map.entry("net-prohib", "icmp-net-prohibited"),
            Map.entry("icmp-host-prohibited", "icmp-host-prohibited"), Map.entry("host-prohib", "icmp-host-prohibited"),
            Map.entry("icmp-admin-prohibited", "icmp-admin-prohibited"), Map.entry("admin-prohib", "icmp-admin-prohibited"),
            Map.entry("tcp-reset", "tcp-reset"), Map.entry("tcp-rst", "tcp-reset"));

    /** ICMP_DEST_UNREACH codes (include/uapi/linux/icmp.h) for each reject_with. */
    private static final Map<String, Integer> REJECT_CODE = Map.of(
            "icmp-net-unreachable", 0, "icmp-host-unreachable", 1, "icmp-proto-unreachable", 2,
            "icmp-port-unreachable", 3, "icmp-net-prohibited", 9, "icmp-host-prohibited", 10,
            "icmp-admin-prohibited", 13);

    /** xt_nat / MASQUERADE / REDIRECT options and the hooks their checkentry allows. */
    private XtTarget natTarget(Ruleset.Table table, String chain, String kind, Cursor c, int proto, boolean invProto) {
        if (!table.name.equals("nat")) throw error(kind + " is only valid in table nat");
        boolean dst = kind.equals("DNAT") || kind.equals("REDIRECT");
        Set<String> allowed = dst ? Set.of("PREROUTING", "OUTPUT") : Set.of("POSTROUTING", "INPUT");
        if (Ruleset.BUILTIN.get("nat").contains(chain) && !allowed.contains(chain)) {
            throw error(kind + " is not valid in chain " + chain + " (only " + String.join(", ", allowed) + ")");
        }
        boolean ipSpec = false, protoSpec = false;
        int minIp = 0, maxIp = 0, minPort = 0, maxPort = 0;
        boolean portsAllowed = (proto == 6 || proto == 17) && !invProto;
        while (c.more() && c.t.get(c.i).startsWith("--")) {
            String o = c.t.get(c.i++);
            switch (o) {
                case "--to-destination", "--to-source", "--to" -> {
                    if (kind.equals("MASQUERADE") || kind.equals("REDIRECT")) throw error(o + " is not an option of " + kind);
                    if (kind.equals("DNAT") && o.equals("--to-source") || kind.equals("SNAT") && o.equals("--to-destination")) {
                        throw error(o + " is not an option of " + kind);
                    }
                    if (ipSpec) throw error("multiple " + o + " are not supported");
                    String v = c.next(o);
                    String ip = v;
                    int colon = v.indexOf(':');
                    if (colon >= 0) {
                        ip = v.substring(0, colon);
                        int[] pr = natPorts(v.substring(colon + 1));
                        if (!portsAllowed) throw error("a port in " + o + " needs -p tcp or -p udp");
                        protoSpec = true;
                        minPort = pr[0];
                        maxPort = pr[1];
                    }
                    if (!ip.isEmpty()) {
                        ipSpec = true;
                        int dash = ip.indexOf('-');
                        minIp = address(dash < 0 ? ip : ip.substring(0, dash));
                        maxIp = dash < 0 ? minIp : address(ip.substring(dash + 1));
                        if (Integer.compareUnsigned(minIp, maxIp) > 0) throw error("bad address range " + ip);
                    }
                }
                case "--to-ports" -> {
                    if (!kind.equals("MASQUERADE") && !kind.equals("REDIRECT")) throw error("--to-ports is not an option of " + kind);
                    if (!portsAllowed) throw error("--to-ports needs -p tcp or -p udp");
                    int[] pr = natPorts(c.next(o));
                    protoSpec = true;
                    minPort = pr[0];
                    maxPort = pr[1];
                }
                case "--random", "--random-fully", "--persistent" -> { }
                default -> throw error("unknown option '" + o + "' of " + kind);
            }
        }
        if ((kind.equals("DNAT") || kind.equals("SNAT")) && !ipSpec && !protoSpec) {
            throw error(kind + " needs " + (kind.equals("DNAT") ? "--to-destination" : "--to-source"));
        }
        return new XtTarget.Nat(kind, ipSpec, minIp, maxIp, protoSpec, minPort, maxPort);
    }

    private int[] natPorts(String s) {
        String[] p = s.split("-", -1);
        if (p.length > 2) throw error("bad port range '" + s + "'");
        int a = port(p[0]);
        int b = p.length == 2 ? port(p[1]) : a;
        if (a > b || a == 0) throw error("bad port range '" + s + "'");
        return new int[]{a, b};
    }

    private void checkJumps(Ruleset.Table table) {
        for (Object[] j : jumps) {
            if (!j[1].equals(table.name)) continue;
            Ruleset.Chain c = table.chains.get((String) j[0]);
            if (c == null) {
                lineNo = (Integer) j[2];
                throw error("chain or target '" + j[0] + "' does not exist in table " + table.name);
            }
        }
        jumps.removeIf(j -> j[1].equals(table.name));
    }

    // --- values ---------------------------------------------------------------------------

    private int address(String s) {
        try {
            return Inet.parse(s);
        } catch (IllegalArgumentException e) {
            throw error("bad address '" + s + "'");
        }
    }

    /** "a.b.c.d[/len|/mask]" to {address & mask, mask}. */
    private int[] addrMask(String s) {
        String a = s;
        int mask = -1;
        int slash = s.indexOf('/');
        if (slash >= 0) {
            a = s.substring(0, slash);
            String m = s.substring(slash + 1);
            if (m.matches("\\d{1,2}")) {
                int len = Integer.parseInt(m);
                if (len > 32) throw error("bad prefix length in '" + s + "'");
                mask = Inet.mask(len);
            } else {
                mask = address(m);
                if (mask != 0 && Integer.bitCount(mask) != 32 - Integer.numberOfTrailingZeros(mask)) throw error("non-contiguous mask in '" + s + "'");
            }
        }
        int addr = address(a);
        return new int[]{addr & mask, mask};
    }

    private String iface(String s) {
        if (s.isEmpty() || s.length() > 15 || s.contains("/") || s.indexOf('+') >= 0 && s.indexOf('+') != s.length() - 1) {
            throw error("bad interface name '" + s + "'");
        }
        return s;
    }

    private int protocol(String s) {
        String l = s.toLowerCase();
        switch (l) {
            case "all", "0": return 0;
            case "icmp": return 1;
            case "tcp": return 6;
            case "udp": return 17;
            default:
                if (l.matches("\\d{1,3}")) {
                    int n = Integer.parseInt(l);
                    if (n <= 255) return n;
                }
                throw error("unknown protocol '" + s + "'");
        }
    }

    private int port(String s) {
        if (!s.matches("\\d{1,5}")) throw error("bad port '" + s + "'");
        int p = Integer.parseInt(s);
        if (p > 65535) throw error("bad port '" + s + "'");
        return p;
    }

    /** "80", "1000:2000", ":1024", "1024:" */
    private int[] portRange(String s) {
        int colon = s.indexOf(':');
        if (colon < 0) {
            int p = port(s);
            return new int[]{p, p};
        }
        int a = colon == 0 ? 0 : port(s.substring(0, colon));
        int b = colon == s.length() - 1 ? 65535 : port(s.substring(colon + 1));
        if (a > b) throw error("bad port range '" + s + "' (start after end)");
        return new int[]{a, b};
    }

    private List<XtMatches.PortRange> portList(String s) {
        List<XtMatches.PortRange> out = new ArrayList<>();
        int slots = 0;
        for (String p : s.split(",", -1)) {
            int[] r = portRange(p);
            out.add(new XtMatches.PortRange(r[0], r[1]));
            slots += r[0] == r[1] ? 1 : 2;
        }
        if (slots > 15) throw error("too many ports in '" + s + "' (at most 15)");
        return out;
    }

    private int tcpFlags(String s) {
        int f = 0;
        for (String n : s.split(",")) {
            switch (n.toUpperCase()) {
                case "FIN" -> f |= NfHeaders.TCP_FIN;
                case "SYN" -> f |= NfHeaders.TCP_SYN;
                case "RST" -> f |= NfHeaders.TCP_RST;
                case "PSH" -> f |= NfHeaders.TCP_PSH;
                case "ACK" -> f |= NfHeaders.TCP_ACK;
                case "URG" -> f |= NfHeaders.TCP_URG;
                case "ECE" -> f |= NfHeaders.TCP_ECE;
                case "CWR" -> f |= NfHeaders.TCP_CWR;
                case "ALL" -> f |= 0x3f;
                case "NONE" -> { }
                default -> throw error("unknown TCP flag '" + n + "'");
            }
        }
        return f;
    }

    private int states(String s, boolean conntrack) {
        int m = 0;
        for (String n : s.split(",")) {
            switch (n) {
                case "INVALID" -> m |= XtMatches.STATE_INVALID;
                case "ESTABLISHED" -> m |= XtMatches.STATE_ESTABLISHED;
                case "RELATED" -> m |= XtMatches.STATE_RELATED;
                case "NEW" -> m |= XtMatches.STATE_NEW;
                case "UNTRACKED" -> m |= XtMatches.STATE_UNTRACKED;
                case "SNAT", "DNAT" -> {
                    if (!conntrack) throw error("state " + n + " needs -m conntrack --ctstate");
                    m |= n.equals("SNAT") ? XtMatches.STATE_SNAT : XtMatches.STATE_DNAT;
                }
                default -> throw error("bad state '" + n + "'");
            }
        }
        return m;
    }

    /** icmp_codes (extensions/libipt_icmp.c): name -> {type, code min, code max}. */
    private static final Map<String, int[]> ICMP_NAMES = Map.ofEntries(
            Map.entry("any", new int[]{0xff, 0, 0xff}),
            Map.entry("echo-reply", new int[]{0, 0, 0xff}), Map.entry("pong", new int[]{0, 0, 0xff}),
            Map.entry("destination-unreachable", new int[]{3, 0, 0xff}),
            Map.entry("network-unreachable", new int[]{3, 0, 0}), Map.entry("host-unreachable", new int[]{3, 1, 1}),
            Map.entry("protocol-unreachable", new int[]{3, 2, 2}), Map.entry("port-unreachable", new int[]{3, 3, 3}),
            Map.entry("fragmentation-needed", new int[]{3, 4, 4}), Map.entry("source-route-failed", new int[]{3, 5, 5}),
            Map.entry("network-unknown", new int[]{3, 6, 6}), Map.entry("host-unknown", new int[]{3, 7, 7}),
            Map.entry("network-prohibited", new int[]{3, 9, 9}), Map.entry("host-prohibited", new int[]{3, 10, 10}),
            Map.entry("TOS-network-unreachable", new int[]{3, 11, 11}), Map.entry("TOS-host-unreachable", new int[]{3, 12, 12}),
            Map.entry("communication-prohibited", new int[]{3, 13, 13}), Map.entry("host-precedence-violation", new int[]{3, 14, 14}),
            Map.entry("precedence-cutoff", new int[]{3, 15, 15}),
            Map.entry("source-quench", new int[]{4, 0, 0xff}),
            Map.entry("redirect", new int[]{5, 0, 0xff}), Map.entry("network-redirect", new int[]{5, 0, 0}),
            Map.entry("host-redirect", new int[]{5, 1, 1}), Map.entry("TOS-network-redirect", new int[]{5, 2, 2}),
            Map.entry("TOS-host-redirect", new int[]{5, 3, 3}),
            Map.entry("echo-request", new int[]{8, 0, 0xff}), Map.entry("ping", new int[]{8, 0, 0xff}),
            Map.entry("router-advertisement", new int[]{9, 0, 0xff}), Map.entry("router-solicitation", new int[]{10, 0, 0xff}),
            Map.entry("time-exceeded", new int[]{11, 0, 0xff}), Map.entry("ttl-exceeded", new int[]{11, 0, 0xff}),
            Map.entry("ttl-zero-during-transit", new int[]{11, 0, 0}), Map.entry("ttl-zero-during-reassembly", new int[]{11, 1, 1}),
            Map.entry("parameter-problem", new int[]{12, 0, 0xff}), Map.entry("ip-header-bad", new int[]{12, 0, 0}),
            Map.entry("required-option-missing", new int[]{12, 1, 1}),
            Map.entry("timestamp-request", new int[]{13, 0, 0xff}), Map.entry("timestamp-reply", new int[]{14, 0, 0xff}),
            Map.entry("address-mask-request", new int[]{17, 0, 0xff}), Map.entry("address-mask-reply", new int[]{18, 0, 0xff}));

    private int[] icmpType(String s) {
        int[] named = ICMP_NAMES.get(s);
        if (named != null) return named;
        String[] tc = s.split("/", -1);
        if (tc.length > 2 || !tc[0].matches("\\d{1,3}") || tc.length == 2 && !tc[1].matches("\\d{1,3}")) throw error("unknown ICMP type '" + s + "'");
        int t = Integer.parseInt(tc[0]);
        if (t > 255) throw error("bad ICMP type '" + s + "'");
        if (tc.length == 1) return new int[]{t, 0, 0xff};
        int code = Integer.parseInt(tc[1]);
        if (code > 255) throw error("bad ICMP code '" + s + "'");
        return new int[]{t, code, code};
    }

    /** Splits a line into words as a shell would for iptables-save output: "..." and '...' quote, \ escapes. */
    private List<String> tokenize(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quote != 0) {
                if (ch == quote) {
                    quote = 0;
                } else if (ch == '\\' && quote == '"' && i + 1 < line.length()) {
                    cur.append(line.charAt(++i));
                } else {
                    cur.append(ch);
                }
            } else if (ch == '"' || ch == '\'') {
                quote = ch;
                inWord = true;
            } else if (ch == '\\' && i + 1 < line.length()) {
                cur.append(line.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(ch)) {
                if (inWord) {
                    out.add(cur.toString());
                    cur.setLength(0);
                    inWord = false;
                }
            } else {
                cur.append(ch);
                inWord = true;
            }
        }
        if (quote != 0) throw error("unterminated quote");
        if (inWord) out.add(cur.toString());
        return out;
    }
}
