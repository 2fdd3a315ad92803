package io.netstack.layer;

import io.netstack.net.ipv4.TcpIpv4;
import io.netstack.skb.PktType;
import io.netstack.skb.RouteResult;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.Fate;
import io.netstack.stack.KernelQueue;
import io.netstack.wire.Bytes;
import io.netstack.wire.Inet;
import io.netstack.wire.InetChecksum;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;

import static io.netstack.layer.L4Fixture.hex;
import static io.netstack.layer.L4Fixture.local;
import static io.netstack.layer.L4Fixture.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * L4Layer against the frames of the conformance scenarios: the input frame in, the
 * transport part of Linux's reply out (IP_LOCAL_OUT), counter deltas and the input's fate.
 */
class L4LayerTest {

    static final int PEER = Inet.parse("192.0.2.1");
    static final int US = Inet.parse("192.0.2.2");
    static final String SOCKETS = ""
            + "  - {proto: udp, bind: \"0.0.0.0:5353\"}\n"
            + "  - {proto: tcp, listen: \"0.0.0.0:80\", backlog: 128}\n";

    // --- input frames (in-eth0.pcap of each scenario) ---
    static final String ECHO_REQUEST = "020000000001020000000099080045000054100000004001e6a5c0000201c00002020800007500770001000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637";
    static final String UDP_TO_PORT_9 = "02000000000102000000009908004500002a100000004011e6bfc0000201c00002029c4000090016dcf7616e79626f64792d74686572653f";
    static final String SYN_TO_81 = "02000000000102000000009908004500003c100000004006e6b8c0000201c00002029c400051000003e800000000a002faf024aa0000020405b40402080a000003e80000000001030307";
    static final String ACK_TO_80 = "02000000000102000000009908004500002c100000004006e6c8c0000201c00002029c40005000001388000bde31501801f6c2b6000064617461";
    static final String SYN_TO_80 = "02000000000102000000009908004500003c100000004006e6b8c0000201c00002029c400050000003e800000000a002faf024ab0000020405b40402080a000003e80000000001030307";
    static final String ICMP_TYPE_99 = "020000000001020000000099080045000023100100004001e6d5c0000201c0000202630051e700000000747970652d3939";
    static final String ICMP_TYPE_7 = "020000000001020000000099080045000022100200004001e6d5c0000201c00002020700e6e900000000747970652d37";

    // --- the transport part of the frames Linux sent (expected.json, after Ethernet and IPv4) ---
    static final String ECHO_REPLY = "0000087500770001000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637";
    static final String PORT_UNREACHABLE = "03038128000000004500002a100000004011e6bfc0000201c00002029c4000090016dcf7616e79626f64792d74686572653f";
    static final String RST_ACK_FOR_SYN = "00519c4000000000000003e9501400008b520000";
    static final String RST_FOR_ACK = "00509c40000bde310000000050040000b10f0000";
    static final String SYN_ACK = "00509c40ebdf2889000003e9a012fe886c300000020405b40402080ae358bd0c000003e80103030a";

    L4Layer l4;

    @BeforeEach
    void setUp() {
        l4 = new L4Layer();
        l4.configure(L4Fixture.host(SOCKETS, ""));
    }

    record Case(String name, String kernelFunction, KernelQueue queue, String frame, String reply,
                int tos, boolean df, Map<String, Long> counters, Class<? extends Fate> fate, SkbDropReason reason) {
        @Override public String toString() { return name + " (" + kernelFunction + ")"; }
    }

