package io.netstack.net.ipv4;

import io.netstack.stats.Snmp;
import io.netstack.stack.LayerContext;

/**
 * CUBIC with HyStart, net/ipv4/tcp_cubic.c (Linux's default congestion control), in the
 * kernel's fixed-point arithmetic and with its module parameters at their defaults:
 * fast_convergence 1, beta 717 (/1024), initial_ssthresh 0, bic_scale 41, tcp_friendliness 1,
 * hystart 1, hystart_detect 3 (ack train and delay), hystart_low_window 16,
 * hystart_ack_delta_us 2000.
 *
 * <p>The window follows W(t) = C (t - K)^3 + W_max after a reduction, with K the time to get
 * back to W_max: in the kernel's units, t and K in 1/1024 s (BICTCP_HZ), C/RTT folded into
 * cube_rtt_scale (bic_scale * 10, for the reference RTT of 100 ms), K = cubic_root(cube_factor
 * * (W_max - cwnd)) with cube_factor = 2^40 / (bic_scale * 10). Below the curve tcp_cong_avoid_ai
 * grows cwnd by one per {@code cnt} acknowledged packets, cnt never under 2 (at most 1.5x per
 * RTT), and no slower than an emulated Reno (tcp_friendliness).
 *
 * <p>Time: tcp_jiffies32 is {@link LayerContext#nowNanos} in milliseconds (HZ 1000, as the
 * recording kernel's CONFIG_HZ) offset like INITIAL_JIFFIES, so it is not 0 at start (0 means
 * "no epoch"); tcp_mstamp (bictcp_clock_us) is nowNanos in microseconds.
 *
 * <p>Differs from the kernel: sk_pacing_rate for hystart_ack_delay is computed as
 * tcp_update_pacing_rate would with the socket's current cwnd and srtt (the kernel uses the
 * value stored at the end of the previous ACK), sk_gso_max_size is GSO_LEGACY_MAX_SIZE, and
 * pacing is never on (SK_PACING_NONE: no fq qdisc).
 */
final class TcpCubic {
    private TcpCubic() {}

    /** BICTCP_BETA_SCALE: beta is in 1/1024. */
    static final int BICTCP_BETA_SCALE = 1024;
    /** BICTCP_HZ: the cubic function's time unit is 2^10 per second. */
    static final int BICTCP_HZ = 10;
    static final int HYSTART_ACK_TRAIN = 0x1;
    static final int HYSTART_DELAY = 0x2;
    /** HYSTART_MIN_SAMPLES: RTT samples per round before the delay test. */
    static final int HYSTART_MIN_SAMPLES = 8;
    /** HYSTART_DELAY_MIN / HYSTART_DELAY_MAX (us): bounds of the delay increase that ends slow start. */
    static final int HYSTART_DELAY_MIN = 4000;
    static final int HYSTART_DELAY_MAX = 16000;

    // Module parameters, at their defaults.
    static final boolean FAST_CONVERGENCE = true;
    static final int BETA = 717;
    static final int INITIAL_SSTHRESH = 0;
    static final int BIC_SCALE = 41;
    static final boolean TCP_FRIENDLINESS = true;
    static final boolean HYSTART = true;
    static final int HYSTART_DETECT = HYSTART_ACK_TRAIN | HYSTART_DELAY;
    static final int HYSTART_LOW_WINDOW = 16;
    static final int HYSTART_ACK_DELTA_US = 2000;

    // cubictcp_register: scale factors precomputed for an RTT of 100 ms.
    /** beta_scale = 8*(1024+beta)/3/(1024-beta): the Reno-friendly additive increase, 3(1-b)/(1+b) inverted, x8. */
    static final int BETA_SCALE = 8 * (BICTCP_BETA_SCALE + BETA) / 3 / (BICTCP_BETA_SCALE - BETA);
    /** cube_rtt_scale = bic_scale * 10: 1024*C/RTT. */
    static final int CUBE_RTT_SCALE = BIC_SCALE * 10;
    /** cube_factor = 2^(10+3*BICTCP_HZ) / (bic_scale * 10). */
    static final long CUBE_FACTOR = (1L << (10 + 3 * BICTCP_HZ)) / (BIC_SCALE * 10);

