package io.netstack.skb;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SockProtoTest {

    @Test
    void theKeysFirstWordIsTheProtocol() {
        assertThat(SockProto.ofKey("tcp 10.0.0.2:80 10.0.0.1:40000")).isEqualTo(SockProto.TCP);
        assertThat(SockProto.ofKey("udp 0.0.0.0:5353")).isEqualTo(SockProto.UDP);
        assertThat(SockProto.ofKey("raw icmp")).isEqualTo(SockProto.RAW);
        assertThat(SockProto.ofKey("tcpx 1.2.3.4:5")).isNull();
        assertThat(SockProto.ofKey(null)).isNull();
        assertThat(SockProto.TCP.key("10.0.0.2:80")).isEqualTo("tcp 10.0.0.2:80");
        ControlBlock cb = new ControlBlock();
        assertThat(cb.socketProto()).isNull();
        cb.socket = "udp 0.0.0.0:53";
        assertThat(cb.socketProto()).isEqualTo(SockProto.UDP);
    }
}