    static Stream<Case> replies() {
        return Stream.of(
                new Case("icmp-echo-request", "icmp_echo/icmp_reply", KernelQueue.INET_PROTO_ICMP, ECHO_REQUEST, ECHO_REPLY, 0, false,
                        Map.of("IcmpInMsgs", 1L, "IcmpInEchos", 1L, "IcmpMsgInType8", 1L,
                                "IcmpOutMsgs", 1L, "IcmpOutEchoReps", 1L, "IcmpMsgOutType0", 1L),
                        Fate.Consumed.class, null),
                new Case("udp-unbound-port-unreachable", "__udp4_lib_rcv/__icmp_send", KernelQueue.INET_PROTO_UDP, UDP_TO_PORT_9, PORT_UNREACHABLE, 0xc0, false,
                        Map.of("UdpNoPorts", 1L, "IcmpOutMsgs", 1L, "IcmpOutDestUnreachs", 1L, "IcmpMsgOutType3", 1L),
                        Fate.Dropped.class, SkbDropReason.NO_SOCKET),
                new Case("tcp-syn-closed-port-rst", "tcp_v4_send_reset (no ACK: seq 0, ack seq+1)", KernelQueue.INET_PROTO_TCP, SYN_TO_81, RST_ACK_FOR_SYN, 0, true,
                        Map.of("TcpInSegs", 1L, "TcpOutSegs", 1L, "TcpOutRsts", 1L),
                        Fate.Dropped.class, SkbDropReason.NO_SOCKET),
                new Case("tcp-ack-no-connection-rst", "tcp_rcv_state_process LISTEN + tcp_v4_send_reset (seq = ack)", KernelQueue.INET_PROTO_TCP, ACK_TO_80, RST_FOR_ACK, 0, true,
                        Map.of("TcpInSegs", 1L, "TcpOutSegs", 1L, "TcpOutRsts", 1L),
                        Fate.Dropped.class, SkbDropReason.TCP_FLAGS));
    }

    @ParameterizedTest
    @MethodSource("replies")
    void repliesAsLinux(Case c) {
        SkBuff in = local(c.frame());
        L4Fixture.Visit v = run(l4, c.queue(), in);

        assertThat(hex(v.only(KernelQueue.IP_LOCAL_OUT))).isEqualTo(c.reply());
        SkBuff out = v.outputs(KernelQueue.IP_LOCAL_OUT).get(0).skb();
        assertThat(out.cb().daddr).isEqualTo(PEER);
        assertThat(out.cb().saddr).isEqualTo(US);
        assertThat(out.cb().tos).isEqualTo(c.tos());
        assertThat(out.cb().ttl).isZero();
        assertThat(out.cb().df).isEqualTo(c.df());
        assertThat(out.transportHeader()).isEqualTo(out.data());
        assertThat(v.counters()).isEqualTo(c.counters());
        assertThat(v.fate()).isInstanceOf(c.fate());
        if (c.reason() != null) assertThat(((Fate.Dropped) v.fate()).reason()).isEqualTo(c.reason());
    }

    /** tcp_conn_request + tcp_make_synack: scenario tcp-syn-listening-port-synack. */
    @Test
    void synToListenerGetsLinuxSynAck() {
        SkBuff in = local(SYN_TO_80);
        L4Fixture.Visit v = run(l4, KernelQueue.INET_PROTO_TCP, in);

        byte[] got = v.only(KernelQueue.IP_LOCAL_OUT);
        byte[] want = hex(SYN_ACK);
        // seq (the ISN), the checksum and tsval are volatile: mask them on both sides.
        for (byte[] b : new byte[][]{got, want}) {
            Arrays.fill(b, 4, 8, (byte) 0);
            Arrays.fill(b, 16, 18, (byte) 0);
            Arrays.fill(b, 28, 32, (byte) 0);
        }
        assertThat(hex(got)).isEqualTo(hex(want));
        byte[] real = v.only(KernelQueue.IP_LOCAL_OUT);
        assertThat(InetChecksum.transport(US, PEER, 6, real, 0, real.length)).isZero();
        SkBuff out = v.outputs(KernelQueue.IP_LOCAL_OUT).get(0).skb();
        assertThat(out.cb().df).isTrue();
        assertThat(out.cb().tos).isZero();
        assertThat(v.counters()).isEqualTo(Map.of("TcpInSegs", 1L, "TcpOutSegs", 1L));
        assertThat(v.fate()).isInstanceOf(Fate.Consumed.class);

        // The request sock waits in SYN_RECV for the handshake to finish.
        TcpIpv4.RequestSock req = l4.host(L4Fixture.NETNS).tcp().requests().iterator().next();
        assertThat(req.rcvIsn()).isEqualTo(1000);
        assertThat(req.sntIsn()).isEqualTo(Bytes.u32(real, 4));
        assertThat(req.rcvWnd()).isEqualTo(65160);
        assertThat(req.rcvWscale()).isEqualTo(10);
        assertThat(req.mss()).isEqualTo(1460);
    }

