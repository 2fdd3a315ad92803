package io.netstack.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StackStateTest {

    @TempDir
    Path tmp;

    @Test
    void roundTripsAndKnowsWhetherTheLauncherStillRuns() throws IOException {
        long self = ProcessHandle.current().pid();
        StackState s = new StackState(self, StackState.startOf(self), "127.0.0.1:9092", "exactly-once", 4, "/tmp/run",
                "2026-11-22T00:00:00Z", List.of(new StackState.Proc("broker", "", 11, "", 0),
                new StackState.Proc("l3-1", "l3", 12, "", 8081)));
        Path file = tmp.resolve("x/stack.json");
        s.write(file);
        StackState back = StackState.read(file).orElseThrow();
        assertThat(back).isEqualTo(s);
        assertThat(back.launcherAlive()).isTrue();
        assertThat(back.service("l3").orElseThrow().url()).isEqualTo("http://127.0.0.1:8081");
    }

    @Test
    void aRecordedPidNowHeldByAnotherProcessIsNotTheStack() {
        long self = ProcessHandle.current().pid();
        assertThat(StackState.sameProcessAlive(self, "1970-01-01T00:00:00Z")).isFalse();
        assertThat(StackState.sameProcessAlive(self, StackState.startOf(self))).isTrue();
    }

    @Test
    void anUnreadableFileIsNoStack() throws IOException {
        Path file = tmp.resolve("stack.json");
        java.nio.file.Files.writeString(file, "{not json");
        assertThat(StackState.read(file)).isEmpty();
        assertThat(StackState.read(tmp.resolve("absent.json"))).isEmpty();
    }
}
