package io.netstack.net.ipv4;

import io.netstack.layer.L4Fixture;
import io.netstack.skb.PktType;
import io.netstack.skb.RouteResult;
import io.netstack.skb.SkBuff;
import io.netstack.stack.StepContext;
import io.netstack.wire.Bytes;
import io.netstack.wire.InetChecksum;
import io.netstack.wire.Inet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import static io.netstack.layer.L4Fixture.hex;
import static org.assertj.core.api.Assertions.assertThat;

/** __icmp_send, net/ipv4/icmp.c: when Linux sends no error, what it quotes, and its rate limits. */
class IcmpSendTest {

    static final int PEER = Inet.parse("192.0.2.1");
    static final int US = Inet.parse("192.0.2.2");
    static final int FAR = Inet.parse("198.51.100.7");

    static byte[] udp() { return hex("9c400009000a0000" + "6869"); }

    static byte[] icmp(int type) {
        byte[] m = hex("0000000000000000" + "450000140000000040110000c0000202c0000201");
        m[0] = (byte) type;
        Bytes.put16(m, 2, InetChecksum.compute(m, 0, m.length));
        return m;
    }

    static SkBuff in(int daddr, int proto, int fragOff, byte[] l4, int rtType, PktType pkt) {
        return L4Fixture.delivered(L4Fixture.frame(PEER, daddr, proto, 0x10, fragOff, l4), rtType, pkt);
    }

    static StepContext ctx(long now) {
        long[] ids = {1};
        return new StepContext("l4", "test", now, () -> ids[0]++);
    }

    static Icmp icmp(String sysctl) { return new Icmp(L4Fixture.host("", sysctl)); }

