package io.netstack.config;

import io.netstack.net.netfilter.IptablesEdit;
import io.netstack.wire.Inet;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Linux commands applied to a host.yaml: ip route/neigh/addr, sysctl -w, iptables; refusals as Linux words them. */
class HostEditTest {

    static final String HOST = """
            # the router
            interfaces:
              - {name: eth0, mac: "02:00:00:00:01:01", mtu: 1500, addresses: ["192.0.2.1/24"]}
              - {name: eth1, mac: "02:00:00:00:01:02", mtu: 1500, addresses: ["198.51.100.1/24"]}
            routes:
              - {dst: "0.0.0.0/0", via: "198.51.100.254", dev: eth1}
            neighbors:
              - {ip: "192.0.2.2", mac: "02:00:00:00:0a:02", dev: eth0}
            sysctl:
              net.ipv4.ip_forward: 1
              net.ipv4.tcp_rmem: "4096 65536 8388608"
            firewall: |
              *nat
              :PREROUTING ACCEPT [0:0]
              :INPUT ACCEPT [0:0]
              :OUTPUT ACCEPT [0:0]
              :POSTROUTING ACCEPT [0:0]
              -A POSTROUTING -o eth1 -j MASQUERADE
              COMMIT
            """;

    static List<String> args(String s) { return List.of(s.split(" ")); }

    @Test
    void ipRouteAddShowDel() {
        HostConfig h = HostEdit.of(HOST).routeAdd(args("203.0.113.0/24 via 192.0.2.2 dev eth0 metric 5")).validate("r");
        assertThat(h.routes()).hasSize(2);
        HostConfig.Route r = h.routes().get(1);
        assertThat(r.dst()).isEqualTo(Inet.parse("203.0.113.0"));
        assertThat(r.via()).isEqualTo(Inet.parse("192.0.2.2"));
        assertThat(r.metric()).isEqualTo(5);
        assertThat(IpShow.routes(h)).isEqualTo("""
                default via 198.51.100.254 dev eth1\s
                192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.1\s
                198.51.100.0/24 dev eth1 proto kernel scope link src 198.51.100.1\s
                203.0.113.0/24 via 192.0.2.2 dev eth0 metric 5\s
                """);
        HostConfig back = HostEdit.of(HostEdit.of(HOST).routeAdd(args("blackhole 10.0.0.0/8")).yaml())
                .routeDel(args("default")).validate("r");
        assertThat(IpShow.routes(back)).startsWith("blackhole 10.0.0.0/8 \n192.0.2.0/24");
    }

