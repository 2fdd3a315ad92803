package io.netstack.service;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netstack.layer.Layers;
import io.netstack.stack.KernelQueue;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Topics, skb ids, keys and meters: the pieces of the wiring that need no broker. */
class WiringTest {

    @Test
    void everyQueueHasATopicAndADeadLetterTopicWithOnePartitionPerCpu() {
        List<NewTopic> topics = Topics.all(3, (short) 1);
        Map<String, NewTopic> byName = new java.util.HashMap<>();
        for (NewTopic t : topics) byName.put(t.name(), t);
        for (KernelQueue q : KernelQueue.values()) {
            assertThat(byName.get(q.topic()).numPartitions()).isEqualTo(3);
            assertThat(byName).containsKey(q.topic() + ".DLT");
        }
        assertThat(byName.get(KernelQueue.WIRE_RX_TOPIC + ".DLT").numPartitions()).isEqualTo(3);
        assertThat(byName.get(KernelQueue.EVENTS_TOPIC).numPartitions()).isEqualTo(3);
        assertThat(byName.get(KernelQueue.CONFIG_TOPIC).configs()).containsEntry("cleanup.policy", "compact");
        // A layer's changelog: compacted, and its tombstones (a read datagram) gone soon after.
        assertThat(byName.get(Topics.stateTopic("socket")).configs()).containsEntry("cleanup.policy", "compact")
                .containsEntry("delete.retention.ms", "60000");
    }

    @Test
    void theNicReadsTheWireAndItsQueueOthersOnlyTheirQueues() {
        assertThat(LayerRuntime.inputTopics(Layers.byName("nic")))
                .containsExactly(KernelQueue.HARD_START_XMIT.topic(), KernelQueue.WIRE_RX_TOPIC);
        assertThat(LayerRuntime.inputTopics(Layers.byName("softirq")))
                .containsExactly(KernelQueue.BACKLOG.topic(), KernelQueue.DEV_QUEUE_XMIT.topic());
    }

    @Test
    void skbIdsCarryTheInstanceInTheirHighBitsAndNeverRepeat() {
        SkbIds a = new SkbIds(0x000001);
        SkbIds b = new SkbIds(0x000002);
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            assertThat(seen.add(a.getAsLong())).isTrue();
            assertThat(seen.add(b.getAsLong())).isTrue();
        }
        long id = a.getAsLong();
        assertThat(id >>> SkbIds.COUNTER_BITS).isEqualTo(1);
        assertThat(new SkbIds(0).getAsLong()).isNotZero();
    }

    @Test
    void theKeyIsTheFlowHashBigEndian() {
        assertThat(LayerRuntime.hashKey(0x01020304)).containsExactly(1, 2, 3, 4);
        assertThat(LayerRuntime.hashKey(-1)).containsExactly(0xff, 0xff, 0xff, 0xff);
    }

    @Test
    void seriesExistAtZeroFromStartUp() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new LayerMetrics(registry, "softirq", LayerRuntime.inputTopics(Layers.byName("softirq")));
        assertThat(registry.get("netstack.skb.in").tags("layer", "softirq", "queue", "backlog").counter().count()).isZero();
        assertThat(registry.get("netstack.skb.dropped").tags("queue", "backlog", "reason", "NOT_EMULATED").counter().count())
                .isZero();
        assertThat(registry.get("netstack.skb.dead.lettered").tags("queue", "dev_queue_xmit").counter().count()).isZero();
        assertThat(registry.get("netstack.skb.out").tags("queue", "ptype_ip").counter().count()).isZero();
        assertThat(registry.get("netstack.hop.latency").tags("queue", "backlog").timer().count()).isZero();
    }
}