    static Stream<Arguments> noError() {
        return Stream.of(
                Arguments.of("no route on the skb", in(US, 17, 0, udp(), RouteResult.RTN_LOCAL, PktType.PACKET_HOST), true),
                Arguments.of("link-layer broadcast", in(US, 17, 0, udp(), RouteResult.RTN_LOCAL, PktType.PACKET_BROADCAST), false),
                Arguments.of("IP broadcast", in(Inet.parse("192.0.2.255"), 17, 0, udp(), RouteResult.RTN_BROADCAST, PktType.PACKET_HOST), false),
                Arguments.of("IP multicast", in(Inet.parse("224.0.0.1"), 17, 0, udp(), RouteResult.RTN_MULTICAST, PktType.PACKET_HOST), false),
                Arguments.of("non-first fragment", in(US, 17, 0x2001, udp(), RouteResult.RTN_LOCAL, PktType.PACKET_HOST), false),
                Arguments.of("about an ICMP error (dest unreach)", in(US, 1, 0, icmp(3), RouteResult.RTN_LOCAL, PktType.PACKET_HOST), false),
                Arguments.of("about an unknown ICMP type (counts as an error)", in(US, 1, 0, icmp(99), RouteResult.RTN_LOCAL, PktType.PACKET_HOST), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("noError")
    void linuxSendsNoErrorAbout(String name, SkBuff skb, boolean clearRoute) {
        if (clearRoute) skb.cb().route = null;
        StepContext ctx = ctx(0);
        assertThat(icmp("").icmpSend(ctx, skb, 3, 3, 0)).isNull();
        assertThat(ctx.events().stream().flatMap(e -> e.stats().stream())).isEmpty();
    }

    /** An error about an echo request (not an error) is sent. */
    @Test
    void errorAboutAnEchoIsSent() {
        StepContext ctx = ctx(0);
        assertThat(icmp("").icmpSend(ctx, in(US, 1, 0, icmp(8), RouteResult.RTN_LOCAL, PktType.PACKET_HOST), 3, 3, 0)).isNotNull();
    }

    /**
     * The error is made on the CPU handling the packet it is about: it takes that CPU's transmit
     * partition, so it keeps its order with the packet (a redirect leaves before the packet).
     */
    @Test
    void anErrorRunsOnTheCpuOfThePacketItIsAbout() {
        SkBuff skb = in(US, 1, 0, icmp(8), RouteResult.RTN_LOCAL, PktType.PACKET_HOST);
        skb.setCpu(3);
        assertThat(icmp("").icmpSend(ctx(0), skb, 3, 3, 0).cpu()).isEqualTo(3);
    }

    /** TOS (tos & IPTOS_TOS_MASK) | IPTOS_PREC_INTERNETCONTROL; source = our address; quote capped at 576 - 28. */
    @Test
    void quoteTosAndSource() {
        byte[] big = new byte[1000];
        Bytes.put16(big, 0, 40000);
        Bytes.put16(big, 2, 9);
        Bytes.put16(big, 4, 1000);
        SkBuff skb = in(US, 17, 0, big, RouteResult.RTN_LOCAL, PktType.PACKET_HOST);
        SkBuff out = icmp("").icmpSend(ctx(0), skb, 3, 3, 0);
        assertThat(out.len()).isEqualTo(576 - 20);
        assertThat(out.cb().tos).isEqualTo(0xd0);
        assertThat(out.cb().saddr).isEqualTo(US);
        assertThat(out.cb().daddr).isEqualTo(PEER);
        assertThat(out.cb().df).isFalse();
        byte[] b = out.dataBytes();
        assertThat(Arrays.copyOfRange(b, 8, 28)).isEqualTo(Arrays.copyOfRange(skb.head(), 14, 34));
        assertThat(InetChecksum.compute(b, 0, b.length)).isZero();
    }

    /** A forwarded packet's error: source left to routing, or the inbound interface's with icmp_errors_use_inbound_ifaddr. */
    @Test
    void sourceOfAnErrorAboutAForwardedPacket() {
        SkBuff skb = in(FAR, 17, 0, udp(), RouteResult.RTN_UNICAST, PktType.PACKET_HOST);
        assertThat(icmp("").icmpSend(ctx(0), skb, 11, 0, 0).cb().saddr).isZero();
        SkBuff skb2 = in(FAR, 17, 0, udp(), RouteResult.RTN_UNICAST, PktType.PACKET_HOST);
        assertThat(icmp("  net.ipv4.icmp_errors_use_inbound_ifaddr: 1\n").icmpSend(ctx(0), skb2, 11, 0, 0).cb().saddr).isEqualTo(US);
    }

    /** The info word: the next-hop MTU of frag needed (RFC 1191). */
    @Test
    void fragNeededCarriesTheMtu() {
        SkBuff out = icmp("").icmpSend(ctx(0), in(FAR, 17, 0, udp(), RouteResult.RTN_UNICAST, PktType.PACKET_HOST), 3, 4, 1400);
        assertThat(Bytes.u32(out.dataBytes(), 4)).isEqualTo(1400);
    }

    private static Map<String, Long> counters(StepContext ctx) {
        Map<String, Long> m = new HashMap<>();
        ctx.events().forEach(e -> e.stats().forEach(d -> m.merge(d.name(), d.delta(), Long::sum)));
        return m;
    }

    /**
     * inet_peer_xrlim_allow with icmp_ratelimit 1000 ms: a new peer has 6 tokens' worth
     * (XRLIM_BURST_FACTOR), then one per second; each refusal counts IcmpOutRateLimitHost.
     */
    @Test
    void perPeerRateLimitWithDrivenClock() {
        Icmp icmp = icmp("  net.ipv4.icmp_ratelimit: 1000\n");
        long t = 10_000_000_000L;
        for (int i = 0; i < 6; i++) {
            assertThat(icmp.icmpSend(ctx(t), in(US, 17, 0, udp(), RouteResult.RTN_LOCAL, PktType.PACKET_HOST), 3, 3, 0)).isNotNull();
        }
        StepContext limited = ctx(t);
        assertThat(icmp.icmpSend(limited, in(US, 17, 0, udp(), RouteResult.RTN_LOCAL, PktType.PACKET_HOST), 3, 3, 0)).isNull();
        assertThat(counters(limited)).isEqualTo(Map.of("IcmpOutRateLimitHost", 1L));
        // Echo replies (type 0) are outside icmp_ratemask: never limited.
        assertThat(icmp.icmpv4MaskAllow(0, 0)).isTrue();
        // Fragmentation needed is never limited (PMTU discovery).
        assertThat(icmp.icmpSend(ctx(t), in(US, 17, 0, udp(), RouteResult.RTN_LOCAL, PktType.PACKET_HOST), 3, 4, 1400)).isNotNull();
        // One second later, one more token.
        assertThat(icmp.icmpSend(ctx(t + 1_000_000_000L), in(US, 17, 0, udp(), RouteResult.RTN_LOCAL, PktType.PACKET_HOST), 3, 3, 0)).isNotNull();
        assertThat(icmp.icmpSend(ctx(t + 1_000_000_000L), in(US, 17, 0, udp(), RouteResult.RTN_LOCAL, PktType.PACKET_HOST), 3, 3, 0)).isNull();
    }

    /** icmp_global_allow: icmp_msgs_burst credits, refilled at icmp_msgs_per_sec no sooner than HZ/50. */
    @Test
    void globalRateLimitWithDrivenClock() {
        Icmp icmp = icmp("  net.ipv4.icmp_msgs_burst: 2\n");
        long t = 5_000_000_000L;
        assertThat(icmp.icmpSend(ctx(t), in(US, 17, 0, udp(), RouteResult.RTN_LOCAL, PktType.PACKET_HOST), 3, 3, 0)).isNotNull();
        assertThat(icmp.icmpSend(ctx(t), in(US, 17, 0, udp(), RouteResult.RTN_LOCAL, PktType.PACKET_HOST), 3, 3, 0)).isNotNull();
        StepContext limited = ctx(t + 10_000_000L);
        assertThat(icmp.icmpSend(limited, in(US, 17, 0, udp(), RouteResult.RTN_LOCAL, PktType.PACKET_HOST), 3, 3, 0)).isNull();
        assertThat(counters(limited)).isEqualTo(Map.of("IcmpOutRateLimitGlobal", 1L));
        assertThat(icmp.icmpSend(ctx(t + 20_000_000L), in(US, 17, 0, udp(), RouteResult.RTN_LOCAL, PktType.PACKET_HOST), 3, 3, 0)).isNotNull();
    }
}