    /** tcp_check_req: the peer's SYN again gets the same SYN-ACK again (inet_rtx_syn_ack). */
    @Test
    void retransmittedSynGetsSynAckAgain() {
        L4Fixture.Visit first = run(l4, KernelQueue.INET_PROTO_TCP, local(SYN_TO_80));
        L4Fixture.Visit again = run(l4, KernelQueue.INET_PROTO_TCP, local(SYN_TO_80));
        byte[] a = first.only(KernelQueue.IP_LOCAL_OUT);
        byte[] b = again.only(KernelQueue.IP_LOCAL_OUT);
        assertThat(Bytes.u32(b, 4)).isEqualTo(Bytes.u32(a, 4));
        assertThat(again.counters()).containsEntry("TcpRetransSegs", 1L).containsEntry("TcpOutSegs", 1L);
    }

    /** tcp_synack_options without timestamps: MSS, NOP NOP SACK_PERM, NOP WScale; window uses the whole MSS. */
    @Test
    void synWithoutTimestampsGetsNopNopSackPerm() {
        byte[] syn = hex("9c400050000003e800000000" + "8002faf0" + "00000000" + "020405b4" + "04020103" + "03070000");
        // doff 8 (32 bytes): MSS, SACK_PERM, NOP, WScale 7, EOL padding.
        syn[12] = (byte) 0x80;
        Bytes.put16(syn, 16, 0);
        Bytes.put16(syn, 16, InetChecksum.transport(PEER, US, 6, syn, 0, syn.length));
        SkBuff in = L4Fixture.delivered(L4Fixture.frame(PEER, US, 6, 0, 0, syn), RouteResult.RTN_LOCAL, PktType.PACKET_HOST);
        byte[] out = run(l4, KernelQueue.INET_PROTO_TCP, in).only(KernelQueue.IP_LOCAL_OUT);
        assertThat(hex(Arrays.copyOfRange(out, 20, out.length))).isEqualTo("020405b4" + "01010402" + "0103030a");
        // 65536 rounded down to 1460: 44 * 1460 = 64240.
        assertThat(Bytes.u16(out, 14)).isEqualTo(64240);
    }

    static Stream<Arguments> icmpDrops() {
        return Stream.of(
                Arguments.of("icmp-unknown-type 99 (> NR_ICMP_TYPES: error)", ICMP_TYPE_99,
                        Map.of("IcmpInMsgs", 1L, "IcmpInErrors", 1L, "IcmpMsgInType99", 1L), SkbDropReason.UNHANDLED_PROTO),
                Arguments.of("icmp-unknown-type 7 (icmp_discard)", ICMP_TYPE_7,
                        Map.of("IcmpInMsgs", 1L, "IcmpMsgInType7", 1L), null));
    }

