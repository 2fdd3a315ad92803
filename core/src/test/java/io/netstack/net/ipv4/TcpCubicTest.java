package io.netstack.net.ipv4;

import io.netstack.layer.SocketLayer;
import io.netstack.layer.SocketLayer.Result;
import io.netstack.stack.SkbEvent;
import io.netstack.stack.StepContext;
import io.netstack.wire.Inet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * CUBIC with HyStart (net/ipv4/tcp_cubic.c) on a socket driven by hand: ACKs at chosen times
 * on a driven clock, the expected windows from the kernel's formulas and module defaults
 * (beta 717/1024, bic_scale 41, hystart_low_window 16, hystart_ack_delta_us 2000), Reno still
 * selectable and unchanged, and the choice read from net.ipv4.tcp_congestion_control.
 */
class TcpCubicTest {

    // The kernel's constants, restated (tcp_cubic.c).
    static final int BETA = 717;
    static final int BETA_SCALE = 1024;
    static final int BIC_SCALE = 41;
    /** C of W(t) = C (t - K)^3 + W_max in segments per s^3: cube_rtt_scale / 1024 (t in 1/1024 s, shifted by 40). */
    static final double C = BIC_SCALE * 10 / 1024.0;
    static final int HYSTART_LOW_WINDOW = 16;
    static final long HYSTART_ACK_DELTA_US = 2000;

    static final int W_MAX = 100;
    static final long RTT_MS = 100;
    static final int MSS = 1448;

    long now = 5_000_000_000L;
    final Map<String, Long> counters = new HashMap<>();
    private long ids = 1;

    /** A context at the current time; its counter moves are summed into {@link #counters}. */
    StepContext ctx() {
        return new StepContext("l4", "test", now, () -> ids++);
    }

    void collect(StepContext c) {
        for (SkbEvent e : c.events()) {
            for (SkbEvent.StatDelta d : e.stats()) counters.merge(d.name(), d.delta(), Long::sum);
        }
    }

    long counter(String name) { return counters.getOrDefault(name, 0L); }

    /** An established socket with {@code cc} initialised (tcp_init_transfer) now. */
    TcpSock sock(String cc) {
        TcpSock tp = new TcpSock("h", "tcp 10.0.0.1:1 10.0.0.2:2", null, 1, 1, 2, 2);
        TcpCong.tcpAssignCongestionControl(tp, cc);
        tp.inetSkStateStore(TcpState.TCP_ESTABLISHED);
        tp.mssCache = MSS;
        tp.sndUna = tp.sndNxt = 1000;
        tp.cwnd = 10;
        TcpCong.tcpInitTransfer(ctx(), tp);
        return tp;
    }

    /** One ACK of {@code acked} packets now, as tcp_ack runs the hooks: pkts_acked (with the RTT), then cong_avoid. */
    void ack(TcpSock tp, int acked, long rttUs) {
        StepContext c = ctx();
        tp.sndUna += acked * MSS;
        TcpCong.tcpPktsAcked(c, tp, acked, rttUs);
        TcpCong.tcpCongAvoid(c, tp, tp.sndUna, acked);
        collect(c);
    }

    /** One round trip of a cwnd-limited flow: cwnd ACKs of one packet each, evenly over the RTT, and the window refilled. */
    void roundTrip(TcpSock tp, long rttMs) {
        int n = tp.cwnd;
        tp.sndNxt = tp.sndUna + n * MSS;
        long step = rttMs * 1_000_000L / n;
        for (int i = 0; i < n; i++) {
            now += step;
            ack(tp, 1, rttMs * 1000);
        }
    }

    // --- the kernel's numbers ---------------------------------------------------------

    @Test
    void cubicRootIsTheKernelsLookupAndNewtonStep() {
        // Small values come from the table alone: cbrt(0)=0, cbrt(1)=1, cbrt(8)=2, cbrt(27)=3.
        assertThat(TcpCubic.cubicRoot(0)).isEqualTo(0);
        assertThat(TcpCubic.cubicRoot(1)).isEqualTo(1);
        assertThat(TcpCubic.cubicRoot(8)).isEqualTo(2);
        assertThat(TcpCubic.cubicRoot(27)).isEqualTo(3);
        // The kernel documents an average error of 0.195%; over the range K is computed for
        // (cube_factor * 1 .. 1e6 segments), no value is off by more than 1%.
        for (long d = 1; d <= 1_000_000; d = d * 3 + 1) {
            long a = TcpCubic.CUBE_FACTOR * d;
            double exact = Math.cbrt((double) a);
            assertThat((double) TcpCubic.cubicRoot(a)).as("cbrt(%d)", a).isCloseTo(exact, within(exact * 0.01 + 1));
        }
    }

