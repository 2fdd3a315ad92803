package io.netstack.cli;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netstack.proto.ConnectRequest;
import io.netstack.proto.FdRequest;
import io.netstack.proto.RecvReply;
import io.netstack.proto.RecvRequest;
import io.netstack.proto.SendRequest;
import io.netstack.proto.ShutdownRequest;
import io.netstack.proto.SockReply;
import io.netstack.proto.SocketApiGrpc;
import io.netstack.proto.SocketRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * netstack nc's plumbing against a stand-in socket API (a TCP echo peer on host "a"): stdin
 * goes out with Send, SHUT_WR at its end, each Recv's data goes to stdout until EOF; the API's
 * address from --api or .netstack/stack.json.
 */
class NcCommandTest {

    /** Echoes what is sent on fd 3 back through Recv; EOF after SHUT_WR. */
    static final class EchoPeer extends SocketApiGrpc.SocketApiImplBase {
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());
        final LinkedBlockingQueue<byte[]> back = new LinkedBlockingQueue<>();

        private static void ok(StreamObserver<SockReply> o, long v) {
            o.onNext(SockReply.newBuilder().setValue(v).build());
            o.onCompleted();
        }

        @Override public void socket(SocketRequest r, StreamObserver<SockReply> o) {
            calls.add("socket " + r.getNetns() + " " + r.getType());
            ok(o, 3);
        }
        @Override public void connect(ConnectRequest r, StreamObserver<SockReply> o) {
            calls.add("connect " + r.getAddr() + ":" + r.getPort());
            if (r.getPort() == 9) {
                o.onNext(SockReply.newBuilder().setErrno("ECONNREFUSED").build());
                o.onCompleted();
                return;
            }
            ok(o, 0);
        }
        @Override public void send(SendRequest r, StreamObserver<SockReply> o) {
            back.add(r.getData().toByteArray());
            ok(o, r.getData().size());
        }
        @Override public void shutdown(ShutdownRequest r, StreamObserver<SockReply> o) {
            calls.add("shutdown " + r.getHow());
            back.add(new byte[0]);
            ok(o, 0);
        }
        @Override public void close(FdRequest r, StreamObserver<SockReply> o) {
            calls.add("close " + r.getFd());
            ok(o, 0);
        }
        /** One read per call, as the API answers a recv without follow (the client loops). */
        @Override public void recv(RecvRequest r, StreamObserver<RecvReply> o) {
            try {
                byte[] d = back.take();
                o.onNext(RecvReply.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(d))
                        .setEof(d.length == 0).build());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            o.onCompleted();
        }
    }

    EchoPeer peer;
    Server server;

    @BeforeEach
    void up() throws Exception {
        peer = new EchoPeer();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(peer).build().start();
    }

    @AfterEach
    void down() {
        server.shutdownNow();
    }

    private int run(Path cwd, String stdin, ByteArrayOutputStream out, ByteArrayOutputStream err, String... args) {
        NcCommand nc = new NcCommand();
        nc.cwd = cwd;
        nc.in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        nc.out = new PrintStream(out, true);
        nc.err = new PrintStream(err, true);
        return new picocli.CommandLine(nc).execute(args);
    }

    @Test
    void stdinToTheSocketAndTheSocketToStdout(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve(".netstack"));
        Files.writeString(dir.resolve(".netstack/stack.json"),
                "{\"bootstrap\": \"127.0.0.1:9092\", \"socketApi\": \"127.0.0.1:" + server.getPort() + "\"}");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = run(dir.resolve("sub"), "hello\nworld\n", out, err, "--netns", "a", "10.0.0.2", "7");
        assertThat(rc).as(err.toString()).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("hello\nworld\n");
        assertThat(peer.calls).containsExactly("socket a tcp", "connect 10.0.0.2:7", "shutdown 1", "close 3");
    }

    @Test
    void anErrnoIsPrintedByName(@TempDir Path dir) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = run(dir, "", out, err, "--api", "127.0.0.1:" + server.getPort(), "--netns", "a", "10.0.0.2", "9");
        assertThat(rc).isEqualTo(1);
        assertThat(err.toString()).contains("ECONNREFUSED");
    }

    @Test
    void withoutAnApiAddressItSaysWhereToGetOne(@TempDir Path dir) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(run(dir, "", new ByteArrayOutputStream(), err, "--netns", "a", "10.0.0.2", "7")).isEqualTo(2);
        assertThat(err.toString()).contains("netstack up").contains("--api");
    }
}
