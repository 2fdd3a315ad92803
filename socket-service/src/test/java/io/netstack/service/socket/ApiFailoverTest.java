package io.netstack.service.socket;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.netstack.proto.AcceptRequest;
import io.netstack.proto.RecvReply;
import io.netstack.proto.RecvRequest;
import io.netstack.proto.SendRequest;
import io.netstack.proto.SocketApiGrpc;
import io.netstack.proto.SocketRequest;
import io.netstack.service.socket.api.HostOwnership;
import io.netstack.service.socket.api.SocketApiServer;
import io.netstack.service.socket.api.SocketApiService;
import io.netstack.socket.NetstackApi;
import io.netstack.socket.NetstackSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Two socket API servers over one in-process stack, as two socket-service instances over one
 * host's state: each answers only while it "owns" the hosts ({@link #owner}), as LayerRuntime's
 * partitions say in the service. Killing the owner is shutting its server down and handing the
 * hosts to the other; the client's calls, a blocked recv too, go on there. And the call ids:
 * a retried send or recv whose first attempt was applied answers the same, even after the
 * host's state went through a snapshot and a restore (as it does when it moves).
 */
@Timeout(60)
class ApiFailoverTest {

    InProcessApi stack;
    final AtomicReference<String> owner = new AtomicReference<>("one");
    SocketApiServer one;
    SocketApiServer two;

    @BeforeEach
    void up() throws Exception {
        stack = new InProcessApi();
        stack.host("a", "10.0.0.1", "");
        stack.host("b", "10.0.0.2", "");
        stack.wire("a", "b");
        one = server("one");
        two = server("two");
    }

    /** A server that owns the hosts while {@link #owner} names it, and names the other's address otherwise. */
    private SocketApiServer server(String name) {
        HostOwnership ownership = new HostOwnership() {
            @Override public boolean owns(String netns) { return owner.get().equals(name); }

            @Override public String ownerApi(String netns) {
                SocketApiServer s = "one".equals(owner.get()) ? one : two;
                return s == null ? null : "127.0.0.1:" + s.port();
            }
        };
        SocketApiService service = new SocketApiService(stack.socketLayer, visitsOf(stack), stack.waits, ownership);
        return new SocketApiServer(service, "127.0.0.1", 0, "failover-" + name + "-" + System.nanoTime());
    }

    private static io.netstack.service.socket.api.SocketVisits visitsOf(InProcessApi stack) {
        return stack.visits;
    }

    @AfterEach
    void down() throws Exception {
        one.close();
        two.close();
        stack.close();
    }

    private NetstackApi client() {
        return NetstackApi.connect("127.0.0.1:" + one.port() + ",127.0.0.1:" + two.port())
                .setRetryTimeout(Duration.ofSeconds(20));
    }

