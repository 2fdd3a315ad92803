package io.netstack.config;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class SysctlRegistryTest {

    /** A sysctl's name written out: only SysctlRegistry may, everyone else reads through its typed keys. */
    static final Pattern NAME = Pattern.compile("\"(net\\.(?:core|ipv4|ipv6|netfilter)\\.[a-z0-9_.]*)\"");

    @Test
    void noSysctlIsNamedOutsideTheRegistry() throws IOException {
        TreeSet<String> named = new TreeSet<>();
        try (Stream<Path> files = Files.walk(Path.of("src/main/java/io/netstack"))) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                if (f.endsWith("SysctlRegistry.java")) continue;
                Matcher m = NAME.matcher(Files.readString(f));
                while (m.find()) named.add(f.getFileName() + ": " + m.group(1));
            }
        }
        assertThat(named).as("sysctl names (and so defaults) outside SysctlRegistry").isEmpty();
        assertThat(SysctlRegistry.entries()).as("the registry is filled").hasSizeGreaterThan(60);
    }

    @Test
    void anUnsetKeyReadsTheRegistryDefault() {
        Sysctls none = Sysctls.empty();
        assertThat(none.get(SysctlRegistry.TCP_RMEM)).containsExactly(4096, 131072, 33554432);
        assertThat(none.get(SysctlRegistry.TCP_CONGESTION_CONTROL)).isEqualTo("cubic");
        // Receive-buffer autotuning on, and tcp_init_buffer_space's reserve of 1/2^31 (one segment).
        assertThat(none.get(SysctlRegistry.TCP_MODERATE_RCVBUF)).isOne();
        assertThat(none.get(SysctlRegistry.TCP_APP_WIN)).isEqualTo(31);
        assertThat(none.confOr("eth0", SysctlRegistry.CONF_SEND_REDIRECTS)).isTrue();
        // accept_source_route: all starts at 0, default (and so a new device) at 1; the AND is off.
        assertThat(none.confAll(SysctlRegistry.CONF_ACCEPT_SOURCE_ROUTE)).isZero();
        assertThat(none.conf("eth0", SysctlRegistry.CONF_ACCEPT_SOURCE_ROUTE)).isOne();
        assertThat(none.confAnd("eth0", SysctlRegistry.CONF_ACCEPT_SOURCE_ROUTE)).isFalse();
        assertThat(SysctlRegistry.lookup("net.ipv4.conf.all.accept_source_route").orElseThrow().dflt()).isEqualTo("0");
        assertThat(SysctlRegistry.lookup("net.ipv4.conf.eth0.accept_source_route").orElseThrow().dflt()).isEqualTo("1");
        Sysctls set = new Sysctls(Map.of("net.ipv4.conf.default.rp_filter", "2", "net.ipv4.tcp_rmem", "1 2 3"));
        assertThat(set.conf("eth0", SysctlRegistry.CONF_RP_FILTER)).isEqualTo(2);
        assertThat(set.get(SysctlRegistry.TCP_RMEM)).containsExactly(1, 2, 3);
    }

    @Test
    void everyTypedKeyIsAnEntry() throws IllegalAccessException {
        for (java.lang.reflect.Field f : SysctlRegistry.class.getFields()) {
            Object k = f.get(null);
            String name = k instanceof SysctlRegistry.Int i ? i.name()
                    : k instanceof SysctlRegistry.Ints i ? i.name()
                    : k instanceof SysctlRegistry.Str i ? i.name()
                    : k instanceof SysctlRegistry.PerDev d ? d.name("eth0") : null;
            if (name == null) continue;
            assertThat(SysctlRegistry.implemented(name)).as(f.getName()).isTrue();
        }
    }

    @Test
    void perDeviceKeysResolveToTheirFamily() {
        assertThat(SysctlRegistry.implemented("net.ipv4.conf.eth0.rp_filter")).isTrue();
        assertThat(SysctlRegistry.implemented("net.ipv4.conf.all.rp_filter")).isTrue();
        assertThat(SysctlRegistry.implemented("net.ipv4.neigh.eth1.locktime")).isTrue();
        assertThat(SysctlRegistry.implemented("net.ipv6.conf.eth0.disable_ipv6")).isTrue();
        assertThat(SysctlRegistry.implemented("net.ipv4.conf.eth0.log_martians")).isFalse();
        assertThat(SysctlRegistry.lookup("net.ipv4.tcp_sack").orElseThrow().layers()).isEqualTo("l4");
    }

    @Test
    void unimplementedNamesOnlyTheKeysNobodyReads() {
        Sysctls s = new Sysctls(Map.of(
                "net.ipv4.ip_forward", "1",
                "net.ipv4.conf.eth0.rp_filter", "0",
                "net.ipv4.tcp_mtu_probing", "0",
                "net.ipv4.conf.eth0.log_martians", "0",
                "net.core.busy_poll", "0"));
        assertThat(SysctlRegistry.unimplemented(s)).containsExactly(
                "net.core.busy_poll", "net.ipv4.conf.eth0.log_martians", "net.ipv4.tcp_mtu_probing");
    }
}
