package io.netstack.wire;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Byte-literal tests of the ARP view (the reply of the arp-request-for-our-address scenario). */
class ArpPacketTest {

    static final byte[] REPLY = HexFormat.of().parseHex(
            "0001080006040002" + "020000000001" + "c0000202" + "020000000010" + "c000020a");

    @Test
    void deconstructs() {
        ArpPacket a = ArpPacket.checked(REPLY, 0, REPLY.length);
        assertThat(a.hardwareType()).isEqualTo(ArpPacket.ARPHRD_ETHER);
        assertThat(a.protocolType()).isEqualTo(0x0800);
        assertThat(a.hardwareLength()).isEqualTo(6);
        assertThat(a.protocolLength()).isEqualTo(4);
        assertThat(a.op()).isEqualTo(ArpPacket.ARPOP_REPLY);
        assertThat(a.sha()).isEqualTo(MacAddress.parse("02:00:00:00:00:01"));
        assertThat(Inet.format(a.spa())).isEqualTo("192.0.2.2");
        assertThat(a.tha()).isEqualTo(MacAddress.parse("02:00:00:00:00:10"));
        assertThat(Inet.format(a.tpa())).isEqualTo("192.0.2.10");
    }

    @Test
    void emits() {
        byte[] b = new byte[28];
        ArpPacket.write(b, 0, ArpPacket.ARPOP_REPLY, MacAddress.parse("02:00:00:00:00:01"), Inet.parse("192.0.2.2"),
                MacAddress.parse("02:00:00:00:00:10"), Inet.parse("192.0.2.10"));
        assertThat(b).isEqualTo(REPLY);
    }

    @Test
    void checkedRejectsShort() {
        assertThatThrownBy(() -> ArpPacket.checked(REPLY, 0, 27)).isInstanceOf(IllegalArgumentException.class);
    }
}
