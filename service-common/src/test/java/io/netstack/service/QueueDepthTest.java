package io.netstack.service;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.internals.AutoOffsetResetStrategy;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** netstack_queue_depth: per partition, the consumer's lag; 0 for partitions it does not hold. */
class QueueDepthTest {

    @Test
    void depthIsTheLagOfTheHeldPartitionsAndZeroOnceRevoked() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        LayerMetrics metrics = new LayerMetrics(registry, "l3", List.of("netstack.ptype.ip"));
        QueueDepth depth = new QueueDepth(metrics, List.of("netstack.ptype.ip"), 4);
        assertThat(registry.get("netstack.queue.depth").gauges()).hasSize(4);

        TopicPartition p1 = new TopicPartition("netstack.ptype.ip", 1);
        MockConsumer<byte[], byte[]> c = new MockConsumer<>(AutoOffsetResetStrategy.EARLIEST.name());
        c.assign(List.of(p1));
        c.updateBeginningOffsets(Map.of(p1, 0L));
        c.updateEndOffsets(Map.of(p1, 42L));
        c.seek(p1, 30L);
        depth.observe(c);
        assertThat(gauge(registry, "1")).isEqualTo(12.0);
        assertThat(gauge(registry, "0")).isZero();

        depth.revoked(List.of(p1));
        assertThat(gauge(registry, "1")).isZero();
    }

    private static double gauge(SimpleMeterRegistry r, String partition) {
        return r.get("netstack.queue.depth").tags("layer", "l3", "queue", "ptype_ip", "partition", partition).gauge().value();
    }
}
