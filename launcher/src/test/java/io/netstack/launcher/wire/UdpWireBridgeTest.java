package io.netstack.launcher.wire;

import io.netstack.stack.WireFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The UDP wire's framing with plain sockets on loopback (no root, no broker): one datagram is
 * exactly one Ethernet frame, both ways, byte for byte, in QEMU's {@code -netdev dgram} format;
 * transmitted frames of other hosts or interfaces stay off this wire.
 */
class UdpWireBridgeTest {

    private static final InetAddress LO = InetAddress.getLoopbackAddress();

    /** An ARP request for 192.0.2.2 from 02:00:00:00:00:99 / 192.0.2.1 (42 bytes, as Linux sends it unpadded). */
    private static final byte[] ARP_REQUEST = hex(
            "ffffffffffff" + "020000000099" + "0806"
            + "0001" + "0800" + "06" + "04" + "0001"
            + "020000000099" + "c0000201"
            + "000000000000" + "c0000202");

    /** An ARP reply from the emulated host's 02:00:00:00:00:01. */
    private static final byte[] ARP_REPLY = hex(
            "020000000099" + "020000000001" + "0806"
            + "0001" + "0800" + "06" + "04" + "0002"
            + "020000000001" + "c0000202"
            + "020000000099" + "c0000201");

    /** The largest frame a 1500-byte MTU allows: 1514 bytes, a pattern so any shift shows. */
    private static final byte[] FULL_FRAME = pattern(1514);

    private final FakeStack stack = new FakeStack();
    private DatagramSocket peer;
    private UdpWire wire;
    private WireBridge bridge;

    @BeforeEach
    void plug() throws Exception {
        peer = new DatagramSocket(new InetSocketAddress(LO, 0));
        peer.setSoTimeout(5_000);
        wire = UdpWire.open(new InetSocketAddress(LO, 0), new InetSocketAddress(LO, peer.getLocalPort()));
        bridge = new WireBridge("h1", "eth0", wire, stack).start();
    }

    @AfterEach
    void unplug() {
        bridge.close();
        peer.close();
    }

    @Test
    void eachDatagramFromOutsideIsOneFrameOnTheInterfacesWire() throws Exception {
        for (byte[] f : List.of(ARP_REQUEST, FULL_FRAME, new byte[] {1})) {
            peer.send(new DatagramPacket(f, f.length, wire.localAddress()));
        }
        List<WireFrame> got = new ArrayList<>();
        for (int i = 0; i < 3; i++) got.add(stack.published.poll(5, TimeUnit.SECONDS));
        assertThat(got).doesNotContainNull();
        assertThat(got).allSatisfy(f -> {
            assertThat(f.netns()).isEqualTo("h1");
            assertThat(f.dev()).isEqualTo("eth0");
            assertThat(f.timeNanos()).isPositive();
        });
        assertThat(got.get(0).frame()).isEqualTo(ARP_REQUEST);
        assertThat(got.get(1).frame()).isEqualTo(FULL_FRAME);
        // Even a runt passes: judging it is the driver's job (rx_length_errors), not the cable's.
        assertThat(got.get(2).frame()).containsExactly(1);
        assertThat(bridge.framesIn()).isEqualTo(3);
    }

    @Test
    void eachFrameTheInterfaceTransmitsIsOneDatagramToThePeer() throws Exception {
        stack.transmit(new WireFrame("h1", "eth0", ARP_REPLY, 1));
        stack.transmit(new WireFrame("h1", "eth0", FULL_FRAME, 2));
        assertThat(receive()).isEqualTo(ARP_REPLY);
        assertThat(receive()).isEqualTo(FULL_FRAME);
        assertThat(awaitFramesOut(2)).isEqualTo(2);
    }

    @Test
    void framesOfOtherHostsOrInterfacesStayOffThisWire() throws Exception {
        stack.transmit(new WireFrame("h2", "eth0", FULL_FRAME, 1));
        stack.transmit(new WireFrame("h1", "eth1", FULL_FRAME, 2));
        stack.transmit(new WireFrame("h1", "eth0", ARP_REPLY, 3));
        assertThat(receive()).as("the first datagram is h1/eth0's").isEqualTo(ARP_REPLY);
        assertThat(awaitFramesOut(1)).isEqualTo(1);
        peer.setSoTimeout(300);
        assertThatThrownBy(this::receive).as("no other datagram").isInstanceOf(java.net.SocketTimeoutException.class);
    }

