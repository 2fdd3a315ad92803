package io.netstack.stats;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Every counter is counted through Snmp's constants: a misspelt literal would count a counter nstat never shows. */
class SnmpNamesTest {

    static final Pattern COUNTER = Pattern.compile("\"((?:TcpExt|IpExt|Tcp|Ip6|Ip|Udp|Icmp)[A-Z][A-Za-z0-9]*)\"");

    @Test
    void noCounterNameOutsideSnmp() throws IOException {
        TreeSet<String> named = new TreeSet<>();
        try (Stream<Path> files = Files.walk(Path.of("src/main/java/io/netstack"))) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                if (f.endsWith("Snmp.java")) continue;
                Matcher m = COUNTER.matcher(Files.readString(f));
                while (m.find()) named.add(f.getFileName() + ": " + m.group(1));
            }
        }
        assertThat(named).as("counter names written outside Snmp").isEmpty();
    }
}
