package io.netstack.state;

import io.netstack.config.HostConfig;
import io.netstack.config.Sysctls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.function.Function;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;

/**
 * Writes a host's layer state (an object graph: neighbour entries, fragment queues, conntrack,
 * TCP control blocks, socket queues, with the skbs they hold) as bytes and reads it back, with
 * java.io serialization. What belongs to the host's configuration or to the layer's code (the
 * {@link HostConfig}, its {@link Sysctls}, callbacks, derived tables such as the FIB) is not
 * state: it is written as a {@link Ref} by name and bound on reading to what the restoring
 * layer has built from the current configuration. So a snapshot holds what the host learned,
 * never what it was told, and a restored host sees the configuration of the moment.
 *
 * <p>Only classes of {@code io.netstack} and of the JDK may be read back (a filter refuses the
 * rest), so a changelog record cannot instantiate arbitrary classes.
 */
public final class StateCodec {

    private StateCodec() {}

    /** A stand-in for an object that is not state: bound by name when read. */
    public record Ref(String name) implements Serializable {}

    /** Names the objects that are written as references (null: written as state). */
    public interface Refs {
        String nameOf(Object o);
    }

    /** The configuration objects every layer refers to. */
    public static String configRef(Object o) {
        if (o instanceof HostConfig) return "config";
        if (o instanceof Sysctls) return "sysctl";
        return null;
    }

    /** Serializes {@code root}, writing the objects {@code refs} names as references; deflated. */
    public static byte[] write(Object root, Refs refs) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1024);
        try (ObjectOutputStream out = new RefOutput(new DeflaterOutputStream(bytes), refs)) {
            out.writeObject(root);
        } catch (IOException e) {
            throw new UncheckedIOException("state of " + root.getClass().getName() + " not serializable", e);
        }
        return bytes.toByteArray();
    }

    /** Reads what {@link #write} wrote, binding every reference by {@code bind} (which must know each name). */
    public static Object read(byte[] state, Map<String, ?> bind) {
        return read(state, name -> {
            if (!bind.containsKey(name)) throw new IllegalStateException("snapshot refers to unknown '" + name + "'");
            return bind.get(name);
        });
    }

    public static Object read(byte[] state, Function<String, ?> bind) {
        try (ObjectInputStream in = new RefInput(new InflaterInputStream(new ByteArrayInputStream(state)), bind)) {
            return in.readObject();
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalStateException("snapshot not readable: " + e, e);
        }
    }

    private static final class RefOutput extends ObjectOutputStream {
        private final Refs refs;

        RefOutput(OutputStream out, Refs refs) throws IOException {
            super(out);
            this.refs = refs;
            enableReplaceObject(true);
        }

        @Override
        protected Object replaceObject(Object obj) {
            if (obj instanceof Ref) return obj;
            String name = configRef(obj);
            if (name == null) name = refs.nameOf(obj);
            return name == null ? obj : new Ref(name);
        }
    }

    private static final class RefInput extends ObjectInputStream {
        private final Function<String, ?> bind;

        RefInput(InputStream in, Function<String, ?> bind) throws IOException {
            super(in);
            this.bind = bind;
            enableResolveObject(true);
            setObjectInputFilter(info -> {
                Class<?> c = info.serialClass();
                if (c == null) return java.io.ObjectInputFilter.Status.UNDECIDED;
                while (c.isArray()) c = c.getComponentType();
                if (c.isPrimitive()) return java.io.ObjectInputFilter.Status.ALLOWED;
                String n = c.getName();
                return n.startsWith("io.netstack.") || n.startsWith("java.")
                        ? java.io.ObjectInputFilter.Status.ALLOWED : java.io.ObjectInputFilter.Status.REJECTED;
            });
        }

        @Override
        protected Object resolveObject(Object obj) {
            if (obj instanceof Ref r) return bind.apply(r.name());
            return obj;
        }

        @Override
        protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
            try {
                return Class.forName(desc.getName(), false, StateCodec.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                return super.resolveClass(desc);
            }
        }
    }
}