    @Test
    void withoutAFixedPeerFramesGoToTheLastSenderAndAreCountedUntilThereIsOne() throws Exception {
        bridge.close();
        UdpWire learning = UdpWire.open(new InetSocketAddress(LO, 0), null);
        bridge = new WireBridge("h1", "eth0", learning, stack).start();
        stack.transmit(new WireFrame("h1", "eth0", ARP_REPLY, 1));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (learning.noPeer() == 0 && System.nanoTime() < deadline) Thread.sleep(10);
        assertThat(learning.noPeer()).isEqualTo(1);

        peer.send(new DatagramPacket(ARP_REQUEST, ARP_REQUEST.length, learning.localAddress()));
        assertThat(stack.published.poll(5, TimeUnit.SECONDS)).isNotNull();
        assertThat(learning.peer()).isEqualTo(peer.getLocalSocketAddress());
        stack.transmit(new WireFrame("h1", "eth0", ARP_REPLY, 2));
        assertThat(receive()).isEqualTo(ARP_REPLY);
    }

    /**
     * The stand-in for netem where the kernel has none: 200 frames from outside with loss 10%
     * and delay 100 ms: the seeded losses are counted, every other frame arrives, in order, no
     * sooner than 100 ms after it was sent.
     */
    @Test
    void anImpairedWireLosesAndDelaysFramesFromOutsideInOrder() throws Exception {
        bridge.close();
        UdpWire w = UdpWire.open(new InetSocketAddress(LO, 0), new InetSocketAddress(LO, peer.getLocalPort()));
        bridge = new WireBridge("h1", "eth0", w, stack).impair(new WireBridge.Impairment(0.10, Duration.ofMillis(100), 7)).start();
        int n = 200;
        long[] sentAt = new long[n];
        for (int i = 0; i < n; i++) {
            byte[] f = pattern(60);
            f[0] = (byte) i;
            sentAt[i] = System.nanoTime();
            peer.send(new DatagramPacket(f, f.length, w.localAddress()));
            if (i % 20 == 0) Thread.sleep(1);
        }
        List<Integer> order = new ArrayList<>();
        WireFrame f;
        while ((f = stack.published.poll(2, TimeUnit.SECONDS)) != null) {
            int i = f.frame()[0] & 0xff;
            order.add(i);
            assertThat(System.nanoTime() - sentAt[i]).as("frame %d delayed", i).isGreaterThanOrEqualTo(100_000_000L);
        }
        assertThat(order).isSorted();
        assertThat(order.size() + bridge.impairedDrops()).isEqualTo(n);
        assertThat(bridge.impairedDrops()).isBetween(5L, 40L);
    }

    /** The counter moves just after the datagram left: wait for it (bounded), then return it. */
    private long awaitFramesOut(long n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (bridge.framesOut() < n && System.nanoTime() < deadline) Thread.sleep(5);
        return bridge.framesOut();
    }

    private byte[] receive() throws Exception {
        DatagramPacket p = new DatagramPacket(new byte[65_536], 65_536);
        peer.receive(p);
        return Arrays.copyOf(p.getData(), p.getLength());
    }

    /** The stack's side as two queues. */
    private static final class FakeStack implements WireBridge.StackSide {
        final BlockingQueue<WireFrame> published = new LinkedBlockingQueue<>();
        final BlockingQueue<WireFrame> transmitted = new LinkedBlockingQueue<>();

        void transmit(WireFrame f) { transmitted.add(f); }

        @Override public void publish(WireFrame frame) { published.add(frame); }

        @Override
        public List<WireFrame> pollTransmitted(Duration timeout) {
            List<WireFrame> out = new ArrayList<>();
            try {
                WireFrame f = transmitted.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (f != null) out.add(f);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            transmitted.drainTo(out);
            return out;
        }

        @Override public void close() {}
    }

    private static byte[] hex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return b;
    }

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 7 + 3);
        return b;
    }
}
