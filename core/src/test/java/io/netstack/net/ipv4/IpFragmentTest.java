package io.netstack.net.ipv4;

import io.netstack.skb.PktType;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.Fate;
import io.netstack.stack.KernelQueue;
import io.netstack.wire.Inet;
import io.netstack.wire.Ipv4Header;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static io.netstack.net.ipv4.L3Fixture.ipFrame;
import static org.assertj.core.api.Assertions.assertThat;

/** ip_defrag / ip_frag_queue / inet_frag_queue_insert / ip_frag_reasm / ip_expire. */
class IpFragmentTest {

    static final int PEER = Inet.parse("192.0.2.1");
    static final int US = Inet.parse("192.0.2.2");
    static final byte[] DATAGRAM = new byte[1208];
    static {
        for (int i = 0; i < DATAGRAM.length; i++) DATAGRAM[i] = (byte) (i * 7);
    }

    /** A fragment of DATAGRAM: [from, to) with MF unless it is the end. */
    static byte[] frag(int from, int to, boolean mf) {
        return ipFrame("02:00:00:00:00:01", "02:00:00:00:00:99", 0, 0x4242, (from >> 3) | (mf ? Ipv4Header.IP_MF : 0),
                64, 17, PEER, US, Arrays.copyOfRange(DATAGRAM, from, to));
    }

    List<SkBuff> feed(L3Fixture f, byte[]... frames) {
        List<SkBuff> l = new java.util.ArrayList<>();
        for (byte[] fr : frames) {
            SkBuff s = f.fromWire(fr, "eth0", PktType.PACKET_HOST);
            l.add(s);
            f.deliver(KernelQueue.PTYPE_IP, s);
        }
        return l;
    }

    @Test
    void inOrderTwoFragmentsReassembled() {
        // frag-two-fragments-reassembled: 1000 + 208 bytes.
        L3Fixture f = new L3Fixture(IpInputTest.HOST);
        List<SkBuff> s = feed(f, frag(0, 1000, true), frag(1000, 1208, false));
        assertThat(f.on(KernelQueue.INET_PROTO_UDP)).hasSize(1);
        SkBuff dg = f.on(KernelQueue.INET_PROTO_UDP).get(0).skb();
        assertThat(dg).isSameAs(s.get(1));
        assertThat(dg.dataBytes()).isEqualTo(DATAGRAM);
        Ipv4Header h = new Ipv4Header(dg.head(), dg.networkHeader());
        assertThat(h.totalLength()).isEqualTo(1228);
        assertThat(h.isFragment()).isFalse();
        assertThat(h.checksumValid()).isTrue();
        assertThat(f.fateOf(s.get(0))).isInstanceOf(Fate.Consumed.class);
        assertThat(f.counters()).isEqualTo(Map.of("IpInReceives", 2L, "IpInDelivers", 1L, "IpReasmReqds", 2L,
                "IpReasmOKs", 1L, "IpExtInOctets", 1248L, "IpExtInNoECTPkts", 2L));
    }

    @Test
    void outOfOrderThreeFragmentsReassembled() {
        L3Fixture f = new L3Fixture(IpInputTest.HOST);
        feed(f, frag(800, 1208, false), frag(0, 400, true), frag(400, 800, true));
        assertThat(f.on(KernelQueue.INET_PROTO_UDP)).hasSize(1);
        assertThat(f.on(KernelQueue.INET_PROTO_UDP).get(0).skb().dataBytes()).isEqualTo(DATAGRAM);
        assertThat(f.counters()).containsEntry("IpReasmReqds", 3L).containsEntry("IpReasmOKs", 1L);
        assertThat(f.layer.host(L3Fixture.NETNS).frags().queueCount()).isZero();
    }

