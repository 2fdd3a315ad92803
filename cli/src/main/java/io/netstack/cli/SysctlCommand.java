package io.netstack.cli;

import io.netstack.config.HostEdit;
import io.netstack.config.SysctlRegistry;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * `netstack sysctl --netns HOST KEY` and `netstack sysctl --netns HOST -w KEY=VALUE`: reads or
 * changes a sysctl of the running host through the configuration topic. A key host.yaml does not
 * set reads as Linux's default where the emulation implements it; a key nothing implements is
 * written, with a warning that it changes nothing.
 */
@Command(name = "sysctl", mixinStandardHelpOptions = true,
        description = {"Read or set a running host's sysctls (net.ipv4.*, net.core.*), as sysctl(8) does.",
                "  netstack sysctl --netns r -w net.ipv4.ip_forward=1",
                "  netstack sysctl --netns r net.ipv4.ip_forward"})
public final class SysctlCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    HostTarget target;

    @Option(names = "-w", description = "write: the arguments are KEY=VALUE")
    boolean write;

    @Parameters(paramLabel = "KEY[=VALUE]", arity = "1..*")
    List<String> keys = new ArrayList<>();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (write) {
            List<String[]> kv = new ArrayList<>();
            for (String a : keys) {
                int eq = a.indexOf('=');
                if (eq <= 0) {
                    err.println("sysctl: \"" + a + "\" must be of the form name=value");
                    return 1;
                }
                kv.add(new String[] {a.substring(0, eq).trim().replace('/', '.'), a.substring(eq + 1).trim()});
            }
            int rc = target.change(err, e -> {
                HostEdit r = e;
                for (String[] p : kv) r = r.sysctlSet(p[0], p[1]);
                return r;
            });
            if (rc != 0) return rc;
            for (String[] p : kv) {
                out.println(p[0] + " = " + p[1]);
                HostTarget.warnUnimplemented(err, p[0]);
            }
            out.flush();
            return 0;
        }
        try (HostTarget.Store store = target.store()) {
            HostEdit host = HostEdit.of(HostTarget.current(store, target.netns));
            int rc = 0;
            for (String k : keys) {
                String key = k.replace('/', '.');
                String v = host.sysctl(key);
                if (v == null) v = SysctlRegistry.lookup(key).map(SysctlRegistry.Entry::dflt).orElse(null);
                if (v == null) {
                    err.println("sysctl: cannot stat /proc/sys/" + key.replace('.', '/') + ": No such file or directory"
                            + " (not set in host.yaml and not implemented by the emulation)");
                    rc = 255;
                    continue;
                }
                out.println(key + " = " + v);
            }
            out.flush();
            return rc;
        } catch (HostTarget.Failure e) {
            err.println("netstack: " + e.getMessage());
            return 1;
        }
    }
}
