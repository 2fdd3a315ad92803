package io.netstack.wire;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VlanHeaderTest {

    /** The tag of scenario link-vlan-tagged-no-vlan-device: PCP 0, DEI 0, VID 5, then IPv4. */
    static final byte[] VID5_IPV4 = HexFormat.of().parseHex("0005" + "0800");
    /** PCP 7, DEI set, VID 4095, then ARP: every TCI bit set. */
    static final byte[] ALL_BITS_ARP = HexFormat.of().parseHex("ffff" + "0806");

    @Test
    void parsesTci() {
        VlanHeader v = VlanHeader.checked(VID5_IPV4, 0, 4).orElseThrow();
        assertThat(v.tci()).isEqualTo(5);
        assertThat(v.vid()).isEqualTo(5);
        assertThat(v.pcp()).isZero();
        assertThat(v.dei()).isFalse();
        assertThat(v.encapsulatedProto()).isEqualTo(0x0800);
    }

    @Test
    void parsesEveryBitOfTheTci() {
        VlanHeader v = VlanHeader.checked(ALL_BITS_ARP, 0, 4).orElseThrow();
        assertThat(v.vid()).isEqualTo(4095);
        assertThat(v.pcp()).isEqualTo(7);
        assertThat(v.dei()).isTrue();
        assertThat(v.encapsulatedProto()).isEqualTo(0x0806);
    }

    @Test
    void buildEmitsTheBytesParseReads() {
        assertThat(VlanHeader.build(0, false, 5, 0x0800)).containsExactly(VID5_IPV4);
        assertThat(VlanHeader.build(7, true, 4095, 0x0806)).containsExactly(ALL_BITS_ARP);
        assertThat(VlanHeader.build(3, false, 100, 0x86dd)).containsExactly(HexFormat.of().parseHex("606486dd"));
    }

    @Test
    void malformed() {
        assertThat(VlanHeader.checked(VID5_IPV4, 0, 3)).isEmpty();
        assertThat(VlanHeader.checked(VID5_IPV4, 1, 4)).isEmpty();
        assertThatThrownBy(() -> VlanHeader.build(8, false, 1, 0x0800)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> VlanHeader.build(0, false, 4096, 0x0800)).isInstanceOf(IllegalArgumentException.class);
    }
}
