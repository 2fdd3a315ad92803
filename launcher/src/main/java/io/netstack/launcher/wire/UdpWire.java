package io.netstack.launcher.wire;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A wire made of UDP: one Ethernet frame per datagram, nothing before or after it. This is the
 * format of QEMU's {@code -netdev dgram,local.type=inet,...,remote.type=inet,...} and of the older
 * {@code -netdev socket,udp=HOST:PORT,localaddr=HOST:PORT}, so a QEMU guest's NIC can be plugged into
 * an emulated host; socat's {@code TUN,tun-type=tap} relayed to {@code UDP-DATAGRAM} speaks it too.
 *
 * <p>Frames go to the fixed peer when one is given; otherwise to whoever sent the last datagram
 * (until someone has, a transmitted frame has nowhere to go and is counted in {@link #noPeer()}).
 */
public final class UdpWire implements FramePort {

    /** The largest UDP payload: a frame bigger than this cannot be carried. */
    public static final int MAX_DATAGRAM = 65_507;

    private final DatagramChannel channel;
    private final InetSocketAddress fixedPeer;
    private volatile SocketAddress learnedPeer;
    private final AtomicLong noPeer = new AtomicLong();
    private final ByteBuffer rx = ByteBuffer.allocateDirect(65_536);

    private final String local;

    private UdpWire(DatagramChannel channel, InetSocketAddress fixedPeer) throws IOException {
        this.channel = channel;
        this.fixedPeer = fixedPeer;
        this.local = hostPort((InetSocketAddress) channel.getLocalAddress());
    }

    /**
     * Binds {@code listen} (port 0: any free port, see {@link #localAddress()}).
     *
     * @param peer where transmitted frames go; null to answer whoever sent last
     */
    /** The receive buffer asked for (bytes). */
    static final int RCVBUF = 4 << 20;

    public static UdpWire open(InetSocketAddress listen, InetSocketAddress peer) throws IOException {
        DatagramChannel ch = DatagramChannel.open();
        try {
            // A burst from the peer (a TCP window, a flood of datagrams) waits here while the
            // bridge publishes: ask for a large buffer (Linux caps it at net.core.rmem_max).
            ch.setOption(java.net.StandardSocketOptions.SO_RCVBUF, RCVBUF);
            ch.bind(listen);
            return new UdpWire(ch, peer);
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot bind udp " + listen + ": " + e.getMessage(), e);
        }
    }

    /** "host:port" to an address (the host resolved now). */
    public static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) throw new IllegalArgumentException("'" + hostPort + "' is not host:port");
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    public InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    /** The peer frames go to now: the fixed one, else the last sender, else null. */
    public SocketAddress peer() {
        return fixedPeer != null ? fixedPeer : learnedPeer;
    }

    /** Frames transmitted while there was no peer to send them to. */
    public long noPeer() { return noPeer.get(); }

    @Override
    public byte[] receive() throws IOException {
        try {
            synchronized (rx) {
                rx.clear();
                SocketAddress from = channel.receive(rx);
                if (from == null) return null;
                if (fixedPeer == null) learnedPeer = from;
                rx.flip();
                byte[] frame = new byte[rx.remaining()];
                rx.get(frame);
                return frame;
            }
        } catch (ClosedChannelException closed) {
            return null;
        }
    }

    @Override
    public void send(byte[] frame) throws IOException {
        SocketAddress to = peer();
        if (to == null) {
            noPeer.incrementAndGet();
            return;
        }
        if (frame.length > MAX_DATAGRAM) throw new IOException("frame of " + frame.length + " bytes exceeds a UDP datagram");
        try {
            channel.send(ByteBuffer.wrap(frame), to);
        } catch (java.net.PortUnreachableException e) {
            // The peer is not listening (yet): a cable with nobody at the other end loses the frame.
            noPeer.incrementAndGet();
        }
    }

    @Override
    public String describe() {
        return "udp " + local + " <-> " + (fixedPeer != null ? hostPort(fixedPeer) : "(last sender)");
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() { return describe(); }
}