    @Test
    void lossSetsSsthreshToBetaTimesCwndAndRemembersWmax() {
        TcpSock tp = sock("cubic");
        tp.cwnd = W_MAX;
        tp.ssthresh = 50;
        TcpCong.tcpEnterRecovery(ctx(), tp);
        assertThat(tp.ssthresh).isEqualTo(W_MAX * BETA / BETA_SCALE).isEqualTo(70);
        assertThat(tp.cwnd).isEqualTo(70);
        assertThat(TcpCubic.ca(tp).lastMaxCwnd).isEqualTo(W_MAX);
        assertThat(TcpCubic.ca(tp).epochStart).as("the epoch ends").isZero();
    }

    @Test
    void fastConvergenceLowersWmaxWhenTheWindowDidNotGetBackToIt() {
        TcpSock tp = sock("cubic");
        tp.cwnd = W_MAX;
        tp.ssthresh = 50;
        TcpCong.tcpEnterRecovery(ctx(), tp);
        // The next loss comes at 80 < W_max: another flow took bandwidth; W_max = 80 * (1 + beta) / 2.
        int cwnd2 = 80;
        tp.caState = TcpCong.TCP_CA_OPEN;
        tp.cwnd = cwnd2;
        TcpCong.tcpEnterRecovery(ctx(), tp);
        assertThat(TcpCubic.ca(tp).lastMaxCwnd).isEqualTo(cwnd2 * (BETA_SCALE + BETA) / (2 * BETA_SCALE)).isEqualTo(68);
        assertThat(tp.ssthresh).isEqualTo(cwnd2 * BETA / BETA_SCALE);
        // A loss above the last W_max sets it to cwnd.
        tp.caState = TcpCong.TCP_CA_OPEN;
        tp.cwnd = 90;
        TcpCong.tcpEnterRecovery(ctx(), tp);
        assertThat(TcpCubic.ca(tp).lastMaxCwnd).isEqualTo(90);
    }

    @Test
    void anRtoForgetsWmaxAndTheEpoch() {
        TcpSock tp = sock("cubic");
        for (int i = 0; i < 3; i++) roundTrip(tp, RTT_MS);
        tp.cwnd = W_MAX;
        tp.ssthresh = 60;
        tp.highSeq = tp.sndUna;
        TcpCong.tcpEnterLoss(ctx(), tp, true);
        // bictcp_recalc_ssthresh ran (ssthresh = 70), then CA_Loss reset the rest.
        assertThat(tp.ssthresh).isEqualTo(W_MAX * BETA / BETA_SCALE);
        assertThat(tp.cwnd).isEqualTo(1);
        assertThat(TcpCubic.ca(tp).lastMaxCwnd).isZero();
        assertThat(TcpCubic.ca(tp).delayMin).isZero();
        assertThat(TcpCubic.ca(tp).endSeq).as("a HyStart round from snd_nxt").isEqualTo(tp.sndNxt);
    }

    @Test
    void slowStartDoublesPerRoundTripThenCubicTakesOver() {
        TcpSock tp = sock("cubic");
        for (int i = 0; i < 3; i++) roundTrip(tp, RTT_MS);
        // 10 -> 20 -> 40 -> 80: one segment per ACK (tcp_slow_start); the RTT never rose, and
        // ACKs 100/cwnd ms apart are no train: HyStart found nothing.
        assertThat(tp.cwnd).isEqualTo(80);
        assertThat(tp.ssthresh).isEqualTo(TcpCong.TCP_INFINITE_SSTHRESH);
        assertThat(TcpCubic.ca(tp).delayMin).isEqualTo(RTT_MS * 1000);
        // Slow start ends at ssthresh; the rest of the ACK goes to congestion avoidance.
        tp.ssthresh = 85;
        tp.sndNxt = tp.sndUna + tp.cwnd * MSS;
        now += 1_000_000;
        ack(tp, 10, RTT_MS * 1000);
        assertThat(tp.cwnd).isEqualTo(85);
        assertThat(tp.cwndCnt).isEqualTo(5);
        // No W_max yet: the curve starts at cwnd (K = 0), growth at least 5% per RTT (cnt <= 20).
        assertThat(TcpCubic.ca(tp).bicOriginPoint).isEqualTo(85);
        assertThat(TcpCubic.ca(tp).cnt).isLessThanOrEqualTo(20);
    }