    /** icmp_rcv: the range check counts IcmpInErrors, icmp_discard does not. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("icmpDrops")
    void unknownIcmpTypes(String name, String frame, Map<String, Long> counters, SkbDropReason reason) {
        L4Fixture.Visit v = run(l4, KernelQueue.INET_PROTO_ICMP, local(frame));
        assertThat(v.outputs()).isEmpty();
        assertThat(v.counters()).isEqualTo(counters);
        if (reason == null) {
            assertThat(v.fate()).isInstanceOf(Fate.Consumed.class);
        } else {
            assertThat(((Fate.Dropped) v.fate()).reason()).isEqualTo(reason);
        }
    }

    static byte[] icmpEcho(int type) {
        byte[] m = hex("0800000000770001" + "6162636465666768");
        m[0] = (byte) type;
        Bytes.put16(m, 2, InetChecksum.compute(m, 0, m.length));
        return m;
    }

    /** icmp_rcv with icmp_echo_ignore_broadcasts=1: scenario icmp-echo-to-broadcast-ignored (goto error: IcmpInErrors). */
    @Test
    void echoToBroadcastIgnoredAndCountedAsError() {
        SkBuff in = L4Fixture.delivered(L4Fixture.frame(PEER, Inet.parse("192.0.2.255"), 1, 0, 0, icmpEcho(8)),
                RouteResult.RTN_BROADCAST, PktType.PACKET_BROADCAST);
        L4Fixture.Visit v = run(l4, KernelQueue.INET_PROTO_ICMP, in);
        assertThat(v.outputs()).isEmpty();
        assertThat(v.counters()).isEqualTo(Map.of("IcmpInMsgs", 1L, "IcmpInErrors", 1L, "IcmpInEchos", 1L, "IcmpMsgInType8", 1L));
        assertThat(((Fate.Dropped) v.fate()).reason()).isEqualTo(SkbDropReason.INVALID_PROTO);
    }

    /** icmp_echo with icmp_echo_ignore_broadcasts=0: the reply leaves the source to routing. */
    @Test
    void echoToBroadcastAnsweredWhenAllowed() {
        l4.configure(L4Fixture.host(SOCKETS, "  net.ipv4.icmp_echo_ignore_broadcasts: 0\n"));
        SkBuff in = L4Fixture.delivered(L4Fixture.frame(PEER, Inet.parse("192.0.2.255"), 1, 0, 0, icmpEcho(8)),
                RouteResult.RTN_BROADCAST, PktType.PACKET_BROADCAST);
        L4Fixture.Visit v = run(l4, KernelQueue.INET_PROTO_ICMP, in);
        SkBuff out = v.outputs(KernelQueue.IP_LOCAL_OUT).get(0).skb();
        assertThat(out.cb().saddr).isZero();
        assertThat(out.u8(out.data())).isZero();
    }

    /** icmp_rcv: skb_checksum_simple_validate fails -> IcmpInCsumErrors + IcmpInErrors. */
    @Test
    void icmpBadChecksum() {
        byte[] m = icmpEcho(8);
        m[2] ^= 1;
        L4Fixture.Visit v = run(l4, KernelQueue.INET_PROTO_ICMP,
                L4Fixture.delivered(L4Fixture.frame(PEER, US, 1, 0, 0, m), RouteResult.RTN_LOCAL, PktType.PACKET_HOST));
        assertThat(v.outputs()).isEmpty();
        assertThat(v.counters()).isEqualTo(Map.of("IcmpInMsgs", 1L, "IcmpInCsumErrors", 1L, "IcmpInErrors", 1L));
        assertThat(((Fate.Dropped) v.fate()).reason()).isEqualTo(SkbDropReason.ICMP_CSUM);
    }

    /** icmp_echo: icmp_echo_ignore_all consumes the request, no counter beyond the input ones. */
    @Test
    void echoIgnoreAll() {
        l4.configure(L4Fixture.host(SOCKETS, "  net.ipv4.icmp_echo_ignore_all: 1\n"));
        L4Fixture.Visit v = run(l4, KernelQueue.INET_PROTO_ICMP, local(ECHO_REQUEST));
        assertThat(v.outputs()).isEmpty();
        assertThat(v.counters()).isEqualTo(Map.of("IcmpInMsgs", 1L, "IcmpInEchos", 1L, "IcmpMsgInType8", 1L));
        assertThat(v.fate()).isInstanceOf(Fate.Consumed.class);
    }

