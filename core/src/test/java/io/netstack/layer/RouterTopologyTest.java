package io.netstack.layer;

import io.netstack.config.HostConfig;
import io.netstack.config.HostConfigParser;
import io.netstack.net.core.Neighbour;
import io.netstack.net.ipv4.RawIcmp;
import io.netstack.net.ipv4.TcpSock;
import io.netstack.net.ipv4.TcpState;
import io.netstack.net.netfilter.IpTables;
import io.netstack.net.netfilter.NfConntrack;
import io.netstack.stack.Fate;
import io.netstack.stack.InProcessStack;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.SkbEvent;
import io.netstack.stack.WireFrame;
import io.netstack.wire.Inet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two hosts and a router between them in one in-process stack, wired NIC to NIC:
 * <pre>
 *   a eth0 192.0.2.2/24 ---- eth0 192.0.2.1/24  r  eth1 198.51.100.1/24 ---- eth0 198.51.100.2/24 b
 *   default via .1                ip_forward=1, nat POSTROUTING -o eth1 -j MASQUERADE    default via .1
 * </pre>
 * A ping (ARP on both hops first), UDP to b:5353 (arrives from the masqueraded 198.51.100.1),
 * an echo from b:7 back through the NAT; each host's counters; every skb one fate. Then the
 * host is changed while it runs and keeps its dynamic state: conntrack across an iptables change,
 * a learned neighbour across a route add, a TCP connection across a sysctl change.
 */
class RouterTopologyTest {

    static final String A_YAML = """
            interfaces:
              - {name: eth0, mac: "02:00:00:00:0a:02", mtu: 1500, addresses: ["192.0.2.2/24"]}
            routes:
              - {dst: "0.0.0.0/0", via: "192.0.2.1", dev: eth0}
            sysctl:
              net.ipv4.icmp_ratelimit: 0
            """;
    static final String R_YAML = """
            interfaces:
              - {name: eth0, mac: "02:00:00:00:01:01", mtu: 1500, addresses: ["192.0.2.1/24"]}
              - {name: eth1, mac: "02:00:00:00:01:02", mtu: 1500, addresses: ["198.51.100.1/24"]}
            sysctl:
              net.ipv4.ip_forward: 1
              net.ipv4.icmp_ratelimit: 0
            firewall: |
              *nat
              :PREROUTING ACCEPT [0:0]
              :INPUT ACCEPT [0:0]
              :OUTPUT ACCEPT [0:0]
              :POSTROUTING ACCEPT [0:0]
              -A POSTROUTING -o eth1 -j MASQUERADE
              COMMIT
            """;
    static final String B_YAML = """
            interfaces:
              - {name: eth0, mac: "02:00:00:00:0b:02", mtu: 1500, addresses: ["198.51.100.2/24"]}
            routes:
              - {dst: "0.0.0.0/0", via: "198.51.100.1", dev: eth0}
            sysctl:
              net.ipv4.icmp_ratelimit: 0
            """;

    static final int A = Inet.parse("192.0.2.2");
    static final int R0 = Inet.parse("192.0.2.1");
    static final int R1 = Inet.parse("198.51.100.1");
    static final int B = Inet.parse("198.51.100.2");

    /** netns/dev to netns/dev: the cables. */
    static final Map<String, String> CABLES = Map.of("a/eth0", "r/eth0", "r/eth0", "a/eth0", "r/eth1", "b/eth0", "b/eth0", "r/eth1");

    L3Layer l3;
    L4Layer l4;
    SocketLayer sock;
    IpTables nf;
    InProcessStack stack;
    final Deque<WireFrame> onCable = new ArrayDeque<>();
    final Map<String, Map<String, Long>> counters = new HashMap<>();
    final Set<Long> born = new HashSet<>();
    final Map<Long, Integer> fates = new HashMap<>();
    final List<SkbEvent> events = new ArrayList<>();
    long ids = 1L << 40;
    int arpFrames;