    @Test
    void congestionAvoidanceFollowsTheCubicCurveBackToWmaxAtK() {
        TcpSock tp = sock("cubic");
        for (int i = 0; i < 3; i++) roundTrip(tp, RTT_MS); // delay_min = RTT
        tp.cwnd = W_MAX;
        TcpCong.tcpEnterRecovery(ctx(), tp);
        tp.caState = TcpCong.TCP_CA_OPEN;
        int cwnd0 = W_MAX * BETA / BETA_SCALE;
        assertThat(tp.cwnd).isEqualTo(cwnd0);
        // K from the kernel's fixed point: cubic_root(cube_factor * (W_max - cwnd)), in 1/1024 s.
        double kSeconds = Math.cbrt((double) TcpCubic.CUBE_FACTOR * (W_MAX - cwnd0)) / 1024.0;
        assertThat(kSeconds).isCloseTo(Math.cbrt((W_MAX - cwnd0) / C), within(0.01));
        long epoch = now;
        double[] checkpoints = {0.5, 1.0, 2.0, 3.0, kSeconds, kSeconds + 1.0, kSeconds + 2.0};
        int next = 0;
        double lastT = 0;
        while (next < checkpoints.length) {
            roundTrip(tp, RTT_MS);
            double t = (now - epoch) / 1e9;
            if (t >= checkpoints[next]) {
                // bictcp_update aims at W(t + delay_min) and gets there within a round trip,
                // so cwnd at t is W(t), the curve through W_max at K, within two segments.
                double w = W_MAX + C * Math.pow(t - kSeconds, 3);
                assertThat((double) tp.cwnd).as("cwnd at %.2f s (K %.2f s)", t, kSeconds).isCloseTo(w, within(2.0));
                next++;
            }
            lastT = t;
        }
        assertThat(lastT).isGreaterThan(kSeconds + 2.0);
        // Concave below W_max, convex above it: flat near K.
        assertThat(TcpCubic.ca(tp).bicK).isEqualTo(TcpCubic.cubicRoot(TcpCubic.CUBE_FACTOR * (W_MAX - cwnd0)));
    }

    @Test
    void idleTimeShiftsTheEpoch() {
        TcpSock tp = sock("cubic");
        TcpCubic.Bictcp ca = TcpCubic.ca(tp);
        StepContext c = ctx();
        int jiffiesNow = TcpCubic.tcpJiffies32(c);
        ca.epochStart = jiffiesNow - 3000;
        tp.lsndtimeNanos = now - 2_000_000_000L; // 2 s application-limited
        TcpCong.tcpEventDataSent(c, tp);
        assertThat(ca.epochStart).isEqualTo(jiffiesNow - 1000);
        assertThat(tp.lsndtimeNanos).isEqualTo(now);
        // Never past now.
        ca.epochStart = jiffiesNow - 500;
        tp.lsndtimeNanos = now - 2_000_000_000L;
        TcpCong.tcpEventDataSent(c, tp);
        assertThat(ca.epochStart).isEqualTo(jiffiesNow);
        // Not with data in flight (it is not a TX start).
        ca.epochStart = jiffiesNow - 3000;
        tp.lsndtimeNanos = now - 2_000_000_000L;
        tp.rtxQueue.add(new TcpSock.TxSeg(1, 2, false, false, now));
        TcpCong.tcpEventDataSent(c, tp);
        assertThat(ca.epochStart).isEqualTo(jiffiesNow - 3000);
    }

    // --- HyStart -----------------------------------------------------------------------

    /** A socket in slow start at {@code cwnd} whose delay_min is {@code baseUs}, at the start of a new round. */
    TcpSock inSlowStart(int cwnd, long baseUs) {
        TcpSock tp = sock("cubic");
        tp.cwnd = cwnd;
        tp.sndNxt = tp.sndUna + 4 * cwnd * MSS;
        now += 3_000_000;
        TcpCong.tcpPktsAcked(ctx(), tp, 1, baseUs); // delay_min
        // A new round: snd_una past end_seq resets it at the next sample.
        tp.sndUna = TcpCubic.ca(tp).endSeq + 1;
        return tp;
    }

