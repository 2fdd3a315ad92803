package io.netstack.state;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The object changes of one host since they were last taken: key to the object's bytes, or to
 * null for an object that is gone. A later change of a key replaces the earlier one, so what is
 * taken is the net change. Kept only where a runtime writes the changes to a changelog.
 */
public final class ObjectJournal {

    private Map<String, byte[]> changes = new LinkedHashMap<>();

    public synchronized void put(String key, byte[] bytes) {
        changes.put(key, bytes);
    }

    public synchronized void remove(String key) {
        changes.put(key, null);
    }

    /** The changes since the last call (values null for removed objects); the journal starts over. */
    public synchronized Map<String, byte[]> take() {
        if (changes.isEmpty()) return Map.of();
        Map<String, byte[]> taken = changes;
        changes = new LinkedHashMap<>();
        return taken;
    }
}
