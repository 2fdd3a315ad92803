package io.netstack.cli;

import io.netstack.config.HostEdit;
import io.netstack.net.netfilter.IptablesEdit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * `netstack iptables --netns HOST [-t TABLE] -A|-I|-D|-F|-P|-N|-X ...` changes the running host's
 * firewall through the configuration topic (the whole table is rewritten, as iptables-legacy
 * does; conntrack entries and the counters of unchanged rules stay in the l3 instances).
 * {@code -L [-v] [-n]} lists a table with the counters of the l3 instance(s); {@code -S} prints
 * the rules as configured.
 */
@Command(name = "iptables",
        description = {"Change or list a running host's firewall, as iptables does (tables filter and nat).",
                "  netstack iptables --netns r -t nat -A POSTROUTING -o eth1 -j MASQUERADE",
                "  netstack iptables --netns r -L -v -n"})
public final class IptablesCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    HostTarget target;

    @Option(names = "--help", usageHelp = true, description = "show this help")
    boolean help;

    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<String> a = new ArrayList<>(args);
        String table = "filter";
        for (int i = 0; i + 1 < a.size(); i++) {
            if (a.get(i).equals("-t") || a.get(i).equals("--table")) table = a.get(i + 1);
        }
        boolean list = false, rules = false, verbose = false;
        String chain = null;
        List<String> flags = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            String s = a.get(i);
            if (s.equals("-t") || s.equals("--table")) {
                i++;
                continue;
            }
            if (s.matches("-[LSvnx]+") && !s.equals("-")) {
                for (char c : s.substring(1).toCharArray()) {
                    if (c == 'L') list = true;
                    if (c == 'S') rules = true;
                    if (c == 'v') verbose = true;
                }
                continue;
            }
            if (s.equals("--list")) list = true;
            else if (s.equals("--list-rules")) rules = true;
            else if (s.equals("--verbose")) verbose = true;
            else if (s.equals("--numeric") || s.equals("--line-numbers") || s.equals("--exact")) continue;
            else flags.add(s);
        }
        if (list || rules) {
            if (!flags.isEmpty()) chain = flags.get(0);
            return list ? list(table, chain, verbose, out, err) : listRules(table, chain, out, err);
        }
        // iptables exits 1 on any error (iproute2 uses 2 for a refused change).
        int rc = target.change(err, e -> e.firewall(IptablesEdit.of(e.firewall()).apply(a).save()));
        return rc == 0 ? 0 : 1;
    }

    private int list(String table, String chain, boolean verbose, PrintWriter out, PrintWriter err) {
        try (HostTarget.Store store = target.store()) {
            HostTarget.current(store, target.netns);
            List<String> bodies = store.inspect("/netstack/iptables?netns=" + HostTarget.q(target.netns) + "&table=" + HostTarget.q(table));
            for (int i = 0; i < bodies.size(); i++) {
                if (bodies.size() > 1) out.println("# l3 instance " + (i + 1) + " of " + bodies.size());
                out.print(format(bodies.get(i), chain, verbose));
            }
            out.flush();
            return 0;
        } catch (HostTarget.Failure | java.io.IOException e) {
            err.println("netstack: " + e.getMessage());
            return 1;
        }
    }

    /** One chain (or all) of `iptables -L -v -n`'s text; without -v the counter columns go. */
    static String format(String listVerbose, String chain, boolean verbose) {
        StringBuilder out = new StringBuilder();
        boolean keep = chain == null;
        for (String line : listVerbose.split("\n", -1)) {
            if (line.startsWith("Chain ")) keep = chain == null || line.startsWith("Chain " + chain + " ");
            if (!keep) continue;
            if (!verbose) line = terse(line);
            out.append(line).append('\n');
        }
        String s = out.toString();
        return s.endsWith("\n\n") ? s.substring(0, s.length() - 1) : s;
    }

    /** A line of -L -v as -L prints it: no counters, no interfaces (iptables' print_firewall without FMT_VIA). */
    static String terse(String line) {
        if (line.startsWith("Chain ")) return line.replaceFirst(" \\d+ packets, \\d+ bytes\\)", ")");
        String[] f = line.trim().split("\\s+", 10);
        if (f.length < 9) return line;
        String rest = f.length == 10 ? " " + f[9] : "";
        return String.format("%-10s %-4s %-3s  %-20s %-20s%s", f[2], f[3], f[4], f[7], f[8], rest).stripTrailing();
    }

    private int listRules(String table, String chain, PrintWriter out, PrintWriter err) {
        try (HostTarget.Store store = target.store()) {
            String fw = HostEdit.of(HostTarget.current(store, target.netns)).firewall();
            for (String line : IptablesEdit.of(fw).listRules(table).split("\n")) {
                if (line.isEmpty()) continue;
                if (chain == null || line.matches("-[PNA] " + java.util.regex.Pattern.quote(chain) + "( .*)?")) out.println(line);
            }
            out.flush();
            return 0;
        } catch (HostTarget.Failure | HostEdit.Refused e) {
            err.println("netstack: " + e.getMessage());
            return 1;
        }
    }
}
