package io.netstack.net.ipv4;

import io.netstack.config.HostConfig;
import io.netstack.config.HostConfigParser;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ip_options_compile / __ip_options_echo / ip_options_build (net/ipv4/ip_options.c), with the
 * bytes Linux 6.18 produced (conformance/recorded/ipv4-options-*).
 */
class IpOptionsTest {

    static final HostConfig HOST = HostConfigParser.parse("""
            interfaces:
              - name: eth0
                mac: "02:00:00:00:00:01"
                mtu: 1500
                addresses: ["192.0.2.2/24"]
            """, "test", "h1");
    static final int US = 0xc0000202;
    static final int PEER = 0xc0000201;

    /** An IPv4 header (checksum not needed here) from 192.0.2.1 to 192.0.2.2 with these options. */
    static byte[] header(String optionsHex) {
        byte[] opt = HexFormat.of().parseHex(optionsHex);
        byte[] b = new byte[20 + opt.length];
        b[0] = (byte) (0x40 | (b.length / 4));
        io.netstack.wire.Bytes.put32(b, 12, PEER);
        io.netstack.wire.Bytes.put32(b, 16, US);
        System.arraycopy(opt, 0, b, 20, opt.length);
        return b;
    }

    static String opts(byte[] b) { return HexFormat.of().formatHex(b, 20, b.length); }

    @Test
    void recordRouteGetsOurAddressOnInputAndTheReplyAddsItsSource() {
        byte[] b = header("070b04" + "0000000000000000" + "00");
        IpOptions.Compiled c = IpOptions.compile(HOST, b, 0, b.length, US, 0);
        assertThat(c.ok()).isTrue();
        assertThat(opts(b)).isEqualTo("070b08c0000202" + "00000000" + "00");
        IpOptions.Echo e = IpOptions.echo(HOST, b, 0, c.flags());
        byte[] out = new byte[20 + e.optlen()];
        IpOptions.build(out, 0, e.data(), e.flags(), PEER, US, 0);
        // The echo reply Linux sent: pointer 12, both slots 192.0.2.2, END.
        assertThat(opts(out)).isEqualTo("070b0cc0000202c000020200");
    }

    @Test
    void fullRecordRouteIsEchoedUnchanged() {
        byte[] b = header("070b0c" + "c0000209c0000208" + "00");
        IpOptions.Compiled c = IpOptions.compile(HOST, b, 0, b.length, US, 0);
        IpOptions.Echo e = IpOptions.echo(HOST, b, 0, c.flags());
        assertThat(HexFormat.of().formatHex(e.data())).isEqualTo("070b0cc0000209c000020800");
        assertThat(e.flags() & IpOptions.RR_NEEDADDR).isZero();
    }

    @Test
    void fullTimestampCountsOverflowAndOverflow15IsAParameterProblem() {
        byte[] b = header("440c0d00" + "0000000100000002");
        assertThat(IpOptions.compile(HOST, b, 0, b.length, US, 0).ok()).isTrue();
        assertThat(opts(b)).startsWith("440c0d10");
        byte[] full = header("440c0df0" + "0000000100000002");
        // pp_ptr = optptr + 3: the overflow/flags byte, 20 + 3 from the header's start.
        assertThat(IpOptions.compile(HOST, full, 0, full.length, US, 0).ppPtr()).isEqualTo(23);
    }

    @Test
    void secondRecordRouteIsAParameterProblemButTheFirstIsKeptForTheError() {
        byte[] b = header("07070800000000" + "07070800000000" + "0000");
        IpOptions.Compiled c = IpOptions.compile(HOST, b, 0, b.length, US, 0);
        assertThat(c.ppPtr()).isEqualTo(27);
        // icmp_send echoes what was compiled: the first (full) Record Route, padded.
        assertThat(HexFormat.of().formatHex(IpOptions.echo(HOST, b, 0, c.flags()).data())).isEqualTo("0707080000000000");
    }

    @Test
    void completedLooseSourceRouteIsReversedAndTheReplyGoesToItsLastHop() {
        byte[] b = header("830708c6336409" + "00");
        IpOptions.Compiled c = IpOptions.compile(HOST, b, 0, b.length, US, 0);
        IpOptions.Echo e = IpOptions.echo(HOST, b, 0, c.flags());
        assertThat(e.faddr()).isEqualTo(0xc6336409);
        assertThat(HexFormat.of().formatHex(e.data())).isEqualTo("83070400000000" + "00");
    }

    @Test
    void bytesAfterEndAreZeroed() {
        byte[] b = header("00070305");
        IpOptions.Compiled c = IpOptions.compile(HOST, b, 0, b.length, US, 0);
        assertThat(c.ok()).isTrue();
        assertThat(opts(b)).isEqualTo("00000000");
        assertThat(c.flags() & IpOptions.IS_CHANGED).isNotZero();
    }
}
