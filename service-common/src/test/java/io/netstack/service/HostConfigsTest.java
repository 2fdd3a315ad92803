package io.netstack.service;

import io.netstack.config.HostConfig;
import io.netstack.skb.SkBuff;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.Layer;
import io.netstack.stack.LayerContext;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

import static org.assertj.core.api.Assertions.assertThat;

/** The configuration topic's records applied to a layer, with no broker: install, refuse, remove. */
class HostConfigsTest {

    private static final String GOOD = """
            interfaces:
              - name: eth0
                mac: "02:00:00:00:00:01"
                mtu: 1500
                addresses: ["192.0.2.2/24"]
            """;
    private static final String BAD_MAC_AT_LINE_3 = """
            interfaces:
              - name: eth0
                mac: "not a mac"
            """;

    /** A layer that writes down what the runtime told it. */
    static final class RecordingLayer implements Layer {
        final List<String> calls = new ArrayList<>();
        @Override public String name() { return "l3"; }
        @Override public Set<KernelQueue> inputs() { return Set.of(KernelQueue.PTYPE_IP); }
        @Override public void receive(KernelQueue queue, SkBuff skb, LayerContext ctx) {}
        @Override public void configure(HostConfig host) { calls.add("configure " + host.netns()); }
        @Override public void remove(String netns) { calls.add("remove " + netns); }
    }

    private final RecordingLayer layer = new RecordingLayer();
    private final ReentrantLock lock = new ReentrantLock();
    private final HostConfigs configs = new HostConfigs(layer, lock, "127.0.0.1:1", () -> {});

    private static ConsumerRecord<String, String> record(long offset, String netns, String yaml) {
        return new ConsumerRecord<>(KernelQueue.CONFIG_TOPIC, 0, offset, netns, yaml);
    }

    private boolean configured(String netns) throws InterruptedException {
        lock.lock();
        try {
            return configs.awaitConfigured(netns, Duration.ZERO);
        } finally {
            lock.unlock();
        }
    }

    @Test
    void aHostIsConfiguredThenRemovedByATombstone() throws Exception {
        configs.apply(record(0, "h1", GOOD));
        assertThat(configured("h1")).isTrue();
        configs.apply(record(1, "h1", null));
        assertThat(configured("h1")).isFalse();
        assertThat(layer.calls).containsExactly("configure h1", "remove h1");
    }

    @Test
    void aBadConfigurationIsSkippedAndTheHostKeepsItsPreviousOne() throws Exception {
        configs.apply(record(0, "h1", GOOD));
        configs.apply(record(1, "h1", BAD_MAC_AT_LINE_3));
        configs.apply(record(2, "h2", BAD_MAC_AT_LINE_3));
        assertThat(layer.calls).containsExactly("configure h1");
        assertThat(configured("h1")).isTrue();
        assertThat(configured("h2")).isFalse();
    }

    @Test
    void aRecordWithoutKeyIsSkipped() throws Exception {
        configs.apply(record(0, null, GOOD));
        assertThat(layer.calls).isEmpty();
    }

    @Test
    void aWaitingSkbSeesItsHostArriveFromAnotherThread() throws Exception {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException ignored) {
                return;
            }
            configs.apply(record(0, "late", GOOD));
        });
        t.start();
        lock.lock();
        try {
            assertThat(configs.awaitConfigured("late", Duration.ofSeconds(10))).isTrue();
        } finally {
            lock.unlock();
        }
        t.join();
    }

    @Test
    void theSysctlsNobodyImplementsAreNamedOncePerHost() {
        String yaml = GOOD + "sysctl:\n  net.ipv4.ip_forward: 1\n  net.ipv4.tcp_mtu_probing: 1\n"
                + "  net.ipv4.conf.eth0.log_martians: 0\n  net.ipv4.conf.eth0.rp_filter: 0\n";
        configs.apply(record(0, "h1", yaml));
        assertThat(configs.unimplementedSysctls("h1"))
                .containsExactly("net.ipv4.conf.eth0.log_martians", "net.ipv4.tcp_mtu_probing");
        configs.apply(record(1, "h2", GOOD));
        assertThat(configs.unimplementedSysctls("h2")).isEmpty();
        configs.apply(record(2, "h1", null));
        assertThat(configs.unimplementedSysctls("h1")).isEmpty();
    }
}
