package io.netstack.socket;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.netstack.proto.SocketApiGrpc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A connection to the socket services' gRPC API (one or more {@code host:port}, or an
 * in-process server by name) from which {@link NetstackSocket}s are opened on an emulated host.
 *
 * <pre>{@code
 * try (NetstackApi api = NetstackApi.connect("127.0.0.1:7070,127.0.0.1:7071");
 *      NetstackSocket s = api.tcp("a")) {
 *     s.connect("10.0.0.2", 7);
 *     s.sendAll("hello".getBytes());
 *     byte[] back = s.recv(100);
 * }
 * }</pre>
 *
 * <p>Every socket-service instance serves the API, but a host's sockets live on the instance that
 * owns the host; the others answer "not the owner" (FAILED_PRECONDITION, naming the owner when
 * they know it). An instance may die, or a rebalance move the host, in the middle of a call. So
 * a call that fails with UNAVAILABLE (or CANCELLED by a server that stops) or not-the-owner is sent again, to the owner the trailer
 * names or else to the next target, after a short backoff, for up to {@link #setRetryTimeout}
 * (60 s by default; a host moves after the group's session timeout, 6 s, plus its restore). A
 * killed instance costs a call a retry, not an error. Each mutating call carries a call id
 * (this client's id and a sequence number), the same on every attempt: the socket layer
 * answers a retry whose first attempt was committed with that attempt's result, so a retry
 * never sends twice or loses what a recv took.
 */
public final class NetstackApi implements AutoCloseable {

    /** The description of the not-owner status starts with this, then the host. */
    public static final String NOT_OWNER = "not the owner of host ";
    /** The trailer in which a non-owner names the owner's API address ("host:port"). */
    public static final String OWNER_TRAILER = "netstack-owner-api";
    public static final Duration DEFAULT_RETRY_TIMEOUT = Duration.ofSeconds(60);

    private static final Metadata.Key<String> OWNER_KEY = Metadata.Key.of(OWNER_TRAILER, Metadata.ASCII_STRING_MARSHALLER);
    private static final long FIRST_BACKOFF_MS = 50;
    private static final long MAX_BACKOFF_MS = 1000;

    /** One server: its address and channel. */
    private record Target(String address, ManagedChannel channel, SocketApiGrpc.SocketApiBlockingStub stub) {}

    private final List<Target> targets = new CopyOnWriteArrayList<>();
    /** Opens a channel to an owner a trailer names that is not among the targets; null: none (in-process). */
    private final Function<String, ManagedChannel> dial;
    private final boolean owned;
    /** Where each host's calls went last (its owner, as far as this client knows). */
    private final Map<String, Target> ownerOf = new ConcurrentHashMap<>();
    private final String clientId = UUID.randomUUID().toString().substring(0, 13);
    private final AtomicLong seq = new AtomicLong();
    private volatile Duration retryTimeout;
    final SocketApiGrpc.SocketApiBlockingStub blocking;

    private NetstackApi(List<String> addresses, Function<String, ManagedChannel> dial, ManagedChannel given,
                        boolean owned, Duration retryTimeout) {
        this.dial = dial;
        this.owned = owned;
        this.retryTimeout = retryTimeout;
        if (given != null) {
            targets.add(target(addresses.get(0), given));
        } else {
            for (String a : addresses) targets.add(target(a, dial.apply(a)));
        }
        this.blocking = targets.get(0).stub();
    }

    private static Target target(String address, ManagedChannel ch) {
        return new Target(address, ch, SocketApiGrpc.newBlockingStub(ch));
    }

    /** Plaintext channels to {@code "host:port"} or several, comma-separated ({@code "h1:p1,h2:p2"}). */
    public static NetstackApi connect(String targets) {
        List<String> list = new ArrayList<>();
        for (String t : targets.split(",")) if (!t.isBlank()) list.add(t.trim());
        return connect(list);
    }

    /** Plaintext channels to every socket-service instance's API. */
    public static NetstackApi connect(List<String> targets) {
        if (targets.isEmpty()) throw new IllegalArgumentException("no socket API address");
        return new NetstackApi(List.copyOf(targets), NetstackApi::netty, null, true, DEFAULT_RETRY_TIMEOUT);
    }

    private static ManagedChannel netty(String target) {
        // Netty directly: no ServiceLoader lookup, so a shaded jar (the CLI) finds the transport too.
        return io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forTarget(target).usePlaintext()
                .maxInboundMessageSize(16 << 20).build();
    }

    /**
     * A channel to an in-process server (grpc-inprocess) of this JVM. It does not retry: the one
     * server is this JVM's, and a program in it (a demo app) whose host went to another
     * instance must stop, not wait for the host to come back.
     */
    public static NetstackApi inProcess(String serverName) {
        return new NetstackApi(List.of("in-process:" + serverName), null,
                InProcessChannelBuilder.forName(serverName).directExecutor().build(), true, Duration.ZERO);
    }

    /** Over a channel the caller owns (and closes). */
    public static NetstackApi over(ManagedChannel channel) {
        return new NetstackApi(List.of(String.valueOf(channel.authority())), null, channel, false, DEFAULT_RETRY_TIMEOUT);
    }

    /** How long a call goes on retrying after UNAVAILABLE or not-the-owner (zero: it does not). */
    public NetstackApi setRetryTimeout(Duration timeout) {
        this.retryTimeout = timeout;
        return this;
    }

    public Duration retryTimeout() { return retryTimeout; }

    /** The addresses this client sends calls to. */
    public List<String> targets() {
        return targets.stream().map(Target::address).toList();
    }

    /** socket(AF_INET, SOCK_STREAM, 0) on host {@code netns}. */
    public NetstackSocket tcp(String netns) throws ErrnoException {
        return NetstackSocket.open(this, netns, "tcp");
    }

    /** socket(AF_INET, SOCK_DGRAM, 0) on host {@code netns}. */
    public NetstackSocket udp(String netns) throws ErrnoException {
        return NetstackSocket.open(this, netns, "udp");
    }

    /**
     * A socket of the host's table this program did not open, by its fd ("tcp" or "udp"): as a
     * process inherits a file descriptor. The demo apps take over a host's listening sockets
     * and connections this way when the host moves to their instance.
     */
    public NetstackSocket adopt(String netns, String type, int fd) {
        return NetstackSocket.of(this, netns, type, fd);
    }

    /** A fresh call id: this client's id and the next sequence number. */
    String nextCallId() {
        return clientId + "#" + seq.incrementAndGet();
    }

    /**
     * Runs one call for host {@code netns}, on the target that answered for it last; on
     * UNAVAILABLE or not-the-owner again elsewhere (see the class comment) until the retry
     * timeout; any other failure, or the last one, is thrown.
     */
    <T> T call(String netns, Function<SocketApiGrpc.SocketApiBlockingStub, T> rpc) {
        long deadline = System.nanoTime() + retryTimeout.toNanos();
        long backoff = FIRST_BACKOFF_MS;
        Target t = ownerOf.getOrDefault(netns, targets.get(0));
        while (true) {
            try {
                T r = rpc.apply(t.stub());
                ownerOf.put(netns, t);
                return r;
            } catch (StatusRuntimeException e) {
                Target next = retarget(e, t);
                if (next == null || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff) - deadline > 0) throw e;
                // A channel whose server died backs off its reconnects (up to minutes): the
                // instance restarted on the same port must be tried now.
                next.channel().resetConnectBackoff();
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
                t = next;
            }
        }
    }

    /**
     * Whether a call failed because its server went away: UNAVAILABLE (nothing listens, the
     * connection broke before the call), CANCELLED (a server stopping in order resets its calls;
     * not a call this client cancelled, its thread interrupted), or UNKNOWN with the channel
     * closed under the call (a server killed while the call was on the wire).
     */
    static boolean serverGone(StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        if (code == Status.Code.UNAVAILABLE) return true;
        if (code == Status.Code.CANCELLED) return !Thread.currentThread().isInterrupted();
        if (code != Status.Code.UNKNOWN) return false;
        for (Throwable c = e.getStatus().getCause(); c != null; c = c.getCause()) {
            if (c instanceof java.nio.channels.ClosedChannelException) return true;
        }
        return false;
    }

    /** Where a failed call goes next: the owner the trailer names, else the next target; null if not retried. */
    private Target retarget(StatusRuntimeException e, Target failed) {
        Status.Code code = e.getStatus().getCode();
        boolean notOwner = code == Status.Code.FAILED_PRECONDITION && e.getStatus().getDescription() != null
                && e.getStatus().getDescription().startsWith(NOT_OWNER);
        if (!serverGone(e) && !notOwner) return null;
        String owner = notOwner && e.getTrailers() != null ? e.getTrailers().get(OWNER_KEY) : null;
        if (owner != null && !owner.equals(failed.address())) {
            for (Target t : targets) if (t.address().equals(owner)) return t;
            if (dial != null) {
                synchronized (targets) {
                    for (Target t : targets) if (t.address().equals(owner)) return t;
                    Target added = target(owner, dial.apply(owner));
                    targets.add(added);
                    return added;
                }
            }
        }
        int i = targets.indexOf(failed);
        return targets.get((i + 1) % targets.size());
    }

    public SocketApiGrpc.SocketApiBlockingStub stub() { return blocking; }

    /** The first target's channel. */
    public ManagedChannel channel() { return targets.get(0).channel(); }

    @Override
    public void close() {
        if (!owned) return;
        for (Target t : targets) t.channel().shutdownNow();
        try {
            for (Target t : targets) t.channel().awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