    /** CONFIG_HZ of the kernel: jiffies per second. */
    static final int HZ = 1000;
    /** INITIAL_JIFFIES, include/linux/jiffies.h: jiffies start 300 s before wrapping. */
    static final int INITIAL_JIFFIES = -300 * HZ;
    /** USEC_PER_MSEC: the cap of hystart_ack_delay. */
    static final long USEC_PER_MSEC = 1000;
    /** GSO_LEGACY_MAX_SIZE: sk_gso_max_size of a device with GSO. */
    static final long GSO_MAX_SIZE = 65536;
    /** net.ipv4.tcp_pacing_ss_ratio / tcp_pacing_ca_ratio defaults (percent). */
    static final int PACING_SS_RATIO = 200;
    static final int PACING_CA_RATIO = 120;

    /** struct bictcp, the algorithm's state in icsk_ca_priv. Unsigned u32 fields are Java ints. */
    static final class Bictcp implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        /** increase cwnd by 1 after cnt ACKed packets */
        int cnt;
        /** last maximum snd_cwnd (W_max) */
        int lastMaxCwnd;
        /** the last snd_cwnd, and the jiffy it was updated */
        int lastCwnd;
        int lastTime;
        /** origin point of the cubic function, and the time to reach it from epoch_start (1/1024 s) */
        int bicOriginPoint;
        int bicK;
        /** min delay (usec) */
        int delayMin;
        /** beginning of an epoch (jiffies), 0 for none */
        int epochStart;
        /** number of acked packets, and the estimated Reno cwnd */
        int ackCnt;
        int tcpCwnd;
        /** HyStart: samples to decide curr_rtt, whether the exit point was found */
        int sampleCnt;
        boolean found;
        /** HyStart: beginning of the round (us), its end_seq, last close ACK (us), the round's min RTT (us) */
        int roundStart;
        int endSeq;
        int lastAck;
        int currRtt;
    }

    /** tcp_jiffies32 */
    static int tcpJiffies32(LayerContext ctx) {
        return (int) (ctx.nowNanos() / (1_000_000_000L / HZ)) + INITIAL_JIFFIES;
    }

    /** bictcp_clock_us: tcp_mstamp, the time of the current segment in microseconds (u32). */
    static int bictcpClockUs(LayerContext ctx) {
        return (int) (ctx.nowNanos() / 1000);
    }

    /** usecs_to_jiffies: rounded up. */
    static long usecsToJiffies(int us) {
        long u = Integer.toUnsignedLong(us);
        return (u * HZ + 999_999) / 1_000_000;
    }

    /** The state of the socket, made when missing (a socket that switched algorithm). */
    static Bictcp ca(TcpSock tp) {
        if (!(tp.caPriv instanceof Bictcp)) tp.caPriv = new Bictcp();
        return (Bictcp) tp.caPriv;
    }

    /** bictcp_reset: everything before "unused" zeroed, found cleared. */
    static void bictcpReset(Bictcp ca) {
        ca.cnt = 0;
        ca.lastMaxCwnd = 0;
        ca.lastCwnd = 0;
        ca.lastTime = 0;
        ca.bicOriginPoint = 0;
        ca.bicK = 0;
        ca.delayMin = 0;
        ca.epochStart = 0;
        ca.ackCnt = 0;
        ca.tcpCwnd = 0;
        ca.found = false;
    }

    /** bictcp_hystart_reset: a new round starts now and ends when snd_nxt is acknowledged. */
    static void bictcpHystartReset(LayerContext ctx, TcpSock tp) {
        Bictcp ca = ca(tp);
        ca.roundStart = ca.lastAck = bictcpClockUs(ctx);
        ca.endSeq = tp.sndNxt;
        ca.currRtt = ~0;
        ca.sampleCnt = 0;
    }

    /** cubictcp_init */
    static void cubictcpInit(LayerContext ctx, TcpSock tp) {
        bictcpReset(ca(tp));
        if (HYSTART) bictcpHystartReset(ctx, tp);
        if (!HYSTART && INITIAL_SSTHRESH != 0) tp.ssthresh = INITIAL_SSTHRESH;
    }

    /**
     * cubictcp_cwnd_event: CA_EVENT_TX_START after being application-limited (idle): the epoch
     * moves by the idle time so cwnd keeps to the cubic curve, never past now.
     */
    static void cubictcpCwndEvent(LayerContext ctx, TcpSock tp, int event) {
        if (event != TcpCong.CA_EVENT_TX_START) return;
        Bictcp ca = ca(tp);
        int now = tcpJiffies32(ctx);
        int lsndtime = (int) (tp.lsndtimeNanos / (1_000_000_000L / HZ)) + INITIAL_JIFFIES;
        int delta = now - lsndtime;
        if (ca.epochStart != 0 && delta > 0) {
            ca.epochStart += delta;
            if (TcpSock.after(ca.epochStart, now)) ca.epochStart = now;
        }
    }

    /** The table of cubic_root: cbrt(x << 18) - 1 for x in [0..63] (Willy Tarreau's, refined by hand). */
    private static final int[] CBRT_V = {
            0, 54, 54, 54, 118, 118, 118, 118,
            123, 129, 134, 138, 143, 147, 151, 156,
            157, 161, 164, 168, 170, 173, 176, 179,
            181, 185, 187, 190, 192, 194, 197, 199,
            200, 202, 204, 206, 209, 211, 213, 215,
            217, 219, 221, 222, 224, 225, 227, 229,
            231, 232, 234, 236, 237, 239, 240, 242,
            244, 245, 246, 248, 250, 251, 252, 254,
    };

    /** fls64: the 1-based index of the highest set bit, 0 for 0. */
    static int fls64(long a) {
        return 64 - Long.numberOfLeadingZeros(a);
    }

    /**
     * cubic_root: the cube root of a (u64) by the table lookup on its top bits and one
     * Newton-Raphson step, x = (2x + a/x^2) / 3, with the kernel's x*(x-1) and *341>>10.
     */
    static int cubicRoot(long a) {
        int b = fls64(a);
        if (b < 7) {
            // a in [0..63]
            return (CBRT_V[(int) a] + 35) >>> 6;
        }
        b = ((b * 84) >> 8) - 1;
        int shift = (int) (a >>> (b * 3));
        int x = ((CBRT_V[shift] + 10) << b) >>> 6;
        long xl = Integer.toUnsignedLong(x);
        x = (int) (2 * xl + Long.divideUnsigned(a, xl * (xl - 1)));
        x = (int) ((Integer.toUnsignedLong(x) * 341) >>> 10);
        return x;
    }

    /**
     * bictcp_update: the cnt (ACKed packets per cwnd increment) that makes cwnd follow the
     * cubic curve, at most once per jiffy (and every HZ/32 when cwnd did not change); the
     * Reno-friendly bound after it.
     */
    static void bictcpUpdate(LayerContext ctx, Bictcp ca, int cwnd, int acked) {
        int jiffies = tcpJiffies32(ctx);
        ca.ackCnt += acked;
        if (ca.lastCwnd == cwnd && (jiffies - ca.lastTime) <= HZ / 32) return;
        // 1. The cubic function, at most once per jiffy; a reduction (epoch_start 0) forces it.
        if (!(ca.epochStart != 0 && jiffies == ca.lastTime)) {
            ca.lastCwnd = cwnd;
            ca.lastTime = jiffies;
            if (ca.epochStart == 0) {
                ca.epochStart = jiffies;
                ca.ackCnt = acked;
                ca.tcpCwnd = cwnd;
                if (Integer.compareUnsigned(ca.lastMaxCwnd, cwnd) <= 0) {
                    ca.bicK = 0;
                    ca.bicOriginPoint = cwnd;
                } else {
                    // K = cubic_root((wmax - cwnd) * rtt / c), in 1/1024 s.
                    ca.bicK = cubicRoot(CUBE_FACTOR * Integer.toUnsignedLong(ca.lastMaxCwnd - cwnd));
                    ca.bicOriginPoint = ca.lastMaxCwnd;
                }
            }
            // t = time since the epoch plus the minimum delay, in 1/1024 s.
            long t = jiffies - ca.epochStart;
            t += usecsToJiffies(ca.delayMin);
            t <<= BICTCP_HZ;
            t = Long.divideUnsigned(t, HZ);
            long k = Integer.toUnsignedLong(ca.bicK);
            long offs = Long.compareUnsigned(t, k) < 0 ? k - t : t - k;
            // c/rtt * (t-K)^3
            int delta = (int) ((CUBE_RTT_SCALE * offs * offs * offs) >>> (10 + 3 * BICTCP_HZ));
            int bicTarget = Long.compareUnsigned(t, k) < 0 ? ca.bicOriginPoint - delta : ca.bicOriginPoint + delta;
            if (Integer.compareUnsigned(bicTarget, cwnd) > 0) {
                ca.cnt = Integer.divideUnsigned(cwnd, bicTarget - cwnd);
            } else {
                ca.cnt = 100 * cwnd; // very small increment
            }
            // The first growth, with no W_max known, at least 5% per RTT.
            if (ca.lastMaxCwnd == 0 && Integer.compareUnsigned(ca.cnt, 20) > 0) ca.cnt = 20;
        }
        // 2. tcp_friendliness: no slower than Reno would be.
        if (TCP_FRIENDLINESS) {
            int delta = (cwnd * BETA_SCALE) >>> 3;
            while (Integer.compareUnsigned(ca.ackCnt, delta) > 0) {
                ca.ackCnt -= delta;
                ca.tcpCwnd++;
            }
            if (Integer.compareUnsigned(ca.tcpCwnd, cwnd) > 0) {
                delta = ca.tcpCwnd - cwnd;
                int maxCnt = Integer.divideUnsigned(cwnd, delta);
                if (Integer.compareUnsigned(ca.cnt, maxCnt) > 0) ca.cnt = maxCnt;
            }
        }
        // 3. At most one packet per two ACKed: 1.5x per RTT.
        if (Integer.compareUnsigned(ca.cnt, 2) < 0) ca.cnt = 2;
    }

    /** cubictcp_cong_avoid: slow start, then tcp_cong_avoid_ai with the cubic cnt. */
    static void cubictcpCongAvoid(LayerContext ctx, TcpSock tp, int ack, int acked) {
        Bictcp ca = ca(tp);
        if (TcpCong.tcpInSlowStart(tp)) {
            acked = TcpCong.tcpSlowStart(tp, acked);
            if (acked == 0) return;
        }
        bictcpUpdate(ctx, ca, tp.cwnd, acked);
        TcpCong.tcpCongAvoidAi(tp, ca.cnt, acked);
    }

    /**
     * cubictcp_recalc_ssthresh: the epoch ends; W_max is cwnd, or with fast convergence
     * (cwnd below the last W_max: another flow is taking bandwidth) cwnd * (1 + beta) / 2;
     * ssthresh is cwnd * beta, at least 2.
     */
    static int cubictcpRecalcSsthresh(TcpSock tp) {
        Bictcp ca = ca(tp);
        ca.epochStart = 0;
        if (Integer.compareUnsigned(tp.cwnd, ca.lastMaxCwnd) < 0 && FAST_CONVERGENCE) {
            ca.lastMaxCwnd = (tp.cwnd * (BICTCP_BETA_SCALE + BETA)) / (2 * BICTCP_BETA_SCALE);
        } else {
            ca.lastMaxCwnd = tp.cwnd;
        }
        return Math.max((tp.cwnd * BETA) / BICTCP_BETA_SCALE, 2);
    }

    /** cubictcp_state: entering CA_Loss (an RTO) forgets everything and starts a HyStart round. */
    static void cubictcpState(LayerContext ctx, TcpSock tp, int newState) {
        if (newState == TcpCong.TCP_CA_LOSS) {
            bictcpReset(ca(tp));
            bictcpHystartReset(ctx, tp);
        }
    }

    /**
     * hystart_ack_delay: a cushion for TSO/GRO, sk_gso_max_size * 4 / sk_pacing_rate capped to
     * 1 ms; sk_pacing_rate as tcp_update_pacing_rate sets it (200% of mss*cwnd/srtt in slow
     * start below ssthresh/2, else 120%); 0 while there is no rate (~0UL before any).
     */
    static long hystartAckDelay(TcpSock tp) {
        if (tp.srttUs8 == 0) return 0;
        long rate = (long) tp.mssCache * ((1_000_000L / 100) << 3);
        rate *= tp.cwnd < tp.ssthresh / 2 ? PACING_SS_RATIO : PACING_CA_RATIO;
        rate *= Math.max(tp.cwnd, tp.packetsOut());
        rate /= tp.srttUs8;
        if (rate == 0) return USEC_PER_MSEC;
        return Math.min(USEC_PER_MSEC, GSO_MAX_SIZE * 4 * 1_000_000L / rate);
    }

    /**
     * hystart_update: a round ends when its end_seq is acknowledged. From hystart_low_window
     * on, slow start ends (ssthresh = cwnd) when (1) ACKs arriving close together
     * (hystart_ack_delta_us) span more than half the minimum delay since the round began (the
     * ack train: the pipe is full), or (2) the least RTT of the round's first 8 samples exceeds
     * delay_min by delay_min/8 clamped to [4, 16] ms (queues are building).
     */
    static void hystartUpdate(LayerContext ctx, TcpSock tp, int delay) {
        Bictcp ca = ca(tp);
        if (TcpSock.after(tp.sndUna, ca.endSeq)) bictcpHystartReset(ctx, tp);
        if (tp.cwnd < HYSTART_LOW_WINDOW) return;
        if ((HYSTART_DETECT & HYSTART_ACK_TRAIN) != 0) {
            int now = bictcpClockUs(ctx);
            if (now - ca.lastAck <= HYSTART_ACK_DELTA_US) {
                ca.lastAck = now;
                long threshold = Integer.toUnsignedLong(ca.delayMin) + hystartAckDelay(tp);
                // SK_PACING_NONE: pacing would have delayed packets by up to RTT/2.
                threshold >>= 1;
                if (now - ca.roundStart > threshold) {
                    ca.found = true;
                    ctx.count(tp.netns, Snmp.TcpExtTCPHystartTrainDetect, 1);
                    ctx.count(tp.netns, Snmp.TcpExtTCPHystartTrainCwnd, tp.cwnd);
                    tp.ssthresh = tp.cwnd;
                }
            }
        }
        if ((HYSTART_DETECT & HYSTART_DELAY) != 0) {
            if (Integer.compareUnsigned(ca.currRtt, delay) > 0) ca.currRtt = delay;
            if (ca.sampleCnt < HYSTART_MIN_SAMPLES) {
                ca.sampleCnt++;
            } else {
                long thresh = Math.max(HYSTART_DELAY_MIN, Math.min(HYSTART_DELAY_MAX, Integer.toUnsignedLong(ca.delayMin) >>> 3));
                if (Integer.toUnsignedLong(ca.currRtt) > Integer.toUnsignedLong(ca.delayMin) + thresh) {
                    ca.found = true;
                    ctx.count(tp.netns, Snmp.TcpExtTCPHystartDelayDetect, 1);
                    ctx.count(tp.netns, Snmp.TcpExtTCPHystartDelayCwnd, tp.cwnd);
                    tp.ssthresh = tp.cwnd;
                }
            }
        }
    }

    /**
     * cubictcp_acked: delay_min from the RTT samples (none for a while after a reduction: the
     * first second of an epoch), then HyStart while in slow start.
     */
    static void cubictcpAcked(LayerContext ctx, TcpSock tp, int pktsAcked, long rttUs) {
        Bictcp ca = ca(tp);
        if (rttUs < 0) return;
        if (ca.epochStart != 0 && tcpJiffies32(ctx) - ca.epochStart < HZ) return;
        int delay = (int) Math.min(rttUs, 0xffffffffL);
        if (delay == 0) delay = 1;
        if (ca.delayMin == 0 || Integer.compareUnsigned(ca.delayMin, delay) > 0) ca.delayMin = delay;
        if (!ca.found && TcpCong.tcpInSlowStart(tp) && HYSTART) hystartUpdate(ctx, tp, delay);
    }

    /** struct tcp_congestion_ops cubictcp; undo_cwnd is tcp_reno_undo_cwnd. */
    enum Ops implements TcpCong.TcpCongestionOps {
        INSTANCE;

        @Override public String caName() { return "cubic"; }
        @Override public void init(LayerContext ctx, TcpSock tp) { cubictcpInit(ctx, tp); }
        @Override public int ssthresh(TcpSock tp) { return cubictcpRecalcSsthresh(tp); }
        @Override public void congAvoid(LayerContext ctx, TcpSock tp, int ack, int acked) { cubictcpCongAvoid(ctx, tp, ack, acked); }
        @Override public void setState(LayerContext ctx, TcpSock tp, int newState) { cubictcpState(ctx, tp, newState); }
        @Override public int undoCwnd(TcpSock tp) { return TcpCong.tcpRenoUndoCwnd(tp); }
        @Override public void cwndEvent(LayerContext ctx, TcpSock tp, int event) { cubictcpCwndEvent(ctx, tp, event); }
        @Override public void pktsAcked(LayerContext ctx, TcpSock tp, int pktsAcked, long rttUs) { cubictcpAcked(ctx, tp, pktsAcked, rttUs); }
    }
}
