package io.netstack.service.socket;

import io.netstack.socket.ErrnoException;
import io.netstack.socket.NetstackApi;
import io.netstack.socket.NetstackSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The client library (NetstackSocket) against the gRPC socket API over an in-process server,
 * backed by the five layers in one process: two hosts a (10.0.0.1) and b (10.0.0.2) wired
 * eth0 to eth0. Blocking calls, errno exceptions, UDP and TCP both ways.
 */
@Timeout(60)
class NetstackSocketTest {

    InProcessApi stack;
    NetstackApi api;

    @BeforeEach
    void up() throws Exception {
        stack = new InProcessApi();
        stack.host("a", "10.0.0.1", "");
        stack.host("b", "10.0.0.2", "");
        stack.wire("a", "b");
        api = stack.client();
    }

    @AfterEach
    void down() throws Exception {
        api.close();
        stack.close();
    }

    @Test
    void udpDatagramThereAndBack() throws Exception {
        try (NetstackSocket rx = api.udp("b"); NetstackSocket tx = api.udp("a")) {
            rx.bind("0.0.0.0", 5353);
            CompletableFuture<NetstackSocket.Received> got = CompletableFuture.supplyAsync(() -> {
                try {
                    return rx.recvFrom(1500);
                } catch (ErrnoException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(50); // recvfrom is waiting before the datagram exists
            assertThat(tx.sendTo("ping".getBytes(), "10.0.0.2", 5353)).isEqualTo(4);
            NetstackSocket.Received d = got.get();
            assertThat(new String(d.data(), StandardCharsets.US_ASCII)).isEqualTo("ping");
            assertThat(d.from().addr()).isEqualTo("10.0.0.1");
            assertThat(d.from().port()).isEqualTo(tx.local().port());
            rx.sendTo("pong".getBytes(), d.from().addr(), d.from().port());
            NetstackSocket.Received back = tx.recvFrom(1500);
            assertThat(new String(back.data(), StandardCharsets.US_ASCII)).isEqualTo("pong");
            assertThat(back.from().port()).isEqualTo(5353);
        }
    }

    @Test
    void errnoAsTypedExceptions() throws Exception {
        try (NetstackSocket s1 = api.udp("b"); NetstackSocket s2 = api.udp("b")) {
            s1.bind("0.0.0.0", 7000);
            assertThatThrownBy(() -> s2.bind("0.0.0.0", 7000)).isInstanceOf(ErrnoException.class)
                    .extracting(e -> ((ErrnoException) e).errno()).isEqualTo("EADDRINUSE");
            assertThatThrownBy(() -> s2.bind("192.0.2.77", 7001))
                    .extracting(e -> ((ErrnoException) e).errno()).isEqualTo("EADDRNOTAVAIL");
        }
        try (NetstackSocket t = api.tcp("a")) {
            t.setTimeout(Duration.ofSeconds(10));
            assertThatThrownBy(() -> t.connect("10.0.0.2", 9)).isInstanceOf(ErrnoException.class)
                    .extracting(e -> ((ErrnoException) e).errno()).isEqualTo("ECONNREFUSED");
        }
        try (NetstackSocket l = api.tcp("b")) {
            l.bind("0.0.0.0", 8080).listen(4);
            l.setNonBlocking(true);
            assertThatThrownBy(l::accept).extracting(e -> ((ErrnoException) e).errno()).isEqualTo("EAGAIN");
            l.setTimeout(Duration.ofMillis(100));
            long t0 = System.nanoTime();
            assertThatThrownBy(l::accept).extracting(e -> ((ErrnoException) e).errno()).isEqualTo("EAGAIN");
            assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(90_000_000L);
        }
        assertThatThrownBy(() -> api.tcp("nohost")).extracting(e -> ((ErrnoException) e).errno()).isEqualTo("ENONET");
        NetstackSocket r = api.tcp("a");
        r.setReceiveBufferSize(4096);
        assertThat(r.getOption("SO_RCVBUF")).isEqualTo(8192);
        r.close();
        assertThatThrownBy(() -> r.peer()).extracting(e -> ((ErrnoException) e).errno()).isEqualTo("EBADF");
    }

    @Test
    void tcpConnectAcceptAndHundredKilobytesBothWays() throws Exception {
        byte[] up = new byte[100 * 1024];
        new Random(5).nextBytes(up);
        try (NetstackSocket l = api.tcp("b")) {
            l.bind("0.0.0.0", 7).listen(16);
            CompletableFuture<byte[]> server = CompletableFuture.supplyAsync(() -> {
                try (NetstackSocket c = l.accept()) {
                    assertThat(c.peer().addr()).isEqualTo("10.0.0.1");
                    ByteArrayOutputStream got = new ByteArrayOutputStream();
                    c.recvStream(65536, d -> {
                        got.write(d.data(), 0, d.data().length);
                        try {
                            c.sendAll(d.data());
                        } catch (ErrnoException e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    return got.toByteArray();
                } catch (ErrnoException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (NetstackSocket c = api.tcp("a")) {
                c.connect("10.0.0.2", 7);
                assertThat(c.peer().port()).isEqualTo(7);
                CompletableFuture<byte[]> echoed = CompletableFuture.supplyAsync(() -> {
                    ByteArrayOutputStream back = new ByteArrayOutputStream();
                    try {
                        c.recvStream(65536, d -> back.write(d.data(), 0, d.data().length));
                    } catch (ErrnoException e) {
                        throw new IllegalStateException(e);
                    }
                    return back.toByteArray();
                });
                c.sendAll(up);
                c.shutdown(1);
                assertThat(sha(server.get())).isEqualTo(sha(up));
                assertThat(sha(echoed.get())).isEqualTo(sha(up));
            }
        }
    }

    /**
     * Two accepts and a recv blocked on one host, while the clock runs the stack's timers: none
     * of them visits the layer again until its own socket changes (before, every visit woke
     * every waiter, and the waiters' own visits woke each other without end). A connection to
     * one listener wakes that accept alone.
     */
    @Test
    void blockedCallsWaitWithoutVisitingUntilTheirSocketChanges() throws Exception {
        try (NetstackSocket web = api.tcp("b"); NetstackSocket echo = api.tcp("b"); NetstackSocket udp = api.udp("b")) {
            web.bind("0.0.0.0", 80).listen(16);
            echo.bind("0.0.0.0", 7).listen(16);
            udp.bind("0.0.0.0", 53);
            long before = stack.apiVisits.get();
            CompletableFuture<NetstackSocket> webAccept = CompletableFuture.supplyAsync(() -> accept(web));
            CompletableFuture<NetstackSocket> echoAccept = CompletableFuture.supplyAsync(() -> accept(echo));
            CompletableFuture<byte[]> udpRecv = CompletableFuture.supplyAsync(() -> {
                try {
                    return udp.recv(100);
                } catch (ErrnoException e) {
                    throw new IllegalStateException(e);
                }
            });
            // Each blocked call has made its one look at its socket.
            while (stack.apiVisits.get() < before + 3) Thread.sleep(10);
            Thread.sleep(300);
            long blocked = stack.apiVisits.get();
            Thread.sleep(500);
            assertThat(stack.apiVisits.get()).as("visits while three calls are blocked").isEqualTo(blocked);

            try (NetstackSocket c = api.tcp("a")) {
                c.connect("10.0.0.2", 80);
                try (NetstackSocket accepted = webAccept.get()) {
                    assertThat(accepted.peer().addr()).isEqualTo("10.0.0.1");
                }
            }
            assertThat(echoAccept).isNotDone();
            assertThat(udpRecv).isNotDone();
            echoAccept.cancel(true);
            udpRecv.cancel(true);
        }
    }

    private static NetstackSocket accept(NetstackSocket listener) {
        try {
            return listener.accept();
        } catch (ErrnoException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