    /** icmp_timestamp: type 14, the originate time copied, receive = transmit = ms since midnight, no data. */
    @Test
    void timestampReply() {
        byte[] m = hex("0d00000012340001" + "00000064" + "00000000" + "00000000");
        Bytes.put16(m, 2, InetChecksum.compute(m, 0, m.length));
        SkBuff in = L4Fixture.delivered(L4Fixture.frame(PEER, US, 1, 0, 0, m), RouteResult.RTN_LOCAL, PktType.PACKET_HOST);
        L4Fixture.Visit v = L4Fixture.run(l4, KernelQueue.INET_PROTO_ICMP, in, 5_000_000_000L);
        byte[] out = v.only(KernelQueue.IP_LOCAL_OUT);
        assertThat(out).hasSize(20);
        assertThat(hex(Arrays.copyOfRange(out, 0, 2))).isEqualTo("0e00");
        assertThat(hex(Arrays.copyOfRange(out, 4, 12))).isEqualTo("1234000100000064");
        assertThat(Bytes.u32(out, 12)).isEqualTo(5000).isEqualTo(Bytes.u32(out, 16));
        assertThat(InetChecksum.compute(out, 0, out.length)).isZero();
        // __ip_make_skb counts the ICMP socket's output by fl4_icmp_type, which icmp_reply leaves 0:
        // Linux 6.18 counts a timestamp reply as an echo reply (recorded/icmp-timestamp-request).
        assertThat(v.counters()).containsEntry("IcmpOutEchoReps", 1L).containsEntry("IcmpMsgOutType0", 1L)
                .containsEntry("IcmpInTimestamps", 1L).doesNotContainKey("IcmpOutTimestampReps");
    }

    // --- UDP ---

    static final String UDP_HELLO = "020000000001020000000099080045000021100100004011e6c7c0000201c00002029c4014e9000d86d468656c6c6f";
    static final String UDP_NO_CSUM = "020000000001020000000099080045000027100200004011e6c0c0000201c00002029c4114e9001300006e6f2d636865636b73756d";

    /** __udp4_lib_rcv -> udp_queue_rcv_skb: scenario udp-delivered-bound-port (with and without checksum). */
    @ParameterizedTest
    @MethodSource("udpDelivered")
    void udpToBoundPortGoesToTheSocketQueue(String frame, int sport, String payload) {
        L4Fixture.Visit v = run(l4, KernelQueue.INET_PROTO_UDP, local(frame));
        assertThat(hex(v.only(KernelQueue.SK_RECEIVE_QUEUE))).isEqualTo(payload);
        SkBuff q = v.outputs().get(0).skb();
        assertThat(q.cb().socket).isEqualTo("udp 0.0.0.0:5353");
        assertThat(q.cb().saddr).isEqualTo(PEER);
        assertThat(q.cb().sport).isEqualTo(sport);
        assertThat(q.cb().daddr).isEqualTo(US);
        assertThat(q.cb().dport).isEqualTo(5353);
        assertThat(v.counters()).isEmpty();
        assertThat(v.fate()).isNull();
    }

    static Stream<Arguments> udpDelivered() {
        return Stream.of(Arguments.of(UDP_HELLO, 40000, "68656c6c6f"), Arguments.of(UDP_NO_CSUM, 40001, "6e6f2d636865636b73756d"));
    }

