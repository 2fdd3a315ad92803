package io.netstack.net.ipv4;

import io.netstack.layer.SocketLayer;
import io.netstack.layer.SocketLayer.Errno;
import io.netstack.layer.SocketLayer.Result;
import io.netstack.wire.Inet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two hosts back to back (l4 + socket layer each, the harness standing in for IP and the
 * wire): 1 MB each way through the BSD socket API, intact (SHA-256), with and without 1% of
 * the segments lost (seeded), then an orderly close.
 */
class TcpTwoHostsTest {

    static final int A = Inet.parse("10.0.0.1");
    static final int B = Inet.parse("10.0.0.2");

    @ParameterizedTest(name = "loss {0}%")
    @CsvSource({"0, 1", "1, 7", "1, 42"})
    void megabyteBothWays(int lossPercent, long seed) throws Exception {
        TcpHarness h = new TcpHarness();
        h.add(TcpHarness.host("a", "10.0.0.1", "", ""));
        h.add(TcpHarness.host("b", "10.0.0.2", "", ""));
        h.wire("a", "b");
        Random loss = new Random(seed);
        h.lose = s -> lossPercent > 0 && loss.nextInt(100) < lossPercent;

        SocketLayer sl = h.sock;
        int lfd = (int) h.call(c -> sl.socketCreate("b", "tcp")).value();
        assertThat(h.call(c -> sl.bind(c, "b", lfd, 0, 5001)).isOk()).isTrue();
        assertThat(h.call(c -> sl.listen(c, "b", lfd, 16)).isOk()).isTrue();
        int cfd = (int) h.call(c -> sl.socketCreate("a", "tcp")).value();
        assertThat(h.call(c -> sl.connect(c, "a", cfd, B, 5001)).errno()).isEqualTo(Errno.EINPROGRESS);
        for (int i = 0; i < 200 && sl.fd("a", cfd).state() != SocketLayer.SockState.CONNECTED; i++) h.advanceMs(100);
        assertThat(sl.fd("a", cfd).state()).isEqualTo(SocketLayer.SockState.CONNECTED);
        Result acc = null;
        for (int i = 0; i < 50; i++) {
            acc = h.call(c -> sl.accept(c, "b", lfd));
            if (acc.isOk()) break;
            h.advanceMs(100);
        }
        assertThat(acc.isOk()).as("accept: %s", acc).isTrue();
        int sfd = (int) acc.value();
        assertThat(acc.addr()).isEqualTo(A);

        byte[] up = new byte[1 << 20];
        byte[] down = new byte[1 << 20];
        new Random(seed * 31).nextBytes(up);
        new Random(seed * 37).nextBytes(down);
        ByteArrayOutputStream gotB = new ByteArrayOutputStream();
        ByteArrayOutputStream gotA = new ByteArrayOutputStream();
        int chunk = 64 * 1024;
        int sentUp = 0;
        int sentDown = 0;
        for (int round = 0; round < 200_000 && (gotA.size() < down.length || gotB.size() < up.length); round++) {
            if (sentUp < up.length) {
                final int off = sentUp;
                byte[] part = java.util.Arrays.copyOfRange(up, off, Math.min(up.length, off + chunk));
                Result r = h.call(c -> sl.send(c, "a", cfd, part));
                assertThat(r.isOk() || r.errno() == SocketLayer.Errno.EAGAIN).as("send a: %s", r).isTrue();
                if (r.isOk()) sentUp += (int) r.value();
            }
            if (sentDown < down.length) {
                final int off = sentDown;
                byte[] part = java.util.Arrays.copyOfRange(down, off, Math.min(down.length, off + chunk));
                Result r = h.call(c -> sl.send(c, "b", sfd, part));
                assertThat(r.isOk() || r.errno() == SocketLayer.Errno.EAGAIN).as("send b: %s", r).isTrue();
                if (r.isOk()) sentDown += (int) r.value();
            }
            drain(h, "b", sfd, gotB);
            drain(h, "a", cfd, gotA);
            h.advanceMs(5);
        }
        assertThat(gotB.size()).as("bytes at b").isEqualTo(up.length);
        assertThat(gotA.size()).as("bytes at a").isEqualTo(down.length);
        assertThat(sha(gotB.toByteArray())).isEqualTo(sha(up));
        assertThat(sha(gotA.toByteArray())).isEqualTo(sha(down));
        if (lossPercent > 0) assertThat(h.counter("a", "TcpRetransSegs") + h.counter("b", "TcpRetransSegs")).isPositive();
        else assertThat(h.counter("a", "TcpRetransSegs")).isZero();

        // Orderly close: a first (FIN_WAIT1 -> FIN_WAIT2 -> TIME_WAIT), b on EOF (CLOSE_WAIT -> LAST_ACK -> CLOSE).
        h.call(c -> sl.close(c, "a", cfd));
        h.advanceMs(500);
        Result eof = h.call(c -> sl.recv(c, "b", sfd, 100));
        assertThat(eof.isOk()).isTrue();
        assertThat(eof.value()).as("EOF").isZero();
        h.call(c -> sl.close(c, "b", sfd));
        h.advanceMs(1000);
        TcpIpv4 ta = h.l4.host("a").tcp();
        TcpIpv4 tb = h.l4.host("b").tcp();
        assertThat(tb.connections()).isEmpty();
        assertThat(ta.connections()).hasSize(1);
        assertThat(ta.connections().iterator().next().state()).isEqualTo(TcpState.TCP_TIME_WAIT);
        h.advance(TcpTimer.TCP_TIMEWAIT_LEN);
        assertThat(ta.connections()).isEmpty();
        assertThat(h.counter("a", "TcpExtTW")).isEqualTo(1);
        assertThat(h.counter("a", "TcpCurrEstab")).isZero();
        assertThat(h.counter("b", "TcpCurrEstab")).isZero();
        assertThat(h.counter("a", "TcpActiveOpens")).isEqualTo(1);
        assertThat(h.counter("b", "TcpPassiveOpens")).isEqualTo(1);
        assertThat(h.counter("a", "TcpEstabResets") + h.counter("b", "TcpEstabResets")).isZero();
    }

    private static void drain(TcpHarness h, String netns, int fd, ByteArrayOutputStream to) {
        while (true) {
            Result r = h.call(c -> h.sock.recv(c, netns, fd, 1 << 20));
            if (!r.isOk() || r.value() == 0) return;
            to.write(r.data(), 0, r.data().length);
        }
    }

    private static String sha(byte[] b) throws Exception {
        return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
