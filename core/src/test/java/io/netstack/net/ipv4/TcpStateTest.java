package io.netstack.net.ipv4;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TcpStateTest {

    /** include/net/tcp_states.h: TCP_ESTABLISHED = 1 ... TCP_NEW_SYN_RECV = 12, in that order. */
    @Test
    void theKernelsNumbers() {
        assertThat(TcpState.TCP_ESTABLISHED.number()).isEqualTo(1);
        assertThat(TcpState.TCP_CLOSE.number()).isEqualTo(7);
        assertThat(TcpState.TCP_LISTEN.number()).isEqualTo(10);
        assertThat(TcpState.TCP_NEW_SYN_RECV.number()).isEqualTo(12);
        for (TcpState s : TcpState.values()) {
            assertThat(s.number()).isEqualTo(s.ordinal() + 1);
            assertThat(TcpState.of(s.number())).isSameAs(s);
        }
        assertThatThrownBy(() -> TcpState.of(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(TcpState.TCP_SYN_RECV.shortName()).isEqualTo("SYN_RECV");
    }

    /** A snapshot stores sk_state as the number, so snapshots taken before the enum still restore. */
    @Test
    void theSockStoresTheNumber() throws Exception {
        java.lang.reflect.Field f = TcpSock.class.getDeclaredField("state");
        assertThat(f.getType()).isEqualTo(int.class);
        TcpSock tp = new TcpSock("h", "tcp 10.0.0.1:1 10.0.0.2:2", null, 1, 1, 2, 2);
        assertThat(tp.state()).isEqualTo(TcpState.TCP_CLOSE);
        tp.inetSkStateStore(TcpState.TCP_FIN_WAIT2);
        f.setAccessible(true);
        assertThat(f.getInt(tp)).isEqualTo(5);
    }
}
