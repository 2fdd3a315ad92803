package io.netstack.cli;

import io.netstack.config.HostConfig;
import io.netstack.config.HostConfigParser;
import io.netstack.net.netfilter.IptablesRestore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.netstack.cli.CommandsTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** ip / iptables / iptables-save / iptables-restore / sysctl against a configuration store in memory. */
class HostCommandsTest {

    static final String R = """
            interfaces:
              - {name: eth0, mac: "02:00:00:00:01:01", mtu: 1500, addresses: ["192.0.2.1/24"]}
              - {name: eth1, mac: "02:00:00:00:01:02", mtu: 1500, addresses: ["198.51.100.1/24"]}
            sysctl:
              net.ipv4.ip_forward: 1
            """;

    final Map<String, String> topic = new TreeMap<>();
    final List<String> published = new ArrayList<>();
    final List<String> inspected = new ArrayList<>();
    String l3Body = "";

    @BeforeEach
    void fakeStack() {
        topic.put("r", R);
        HostTarget.stores = t -> new HostTarget.Store() {
            @Override public Map<String, String> hosts() { return new TreeMap<>(topic); }

            @Override public void publish(String netns, String yaml) {
                topic.put(netns, yaml);
                published.add(netns);
            }

            @Override public List<String> inspect(String path) {
                inspected.add(path);
                return List.of(l3Body);
            }
        };
    }

    @AfterEach
    void restore() {
        HostTarget.stores = HostTargetDefaults.KAFKA;
        IptablesRestoreCommand.stdin = () -> System.in;
    }

    HostConfig r() { return HostConfigParser.parse(topic.get("r"), "r", "r"); }

    @Test
    void ipRouteAddIsPublishedAndShown() {
        CommandsTest.Run add = run("ip", "--netns", "r", "route", "add", "default", "via", "198.51.100.254");
        assertThat(add.exit()).as(add.err()).isZero();
        assertThat(published).containsExactly("r");
        assertThat(r().routes()).hasSize(1);
        assertThat(run("ip", "--netns", "r", "route", "show").out()).isEqualTo("""
                default via 198.51.100.254 dev eth1\s
                192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.1\s
                198.51.100.0/24 dev eth1 proto kernel scope link src 198.51.100.1\s
                """);
    }

    @Test
    void aRefusedChangeLeavesTheTopicUntouched() {
        run("ip", "--netns", "r", "route", "add", "default", "via", "198.51.100.254");
        published.clear();
        CommandsTest.Run again = run("ip", "--netns", "r", "route", "add", "default", "via", "198.51.100.9");
        assertThat(again.exit()).isEqualTo(2);
        assertThat(again.err()).isEqualTo("RTNETLINK answers: File exists\n");
        CommandsTest.Run badDev = run("ip", "--netns", "r", "route", "add", "10.0.0.0/8", "dev", "eth5");
        assertThat(badDev.exit()).isEqualTo(1);
        assertThat(badDev.err()).contains("change refused").contains("no interface 'eth5'");
        CommandsTest.Run noHost = run("ip", "--netns", "x", "route", "add", "10.0.0.0/8", "dev", "eth0");
        assertThat(noHost.err()).isEqualTo("netstack: no host 'x' on the configuration topic (hosts: r)\n");
        assertThat(published).isEmpty();
    }

    @Test
    void iptablesAppendListAndSave() {
        CommandsTest.Run a = run("iptables", "--netns", "r", "-t", "nat", "-A", "POSTROUTING", "-o", "eth1", "-j", "MASQUERADE");
        assertThat(a.exit()).as(a.err()).isZero();
        assertThat(IptablesRestore.parse("t", r().firewall()).table("nat").chain("POSTROUTING").rules()).hasSize(1);
        assertThat(run("iptables", "--netns", "r", "-t", "nat", "-S").out())
                .contains("-P POSTROUTING ACCEPT\n-A POSTROUTING -o eth1 -j MASQUERADE\n");
        CommandsTest.Run bad = run("iptables", "--netns", "r", "-A", "NOPE", "-j", "DROP");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).isEqualTo("iptables: No chain/target/match by that name.\n");

