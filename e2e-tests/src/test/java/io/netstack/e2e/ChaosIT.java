package io.netstack.e2e;

import io.netstack.broker.RepoRoot;
import io.netstack.codec.SkbCodec;
import io.netstack.launcher.EventLedger;
import io.netstack.launcher.StackClient;
import io.netstack.launcher.StackLauncher;
import io.netstack.socket.ErrnoException;
import io.netstack.socket.NetstackApi;
import io.netstack.socket.NetstackSocket;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.SkbEvent;
import io.netstack.stack.WireFrame;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kill any layer, lose nothing: the distributed stack with two instances of l3 and l4, two hosts
 * wired by a bridge, a TCP connection a -> b (tcp-echo on b) and a stream of UDP datagrams to b's
 * udp-echo, while faults hit every layer: SIGKILL and restart of both l3 instances, of the l4
 * instance that holds host a (its TCP connection), of the NIC; SIGTERM and restart of softirq;
 * SIGSTOP/SIGCONT of an l4 instance and of the socket service; a broker restart. Then the
 * ledger of every skb's events must show none lost (born, no fate) and none with two fates,
 * and the TCP connection must carry data sent after the kill, intact and in order.
 */
@Timeout(400)
class ChaosIT {

    static final Pattern TAKEN = Pattern.compile("partitions \\[([0-9, ]*)] taken");

    @Test
    void faultsOnEveryLayerLoseNothingAndTheTcpConnectionSurvives() throws Exception {
        Path repo = RepoRoot.find();
        Path runDir = repo.resolve("e2e-tests/target/netstack-run-chaos-" + System.currentTimeMillis());
        StackLauncher stack = StackLauncher.builder().repoRoot(repo).runDir(runDir)
                .scale(java.util.Map.of("l3", 2, "l4", 2)).cpus(4).build().start();
        List<String> report = new ArrayList<>();
        EventLedger ledger = new EventLedger();
        AtomicInteger udpSent = new AtomicInteger();
        AtomicInteger udpEchoed = new AtomicInteger();
        volatile_ running = new volatile_();
        Thread bridge = null;
        Thread events = null;
        Thread udp = null;
        try (StackClient client = stack.client()) {
            System.out.printf("stack up in %d ms, logs in %s%n", stack.startupTime().toMillis(), runDir);
            client.publishConfig("a", SocketApiE2eIT.host("10.0.0.1", "02:00:00:00:00:01", "10.0.0.2", "02:00:00:00:00:02", ""));
            client.publishConfig("b", SocketApiE2eIT.host("10.0.0.2", "02:00:00:00:00:02", "10.0.0.1", "02:00:00:00:00:01",
                    "apps:\n  - {app: udp-echo, port: 7}\n  - {app: tcp-echo, port: 7}\n"));
            bridge = daemon("bridge", () -> bridge(stack, running));
            events = daemon("events", () -> {
                try (StackClient.EventReader r = stack.client().events()) {
                    while (running.on) for (SkbEvent e : r.poll(Duration.ofMillis(100))) ledger.add(e);
                } catch (RuntimeException e) {
                    if (running.on) e.printStackTrace();
                }
            });
            NetstackApi api = NetstackApi.connect(stack.socketApiAddress());
            NetstackSocket tcp = connect(api);
            Random rnd = new Random(8);
            byte[] before = new byte[20_000];
            rnd.nextBytes(before);
            echo(tcp, before);
            report.add("tcp: 20000 bytes echoed before the faults");

            udp = daemon("udp", () -> {
                try (NetstackSocket s = NetstackApi.connect(stack.socketApiAddress()).udp("a")) {
                    s.setTimeout(Duration.ofMillis(200));
                    while (running.on && running.udp) {
                        s.sendTo(("dgram " + udpSent.incrementAndGet()).getBytes(StandardCharsets.US_ASCII), "10.0.0.2", 7);
                        try {
                            while (true) { s.recvFrom(1500); udpEchoed.incrementAndGet(); s.setTimeout(Duration.ofMillis(1)); }
                        } catch (ErrnoException e) {
                            s.setTimeout(Duration.ofMillis(200));
                        }
                        Thread.sleep(50);
                    }
                } catch (Exception e) {
                    if (running.on) System.out.println("udp client: " + e);
                }
            });

            // The faults, spread over every layer.
            StackLauncher.Service l4a = holder(stack, "l4", Math.floorMod("a".hashCode(), 4));   // Topics.hostPartition
            fault(report, "SIGKILL " + l4a.instance() + " (holds host a's TCP connection)", () -> stack.restart(l4a));
            fault(report, "SIGKILL l3-1", () -> stack.restart(stack.instances("l3").get(0)));
            fault(report, "SIGSTOP/SIGCONT 3 s socket-1", () -> freeze(stack, stack.instances("socket").get(0), 3000));
            fault(report, "SIGTERM softirq-1", () -> { StackLauncher.Service s = stack.instances("softirq").get(0); stack.terminate(s); stack.restart(s); });
            fault(report, "broker restart (SIGTERM)", () -> stack.restartBroker(false));
            fault(report, "SIGKILL nic-1", () -> stack.restart(stack.instances("nic").get(0)));
            StackLauncher.Service other = stack.instances("l4").stream().filter(s -> !s.instance().equals(l4a.instance())).findFirst().orElseThrow();
            fault(report, "SIGSTOP/SIGCONT 8 s " + other.instance(), () -> freeze(stack, other, 8000));
            fault(report, "SIGKILL l3-2", () -> stack.restart(stack.instances("l3").get(1)));

            byte[] after = new byte[20_000];
            rnd.nextBytes(after);
            echo(tcp, after);
            report.add("tcp: 20000 bytes echoed after the faults, same connection");
            running.udp = false;
            tcp.close();
            // Drain: every skb born gets its fate.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline && !ledger.inFlight().isEmpty()) Thread.sleep(500);
            report.add("skbs born " + ledger.born().size() + ", in flight (lost) " + ledger.inFlight().size()
                    + ", two fates (duplicated) " + ledger.multipleFates().size() + ", fate without birth "
                    + ledger.fatesWithoutBirth().size() + "; udp sent " + udpSent.get() + ", echoed " + udpEchoed.get());
            report.forEach(l -> System.out.println("chaos: " + l));
            assertThat(ledger.multipleFates()).as("duplicated").isEmpty();
            assertThat(ledger.inFlight()).as("lost (no fate)").isEmpty();
            assertThat(ledger.born()).isNotEmpty();
        } finally {
            running.on = false;
            for (Thread t : new Thread[] {udp, bridge, events}) if (t != null) t.join(5000);
            stack.stop();
        }
    }

