package io.netstack.socket;

import com.google.protobuf.ByteString;
import io.netstack.proto.AcceptRequest;
import io.netstack.proto.BindRequest;
import io.netstack.proto.ConnectRequest;
import io.netstack.proto.FdRequest;
import io.netstack.proto.ListenRequest;
import io.netstack.proto.RecvReply;
import io.netstack.proto.RecvRequest;
import io.netstack.proto.SendRequest;
import io.netstack.proto.ShutdownRequest;
import io.netstack.proto.SockOptRequest;
import io.netstack.proto.SockReply;
import io.netstack.proto.SocketRequest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Iterator;
import java.util.function.Consumer;

/**
 * A socket of an emulated host, with the blocking calls of BSD sockets: {@link #connect} waits
 * for the handshake, {@link #accept} for a connection, {@link #recv} for data (an empty array
 * at EOF). A failed call throws {@link ErrnoException} with the errno's name. A timeout
 * ({@link #setTimeout}, SO_RCVTIMEO-like) bounds every wait; {@link #setNonBlocking} makes the
 * calls fail with EAGAIN / EINPROGRESS instead of waiting.
 *
 * <p>Every call goes through {@link NetstackApi}'s retries: when the socket-service instance
 * serving the host dies or the host moves, the call (a blocked recv too) is sent again to the
 * host's new owner. Each call that changes the socket carries a fresh call id, the same on every
 * attempt, so a retry of a call that was already done answers what it answered (the same fd,
 * the same bytes) instead of doing it again.
 */
public final class NetstackSocket implements AutoCloseable {

    /** One datagram (or read) and where it came from. */
    public record Received(byte[] data, SockAddr from, boolean eof) {}

    /** Largest payload of one Send call (the client splits larger writes, as the kernel does). */
    public static final int MAX_SEND = 64 * 1024;

    private final NetstackApi api;
    private final String netns;
    private final String type;
    private final int fd;
    private long timeoutMs;
    private boolean closed;

    private NetstackSocket(NetstackApi api, String netns, String type, int fd) {
        this.api = api;
        this.netns = netns;
        this.type = type;
        this.fd = fd;
    }

    static NetstackSocket open(NetstackApi api, String netns, String type) throws ErrnoException {
        SocketRequest req = SocketRequest.newBuilder().setNetns(netns).setType(type).setCallId(api.nextCallId()).build();
        SockReply r = check(api.call(netns, stub -> stub.socket(req)));
        return new NetstackSocket(api, netns, type, (int) r.getValue());
    }

    /** A socket of the table by fd (NetstackApi#adopt). */
    static NetstackSocket of(NetstackApi api, String netns, String type, int fd) {
        return new NetstackSocket(api, netns, type, fd);
    }

    public String netns() { return netns; }
    public int fd() { return fd; }
    /** "tcp" or "udp". */
    public String type() { return type; }

    /** The wait bound of blocking calls; zero (the default) waits without limit. */
    public NetstackSocket setTimeout(Duration timeout) {
        this.timeoutMs = timeout.isZero() ? 0 : Math.max(1, timeout.toMillis());
        return this;
    }

    /** O_NONBLOCK: calls that would wait fail with EAGAIN (connect: EINPROGRESS). */
    public NetstackSocket setNonBlocking(boolean on) {
        this.timeoutMs = on ? -1 : 0;
        return this;
    }

    public NetstackSocket bind(String addr, int port) throws ErrnoException {
        BindRequest req = BindRequest.newBuilder().setNetns(netns).setFd(fd).setAddr(addr == null ? "" : addr)
                .setPort(port).setCallId(api.nextCallId()).build();
        check(api.call(netns, stub -> stub.bind(req)));
        return this;
    }

    public NetstackSocket listen(int backlog) throws ErrnoException {
        ListenRequest req = ListenRequest.newBuilder().setNetns(netns).setFd(fd).setBacklog(backlog)
                .setCallId(api.nextCallId()).build();
        check(api.call(netns, stub -> stub.listen(req)));
        return this;
    }