        // -L reads the l3 instance (its counters); without -v the counter columns go.
        l3Body = IptablesRestore.parse("t", r().firewall()).listVerbose("nat");
        CommandsTest.Run lv = run("iptables", "--netns", "r", "-t", "nat", "-L", "-v", "-n");
        assertThat(inspected).containsExactly("/netstack/iptables?netns=r&table=nat");
        assertThat(lv.out()).contains("Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)")
                .contains("MASQUERADE");
        CommandsTest.Run l = run("iptables", "--netns", "r", "-t", "nat", "-L", "-n", "POSTROUTING");
        assertThat(l.out()).isEqualTo("Chain POSTROUTING (policy ACCEPT)\ntarget     prot opt  source               destination\nMASQUERADE all  --   0.0.0.0/0            0.0.0.0/0\n");
        assertThat(run("iptables-save", "--netns", "r").out()).contains("*nat\n").contains("-A POSTROUTING -o eth1 -j MASQUERADE\nCOMMIT\n");
    }

    @Test
    void iptablesRestoreFromStandardInput() {
        IptablesRestoreCommand.stdin = () -> new ByteArrayInputStream(
                "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -i eth0 -o eth1 -j ACCEPT\nCOMMIT\n"
                        .getBytes(StandardCharsets.UTF_8));
        CommandsTest.Run rr = run("iptables-restore", "--netns", "r");
        assertThat(rr.exit()).as(rr.err()).isZero();
        assertThat(r().firewall()).contains(":FORWARD DROP").contains("-A FORWARD -i eth0 -o eth1 -j ACCEPT");
        IptablesRestoreCommand.stdin = () -> new ByteArrayInputStream("*filter\n-A FORWARD -m nosuch -j ACCEPT\nCOMMIT\n".getBytes(StandardCharsets.UTF_8));
        published.clear();
        CommandsTest.Run bad = run("iptables-restore", "--netns", "r");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("input:2: match 'nosuch' is not supported");
        assertThat(published).isEmpty();
    }

    @Test
    void sysctlWriteAndRead() {
        CommandsTest.Run w = run("sysctl", "--netns", "r", "-w", "net.ipv4.ip_forward=0", "net.ipv4.conf.eth0.log_martians=1");
        assertThat(w.exit()).as(w.err()).isZero();
        assertThat(w.out()).isEqualTo("net.ipv4.ip_forward = 0\nnet.ipv4.conf.eth0.log_martians = 1\n");
        assertThat(w.err()).contains("net.ipv4.conf.eth0.log_martians is not implemented");
        assertThat(r().sysctl().raw("net.ipv4.ip_forward")).isEqualTo("0");
        assertThat(run("sysctl", "--netns", "r", "net.ipv4.ip_forward", "net.ipv4.tcp_sack").out())
                .isEqualTo("net.ipv4.ip_forward = 0\nnet.ipv4.tcp_sack = 1\n");
        CommandsTest.Run unknown = run("sysctl", "--netns", "r", "net.ipv4.nonsense");
        assertThat(unknown.exit()).isEqualTo(255);
    }

    @Test
    void ipNeighShowReadsTheL3Table() {
        l3Body = "198.51.100.2 dev eth1 lladdr 02:00:00:00:0b:02 REACHABLE\n";
        CommandsTest.Run n = run("ip", "--netns", "r", "neigh", "show");
        assertThat(n.out()).isEqualTo(l3Body);
        assertThat(inspected).containsExactly("/netstack/neigh?netns=r");
        run("ip", "--netns", "r", "neigh", "add", "192.0.2.2", "lladdr", "02:00:00:00:0a:02", "dev", "eth0");
        assertThat(run("ip", "--netns", "r", "--config", "neigh").out()).isEqualTo("192.0.2.2 dev eth0 lladdr 02:00:00:00:0a:02 PERMANENT\n");
    }
}
