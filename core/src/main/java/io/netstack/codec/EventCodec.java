package io.netstack.codec;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netstack.proto.FateKind;
import io.netstack.proto.SkbEvents;
import io.netstack.proto.StatDelta;
import io.netstack.proto.TraceEntry;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.Fate;
import io.netstack.stack.SkbEvent;

import java.util.ArrayList;
import java.util.List;

/**
 * SkbEvents to and from protobuf (proto/events.proto). A record of the events topic is one
 * {@code SkbEvents} message: the events of one host from one poll of a layer ({@link #encodeAll},
 * {@link #encodeRecords}, read back with {@link #decodeAll}). {@link #encode}/{@link #decode} are
 * one {@code SkbEvent} message alone, which is not what the topic carries.
 */
public final class EventCodec {
    private EventCodec() {}

    /**
     * A host's events of one poll go in records of at most about this many bytes (a poll of 1000
     * TCP segments carries 1000 frames): well under the producer's and the broker's record limit
     * (KafkaSettings.MAX_RECORD_BYTES, 8 MiB). One event larger than this still gets a record of its own.
     */
    public static final int MAX_RECORD_EVENT_BYTES = 1 << 20;

    /** One SkbEvent message (not an events-topic record: see {@link #encodeAll}). */
    public static byte[] encode(SkbEvent e) {
        return message(e).toByteArray();
    }

    /** One events-topic record holding {@code events} in order. */
    public static byte[] encodeAll(List<SkbEvent> events) {
        SkbEvents.Builder b = SkbEvents.newBuilder();
        for (SkbEvent e : events) b.addEvents(message(e));
        return b.build().toByteArray();
    }

    /**
     * {@code events} in order, as few events-topic records as hold them with each at most
     * {@code maxBytes} (an event larger than that alone in its record); none for no events.
     */
    public static List<byte[]> encodeRecords(List<SkbEvent> events, int maxBytes) {
        List<byte[]> records = new ArrayList<>();
        SkbEvents.Builder b = SkbEvents.newBuilder();
        int size = 0;
        for (SkbEvent e : events) {
            io.netstack.proto.SkbEvent m = message(e);
            int bytes = CodedOutputStream.computeMessageSize(SkbEvents.EVENTS_FIELD_NUMBER, m);
            if (size > 0 && size + bytes > maxBytes) {
                records.add(b.build().toByteArray());
                b = SkbEvents.newBuilder();
                size = 0;
            }
            b.addEvents(m);
            size += bytes;
        }
        if (size > 0) records.add(b.build().toByteArray());
        return records;
    }

    private static io.netstack.proto.SkbEvent message(SkbEvent e) {
        io.netstack.proto.SkbEvent.Builder b = io.netstack.proto.SkbEvent.newBuilder()
                .setNetns(e.netns()).setSkbId(e.skbId()).setParentId(e.parentId())
                .setLayer(e.layer()).setInstance(e.instance()).setTimeNs(e.timeNanos())
                .setEntered(e.entered()).addAllSpawned(e.spawned()).setSummary(e.summary())
                .setQueue(e.queue() == null ? "" : e.queue());
        for (SkbEvent.TraceEntry t : e.trace()) {
            b.addTrace(TraceEntry.newBuilder().setFunction(t.function()).setTimeNs(t.timeNanos()));
        }
        for (SkbEvent.StatDelta d : e.stats()) {
            b.addStats(StatDelta.newBuilder().setName(d.name()).setDev(d.dev()).setDelta(d.delta()));
        }
        if (e.fate() != null) b.setFate(fate(e.fate()));
        return b.build();
    }