    /** Waits for a connection; the new socket's {@link #peer()} is the client. */
    public NetstackSocket accept() throws ErrnoException {
        AcceptRequest req = AcceptRequest.newBuilder().setNetns(netns).setFd(fd).setTimeoutMs(timeoutMs)
                .setCallId(api.nextCallId()).build();
        SockReply r = check(api.call(netns, stub -> stub.accept(req)));
        NetstackSocket s = new NetstackSocket(api, netns, type, (int) r.getValue());
        s.timeoutMs = timeoutMs;
        return s;
    }

    /** TCP: waits for the three-way handshake (ECONNREFUSED, ETIMEDOUT); UDP: sets the default peer. */
    public NetstackSocket connect(String addr, int port) throws ErrnoException {
        ConnectRequest req = ConnectRequest.newBuilder().setNetns(netns).setFd(fd).setAddr(addr).setPort(port)
                .setTimeoutMs(timeoutMs).setCallId(api.nextCallId()).build();
        check(api.call(netns, stub -> stub.connect(req)));
        return this;
    }

    /** send(): the bytes taken (all of them: the emulated send buffer does not fill). */
    public int send(byte[] data) throws ErrnoException {
        return (int) send(ByteString.copyFrom(data)).getValue();
    }

    private SockReply send(ByteString data) throws ErrnoException {
        SendRequest req = SendRequest.newBuilder().setNetns(netns).setFd(fd).setData(data).setCallId(api.nextCallId()).build();
        return check(api.call(netns, stub -> stub.send(req)));
    }

    /** Sends all of {@code data} in pieces of at most {@link #MAX_SEND}. */
    public void sendAll(byte[] data) throws ErrnoException {
        for (int off = 0; off < data.length; off += MAX_SEND) {
            int n = Math.min(MAX_SEND, data.length - off);
            send(ByteString.copyFrom(data, off, n));
        }
    }

    /** sendto(): one datagram to {@code addr:port}. */
    public int sendTo(byte[] data, String addr, int port) throws ErrnoException {
        SendRequest req = SendRequest.newBuilder().setNetns(netns).setFd(fd).setData(ByteString.copyFrom(data))
                .setAddr(addr).setPort(port).setCallId(api.nextCallId()).build();
        return (int) check(api.call(netns, stub -> stub.sendTo(req))).getValue();
    }

    /** recv(): waits for data; at most {@code max} bytes; an empty array at EOF. */
    public byte[] recv(int max) throws ErrnoException {
        return recvFrom(max).data();
    }

    /** recvfrom(): waits for a datagram (UDP) or data (TCP) and tells where it came from. */
    public Received recvFrom(int max) throws ErrnoException {
        RecvRequest req = RecvRequest.newBuilder().setNetns(netns).setFd(fd).setMax(max).setTimeoutMs(timeoutMs)
                .setCallId(api.nextCallId()).build();
        RecvReply r = api.call(netns, stub -> {
            Iterator<RecvReply> it = "udp".equals(type) ? stub.recvFrom(req) : stub.recv(req);
            // Without follow the server answers one read and ends the stream.
            if (!it.hasNext()) return null;
            RecvReply first = it.next();
            while (it.hasNext()) it.next();
            return first;
        });
        if (r == null) return new Received(new byte[0], null, true);
        if (!r.getErrno().isEmpty()) throw new ErrnoException(r.getErrno(), "recv on fd " + fd + " of " + netns);
        SockAddr from = r.getAddr().isEmpty() ? null : new SockAddr(r.getAddr(), r.getPort());
        return new Received(r.getData().toByteArray(), from, r.getEof());
    }

