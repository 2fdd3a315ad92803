package io.netstack.cli;

import io.netstack.pcap.PcapReader;
import io.netstack.pcap.PcapRecord;
import io.netstack.replay.Judge;
import io.netstack.replay.judge.CompareScriptJudge;
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
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CommandsTest {

    /** The repository (surefire runs in cli/). */
    static final Path REPO = Paths.get("").toAbsolutePath().getParent();
    /** A corpus beside the repository with its own compare.py: optional, for --compare only. */
    static final Path SHARED = REPO.resolve("../shared/conformance").normalize();

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
     * and prints the judge's line. The built-in judge: nothing outside the repository is needed.
     */
    @Test
    void replayWritesJudgesAndFails() throws IOException {
        replayWritesJudgesAndFails(new String[0]);
    }

    /** The same judged by an external compare.py (--compare), when the corpus beside the repository has one. */
    @Test
    void replayJudgesWithAnExternalCompareScriptWhenGivenOne() throws IOException {
        CompareScriptJudge external = Judge.compareScript(SHARED.resolve("compare.py"));
        Assumptions.assumeTrue(external.available(), "no compare.py at " + SHARED + " or no python3: --compare NOT checked"
                + " (an optional extra: the built-in judge is checked by replayWritesJudgesAndFails)");
        Run pass = replayWritesJudgesAndFails("--compare", external.compareScript().toString());
        assertThat(pass.out()).contains("judged by ").contains("compare.py");
    }

    private Run replayWritesJudgesAndFails(String... judge) throws IOException {
        Path dir = scenario();
        Path out = tmp.resolve("o");
        List<String> args = new ArrayList<>(List.of("replay", dir.toString(), "--in-process", "--out", out.toString()));
        args.addAll(List.of(judge));
        String[] replay = args.toArray(String[]::new);

        Run first = run(replay);
        assertThat(first.exit()).as(first.out()).isZero();
        assertThat(first.out()).contains("DONE echo: no expected.json");
        Path result = out.resolve("echo/result.json");
        assertThat(result).exists();
        assertThat(out.resolve("echo/out-eth0.pcap")).exists();

        // The IP id of the echo reply is Linux's random pick (FORMAT.md "volatile"); each replay's host is new.
        String own = Files.readString(result).stripTrailing();
        Files.writeString(dir.resolve("expected.json"), own.substring(0, own.length() - 1)
                + ", \"volatile\": [\"transmitted[0].decoded.ipv4.id\", \"transmitted[0].decoded.ipv4.checksum\"]\n}\n");
        Run pass = run(replay);
        assertThat(pass.exit()).as(pass.out()).isZero();
        assertThat(pass.out()).contains("PASS echo").contains("1 passed, 0 failed");

        String expected = Files.readString(dir.resolve("expected.json"));
        Files.writeString(dir.resolve("expected.json"), expected.replace("\"counters\" : {", "\"counters\" : { \"TestOnlyCounter\" : 7,")
                .replace(",\n  }", "\n  }").replace("7, }", "7 }"));
        Run fail = run(replay);
        assertThat(fail.exit()).as(fail.out()).isEqualTo(1);
        assertThat(fail.out()).contains("FAIL echo (1 difference(s)").contains("counters.TestOnlyCounter: reference 7 != candidate 0");
        return pass;
    }

    /**
     * A clone with nothing beside it judges its own corpus: a public scenario and a recorded one
     * pass with the built-in judge, and a whole corpus folder (conformance/ holds public/ and
     * recorded/) is found scenario by scenario.
     */
    @Test
    void replayJudgesTheRepositorysOwnCorpus() throws IOException {
        Run r = run("replay", REPO.resolve("conformance/public/icmp-echo-request").toString(),
                REPO.resolve("conformance/recorded/arp-announce-0").toString(), "--in-process", "--out", tmp.resolve("o").toString());
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out()).contains("PASS icmp-echo-request").contains("PASS arp-announce-0")
                .contains("2 passed, 0 failed").doesNotContain("NOT judged");
        // arp-announce-0's echo reply waits on the arp_queue when the window ends, as on Linux: named, with its
        // later fate, never "without a fate" (which means lost).
        assertThat(r.out()).doesNotContain("without a fate")
                .contains("held past settle_ms in __neigh_event_send").contains("Dropped NEIGH_FAILED").contains("not lost");
        assertThat(ReplayCommand.expand(List.of(REPO.resolve("conformance")), new PrintWriter(new StringWriter())))
                .contains(REPO.resolve("conformance/public/icmp-echo-request"), REPO.resolve("conformance/recorded/arp-announce-0"))
                .hasSizeGreaterThan(250);
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
