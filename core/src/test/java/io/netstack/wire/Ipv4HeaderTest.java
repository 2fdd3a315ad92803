package io.netstack.wire;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Byte-literal tests of the IPv4 header view (fixtures from the fwd-forwarded-ttl-decremented scenario). */
class Ipv4HeaderTest {

    /** The UDP packet 192.0.2.1 -> 203.0.113.9 as it arrives, TTL 64. */
    static final byte[] UDP_TTL64 = HexFormat.of().parseHex(
            "45000026100000004011" + "6cbc" + "c0000201cb0071099c4000350012595d666f72776172642d6d65");
    /** The same as Linux forwarded it: TTL 63, checksum 0x6dbc. */
    static final byte[] UDP_TTL63 = HexFormat.of().parseHex(
            "45000026100000003f11" + "6dbc" + "c0000201cb0071099c4000350012595d666f72776172642d6d65");

    @Test
    void deconstructsEveryField() {
        Ipv4Header h = Ipv4Header.checked(UDP_TTL64, 0, UDP_TTL64.length);
        assertThat(h.version()).isEqualTo(4);
        assertThat(h.ihl()).isEqualTo(5);
        assertThat(h.tos()).isZero();
        assertThat(h.totalLength()).isEqualTo(38);
        assertThat(h.id()).isEqualTo(0x1000);
        assertThat(h.df()).isFalse();
        assertThat(h.mf()).isFalse();
        assertThat(h.isFragment()).isFalse();
        assertThat(h.ttl()).isEqualTo(64);
        assertThat(h.protocol()).isEqualTo(17);
        assertThat(Inet.format(h.saddr())).isEqualTo("192.0.2.1");
        assertThat(Inet.format(h.daddr())).isEqualTo("203.0.113.9");
        assertThat(h.checksumValid()).isTrue();
    }

    @Test
    void ipDecreaseTtlPatchesTheChecksumAsLinuxDid() {
        byte[] b = UDP_TTL64.clone();
        new Ipv4Header(b, 0).decreaseTtl();
        assertThat(b).isEqualTo(UDP_TTL63);
        assertThat(new Ipv4Header(b, 0).checksumValid()).isTrue();
    }

    @Test
    void writeEmitsTheSameBytes() {
        byte[] b = new byte[38];
        System.arraycopy(UDP_TTL64, 20, b, 20, 18);
        Ipv4Header.write(b, 0, 0, 38, 0x1000, 0, 64, 17, Inet.parse("192.0.2.1"), Inet.parse("203.0.113.9"));
        assertThat(b).isEqualTo(UDP_TTL64);
    }

    @Test
    void fragmentFields() {
        byte[] b = UDP_TTL64.clone();
        Ipv4Header h = new Ipv4Header(b, 0);
        h.setFragOff(Ipv4Header.IP_MF | (1000 >> 3));
        assertThat(h.mf()).isTrue();
        assertThat(h.fragmentOffset()).isEqualTo(1000);
        assertThat(h.isFragment()).isTrue();
        h.setFragOff(Ipv4Header.IP_DF);
        assertThat(h.df()).isTrue();
        assertThat(h.isFragment()).isFalse();
    }

    @Test
    void checkedRejectsMalformedHeaders() {
        assertThatThrownBy(() -> Ipv4Header.checked(UDP_TTL64, 0, 19)).isInstanceOf(IllegalArgumentException.class);
        byte[] v6 = UDP_TTL64.clone();
        v6[0] = 0x65;
        assertThatThrownBy(() -> Ipv4Header.checked(v6, 0, v6.length)).hasMessageContaining("version 6");
        byte[] ihl4 = UDP_TTL64.clone();
        ihl4[0] = 0x44;
        assertThatThrownBy(() -> Ipv4Header.checked(ihl4, 0, ihl4.length)).hasMessageContaining("IHL 4");
        assertThatThrownBy(() -> Ipv4Header.checked(UDP_TTL64, 0, 30)).hasMessageContaining("total length");
    }
}
