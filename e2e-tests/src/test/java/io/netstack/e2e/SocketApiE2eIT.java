package io.netstack.e2e;

import io.netstack.broker.RepoRoot;
import io.netstack.launcher.StackClient;
import io.netstack.launcher.StackLauncher;
import io.netstack.launcher.chaos.ChaosRun;
import io.netstack.socket.ErrnoException;
import io.netstack.socket.NetstackApi;
import io.netstack.socket.NetstackSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The socket API over gRPC on the whole distributed stack (broker + five services): two hosts,
 * a (10.0.0.1) and b (10.0.0.2), their eth0 wired back to back by a `Cable` in this test (a's
 * frames on netstack.wire.tx are published as b's netstack.wire.rx and back). b runs the demo
 * apps its host.yaml lists (udp-echo, tcp-echo, http); the test is a client on a.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class SocketApiE2eIT {

    private StackLauncher stack;
    private StackClient client;
    private NetstackApi api;
    private Cable cable;

    @BeforeAll
    void startStack() {
        Path repo = RepoRoot.find();
        Path runDir = repo.resolve("e2e-tests/target/netstack-run-sock-" + System.currentTimeMillis());
        stack = StackLauncher.builder().repoRoot(repo).runDir(runDir)
                .delivery(System.getProperty("netstack.delivery", "exactly-once")).build().start();
        System.out.printf("stack up in %d ms, socket API on %s, logs in %s%n", stack.startupTime().toMillis(),
                stack.socketApiAddress(), runDir);
        client = stack.client();
        client.publishConfig("a", ChaosRun.hostYaml("10.0.0.1", "02:00:00:00:00:01", "10.0.0.2", "02:00:00:00:00:02", ""));
        client.publishConfig("b", ChaosRun.hostYaml("10.0.0.2", "02:00:00:00:00:02", "10.0.0.1", "02:00:00:00:00:01",
                "apps:\n  - {app: udp-echo, port: 7}\n  - {app: tcp-echo, port: 7}\n  - {app: http, port: 80}\n"));
        cable = new Cable(stack, "a", "b");
        api = NetstackApi.connect(stack.socketApiAddress());
    }

    @AfterAll
    void stopStack() throws Exception {
        if (cable != null) cable.close();
        if (api != null) api.close();
        if (client != null) client.close();
        if (stack != null) stack.stop();
    }

    /** Connects a's TCP socket to b, retrying while b's app is not listening yet (it starts with b's configuration). */
    private NetstackSocket connectToB(int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            NetstackSocket s = api.tcp("a");
            s.setTimeout(Duration.ofSeconds(20));
            try {
                s.connect("10.0.0.2", port);
                s.setTimeout(Duration.ofSeconds(30));
                return s;
            } catch (ErrnoException e) {
                s.close();
                if (!e.errno().equals("ECONNREFUSED") || System.nanoTime() > deadline) throw e;
                Thread.sleep(300);
            }
        }
    }

    @Test
    void udpEchoRoundTrip() throws Exception {
        try (NetstackSocket s = api.udp("a")) {
            s.setTimeout(Duration.ofSeconds(3));
            NetstackSocket.Received back = null;
            for (int attempt = 0; attempt < 10 && back == null; attempt++) {
                s.sendTo("hello, echo".getBytes(StandardCharsets.US_ASCII), "10.0.0.2", 7);
                try {
                    back = s.recvFrom(1500);
                } catch (ErrnoException e) {
                    assertThat(e.errno()).isIn("EAGAIN", "ECONNREFUSED"); // the app not bound yet
                }
            }
            assertThat(back).as("an echo within 10 attempts").isNotNull();
            assertThat(new String(back.data(), StandardCharsets.US_ASCII)).isEqualTo("hello, echo");
            assertThat(back.from().addr()).isEqualTo("10.0.0.2");
            assertThat(back.from().port()).isEqualTo(7);
        }
    }

    @Test
    void tcpEchoOfHundredKilobytesIsIntact() throws Exception {
        byte[] data = new byte[100 * 1024];
        new Random(42).nextBytes(data);
        long t0 = System.nanoTime();
        try (NetstackSocket s = connectToB(7)) {
            CompletableFuture<byte[]> echoed = CompletableFuture.supplyAsync(() -> {
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                try {
                    s.recvStream(65536, d -> got.write(d.data(), 0, d.data().length));
                } catch (ErrnoException e) {
                    throw new IllegalStateException(e);
                }
                return got.toByteArray();
            });
            s.sendAll(data);
            s.shutdown(1);
            byte[] back = echoed.get();
            assertThat(back.length).isEqualTo(data.length);
            assertThat(sha(back)).isEqualTo(sha(data));
        }
        System.out.printf("100 KB TCP echo through the stack in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }

    @Test
    void connectToAClosedPortIsRefused() throws Exception {
        try (NetstackSocket s = api.tcp("a")) {
            s.setTimeout(Duration.ofSeconds(20));
            assertThatThrownBy(() -> s.connect("10.0.0.2", 9)).isInstanceOf(ErrnoException.class)
                    .extracting(e -> ((ErrnoException) e).errno()).isEqualTo("ECONNREFUSED");
        }
    }

    @Test
    void aSecondBindToTheSamePortIsEaddrinuse() throws Exception {
        try (NetstackSocket s1 = api.udp("a"); NetstackSocket s2 = api.udp("a")) {
            s1.bind("0.0.0.0", 5000);
            assertThatThrownBy(() -> s2.bind("10.0.0.1", 5000)).isInstanceOf(ErrnoException.class)
                    .extracting(e -> ((ErrnoException) e).errno()).isEqualTo("EADDRINUSE");
        }
    }

    @Test
    void httpGetFromTheHttpApp() throws Exception {
        try (NetstackSocket s = connectToB(80)) {
            s.sendAll("GET / HTTP/1.1\r\nHost: 10.0.0.2\r\nUser-Agent: e2e\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            s.recvStream(65536, d -> got.write(d.data(), 0, d.data().length));
            String response = got.toString(StandardCharsets.UTF_8);
            assertThat(response).startsWith("HTTP/1.1 200 OK\r\n");
            assertThat(response).contains("Content-Type: text/html");
            assertThat(response).contains("Hello from b");
            int body = response.indexOf("\r\n\r\n") + 4;
            String len = response.replaceAll("(?s).*Content-Length: (\\d+).*", "$1");
            assertThat(response.substring(body).getBytes(StandardCharsets.UTF_8)).hasSize(Integer.parseInt(len));
        }
    }

    static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