    /**
     * Reads what arrives until EOF (returns normally) or an error (throws), handing each read to
     * {@code sink} as it comes. Each read is a recv() of its own, with its own call id, not one
     * server stream (the API's follow): a stream's replies in flight when its server dies are
     * lost to the client, while a retried recv gets the same bytes again.
     */
    public void recvStream(int max, Consumer<Received> sink) throws ErrnoException {
        while (true) {
            Received r = recvFrom(max);
            sink.accept(r);
            if (r.eof()) return;
        }
    }

    /** shutdown(): 0 SHUT_RD, 1 SHUT_WR (sends the FIN), 2 SHUT_RDWR. */
    public void shutdown(int how) throws ErrnoException {
        ShutdownRequest req = ShutdownRequest.newBuilder().setNetns(netns).setFd(fd).setHow(how).setCallId(api.nextCallId()).build();
        check(api.call(netns, stub -> stub.shutdown(req)));
    }

    public SockAddr local() throws ErrnoException {
        FdRequest req = FdRequest.newBuilder().setNetns(netns).setFd(fd).build();
        SockReply r = check(api.call(netns, stub -> stub.getSockName(req)));
        return new SockAddr(r.getAddr(), r.getPort());
    }

    public SockAddr peer() throws ErrnoException {
        FdRequest req = FdRequest.newBuilder().setNetns(netns).setFd(fd).build();
        SockReply r = check(api.call(netns, stub -> stub.getPeerName(req)));
        return new SockAddr(r.getAddr(), r.getPort());
    }

    /** setsockopt(SOL_SOCKET / IPPROTO_TCP, opt, value): "SO_RCVBUF", "SO_KEEPALIVE", "TCP_NODELAY". */
    public void setOption(String opt, long value) throws ErrnoException {
        SockOptRequest req = SockOptRequest.newBuilder().setNetns(netns).setFd(fd).setOpt(opt).setValue(value)
                .setCallId(api.nextCallId()).build();
        check(api.call(netns, stub -> stub.setSockOpt(req)));
    }

    /** getsockopt(): "SO_RCVBUF" (twice what was set, as Linux keeps it), "SO_ERROR" (the errno code, cleared). */
    public long getOption(String opt) throws ErrnoException {
        SockOptRequest req = SockOptRequest.newBuilder().setNetns(netns).setFd(fd).setOpt(opt).build();
        return check(api.call(netns, stub -> stub.getSockOpt(req))).getValue();
    }

    public void setReceiveBufferSize(int bytes) throws ErrnoException { setOption("SO_RCVBUF", bytes); }

    /** The bytes of the connection as a stream (read returns -1 at EOF). */
    public InputStream inputStream() {
        return new InputStream() {
            private byte[] buf = new byte[0];
            private int pos;
            private boolean eof;

            @Override public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) return 0;
                while (pos == buf.length) {
                    if (eof) return -1;
                    Received r = recvFrom(Math.max(len, 16 * 1024));
                    buf = r.data();
                    pos = 0;
                    if (buf.length == 0) eof = true;
                }
                int n = Math.min(len, buf.length - pos);
                System.arraycopy(buf, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }

    /** Writes go out through send(); close() shuts the writing side (SHUT_WR). */
    public OutputStream outputStream() {
        return new OutputStream() {
            @Override public void write(int b) throws IOException { sendAll(new byte[] {(byte) b}); }
            @Override public void write(byte[] b, int off, int len) throws IOException {
                sendAll(java.util.Arrays.copyOfRange(b, off, off + len));
            }
            @Override public void close() throws IOException { shutdown(1); }
        };
    }

    /** close(); a second close does nothing. */
    @Override
    public void close() throws ErrnoException {
        if (closed) return;
        closed = true;
        FdRequest req = FdRequest.newBuilder().setNetns(netns).setFd(fd).setCallId(api.nextCallId()).build();
        check(api.call(netns, stub -> stub.close(req)));
    }

    @Override public String toString() { return type + " fd " + fd + " of " + netns; }

    static SockReply check(SockReply r) throws ErrnoException {
        if (!r.getErrno().isEmpty()) throw new ErrnoException(r.getErrno(), r.getMessage());
        return r;
    }
}
