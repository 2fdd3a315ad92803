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

    /** The ways the code reads a sysctl: a full name, a conf/neigh family key, Icmp's short name. */
    static final Pattern FULL = Pattern.compile("\"(net\\.(?:core|ipv4|netfilter)\\.[a-z0-9_]+)\"");
    static final Pattern CONF = Pattern.compile("\\.(?:conf|confAll|confMax|confOr|confAnd)\\([^;\"]*\"([a-z0-9_]+)\"");
    static final Pattern NEIGH = Pattern.compile("\\.neigh\\([^;\"]*\"([a-z0-9_]+)\"");
    static final Pattern ICMP_SHORT = Pattern.compile("sysctl\\(\"(icmp_[a-z0-9_]+)\"");

    @Test
    void everyKeyTheCodeReadsIsRegistered() throws IOException {
        TreeSet<String> read = new TreeSet<>();
        try (Stream<Path> files = Files.walk(Path.of("src/main/java/io/netstack"))) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                if (f.endsWith("SysctlRegistry.java") || f.endsWith("Sysctls.java")) continue;
                String src = Files.readString(f);
                find(FULL, src, "", read);
                find(CONF, src, "net.ipv4.conf.*.", read);
                find(NEIGH, src, "net.ipv4.neigh.*.", read);
                find(ICMP_SHORT, src, "net.ipv4.", read);
            }
        }
        assertThat(read).as("the grep found the keys").hasSizeGreaterThan(60);
        TreeSet<String> missing = new TreeSet<>();
        for (String k : read) if (!SysctlRegistry.entries().containsKey(k)) missing.add(k);
        assertThat(missing).as("read by the code but not in SysctlRegistry").isEmpty();
    }

    private static void find(Pattern p, String src, String prefix, TreeSet<String> into) {
        Matcher m = p.matcher(src);
        while (m.find()) {
            String k = prefix + m.group(1);
            if (k.equals("net.ipv4.")) continue;
            into.add(k);
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
