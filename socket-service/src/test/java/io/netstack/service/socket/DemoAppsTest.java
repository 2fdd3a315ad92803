package io.netstack.service.socket;

import io.netstack.config.HostConfig;
import io.netstack.service.socket.api.SocketApiServer;
import io.netstack.service.socket.apps.DemoApps;
import io.netstack.socket.ErrnoException;
import io.netstack.socket.NetstackApi;
import io.netstack.socket.NetstackSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The demo apps host.yaml starts (udp-echo, tcp-echo, http) on host b of the in-process stack,
 * reached from host a through the socket API's TCP port (Netty), as `netstack nc` reaches it.
 */
@Timeout(60)
class DemoAppsTest {

    InProcessApi stack;
    SocketApiServer server;
    DemoApps apps;
    NetstackApi api;
    HostConfig b;

    @BeforeEach
    void up() throws Exception {
        stack = new InProcessApi();
        stack.host("a", "10.0.0.1", "");
        b = stack.host("b", "10.0.0.2", "apps:\n  - {app: udp-echo, port: 7}\n"
                + "  - {app: tcp-echo, port: 7}\n  - {app: http, port: 80}\n");
        stack.wire("a", "b");
        server = new SocketApiServer(stack.service, "127.0.0.1", 0, "demo-apps-test-" + System.nanoTime());
        apps = new DemoApps(NetstackApi.inProcess(server.inProcessName()));
        apps.configure(b);
        api = NetstackApi.connect("127.0.0.1:" + server.port());
    }

    @AfterEach
    void down() throws Exception {
        api.close();
        apps.close();
        server.close();
        stack.close();
    }

    private NetstackSocket connect(int port) throws Exception {
        for (int i = 0; ; i++) {
            NetstackSocket s = api.tcp("a");
            try {
                return s.connect("10.0.0.2", port);
            } catch (ErrnoException e) {
                s.close();
                if (!e.errno().equals("ECONNREFUSED") || i > 50) throw e;
                Thread.sleep(50); // the app is still starting
            }
        }
    }

    @Test
    void httpGetReturnsThePageAndOtherPaths404() throws Exception {
        assertThat(get("/")).startsWith("HTTP/1.1 200 OK\r\n").contains("Hello from b").contains("Connection: close");
        assertThat(get("/nope")).startsWith("HTTP/1.1 404 Not Found\r\n");
    }

    private String get(String path) throws Exception {
        try (NetstackSocket s = connect(80)) {
            s.sendAll(("GET " + path + " HTTP/1.1\r\nHost: b\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            s.recvStream(4096, d -> got.write(d.data(), 0, d.data().length));
            return got.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void tcpEchoAndUdpEcho() throws Exception {
        try (NetstackSocket s = connect(7)) {
            s.sendAll("echo me\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(s.recv(100), StandardCharsets.US_ASCII)).isEqualTo("echo me\n");
            s.shutdown(1);
            assertThat(s.recv(100)).isEmpty(); // the app closes after our FIN: EOF
        }
        try (NetstackSocket u = api.udp("a")) {
            u.setTimeout(Duration.ofSeconds(5));
            u.sendTo("dgram".getBytes(StandardCharsets.US_ASCII), "10.0.0.2", 7);
            NetstackSocket.Received d = u.recvFrom(100);
            assertThat(new String(d.data(), StandardCharsets.US_ASCII)).isEqualTo("dgram");
            assertThat(d.from().port()).isEqualTo(7);
        }
    }

    @Test
    void droppingAnAppFromTheConfigurationStopsIt() throws Exception {
        connect(80).close();
        apps.configure(stack.host("b", "10.0.0.2", "apps:\n  - {app: tcp-echo, port: 7}\n"));
        assertThat(apps.running()).containsExactly("b tcp-echo 0.0.0.0:7");
        try (NetstackSocket s = api.tcp("a")) {
            s.setTimeout(Duration.ofSeconds(10));
            assertThatThrownBy(() -> s.connect("10.0.0.2", 80)).extracting(e -> ((ErrnoException) e).errno())
                    .isEqualTo("ECONNREFUSED");
        }
    }

    /**
     * The host moves to another instance: the apps here stop without closing anything, and the
     * apps started over the restored table (here the same table, as the next owner restores
     * it) take over the listener and the connection it was serving, instead of failing to bind
     * with EADDRINUSE and leaving the connection unserved.
     */
    @Test
    void appsTakeOverTheListenerAndTheConnectionsOfAHostThatMovedHere() throws Exception {
        try (NetstackSocket s = connect(7)) {
            s.sendAll("before\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(s.recv(100), StandardCharsets.US_ASCII)).isEqualTo("before\n");
            int sockets = stack.socketLayer.openSockets("b").size();
            apps.close();       // the instance that ran b's apps stops ...
            Thread.sleep(300);
            assertThat(stack.socketLayer.openSockets("b")).as("nothing closed").hasSize(sockets);
            DemoApps next = new DemoApps(NetstackApi.inProcess(server.inProcessName()),
                    io.netstack.service.socket.api.HostOwnership.ALL, stack.socketLayer::openSockets);
            try {
                next.configure(b);   // ... and b's apps start where b is now
                s.setTimeout(Duration.ofSeconds(10));
                s.sendAll("after\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(new String(s.recv(100), StandardCharsets.US_ASCII)).isEqualTo("after\n");
                try (NetstackSocket t = connect(7)) {
                    t.sendAll("new\n".getBytes(StandardCharsets.US_ASCII));
                    assertThat(new String(t.recv(100), StandardCharsets.US_ASCII)).isEqualTo("new\n");
                }
                try (NetstackSocket u = api.udp("a")) {
                    u.setTimeout(Duration.ofSeconds(5));
                    u.sendTo("dgram".getBytes(StandardCharsets.US_ASCII), "10.0.0.2", 7);
                    assertThat(new String(u.recvFrom(100).data(), StandardCharsets.US_ASCII)).isEqualTo("dgram");
                }
                assertThat(stack.socketLayer.openSockets("b").stream().filter(x -> x.state()
                        == io.netstack.layer.SocketLayer.SockState.LISTEN && x.localPort() == 7).count())
                        .as("one tcp-echo listener, not a second").isEqualTo(1);
            } finally {
                next.close();
            }
        }
    }

    /**
     * The service removes a host (and reconfigures one) on its configuration thread holding the
     * layer's lock; the apps' sockets are closed through the socket API, whose calls need that
     * lock. Closing them on the caller's thread deadlocked the socket service (found when a live
     * test removed its host: no later host was ever configured). Now it returns at once, and
     * the apps' sockets close right after.
     */
    @Test
    void removingAHostWithAppsUnderTheLayerLockDoesNotDeadlock() throws Exception {
        connect(80).close();
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> stack.underLayerLock(() -> apps.remove("b")));
        assertThat(apps.running()).isEmpty();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String errno = null;
        while (errno == null && System.nanoTime() < deadline) {
            try (NetstackSocket t = api.tcp("a")) {
                t.setTimeout(Duration.ofSeconds(10));
                t.connect("10.0.0.2", 80);
                Thread.sleep(100); // the close is on its way
            } catch (ErrnoException e) {
                errno = e.errno();
            }
        }
        assertThat(errno).as("the http app's listener is closed").isEqualTo("ECONNREFUSED");
    }
}