    @ParameterizedTest(name = "delay_min {0} us, RTT +{1} us, cwnd {2}: exit {3}")
    @CsvSource({
            // threshold clamp(delay_min/8, 4 ms, 16 ms): 12.5 ms for 100 ms
            "100000, 12500, 20, false",
            "100000, 12501, 20, true",
            // 4 ms at least
            "10000, 4000, 20, false",
            "10000, 4001, 20, true",
            // 16 ms at most
            "200000, 16000, 20, false",
            "200000, 16001, 20, true",
            // below hystart_low_window nothing is tested
            "100000, 50000, 15, false",
    })
    void hystartDelayDetectionEndsSlowStartWhenTheRttRises(long baseUs, long riseUs, int cwnd, boolean exits) {
        TcpSock tp = inSlowStart(cwnd, baseUs);
        long threshold = Math.max(4000, Math.min(16000, baseUs >> 3));
        assertThat(riseUs > threshold && cwnd >= HYSTART_LOW_WINDOW).isEqualTo(exits);
        // ACKs 3 ms apart: more than hystart_ack_delta_us, so never an ack train.
        for (int i = 1; i <= 8; i++) {
            now += 3_000_000;
            sample(tp, baseUs + riseUs);
            assertThat(tp.ssthresh).as("sample %d of 8 only gathers", i).isEqualTo(TcpCong.TCP_INFINITE_SSTHRESH);
        }
        now += 3_000_000;
        sample(tp, baseUs + riseUs);
        if (exits) {
            assertThat(tp.ssthresh).as("ssthresh = cwnd: slow start is over").isEqualTo(cwnd);
            assertThat(counter("TcpExtTCPHystartDelayDetect")).isEqualTo(1);
            assertThat(counter("TcpExtTCPHystartDelayCwnd")).isEqualTo(cwnd);
        } else {
            assertThat(tp.ssthresh).isEqualTo(TcpCong.TCP_INFINITE_SSTHRESH);
            assertThat(counter("TcpExtTCPHystartDelayDetect")).isZero();
        }
        assertThat(counter("TcpExtTCPHystartTrainDetect")).isZero();
    }

    @ParameterizedTest(name = "ACKs {0} us apart: train {1}")
    @CsvSource({"1000, true", "2000, true", "2001, false"})
    void hystartAckTrainEndsSlowStartWhenCloseAcksSpanHalfTheMinimumDelay(long gapUs, boolean exits) {
        long delayMinUs = 40_000;
        int cwnd = 20;
        TcpSock tp = inSlowStart(cwnd, delayMinUs);
        tp.srttUs8 = delayMinUs << 3;
        // The round starts at the next sample; sk_pacing_rate (200% of mss*cwnd/srtt) makes the
        // TSO cushion its 1 ms cap; without pacing the threshold is halved.
        long rate = (long) MSS * cwnd * 2 * 1_000_000 / delayMinUs;
        long cushion = Math.min(1000, 65536L * 4 * 1_000_000 / rate);
        long threshold = (delayMinUs + cushion) >> 1;
        now += 3_000_000;
        long roundStart = now;
        sample(tp, delayMinUs);
        while (now - roundStart <= 60_000_000L && tp.ssthresh == TcpCong.TCP_INFINITE_SSTHRESH) {
            now += gapUs * 1000;
            sample(tp, delayMinUs);
        }
        if (exits) {
            long spanUs = (now - roundStart) / 1000;
            assertThat(spanUs).as("the first ACK past the threshold").isGreaterThan(threshold).isLessThanOrEqualTo(threshold + gapUs);
            assertThat(tp.ssthresh).isEqualTo(cwnd);
            assertThat(counter("TcpExtTCPHystartTrainDetect")).isEqualTo(1);
            assertThat(counter("TcpExtTCPHystartTrainCwnd")).isEqualTo(cwnd);
        } else {
            assertThat(tp.ssthresh).isEqualTo(TcpCong.TCP_INFINITE_SSTHRESH);
            assertThat(counter("TcpExtTCPHystartTrainDetect")).isZero();
        }
    }

    /** One RTT sample now (the pkts_acked hook alone, cwnd left as it is), its counters collected. */
    void sample(TcpSock tp, long rttUs) {
        StepContext c = ctx();
        TcpCong.tcpPktsAcked(c, tp, 1, rttUs);
        collect(c);
    }

    // --- Reno --------------------------------------------------------------------------

