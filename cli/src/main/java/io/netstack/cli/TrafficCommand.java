package io.netstack.cli;

import io.netstack.codec.SkbCodec;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.WireFrame;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * `netstack traffic`: a traffic source for a running stack (docker compose, `netstack up`):
 * publishes the demo host's configuration, then plays the demo's frame mix (ARP, pings, UDP to
 * an open and a closed port, TCP SYNs to a listener and a closed port, a frame for another MAC, a
 * bad checksum, a runt, an unknown EtherType) onto the wire topic at a steady rate, round after round.
 */
@Command(name = "traffic", mixinStandardHelpOptions = true,
        description = "Play the demo traffic mix into a running stack, continuously, at a rate.")
public final class TrafficCommand implements Callable<Integer> {

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT",
            description = "the stack's Kafka (default: from .netstack/stack.json)")
    String bootstrap;

    @Option(names = "--state", paramLabel = "FILE", description = "the stack's state file (default: .netstack/stack.json)")
    Path state = StackFile.DEFAULT;

    @Option(names = "--rate", paramLabel = "FRAMES_PER_SECOND", defaultValue = "20",
            description = "frames per second (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--count", paramLabel = "N", defaultValue = "0", description = "frames to send, then exit (0: until stopped)")
    long count;

    @Option(names = "--netns", defaultValue = "demo", description = "the emulated host's name (default: ${DEFAULT-VALUE})")
    String netns;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        String servers = bootstrap != null ? bootstrap : StackFile.read(state).bootstrap();
        if (servers == null) {
            spec.commandLine().getErr().println("netstack traffic: no bootstrap servers in " + state + "; pass --bootstrap");
            return 1;
        }
        Map<String, Object> pc = new HashMap<>();
        pc.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        pc.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        pc.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        pc.put(ProducerConfig.ACKS_CONFIG, "all");
        pc.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        pc.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        List<DemoTraffic.Packet> mix = DemoTraffic.mix();
        long periodNanos = (long) (1e9 / Math.max(0.01, rate));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pc)) {
            producer.send(new ProducerRecord<>(KernelQueue.CONFIG_TOPIC, utf8(netns), utf8(hostYaml())))
                    .get(60, TimeUnit.SECONDS);
            out.printf("netstack traffic: host %s configured on %s; %d-frame mix at %.1f frames/s%n", netns, servers,
                    mix.size(), rate);
            out.flush();
            byte[] key = utf8(netns + "/eth0");
            long next = System.nanoTime();
            long sent = 0;
            while (count == 0 || sent < count) {
                DemoTraffic.Packet p = mix.get((int) (sent % mix.size()));
                WireFrame f = new WireFrame(netns, "eth0", p.frame(), System.currentTimeMillis() * 1_000_000L);
                producer.send(new ProducerRecord<>(KernelQueue.WIRE_RX_TOPIC, key, SkbCodec.encode(f)));
                sent++;
                if (sent % (mix.size() * 100L) == 0) {
                    out.printf("netstack traffic: %d frames sent%n", sent);
                    out.flush();
                }
                next += periodNanos;
                long wait = next - System.nanoTime();
                if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
            }
            producer.flush();
            producer.close(Duration.ofSeconds(10));
            out.printf("netstack traffic: %d frames sent%n", sent);
        }
        return 0;
    }

    static String hostYaml() throws IOException {
        try (InputStream in = TrafficCommand.class.getResourceAsStream("/demo/host.yaml")) {
            if (in == null) throw new IOException("no /demo/host.yaml in the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
