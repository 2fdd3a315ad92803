package io.netstack.codec;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netstack.proto.FateKind;
import io.netstack.proto.StatDelta;
import io.netstack.proto.TraceEntry;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.Fate;
import io.netstack.stack.SkbEvent;

import java.util.ArrayList;
import java.util.List;

/** SkbEvent to and from its protobuf record (proto/events.proto). */
public final class EventCodec {
    private EventCodec() {}

    public static byte[] encode(SkbEvent e) {
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
        return b.build().toByteArray();
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

    /** @throws IllegalArgumentException when the bytes are not an event record */
    public static SkbEvent decode(byte[] bytes) {
        io.netstack.proto.SkbEvent p;
        try {
            p = io.netstack.proto.SkbEvent.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not an event record: " + e.getMessage(), e);
        }
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
