package io.netstack.state;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;

/**
 * A FIFO queue of layer state whose entries are objects of their own (a socket's receive
 * queue): an entry is written to the {@link ObjectJournal} once when it is queued and removed
 * when it is taken, so keeping the queue costs what changes in it, not what it holds. The queue
 * itself (its key and the sequence numbers of its first and next entry) belongs to the host's
 * snapshot; the entries do not, and are read back from their objects by {@link #restore}.
 */
public final class ObjectQueue<E> implements Serializable, Iterable<E> {

    /** How an entry becomes the bytes of its object and back (an enum constant: it is written with the queue). */
    public interface Codec<E> extends Serializable {
        byte[] encode(E entry);

        E decode(byte[] bytes);
    }

    private final String key;
    private final Codec<E> codec;
    private long first;
    private long next;
    private transient ArrayDeque<E> entries = new ArrayDeque<>();
    private transient ObjectJournal journal;

    /** A queue whose entries are the objects {@code key/<n>}; changes go to {@code journal} (null: none kept). */
    public ObjectQueue(String key, Codec<E> codec, ObjectJournal journal) {
        this.key = key;
        this.codec = codec;
        this.journal = journal;
    }

    public void add(E entry) {
        entries.add(entry);
        if (journal != null) journal.put(objectKey(next), codec.encode(entry));
        next++;
    }

    /** Takes the oldest entry; null when empty. */
    public E poll() {
        E e = entries.poll();
        if (e == null) return null;
        if (journal != null) journal.remove(objectKey(first));
        first++;
        return e;
    }

    public E peek() { return entries.peek(); }

    /** Replaces the oldest entry (by what is left of it after a partial read). */
    public void replaceFirst(E entry) {
        entries.removeFirst();
        entries.addFirst(entry);
        if (journal != null) journal.put(objectKey(first), codec.encode(entry));
    }

    /** Empties the queue (its objects are removed). */
    public void clear() {
        while (poll() != null) { }
    }

    public int size() { return entries.size(); }

    public boolean isEmpty() { return entries.isEmpty(); }

    @Override public Iterator<E> iterator() { return Collections.unmodifiableCollection(entries).iterator(); }

    /** Every entry as its object, as a full read of the changelog would give them. */
    public void objects(Map<String, byte[]> into) {
        long seq = first;
        for (E e : entries) into.put(objectKey(seq++), codec.encode(e));
    }

    /**
     * After the snapshot holding this queue was read back: its entries from their objects, each
     * claimed (removed from {@code objects}); changes go to {@code journal} from now on.
     * @throws IllegalStateException when an entry's object is missing
     */
    public void restore(Map<String, byte[]> objects, ObjectJournal journal) {
        ArrayDeque<E> restored = new ArrayDeque<>();
        for (long seq = first; seq < next; seq++) {
            byte[] b = objects.remove(objectKey(seq));
            if (b == null) throw new IllegalStateException("queue " + key + ": object " + objectKey(seq) + " missing");
            restored.add(codec.decode(b));
        }
        this.entries = restored;
        this.journal = journal;
    }

    private String objectKey(long seq) {
        return key + "/" + seq;
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        entries = new ArrayDeque<>();
    }
}
