package io.netstack.cli;

import io.netstack.launcher.wire.KafkaStackSide;
import io.netstack.launcher.wire.LinkBridge;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * `netstack wire link A:eth0 R:eth0 [R:eth1 B:eth0 ...]`: cables between emulated interfaces of
 * the running stack (a veth pair each): every frame one end transmits arrives on the other's wire.
 * Runs until Ctrl-C (or --for seconds), then says how many frames it carried.
 */
@Command(name = "link", mixinStandardHelpOptions = true,
        description = {"Wire emulated interfaces to each other, NIC to NIC, in one running stack.",
                "  netstack wire link a:eth0 r:eth0 r:eth1 b:eth0"})
public final class WireLinkCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT",
            description = "the stack's Kafka bootstrap servers (default: from .netstack/stack.json)")
    String bootstrap;

    @Option(names = "--for", paramLabel = "SECONDS", defaultValue = "0", description = "run this long, then exit (default: until Ctrl-C)")
    long seconds;

    @Option(names = "--host", paramLabel = "NETNS=HOST.YAML",
            description = "publish this host.yaml as host NETNS's configuration first (repeatable)")
    List<String> hosts = new ArrayList<>();

    @Parameters(paramLabel = "HOST:IFACE", arity = "2..*", description = "the ends, two by two")
    List<String> ends = new ArrayList<>();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<LinkBridge.End[]> links;
        try {
            links = LinkBridge.pairs(ends);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        String b = bootstrap != null ? bootstrap : WireCommand.StackState.bootstrap(Path.of(""));
        if (b == null) throw new CommandLine.ParameterException(spec.commandLine(),
                "no --bootstrap and no .netstack/stack.json here: start a stack (`netstack up`) or name its broker");
        if (!hosts.isEmpty()) {
            try (io.netstack.launcher.StackClient client = new io.netstack.launcher.StackClient(b)) {
                for (String h : hosts) {
                    int eq = h.indexOf('=');
                    if (eq <= 0) throw new CommandLine.ParameterException(spec.commandLine(), "--host wants NETNS=HOST.YAML: " + h);
                    String netns = h.substring(0, eq);
                    Path file = Path.of(h.substring(eq + 1));
                    io.netstack.config.HostConfigParser.parse(file, netns);     // refused here with its line
                    client.publishConfig(netns, java.nio.file.Files.readString(file));
                    out.println("host " + netns + " configured from " + file);
                }
            } catch (java.io.IOException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        LinkBridge bridge = new LinkBridge(links, new KafkaStackSide(b)).start();
        out.println("links " + bridge.describe());
        List<AutoCloseable> open = List.of(bridge);
        WireCommand.runUntilStopped(open, List.of(), seconds, out);
        out.println("frames carried: " + bridge.framesCarried() + (bridge.errors() > 0 ? ", errors: " + bridge.errors() : ""));
        out.flush();
        return 0;
    }
}
