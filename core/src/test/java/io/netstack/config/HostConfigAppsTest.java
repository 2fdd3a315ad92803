package io.netstack.config;

import io.netstack.wire.Inet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** host.yaml's apps: the demo applications the socket service starts; an unknown one is refused with its line. */
class HostConfigAppsTest {

    static final String IFACE = ""
            + "interfaces:\n"
            + "  - name: eth0\n"
            + "    mac: \"02:00:00:00:00:01\"\n"
            + "    addresses: [\"10.0.0.1/24\"]\n";

    @Test
    void appsAreParsedInOrder() {
        HostConfig h = HostConfigParser.parse(IFACE + "apps:\n"
                + "  - {app: udp-echo, port: 7}\n"
                + "  - {app: tcp-echo, port: 7, addr: \"10.0.0.1\"}\n"
                + "  - {app: http, port: 80}\n", "host.yaml", "h");
        assertThat(h.apps()).containsExactly(
                new HostConfig.AppSpec("udp-echo", 0, 7),
                new HostConfig.AppSpec("tcp-echo", Inet.parse("10.0.0.1"), 7),
                new HostConfig.AppSpec("http", 0, 80));
        assertThat(h.withNetns("g").apps()).isEqualTo(h.apps());
    }

    @Test
    void noAppsByDefault() {
        assertThat(HostConfigParser.parse(IFACE, "host.yaml", "h").apps()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "{app: ftp, port: 21}|6|unknown app 'ftp'",
            "{app: http}|6|needs a port",
            "{app: http, port: 0}|6|port",
            "{app: http, port: 80, color: red}|6|color",
            "{app: http, port: 80, addr: \"10.0.0.300\"}|6|10.0.0.300"})
    void badAppsAreRefusedWithTheirLine(String entry, int line, String message) {
        assertThatThrownBy(() -> HostConfigParser.parse(IFACE + "apps:\n  - " + entry + "\n", "host.yaml", "h"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("host.yaml:" + line)
                .hasMessageContaining(message);
    }

    @Test
    void theSameAppTwiceIsRefused() {
        assertThatThrownBy(() -> HostConfigParser.parse(IFACE + "apps:\n  - {app: http, port: 80}\n  - {app: http, port: 80}\n",
                "host.yaml", "h")).isInstanceOf(ConfigException.class).hasMessageContaining("host.yaml:7")
                .hasMessageContaining("twice");
    }
}
