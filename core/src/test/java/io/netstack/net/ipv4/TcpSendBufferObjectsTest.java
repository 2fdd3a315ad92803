package io.netstack.net.ipv4;

import io.netstack.layer.L4Layer;
import io.netstack.layer.SocketLayer;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A TCP connection's send buffer as objects: what the application wrote and the peer has not
 * acknowledged is kept as chunks of their own beside l4's snapshot, so the snapshot does not
 * carry the bytes in flight, and a successor restores the connection with the same bytes to send.
 */
class TcpSendBufferObjectsTest {

    static final String A = "a";
    static final String B = "b";
    static final int PORT = 5001;

    @Test
    void unacknowledgedBytesAreObjectsAndComeBackWithTheConnection() {
        TcpHarness h = new TcpHarness();
        h.l4.keepObjectJournal();
        h.add(TcpHarness.host(A, "10.0.0.1", "", ""));
        h.add(TcpHarness.host(B, "10.0.0.2", "", ""));
        h.wire(A, B);
        SocketLayer sl = h.sock;
        int cfd = h.connect(A, B, PORT).client();

        // A writes 200 KB that B never reads: B's window takes some, the rest waits in A's buffer.
        byte[] data = new byte[200_000];
        new Random(7).nextBytes(data);
        int written = 0;
        while (written < data.length) {
            byte[] part = java.util.Arrays.copyOfRange(data, written, Math.min(data.length, written + 32_768));
            SocketLayer.Result r = h.call(c -> sl.send(c, A, cfd, part));
            if (!r.isOk() || r.value() == 0) break;
            written += (int) r.value();
        }
        String key = sl.fd(A, cfd).key();
        TcpSock tp = h.l4.host(A).tcp().connection(key);
        assertThat(tp.sndBufLen).as("bytes waiting in A's send buffer").isGreaterThan(20_000);

        Map<String, byte[]> changelog = new HashMap<>();
        h.l4.takeObjectChanges(A).forEach((k, v) -> {
            if (v == null) changelog.remove(k);
            else changelog.put(k, v);
        });
        byte[] snapshot = h.l4.snapshot(A);
        assertThat(snapshot.length).as("the snapshot without the bytes in flight").isLessThan(tp.sndBufLen / 2);

        L4Layer successor = new L4Layer();
        successor.keepObjectJournal();
        successor.configure(h.l4.host(A).config());
        successor.restore(A, snapshot, changelog);
        TcpSock back = successor.host(A).tcp().connection(key);
        assertThat(back.bufSeq).isEqualTo(tp.bufSeq);
        assertThat(back.sendBytes(back.bufSeq, back.sndBufLen)).isEqualTo(tp.sendBytes(tp.bufSeq, tp.sndBufLen));
        assertThat(successor.takeObjectChanges(A)).as("nothing to write after a restore").isEmpty();

        // A restore that lacks an object of the buffer is refused rather than sending other bytes.
        Map<String, byte[]> missing = new HashMap<>(changelog);
        missing.remove(missing.keySet().iterator().next());
        L4Layer broken = new L4Layer();
        broken.configure(h.l4.host(A).config());
        assertThatThrownBy(() -> broken.restore(A, snapshot, missing)).isInstanceOf(IllegalStateException.class);
    }
}
