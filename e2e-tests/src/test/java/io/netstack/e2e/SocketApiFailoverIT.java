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
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The socket API survives its server: two socket-service instances (each serves the API, each
 * owns some hosts), hosts a and b wired by a `Cable`, tcp-echo and udp-echo on b, a client on a
 * that knows both instances' API addresses. With the client's recv blocked on its TCP
 * connection, the socket instance that owns host a is SIGKILLed: a moves to the other instance
 * (after the group's session timeout), the client's calls follow it, the echo goes on over the
 * same connection; then the instance is restarted (on the same API port) and a moves back,
 * and the echo goes on again. Then the same with the instance that owns b, the echo's host:
 * b's demo apps start on the other instance and take over the listener and the connection
 * (restored, not re-opened), and move back after the restart. Every echoed byte is checked,
 * in order; then a UDP exchange with b's udp-echo, which moved twice too.
 *
 * <p>With 4 partitions and the range assignor over the static ids socket-1 and socket-2,
 * a (partition 1) is socket-1's and b (partition 2) socket-2's, so the echo's host stays put
 * and the client's host moves twice.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(420)
class SocketApiFailoverIT {

    private StackLauncher stack;
    private StackClient client;
    private NetstackApi api;
    private Cable cable;

    @BeforeAll
    void startStack() {
        Path repo = RepoRoot.find();
        Path runDir = repo.resolve("e2e-tests/target/netstack-run-failover-" + System.currentTimeMillis());
        stack = StackLauncher.builder().repoRoot(repo).runDir(runDir).scale("socket", 2)
                .delivery(System.getProperty("netstack.delivery", "exactly-once")).build().start();
        System.out.printf("stack up in %d ms, socket APIs on %s, logs in %s%n", stack.startupTime().toMillis(),
                stack.socketApiAddress(), runDir);
        client = stack.client();
        client.publishConfig("a", ChaosRun.hostYaml("10.0.0.1", "02:00:00:00:00:01", "10.0.0.2", "02:00:00:00:00:02", ""));
        client.publishConfig("b", ChaosRun.hostYaml("10.0.0.2", "02:00:00:00:00:02", "10.0.0.1", "02:00:00:00:00:01",
                "apps:\n  - {app: udp-echo, port: 7}\n  - {app: tcp-echo, port: 7}\n"));
        cable = new Cable(stack, "a", "b");
        api = NetstackApi.connect(stack.socketApiAddresses()).setRetryTimeout(Duration.ofSeconds(90));
    }

    @AfterAll
    void stopStack() throws Exception {
        if (cable != null) cable.close();
        if (api != null) api.close();
        if (client != null) client.close();
        if (stack != null) stack.stop();
    }

    private NetstackSocket connectToB(int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            NetstackSocket s = api.tcp("a");
            s.setTimeout(Duration.ofSeconds(20));
            try {
                s.connect("10.0.0.2", port);
                s.setTimeout(Duration.ZERO);
                return s;
            } catch (ErrnoException e) {
                s.close();
                if (!e.errno().equals("ECONNREFUSED") || System.nanoTime() > deadline) throw e;
                Thread.sleep(300);
            }
        }
    }

    /** Reads exactly n bytes (recv blocks: no timeout). */
    private static CompletableFuture<byte[]> read(NetstackSocket s, int n) {
        return CompletableFuture.supplyAsync(() -> {
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            try {
                while (got.size() < n) {
                    byte[] d = s.recv(n - got.size());
                    if (d.length == 0) throw new IllegalStateException("EOF after " + got.size() + " bytes");
                    got.write(d, 0, d.length);
                    System.out.printf("a: recv %d bytes (%d of %d)%n", d.length, got.size(), n);
                }
            } catch (ErrnoException e) {
                throw new IllegalStateException(e);
            }
            return got.toByteArray();
        });
    }

    private static byte[] chunk(int seed) {
        byte[] b = new byte[8 * 1024];
        new Random(seed).nextBytes(b);
        return b;
    }

    /**
     * What a host holds unread moves with it: datagrams queued at a UDP socket of a and bytes
     * queued at a TCP connection of a, none read when a's socket instance is SIGKILLed, are all
     * read afterwards from the instance a moved to, in order (restored from the changelog, where
     * each queued entry is an object of its own).
     */
    @Test
    void unreadDatagramsAndBytesSurviveTheirInstance() throws Exception {
        StackLauncher.Service owner = stack.instances("socket").get(0);   // socket-1: host a's
        try (NetstackSocket rx = api.udp("a"); NetstackSocket tx = api.udp("b"); NetstackSocket tcp = connectToB(7)) {
            rx.bind("10.0.0.1", 5000);
            int n = 40;
            for (int i = 0; i < n; i++) tx.sendTo(("datagram " + i).getBytes(StandardCharsets.US_ASCII), "10.0.0.1", 5000);
            byte[] unread = chunk(6);
            tcp.sendAll(unread);
            Thread.sleep(3000);   // the datagrams and the echo reach a's queues, unread
            stack.kill(owner);
            System.out.printf("SIGKILL %s (pid %d) with %d datagrams and %d bytes unread%n", owner.instance(), owner.pid(),
                    n, unread.length);
            rx.setTimeout(Duration.ofSeconds(90));
            for (int i = 0; i < n; i++) {
                assertThat(new String(rx.recvFrom(1500).data(), StandardCharsets.US_ASCII)).isEqualTo("datagram " + i);
            }
            assertThat(read(tcp, unread.length).get(180, TimeUnit.SECONDS)).as("the echo queued before the kill")
                    .isEqualTo(unread);
        } finally {
            stack.restart(owner);
        }
    }

    @Test
    void aKilledSocketInstanceCostsTheClientARetryNotItsConnection() throws Exception {
        StackLauncher.Service owner = stack.instances("socket").get(0);   // socket-1: host a's
        try (NetstackSocket s = connectToB(7)) {
            byte[] before = chunk(1);
            CompletableFuture<byte[]> echo = read(s, before.length);
            s.sendAll(before);
            assertThat(echo.get(120, TimeUnit.SECONDS)).as("echo before the kill").isEqualTo(before);

            // The client's recv is blocked on socket-1 when it dies.
            byte[] afterKill = chunk(2);
            CompletableFuture<byte[]> blocked = read(s, afterKill.length);
            Thread.sleep(1000);
            assertThat(blocked).isNotDone();
            long t0 = System.nanoTime();
            stack.kill(owner);
            System.out.printf("SIGKILL %s (pid %d)%n", owner.instance(), owner.pid());
            s.sendAll(afterKill);      // goes to the instance a moved to
            assertThat(blocked.get(180, TimeUnit.SECONDS)).as("echo after the kill, same connection").isEqualTo(afterKill);
            System.out.printf("echo after the kill back in %d ms%n", (System.nanoTime() - t0) / 1_000_000);

            byte[] afterRestart = chunk(3);
            CompletableFuture<byte[]> blockedAgain = read(s, afterRestart.length);
            t0 = System.nanoTime();
            StackLauncher.Service again = stack.restart(owner);
            System.out.printf("%s restarted in %d ms, API %s%n", again.instance(), (System.nanoTime() - t0) / 1_000_000,
                    stack.socketApiAddress());
            s.sendAll(afterRestart);
            assertThat(blockedAgain.get(180, TimeUnit.SECONDS)).as("echo after the restart").isEqualTo(afterRestart);
            assertThat(stack.socketApiPort(again)).as("the API port kept").isEqualTo(stack.socketApiPort(owner));

            // Now the echo's host: socket-2 owns b and runs its apps. Killed while the echo is
            // idle (an app's unwritten bytes die with its instance, as with a process).
            StackLauncher.Service echoOwner = stack.instances("socket").get(1);
            byte[] afterEchoKill = chunk(4);
            CompletableFuture<byte[]> blockedOnEcho = read(s, afterEchoKill.length);
            Thread.sleep(1000);
            t0 = System.nanoTime();
            stack.kill(echoOwner);
            System.out.printf("SIGKILL %s (pid %d), b's owner%n", echoOwner.instance(), echoOwner.pid());
            s.sendAll(afterEchoKill);
            assertThat(blockedOnEcho.get(180, TimeUnit.SECONDS)).as("echo by the apps that took b over").isEqualTo(afterEchoKill);
            System.out.printf("echo after b's owner was killed back in %d ms%n", (System.nanoTime() - t0) / 1_000_000);

            byte[] afterEchoRestart = chunk(5);
            CompletableFuture<byte[]> blockedOnEchoAgain = read(s, afterEchoRestart.length);
            stack.restart(echoOwner);
            s.sendAll(afterEchoRestart);
            assertThat(blockedOnEchoAgain.get(180, TimeUnit.SECONDS)).as("echo after b moved back").isEqualTo(afterEchoRestart);

            s.shutdown(1);
            assertThat(s.recv(100)).as("EOF after the echo's close").isEmpty();
        }

        try (NetstackSocket u = api.udp("a")) {
            u.setTimeout(Duration.ofSeconds(3));
            NetstackSocket.Received back = null;
            for (int attempt = 0; attempt < 20 && back == null; attempt++) {
                u.sendTo(("after the faults " + attempt).getBytes(StandardCharsets.US_ASCII), "10.0.0.2", 7);
                try {
                    back = u.recvFrom(1500);
                } catch (ErrnoException e) {
                    assertThat(e.errno()).isEqualTo("EAGAIN");
                }
            }
            assertThat(back).as("a UDP echo within 20 attempts").isNotNull();
            assertThat(new String(back.data(), StandardCharsets.US_ASCII)).startsWith("after the faults ");
            assertThat(back.from().port()).isEqualTo(7);
        }
    }
}
