package io.netstack.wire;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

class EthernetHeaderTest {

    /** dst 02:00:00:00:00:01, src 02:00:00:00:00:99, IPv4, then one payload byte. */
    static final byte[] IPV4_FRAME = HexFormat.of().parseHex("020000000001" + "020000000099" + "0800" + "45");
    /** An 802.3 frame: h_proto 0x002e is a length (46), not a type. */
    static final byte[] LLC_FRAME = HexFormat.of().parseHex("ffffffffffff" + "020000000099" + "002e" + "aaaa03");

    @Test
    void parsesTheThreeFields() {
        EthernetHeader h = EthernetHeader.checked(IPV4_FRAME, 0, IPV4_FRAME.length).orElseThrow();
        assertThat(h.dst()).isEqualTo(MacAddress.parse("02:00:00:00:00:01"));
        assertThat(h.src()).isEqualTo(MacAddress.parse("02:00:00:00:00:99"));
        assertThat(h.proto()).isEqualTo(0x0800);
    }

    @Test
    void aLengthFieldReadsAsIs() {
        EthernetHeader h = EthernetHeader.checked(LLC_FRAME, 0, LLC_FRAME.length).orElseThrow();
        assertThat(h.proto()).isEqualTo(46);
        assertThat(h.dst().isBroadcast()).isTrue();
    }

    @Test
    void buildEmitsTheBytesParseReads() {
        byte[] built = EthernetHeader.build(MacAddress.parse("02:00:00:00:00:01"), MacAddress.parse("02:00:00:00:00:99"), 0x0800);
        assertThat(built).containsExactly(java.util.Arrays.copyOf(IPV4_FRAME, 14));
    }

    @Test
    void settersWriteInPlace() {
        byte[] b = IPV4_FRAME.clone();
        EthernetHeader h = EthernetHeader.unchecked(b, 0);
        h.setDst(MacAddress.BROADCAST);
        h.setSrc(MacAddress.parse("0a:0b:0c:0d:0e:0f"));
        h.setProto(0x0806);
        assertThat(HexFormat.of().formatHex(b)).isEqualTo("ffffffffffff0a0b0c0d0e0f080645");
    }

    @Test
    void malformedHeadersAreRefused() {
        byte[] thirteen = java.util.Arrays.copyOf(IPV4_FRAME, 13);
        assertThat(EthernetHeader.checked(thirteen, 0, thirteen.length)).isEmpty();
        assertThat(EthernetHeader.checked(IPV4_FRAME, 2, IPV4_FRAME.length - 2)).isEmpty();
        assertThat(EthernetHeader.checked(IPV4_FRAME, 0, 13)).isEmpty();
        assertThat(EthernetHeader.checked(IPV4_FRAME, -1, 15)).isEmpty();
        assertThat(EthernetHeader.checked(IPV4_FRAME, 1, 14)).isPresent();
    }
}
