package io.netstack.layer;

import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.Fate;
import io.netstack.stack.KernelQueue;
import io.netstack.wire.Inet;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** SocketLayer: __udp_enqueue_schedule_skb's receive-buffer bound and the queues the socket API reads. */
class SocketLayerTest {

    static final String SOCKETS = "  - {proto: udp, bind: \"0.0.0.0:5353\"}\n";

    static SkBuff queued(String payloadHex) {
        // A 60-byte frame: Ethernet, IPv4, UDP, then the payload; data at the payload.
        byte[] frame = new byte[14 + 20 + 8 + payloadHex.length() / 2];
        byte[] p = L4Fixture.hex(payloadHex);
        System.arraycopy(p, 0, frame, 42, p.length);
        SkBuff skb = SkBuff.ofFrame(7, L4Fixture.NETNS, frame);
        skb.setMacHeader(0);
        skb.setNetworkHeader(14);
        skb.setTransportHeader(34);
        skb.pull(42);
        skb.cb().socket = "udp 0.0.0.0:5353";
        skb.cb().saddr = Inet.parse("192.0.2.1");
        skb.cb().sport = 40000;
        skb.cb().daddr = Inet.parse("192.0.2.2");
        skb.cb().dport = 5353;
        return skb;
    }

    @Test
    void deliversAndCountsUdpInDatagrams() {
        SocketLayer s = new SocketLayer();
        s.configure(L4Fixture.host(SOCKETS, ""));
        L4Fixture.Visit v = L4Fixture.run(s, KernelQueue.SK_RECEIVE_QUEUE, queued("68656c6c6f"));
        assertThat(v.counters()).isEqualTo(Map.of("UdpInDatagrams", 1L));
        Fate.Delivered d = (Fate.Delivered) v.fate();
        assertThat(d.socket()).isEqualTo("udp 0.0.0.0:5353");
        assertThat(d.peer()).isEqualTo("192.0.2.1:40000");
        assertThat(L4Fixture.hex(d.payload())).isEqualTo("68656c6c6f");
        SocketLayer.Sock sk = s.socket(L4Fixture.NETNS, "udp 0.0.0.0:5353");
        assertThat(sk.queued()).hasSize(1);
        assertThat(sk.rmemAlloc()).isEqualTo(832);
        assertThat(sk.recv().from()).isEqualTo("192.0.2.1:40000");
        assertThat(sk.rmemAlloc()).isZero();
    }

    /** rmem + truesize > sk_rcvbuf with a non-empty queue: UdpRcvbufErrors + UdpInErrors, SOCKET_RCVBUFF. */
    @Test
    void receiveBufferOverflow() {
        SocketLayer s = new SocketLayer();
        // 2000 bytes: room for two small datagrams of truesize 832.
        s.configure(L4Fixture.host(SOCKETS, "  net.core.rmem_default: 2000\n"));
        assertThat(L4Fixture.run(s, KernelQueue.SK_RECEIVE_QUEUE, queued("01")).fate()).isInstanceOf(Fate.Delivered.class);
        assertThat(L4Fixture.run(s, KernelQueue.SK_RECEIVE_QUEUE, queued("02")).fate()).isInstanceOf(Fate.Delivered.class);
        L4Fixture.Visit over = L4Fixture.run(s, KernelQueue.SK_RECEIVE_QUEUE, queued("03"));
        assertThat(over.counters()).isEqualTo(Map.of("UdpRcvbufErrors", 1L, "UdpInErrors", 1L));
        assertThat(((Fate.Dropped) over.fate()).reason()).isEqualTo(SkbDropReason.SOCKET_RCVBUFF);
        SocketLayer.Sock sk = s.socket(L4Fixture.NETNS, "udp 0.0.0.0:5353");
        assertThat(sk.drops()).isEqualTo(1);
        // Reading one makes room for one more.
        sk.recv();
        assertThat(L4Fixture.run(s, KernelQueue.SK_RECEIVE_QUEUE, queued("04")).fate()).isInstanceOf(Fate.Delivered.class);
        assertThat(sk.queued()).extracting(d -> L4Fixture.hex(d.payload())).containsExactly("02", "04");
    }

    /** "Accept the packet if queue is empty": one datagram larger than sk_rcvbuf still gets in. */
    @Test
    void emptyQueueAcceptsOneOversizedDatagram() {
        SocketLayer s = new SocketLayer();
        s.configure(L4Fixture.host(SOCKETS, "  net.core.rmem_default: 100\n"));
        assertThat(L4Fixture.run(s, KernelQueue.SK_RECEIVE_QUEUE, queued("01")).fate()).isInstanceOf(Fate.Delivered.class);
        assertThat(L4Fixture.run(s, KernelQueue.SK_RECEIVE_QUEUE, queued("02")).fate()).isInstanceOf(Fate.Dropped.class);
    }

    @Test
    void unknownSocketIsDropped() {
        SocketLayer s = new SocketLayer();
        s.configure(L4Fixture.host(SOCKETS, ""));
        SkBuff skb = queued("01");
        skb.cb().socket = "udp 0.0.0.0:1";
        assertThat(((Fate.Dropped) L4Fixture.run(s, KernelQueue.SK_RECEIVE_QUEUE, skb).fate()).reason()).isEqualTo(SkbDropReason.NO_SOCKET);
    }
}