    @Test
    void ipRouteRefusals() {
        assertThatThrownBy(() -> HostEdit.of(HOST).routeAdd(args("default via 192.0.2.9")))
                .hasMessage("RTNETLINK answers: File exists");
        assertThatThrownBy(() -> HostEdit.of(HOST).routeDel(args("10.9.0.0/16")))
                .hasMessage("RTNETLINK answers: No such process");
        assertThatThrownBy(() -> HostEdit.of(HOST).routeAdd(args("10.0.0.0/33 dev eth0")))
                .hasMessageContaining("inet prefix is expected");
        // A device that does not exist passes the edit and is refused by validation, with the line.
        assertThatThrownBy(() -> HostEdit.of(HOST).routeAdd(args("10.0.0.0/8 dev eth7")).validate("r"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("no interface 'eth7'");
    }

    @Test
    void ipNeighAndAddr() {
        HostEdit e = HostEdit.of(HOST)
                .neighAdd(args("192.0.2.7 lladdr 02:00:00:00:00:07 dev eth0 nud stale"), false)
                .neighDel(args("192.0.2.2 dev eth0"))
                .addrAdd(args("192.0.2.100/24 dev eth0"));
        HostConfig h = e.validate("r");
        assertThat(IpShow.neighbours(h)).isEqualTo("192.0.2.7 dev eth0 lladdr 02:00:00:00:00:07 STALE\n");
        assertThat(h.iface("eth0").orElseThrow().addresses()).extracting(Object::toString)
                .containsExactly("192.0.2.1/24", "192.0.2.100/24");
        assertThatThrownBy(() -> HostEdit.of(HOST).neighAdd(args("192.0.2.2 lladdr 02:00:00:00:00:09 dev eth0"), false))
                .hasMessage("RTNETLINK answers: File exists");
        assertThat(HostEdit.of(HOST).neighAdd(args("192.0.2.2 lladdr 02:00:00:00:00:09 dev eth0"), true).validate("r")
                .neighbors()).hasSize(1);
        assertThatThrownBy(() -> HostEdit.of(HOST).addrDel(args("192.0.2.9/24 dev eth0")))
                .hasMessage("RTNETLINK answers: Cannot assign requested address");
        assertThatThrownBy(() -> HostEdit.of(HOST).addrAdd(args("192.0.2.1/24 dev eth0")))
                .hasMessage("RTNETLINK answers: File exists");
        assertThatThrownBy(() -> HostEdit.of(HOST).addrAdd(args("10.1.1.1/24 dev eth9")))
                .hasMessage("Cannot find device \"eth9\"");
    }

    @Test
    void sysctlWriteKeepsEverythingElse() {
        HostEdit e = HostEdit.of(HOST).sysctlSet("net.ipv4.ip_forward", "0").sysctlSet("net.ipv4.tcp_sack", "0");
        HostConfig h = e.validate("r");
        assertThat(h.sysctl().raw("net.ipv4.ip_forward")).isEqualTo("0");
        assertThat(h.sysctl().raw("net.ipv4.tcp_sack")).isEqualTo("0");
        assertThat(h.sysctl().raw("net.ipv4.tcp_rmem")).isEqualTo("4096 65536 8388608");
        assertThat(h.firewall()).contains("-A POSTROUTING -o eth1 -j MASQUERADE");
        assertThat(h.neighbors()).hasSize(1);
        assertThat(e.sysctl("net.ipv4.tcp_sack")).isEqualTo("0");
        assertThatThrownBy(() -> HostEdit.of(HOST).sysctlSet("net.ipv4.ip_forward", "yes"))
                .hasMessage("sysctl: setting key \"net.ipv4.ip_forward\": Invalid argument");
    }

    @Test
    void iptablesCommands() {
        String fw = HostEdit.of(HOST).firewall();
        IptablesEdit ipt = IptablesEdit.of(fw)
                .apply(args("-A FORWARD -i eth0 -o eth1 -p udp --dport 53 -j ACCEPT"))
                .apply(args("-I FORWARD 1 -p tcp --dport 22 -j DROP"))
                .apply(args("-P FORWARD DROP"))
                .apply(args("-N LOGDROP"))
                .apply(args("-t nat -A PREROUTING -i eth1 -p tcp --dport 8080 -j DNAT --to-destination 192.0.2.2:80"));
        assertThat(ipt.listRules("filter")).isEqualTo("""
                -P INPUT ACCEPT
                -P FORWARD DROP
                -P OUTPUT ACCEPT
                -N LOGDROP
                -A FORWARD -p tcp -m tcp --dport 22 -j DROP
                -A FORWARD -i eth0 -o eth1 -p udp -m udp --dport 53 -j ACCEPT
                """);
        assertThat(ipt.listRules("nat")).contains("-A PREROUTING -i eth1 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.0.2.2:80");
        // -D by spec in another spelling, then by number.
        ipt.apply(args("-D FORWARD -p udp -i eth0 -o eth1 --dport 53 -j ACCEPT")).apply(args("-D FORWARD 1"));
        assertThat(ipt.listRules("filter")).doesNotContain("-A FORWARD");
        ipt.apply(args("-X LOGDROP")).apply(args("-t nat -F"));
        assertThat(ipt.listRules("nat")).doesNotContain("-A ");
        // The result is a firewall the host accepts.
        HostConfig h = HostEdit.of(HOST).firewall(ipt.save()).validate("r");
        assertThat(h.firewall()).contains(":FORWARD DROP [0:0]");
    }

    @Test
    void iptablesRefusals() {
        IptablesEdit ipt = IptablesEdit.of("");
        assertThatThrownBy(() -> ipt.apply(args("-A NOPE -j ACCEPT"))).hasMessage("iptables: No chain/target/match by that name.");
        assertThatThrownBy(() -> ipt.apply(args("-D INPUT -p tcp -j DROP"))).hasMessage("iptables: Bad rule (does a matching rule exist in that chain?).");
        assertThatThrownBy(() -> ipt.apply(args("-D INPUT 3"))).hasMessage("iptables: Index of deletion too big.");
        assertThatThrownBy(() -> ipt.apply(args("-N X")).apply(args("-N X"))).hasMessage("iptables: Chain already exists.");
        assertThatThrownBy(() -> ipt.apply(args("-P X DROP"))).hasMessage("iptables: Bad built-in chain name.");
        assertThatThrownBy(() -> ipt.apply(args("-A INPUT -j X")).apply(args("-X X"))).hasMessage("iptables: Too many links.");
        assertThatThrownBy(() -> ipt.apply(args("-t mangle -A INPUT -j ACCEPT"))).hasMessageContaining("Table does not exist");
        assertThatThrownBy(() -> ipt.apply(args("-A INPUT -m recent --set"))).hasMessageContaining("'recent' is not supported");
    }

    @Test
    void iptablesRestoreReplacesOnlyTheTablesItNames() {
        String fw = HostEdit.of(HOST).firewall();
        String filter = "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n";
        IptablesEdit ipt = IptablesEdit.of(fw).restore(filter, false);
        assertThat(ipt.listRules("nat")).contains("-A POSTROUTING -o eth1 -j MASQUERADE");
        assertThat(ipt.listRules("filter")).contains("-P INPUT DROP").contains("-A INPUT -i lo -j ACCEPT");
        ipt.restore("*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p icmp -j ACCEPT\nCOMMIT\n", true);
        assertThat(ipt.listRules("filter")).contains("-A INPUT -i lo -j ACCEPT\n-A INPUT -p icmp -j ACCEPT");
        ipt.restore(filter, false);
        assertThat(ipt.listRules("filter")).doesNotContain("icmp");
    }

    @Test
    void theYamlRoundTripsWithoutLosingKeys() {
        HostConfig before = HostConfigParser.parse(HOST, "h", "r");
        HostConfig after = HostEdit.of(HOST).validate("r");
        assertThat(after.interfaces()).isEqualTo(before.interfaces());
        assertThat(after.routes()).isEqualTo(before.routes());
        assertThat(after.neighbors()).isEqualTo(before.neighbors());
        assertThat(after.sysctl().asMap()).isEqualTo(before.sysctl().asMap());
        assertThat(after.firewall()).isEqualTo(before.firewall());
    }
}