    static final class volatile_ { volatile boolean on = true; volatile boolean udp = true; }

    interface Fault { void run() throws Exception; }

    private static void fault(List<String> report, String what, Fault f) throws Exception {
        long t0 = System.nanoTime();
        f.run();
        report.add(String.format("%-50s back in %5d ms", what, (System.nanoTime() - t0) / 1_000_000));
        Thread.sleep(3000);
    }

    private static void freeze(StackLauncher stack, StackLauncher.Service s, long ms) throws InterruptedException {
        stack.signal(s, "STOP");
        Thread.sleep(ms);
        stack.signal(s, "CONT");
    }

    /** The instance whose last assignment took {@code partition} (its log says so). */
    static StackLauncher.Service holder(StackLauncher stack, String layer, int partition) throws IOException {
        for (StackLauncher.Service s : stack.instances(layer)) {
            String last = null;
            for (String line : Files.readAllLines(s.log())) {
                Matcher m = TAKEN.matcher(line);
                if (m.find()) last = m.group(1);
            }
            if (last != null && Arrays.stream(last.split(",\\s*")).anyMatch(p -> p.equals(String.valueOf(partition)))) return s;
        }
        throw new IllegalStateException("no " + layer + " instance holds partition " + partition);
    }

    private static NetstackSocket connect(NetstackApi api) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            NetstackSocket s = api.tcp("a");
            s.setTimeout(Duration.ofSeconds(30));
            try {
                s.connect("10.0.0.2", 7);
                s.setTimeout(Duration.ofSeconds(90));
                return s;
            } catch (ErrnoException e) {
                s.close();
                if (System.nanoTime() > deadline) throw e;
                Thread.sleep(500);
            }
        }
    }

    private static void echo(NetstackSocket s, byte[] data) throws Exception {
        s.sendAll(data);
        byte[] got = new byte[data.length];
        int n = 0;
        while (n < data.length) {
            byte[] part = s.recv(data.length - n);
            assertThat(part.length).as("EOF after %d bytes", n).isPositive();
            System.arraycopy(part, 0, got, n, part.length);
            n += part.length;
        }
        assertThat(got).as("echo intact and in order").isEqualTo(data);
    }

    /** The cable, one reader for the whole run (a consumer rides out a broker restart); a failed send is retried. */
    private static void bridge(StackLauncher stack, volatile_ running) {
        try (StackClient out = stack.client(); StackClient.TopicReader tx = out.reader(KernelQueue.WIRE_TX_TOPIC)) {
            while (running.on) {
                for (ConsumerRecord<byte[], byte[]> r : tx.poll(Duration.ofMillis(20))) {
                    WireFrame f = SkbCodec.decodeFrame(r.value());
                    String peer = "a".equals(f.netns()) ? "b" : "b".equals(f.netns()) ? "a" : null;
                    if (peer == null || !"eth0".equals(f.dev())) continue;
                    for (int attempt = 0; ; attempt++) {
                        try {
                            out.publishFrame(new WireFrame(peer, "eth0", f.frame(), System.nanoTime()));
                            break;
                        } catch (RuntimeException e) {
                            if (!running.on || attempt > 20) throw e;
                            System.out.println("bridge: " + e + " (retrying)");
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            if (running.on) e.printStackTrace();
        }
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