    static Stream<Arguments> udpDrops() {
        // {name, udp bytes (header+payload), counters, reason}
        return Stream.of(
                Arguments.of("udp-bad-checksum to a bound port", "9c4014e9000d86d568656c6c6f",
                        Map.of("UdpInErrors", 1L, "UdpInCsumErrors", 1L), SkbDropReason.UDP_CSUM),
                Arguments.of("bad checksum to no socket: no ICMP", "9c400009000d86d568656c6c6f",
                        Map.of("UdpInErrors", 1L, "UdpInCsumErrors", 1L), SkbDropReason.UDP_CSUM),
                Arguments.of("length beyond the packet", "9c4014e9000e000068656c6c6f",
                        Map.of("UdpInErrors", 1L), SkbDropReason.PKT_TOO_SMALL),
                Arguments.of("length below the header", "9c4014e90007000068656c6c6f",
                        Map.of("UdpInErrors", 1L), SkbDropReason.PKT_TOO_SMALL),
                Arguments.of("shorter than a header", "9c4014e9000d",
                        Map.of("UdpInErrors", 1L), SkbDropReason.PKT_TOO_SMALL));
    }

    /** __udp4_lib_rcv's short_packet and csum_error labels. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("udpDrops")
    void udpDropsAsLinux(String name, String udp, Map<String, Long> counters, SkbDropReason reason) {
        SkBuff in = L4Fixture.delivered(L4Fixture.frame(PEER, US, 17, 0, 0, hex(udp)), RouteResult.RTN_LOCAL, PktType.PACKET_HOST);
        L4Fixture.Visit v = run(l4, KernelQueue.INET_PROTO_UDP, in);
        assertThat(v.outputs()).isEmpty();
        assertThat(v.counters()).isEqualTo(counters);
        assertThat(((Fate.Dropped) v.fate()).reason()).isEqualTo(reason);
    }

    static byte[] udp(int sport, int dport, String payload, int extraTail) {
        byte[] p = hex(payload);
        byte[] u = new byte[8 + p.length + extraTail];
        Bytes.put16(u, 0, sport);
        Bytes.put16(u, 2, dport);
        Bytes.put16(u, 4, 8 + p.length);
        System.arraycopy(p, 0, u, 8, p.length);
        Bytes.put16(u, 6, InetChecksum.transport(PEER, US, 17, u, 0, 8 + p.length));
        return u;
    }

    /** pskb_trim_rcsum: bytes past the UDP length are not delivered. */
    @Test
    void udpTrimmedToItsLength() {
        SkBuff in = L4Fixture.delivered(L4Fixture.frame(PEER, US, 17, 0, 0, udp(1, 5353, "6869", 3)), RouteResult.RTN_LOCAL, PktType.PACKET_HOST);
        assertThat(hex(run(l4, KernelQueue.INET_PROTO_UDP, in).only(KernelQueue.SK_RECEIVE_QUEUE))).isEqualTo("6869");
    }

    /** __udp4_lib_lookup / compute_score: a socket bound to the exact address wins over INADDR_ANY. */
    @Test
    void udpExactBindPreferred() {
        l4.configure(L4Fixture.host(""
                + "  - {proto: udp, bind: \"0.0.0.0:7\"}\n"
                + "  - {proto: udp, bind: \"192.0.2.2:7\"}\n", ""));
        SkBuff in = L4Fixture.delivered(L4Fixture.frame(PEER, US, 17, 0, 0, udp(1, 7, "6869", 0)), RouteResult.RTN_LOCAL, PktType.PACKET_HOST);
        L4Fixture.Visit v = run(l4, KernelQueue.INET_PROTO_UDP, in);
        assertThat(v.outputs().get(0).skb().cb().socket).isEqualTo("udp 192.0.2.2:7");
    }

