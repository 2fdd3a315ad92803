package io.netstack.net.netfilter;

import io.netstack.config.ConfigException;
import io.netstack.config.HostEdit.Refused;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the iptables commands (iptables -A/-I/-D/-F/-P/-N/-X, iptables-restore) do to a host's
 * tables, done to its firewall text (iptables-save format, host.yaml's {@code firewall:}). Like
 * iptables-legacy it reads the whole table, changes it and writes it back (do_command4 then
 * TC_COMMIT); the result is loaded by {@link IptablesRestore} before it is returned, so a rule the
 * emulation cannot load is refused here, and every rule comes back in iptables-save's spelling.
 * The messages are those iptables prints.
 */
public final class IptablesEdit {

    /** A table: chains in order with their policy ("-" for a user chain), then the rules by chain. */
    private static final class Table {
        final Map<String, String> chains = new LinkedHashMap<>();
        final Map<String, List<String>> rules = new LinkedHashMap<>();

        List<String> rules(String chain) { return rules.computeIfAbsent(chain, k -> new ArrayList<>()); }
    }

    private final Map<String, Table> tables = new LinkedHashMap<>();

    private IptablesEdit() {}

    /** The tables of a firewall text ("" for none), each rule in iptables-save's spelling. */
    public static IptablesEdit of(String firewall) {
        Ruleset rs = load(firewall == null ? "" : firewall);
        IptablesEdit e = new IptablesEdit();
        for (Ruleset.Table t : rs.tables().values()) {
            Table m = new Table();
            for (Ruleset.Chain c : t.chains().values()) {
                m.chains.put(c.name(), c.builtin() ? c.policy() : "-");
                List<String> rules = m.rules(c.name());
                for (Ruleset.Rule r : c.rules()) rules.add(r.save());
            }
            e.tables.put(t.name(), m);
        }
        return e;
    }

    private static Ruleset load(String text) {
        try {
            return IptablesRestore.parse("iptables input", text);
        } catch (ConfigException e) {
            throw new Refused(e.getMessage());
        }
    }

    /** The firewall text, as iptables-save prints it (no counters), "" when there are no tables. */
    public String save() {
        StringBuilder s = new StringBuilder();
        for (Map.Entry<String, Table> te : tables.entrySet()) {
            s.append('*').append(te.getKey()).append('\n');
            Table t = te.getValue();
            for (Map.Entry<String, String> c : t.chains.entrySet()) {
                s.append(':').append(c.getKey()).append(' ').append(c.getValue()).append(" [0:0]\n");
            }
            for (String c : t.chains.keySet()) {
                for (String r : t.rules(c)) s.append("-A ").append(c).append(' ').append(r).append('\n');
            }
            s.append("COMMIT\n");
        }
        return s.toString();
    }

    private Table table(String name) {
        if (!Ruleset.BUILTIN.containsKey(name)) {
            throw new Refused("iptables v1.8: can't initialize iptables table `" + name + "': Table does not exist (do you need to insmod?)");
        }
        return tables.computeIfAbsent(name, n -> {
            Table t = new Table();
            for (String c : Ruleset.BUILTIN.get(n)) t.chains.put(c, "ACCEPT");
            return t;
        });
    }

    /**
     * One iptables command line (without "iptables"): [-t TABLE] -A|-I|-D|-F|-P|-N|-X ... .
     * Returns this, changed; throws {@link Refused} with iptables' message.
     */
    public IptablesEdit apply(List<String> argv) {
        List<String> args = new ArrayList<>(argv);
        String tableName = "filter";
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("-t") || args.get(i).equals("--table")) {
                if (i + 1 >= args.size()) throw new Refused("iptables v1.8: option \"-t\" requires an argument");
                tableName = args.get(i + 1);
                args.remove(i + 1);
                args.remove(i);
                break;
            }
        }
        if (args.isEmpty()) throw new Refused("iptables v1.8: no command specified");
        Table t = table(tableName);
        String cmd = args.get(0);
        String chain = args.size() > 1 ? args.get(1) : null;
        List<String> rest = args.size() > 2 ? args.subList(2, args.size()) : List.of();
        switch (cmd) {
            case "-A", "--append" -> {
                need(t, chain);
                String rule = canonical(tableName, chain, rest);
                t.rules(chain).add(rule);
            }
            case "-I", "--insert" -> {
                need(t, chain);
                int at = 0;
                List<String> spec = rest;
                if (!rest.isEmpty() && rest.get(0).matches("\\d+")) {
                    at = Integer.parseInt(rest.get(0)) - 1;
                    spec = rest.subList(1, rest.size());
                    if (at < 0 || at > t.rules(chain).size()) throw new Refused("iptables: Index of insertion too big.");
                }
                t.rules(chain).add(at, canonical(tableName, chain, spec));
            }
            case "-D", "--delete" -> {
                need(t, chain);
                List<String> rules = t.rules(chain);
                if (rest.size() == 1 && rest.get(0).matches("\\d+")) {
                    int n = Integer.parseInt(rest.get(0));
                    if (n < 1 || n > rules.size()) throw new Refused("iptables: Index of deletion too big.");
                    rules.remove(n - 1);
                } else if (!rules.remove(canonical(tableName, chain, rest))) {
                    throw new Refused("iptables: Bad rule (does a matching rule exist in that chain?).");
                }
            }
            case "-F", "--flush" -> {
                if (chain == null) {
                    t.rules.clear();
                } else {
                    need(t, chain);
                    t.rules(chain).clear();
                }
            }
            case "-P", "--policy" -> {
                if (chain == null || rest.size() != 1) throw new Refused("iptables v1.8: -P requires a chain and a policy");
                if (!Ruleset.BUILTIN.get(tableName).contains(chain)) throw new Refused("iptables: Bad built-in chain name.");
                String policy = rest.get(0);
                if (!policy.equals("ACCEPT") && !policy.equals("DROP")) throw new Refused("iptables: Bad policy name. Run `dmesg' for more information.");
                t.chains.put(chain, policy);
            }
            case "-N", "--new-chain" -> {
                if (chain == null) throw new Refused("iptables v1.8: -N requires a chain name");
                if (t.chains.containsKey(chain)) throw new Refused("iptables: Chain already exists.");
                t.chains.put(chain, "-");
            }
            case "-X", "--delete-chain" -> {
                List<String> user = new ArrayList<>();
                for (Map.Entry<String, String> c : t.chains.entrySet()) if (c.getValue().equals("-")) user.add(c.getKey());
                List<String> victims = chain == null ? user : List.of(chain);
                for (String v : victims) {
                    if (!t.chains.containsKey(v)) throw new Refused("iptables: No chain/target/match by that name.");
                    if (!t.chains.get(v).equals("-")) throw new Refused("iptables: Invalid argument. Run `dmesg' for more information.");
                    if (!t.rules(v).isEmpty()) throw new Refused("iptables: Directory not empty.");
                    for (List<String> rs : t.rules.values()) {
                        for (String r : rs) if (r.matches(".*-[jg] " + java.util.regex.Pattern.quote(v) + "( .*)?$")) throw new Refused("iptables: Too many links.");
                    }
                    t.chains.remove(v);
                    t.rules.remove(v);
                }
            }
            default -> throw new Refused("iptables v1.8: unknown command " + cmd + " (here: -A -I -D -F -P -N -X; -L, -S and -Z are read-only)");
        }
        // Commit: the whole text must load; the result is re-read in iptables-save's spelling.
        IptablesEdit loaded = of(save());
        tables.clear();
        tables.putAll(loaded.tables);
        return this;
    }

    private static void need(Table t, String chain) {
        if (chain == null) throw new Refused("iptables v1.8: option requires a chain");
        if (!t.chains.containsKey(chain)) throw new Refused("iptables: No chain/target/match by that name.");
    }

    /** A rule spec in iptables-save's spelling: loaded alone in its chain, then saved. */
    private String canonical(String tableName, String chain, List<String> spec) {
        if (spec.isEmpty()) return "";
        Table t = tables.get(tableName);
        StringBuilder s = new StringBuilder("*").append(tableName).append('\n');
        for (Map.Entry<String, String> c : t.chains.entrySet()) s.append(':').append(c.getKey()).append(' ').append(c.getValue()).append(" [0:0]\n");
        s.append("-A ").append(chain).append(' ').append(join(spec)).append("\nCOMMIT\n");
        Ruleset rs = load(s.toString());
        List<Ruleset.Rule> rules = rs.table(tableName).chain(chain).rules();
        return rules.get(rules.size() - 1).save();
    }

    /** Tokens back to a line, quoting those with spaces (--comment "two words"). */
    static String join(List<String> tokens) {
        StringBuilder b = new StringBuilder();
        for (String t : tokens) {
            if (b.length() > 0) b.append(' ');
            b.append(t.isEmpty() || t.matches(".*\\s.*") ? "\"" + t.replace("\"", "\\\"") + "\"" : t);
        }
        return b.toString();
    }

    /**
     * iptables-restore: each table in {@code input} replaces the table of that name (with
     * {@code noflush}, -n: its chains are added and its rules appended to what is there);
     * tables it does not name stay.
     */
    public IptablesEdit restore(String input, boolean noflush) {
        IptablesEdit in = of(input);
        for (Map.Entry<String, Table> e : in.tables.entrySet()) {
            if (!noflush || !tables.containsKey(e.getKey())) {
                tables.put(e.getKey(), e.getValue());
                continue;
            }
            Table cur = tables.get(e.getKey());
            Table add = e.getValue();
            for (Map.Entry<String, String> c : add.chains.entrySet()) {
                if (!cur.chains.containsKey(c.getKey()) || !c.getValue().equals("-")) cur.chains.put(c.getKey(), c.getValue());
            }
            for (Map.Entry<String, List<String>> r : add.rules.entrySet()) cur.rules(r.getKey()).addAll(r.getValue());
        }
        IptablesEdit loaded = of(save());
        tables.clear();
        tables.putAll(loaded.tables);
        return this;
    }

    /** `iptables -S [CHAIN]` of one table: policies as -P, user chains as -N, rules as -A. */
    public String listRules(String tableName) {
        Table t = tables.get(tableName);
        StringBuilder s = new StringBuilder();
        if (t == null) t = new IptablesEdit().table(tableName);
        for (Map.Entry<String, String> c : t.chains.entrySet()) {
            s.append(c.getValue().equals("-") ? "-N " + c.getKey() : "-P " + c.getKey() + " " + c.getValue()).append('\n');
        }
        for (String c : t.chains.keySet()) for (String r : t.rules(c)) s.append("-A ").append(c).append(' ').append(r).append('\n');
        return s.toString();
    }
}
