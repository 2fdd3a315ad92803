package io.netstack.net.ipv4;

import io.netstack.layer.SocketLayer;
import io.netstack.layer.SocketLayer.Errno;
import io.netstack.layer.SocketLayer.Result;
import io.netstack.wire.Inet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An ESTABLISHED connection with unacknowledged data in flight (the wire loses a's segments for
 * a while, so they sit in the retransmit queue) survives a snapshot and restore of both hosts'
 * l4 and socket state at any of several moments: the transfer completes intact, and every
 * segment either host sends is the same, byte for byte, as in the run without the restart.
 */
class TcpRestoreTest {

    static final int B = Inet.parse("10.0.0.2");

    @ParameterizedTest(name = "restart at round {0}")
    @ValueSource(ints = {3, 10, 25})
    void establishedWithUnackedDataSurvivesRestore(int restartRound) {
        Run plain = transfer(-1);
        Run restarted = transfer(restartRound);
        assertThat(restarted.unackedAtRestart).as("unacked bytes at the restart").isPositive();
        assertThat(restarted.received).isEqualTo(plain.received);
        assertThat(restarted.received.length).isEqualTo(200_000);
        assertThat(restarted.segments).containsExactlyElementsOf(plain.segments);
    }

    record Run(byte[] received, List<String> segments, int unackedAtRestart) {}

    private static Run transfer(int restartRound) {
        TcpHarness h = new TcpHarness();
        h.add(TcpHarness.host("a", "10.0.0.1", "", ""));
        h.add(TcpHarness.host("b", "10.0.0.2", "", ""));
        h.wire("a", "b");
        Random loss = new Random(5);
        // a's segments are lost in rounds 2..12 (then it retransmits), and 3% at random.
        int[] round = {0};
        h.lose = s -> (s.netns().equals("a") && round[0] >= 2 && round[0] <= 12) || loss.nextInt(100) < 3;
        SocketLayer sl = h.sock;
        int lfd = (int) h.call(c -> sl.socketCreate("b", "tcp")).value();
        h.call(c -> sl.bind(c, "b", lfd, 0, 5001));
        h.call(c -> sl.listen(c, "b", lfd, 16));
        int cfd = (int) h.call(c -> sl.socketCreate("a", "tcp")).value();
        assertThat(h.call(c -> sl.connect(c, "a", cfd, B, 5001)).errno()).isEqualTo(Errno.EINPROGRESS);
        for (int i = 0; i < 50 && sl.fd("a", cfd).state() != SocketLayer.SockState.CONNECTED; i++) h.advanceMs(100);
        Result acc = null;
        for (int i = 0; i < 50 && (acc == null || !acc.isOk()); i++) {
            acc = h.call(c -> sl.accept(c, "b", lfd));
            if (!acc.isOk()) h.advanceMs(100);
        }
        int sfd = (int) acc.value();
        byte[] data = new byte[200_000];
        new Random(9).nextBytes(data);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int sent = 0;
        int unacked = -1;
        for (round[0] = 0; round[0] < 5000 && got.size() < data.length; round[0]++) {
            if (sent < data.length) {
                byte[] part = java.util.Arrays.copyOfRange(data, sent, Math.min(data.length, sent + 8000));
                Result r = h.call(c -> sl.send(c, "a", cfd, part));
                if (r.isOk()) sent += (int) r.value();
            }
            if (round[0] == restartRound) {
                TcpSock sk = h.l4.host("a").tcp().connections().iterator().next();
                unacked = sk.sndNxt - sk.sndUna;
                restart(h, "a");
                restart(h, "b");
            }
            while (true) {
                Result r = h.call(c -> sl.recv(c, "b", sfd, 1 << 20));
                if (!r.isOk() || r.value() == 0) break;
                got.write(r.data(), 0, r.data().length);
            }
            h.advanceMs(20);
        }
        List<String> segs = new ArrayList<>();
        for (TcpHarness.Sent s : h.sent) segs.add(s.netns() + " " + s.at() + " " + java.util.HexFormat.of().formatHex(s.l4()));
        return new Run(got.toByteArray(), segs, unacked);
    }

    /** The host's l4 and socket state (snapshots and objects) written, the layer's objects for it dropped, the state read back. */
    private static void restart(TcpHarness h, String netns) {
        byte[] l4 = h.l4.snapshot(netns);
        java.util.Map<String, byte[]> l4Objects = h.l4.objects(netns);
        byte[] sock = h.sock.snapshot(netns);
        java.util.Map<String, byte[]> sockObjects = h.sock.objects(netns);
        h.l4.restore(netns, null);
        h.sock.restore(netns, null);
        assertThat(h.l4.host(netns).tcp().connections()).as("fresh").isEmpty();
        h.l4.restore(netns, l4, l4Objects);
        h.sock.restore(netns, sock, sockObjects);
    }
}