    @Test
    void renoIsSelectableAndUnchanged() {
        TcpSock tp = sock("reno");
        assertThat(tp.congestionControl()).isEqualTo("reno");
        for (int i = 0; i < 3; i++) roundTrip(tp, RTT_MS);
        assertThat(tp.cwnd).isEqualTo(80);
        // Half the window on loss.
        tp.cwnd = W_MAX;
        TcpCong.tcpEnterRecovery(ctx(), tp);
        assertThat(tp.ssthresh).isEqualTo(W_MAX / 2);
        assertThat(tp.cwnd).isEqualTo(W_MAX / 2);
        tp.caState = TcpCong.TCP_CA_OPEN;
        // One segment per window of ACKs, whatever the time.
        int before = tp.cwnd;
        for (int i = 0; i < 5; i++) roundTrip(tp, RTT_MS);
        assertThat(tp.cwnd).isEqualTo(before + 5);
        assertThat(tp.caPriv).as("no CUBIC state").isNull();
    }

    @Test
    void aSocketFromBeforeTheChoiceRunsReno() {
        TcpSock tp = new TcpSock("h", "k", null, 1, 1, 2, 2);
        assertThat(tp.caOps).isNull();
        assertThat(tp.congestionControl()).isEqualTo("reno");
        assertThat(TcpCong.tcpCaFind("bbr")).isNull();
        TcpCong.tcpAssignCongestionControl(tp, "bbr");
        assertThat(tp.congestionControl()).as("an algorithm we lack: the default").isEqualTo("cubic");
    }

    @Test
    void anAlgorithmTheEmulationLacksIsRefusedLikeSysctlWritingIt() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TcpHarness.host("a", "10.0.0.1", "",
                        "  net.ipv4.tcp_congestion_control: bbr\n"))
                .isInstanceOf(io.netstack.config.ConfigException.class)
                .hasMessageContaining("tcp_available_congestion_control");
    }

    @ParameterizedTest(name = "sysctl {0}: {1}")
    @CsvSource({"'', cubic", "'  net.ipv4.tcp_congestion_control: reno\n', reno", "'  net.ipv4.tcp_congestion_control: cubic\n', cubic"})
    void theSysctlChoosesPerHostAtSocketCreation(String sysctl, String expected) {
        int a = Inet.parse("10.0.0.1");
        int b = Inet.parse("10.0.0.2");
        TcpHarness h = new TcpHarness();
        h.add(TcpHarness.host("a", "10.0.0.1", "", sysctl));
        h.add(TcpHarness.host("b", "10.0.0.2", "", ""));
        h.wire("a", "b");
        SocketLayer sl = h.sock;
        int lfd = (int) h.call(c -> sl.socketCreate("b", "tcp")).value();
        h.call(c -> sl.bind(c, "b", lfd, 0, 5001));
        h.call(c -> sl.listen(c, "b", lfd, 16));
        int cfd = (int) h.call(c -> sl.socketCreate("a", "tcp")).value();
        h.call(c -> sl.connect(c, "a", cfd, b, 5001));
        for (int i = 0; i < 20 && sl.fd("a", cfd).state() != SocketLayer.SockState.CONNECTED; i++) h.advanceMs(10);
        Result acc = h.call(c -> sl.accept(c, "b", lfd));
        assertThat(acc.isOk()).isTrue();
        TcpSock client = h.l4.host("a").tcp().connections().iterator().next();
        TcpSock server = h.l4.host("b").tcp().connections().iterator().next();
        assertThat(client.congestionControl()).isEqualTo(expected);
        assertThat(server.congestionControl()).as("b keeps the default").isEqualTo("cubic");
        assertThat(client.caInitialized).isTrue();
        assertThat(server.caInitialized).isTrue();
        // Data moves with either; the sender's window grew from TCP_INIT_CWND.
        byte[] data = new byte[200_000];
        new java.util.Random(1).nextBytes(data);
        int got = 0;
        int sent = 0;
        for (int i = 0; i < 400 && got < data.length; i++) {
            if (sent < data.length) {
                byte[] rest = java.util.Arrays.copyOfRange(data, sent, data.length);
                Result s = h.call(c -> sl.send(c, "a", cfd, rest));
                if (s.isOk()) sent += (int) s.value();
            }
            h.advanceMs(5);
            while (true) {
                Result r = h.call(c -> sl.recv(c, "b", (int) acc.value(), 1 << 20));
                if (!r.isOk() || r.value() == 0) break;
                got += r.data().length;
            }
        }
        assertThat(got).isEqualTo(data.length);
        assertThat(client.cwnd).isGreaterThan(TcpTimer.TCP_INIT_CWND);
        assertThat(a).isNotEqualTo(b);
    }
}
