package io.netstack.net.netfilter;

import io.netstack.config.HostConfig;
import io.netstack.skb.SkBuff;
import io.netstack.stack.StepContext;
import io.netstack.wire.Bytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static io.netstack.net.netfilter.Pkt.*;
import static org.assertj.core.api.Assertions.assertThat;

class IpTablesHookTest {

    static final String NS = "h1";
    static final long SEC = 1_000_000_000L;
    final AtomicLong ids = new AtomicLong(1);
    long now = 5 * SEC;

    StepContext ctx() { return new StepContext("l3", "test", now, ids::getAndIncrement); }

    IpTables load(String firewall) {
        IpTables nf = new IpTables();
        nf.configure(Pkt.router(NS, firewall));
        return nf;
    }

    /** The path of a forwarded packet: PRE_ROUTING, FORWARD, POST_ROUTING, stopping at the first non-accept. */
    NfVerdict forward(IpTables nf, SkBuff skb, String in, String out) {
        NfVerdict v = nf.hook(NfHook.PRE_ROUTING, skb, in, "", ctx());
        if (!(v instanceof NfVerdict.Accept)) return v;
        v = nf.hook(NfHook.FORWARD, skb, in, out, ctx());
        if (!(v instanceof NfVerdict.Accept)) return v;
        return nf.hook(NfHook.POST_ROUTING, skb, "", out, ctx());
    }

    NfVerdict input(IpTables nf, SkBuff skb, String in) {
        NfVerdict v = nf.hook(NfHook.PRE_ROUTING, skb, in, "", ctx());
        if (!(v instanceof NfVerdict.Accept)) return v;
        return nf.hook(NfHook.LOCAL_IN, skb, in, "", ctx());
    }

    // --- stateless filter -------------------------------------------------------------------

    static final String INPUT_DROP_UDP = """
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            -A INPUT -p udp -m udp --dport 9999 -j DROP
            -A INPUT -s 192.0.2.0/24 -i eth+ -p tcp -m multiport --dports 22,80:90 -j ACCEPT
            -A INPUT -p icmp -m icmp --icmp-type echo-request -j DROP
            -A INPUT -p tcp -m tcp --syn -j DROP
            COMMIT
            """;