    /** __udp4_lib_mcast_deliver: a copy per matching socket; none -> UdpIgnoredMulti. */
    @Test
    void udpBroadcastToEverySocketOrIgnored() {
        l4.configure(L4Fixture.host(""
                + "  - {proto: udp, bind: \"0.0.0.0:7\"}\n"
                + "  - {proto: udp, bind: \"192.0.2.255:7\"}\n"
                + "  - {proto: udp, bind: \"192.0.2.2:7\"}\n", ""));
        int bcast = Inet.parse("192.0.2.255");
        byte[] u = udp(1, 7, "6869", 0);
        Bytes.put16(u, 6, 0);
        SkBuff in = L4Fixture.delivered(L4Fixture.frame(PEER, bcast, 17, 0, 0, u), RouteResult.RTN_BROADCAST, PktType.PACKET_BROADCAST);
        L4Fixture.Visit v = run(l4, KernelQueue.INET_PROTO_UDP, in);
        assertThat(v.outputs(KernelQueue.SK_RECEIVE_QUEUE)).extracting(o -> o.skb().cb().socket)
                .containsExactlyInAnyOrder("udp 0.0.0.0:7", "udp 192.0.2.255:7");

        byte[] u2 = udp(1, 8, "6869", 0);
        Bytes.put16(u2, 6, 0);
        SkBuff in2 = L4Fixture.delivered(L4Fixture.frame(PEER, bcast, 17, 0, 0, u2), RouteResult.RTN_BROADCAST, PktType.PACKET_BROADCAST);
        L4Fixture.Visit v2 = run(l4, KernelQueue.INET_PROTO_UDP, in2);
        assertThat(v2.outputs()).isEmpty();
        assertThat(v2.counters()).isEqualTo(Map.of("UdpIgnoredMulti", 1L));
    }

    // --- TCP ---

    static byte[] tcp(int sport, int dport, int seq, int ack, int flags, String payload) {
        byte[] p = hex(payload);
        byte[] t = new byte[20 + p.length];
        Bytes.put16(t, 0, sport);
        Bytes.put16(t, 2, dport);
        Bytes.put32(t, 4, seq);
        Bytes.put32(t, 8, ack);
        t[12] = 0x50;
        t[13] = (byte) flags;
        Bytes.put16(t, 14, 1024);
        System.arraycopy(p, 0, t, 20, p.length);
        Bytes.put16(t, 16, InetChecksum.transport(PEER, US, 6, t, 0, t.length));
        return t;
    }

    static L4Fixture.Visit tcpIn(L4Layer l4, byte[] seg) {
        return run(l4, KernelQueue.INET_PROTO_TCP,
                L4Fixture.delivered(L4Fixture.frame(PEER, US, 6, 0, 0, seg), RouteResult.RTN_LOCAL, PktType.PACKET_HOST));
    }

    /** tcp_v4_send_reset: ack = seq + SYN + FIN + data length; seq 0. */
    @Test
    void synWithDataAndFinToClosedPort() {
        byte[] out = tcpIn(l4, tcp(40000, 81, 1000, 0, 0x03, "61626364")).only(KernelQueue.IP_LOCAL_OUT);
        assertThat(Bytes.u32(out, 4)).isZero();
        assertThat(Bytes.u32(out, 8)).isEqualTo(1000 + 1 + 1 + 4);
        assertThat(out[13]).isEqualTo((byte) 0x14);
    }

    static Stream<Arguments> tcpSilentDrops() {
        return Stream.of(
                Arguments.of("RST to a closed port: no RST to a RST", 81, 0x04, Map.of("TcpInSegs", 1L), SkbDropReason.NO_SOCKET),
                Arguments.of("RST to a listener", 80, 0x04, Map.of("TcpInSegs", 1L), SkbDropReason.TCP_RESET),
                Arguments.of("SYN+FIN to a listener", 80, 0x03, Map.of("TcpInSegs", 1L), SkbDropReason.TCP_FLAGS),
                Arguments.of("no SYN/ACK/RST to a listener", 80, 0x01, Map.of("TcpInSegs", 1L), SkbDropReason.TCP_FLAGS));
    }

