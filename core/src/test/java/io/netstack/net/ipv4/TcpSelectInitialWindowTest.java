package io.netstack.net.ipv4;

import io.netstack.config.HostConfigParser;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** tcp_select_initial_window's scale follows from the registry's tcp_rmem[2] and rmem_max. */
class TcpSelectInitialWindowTest {

    static TcpIpv4 tcp(String sysctl) {
        String yaml = "interfaces:\n  - name: eth0\n    mac: \"02:00:00:00:00:01\"\n    mtu: 1500\n"
                + "    addresses: [\"192.0.2.2/24\"]\nsysctl:" + (sysctl.isEmpty() ? "\n" : "\n" + sysctl) + "sockets: []\n";
        return new TcpIpv4(HostConfigParser.parse(yaml, "wscale", "ns"));
    }

    @Test
    void linuxDefaultsOfferScaleTen() {
        // ilog2(33554432) - 15 = 10, as a Linux 6.18 host's SYN-ACK offers.
        int[] w = tcp("").tcpOpenreqInitRwin(1460, true, true, 0);
        assertThat(w[1]).isEqualTo(10);
        assertThat(w[0]).isEqualTo(65160);
    }

    @Test
    void theScaleFollowsTcpRmemMax() {
        int[] w = tcp("  net.ipv4.tcp_rmem: \"4096 87380 6000000\"\n  net.core.rmem_max: 212992\n")
                .tcpOpenreqInitRwin(1460, true, true, 0);
        assertThat(w[1]).isEqualTo(7);
    }
}
