package io.netstack.fuzz;

import io.netstack.config.HostConfig;
import io.netstack.config.HostConfigParser;
import io.netstack.layer.Layers;
import io.netstack.layer.L3Layer;
import io.netstack.layer.SocketLayer;
import io.netstack.net.netfilter.IpTables;
import io.netstack.stack.InProcessStack;
import io.netstack.stack.Layer;
import io.netstack.stack.SkbEvent;
import io.netstack.stack.WireFrame;
import io.netstack.wire.Inet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

import static io.netstack.fuzz.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every layer's per-host state through a crash: the in-process stack runs a script (a UDP send
 * to an unresolved neighbour, the ARP reply, a datagram whose first fragment arrives before the
 * crash and its second after, a reply that only conntrack lets in, datagrams left in a socket's
 * receive queue); at step {@code k} every layer is replaced by a fresh instance that restores
 * the old one's snapshots. The frames sent, the fates and the bytes read at the sockets must be
 * those of the run without the crash.
 */
class LayerRestoreTest {

    static final int NEW_PEER = Inet.parse("192.0.2.9");
    static final byte[] NEW_PEER_MAC = {0x02, 0, 0, 0, 0, 0x09};

    /** The fuzz host with a firewall: INPUT takes UDP only for tracked flows (and port 5353); NAT loaded. */
    static HostConfig host() {
        try (InputStream in = LayerRestoreTest.class.getResourceAsStream("/fuzz/host.yaml")) {
            String yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8) + "firewall: |\n"
                    + "  *nat\n  :PREROUTING ACCEPT [0:0]\n  :INPUT ACCEPT [0:0]\n  :OUTPUT ACCEPT [0:0]\n"
                    + "  :POSTROUTING ACCEPT [0:0]\n  -A POSTROUTING -o eth0 -p udp -j MASQUERADE\n  COMMIT\n"
                    + "  *filter\n  :INPUT ACCEPT [0:0]\n  :FORWARD ACCEPT [0:0]\n  :OUTPUT ACCEPT [0:0]\n"
                    + "  -A INPUT -p udp --dport 5353 -j ACCEPT\n"
                    + "  -A INPUT -p udp -m conntrack --ctstate ESTABLISHED -j ACCEPT\n"
                    + "  -A INPUT -p udp -j DROP\n  COMMIT\n";
            return HostConfigParser.parse(yaml, "restore", "r");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    record Outcome(List<String> wire, List<String> fates, List<String> read) {}

    @ParameterizedTest(name = "crash before step {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7})
    void everyLayerRestoredGivesTheSameRun(int crashAt) {
        Outcome plain = run(-1);
        Outcome crashed = run(crashAt);
        assertThat(crashed.wire).containsExactlyElementsOf(plain.wire);
        assertThat(crashed.fates).containsExactlyElementsOf(plain.fates);
        assertThat(crashed.read).containsExactlyElementsOf(plain.read);
        // The script does reach the states under test.
        assertThat(plain.read).contains("5353<-192.0.2.1:7000 3000 bytes", "udp-client<-192.0.2.9:53 5 bytes");
        assertThat(plain.wire.get(0)).as("first frame: the ARP request").startsWith("ffffffffffff");
    }

    private Outcome run(int crashAt) {
        HostConfig cfg = host();
        String ns = cfg.netns();
        InProcessStack stack = new InProcessStack(Layers.standard(), 1_000_000_000L);
        List<String> wire = new ArrayList<>();
        List<String> fates = new ArrayList<>();
        List<String> read = new ArrayList<>();
        stack.onTransmit(f -> wire.add(HexFormat.of().formatHex(f.frame())));
        stack.onEvent((SkbEvent e) -> { if (e.fate() != null) fates.add(e.layer() + " " + e.fate().toString().replaceAll("\\[B@[0-9a-f]+", "bytes")); });
        stack.configure(cfg);
        int[] fd = new int[1];
        byte[] big = bytes(3000, 0x5a);
        byte[] dgram = ipv4(PEER_IP, OUR_IP, IPPROTO_UDP, 77, 0, 64, new byte[0], udp(PEER_IP, OUR_IP, 7000, UDP_PORT, big));
        List<byte[]> frags = fragment(dgram, 1480);
        List<Consumer<InProcessStack>> script = List.of(
                // 0: a UDP socket sends to a neighbour not yet resolved: ARP request, the skb queued on the entry
                s -> s.run("socket", c -> {
                    SocketLayer sl = (SocketLayer) s.layer("socket");
                    fd[0] = (int) sl.socketCreate(ns, "udp").value();
                    sl.sendto(c, ns, fd[0], "hello".getBytes(), NEW_PEER, 53);
                }),
                // 1: the ARP reply: the entry becomes REACHABLE, the queued datagram leaves (conntrack: NEW flow)
                s -> s.receiveFrame(new WireFrame(ns, "eth0", eth(OUR_MAC, NEW_PEER_MAC, ETH_P_ARP,
                        arp(2, NEW_PEER_MAC, NEW_PEER, OUR_MAC, OUR_IP)), s.nowNanos())),
                // 2: the first fragment of a 3000-byte datagram to port 5353
                s -> s.receiveFrame(new WireFrame(ns, "eth0", ipFrame(OUR_MAC, frags.get(0)), s.nowNanos())),
                // 3: half a second later
                s -> s.advance(500_000_000L),
                // 4: the rest of the datagram: reassembled, queued on udp 0.0.0.0:5353
                s -> { for (int i = 1; i < frags.size(); i++) s.receiveFrame(new WireFrame(ns, "eth0", ipFrame(OUR_MAC, frags.get(i)), s.nowNanos())); },
                // 5: the peer's answer to the client: only the conntrack entry (ESTABLISHED) lets it in
                s -> {
                    int port = ((SocketLayer) s.layer("socket")).getsockname(ns, fd[0]).port();
                    s.receiveFrame(new WireFrame(ns, "eth0", eth(OUR_MAC, NEW_PEER_MAC, ETH_P_IP,
                            ipv4(NEW_PEER, OUR_IP, IPPROTO_UDP, udp(NEW_PEER, OUR_IP, 53, port, "howdy".getBytes()))), s.nowNanos()));
                },
                // 6: a second datagram to the client, sent without ARP (the entry is known)
                s -> s.run("socket", c -> ((SocketLayer) s.layer("socket")).sendto(c, ns, fd[0], "again".getBytes(), NEW_PEER, 53)),
                // 7: the applications read their queues
                s -> {
                    SocketLayer sl = (SocketLayer) s.layer("socket");
                    s.run("socket", c -> {
                        SocketLayer.Result r = sl.recvfrom(c, ns, fd[0], 65536);
                        read.add("udp-client<-" + Inet.format(r.addr()) + ":" + r.port() + " " + r.value() + " bytes");
                    });
                    SocketLayer.Datagram d = sl.socket(ns, "udp 0.0.0.0:5353").recv();
                    read.add("5353<-" + d.from() + " " + d.payload().length + " bytes");
                });
        for (int i = 0; i < script.size(); i++) {
            if (i == crashAt) {
                for (Layer fresh : List.<Layer>of(new io.netstack.layer.NicLayer(), new io.netstack.layer.SoftirqLayer(),
                        new L3Layer(new IpTables()), new io.netstack.layer.L4Layer(), new SocketLayer())) {
                    stack.restart(fresh);
                }
            }
            script.get(i).accept(stack);
        }
        if (crashAt >= 2 && crashAt <= 4) {
            assertThat(((L3Layer) stack.layer("l3")).host(ns).frags()).isNotNull();
        }
        return new Outcome(wire, fates, read);
    }
}