    /** tcp_rcv_state_process (LISTEN) and tcp_v4_send_reset's first check. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("tcpSilentDrops")
    void tcpSegmentsWithoutAnswer(String name, int dport, int flags, Map<String, Long> counters, SkbDropReason reason) {
        L4Fixture.Visit v = tcpIn(l4, tcp(40000, dport, 1000, 0, flags, ""));
        assertThat(v.outputs()).isEmpty();
        assertThat(v.counters()).isEqualTo(counters);
        assertThat(((Fate.Dropped) v.fate()).reason()).isEqualTo(reason);
    }

    /** tcp_v4_rcv: a bad checksum counts TcpInErrs and TcpInCsumErrors, and gets no RST. */
    @Test
    void tcpBadChecksum() {
        byte[] seg = tcp(40000, 81, 1000, 0, 0x02, "");
        seg[16] ^= 1;
        L4Fixture.Visit v = tcpIn(l4, seg);
        assertThat(v.outputs()).isEmpty();
        assertThat(v.counters()).isEqualTo(Map.of("TcpInSegs", 1L, "TcpInErrs", 1L, "TcpInCsumErrors", 1L));
        assertThat(((Fate.Dropped) v.fate()).reason()).isEqualTo(SkbDropReason.TCP_CSUM);
    }

    /** tcp_v4_rcv: data offset below 5 is a bad packet (TcpInErrs). */
    @Test
    void tcpDoffTooSmall() {
        byte[] seg = tcp(40000, 81, 1000, 0, 0x02, "");
        seg[12] = 0x40;
        L4Fixture.Visit v = tcpIn(l4, seg);
        assertThat(v.counters()).isEqualTo(Map.of("TcpInSegs", 1L, "TcpInErrs", 1L));
        assertThat(((Fate.Dropped) v.fate()).reason()).isEqualTo(SkbDropReason.PKT_TOO_SMALL);
    }

    /** tcp_v4_rcv: skb->pkt_type != PACKET_HOST is discarded before TcpInSegs. */
    @Test
    void tcpInLinkLayerBroadcastDropped() {
        SkBuff in = L4Fixture.delivered(L4Fixture.frame(PEER, US, 6, 0, 0, tcp(40000, 81, 1000, 0, 0x02, "")),
                RouteResult.RTN_LOCAL, PktType.PACKET_BROADCAST);
        L4Fixture.Visit v = run(l4, KernelQueue.INET_PROTO_TCP, in);
        assertThat(v.outputs()).isEmpty();
        assertThat(v.counters()).isEmpty();
        assertThat(v.fate()).isInstanceOf(Fate.Dropped.class);
    }

    /** tcp_v4_send_reset: no socket and not routed locally (an IP broadcast) -> no RST. */
    @Test
    void noRstForNonLocalRoute() {
        SkBuff in = L4Fixture.delivered(L4Fixture.frame(PEER, Inet.parse("192.0.2.255"), 6, 0, 0, tcp(40000, 81, 1000, 0, 0x02, "")),
                RouteResult.RTN_BROADCAST, PktType.PACKET_HOST);
        assertThat(run(l4, KernelQueue.INET_PROTO_TCP, in).outputs()).isEmpty();
    }

    /** tcp_v4_send_reset: the RST takes the segment's TOS without its ECN bits. */
    @Test
    void rstTosWithoutEcn() {
        SkBuff in = L4Fixture.delivered(L4Fixture.frame(PEER, US, 6, 0x2b, 0, tcp(40000, 81, 1000, 0, 0x02, "")),
                RouteResult.RTN_LOCAL, PktType.PACKET_HOST);
        assertThat(run(l4, KernelQueue.INET_PROTO_TCP, in).outputs().get(0).skb().cb().tos).isEqualTo(0x28);
    }

    @Test
    void unknownHostIsDropped() {
        SkBuff in = local(ECHO_REQUEST);
        in.setNetns("other");
        assertThat(run(l4, KernelQueue.INET_PROTO_ICMP, in).fate()).isInstanceOf(Fate.Dropped.class);
    }
}
