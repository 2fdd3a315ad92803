package io.netstack.layer;

import io.netstack.stack.KernelQueue;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static io.netstack.layer.SocketLayerTest.queued;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The socket layer's state as a snapshot plus objects: each queued datagram is an object of its
 * own, written once and removed when read, so what a visit writes follows what it changed, and a
 * successor restores the queue from the snapshot and the objects as a changelog holds them.
 */
class SocketLayerObjectsTest {

    private static final String UDP = "udp 0.0.0.0:5353";

    /** The changelog as a compacted topic keeps it: the latest value per key, tombstones removing. */
    private static void apply(Map<String, byte[]> changelog, Map<String, byte[]> changes) {
        changes.forEach((k, v) -> {
            if (v == null) changelog.remove(k);
            else changelog.put(k, v);
        });
    }

    private static SocketLayer journaled() {
        return journaled("");
    }

    private static SocketLayer journaled(String sysctls) {
        SocketLayer s = new SocketLayer();
        s.keepObjectJournal();
        s.configure(L4Fixture.host(SocketLayerTest.SOCKETS, sysctls));
        return s;
    }

    @Test
    void eachDatagramIsWrittenOnceAndRemovedWhenRead() {
        SocketLayer s = journaled();
        L4Fixture.run(s, KernelQueue.SK_RECEIVE_QUEUE, queued("01"));
        L4Fixture.run(s, KernelQueue.SK_RECEIVE_QUEUE, queued("02"));
        Map<String, byte[]> first = s.takeObjectChanges(L4Fixture.NETNS);
        assertThat(first).hasSize(2).doesNotContainValue(null);

        L4Fixture.run(s, KernelQueue.SK_RECEIVE_QUEUE, queued("03"));
        s.socket(L4Fixture.NETNS, UDP).recv();
        Map<String, byte[]> second = s.takeObjectChanges(L4Fixture.NETNS);
        // The new datagram, and a tombstone for the one read; the one still queued is not written again.
        assertThat(second).hasSize(2);
        assertThat(second.values()).containsOnlyOnce((byte[]) null);
        assertThat(s.takeObjectChanges(L4Fixture.NETNS)).isEmpty();
    }

    @Test
    void theSnapshotDoesNotGrowWithTheQueue() {
        SocketLayer s = journaled("  net.core.rmem_default: 100000000\n");
        L4Fixture.run(s, KernelQueue.SK_RECEIVE_QUEUE, queued("00"));
        int one = s.snapshot(L4Fixture.NETNS).length;
        for (int i = 0; i < 2000; i++) L4Fixture.run(s, KernelQueue.SK_RECEIVE_QUEUE, queued(String.format("%08x", i)));
        int many = s.snapshot(L4Fixture.NETNS).length;
        assertThat(many).as("snapshot bytes with 2001 datagrams queued vs 1").isLessThan(one + 64);
        assertThat(s.socket(L4Fixture.NETNS, UDP).queued().size()).isEqualTo(2001);
        assertThat(s.takeObjectChanges(L4Fixture.NETNS).size()).isEqualTo(2001);
    }

    @Test
    void aSuccessorRestoresTheQueueFromSnapshotAndObjects() {
        SocketLayer s = journaled();
        Map<String, byte[]> changelog = new HashMap<>();
        for (String p : new String[] {"01", "02", "03"}) L4Fixture.run(s, KernelQueue.SK_RECEIVE_QUEUE, queued(p));
        s.socket(L4Fixture.NETNS, UDP).recv();
        apply(changelog, s.takeObjectChanges(L4Fixture.NETNS));
        byte[] snapshot = s.snapshot(L4Fixture.NETNS);

        SocketLayer successor = journaled();
        successor.restore(L4Fixture.NETNS, snapshot, changelog);
        SocketLayer.Sock sk = successor.socket(L4Fixture.NETNS, UDP);
        assertThat(sk.queued()).extracting(d -> L4Fixture.hex(d.payload())).containsExactly("02", "03");
        assertThat(sk.rmemAlloc()).isEqualTo(2 * 832);
        assertThat(successor.takeObjectChanges(L4Fixture.NETNS)).as("nothing to write after a restore").isEmpty();

        // The successor goes on where the old one stopped: a read removes the object the old one wrote.
        assertThat(L4Fixture.hex(sk.recv().payload())).isEqualTo("02");
        Map<String, byte[]> changes = successor.takeObjectChanges(L4Fixture.NETNS);
        assertThat(changes).hasSize(1).containsValue(null);
        apply(changelog, changes);
        assertThat(changelog).hasSize(1);
    }

    @Test
    void objectsNoQueueClaimsAreRemovedAndAMissingOneIsAnError() {
        SocketLayer s = journaled();
        L4Fixture.run(s, KernelQueue.SK_RECEIVE_QUEUE, queued("01"));
        Map<String, byte[]> changelog = new HashMap<>(s.takeObjectChanges(L4Fixture.NETNS));
        byte[] snapshot = s.snapshot(L4Fixture.NETNS);

        Map<String, byte[]> withStray = new HashMap<>(changelog);
        withStray.put("rcvq udp 0.0.0.0:9/0", changelog.values().iterator().next());
        SocketLayer successor = journaled();
        successor.restore(L4Fixture.NETNS, snapshot, withStray);
        assertThat(successor.takeObjectChanges(L4Fixture.NETNS)).containsOnlyKeys("rcvq udp 0.0.0.0:9/0")
                .containsValue(null);

        assertThatThrownBy(() -> journaled().restore(L4Fixture.NETNS, snapshot, Map.of()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("missing");
    }

    @Test
    void withoutAJournalNothingIsRecorded() {
        SocketLayer s = new SocketLayer();
        s.configure(L4Fixture.host(SocketLayerTest.SOCKETS, ""));
        L4Fixture.run(s, KernelQueue.SK_RECEIVE_QUEUE, queued("01"));
        assertThat(s.takeObjectChanges(L4Fixture.NETNS)).isEmpty();
        assertThat(s.objects(L4Fixture.NETNS)).hasSize(1);
    }
}