    private static io.netstack.proto.Fate fate(Fate f) {
        io.netstack.proto.Fate.Builder b = io.netstack.proto.Fate.newBuilder().setFunction(f.function());
        if (f instanceof Fate.Delivered d) {
            b.setKind(FateKind.DELIVERED).setSocket(d.socket()).setPeer(d.peer()).setFrame(ByteString.copyFrom(d.payload()));
        } else if (f instanceof Fate.Transmitted t) {
            b.setKind(FateKind.TRANSMITTED).setDev(t.dev()).setFrame(ByteString.copyFrom(t.frame()));
        } else if (f instanceof Fate.Dropped d) {
            b.setKind(FateKind.DROPPED).setReason(d.reason().name());
        } else {
            b.setKind(FateKind.CONSUMED);
        }
        return b.build();
    }

    /**
     * One SkbEvent message (what {@link #encode} wrote).
     *
     * @throws IllegalArgumentException when the bytes are not one
     */
    public static SkbEvent decode(byte[] bytes) {
        if (bytes == null) throw new IllegalArgumentException("not an event: no bytes");
        try {
            return event(io.netstack.proto.SkbEvent.parseFrom(bytes));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not an event: " + e.getMessage(), e);
        }
    }

    /**
     * The events of one events-topic record, in order.
     *
     * @throws IllegalArgumentException when the bytes are not an events record (not protobuf, an
     *     unknown field, an event without a layer, a fate of no kind): the whole record is
     *     refused, no event of it is returned
     */
    public static List<SkbEvent> decodeAll(byte[] bytes) {
        if (bytes == null) throw new IllegalArgumentException("not an events record: no value");
        SkbEvents p;
        try {
            p = SkbEvents.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not an events record: " + e.getMessage(), e);
        }
        if (!p.getUnknownFields().asMap().isEmpty()) {
            throw new IllegalArgumentException("not an events record: unknown fields " + p.getUnknownFields().asMap().keySet());
        }
        List<SkbEvent> out = new ArrayList<>(p.getEventsCount());
        for (io.netstack.proto.SkbEvent e : p.getEventsList()) {
            // A record of another format (a lone SkbEvent of an older stack) can parse as a
            // batch of nonsense: an event must at least say which layer wrote it.
            if (!e.getUnknownFields().asMap().isEmpty() || e.getLayer().isEmpty()) {
                throw new IllegalArgumentException("not an events record: event " + out.size() + " has "
                        + (e.getLayer().isEmpty() ? "no layer" : "unknown fields"));
            }
            out.add(event(e));
        }
        return out;
    }

    private static SkbEvent event(io.netstack.proto.SkbEvent p) {
        List<SkbEvent.TraceEntry> trace = new ArrayList<>();
        for (TraceEntry t : p.getTraceList()) trace.add(new SkbEvent.TraceEntry(t.getFunction(), t.getTimeNs()));
        List<SkbEvent.StatDelta> stats = new ArrayList<>();
        for (StatDelta d : p.getStatsList()) stats.add(new SkbEvent.StatDelta(d.getName(), d.getDev(), d.getDelta()));
        Fate fate = null;
        if (p.hasFate()) {
            io.netstack.proto.Fate f = p.getFate();
            fate = switch (f.getKind()) {
                case DELIVERED -> new Fate.Delivered(f.getFunction(), f.getSocket(), f.getPeer(), f.getFrame().toByteArray());
                case TRANSMITTED -> new Fate.Transmitted(f.getFunction(), f.getDev(), f.getFrame().toByteArray());
                case DROPPED -> new Fate.Dropped(f.getFunction(), dropReason(f.getReason()));
                case CONSUMED -> new Fate.Consumed(f.getFunction());
                case FATE_UNSPECIFIED, UNRECOGNIZED -> throw new IllegalArgumentException("event with a fate of no kind");
            };
        }
        return new SkbEvent(p.getNetns(), p.getSkbId(), p.getParentId(), p.getLayer(), p.getInstance(), p.getTimeNs(),
                p.getEntered(), List.copyOf(p.getSpawnedList()), trace, stats, fate, p.getSummary(), p.getQueue());
    }

    private static SkbDropReason dropReason(String name) {
        try {
            return SkbDropReason.valueOf(name);
        } catch (IllegalArgumentException e) {
            return SkbDropReason.NOT_SPECIFIED;
        }
    }
}
