package io.netstack.service.socket.api;

import io.grpc.Context;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.netstack.layer.SocketLayer;
import io.netstack.layer.SocketLayer.Errno;
import io.netstack.layer.SocketLayer.Result;
import io.netstack.proto.AcceptRequest;
import io.netstack.proto.BindRequest;
import io.netstack.proto.ConnectRequest;
import io.netstack.proto.FdRequest;
import io.netstack.proto.ListSocketsRequest;
import io.netstack.proto.ListenRequest;
import io.netstack.proto.RecvReply;
import io.netstack.proto.RecvRequest;
import io.netstack.proto.SendRequest;
import io.netstack.proto.ShutdownRequest;
import io.netstack.proto.SockOptRequest;
import io.netstack.proto.SockReply;
import io.netstack.proto.SocketApiGrpc;
import io.netstack.proto.SocketInfo;
import io.netstack.proto.SocketList;
import io.netstack.proto.SocketRef;
import io.netstack.proto.SocketRequest;
import io.netstack.skb.ControlBlock;
import io.netstack.socket.NetstackApi;
import io.netstack.stack.LayerContext;
import io.netstack.wire.Inet;
import com.google.protobuf.ByteString;

import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The BSD socket API over gRPC, on {@link SocketLayer}'s model. Each call that may change state
 * is one visit ({@link SocketVisits}); a call that blocks in BSD (connect, accept, recv) checks
 * the socket, and while it would get EAGAIN / EINPROGRESS waits on {@link ApiWaits} until the
 * next visit changed something (an SK_RECEIVE_QUEUE record arrived), then checks again.
 * Errors travel as errno names in the reply; a host the service does not know is ENONET.
 *
 * <p>Every instance serves the API, but only the owner of a host ({@link HostOwnership}) answers
 * for it: the others refuse with FAILED_PRECONDITION (the owner's address in a trailer when
 * known), checked inside the visit, so a rebalance cannot move the host between the check and
 * the call. A call with a call id is applied at most once: its result is kept in the host's
 * state ({@link SocketLayer#remember}), and a retry of it (from a client whose first attempt's
 * server died, or moved the host away, after the commit) gets that result back.
 */
public final class SocketApiService extends SocketApiGrpc.SocketApiImplBase {

    /** Reads ask for this much when the request says 0. */
    static final int DEFAULT_MAX = 65536;
    /** While the client has not taken the last read (gRPC flow control), look again this often. */
    private static final long BACKPRESSURE_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long SEND_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    private final SocketLayer sl;
    private final SocketVisits visits;
    private final ApiWaits waits;
    private final HostOwnership ownership;

    public SocketApiService(SocketLayer sl, SocketVisits visits, ApiWaits waits) {
        this(sl, visits, waits, HostOwnership.ALL);
    }

    public SocketApiService(SocketLayer sl, SocketVisits visits, ApiWaits waits, HostOwnership ownership) {
        this.sl = sl;
        this.visits = visits;
        this.waits = waits;
        this.ownership = ownership;
    }

    /** The host is another instance's: the call is refused before it touched anything. */
    private static final class NotOwner extends RuntimeException {
        final String netns;

        NotOwner(String netns) {
            super(NetstackApi.NOT_OWNER + netns, null, false, false);
            this.netns = netns;
        }
    }

    /** FAILED_PRECONDITION "not the owner of host X", the owner's API address in the trailer if known. */
    private io.grpc.StatusRuntimeException notOwner(NotOwner e) {
        io.grpc.Metadata trailers = new io.grpc.Metadata();
        String owner = null;
        try {
            owner = ownership.ownerApi(e.netns);
        } catch (RuntimeException lookupFailed) {
            // the client tries the other instances it knows
        }
        if (owner != null) trailers.put(OWNER_API, owner);
        return io.grpc.Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException(trailers);
    }

    static final io.grpc.Metadata.Key<String> OWNER_API =
            io.grpc.Metadata.Key.of(NetstackApi.OWNER_TRAILER, io.grpc.Metadata.ASCII_STRING_MARSHALLER);

    /** A call that failed before it reached the model (no such host, a bad address). */
    private static final class CallError extends RuntimeException {
        final String errno;

        CallError(String errno, String message) {
            super(message);
            this.errno = errno;
        }
    }

    /** A visit of the host's state, refused (NotOwner) unless this instance owns the host. */
    private <T> T owned(String netns, Function<LayerContext, T> action) {
        return visits.visit(netns, ctx -> {
            if (!ownership.owns(netns)) throw new NotOwner(netns);
            return action.apply(ctx);
        });
    }

    private <T> T visit(String netns, Function<LayerContext, T> action) {
        try {
            return owned(netns, action);
        } catch (IllegalArgumentException e) {
            String m = String.valueOf(e.getMessage());
            throw new CallError(m.startsWith("no host") ? "ENONET" : "EINVAL", m);
        }
    }

    private static int addr(String text) {
        if (text == null || text.isEmpty()) return 0;
        try {
            return Inet.parse(text);
        } catch (RuntimeException e) {
            throw new CallError("EINVAL", "'" + text + "' is not an IPv4 address");
        }
    }

    private static SockReply reply(Result r) {
        SockReply.Builder b = SockReply.newBuilder();
        if (!r.isOk()) return b.setErrno(r.errno().name()).build();
        b.setValue(r.value());
        if (r.port() != 0 || r.addr() != 0) b.setAddr(Inet.format(r.addr())).setPort(r.port());
        return b.build();
    }

    private static SockReply errno(Errno e) {
        return SockReply.newBuilder().setErrno(e.name()).build();
    }

    /** Answers one unary call; the model's errors and the call's own become errno replies. */
    private void unary(StreamObserver<SockReply> out, java.util.concurrent.Callable<SockReply> call) {
        SockReply r;
        try {
            r = call.call();
        } catch (NotOwner e) {
            out.onError(notOwner(e));
            return;
        } catch (CallError e) {
            r = SockReply.newBuilder().setErrno(e.errno).setMessage(e.getMessage()).build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            r = SockReply.newBuilder().setErrno("EINTR").build();
        } catch (io.grpc.StatusRuntimeException e) {
            out.onError(e);   // a status the visit chose (UNAVAILABLE: the instance is stopping)
            return;
        } catch (Exception e) {
            out.onError(io.grpc.Status.INTERNAL.withDescription(e.toString()).withCause(e).asRuntimeException());
            return;
        }
        out.onNext(r);
        out.onCompleted();
    }

    /** timeout_ms: 0 no limit; > 0 a deadline; < 0 non-blocking (never called then). */
    private static long deadline(long timeoutMs) {
        return timeoutMs <= 0 ? Long.MAX_VALUE : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    }

    /** Wakes the waits when the client goes away (runs on the transport thread, not the call's). */
    private Context.CancellationListener cancelWakesWaits() {
        Context.CancellationListener l = c -> waits.wakeAll();
        Context.current().addListener(l, Runnable::run);
        return l;
    }

    // ---- call ids ----

    /**
     * The lane of a call: its client (the call id without its sequence number) and its kind.
     * A socket keeps the last call per lane, so one client's recv and send on one socket,
     * running side by side, do not overwrite each other's record.
     */
    private static String lane(String callId, String kind) {
        int hash = callId.lastIndexOf('#');
        return (hash < 0 ? callId : callId.substring(0, hash)) + " " + kind;
    }

    /**
     * One visit that applies {@code action} at most once per call id: a retry of a call whose
     * first attempt was committed gets that attempt's result, kept on socket {@code fd} (or on
     * the host for fd < 0). EAGAIN changed nothing and is not kept: the retry tries again.
     */
    private Result once(String netns, int fd, String callId, String kind, Function<LayerContext, Result> action) {
        if (callId.isEmpty()) return visit(netns, action);
        String lane = lane(callId, kind);
        return visit(netns, ctx -> {
            Result done = sl.applied(netns, fd, lane, callId);
            if (done != null) return done;
            Result r = action.apply(ctx);
            if (r.errno() != Errno.EAGAIN) sl.remember(netns, fd, lane, callId, r);
            return r;
        });
    }

    // ---- the calls ----

    @Override
    public void listSockets(ListSocketsRequest req, StreamObserver<SocketList> out) {
        SocketList.Builder b = SocketList.newBuilder();
        try {
            listInto(req, b);
        } catch (NotOwner e) {
            out.onError(notOwner(e));
            return;
        }
        out.onNext(b.build());
        out.onCompleted();
    }

    private void listInto(ListSocketsRequest req, SocketList.Builder b) {
        owned(req.getNetns(), ctx -> {
            for (SocketLayer.Sock s : sl.sockets(req.getNetns())) {
                b.addSockets(SocketInfo.newBuilder()
                        .setRef(SocketRef.newBuilder().setNetns(req.getNetns()).setSocket(s.key()))
                        .setQueued(s.queued().size()).setRmemAlloc(s.rmemAlloc()).setRcvbuf(s.rcvbuf()));
            }
            return null;
        });
    }

    @Override
    public void socket(SocketRequest req, StreamObserver<SockReply> out) {
        unary(out, () -> reply(once(req.getNetns(), -1, req.getCallId(), "socket",
                ctx -> sl.socketCreate(req.getNetns(), req.getType()))));
    }

    @Override
    public void bind(BindRequest req, StreamObserver<SockReply> out) {
        unary(out, () -> {
            int a = addr(req.getAddr());
            return reply(once(req.getNetns(), req.getFd(), req.getCallId(), "ctl",
                    ctx -> sl.bind(ctx, req.getNetns(), req.getFd(), a, req.getPort())));
        });
    }

    @Override
    public void listen(ListenRequest req, StreamObserver<SockReply> out) {
        int backlog = req.getBacklog() <= 0 ? 128 : req.getBacklog();
        unary(out, () -> reply(once(req.getNetns(), req.getFd(), req.getCallId(), "ctl",
                ctx -> sl.listen(ctx, req.getNetns(), req.getFd(), backlog))));
    }

    /** accept(): waits for a completed connection unless non-blocking. */
    @Override
    public void accept(AcceptRequest req, StreamObserver<SockReply> out) {
        unary(out, () -> {
            cancelWakesWaits();
            long deadline = deadline(req.getTimeoutMs());
            while (true) {
                ApiWaits.Seen seen = waits.generation(req.getNetns(), req.getFd());
                Result r = once(req.getNetns(), req.getFd(), req.getCallId(), "accept",
                        ctx -> sl.accept(ctx, req.getNetns(), req.getFd()));
                if (r.errno() != Errno.EAGAIN || req.getTimeoutMs() < 0) return reply(r);
                if (Context.current().isCancelled() || !waits.await(req.getNetns(), req.getFd(), seen, deadline)) {
                    return errno(Errno.EAGAIN);
                }
            }
        });
    }

    /**
     * connect(): TCP sends the SYN (EINPROGRESS from the model), then waits until the socket is
     * ESTABLISHED or closed with an error (ECONNREFUSED on a RST, ETIMEDOUT after the SYN
     * retries); a timeout leaves it connecting and answers EINPROGRESS, as Linux does.
     */
    @Override
    public void connect(ConnectRequest req, StreamObserver<SockReply> out) {
        unary(out, () -> {
            cancelWakesWaits();
            int a = addr(req.getAddr());
            String netns = req.getNetns();
            int fd = req.getFd();
            // A retried connect whose SYN went out gets EINPROGRESS again and waits below.
            Result r = once(netns, fd, req.getCallId(), "ctl", ctx -> sl.connect(ctx, netns, fd, a, req.getPort()));
            if (r.errno() != Errno.EINPROGRESS || req.getTimeoutMs() < 0) return reply(r);
            long deadline = deadline(req.getTimeoutMs());
            while (true) {
                ApiWaits.Seen seen = waits.generation(netns, fd);
                Result s = visit(netns, ctx -> connectState(netns, fd));
                if (s.errno() != Errno.EINPROGRESS) return reply(s);
                if (Context.current().isCancelled() || !waits.await(netns, fd, seen, deadline)) {
                    return errno(Errno.EINPROGRESS);
                }
            }
        });
    }

    /** Where a connecting socket is: ok (ESTABLISHED), its error, or still EINPROGRESS. */
    private Result connectState(String netns, int fd) {
        SocketLayer.BsdSocket b = sl.fd(netns, fd);
        if (b == null) return Result.err(Errno.EBADF);
        if (b.state() == SocketLayer.SockState.CONNECTED) return Result.ok(0);
        if (b.state() == SocketLayer.SockState.CONNECTING) return Result.err(Errno.EINPROGRESS);
        Result e = sl.getsockoptError(netns, fd);
        if (e.isOk() && e.value() != 0) return Result.err(Errno.of(e.value()));
        return Result.err(Errno.ECONNREFUSED);
    }

    @Override
    public void send(SendRequest req, StreamObserver<SockReply> out) {
        unary(out, () -> reply(sendBlocking(req.getNetns(), req.getFd(), req.getData().toByteArray(), req.getCallId())));
    }

    /**
     * A blocking send(), as tcp_sendmsg: what fits in the send buffer is queued, then it waits
     * (sk_stream_wait_memory) for acknowledgements to free room, until all is queued; an error
     * after some was queued answers the count so far, as Linux does. UDP takes it at once.
     */
    private Result sendBlocking(String netns, int fd, byte[] data, String callId) throws InterruptedException {
        cancelWakesWaits();
        String lane = callId.isEmpty() || data.length == 0 ? null : lane(callId, "send");
        int done = 0;
        while (true) {
            ApiWaits.Seen seen = waits.generation(netns, fd);
            int from = done;
            SendStep step = visit(netns, ctx -> sendStep(ctx, netns, fd, data, from, lane, callId));
            done = step.done();
            Result r = step.error();
            if (r == null) {
                if (done >= data.length) return Result.ok(data.length);
                continue;
            }
            if (r.errno() != Errno.EAGAIN) return done > 0 ? Result.ok(done) : r;
            if (Context.current().isCancelled()) return done > 0 ? Result.ok(done) : r;
            // sk_write_space arrives as a visit of the layer, which wakes this; the recheck is a backstop.
            waits.await(netns, fd, seen, System.nanoTime() + SEND_RECHECK_NANOS);
        }
    }

    /** Where a send stands after one visit: the bytes taken so far, and the error that stopped it (null: none). */
    private record SendStep(int done, Result error) {}

    /**
     * One visit of a blocking send: the bytes not yet taken go to the send buffer. With a call
     * id the layer keeps how many bytes of this call it took so far (the progress, not each
     * step's count), so a retry resumes after the last committed byte: none is sent twice,
     * none skipped.
     */
    private SendStep sendStep(LayerContext ctx, String netns, int fd, byte[] data, int from, String lane, String callId) {
        int at = from;
        if (lane != null) {
            Result progress = sl.applied(netns, fd, lane, callId);
            if (progress != null) at = Math.max(at, (int) progress.value());
            if (at >= data.length) return new SendStep(at, null);
        }
        byte[] rest = at == 0 ? data : java.util.Arrays.copyOfRange(data, at, data.length);
        Result r = sl.send(ctx, netns, fd, rest);
        if (!r.isOk()) return new SendStep(at, r);
        at += (int) r.value();
        if (lane != null) sl.remember(netns, fd, lane, callId, Result.ok(at));
        return new SendStep(at, null);
    }

    @Override
    public void sendTo(SendRequest req, StreamObserver<SockReply> out) {
        unary(out, () -> {
            if (req.getAddr().isEmpty()) {
                return reply(sendBlocking(req.getNetns(), req.getFd(), req.getData().toByteArray(), req.getCallId()));
            }
            int a = addr(req.getAddr());
            return reply(once(req.getNetns(), req.getFd(), req.getCallId(), "send",
                    ctx -> sl.sendto(ctx, req.getNetns(), req.getFd(), req.getData().toByteArray(), a, req.getPort())));
        });
    }

    @Override
    public void recv(RecvRequest req, StreamObserver<RecvReply> out) {
        recvLoop(req, out, false);
    }

    @Override
    public void recvFrom(RecvRequest req, StreamObserver<RecvReply> out) {
        recvLoop(req, out, true);
    }

    /**
     * recv / recvfrom: reads what is queued; waits (unless non-blocking) while there is nothing.
     * With follow, every read is sent as it comes until EOF or an error; a read waits while the
     * client has not taken the previous ones (gRPC flow control), so the emulated receive
     * queue fills and the window closes, as with a slow reader.
     */
    private void recvLoop(RecvRequest req, StreamObserver<RecvReply> out, boolean from) {
        ServerCallStreamObserver<RecvReply> obs = (ServerCallStreamObserver<RecvReply>) out;
        cancelWakesWaits();
        String netns = req.getNetns();
        int fd = req.getFd();
        int max = req.getMax() == 0 ? DEFAULT_MAX : (int) Math.min(req.getMax(), 16 << 20);
        long deadline = deadline(req.getTimeoutMs());
        try {
            String proto = owned(netns, ctx -> {
                SocketLayer.BsdSocket b = sl.fd(netns, fd);
                return b == null ? null : b.proto;
            });
            if (proto == null) {
                obs.onNext(RecvReply.newBuilder().setErrno(Errno.EBADF.name()).build());
                obs.onCompleted();
                return;
            }
            while (!obs.isCancelled()) {
                ApiWaits.Seen seen = waits.generation(netns, fd);
                if (!obs.isReady()) {
                    waits.await(netns, fd, seen, System.nanoTime() + BACKPRESSURE_RECHECK_NANOS);
                    continue;
                }
                Function<LayerContext, Result> read = ctx -> from ? sl.recvfrom(ctx, netns, fd, max) : sl.recv(ctx, netns, fd, max);
                // A stream's reads are not retried (its client cannot say which it got): no call id.
                Result r = once(netns, fd, req.getFollow() ? "" : req.getCallId(), "recv", read);
                if (r.isOk()) {
                    boolean eof = r.data().length == 0 && "tcp".equals(proto);
                    RecvReply.Builder rb = RecvReply.newBuilder().setData(ByteString.copyFrom(r.data())).setEof(eof);
                    if (r.addr() != 0 || r.port() != 0) rb.setAddr(Inet.format(r.addr())).setPort(r.port());
                    obs.onNext(rb.build());
                    if (eof || !req.getFollow()) break;
                    deadline = deadline(req.getTimeoutMs());
                    continue;
                }
                if (r.errno() == Errno.EAGAIN && req.getTimeoutMs() >= 0) {
                    if (waits.await(netns, fd, seen, deadline)) continue;
                }
                obs.onNext(RecvReply.newBuilder().setErrno(r.errno().name()).build());
                break;
            }
            if (!obs.isCancelled()) obs.onCompleted();
        } catch (NotOwner e) {
            if (!obs.isCancelled()) obs.onError(notOwner(e));
        } catch (CallError e) {
            obs.onNext(RecvReply.newBuilder().setErrno(e.errno).build());
            obs.onCompleted();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            obs.onError(io.grpc.Status.CANCELLED.asRuntimeException());
        } catch (io.grpc.StatusRuntimeException e) {
            if (!obs.isCancelled()) obs.onError(e);
        } catch (RuntimeException e) {
            if (!obs.isCancelled()) obs.onError(io.grpc.Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
        }
    }

    @Override
    public void shutdown(ShutdownRequest req, StreamObserver<SockReply> out) {
        unary(out, () -> reply(once(req.getNetns(), req.getFd(), req.getCallId(), "ctl",
                ctx -> sl.shutdown(ctx, req.getNetns(), req.getFd(), req.getHow()))));
    }

    @Override
    public void close(FdRequest req, StreamObserver<SockReply> out) {
        // Kept on the host: the socket is gone once the close is applied.
        unary(out, () -> reply(once(req.getNetns(), -1, req.getCallId(), "close " + req.getFd(),
                ctx -> sl.close(ctx, req.getNetns(), req.getFd()))));
    }

    @Override
    public void getSockName(FdRequest req, StreamObserver<SockReply> out) {
        unary(out, () -> withAddress(visit(req.getNetns(), ctx -> sl.getsockname(req.getNetns(), req.getFd()))));
    }

    @Override
    public void getPeerName(FdRequest req, StreamObserver<SockReply> out) {
        unary(out, () -> withAddress(visit(req.getNetns(), ctx -> sl.getpeername(req.getNetns(), req.getFd()))));
    }

    /** getsockname / getpeername answer 0.0.0.0:0 too. */
    private static SockReply withAddress(Result r) {
        if (!r.isOk()) return reply(r);
        return SockReply.newBuilder().setAddr(Inet.format(r.addr())).setPort(r.port()).build();
    }

    @Override
    public void setSockOpt(SockOptRequest req, StreamObserver<SockReply> out) {
        unary(out, () -> {
            int opt = option(req.getOpt());
            return reply(once(req.getNetns(), req.getFd(), req.getCallId(), "ctl",
                    ctx -> sl.setsockopt(ctx, req.getNetns(), req.getFd(), opt, req.getValue())));
        });
    }

    @Override
    public void getSockOpt(SockOptRequest req, StreamObserver<SockReply> out) {
        unary(out, () -> {
            switch (req.getOpt()) {
                case "SO_RCVBUF":
                    return reply(visit(req.getNetns(), ctx -> sl.getsockoptRcvbuf(req.getNetns(), req.getFd())));
                case "SO_ERROR":
                    return reply(visit(req.getNetns(), ctx -> sl.getsockoptError(req.getNetns(), req.getFd())));
                default:
                    throw new CallError("ENOPROTOOPT", "getsockopt " + req.getOpt() + ": SO_RCVBUF or SO_ERROR");
            }
        });
    }

    private static int option(String name) {
        switch (name) {
            case "SO_RCVBUF": return ControlBlock.SO_RCVBUF;
            case "SO_KEEPALIVE": return ControlBlock.SO_KEEPALIVE;
            case "TCP_NODELAY": return ControlBlock.TCP_NODELAY;
            default: throw new CallError("ENOPROTOOPT", "setsockopt " + name + ": SO_RCVBUF, SO_KEEPALIVE or TCP_NODELAY");
        }
    }
}