    @BeforeEach
    void setUp() {
        nf = new IpTables();
        l3 = new L3Layer(nf);
        l4 = new L4Layer();
        sock = new SocketLayer();
        stack = new InProcessStack(List.of(new NicLayer(), new SoftirqLayer(), l3, l4, sock), 0);
        stack.onTransmit(f -> {
            String peer = CABLES.get(f.netns() + "/" + f.dev());
            if ((f.frame()[12] & 0xff) == 0x08 && f.frame()[13] == 0x06) arpFrames++;
            if (peer != null) onCable.add(new WireFrame(peer.split("/")[0], peer.split("/")[1], f.frame(), f.timeNanos()));
        });
        stack.onEvent(e -> {
            events.add(e);
            if (e.entered()) born.add(e.skbId());
            born.addAll(e.spawned());
            if (e.fate() != null) fates.merge(e.skbId(), 1, Integer::sum);
            for (SkbEvent.StatDelta d : e.stats()) {
                if (!d.isLinkStat()) counters.computeIfAbsent(e.netns(), k -> new HashMap<>()).merge(d.name(), d.delta(), Long::sum);
            }
        });
        stack.configure(host("a", A_YAML));
        stack.configure(host("r", R_YAML));
        stack.configure(host("b", B_YAML));
    }

    static HostConfig host(String netns, String yaml) {
        return HostConfigParser.parse(yaml, netns + ".yaml", netns);
    }

    /** Carries every frame on a cable to the other end, until the wires are quiet. */
    void pump() {
        WireFrame f;
        int n = 0;
        while ((f = onCable.poll()) != null) {
            assertThat(++n).as("frames on the cables").isLessThan(10_000);
            stack.receiveFrame(f);
        }
    }

