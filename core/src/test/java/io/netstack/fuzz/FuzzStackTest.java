package io.netstack.fuzz;

import io.netstack.config.HostConfig;
import io.netstack.layer.L4Layer;
import io.netstack.layer.NicLayer;
import io.netstack.layer.SocketLayer;
import io.netstack.layer.SoftirqLayer;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.InProcessStack;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.Layer;
import io.netstack.stack.LayerContext;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static io.netstack.fuzz.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fuzz harness against a stack whose l3 does what the real one will: answers (a spawned
 * skb transmitted through the qdisc and the NIC), holds skbs in its state until a timer frees
 * them (as reassembly does), drops. The books balance; an l3 that forgets a held skb is
 * caught, with the frame it came from.
 */
class FuzzStackTest {

    /** An l3 stand-in: by skb id, answer with an ARP reply, hold for 30 s, or drop. */
    static final class FakeL3 implements Layer {
        private final boolean leaky;
        private final List<SkBuff> held = new ArrayList<>();
        private final List<Long> heldSince = new ArrayList<>();

        FakeL3(boolean leaky) { this.leaky = leaky; }

        @Override public String name() { return "l3"; }

        @Override public Set<KernelQueue> inputs() { return Set.of(KernelQueue.PTYPE_IP, KernelQueue.PTYPE_ARP, KernelQueue.IP_LOCAL_OUT); }

        @Override
        public void receive(KernelQueue queue, SkBuff skb, LayerContext ctx) {
            ctx.trace(skb, "fake_l3");
            switch ((int) (skb.id() % 3)) {
                case 0 -> {
                    held.add(skb);
                    heldSince.add(ctx.nowNanos());
                }
                case 1 -> {
                    byte[] reply = eth(PEER_MAC, OUR_MAC, ETH_P_ARP, arp(2, OUR_MAC, OUR_IP, PEER_MAC, PEER_IP));
                    SkBuff r = ctx.allocSkb(skb.netns(), skb, 64, reply.length);
                    r.putData(reply);
                    r.setDev("eth0");
                    ctx.enqueue(KernelQueue.DEV_QUEUE_XMIT, r);
                    ctx.consume(skb);
                }
                default -> ctx.drop(skb, SkbDropReason.IP_INHDR);
            }
        }

        @Override
        public void tick(LayerContext ctx) {
            if (leaky) return;
            for (int i = held.size() - 1; i >= 0; i--) {
                if (ctx.nowNanos() - heldSince.get(i) >= 30 * FuzzStack.SECOND) {
                    ctx.trace(held.get(i), "ip_expire");
                    ctx.drop(held.get(i), SkbDropReason.FRAG_REASM_TIMEOUT);
                    held.remove(i);
                    heldSince.remove(i);
                }
            }
        }

        @Override public void configure(HostConfig host) {}

        @Override public void remove(String netns) {}
    }

    private static FuzzStack run(boolean leaky, int frames) {
        InProcessStack stack = new InProcessStack(List.of(new NicLayer(), new SoftirqLayer(), new FakeL3(leaky),
                new L4Layer(), new SocketLayer()), 0);
        FrameSource source = new FrameSource(99, SeedFrames.built());
        FuzzStack fs = new FuzzStack(stack, source::observe);
        for (int i = 0; i < frames; i++) {
            FrameSource.Generated g = source.next(i);
            fs.inject(i, g.dev(), g.frame(), g.how());
            if (i % 100 == 99) fs.advance(FuzzStack.SECOND);
        }
        fs.settle();
        return fs;
    }

    @Test
    void answersHeldSkbsAndDropsBalance() {
        FuzzStack fs = run(false, 3000);
        assertThat(fs.violations()).isEmpty();
        assertThat(fs.ledger.spawned).isPositive();
        assertThat(fs.ledger.transmitted).isEqualTo(fs.ledger.spawned);
        assertThat(fs.ledger.dropReasons).containsKeys(SkbDropReason.FRAG_REASM_TIMEOUT, SkbDropReason.IP_INHDR);
        assertThat(fs.ledger.fateKinds).containsKeys("consumed", "transmitted", "dropped");
    }

    @Test
    void aHeldSkbThatIsNeverFreedIsCaughtWithItsFrame() {
        FuzzStack fs = run(true, 300);
        List<String> v = fs.violations();
        assertThat(v).anySatisfy(s -> assertThat(s).contains("still in flight after settling", "hex="));
        assertThat(v).anySatisfy(s -> assertThat(s).startsWith("entered "));
    }
}