    @Test
    void aNonOwnerRefusesWithTheOwnersAddress() {
        ManagedChannel ch = NettyChannelBuilder.forTarget("127.0.0.1:" + two.port()).usePlaintext().build();
        try {
            SocketApiGrpc.SocketApiBlockingStub stub = SocketApiGrpc.newBlockingStub(ch);
            assertThatThrownBy(() -> stub.socket(SocketRequest.newBuilder().setNetns("a").setType("udp").build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                        assertThat(e.getStatus().getDescription()).isEqualTo(NetstackApi.NOT_OWNER + "a");
                        assertThat(e.getTrailers().get(Metadata.Key.of(NetstackApi.OWNER_TRAILER,
                                Metadata.ASCII_STRING_MARSHALLER))).isEqualTo("127.0.0.1:" + one.port());
                    });
        } finally {
            ch.shutdownNow();
        }
        // A client that knows only the non-owner follows the trailer.
        try (NetstackApi api = NetstackApi.connect("127.0.0.1:" + two.port()); NetstackSocket s = api.udp("a")) {
            assertThat(s.fd()).isPositive();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A TCP connection a -> b, a's recv blocked on server one; one dies and the hosts go to two:
     * the recv goes on there and returns the bytes b sends after the move; b's data sent before
     * is not lost, nothing is duplicated.
     */
    @Test
    void aBlockedRecvSurvivesTheDeathOfItsServer() throws Exception {
        try (NetstackApi api = client(); NetstackSocket l = api.tcp("b")) {
            l.bind("0.0.0.0", 7).listen(4);
            NetstackSocket c = api.tcp("a");
            c.connect("10.0.0.2", 7);
            NetstackSocket s = l.accept();
            CompletableFuture<byte[]> blocked = CompletableFuture.supplyAsync(() -> {
                try {
                    return c.recv(100);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(300);
            assertThat(blocked).isNotDone();
            one.close();            // the instance dies ...
            owner.set("two");       // ... and its hosts move to the other
            Thread.sleep(300);
            s.sendAll("after the move".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(blocked.get(20, TimeUnit.SECONDS), StandardCharsets.US_ASCII)).isEqualTo("after the move");
            c.sendAll("back".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(s.recv(100), StandardCharsets.US_ASCII)).isEqualTo("back");
            // UDP after the move, both ways.
            try (NetstackSocket u = api.udp("b"); NetstackSocket v = api.udp("a")) {
                u.bind("0.0.0.0", 53);
                v.sendTo("q".getBytes(StandardCharsets.US_ASCII), "10.0.0.2", 53);
                NetstackSocket.Received d = u.recvFrom(100);
                assertThat(new String(d.data(), StandardCharsets.US_ASCII)).isEqualTo("q");
            }
            c.close();
            s.close();
        }
    }

    /**
     * The same call id twice: socket() answers the same fd, send sends once, recv answers the
     * same bytes, accept the same connection, also when the host's state was snapshotted and
     * restored in between (it is how the state reaches the next owner).
     */
    @Test
    void aRetriedCallWithTheSameIdIsAppliedOnce() throws Exception {
        ManagedChannel ch = NettyChannelBuilder.forTarget("127.0.0.1:" + one.port()).usePlaintext().build();
        try (NetstackApi api = client()) {
            SocketApiGrpc.SocketApiBlockingStub stub = SocketApiGrpc.newBlockingStub(ch);
            long fd1 = stub.socket(SocketRequest.newBuilder().setNetns("a").setType("tcp").setCallId("t#1").build()).getValue();
            moveState();
            long fd1again = stub.socket(SocketRequest.newBuilder().setNetns("a").setType("tcp").setCallId("t#1").build()).getValue();
            long fd2 = stub.socket(SocketRequest.newBuilder().setNetns("a").setType("tcp").setCallId("t#2").build()).getValue();
            assertThat(fd1again).isEqualTo(fd1);
            assertThat(fd2).isNotEqualTo(fd1);

            NetstackSocket l = api.tcp("b");
            l.bind("0.0.0.0", 9).listen(4);
            NetstackSocket c = api.adopt("a", "tcp", (int) fd1);
            c.connect("10.0.0.2", 9);
            waitFor(() -> stack.socketLayer.fd("b", l.fd()).acceptBacklog() == 1);
            AcceptRequest acc = AcceptRequest.newBuilder().setNetns("b").setFd(l.fd()).setCallId("t#3").build();
            long child = stub.accept(acc).getValue();
            moveState();
            assertThat(stub.accept(acc).getValue()).as("the retried accept").isEqualTo(child);

            SendRequest send = SendRequest.newBuilder().setNetns("a").setFd((int) fd1)
                    .setData(ByteString.copyFromUtf8("once")).setCallId("t#4").build();
            assertThat(stub.send(send).getValue()).isEqualTo(4);
            moveState();
            assertThat(stub.send(send).getValue()).as("the retried send").isEqualTo(4);
            waitFor(() -> stack.socketLayer.fd("b", (int) child).queuedBytes() >= 4);
            Thread.sleep(200); // a second copy, if there were one, would be queued by now
            RecvRequest recv = RecvRequest.newBuilder().setNetns("b").setFd((int) child).setMax(100).setCallId("t#5").build();
            String first = one(stub.recv(recv)).getData().toStringUtf8();
            moveState();
            String again = one(stub.recv(recv)).getData().toStringUtf8();
            assertThat(first).isEqualTo("once");
            assertThat(again).as("the retried recv").isEqualTo("once");
            RecvReply next = one(stub.recv(RecvRequest.newBuilder().setNetns("b").setFd((int) child).setMax(100)
                    .setTimeoutMs(-1).setCallId("t#6").build()));
            assertThat(next.getErrno()).as("nothing more: the send was not applied twice").isEqualTo("EAGAIN");
        } finally {
            ch.shutdownNow();
        }
    }

    /** The hosts' socket tables through a snapshot and a restore, as a move to another instance does. */
    private void moveState() {
        stack.underLayerLock(() -> {
            for (String h : new String[] {"a", "b"}) stack.socketLayer.restore(h, stack.socketLayer.snapshot(h), stack.socketLayer.objects(h));
        });
    }

    private static RecvReply one(Iterator<RecvReply> it) {
        RecvReply r = it.next();
        while (it.hasNext()) it.next();
        return r;
    }

    private static void waitFor(java.util.function.BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("condition not met in 10 s");
            Thread.sleep(10);
        }
    }
}
