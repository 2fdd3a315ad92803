package io.netstack.state;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A layer's {@link ObjectJournal}s, one per host, kept only once a runtime that writes the
 * changes to a changelog asks for them ({@link #keep}); until then every journal is null and
 * nothing is recorded (an in-process stack).
 */
public final class ObjectJournals {

    private volatile Map<String, ObjectJournal> byHost;

    /** From now on, record changes. */
    public synchronized void keep() {
        if (byHost == null) byHost = new ConcurrentHashMap<>();
    }

    /** The host's journal; null when none is kept. */
    public ObjectJournal of(String netns) {
        Map<String, ObjectJournal> m = byHost;
        return m == null ? null : m.computeIfAbsent(netns, n -> new ObjectJournal());
    }

    /** The host's changes since the last call (see {@link ObjectJournal#take}). */
    public Map<String, byte[]> take(String netns) {
        Map<String, ObjectJournal> m = byHost;
        ObjectJournal j = m == null ? null : m.get(netns);
        return j == null ? Map.of() : j.take();
    }

    /**
     * The host's state is being replaced (restored): what was recorded for the state left behind
     * is not to be written; a fresh journal (null when none is kept).
     */
    public ObjectJournal reset(String netns) {
        Map<String, ObjectJournal> m = byHost;
        if (m == null) return null;
        ObjectJournal fresh = new ObjectJournal();
        m.put(netns, fresh);
        return fresh;
    }

    /** After a restore: the objects no part of the restored state claimed are recorded as removed. */
    public void removeUnclaimed(String netns, Collection<String> keys) {
        ObjectJournal j = of(netns);
        if (j != null) for (String k : keys) j.remove(k);
    }

    public void forget(String netns) {
        Map<String, ObjectJournal> m = byHost;
        if (m != null) m.remove(netns);
    }
}
