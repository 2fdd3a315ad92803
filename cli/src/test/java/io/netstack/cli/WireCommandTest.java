package io.netstack.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** `netstack wire` without a stack: its help, its refusals, and where it finds the stack's broker. */
class WireCommandTest {

    @TempDir
    Path tmp;

    @Test
    void wireListsItsBackends() {
        CommandsTest.Run r = CommandsTest.run("wire", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("udp").contains("tap").contains("attach");
        CommandsTest.Run tap = CommandsTest.run("wire", "tap", "--help");
        assertThat(tap.out()).contains("--peer-netns").contains("--peer-addr").contains("--host").contains("--dev")
                .contains("--bootstrap");
    }

    @Test
    void udpNeedsAListenAddress() {
        CommandsTest.Run r = CommandsTest.run("wire", "udp", "--bootstrap", "127.0.0.1:9");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--listen");
    }

    @Test
    void theBootstrapServersComeFromTheStateFileOfTheNearestStack() throws Exception {
        Path sub = Files.createDirectories(tmp.resolve("a/b"));
        assertThat(WireCommand.StackState.bootstrap(sub)).isNull();
        Files.createDirectories(tmp.resolve(".netstack"));
        Files.writeString(tmp.resolve(".netstack/stack.json"),
                "{\n  \"pid\": 42,\n  \"bootstrapServers\" : \"127.0.0.1:39001\",\n  \"services\": []\n}\n");
        assertThat(WireCommand.StackState.bootstrap(sub)).isEqualTo("127.0.0.1:39001");
        Files.writeString(tmp.resolve(".netstack/stack.json"), "{\"bootstrap\": \"127.0.0.1:39002\"}");
        assertThat(WireCommand.StackState.bootstrap(tmp)).isEqualTo("127.0.0.1:39002");
    }

    @Test
    void attachNeedsAHostYamlWithAWireAndSaysSoBeforeTouchingTheBroker() throws Exception {
        CommandsTest.Run none = CommandsTest.run("wire", "attach", "--bootstrap", "127.0.0.1:9");
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("--config");
        Path yaml = tmp.resolve("host.yaml");
        Files.writeString(yaml, "interfaces:\n  - name: eth0\n    mac: \"02:00:00:00:00:01\"\n");
        // 127.0.0.1:9 has no broker: an attempt to publish would time out, not return 1 at once.
        CommandsTest.Run noWire = CommandsTest.run("wire", "attach", "--config", yaml.toString(), "--bootstrap", "127.0.0.1:9");
        assertThat(noWire.exit()).isEqualTo(1);
        assertThat(noWire.err()).contains("no interface of").contains("has a wire: key");
    }
}
