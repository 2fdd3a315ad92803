package io.netstack.socket;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.netstack.proto.SocketApiGrpc;

import java.util.concurrent.TimeUnit;

/**
 * A connection to a socket-service's gRPC API ({@code host:port}, or an in-process server by
 * name) from which {@link NetstackSocket}s are opened on an emulated host.
 *
 * <pre>{@code
 * try (NetstackApi api = NetstackApi.connect("127.0.0.1:7070");
 *      NetstackSocket s = api.tcp("a")) {
 *     s.connect("10.0.0.2", 7);
 *     s.sendAll("hello".getBytes());
 *     byte[] back = s.recv(100);
 * }
 * }</pre>
 */
public final class NetstackApi implements AutoCloseable {

    private final ManagedChannel channel;
    private final boolean owned;
    final SocketApiGrpc.SocketApiBlockingStub blocking;

    private NetstackApi(ManagedChannel channel, boolean owned) {
        this.channel = channel;
        this.owned = owned;
        this.blocking = SocketApiGrpc.newBlockingStub(channel);
    }

    /** A plaintext channel to {@code host:port}. */
    public static NetstackApi connect(String target) {
        // Netty directly: no ServiceLoader lookup, so a shaded jar (the CLI) finds the transport too.
        return new NetstackApi(io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forTarget(target).usePlaintext()
                .maxInboundMessageSize(16 << 20).build(), true);
    }

    /** A channel to an in-process server (grpc-inprocess) of this JVM. */
    public static NetstackApi inProcess(String serverName) {
        return new NetstackApi(InProcessChannelBuilder.forName(serverName).directExecutor().build(), true);
    }

    /** Over a channel the caller owns (and closes). */
    public static NetstackApi over(ManagedChannel channel) {
        return new NetstackApi(channel, false);
    }

    /** socket(AF_INET, SOCK_STREAM, 0) on host {@code netns}. */
    public NetstackSocket tcp(String netns) throws ErrnoException {
        return NetstackSocket.open(this, netns, "tcp");
    }

    /** socket(AF_INET, SOCK_DGRAM, 0) on host {@code netns}. */
    public NetstackSocket udp(String netns) throws ErrnoException {
        return NetstackSocket.open(this, netns, "udp");
    }

    public SocketApiGrpc.SocketApiBlockingStub stub() { return blocking; }

    public ManagedChannel channel() { return channel; }

    @Override
    public void close() {
        if (!owned) return;
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
