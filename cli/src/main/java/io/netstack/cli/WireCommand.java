package io.netstack.cli;

import io.netstack.config.HostConfig;
import io.netstack.config.HostConfigParser;
import io.netstack.launcher.StackClient;
import io.netstack.launcher.wire.FramePort;
import io.netstack.launcher.wire.KafkaStackSide;
import io.netstack.launcher.wire.TapPeer;
import io.netstack.launcher.wire.UdpWire;
import io.netstack.launcher.wire.WireBridge;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * `netstack wire`: plugs an interface of an emulated host into the outside world while it runs.
 * The bridge is this process, outside the services: it moves frames between the interface's
 * wire topics (netstack.wire.rx / netstack.wire.tx, filtered by host and device) and a UDP
 * socket (`wire udp`, QEMU's dgram format) or a TAP device in a peer network namespace
 * (`wire tap`), or whatever the interfaces' `wire:` keys in host.yaml say (`wire attach`).
 */
@Command(name = "wire", mixinStandardHelpOptions = true,
        description = "Attach an emulated host's interface to a live wire (UDP datagrams or a TAP peer namespace).",
        subcommands = {WireCommand.Udp.class, WireCommand.Tap.class, WireCommand.Attach.class, WireLinkCommand.class})
public final class WireCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Options every wire command takes: which stack, which host and interface. */
    static final class Target {
        @Option(names = "--bootstrap", paramLabel = "HOST:PORT",
                description = "the stack's Kafka bootstrap servers (default: from .netstack/stack.json, written by `netstack up`)")
        String bootstrap;

        @Option(names = "--host", paramLabel = "NETNS", defaultValue = "host",
                description = "the emulated host (its netns name in the stack; default: ${DEFAULT-VALUE})")
        String host;

        @Option(names = "--dev", paramLabel = "IFACE", defaultValue = "eth0",
                description = "the emulated host's interface (default: ${DEFAULT-VALUE})")
        String dev;

        @Option(names = "--config", paramLabel = "HOST.YAML",
                description = "publish this host.yaml as the host's configuration first")
        Path config;

        @Option(names = "--for", paramLabel = "SECONDS", defaultValue = "0",
                description = "run this long, then clean up and exit (default: until Ctrl-C)")
        long seconds;

        String bootstrap() {
            if (bootstrap != null) return bootstrap;
            String b = StackState.bootstrap(Path.of(""));
            if (b == null) {
                throw new CommandLine.ParameterException(new CommandLine(this),
                        "no --bootstrap and no .netstack/stack.json here: start a stack (`netstack up`) or name its broker");
            }
            return b;
        }

        /** Parses and publishes --config (when given); returns it, or null. */
        HostConfig publishConfig(String bootstrap, PrintWriter out) {
            if (config == null) return null;
            HostConfig hc = HostConfigParser.parse(config, host);
            try (StackClient client = new StackClient(bootstrap)) {
                client.publishConfig(host, hc.source());
            }
            out.printf("configured host %s from %s%n", host, config);
            return hc;
        }
    }

    /** Runs bridges until Ctrl-C / SIGTERM / --for, then closes them (and their peers). */
    static int runUntilStopped(List<AutoCloseable> closeables, List<WireBridge> bridges, long seconds, PrintWriter out) {
        CountDownLatch stop = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            closeAll(closeables);
            report(bridges, out);
            stop.countDown();
        }, "netstack-wire-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        out.println(seconds > 0 ? "running for " + seconds + " s" : "running; Ctrl-C to stop and clean up");
        out.flush();
        try {
            if (seconds > 0) stop.await(seconds, TimeUnit.SECONDS);
            else stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            return 0;
        }
        closeAll(closeables);
        report(bridges, out);
        return 0;
    }

    private static void report(List<WireBridge> bridges, PrintWriter out) {
        for (WireBridge b : bridges) {
            out.printf("%s: %d frames in, %d out, %d errors%n", b.describe(), b.framesIn(), b.framesOut(), b.errors());
        }
        out.flush();
    }

    private static synchronized void closeAll(List<AutoCloseable> closeables) {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                System.err.println("netstack wire: " + e);
            }
        }
        closeables.clear();
    }

    /** `netstack wire udp`: one frame per datagram, to and from a UDP peer (a QEMU guest, socat, another bridge). */
    @Command(name = "udp", mixinStandardHelpOptions = true,
            description = "Bridge an interface to UDP: one Ethernet frame per datagram (QEMU -netdev dgram / socket,udp=).")
    static final class Udp implements Callable<Integer> {
        @Mixin Target target;

        @Option(names = "--listen", paramLabel = "HOST:PORT", required = true, description = "the local UDP address")
        String listen;

        @Option(names = "--peer", paramLabel = "HOST:PORT",
                description = "where transmitted frames go (default: whoever sent the last datagram)")
        String peer;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            String bootstrap = target.bootstrap();
            target.publishConfig(bootstrap, out);
            return openAndRun(opened -> openUdp(target.host, target.dev, listen, peer, bootstrap, opened), null,
                    target.seconds, out);
        }
    }

    /** `netstack wire tap`: a peer namespace on a TAP device, bridged to the interface. */
    @Command(name = "tap", mixinStandardHelpOptions = true,
            description = {"Create a peer host (a network namespace with a TAP interface) wired to the interface; "
                    + "remove it on exit. Needs root, iproute2 and socat.",
                    "Then: ip netns exec netstack-peer ping 192.0.2.2"})
    static final class Tap implements Callable<Integer> {
        @Mixin Target target;

        @Option(names = "--peer-netns", paramLabel = "NAME", defaultValue = "netstack-peer",
                description = "the peer's network namespace, created and removed (default: ${DEFAULT-VALUE})")
        String peerNetns;

        @Option(names = "--peer-addr", paramLabel = "ADDR/LEN", defaultValue = "192.0.2.1/24",
                description = "the peer's address (default: ${DEFAULT-VALUE})")
        String peerAddr;

        @Option(names = "--peer-mac", paramLabel = "MAC", description = "the TAP's MAC (default: random)")
        String peerMac;

        @Option(names = "--tap", paramLabel = "NAME", defaultValue = "nstap0",
                description = "the TAP interface's name (default: ${DEFAULT-VALUE})")
        String tap;

        @Option(names = "--route", paramLabel = "ROUTE",
                description = "an extra route in the peer, as `ip route add` takes it: \"198.51.100.0/24 via 192.0.2.2\"")
        List<String> routes = new ArrayList<>();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            String bootstrap = target.bootstrap();
            HostConfig hc = target.publishConfig(bootstrap, out);
            TapPeer.Options o = new TapPeer.Options(peerNetns, tap, peerAddr, peerMac, routes);
            String ours = hc == null ? "<the host's address>" : hc.iface(target.dev).flatMap(HostConfig.Interface::primaryAddress)
                    .map(a -> io.netstack.wire.Inet.format(a.address())).orElse("<its address>");
            return openAndRun(opened -> openTap(target.host, target.dev, o, bootstrap, opened, out),
                    "try:  ip netns exec " + peerNetns + " ping " + ours, target.seconds, out);
        }
    }

    /** `netstack wire attach`: every interface's `wire:` in host.yaml. */
    @Command(name = "attach", mixinStandardHelpOptions = true,
            description = "Publish host.yaml and open the wire: of each of its interfaces (udp, tap).")
    static final class Attach implements Callable<Integer> {
        @Mixin Target target;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            if (target.config == null) throw new CommandLine.ParameterException(spec.commandLine(), "attach needs --config HOST.YAML");
            HostConfig parsed = HostConfigParser.parse(target.config, target.host);
            if (parsed.interfaces().stream().allMatch(i -> i.wire() == null)) {
                spec.commandLine().getErr().println("no interface of " + target.config + " has a wire: key");
                return 1;
            }
            String bootstrap = target.bootstrap();
            HostConfig hc = target.publishConfig(bootstrap, out);
            List<AutoCloseable> open = new ArrayList<>();
            List<WireBridge> bridges = new ArrayList<>();
            try {
                for (HostConfig.Interface itf : hc.interfaces()) {
                    HostConfig.Wire w = itf.wire();
                    if (w == null) continue;
                    WireBridge b;
                    if (w.type().equals(HostConfig.Wire.UDP)) {
                        b = openUdp(target.host, itf.name(), w.option("listen", null), w.option("peer", null), bootstrap, open);
                    } else if (w.type().equals(HostConfig.Wire.TAP)) {
                        TapPeer.Options o = TapPeer.Options.defaults();
                        o = o.withNetns(w.option("peer-netns", o.netns())).withTap(w.option("name", o.tap()))
                                .withAddress(w.option("peer-addr", o.address())).withMac(w.option("peer-mac", null));
                        b = openTap(target.host, itf.name(), o, bootstrap, open, out);
                    } else {
                        out.printf("%s: wire type %s is not opened by `netstack wire attach`%n", itf.name(), w.type());
                        continue;
                    }
                    bridges.add(b);
                    out.printf("wire %s%n", b.describe());
                }
            } catch (Exception e) {
                closeAll(open);
                throw e;
            }
            if (bridges.isEmpty()) {
                closeAll(open);
                spec.commandLine().getErr().println("no wire of " + target.config + " can be opened by attach");
                return 1;
            }
            return runUntilStopped(open, bridges, target.seconds, out);
        }
    }

    /** Opens one wire's bridge, given the list to put what it opens in (to be closed at the end). */
    @FunctionalInterface
    interface Opening {
        WireBridge open(List<AutoCloseable> opened) throws Exception;
    }

    /**
     * Opens a bridge (what it opened is closed again if that fails), says what it is (and
     * {@code hint}, if any), and runs until stopped.
     */
    static int openAndRun(Opening opening, String hint, long seconds, PrintWriter out) throws Exception {
        List<AutoCloseable> opened = new ArrayList<>();
        WireBridge bridge;
        try {
            bridge = opening.open(opened);
        } catch (Exception e) {
            closeAll(opened);
            throw e;
        }
        out.printf("wire %s%n", bridge.describe());
        if (hint != null) out.println(hint);
        return runUntilStopped(opened, List.of(bridge), seconds, out);
    }

    static WireBridge openUdp(String host, String dev, String listen, String peer, String bootstrap,
                              List<AutoCloseable> open) throws IOException {
        FramePort port = UdpWire.open(UdpWire.address(listen), peer == null ? null : UdpWire.address(peer));
        open.add(port);
        WireBridge bridge = new WireBridge(host, dev, port, new KafkaStackSide(bootstrap)).start();
        open.add(bridge);
        return bridge;
    }

    static WireBridge openTap(String host, String dev, TapPeer.Options o, String bootstrap,
                              List<AutoCloseable> open, PrintWriter out) throws IOException {
        TapPeer peer = TapPeer.create(o);
        open.add(peer);
        out.printf("peer: netns %s, %s %s (MAC %s), socat pid %d%n", peer.netns(), peer.tap(), o.address(), peer.mac(),
                peer.socatPid());
        WireBridge bridge = new WireBridge(host, dev, peer.wire(), new KafkaStackSide(bootstrap)).start();
        open.add(bridge);
        return bridge;
    }

    /** Reads the bootstrap servers a running stack wrote to .netstack/stack.json (by `netstack up`). */
    static final class StackState {
        private static final Pattern BOOTSTRAP = Pattern.compile("\"bootstrap[A-Za-z]*\"\\s*:\\s*\"([^\"]+)\"");

        static String bootstrap(Path dir) {
            Path d = dir.toAbsolutePath();
            while (d != null) {
                Path f = d.resolve(".netstack").resolve("stack.json");
                if (Files.isRegularFile(f)) {
                    try {
                        Matcher m = BOOTSTRAP.matcher(Files.readString(f));
                        if (m.find()) return m.group(1);
                    } catch (IOException e) {
                        return null;
                    }
                }
                d = d.getParent();
            }
            return null;
        }
    }
}
