package io.netstack.codec;

import io.netstack.skb.SkbDropReason;
import io.netstack.stack.Fate;
import io.netstack.stack.SkbEvent;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An events-topic record is one SkbEvents message: several events of one host, in order. */
class EventCodecTest {

    static SkbEvent event(String netns, long id, Fate fate) {
        return new SkbEvent(netns, id, 0, "l3", "l3-0", 1_000 + id, id == 1, List.of(),
                List.of(new SkbEvent.TraceEntry("ip_rcv", 1_000 + id)),
                List.of(new SkbEvent.StatDelta("IpInReceives", "", 1)), fate, "summary " + id, "");
    }

    @Test
    void aBatchRoundTripsInOrder() {
        List<SkbEvent> events = List.of(
                event("h", 1, null),
                event("h", 2, new Fate.Dropped("ip_rcv_core", SkbDropReason.IP_CSUM)),
                event("h", 3, new Fate.Transmitted("dev_hard_start_xmit", "eth0", new byte[] {1, 2, 3})),
                event("h", 4, new Fate.Delivered("udp_queue_rcv_skb", "udp:1", "192.0.2.1:9", new byte[] {7})),
                event("h", 5, new Fate.Consumed("icmp_rcv")));
        List<SkbEvent> back = EventCodec.decodeAll(EventCodec.encodeAll(events));
        assertThat(back).extracting(SkbEvent::skbId).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(back.get(0)).isEqualTo(events.get(0));
        assertThat(back.get(1).fate()).isEqualTo(events.get(1).fate());
        assertThat(((Fate.Transmitted) back.get(2).fate()).frame()).containsExactly(1, 2, 3);
        assertThat(((Fate.Delivered) back.get(3).fate()).payload()).containsExactly(7);
        assertThat(back.get(4).fate()).isInstanceOf(Fate.Consumed.class);
        assertThat(EventCodec.decodeAll(EventCodec.encodeAll(List.of()))).isEmpty();
    }

    @Test
    void largeBatchesAreSplitIntoRecordsUnderTheLimitInOrder() {
        List<SkbEvent> events = new ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            events.add(event("h", i, new Fate.Transmitted("dev_hard_start_xmit", "eth0", new byte[1000])));
        }
        List<byte[]> records = EventCodec.encodeRecords(events, 10_000);
        assertThat(records).hasSizeGreaterThan(10);
        List<SkbEvent> back = new ArrayList<>();
        for (byte[] r : records) {
            assertThat(r.length).isLessThanOrEqualTo(10_000);
            back.addAll(EventCodec.decodeAll(r));
        }
        assertThat(back).extracting(SkbEvent::skbId).containsExactlyElementsOf(events.stream().map(SkbEvent::skbId).toList());
        // Everything in one record when the limit allows; an event over the limit alone in its own.
        assertThat(EventCodec.encodeRecords(events, EventCodec.MAX_RECORD_EVENT_BYTES)).hasSize(1);
        assertThat(EventCodec.encodeRecords(events.subList(0, 3), 10)).hasSize(3);
        assertThat(EventCodec.encodeRecords(List.of(), 10)).isEmpty();
    }

    @Test
    void whatIsNotAnEventsRecordIsRefusedWithAReason() {
        assertThatThrownBy(() -> EventCodec.decodeAll(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EventCodec.decodeAll("garbage, not protobuf".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an events record");
        assertThatThrownBy(() -> EventCodec.decodeAll(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}))
                .isInstanceOf(IllegalArgumentException.class);
        // A lone SkbEvent, as an older stack wrote one per record, is not taken for a batch.
        for (String netns : List.of("h", "bench", "demo", "host-a", "r1")) {
            assertThatThrownBy(() -> EventCodec.decodeAll(EventCodec.encode(event(netns, 42, null))))
                    .as(netns).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
