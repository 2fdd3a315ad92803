package io.netstack.e2e;

import io.netstack.codec.SkbCodec;
import io.netstack.config.HostEdit;
import io.netstack.launcher.EventLedger;
import io.netstack.launcher.StackClient;
import io.netstack.launcher.StackLauncher;
import io.netstack.launcher.wire.KafkaStackSide;
import io.netstack.launcher.wire.LinkBridge;
import io.netstack.net.ipv4.RawIcmp;
import io.netstack.net.netfilter.IptablesEdit;
import io.netstack.skb.SkBuff;
import io.netstack.socket.ErrnoException;
import io.netstack.socket.NetstackApi;
import io.netstack.socket.NetstackSocket;
import io.netstack.stack.KernelQueue;
import io.netstack.wire.Inet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two emulated hosts and a router between them in one running stack (broker + five services),
 * wired NIC to NIC by a {@link LinkBridge} (`netstack wire link`):
 * <pre>
 *   rt-a eth0 192.0.2.2/24 -- eth0 192.0.2.1/24 rt-r eth1 198.51.100.1/24 -- eth0 198.51.100.2/24 rt-b
 *   default via .1              ip_forward=1, nat POSTROUTING -o eth1 -j MASQUERADE   default via .1, udp-echo :7
 * </pre>
 * rt-a pings rt-b (ARP on both hops first), sends UDP to rt-b:5353 (it arrives from the masqueraded
 * 198.51.100.1) and to rt-b:7 (the echo comes back through the NAT); each host's counters; every
 * skb one fate. Then the router's firewall is changed while it runs (as `netstack iptables -A`
 * does): the l3 instance keeps the rule counters and the conntrack entry (the flow stays NATed
 * without running the nat table again).
 */