    @Test
    void overlapDiscardsTheWholeDatagram() {
        L3Fixture f = new L3Fixture(IpInputTest.HOST);
        List<SkBuff> s = feed(f, frag(0, 400, true), frag(800, 1208, false), frag(392, 800, true));
        assertThat(f.on(KernelQueue.INET_PROTO_UDP)).isEmpty();
        assertThat(f.fates()).allMatch(x -> x instanceof Fate.Dropped);
        assertThat(f.fates()).hasSize(3);
        assertThat(((Fate.Dropped) f.fateOf(s.get(2))).reason()).isEqualTo(SkbDropReason.NOT_SPECIFIED);
        assertThat(f.counters()).containsEntry("IpReasmFails", 1L).containsEntry("IpExtReasmOverlaps", 1L)
                .doesNotContainKey("IpReasmOKs");
        assertThat(f.layer.host(L3Fixture.NETNS).frags().queueCount()).isZero();
    }

    @Test
    void exactDuplicateDropsOnlyItself() {
        L3Fixture f = new L3Fixture(IpInputTest.HOST);
        List<SkBuff> s = feed(f, frag(0, 400, true), frag(0, 400, true), frag(400, 1208, false));
        assertThat(((Fate.Dropped) f.fateOf(s.get(1))).reason()).isEqualTo(SkbDropReason.DUP_FRAG);
        assertThat(f.on(KernelQueue.INET_PROTO_UDP)).hasSize(1);
        assertThat(f.counters()).containsEntry("IpReasmOKs", 1L).doesNotContainKey("IpReasmFails");
    }

    @Test
    void lastFragmentDisagreeingOnTheEndIsCorrupt() {
        L3Fixture f = new L3Fixture(IpInputTest.HOST);
        feed(f, frag(800, 1208, false), frag(1000, 1200, false));
        assertThat(f.counters()).containsEntry("IpReasmFails", 1L);
    }

    @Test
    void ipExpireAfterIpfragTime() {
        L3Fixture f = new L3Fixture(IpInputTest.HOST + "  net.ipv4.ipfrag_time: 30\n");
        List<SkBuff> s = feed(f, frag(0, 400, true));
        f.advance(29 * L3Fixture.SEC);
        assertThat(f.fateOf(s.get(0))).isNull();
        f.advance(1 * L3Fixture.SEC);
        assertThat(((Fate.Dropped) f.fateOf(s.get(0))).reason()).isEqualTo(SkbDropReason.FRAG_REASM_TIMEOUT);
        assertThat(f.counters()).containsEntry("IpReasmTimeout", 1L).containsEntry("IpReasmFails", 1L);
        // The head was routed again for the ICMP (time exceeded, code 1): its network header is the IP header.
        assertThat(new Ipv4Header(s.get(0).head(), s.get(0).networkHeader()).saddr()).isEqualTo(PEER);
    }

    @Test
    void ipExpireWithoutTheFirstFragmentSendsNothing() {
        L3Fixture f = new L3Fixture(IpInputTest.HOST);
        List<SkBuff> s = feed(f, frag(400, 800, true));
        f.advance(31 * L3Fixture.SEC);
        assertThat(((Fate.Dropped) f.fateOf(s.get(0))).reason()).isEqualTo(SkbDropReason.FRAG_REASM_TIMEOUT);
        assertThat(f.counters()).containsEntry("IpReasmTimeout", 1L);
        assertThat(f.outputs).isEmpty();
    }

    @Test
    void ipfragHighThreshRefusesNewQueues() {
        L3Fixture f = new L3Fixture(IpInputTest.HOST + "  net.ipv4.ipfrag_high_thresh: 1000\n");
        feed(f, frag(0, 400, true));
        byte[] other = frag(0, 400, true);
        other[14 + 5] = 0x43; // another id
        new Ipv4Header(other, 14).fillChecksum();
        List<SkBuff> s = feed(f, other);
        assertThat(f.fateOf(s.get(0))).isInstanceOf(Fate.Dropped.class);
        assertThat(f.counters()).containsEntry("IpReasmFails", 1L);
    }
}
