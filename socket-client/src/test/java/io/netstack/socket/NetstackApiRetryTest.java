package io.netstack.socket;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netstack.proto.SockReply;
import io.netstack.proto.SocketApiGrpc;
import io.netstack.proto.SocketRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * NetstackApi's retries against fake servers: an address where nothing listens (a dead
 * instance), a non-owner that names the owner in its trailer, and the owner. The call reaches
 * the owner, with the same call id on every attempt.
 */
@Timeout(30)
class NetstackApiRetryTest {

    final List<Server> servers = new CopyOnWriteArrayList<>();
    final List<String> ownerSaw = new CopyOnWriteArrayList<>();
    final List<String> nonOwnerSaw = new CopyOnWriteArrayList<>();

    @AfterEach
    void down() {
        servers.forEach(Server::shutdownNow);
    }

    private int serve(SocketApiGrpc.SocketApiImplBase impl) throws Exception {
        Server s = NettyServerBuilder.forPort(0).addService(impl).build().start();
        servers.add(s);
        return s.getPort();
    }

    private int owner() throws Exception {
        return serve(new SocketApiGrpc.SocketApiImplBase() {
            @Override
            public void socket(SocketRequest req, StreamObserver<SockReply> out) {
                ownerSaw.add(req.getCallId());
                out.onNext(SockReply.newBuilder().setValue(3).build());
                out.onCompleted();
            }
        });
    }

    private int nonOwner(String ownerAddress) throws Exception {
        return serve(new SocketApiGrpc.SocketApiImplBase() {
            @Override
            public void socket(SocketRequest req, StreamObserver<SockReply> out) {
                nonOwnerSaw.add(req.getCallId());
                Metadata trailers = new Metadata();
                if (ownerAddress != null) {
                    trailers.put(Metadata.Key.of(NetstackApi.OWNER_TRAILER, Metadata.ASCII_STRING_MARSHALLER), ownerAddress);
                }
                out.onError(Status.FAILED_PRECONDITION.withDescription(NetstackApi.NOT_OWNER + req.getNetns())
                        .asRuntimeException(trailers));
            }
        });
    }

    private static int deadPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void aCallGoesPastADeadInstanceAndANonOwnerToTheOwnerTheTrailerNames() throws Exception {
        String owner = "127.0.0.1:" + owner();
        String other = "127.0.0.1:" + nonOwner(owner);
        try (NetstackApi api = NetstackApi.connect("127.0.0.1:" + deadPort() + ", " + other)) {
            assertThat(api.targets()).hasSize(2);
            NetstackSocket s = api.udp("a");
            assertThat(s.fd()).isEqualTo(3);
            assertThat(api.targets()).as("the owner, learnt from the trailer").contains(owner);
        }
        assertThat(ownerSaw).hasSize(1);
        assertThat(nonOwnerSaw).containsExactly(ownerSaw.get(0));
        assertThat(ownerSaw.get(0)).matches(".+#1");
    }

    @Test
    void withoutATrailerTheNextAddressIsTried() throws Exception {
        String other = "127.0.0.1:" + nonOwner(null);
        String owner = "127.0.0.1:" + owner();
        try (NetstackApi api = NetstackApi.connect(List.of(other, owner))) {
            assertThat(api.udp("a").fd()).isEqualTo(3);
        }
    }

    /** A server killed while a call is on the wire: the channel closes under it (UNKNOWN), and the call is retried. */
    @Test
    void aChannelClosedUnderACallMeansTheServerIsGoneButOtherFailuresAreNot() {
        assertThat(NetstackApi.serverGone(Status.UNKNOWN.withDescription("channel closed")
                .withCause(new java.nio.channels.ClosedChannelException()).asRuntimeException())).isTrue();
        assertThat(NetstackApi.serverGone(Status.UNAVAILABLE.asRuntimeException())).isTrue();
        assertThat(NetstackApi.serverGone(Status.UNKNOWN.withDescription("a bug").asRuntimeException())).isFalse();
        assertThat(NetstackApi.serverGone(Status.INVALID_ARGUMENT.asRuntimeException())).isFalse();
    }

    @Test
    void theRetryIsBoundedInTime() throws Exception {
        String other = "127.0.0.1:" + nonOwner(null);
        try (NetstackApi api = NetstackApi.connect(other).setRetryTimeout(Duration.ZERO)) {
            // One attempt without retries first: the channel is connected before the clock runs.
            assertThatThrownBy(() -> api.udp("a")).isInstanceOf(StatusRuntimeException.class);
            assertThat(nonOwnerSaw).hasSize(1);
            api.setRetryTimeout(Duration.ofMillis(1000));
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> api.udp("a")).isInstanceOfSatisfying(StatusRuntimeException.class,
                    e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        }
        assertThat(nonOwnerSaw.size()).as("several attempts, then the error").isGreaterThan(2);
    }
}
