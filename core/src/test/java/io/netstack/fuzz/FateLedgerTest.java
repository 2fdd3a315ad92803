package io.netstack.fuzz;

import io.netstack.skb.SkbDropReason;
import io.netstack.stack.Fate;
import io.netstack.stack.SkbEvent;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.netstack.fuzz.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

/** The fuzz test's books catch what they are there to catch (so the fuzz test can fail). */
class FateLedgerTest {

    private static final byte[] FRAME = ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_ICMP, icmp(8, 0, 1, new byte[8])));

    private static SkbEvent event(long id, long parent, String layer, boolean entered, List<Long> spawned, Fate fate) {
        return new SkbEvent("fuzz", id, parent, layer, "t", 0, entered, spawned, List.of(), List.of(), fate, "");
    }

    private static final Fate DROP = new Fate.Dropped("f", SkbDropReason.NOT_SPECIFIED);

    private static FateLedger ledger() {
        FateLedger l = new FateLedger();
        l.startAction(new FateLedger.Origin(0, "eth0", FRAME, "test"), true);
        return l;
    }

    @Test
    void anSkbWithOneFateBalances() {
        FateLedger l = ledger();
        l.accept(event(1, 0, "nic", true, List.of(), null));
        l.accept(event(1, 0, "l3", false, List.of(2L), new Fate.Consumed("icmp_echo")));
        l.accept(event(2, 1, "nic", false, List.of(), new Fate.Transmitted("veth_xmit", "eth0",
                eth(PEER_MAC, OUR_MAC, ETH_P_IP, ipv4(OUR_IP, PEER_IP, IPPROTO_ICMP, icmp(0, 0, 1, new byte[8]))))));
        l.endOfAction();
        assertThat(l.problems()).isEmpty();
        assertThat(l.inFlight()).isEmpty();
        assertThat(l.entered + l.spawned).isEqualTo(l.fates).isEqualTo(2);
        assertThat(l.nicAccepted).isEqualTo(1);
        assertThat(l.nicAcceptedBytes).isEqualTo(FRAME.length);
    }

    @Test
    void aChildsFateBeforeItsParentNamesItIsNoProblem() {
        FateLedger l = ledger();
        l.accept(event(1, 0, "nic", true, List.of(), null));
        l.accept(event(2, 1, "l3", false, List.of(), DROP));
        l.accept(event(1, 0, "l3", false, List.of(2L), DROP));
        l.endOfAction();
        assertThat(l.problems()).isEmpty();
        assertThat(l.inFlight()).isEmpty();
    }

    @Test
    void anSkbWithNoFateIsInFlight() {
        FateLedger l = ledger();
        l.accept(event(1, 0, "nic", true, List.of(), null));
        l.endOfAction();
        assertThat(l.inFlight()).containsOnlyKeys(1L);
        assertThat(l.inFlight().get(1L).toString()).contains("frame #0", hex(FRAME));
    }

    @Test
    void aSecondFateIsAProblem() {
        FateLedger l = ledger();
        l.accept(event(1, 0, "nic", true, List.of(), null));
        l.accept(event(1, 0, "l3", false, List.of(), DROP));
        l.accept(event(1, 0, "l4", false, List.of(), new Fate.Consumed("x")));
        assertThat(l.problems()).singleElement().asString().contains("second fate");
    }

    @Test
    void aFateForAnSkbNobodyMadeIsAProblem() {
        FateLedger l = ledger();
        l.accept(event(7, 0, "l3", false, List.of(), DROP));
        l.endOfAction();
        assertThat(l.problems()).singleElement().asString().contains("never entered nor was spawned");
    }

    @Test
    void aDropWithoutAReasonIsAProblem() {
        FateLedger l = ledger();
        l.accept(event(1, 0, "nic", true, List.of(), new Fate.Dropped("f", null)));
        assertThat(l.problems()).singleElement().asString().contains("without a reason");
    }

    @Test
    void aTransmittedFrameWithABadChecksumIsAProblem() {
        byte[] reply = eth(PEER_MAC, OUR_MAC, ETH_P_IP, ipv4(OUR_IP, PEER_IP, IPPROTO_UDP, udp(OUR_IP, PEER_IP, 1, 2, new byte[4])));
        reply[reply.length - 1] ^= 1;
        FateLedger l = ledger();
        l.accept(event(1, 0, "l4", true, List.of(), new Fate.Transmitted("veth_xmit", "eth0", reply)));
        assertThat(l.problems()).singleElement().asString().contains("bad transport checksum");
        FateLedger l2 = ledger();
        byte[] wrongMac = reply.clone();
        wrongMac[11] = 0x55;
        fixChecksums(wrongMac);
        l2.accept(event(1, 0, "l4", true, List.of(), new Fate.Transmitted("veth_xmit", "eth0", wrongMac)));
        assertThat(l2.problems()).singleElement().asString().contains("source MAC");
    }

    @Test
    void framesAreRepeatableFromTheSeed() {
        List<SeedFrames.Seed> seeds = SeedFrames.built();
        FrameSource a = new FrameSource(7, seeds), b = new FrameSource(7, seeds), c = new FrameSource(8, seeds);
        boolean differs = false;
        for (int i = 0; i < 500; i++) {
            byte[] fa = a.next(i).frame();
            assertThat(b.next(i).frame()).isEqualTo(fa);
            differs |= !java.util.Arrays.equals(c.next(i).frame(), fa);
        }
        assertThat(differs).as("another seed, other frames").isTrue();
    }

    @Test
    void validMutationsCarryValidChecksums() {
        FrameSource s = new FrameSource(11, SeedFrames.built());
        int checked = 0;
        for (int i = 0; i < 2000; i++) {
            FrameSource.Generated g = s.next(i);
            int ip = ipv4Offset(g.frame());
            if (g.kind() != FrameSource.Kind.MUTATED_VALID || ip < 0) continue;
            int ihl = (g.frame()[ip] & 0x0f) * 4;
            if (ihl < 20 || ip + ihl > g.frame().length) continue;
            assertThat(io.netstack.wire.InetChecksum.compute(g.frame(), ip, ihl)).as(hex(g.frame())).isZero();
            checked++;
        }
        assertThat(checked).isGreaterThan(100);
    }
}