@ExtendWith(SharedStack.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(150)
class RouterE2eIT {

    static final String A = """
            interfaces:
              - {name: eth0, mac: "02:00:00:00:0a:02", mtu: 1500, addresses: ["192.0.2.2/24"]}
            routes:
              - {dst: "0.0.0.0/0", via: "192.0.2.1", dev: eth0}
            sysctl:
              net.ipv4.icmp_ratelimit: 0
              net.ipv4.neigh.default.mcast_solicit: 15
            """;
    static final String R = """
            interfaces:
              - {name: eth0, mac: "02:00:00:00:01:01", mtu: 1500, addresses: ["192.0.2.1/24"]}
              - {name: eth1, mac: "02:00:00:00:01:02", mtu: 1500, addresses: ["198.51.100.1/24"]}
            sysctl:
              net.ipv4.ip_forward: 1
              net.ipv4.icmp_ratelimit: 0
              net.ipv4.neigh.default.mcast_solicit: 15
            firewall: |
              *nat
              :PREROUTING ACCEPT [0:0]
              :INPUT ACCEPT [0:0]
              :OUTPUT ACCEPT [0:0]
              :POSTROUTING ACCEPT [0:0]
              -A POSTROUTING -o eth1 -j MASQUERADE
              COMMIT
            """;
    static final String B = """
            interfaces:
              - {name: eth0, mac: "02:00:00:00:0b:02", mtu: 1500, addresses: ["198.51.100.2/24"]}
            routes:
              - {dst: "0.0.0.0/0", via: "198.51.100.1", dev: eth0}
            sysctl:
              net.ipv4.icmp_ratelimit: 0
              net.ipv4.neigh.default.mcast_solicit: 15
            apps:
              - {app: udp-echo, port: 7}
            """;

    private StackLauncher stack;
    private StackClient client;
    private LinkBridge links;
    private NetstackApi api;
    private StackClient.EventReader events;
    private final EventLedger ledger = new EventLedger();
    private final Set<Long> injected = new HashSet<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void setUp() {
        stack = SharedStack.get();
        client = stack.client();
        client.publishConfig("rt-a", A);
        client.publishConfig("rt-r", R);
        client.publishConfig("rt-b", B);
        links = new LinkBridge(LinkBridge.pairs(List.of("rt-a:eth0", "rt-r:eth0", "rt-r:eth1", "rt-b:eth0")),
                new KafkaStackSide(stack.bootstrapServers())).start();
        api = NetstackApi.connect(stack.socketApiAddress());
        events = client.events();
    }

    @AfterAll
    void tearDown() throws Exception {
        if (links != null) links.close();
        if (events != null) events.close();
        if (api != null) api.close();
        if (client != null) client.close();
    }

    /** A raw socket's echo request on rt-a's IP_LOCAL_OUT (as ping as root sends it). */
    private void ping(int seq) {
        long id = ThreadLocalRandom.current().nextLong(1L << 50, 1L << 60);
        SkBuff skb = RawIcmp.echoRequest(id, "rt-a", Inet.parse("198.51.100.2"), 0x4242, seq,
                "netstack router e2e".getBytes(StandardCharsets.US_ASCII));
        injected.add(id);
        client.send(KernelQueue.IP_LOCAL_OUT.topic(), 0, new byte[] {0, 0, 0, 0}, SkbCodec.encode(skb));
    }

    private long c(String netns, String name) { return ledger.counter(netns, name); }

    private boolean await(java.util.function.Predicate<EventLedger> p, int seconds) {
        return events.pollUntil(ledger, p, Duration.ofSeconds(seconds));
    }

    private String l3(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(stack.service("l3").url() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    private NetstackSocket.Received recvFrom(NetstackSocket s, String payload, String addr, int port) throws Exception {
        s.setTimeout(Duration.ofSeconds(3));
        for (int attempt = 0; attempt < 8; attempt++) {
            if (payload != null) s.sendTo(payload.getBytes(StandardCharsets.US_ASCII), addr, port);
            try {
                return s.recvFrom(1500);
            } catch (ErrnoException e) {
                assertThat(e.errno()).isIn("EAGAIN", "ECONNREFUSED");
            }
        }
        return null;
    }

    @Test
    void pingUdpAndEchoThroughTheRouterThenAFirewallChangeKeepsTheFlow() throws Exception {
        long t0 = System.nanoTime();
        // 1. ping: the first request waits for ARP at rt-a and at rt-r.
        for (int seq = 1; seq <= 3; seq++) {
            ping(seq);
            int s = seq;
            if (!await(l -> c("rt-a", "IcmpInEchoReps") >= s, 30)) {
                dump();
                throw new AssertionError("no echo reply " + seq + " at rt-a in 30 s");
            }
        }
        System.out.printf("3 pings through the router in %d ms%n", (System.nanoTime() - t0) / 1_000_000);

        // 2. UDP to rt-b:5353 arrives from the router's outside address.
        try (NetstackSocket server = api.udp("rt-b"); NetstackSocket c1 = api.udp("rt-a")) {
            server.bind("0.0.0.0", 5353);
            c1.sendTo("to 5353".getBytes(StandardCharsets.US_ASCII), "198.51.100.2", 5353);
            NetstackSocket.Received got = recvFrom(server, null, null, 0);
            assertThat(got).as("datagram at rt-b:5353").isNotNull();
            assertThat(new String(got.data(), StandardCharsets.US_ASCII)).isEqualTo("to 5353");
            assertThat(got.from().addr()).as("masqueraded").isEqualTo("198.51.100.1");

            // 3. The udp-echo app on rt-b:7 answers the masqueraded address; rt-r un-NATs it to rt-a.
            NetstackSocket.Received back = recvFrom(c1, "echo me", "198.51.100.2", 7);
            assertThat(back).as("echo from rt-b:7").isNotNull();
            assertThat(new String(back.data(), StandardCharsets.US_ASCII)).isEqualTo("echo me");
            assertThat(back.from().addr()).isEqualTo("198.51.100.2");
            assertThat(back.from().port()).isEqualTo(7);

            // 4. Counters of each host (from the events topic).
            assertThat(await(l -> c("rt-b", "UdpInDatagrams") >= 2 && c("rt-a", "UdpInDatagrams") >= 1, 20)).isTrue();
            assertThat(c("rt-a", "IcmpOutEchos")).isEqualTo(3);
            assertThat(c("rt-a", "IcmpInEchoReps")).isEqualTo(3);
            assertThat(c("rt-b", "IcmpInEchos")).isEqualTo(3);
            long forwarded = c("rt-r", "IpForwDatagrams");
            assertThat(forwarded).as("6 ICMP + at least 3 UDP forwarded").isGreaterThanOrEqualTo(9);
            assertThat(c("rt-r", "IpInDelivers")).as("nothing forwarded is delivered at the router").isZero();
            assertThat(c("rt-b", "UdpInDatagrams")).isGreaterThanOrEqualTo(2);

            // 5. The l3 instance's rule counters: one packet per flow met MASQUERADE (ping, 5353, 7).
            String nat = l3("/netstack/iptables?netns=rt-r&table=nat");
            System.out.print(nat);
            assertThat(nat).containsPattern("\\n\\s+3\\s+\\d+ MASQUERADE +all +-- +\\* +eth1 ");

            // 6. iptables -A FORWARD -p tcp -j ACCEPT on the running router, as the CLI does it.
            String rYaml = client.latestConfigs().get("rt-r");
            HostEdit e = HostEdit.of(rYaml);
            e.firewall(IptablesEdit.of(e.firewall()).apply(List.of("-A", "FORWARD", "-p", "tcp", "-j", "ACCEPT")).save());
            e.validate("rt-r");
            client.publishConfig("rt-r", e.yaml());
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!l3("/netstack/iptables?netns=rt-r&table=filter").contains("ACCEPT    tcp")) {
                assertThat(System.nanoTime()).as("the new rule reached the l3 instance").isLessThan(deadline);
                Thread.sleep(200);
            }
            // The flow to 5353 is still NATed by its conntrack entry: the nat table is not run again.
            c1.sendTo("again".getBytes(StandardCharsets.US_ASCII), "198.51.100.2", 5353);
            NetstackSocket.Received again = recvFrom(server, null, null, 0);
            assertThat(again).isNotNull();
            assertThat(again.from().addr()).isEqualTo("198.51.100.1");
            assertThat(l3("/netstack/iptables?netns=rt-r&table=nat"))
                    .as("the unchanged MASQUERADE rule kept its counter across the change")
                    .containsPattern("\\n\\s+3\\s+\\d+ MASQUERADE");
            System.out.print(l3("/netstack/neigh?netns=rt-r"));
            assertThat(l3("/netstack/neigh?netns=rt-r")).contains("198.51.100.2 dev eth1 lladdr 02:00:00:00:0b:02");
        }

        // 7. Every skb of the three hosts has one fate, none is left in flight.
        Set<String> ours = Set.of("rt-a", "rt-r", "rt-b");
        assertThat(await(l -> l.inFlight().stream().noneMatch(id -> ours.contains(netnsOf(l, id))), 20))
                .as("in flight: %s", ledger.inFlight()).isTrue();
        assertThat(ledger.multipleFates()).isEmpty();
        Set<Long> orphans = new HashSet<>(ledger.fatesWithoutBirth());
        orphans.removeAll(injected);
        orphans.removeIf(id -> !ours.contains(netnsOf(ledger, id)));
        assertThat(orphans).as("fates of skbs that never entered").isEmpty();
        System.out.printf("router e2e: %d frames carried by the links, %d ms after the stack was up%n",
                links.framesCarried(), (System.nanoTime() - t0) / 1_000_000);
    }

    /** What the three hosts did, skb by skb: for a failure's diagnosis. */
    private void dump() {
        for (io.netstack.stack.SkbEvent e : ledger.events()) {
            if (!e.netns().startsWith("rt-")) continue;
            System.out.printf("%s %s skb %d %s %s q=%s fate=%s stats=%s%n", e.netns(), e.layer(), e.skbId(), e.summary(),
                    e.trace().stream().map(io.netstack.stack.SkbEvent.TraceEntry::function).toList(), e.queue(), e.fate(),
                    e.stats().stream().map(d -> d.name() + (d.dev().isEmpty() ? "" : "@" + d.dev()) + "+" + d.delta()).toList());
        }
        System.out.println("links carried " + links.framesCarried() + " frames, errors " + links.errors());
    }

    private static String netnsOf(EventLedger l, long id) {
        List<io.netstack.stack.SkbEvent> ev = l.eventsOf(id);
        return ev.isEmpty() ? "" : ev.get(0).netns();
    }
}
