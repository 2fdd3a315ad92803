package io.netstack.cli;

import io.netstack.pcap.PcapReader;
import io.netstack.pcap.PcapRecord;
import io.netstack.replay.Judge;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CommandsTest {

    static final Path CONFORMANCE = Paths.get("").toAbsolutePath().getParent().resolve("../shared/conformance").normalize();

    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Netstack.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @TempDir
    Path tmp;

    /** A one-frame scenario (an echo request) on the demo host, without expected.json. */
    Path scenario() throws IOException {
        Path dir = tmp.resolve("echo");
        Files.createDirectories(dir);
        DemoCommand.writeScenario(dir, List.of(DemoTraffic.mix().get(1)));
        return dir;
    }

    @Test
    void replayRefusesABadDeliveryModeBeforeStartingAnything() throws IOException {
        Run r = run("replay", scenario().toString(), "--out", tmp.resolve("o").toString(), "--delivery", "sometimes");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--delivery must be exactly-once or at-least-once");
    }

    @Test
    void traceWithoutARunningStackSaysHowToStartOne() {
        String before = System.getProperty("netstack.state");
        System.setProperty("netstack.state", tmp.resolve("none/stack.json").toString());
        try {
            Run r = run("trace");
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err()).contains("no stack is up").contains("netstack up");
            Run down = run("down");
            assertThat(down.exit()).isZero();
            assertThat(down.out()).contains("no stack is up");
        } finally {
            if (before == null) System.clearProperty("netstack.state");
            else System.setProperty("netstack.state", before);
        }
    }

    @Test
    void replayRefusesADirectoryThatIsNoScenario() {
        Run r = run("replay", tmp.toString(), "--in-process");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("is not a scenario directory");
    }

    @Test
    void replayReportsALoadErrorWithFileAndLine() throws IOException {
        Path dir = scenario();
        Files.writeString(dir.resolve("scenario.yaml"), "inputs:\n  - {iface: eth7, pcap: in-eth0.pcap}\n");
        Run r = run("replay", dir.toString(), "--in-process", "--out", tmp.resolve("o").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("FAIL echo: cannot load: ").contains("scenario.yaml:2: no interface 'eth7'");
    }

    /**
     * Without expected.json the replay only writes; with its own result as expected.json it
     * passes (the replay is repeatable and the judge agrees); with a counter Linux never had it fails
     * and prints compare.py's line.
     */
    @Test
    void replayWritesJudgesAndFails() throws IOException {
        Assumptions.assumeTrue(Files.isRegularFile(CONFORMANCE.resolve("compare.py")), "no compare.py at " + CONFORMANCE);
        Assumptions.assumeTrue(new Judge(CONFORMANCE).available(), "python3 does not run: judging NOT checked");
        Path dir = scenario();
        Path out = tmp.resolve("o");
        String compare = CONFORMANCE.resolve("compare.py").toString();

        Run first = run("replay", dir.toString(), "--in-process", "--out", out.toString(), "--compare", compare);
        assertThat(first.exit()).as(first.out()).isZero();
        assertThat(first.out()).contains("DONE echo: no expected.json");
        Path result = out.resolve("echo/result.json");
        assertThat(result).exists();
        assertThat(out.resolve("echo/out-eth0.pcap")).exists();

        // The IP id of the echo reply is Linux's random pick (FORMAT.md "volatile"); each replay's host is new.
        String own = Files.readString(result).stripTrailing();
        Files.writeString(dir.resolve("expected.json"), own.substring(0, own.length() - 1)
                + ", \"volatile\": [\"transmitted[0].decoded.ipv4.id\", \"transmitted[0].decoded.ipv4.checksum\"]\n}\n");
        Run pass = run("replay", dir.toString(), "--in-process", "--out", out.toString(), "--compare", compare);
        assertThat(pass.exit()).as(pass.out()).isZero();
        assertThat(pass.out()).contains("PASS echo").contains("1 passed, 0 failed");

        String expected = Files.readString(dir.resolve("expected.json"));
        Files.writeString(dir.resolve("expected.json"), expected.replace("\"counters\" : {", "\"counters\" : { \"TestOnlyCounter\" : 7,")
                .replace(",\n  }", "\n  }").replace("7, }", "7 }"));
        Run fail = run("replay", dir.toString(), "--in-process", "--out", out.toString(), "--compare", compare);
        assertThat(fail.exit()).as(fail.out()).isEqualTo(1);
        assertThat(fail.out()).contains("FAIL echo (1 difference(s)").contains("counters.TestOnlyCounter: reference 7 != candidate 0");
    }

    @Test
    void demoWritesItsFilesAndTellsWhere() throws IOException {
        Path out = tmp.resolve("demo");
        Run r = run("demo", "--in-process", "--out", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        List<PcapRecord> in = PcapReader.read(out.resolve("scenario/in-eth0.pcap"));
        assertThat(in).hasSize(DemoTraffic.mix().size());
        assertThat(out.resolve("result/result.json")).exists();
        assertThat(out.resolve("result/out-eth0.pcap")).exists();
        assertThat(r.out()).contains("#1  ARP request").contains("#11  frame with EtherType 0x88b5")
                .contains("netif_rx").contains("Per layer").contains(out.resolve("result/out-eth0.pcap").toString());
        // One journey per frame, each starting where the driver takes the frame.
        assertThat(r.out().lines().filter(l -> l.matches("\\s+skb \\d+\\s+nic\\s+in-process\\s+netif_rx")).count())
                .isEqualTo(DemoTraffic.mix().size());
    }

    @Test
    void demoRefusesABadScaleBeforeStartingAnything() {
        Run r = run("demo", "--out", tmp.toString(), "--scale", "l3=0");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--scale l3=0");
    }

}