    void ping(int seq) {
        var skb = RawIcmp.echoRequest(ids++, "a", B, 0x1234, seq, "0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
        stack.enqueue(KernelQueue.IP_LOCAL_OUT, skb);
        born.add(skb.id());
        pump();
    }

    long counter(String netns, String name) {
        return counters.getOrDefault(netns, Map.of()).getOrDefault(name, 0L);
    }

    int udp(String netns, int port) {
        int[] fd = new int[1];
        stack.run("socket", ctx -> {
            fd[0] = (int) sock.socketCreate(netns, "udp").value();
            if (port != 0) assertThat(sock.bind(ctx, netns, fd[0], 0, port).isOk()).isTrue();
        });
        return fd[0];
    }

    void sendto(String netns, int fd, String data, int addr, int port) {
        stack.run("socket", ctx -> assertThat(sock.sendto(ctx, netns, fd, data.getBytes(StandardCharsets.US_ASCII), addr, port).isOk()).isTrue());
        pump();
    }

    SocketLayer.Result recvfrom(String netns, int fd) {
        SocketLayer.Result[] r = new SocketLayer.Result[1];
        stack.run("socket", ctx -> r[0] = sock.recvfrom(ctx, netns, fd, 1500));
        return r[0];
    }

    @Test
    void pingUdpAndEchoThroughTheMasqueradingRouter() {
        // 1. ping: the first request waits for ARP on a's hop, then on r's second hop.
        for (int seq = 1; seq <= 3; seq++) ping(seq);
        assertThat(counter("a", "IcmpOutEchos")).isEqualTo(3);
        assertThat(counter("a", "IcmpInEchoReps")).as("echo replies back at a").isEqualTo(3);
        assertThat(counter("b", "IcmpInEchos")).isEqualTo(3);
        assertThat(counter("b", "IcmpOutEchoReps")).isEqualTo(3);
        assertThat(counter("r", "IpForwDatagrams")).as("3 requests + 3 replies forwarded").isEqualTo(6);
        assertThat(counter("r", "IpInDelivers")).as("nothing forwarded is delivered at r").isZero();
        assertThat(arpFrames).as("a request and a reply on each hop (the reply's sender learns from the request)")
                .isEqualTo(4);
        assertThat(l3.host("a").neigh().lookup(R0, "eth0").state() & Neighbour.NUD_VALID).isNotZero();
        assertThat(l3.host("r").neigh().lookup(B, "eth1").state() & Neighbour.NUD_VALID).isNotZero();

        // 2. UDP to b:5353 arrives from the router's outside address (MASQUERADE).
        int listener = udp("b", 5353);
        int echo = udp("b", 7);
        int client = udp("a", 0);
        sendto("a", client, "to 5353", B, 5353);
        SocketLayer.Result got = recvfrom("b", listener);
        assertThat(got.isOk()).as("datagram at b:5353: %s", got).isTrue();
        assertThat(new String(got.data(), StandardCharsets.US_ASCII)).isEqualTo("to 5353");
        assertThat(got.addr()).as("masqueraded source").isEqualTo(R1);
        assertThat(counter("b", "UdpInDatagrams")).isEqualTo(1);

        // 3. b's echo on port 7 goes back to the masqueraded address; r un-NATs it to a.
        sendto("a", client, "echo me", B, 7);
        SocketLayer.Result req = recvfrom("b", echo);
        assertThat(req.isOk()).isTrue();
        assertThat(req.addr()).isEqualTo(R1);
        sendto("b", echo, new String(req.data(), StandardCharsets.US_ASCII), req.addr(), req.port());
        SocketLayer.Result back = recvfrom("a", client);
        assertThat(back.isOk()).as("echo at a: %s", back).isTrue();
        assertThat(new String(back.data(), StandardCharsets.US_ASCII)).isEqualTo("echo me");
        assertThat(back.addr()).as("the reply's source un-NATed").isEqualTo(B);
        assertThat(back.port()).isEqualTo(7);
        assertThat(counter("a", "UdpInDatagrams")).isEqualTo(1);
        assertThat(counter("b", "UdpInDatagrams")).isEqualTo(2);
        assertThat(counter("r", "IpForwDatagrams")).isEqualTo(6 + 3);
        assertThat(counter("r", "IpInDelivers")).isZero();
        assertThat(nf.ruleset("r").table("nat").chain("POSTROUTING").rules().get(0).counter().packets())
                .as("MASQUERADE saw the first packet of each flow: ping, 5353, 7").isEqualTo(3);

        // 4. Every skb has exactly one fate; nothing is held (no ARP queue, no fragment).
        assertThat(fates.values()).allMatch(n -> n == 1);
        assertThat(fates.keySet()).containsExactlyInAnyOrderElementsOf(born);
    }

    @Test
    void conntrackAndNatBindingsSurviveAnIptablesChange() {
        int client = udp("a", 0);
        int listener = udp("b", 5353);
        sendto("a", client, "first", B, 5353);
        List<NfConntrack.Conn> before = nf.conntrack("r").entries();
        assertThat(before).hasSize(1);
        long masq = nf.ruleset("r").table("nat").chain("POSTROUTING").rules().get(0).counter().packets();

        // iptables -A FORWARD -p tcp -j ACCEPT: the whole firewall is republished.
        stack.configure(host("r", R_YAML.replace("  COMMIT\n", "  COMMIT\n  *filter\n  :INPUT ACCEPT [0:0]\n"
                + "  :FORWARD ACCEPT [0:0]\n  :OUTPUT ACCEPT [0:0]\n  -A FORWARD -p tcp -j ACCEPT\n  COMMIT\n")));
        assertThat(nf.ruleset("r").table("filter")).isNotNull();
        assertThat(nf.conntrack("r").entries()).as("conntrack entries kept").containsExactlyElementsOf(before);
        assertThat(nf.ruleset("r").table("nat").chain("POSTROUTING").rules().get(0).counter().packets())
                .as("the unchanged rule keeps its counter").isEqualTo(masq);

        // The NAT binding still applies: a second datagram of the flow goes out masqueraded
        // without running the nat table again (its counter does not move).
        sendto("a", client, "second", B, 5353);
        recvfrom("b", listener);
        SocketLayer.Result second = recvfrom("b", listener);
        assertThat(second.isOk()).isTrue();
        assertThat(second.addr()).isEqualTo(R1);
        assertThat(nf.ruleset("r").table("nat").chain("POSTROUTING").rules().get(0).counter().packets()).isEqualTo(masq);
    }

    @Test
    void aLearnedNeighbourSurvivesARouteAdd() {
        ping(1);
        Neighbour.Entry learned = l3.host("a").neigh().lookup(R0, "eth0");
        assertThat(learned).isNotNull();
        int state = learned.state();
        int arpBefore = arpFrames;

        // ip route add 203.0.113.0/24 via 192.0.2.1 on a.
        stack.configure(host("a", A_YAML.replace("routes:\n", "routes:\n  - {dst: \"203.0.113.0/24\", via: \"192.0.2.1\", dev: eth0}\n")));
        assertThat(l3.host("a").fib().lookup(Inet.parse("203.0.113.9")).ok()).isTrue();
        assertThat(l3.host("a").neigh().lookup(R0, "eth0")).as("the same entry").isSameAs(learned);
        assertThat(learned.state()).isEqualTo(state);
        ping(2);
        assertThat(arpFrames).as("no new ARP request").isEqualTo(arpBefore);
        assertThat(counter("a", "IcmpInEchoReps")).isEqualTo(2);
    }

    @Test
    void aTcpConnectionSurvivesASysctlChange() {
        int[] fd = new int[2];
        stack.run("socket", ctx -> {
            fd[0] = (int) sock.socketCreate("b", "tcp").value();
            sock.bind(ctx, "b", fd[0], 0, 8080);
            sock.listen(ctx, "b", fd[0], 16);
            fd[1] = (int) sock.socketCreate("a", "tcp").value();
            sock.connect(ctx, "a", fd[1], B, 8080);
        });
        for (int i = 0; i < 20 && sock.fd("a", fd[1]).state() != SocketLayer.SockState.CONNECTED; i++) {
            pump();
            stack.advance(10_000_000L);
        }
        assertThat(sock.fd("a", fd[1]).state()).isEqualTo(SocketLayer.SockState.CONNECTED);
        TcpSock conn = l4.host("a").tcp().connections().iterator().next();

        // sysctl -w net.ipv4.tcp_sack=0 on both ends while the connection is up.
        stack.configure(host("a", A_YAML + "  net.ipv4.tcp_sack: 0\n"));
        stack.configure(host("b", B_YAML + "  net.ipv4.tcp_sack: 0\n"));
        assertThat(l4.host("a").config().sysctl().raw("net.ipv4.tcp_sack")).isEqualTo("0");
        assertThat(l4.host("a").tcp().connections()).containsExactly(conn);
        assertThat(conn.state()).isEqualTo(TcpState.TCP_ESTABLISHED);

        SocketLayer.Result[] acc = new SocketLayer.Result[1];
        stack.run("socket", ctx -> acc[0] = sock.accept(ctx, "b", fd[0]));
        assertThat(acc[0].isOk()).isTrue();
        stack.run("socket", ctx -> assertThat(sock.send(ctx, "a", fd[1], "after the change".getBytes(StandardCharsets.US_ASCII)).isOk()).isTrue());
        pump();
        SocketLayer.Result r = new SocketLayer.Result(0, null, null, 0, 0);
        for (int i = 0; i < 20; i++) {
            SocketLayer.Result[] rr = new SocketLayer.Result[1];
            stack.run("socket", ctx -> rr[0] = sock.recv(ctx, "b", (int) acc[0].value(), 100));
            if (rr[0].isOk() && rr[0].value() > 0) {
                r = rr[0];
                break;
            }
            stack.advance(10_000_000L);
            pump();
        }
        assertThat(new String(r.data(), StandardCharsets.US_ASCII)).isEqualTo("after the change");
        assertThat(counter("a", "TcpEstabResets") + counter("b", "TcpEstabResets")).isZero();
    }

    static boolean delivered(Fate f) { return f instanceof Fate.Delivered; }
}
