package io.netstack.e2e;

import io.netstack.codec.SkbCodec;
import io.netstack.launcher.StackClient;
import io.netstack.launcher.StackLauncher;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.WireFrame;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.time.Duration;

/**
 * A cable between two emulated hosts' eth0 in a running stack: what one transmits (the wire's
 * transmit topic) arrives as the other's received frame. One reader for the cable's lifetime,
 * so it rides out instance restarts.
 */
final class Cable implements AutoCloseable {

    private final StackLauncher stack;
    private final String a;
    private final String b;
    private final Thread thread;
    private volatile boolean on = true;

    Cable(StackLauncher stack, String a, String b) {
        this.stack = stack;
        this.a = a;
        this.b = b;
        this.thread = new Thread(this::carry, "cable-" + a + "-" + b);
        thread.setDaemon(true);
        thread.start();
    }

    private void carry() {
        try (StackClient out = stack.client(); StackClient.TopicReader tx = out.reader(KernelQueue.WIRE_TX_TOPIC)) {
            while (on) {
                for (ConsumerRecord<byte[], byte[]> r : tx.poll(Duration.ofMillis(20))) {
                    WireFrame f = SkbCodec.decodeFrame(r.value());
                    String peer = a.equals(f.netns()) ? b : b.equals(f.netns()) ? a : null;
                    if (peer != null && "eth0".equals(f.dev())) {
                        out.publishFrame(new WireFrame(peer, "eth0", f.frame(), System.nanoTime()));
                    }
                }
            }
        } catch (RuntimeException e) {
            if (on) e.printStackTrace();
        }
    }

    @Override
    public void close() throws InterruptedException {
        on = false;
        thread.join(5000);
    }
}