    static Stream<Arguments> inputCases() {
        return Stream.of(
                Arguments.of("udp to 9999 dropped", udp("192.0.2.1", 40000, "192.0.2.2", 9999, "hello".getBytes()), "eth0", false, 0),
                Arguments.of("udp to 5353 accepted by policy", udp("192.0.2.1", 40000, "192.0.2.2", 5353, "hello".getBytes()), "eth0", true, -1),
                Arguments.of("tcp syn to 85 from the subnet accepted by multiport", tcp("192.0.2.1", 40000, "192.0.2.2", 85, 1, 0, SYN), "eth0", true, 1),
                Arguments.of("tcp syn to 85 from elsewhere dropped by --syn", tcp("10.0.0.1", 40000, "192.0.2.2", 85, 1, 0, SYN), "eth0", false, 3),
                Arguments.of("tcp ack to 443 accepted by policy", tcp("10.0.0.1", 40000, "192.0.2.2", 443, 1, 1, ACK), "eth0", true, -1),
                Arguments.of("echo request dropped", echo("192.0.2.1", "192.0.2.2", 8, 7, 1), "eth0", false, 2),
                Arguments.of("echo reply accepted", echo("192.0.2.1", "192.0.2.2", 0, 7, 1), "eth0", true, -1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputCases")
    void inputChainDecidesAndCounts(String name, byte[] packet, String in, boolean accepted, int ruleIndex) {
        IpTables nf = load(INPUT_DROP_UDP);
        SkBuff skb = Pkt.skb(NS, packet);
        NfVerdict v = input(nf, skb, in);
        assertThat(v).isInstanceOf(accepted ? NfVerdict.Accept.class : NfVerdict.Drop.class);
        Ruleset.Chain chain = nf.ruleset(NS).table("filter").chain("INPUT");
        for (int i = 0; i < chain.rules().size(); i++) {
            Ruleset.Counter c = chain.rules().get(i).counter();
            assertThat(c.packets()).as("rule %d packets", i + 1).isEqualTo(i == ruleIndex ? 1 : 0);
            assertThat(c.bytes()).as("rule %d bytes", i + 1).isEqualTo(i == ruleIndex ? packet.length : 0);
        }
        assertThat(chain.policyCounter().packets()).isEqualTo(ruleIndex < 0 ? 1 : 0);
        assertThat(chain.policyCounter().bytes()).isEqualTo(ruleIndex < 0 ? packet.length : 0);
        // stateless rules: no conntrack
        assertThat(nf.tracking(NS)).isFalse();
        assertThat(skb.cb().nfCtId).isZero();
        assertThat(Pkt.bytes(skb)).isEqualTo(packet);
    }

    @Test
    void userChainsJumpReturnAndGoto() {
        IpTables nf = load("""
                *filter
                :INPUT DROP [0:0]
                :FORWARD ACCEPT [0:0]
                :OUTPUT ACCEPT [0:0]
                :udpin - [0:0]
                :tail - [0:0]
                -A INPUT -p udp -j udpin
                -A INPUT -p udp -m udp --dport 53 -j ACCEPT
                -A udpin -p udp -m udp --dport 53 -j RETURN
                -A udpin -p udp -m udp --dport 67 -g tail
                -A udpin -j DROP
                -A tail -j RETURN
                COMMIT
                """);
        assertThat(input(nf, Pkt.skb(NS, udp("192.0.2.1", 1, "192.0.2.2", 53, new byte[4])), "eth0")).isEqualTo(NfVerdict.ACCEPT);
        assertThat(input(nf, Pkt.skb(NS, udp("192.0.2.1", 1, "192.0.2.2", 54, new byte[4])), "eth0")).isEqualTo(NfVerdict.DROP);
        // -g tail then RETURN in tail: back to INPUT's caller, i.e. the end of INPUT: its policy DROP
        assertThat(input(nf, Pkt.skb(NS, udp("192.0.2.1", 1, "192.0.2.2", 67, new byte[4])), "eth0")).isEqualTo(NfVerdict.DROP);
        Ruleset.Chain input = nf.ruleset(NS).table("filter").chain("INPUT");
        assertThat(input.rules().get(0).counter().packets()).isEqualTo(3);
        assertThat(input.rules().get(1).counter().packets()).isEqualTo(1);
        assertThat(input.policyCounter().packets()).isEqualTo(1);
        assertThat(nf.ruleset(NS).listVerbose("filter")).contains("Chain INPUT (policy DROP 1 packets, 32 bytes)");
    }

    // --- conntrack ------------------------------------------------------------------------------

    static final String ESTABLISHED_FORWARD = """
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
            -A FORWARD -i eth0 -o eth1 -j ACCEPT
            -A FORWARD -m conntrack --ctstate NEW -j DROP
            COMMIT
            """;

    @Test
    void newDroppedWhileEstablishedAccepted() {
        // nf-conntrack-established-accept-new-drop: SYN out, SYN-ACK back, a new SYN from outside.
        IpTables nf = load(ESTABLISHED_FORWARD);
        assertThat(nf.tracking(NS)).isTrue();
        SkBuff syn = Pkt.skb(NS, tcp("192.0.2.1", 40000, "203.0.113.9", 80, 1000, 0, SYN));
        assertThat(forward(nf, syn, "eth0", "eth1")).isEqualTo(NfVerdict.ACCEPT);
        assertThat(syn.cb().nfCtinfo).isEqualTo(NfConntrack.IP_CT_NEW);
        NfConntrack.Conn ct = nf.conntrack(NS).get(syn);
        assertThat(ct.tcpState()).isEqualTo(NfConntrack.TCP_SYN_SENT);

        SkBuff synack = Pkt.skb(NS, tcp("203.0.113.9", 80, "192.0.2.1", 40000, 5000, 1001, SYN | ACK));
        assertThat(forward(nf, synack, "eth1", "eth0")).isEqualTo(NfVerdict.ACCEPT);
        assertThat(synack.cb().nfCtinfo).isEqualTo(NfConntrack.IP_CT_ESTABLISHED_REPLY);
        assertThat(ct.tcpState()).isEqualTo(NfConntrack.TCP_SYN_RECV);
        assertThat(ct.seenReply()).isTrue();

        SkBuff ack = Pkt.skb(NS, tcp("192.0.2.1", 40000, "203.0.113.9", 80, 1001, 5001, ACK));
        assertThat(forward(nf, ack, "eth0", "eth1")).isEqualTo(NfVerdict.ACCEPT);
        assertThat(ack.cb().nfCtinfo).isEqualTo(NfConntrack.IP_CT_ESTABLISHED);
        assertThat(ct.tcpState()).isEqualTo(NfConntrack.TCP_ESTABLISHED);
        assertThat(ct.assured()).isTrue();

        SkBuff intruder = Pkt.skb(NS, tcp("203.0.113.7", 5555, "192.0.2.1", 22, 77, 0, SYN));
        assertThat(forward(nf, intruder, "eth1", "eth0")).isEqualTo(NfVerdict.DROP);
        Ruleset.Chain fwd = nf.ruleset(NS).table("filter").chain("FORWARD");
        assertThat(fwd.rules().get(0).counter().packets()).isEqualTo(2);   // SYN-ACK, ACK
        assertThat(fwd.rules().get(1).counter().packets()).isEqualTo(1);   // SYN
        assertThat(fwd.rules().get(2).counter().packets()).isEqualTo(1);   // intruder
        assertThat(nf.conntrack(NS).entries()).hasSize(1);                  // the dropped SYN's entry was freed
    }

    @Test
    void tcpCloseWalksTheStateTable() {
        IpTables nf = load(ESTABLISHED_FORWARD);
        String a = "192.0.2.1", b = "203.0.113.9";
        int[][] steps = {
                // dir (0 a->b, 1 b->a), seq, ack, flags, expected state
                {0, 100, 0, SYN, NfConntrack.TCP_SYN_SENT},
                {1, 900, 101, SYN | ACK, NfConntrack.TCP_SYN_RECV},
                {0, 101, 901, ACK, NfConntrack.TCP_ESTABLISHED},
                {0, 101, 901, FIN | ACK, NfConntrack.TCP_FIN_WAIT},
                {1, 901, 102, ACK, NfConntrack.TCP_CLOSE_WAIT},
                {1, 901, 102, FIN | ACK, NfConntrack.TCP_LAST_ACK},
                {0, 102, 902, ACK, NfConntrack.TCP_TIME_WAIT}};
        NfConntrack.Conn ct = null;
        for (int[] s : steps) {
            byte[] p = s[0] == 0 ? tcp(a, 40000, b, 80, s[1], s[2], s[3]) : tcp(b, 80, a, 40000, s[1], s[2], s[3]);
            SkBuff skb = Pkt.skb(NS, p);
            assertThat(forward(nf, skb, s[0] == 0 ? "eth0" : "eth1", s[0] == 0 ? "eth1" : "eth0")).isEqualTo(NfVerdict.ACCEPT);
            ct = nf.conntrack(NS).get(skb);
            assertThat(ct).isNotNull();
            assertThat(NfConntrack.TCP_STATE_NAMES[ct.tcpState()]).isEqualTo(NfConntrack.TCP_STATE_NAMES[s[4]]);
        }
        // TIME_WAIT lasts 120 s
        assertThat(ct.timeoutNanos() - now).isEqualTo(120 * SEC);
    }

    @Test
    void outOfWindowAndStrayPacketsAreInvalid() {
        IpTables nf = load("""
                *filter
                :FORWARD ACCEPT [0:0]
                -A FORWARD -m state --state INVALID -j DROP
                COMMIT
                """);
        assertThat(forward(nf, Pkt.skb(NS, tcp("192.0.2.1", 1, "203.0.113.9", 80, 100, 0, SYN)), "eth0", "eth1")).isEqualTo(NfVerdict.ACCEPT);
        // a SYN-ACK acknowledging the wrong sequence: outside the window (ACK over the upper bound)
        assertThat(forward(nf, Pkt.skb(NS, tcp("203.0.113.9", 80, "192.0.2.1", 1, 900, 5000, SYN | ACK)), "eth1", "eth0")).isEqualTo(NfVerdict.DROP);
        // SYN+FIN is never valid (tcp_valid_flags)
        assertThat(forward(nf, Pkt.skb(NS, tcp("192.0.2.1", 2, "203.0.113.9", 80, 1, 0, SYN | FIN)), "eth0", "eth1")).isEqualTo(NfVerdict.DROP);
        // an echo reply nobody asked for
        assertThat(forward(nf, Pkt.skb(NS, echo("192.0.2.1", "203.0.113.9", 0, 1, 1)), "eth0", "eth1")).isEqualTo(NfVerdict.DROP);
        // a bad TCP checksum at PRE_ROUTING with nf_conntrack_checksum=1
        byte[] bad = tcp("192.0.2.1", 3, "203.0.113.9", 80, 1, 0, SYN);
        bad[36] ^= 1;
        assertThat(forward(nf, Pkt.skb(NS, bad), "eth0", "eth1")).isEqualTo(NfVerdict.DROP);
        assertThat(nf.ruleset(NS).table("filter").chain("FORWARD").rules().get(0).counter().packets()).isEqualTo(4);
    }

    @Test
    void midstreamPickupFollowsTcpLoose() {
        String rules = "*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -m conntrack --ctstate INVALID -j DROP\nCOMMIT\n";
        IpTables loose = load(rules);
        SkBuff ack = Pkt.skb(NS, tcp("192.0.2.1", 1, "203.0.113.9", 80, 100, 200, ACK));
        assertThat(forward(loose, ack, "eth0", "eth1")).isEqualTo(NfVerdict.ACCEPT);
        assertThat(ack.cb().nfCtinfo).isEqualTo(NfConntrack.IP_CT_NEW);
        assertThat(loose.conntrack(NS).get(ack).tcpState()).isEqualTo(NfConntrack.TCP_ESTABLISHED);

        IpTables strict = new IpTables();
        HostConfig h = Pkt.router(NS, rules);
        java.util.Map<String, String> sys = new java.util.HashMap<>(h.sysctl().asMap());
        sys.put("net.netfilter.nf_conntrack_tcp_loose", "0");
        strict.configure(new HostConfig(NS, h.interfaces(), h.routes(), h.neighbors(), new io.netstack.config.Sysctls(sys),
                h.sockets(), h.firewall(), h.source()));
        assertThat(forward(strict, Pkt.skb(NS, tcp("192.0.2.1", 1, "203.0.113.9", 80, 100, 200, ACK)), "eth0", "eth1"))
                .isEqualTo(NfVerdict.DROP);
    }

    @Test
    void udpEntryTimesOutOnTheDrivenClock() {
        IpTables nf = load(ESTABLISHED_FORWARD);
        SkBuff q = Pkt.skb(NS, udp("192.0.2.1", 5000, "203.0.113.9", 53, new byte[8]));
        assertThat(forward(nf, q, "eth0", "eth1")).isEqualTo(NfVerdict.ACCEPT);
        now += 29 * SEC;
        SkBuff r = Pkt.skb(NS, udp("203.0.113.9", 53, "192.0.2.1", 5000, new byte[8]));
        assertThat(forward(nf, r, "eth1", "eth0")).isEqualTo(NfVerdict.ACCEPT);
        assertThat(r.cb().nfCtinfo).isEqualTo(NfConntrack.IP_CT_ESTABLISHED_REPLY);
        // the first reply is handled before IPS_SEEN_REPLY is set: still the unreplied 30 s
        assertThat(nf.conntrack(NS).get(r).timeoutNanos() - now).isEqualTo(30 * SEC);
        SkBuff q2 = Pkt.skb(NS, udp("192.0.2.1", 5000, "203.0.113.9", 53, new byte[8]));
        assertThat(forward(nf, q2, "eth0", "eth1")).isEqualTo(NfVerdict.ACCEPT);
        assertThat(q2.cb().nfCtinfo).isEqualTo(NfConntrack.IP_CT_ESTABLISHED);
        // replied and older than 2 s: a stream, 120 s, assured
        assertThat(nf.conntrack(NS).get(q2).timeoutNanos() - now).isEqualTo(120 * SEC);
        assertThat(nf.conntrack(NS).get(q2).assured()).isTrue();
        now += 121 * SEC;
        SkBuff late = Pkt.skb(NS, udp("203.0.113.9", 53, "192.0.2.1", 5000, new byte[8]));
        assertThat(forward(nf, late, "eth1", "eth0")).isEqualTo(NfVerdict.DROP);   // NEW again, from outside
        assertThat(late.cb().nfCtinfo).isEqualTo(NfConntrack.IP_CT_NEW);
    }

    @Test
    void icmpErrorAboutATrackedFlowIsRelated() {
        IpTables nf = load(ESTABLISHED_FORWARD);
        byte[] syn = tcp("192.0.2.1", 40000, "203.0.113.9", 80, 1000, 0, SYN);
        assertThat(forward(nf, Pkt.skb(NS, syn), "eth0", "eth1")).isEqualTo(NfVerdict.ACCEPT);
        SkBuff err = Pkt.skb(NS, icmpError("198.51.100.2", "192.0.2.1", 3, 1, syn));
        assertThat(forward(nf, err, "eth1", "eth0")).isEqualTo(NfVerdict.ACCEPT);
        assertThat(err.cb().nfCtinfo).isEqualTo(NfConntrack.IP_CT_RELATED_REPLY);
        // about a flow never seen: INVALID, so the NEW rule does not catch it and the policy accepts
        SkBuff stray = Pkt.skb(NS, icmpError("198.51.100.2", "192.0.2.1", 3, 1, tcp("192.0.2.1", 1, "203.0.113.9", 81, 1, 0, SYN)));
        forward(nf, stray, "eth1", "eth0");
        assertThat(stray.cb().nfCtId).isZero();
    }

    // --- NAT ----------------------------------------------------------------------------------

    static final String DNAT = """
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            COMMIT
            *nat
            :PREROUTING ACCEPT [0:0]
            :INPUT ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            :POSTROUTING ACCEPT [0:0]
            -A PREROUTING -d 192.0.2.2/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 203.0.113.9:80
            COMMIT
            """;

    @Test
    void dnatAtPreroutingThenTheReplyIsUndone() {
        IpTables nf = load(DNAT);
        byte[] in = tcp("192.0.2.1", 40000, "192.0.2.2", 8080, 1000, 0, SYN);
        SkBuff syn = Pkt.skb(NS, in);
        assertThat(nf.hook(NfHook.PRE_ROUTING, syn, "eth0", "", ctx())).isEqualTo(NfVerdict.ACCEPT);
        byte[] p = Pkt.bytes(syn);
        assertThat(dst(p)).isEqualTo("203.0.113.9");
        assertThat(dport(p)).isEqualTo(80);
        assertThat(src(p)).isEqualTo("192.0.2.1");
        assertThat(sport(p)).isEqualTo(40000);
        assertThat(ipChecksumOk(p)).isTrue();
        assertThat(l4ChecksumOk(p)).isTrue();
        assertThat(nf.hook(NfHook.FORWARD, syn, "eth0", "eth1", ctx())).isEqualTo(NfVerdict.ACCEPT);
        assertThat(nf.hook(NfHook.POST_ROUTING, syn, "", "eth1", ctx())).isEqualTo(NfVerdict.ACCEPT);
        assertThat(Pkt.bytes(syn)).isEqualTo(p);
        assertThat(nf.ruleset(NS).table("nat").chain("PREROUTING").rules().get(0).counter().packets()).isEqualTo(1);
        NfConntrack.Conn ct = nf.conntrack(NS).get(syn);
        assertThat(ct.dstNat()).isTrue();
        assertThat(ct.reply().toString()).isEqualTo("src=203.0.113.9 dst=192.0.2.1 sport=80 dport=40000");

        SkBuff synack = Pkt.skb(NS, tcp("203.0.113.9", 80, "192.0.2.1", 40000, 5000, 1001, SYN | ACK));
        assertThat(forward(nf, synack, "eth1", "eth0")).isEqualTo(NfVerdict.ACCEPT);
        byte[] r = Pkt.bytes(synack);
        assertThat(src(r)).isEqualTo("192.0.2.2");
        assertThat(sport(r)).isEqualTo(8080);
        assertThat(dst(r)).isEqualTo("192.0.2.1");
        assertThat(ipChecksumOk(r)).isTrue();
        assertThat(l4ChecksumOk(r)).isTrue();
        assertThat(synack.cb().nfCtinfo).isEqualTo(NfConntrack.IP_CT_ESTABLISHED_REPLY);

        // the next packet of the flow is rewritten without the nat chain running again
        SkBuff ack = Pkt.skb(NS, tcp("192.0.2.1", 40000, "192.0.2.2", 8080, 1001, 5001, ACK));
        assertThat(forward(nf, ack, "eth0", "eth1")).isEqualTo(NfVerdict.ACCEPT);
        assertThat(dst(Pkt.bytes(ack))).isEqualTo("203.0.113.9");
        assertThat(nf.ruleset(NS).table("nat").chain("PREROUTING").rules().get(0).counter().packets()).isEqualTo(1);
        assertThat(ct.tcpState()).isEqualTo(NfConntrack.TCP_ESTABLISHED);
    }

    @Test
    void dnatOfTheScenarioGivesTheRecordedFrame() {
        // nf-dnat-prerouting-forward: the IPv4 packet Linux sent on eth1 (TTL decremented by l3, not here).
        byte[] wire = hex("4500003c100100004006" + "0000" + "c0000201c0000202" + "9c401f90000003e800000000a002faf0" + "0000"
                + "0000020405b40402080a000003e80000000001030307");
        Bytes.put16(wire, 10, io.netstack.wire.InetChecksum.compute(wire, 0, 20));
        Bytes.put16(wire, 36, io.netstack.wire.InetChecksum.transport(Bytes.u32(wire, 12), Bytes.u32(wire, 16), 6, wire, 20, 40));
        IpTables nf = load(DNAT);
        SkBuff skb = Pkt.skb(NS, wire);
        assertThat(forward(nf, skb, "eth0", "eth1")).isEqualTo(NfVerdict.ACCEPT);
        byte[] out = Pkt.bytes(skb);
        // expected.json frame (after the Ethernet header), with TTL 64 (l3 decrements to 63 and fixes the checksum)
        byte[] linux = hex("4500003c100000003f066db1c0000201cb0071099c400050000003e800000000a002faf0aaa30000020405b40402080a000003e80000000001030307");
        linux[8] = 64;
        Bytes.put16(linux, 10, 0);
        Bytes.put16(linux, 10, io.netstack.wire.InetChecksum.compute(linux, 0, 20));
        // the recorded frame has id 0x1000 where this fixture has 0x1001; align it
        out[4] = linux[4];
        out[5] = linux[5];
        Bytes.put16(out, 10, 0);
        Bytes.put16(out, 10, io.netstack.wire.InetChecksum.compute(out, 0, 20));
        assertThat(out).isEqualTo(linux);
    }

    @Test
    void masqueradeRewritesTheSourceAndRepliesComeBack() {
        IpTables nf = load("""
                *nat
                :POSTROUTING ACCEPT [0:0]
                -A POSTROUTING -o eth1 -j MASQUERADE
                COMMIT
                """);
        SkBuff q = Pkt.skb(NS, udp("192.0.2.1", 5000, "203.0.113.9", 53, "abc".getBytes()));
        assertThat(forward(nf, q, "eth0", "eth1")).isEqualTo(NfVerdict.ACCEPT);
        byte[] p = Pkt.bytes(q);
        assertThat(src(p)).isEqualTo("198.51.100.1");
        assertThat(sport(p)).isEqualTo(5000);
        assertThat(ipChecksumOk(p) && l4ChecksumOk(p)).isTrue();

        SkBuff r = Pkt.skb(NS, udp("203.0.113.9", 53, "198.51.100.1", 5000, "xyz".getBytes()));
        assertThat(nf.hook(NfHook.PRE_ROUTING, r, "eth1", "", ctx())).isEqualTo(NfVerdict.ACCEPT);
        byte[] rp = Pkt.bytes(r);
        assertThat(dst(rp)).isEqualTo("192.0.2.1");
        assertThat(dport(rp)).isEqualTo(5000);
        assertThat(ipChecksumOk(rp) && l4ChecksumOk(rp)).isTrue();
    }

    @Test
    void udpWithoutChecksumStaysWithout() {
        IpTables nf = load("-t nat -A POSTROUTING -j SNAT --to-source 198.51.100.1\n");
        byte[] pkt = udp("192.0.2.1", 5000, "203.0.113.9", 53, "abc".getBytes());
        Bytes.put16(pkt, 26, 0);
        SkBuff q = Pkt.skb(NS, pkt);
        assertThat(forward(nf, q, "eth0", "eth1")).isEqualTo(NfVerdict.ACCEPT);
        byte[] p = Pkt.bytes(q);
        assertThat(src(p)).isEqualTo("198.51.100.1");
        assertThat(Bytes.u16(p, 26)).isZero();
        assertThat(ipChecksumOk(p)).isTrue();
    }

    @Test
    void icmpErrorAboutADnatedFlowIsTranslatedInside() {
        IpTables nf = load(DNAT);
        SkBuff syn = Pkt.skb(NS, tcp("192.0.2.1", 40000, "192.0.2.2", 8080, 1000, 0, SYN));
        assertThat(forward(nf, syn, "eth0", "eth1")).isEqualTo(NfVerdict.ACCEPT);
        byte[] forwarded = Pkt.bytes(syn);
        // a router behind eth1 says host unreachable about the forwarded SYN
        SkBuff err = Pkt.skb(NS, icmpError("198.51.100.2", "192.0.2.1", 3, 1, forwarded));
        assertThat(forward(nf, err, "eth1", "eth0")).isEqualTo(NfVerdict.ACCEPT);
        byte[] e = Pkt.bytes(err);
        assertThat(src(e)).isEqualTo("192.0.2.2");           // looks like a reply of the flow
        assertThat(dst(e)).isEqualTo("192.0.2.1");
        byte[] inner = java.util.Arrays.copyOfRange(e, 28, e.length);
        assertThat(dst(inner)).isEqualTo("192.0.2.2");        // what the client sent
        assertThat(dport(inner)).isEqualTo(8080);
        assertThat(ipChecksumOk(inner)).isTrue();
        assertThat(ipChecksumOk(e) && l4ChecksumOk(e)).isTrue();
    }

    // --- REJECT -------------------------------------------------------------------------------

    @Test
    void rejectWithTcpResetBuildsTheReset() {
        IpTables nf = load("-A INPUT -p tcp -m tcp --dport 23 -j REJECT --reject-with tcp-reset\n");
        byte[] payloadSeg = tcp("192.0.2.1", 40000, "192.0.2.2", 23, 0x10000000, 0, SYN);
        SkBuff skb = Pkt.skb(NS, payloadSeg);
        StepContext c = ctx();
        NfVerdict v = nf.hook(NfHook.LOCAL_IN, skb, "eth0", "", c);
        assertThat(v).isInstanceOf(NfVerdict.Reject.class);
        SkBuff rst = ((NfVerdict.Reject) v).reply();
        byte[] t = rst.dataBytes();
        assertThat(t).hasSize(20);
        assertThat(rst.transportHeader()).isEqualTo(rst.data());
        assertThat(Bytes.u16(t, 0)).isEqualTo(23);
        assertThat(Bytes.u16(t, 2)).isEqualTo(40000);
        assertThat(Bytes.u32(t, 4)).isZero();
        assertThat(Bytes.u32(t, 8)).isEqualTo(0x10000001);    // SYN counts one
        assertThat(t[13]).isEqualTo((byte) (RST | ACK));
        assertThat(Bytes.u16(t, 14)).isZero();
        assertThat(io.netstack.wire.InetChecksum.transport(io.netstack.wire.Inet.parse("192.0.2.2"),
                io.netstack.wire.Inet.parse("192.0.2.1"), 6, t, 0, 20)).isZero();
        assertThat(rst.cb().saddr).isEqualTo(io.netstack.wire.Inet.parse("192.0.2.2"));
        assertThat(rst.cb().daddr).isEqualTo(io.netstack.wire.Inet.parse("192.0.2.1"));
        assertThat(rst.cb().df).isTrue();
        assertThat(rst.cb().ttl).isEqualTo(64);
        assertThat(rst.cb().ipProtocol).isEqualTo(6);
        assertThat(rst.parentId()).isEqualTo(skb.id());

        // an ACK-bearing segment with data: seq = its ack, no ACK flag
        SkBuff data = Pkt.skb(NS, tcp("192.0.2.1", 40000, "192.0.2.2", 23, 5, 777, ACK | PSH, "hi".getBytes()));
        byte[] t2 = ((NfVerdict.Reject) nf.hook(NfHook.LOCAL_IN, data, "eth0", "", ctx())).reply().dataBytes();
        assertThat(Bytes.u32(t2, 4)).isEqualTo(777);
        assertThat(t2[13]).isEqualTo((byte) RST);
        // no RST for a RST
        assertThat(nf.hook(NfHook.LOCAL_IN, Pkt.skb(NS, tcp("192.0.2.1", 40000, "192.0.2.2", 23, 5, 0, RST)), "eth0", "", ctx()))
                .isEqualTo(NfVerdict.DROP);
    }

    @Test
    void rejectWithIcmpDropsWhenIcmpSendsNothing() {
        // Icmp.icmpSend is a stub returning null in this branch: the packet is dropped without a reply.
        IpTables nf = load("-A INPUT -p udp -j REJECT\n");
        assertThat(nf.hook(NfHook.LOCAL_IN, Pkt.skb(NS, udp("192.0.2.1", 1, "192.0.2.2", 9, new byte[2])), "eth0", "", ctx()))
                .isIn(NfVerdict.DROP);
        assertThat(nf.ruleset(NS).table("filter").chain("INPUT").rules().get(0).counter().packets()).isEqualTo(1);
    }

    @Test
    void aHostWithoutRulesAcceptsUntouched() {
        IpTables nf = load(null);
        SkBuff skb = Pkt.skb(NS, udp("192.0.2.1", 1, "192.0.2.2", 9, new byte[2]));
        StepContext c = ctx();
        assertThat(nf.hook(NfHook.PRE_ROUTING, skb, "eth0", "", c)).isEqualTo(NfVerdict.ACCEPT);
        assertThat(c.events()).isEmpty();
    }

    static byte[] hex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return b;
    }
}
