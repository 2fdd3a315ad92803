package io.netstack.net.ipv4;

import io.netstack.config.HostConfig;
import io.netstack.skb.ControlBlock;
import io.netstack.wire.Bytes;
import io.netstack.wire.Inet;

/**
 * net/ipv4/ip_options.c: struct ip_options as IPCB(skb)-&gt;opt, packed into one int
 * ({@link ControlBlock#ipOptFlags}), and the functions that compile received options,
 * echo them into a reply and build them into an outgoing header.
 *
 * <pre>
 *  option:  | type | length | pointer | data ...            (RR, TS, LSRR, SSRR)
 *  TS:      | 68   | length | pointer | oflw:4 | flg:4 | [address] timestamp ...
 * </pre>
 *
 * Offsets are from the start of the IPv4 header, as the kernel's opt-&gt;rr / ts / srr.
 */
public final class IpOptions {
    private IpOptions() {}

    public static final int IPOPT_END = 0;
    public static final int IPOPT_NOOP = 1;
    public static final int IPOPT_SEC = 130;
    public static final int IPOPT_LSRR = 131;
    public static final int IPOPT_TIMESTAMP = 68;
    public static final int IPOPT_CIPSO = 134;
    public static final int IPOPT_RR = 7;
    public static final int IPOPT_SSRR = 137;
    public static final int IPOPT_RA = 148;
    public static final int IPOPT_TS_TSONLY = 0;
    public static final int IPOPT_TS_TSANDADDR = 1;
    public static final int IPOPT_TS_PRESPEC = 3;

    // The packing of struct ip_options into ControlBlock.ipOptFlags.
    private static final int SRR_SHIFT = 0;
    private static final int RR_SHIFT = 8;
    private static final int TS_SHIFT = 16;
    public static final int RR_NEEDADDR = 1 << 24;
    public static final int TS_NEEDADDR = 1 << 25;
    public static final int TS_NEEDTIME = 1 << 26;
    public static final int IS_STRICTROUTE = 1 << 27;
    public static final int SRR_IS_HIT = 1 << 28;
    public static final int IS_CHANGED = 1 << 29;

    public static int srr(int f) { return (f >>> SRR_SHIFT) & 0xff; }
    public static int rr(int f) { return (f >>> RR_SHIFT) & 0xff; }
    public static int ts(int f) { return (f >>> TS_SHIFT) & 0xff; }

    /** The result of ip_options_compile: the packed options, or the parameter problem pointer. */
    public record Compiled(int flags, int ppPtr) {
        public boolean ok() { return ppPtr < 0; }
    }

    /**
     * ip_options_compile, net/ipv4/ip_options.c, for a received packet (skb and rt set): walks
     * the options of the header at {@code base} in {@code b}, recording our address
     * ({@code specDst}, fib_compute_spec_dst) into Record Route and TSANDADDR, the time
     * into timestamps, counting TS overflow, zeroing what follows END. The header's
     * checksum is left as it was (only ip_forward_options recomputes it).
     *
     * @param nowMs inet_current_timestamp (ms since midnight UT)
     */
    public static Compiled compile(HostConfig host, byte[] b, int base, int hlen, int specDst, int nowMs) {
        int flags = 0;
        int srrOff = 0;
        int rrOff = 0;
        int tsOff = 0;
        int p = base + 20;
        int l = hlen - 20;
        while (l > 0) {
            int type = b[p] & 0xff;
            // 1. END: everything after it becomes END too.
            if (type == IPOPT_END) {
                for (p++, l--; l > 0; p++, l--) {
                    if (b[p] != 0) {
                        b[p] = 0;
                        flags |= IS_CHANGED;
                    }
                }
                break;
            }
            if (type == IPOPT_NOOP) {
                l--;
                p++;
                continue;
            }
            // 2. A length that does not fit.
            if (l < 2) return err(flags | (srrOff << SRR_SHIFT) | (rrOff << RR_SHIFT) | (tsOff << TS_SHIFT), p, base);
            int optlen = b[p + 1] & 0xff;
            if (optlen < 2 || optlen > l) return err(flags | (srrOff << SRR_SHIFT) | (rrOff << RR_SHIFT) | (tsOff << TS_SHIFT), p, base);
            switch (type) {
                case IPOPT_SSRR:
                case IPOPT_LSRR:
                    if (optlen < 3) return err(flags | (srrOff << SRR_SHIFT) | (rrOff << RR_SHIFT) | (tsOff << TS_SHIFT), p + 1, base);
                    if ((b[p + 2] & 0xff) < 4) return err(flags | (srrOff << SRR_SHIFT) | (rrOff << RR_SHIFT) | (tsOff << TS_SHIFT), p + 2, base);
                    // NB: cf RFC-1812 5.2.4.1: one source route only.
                    if (srrOff != 0) return err(flags | (srrOff << SRR_SHIFT) | (rrOff << RR_SHIFT) | (tsOff << TS_SHIFT), p, base);
                    if (type == IPOPT_SSRR) flags |= IS_STRICTROUTE;
                    srrOff = p - base;
                    break;
                case IPOPT_RR: {
                    if (rrOff != 0) return err(flags | (srrOff << SRR_SHIFT) | (rrOff << RR_SHIFT) | (tsOff << TS_SHIFT), p, base);
                    if (optlen < 3) return err(flags | (srrOff << SRR_SHIFT) | (rrOff << RR_SHIFT) | (tsOff << TS_SHIFT), p + 1, base);
                    int ptr = b[p + 2] & 0xff;
                    if (ptr < 4) return err(flags | (srrOff << SRR_SHIFT) | (rrOff << RR_SHIFT) | (tsOff << TS_SHIFT), p + 2, base);
                    if (ptr <= optlen) {
                        if (ptr + 3 > optlen) return err(flags | (srrOff << SRR_SHIFT) | (rrOff << RR_SHIFT) | (tsOff << TS_SHIFT), p + 2, base);
                        Bytes.put32(b, p + ptr - 1, specDst);
                        flags |= IS_CHANGED;
                        b[p + 2] = (byte) (ptr + 4);
                        flags |= RR_NEEDADDR;
                    }
                    rrOff = p - base;
                    break;
                }
                case IPOPT_TIMESTAMP: {
                    if (tsOff != 0) return err(flags | (srrOff << SRR_SHIFT) | (rrOff << RR_SHIFT) | (tsOff << TS_SHIFT), p, base);
                    if (optlen < 4) return err(flags | (srrOff << SRR_SHIFT) | (rrOff << RR_SHIFT) | (tsOff << TS_SHIFT), p + 1, base);
                    int ptr = b[p + 2] & 0xff;
                    if (ptr < 5) return err(flags | (srrOff << SRR_SHIFT) | (rrOff << RR_SHIFT) | (tsOff << TS_SHIFT), p + 2, base);
                    int fl = b[p + 3] & 0x0f;
                    if (ptr <= optlen) {
                        int timeptr = -1;
                        if (ptr + 3 > optlen) return err(flags | (srrOff << SRR_SHIFT) | (rrOff << RR_SHIFT) | (tsOff << TS_SHIFT), p + 2, base);
                        switch (fl) {
                            case IPOPT_TS_TSONLY:
                                timeptr = p + ptr - 1;
                                flags |= TS_NEEDTIME;
                                b[p + 2] = (byte) (ptr + 4);
                                break;
                            case IPOPT_TS_TSANDADDR:
                                if (ptr + 7 > optlen) return err(flags | (srrOff << SRR_SHIFT) | (rrOff << RR_SHIFT) | (tsOff << TS_SHIFT), p + 2, base);
                                Bytes.put32(b, p + ptr - 1, specDst);
                                timeptr = p + ptr + 3;
                                flags |= TS_NEEDADDR | TS_NEEDTIME;
                                b[p + 2] = (byte) (ptr + 8);
                                break;
                            case IPOPT_TS_PRESPEC: {
                                if (ptr + 7 > optlen) return err(flags | (srrOff << SRR_SHIFT) | (rrOff << RR_SHIFT) | (tsOff << TS_SHIFT), p + 2, base);
                                int addr = Bytes.u32(b, p + ptr - 1);
                                // inet_addr_type == RTN_UNICAST: not ours, leave it for its owner.
                                if (!isLocal(host, addr)) break;
                                timeptr = p + ptr + 3;
                                flags |= TS_NEEDTIME;
                                b[p + 2] = (byte) (ptr + 8);
                                break;
                            }
                            default:
                                // unknown flag: accepted from the wire (only a local sender needs CAP_NET_RAW)
                                break;
                        }
                        if (timeptr >= 0) {
                            Bytes.put32(b, timeptr, nowMs);
                            flags |= IS_CHANGED;
                        }
                    } else if (fl != IPOPT_TS_PRESPEC) {
                        int overflow = (b[p + 3] & 0xff) >>> 4;
                        if (overflow == 15) return err(flags | (srrOff << SRR_SHIFT) | (rrOff << RR_SHIFT) | (tsOff << TS_SHIFT), p + 3, base);
                        b[p + 3] = (byte) (fl | ((overflow + 1) << 4));
                        flags |= IS_CHANGED;
                    }
                    tsOff = p - base;
                    break;
                }
                case IPOPT_RA:
                    if (optlen < 4) return err(flags | (srrOff << SRR_SHIFT) | (rrOff << RR_SHIFT) | (tsOff << TS_SHIFT), p + 1, base);
                    break;
                case IPOPT_CIPSO:
                    // cipso_v4_validate: no CIPSO DOI is configured, so the lookup of the DOI fails.
                    return err(flags | (srrOff << SRR_SHIFT) | (rrOff << RR_SHIFT) | (tsOff << TS_SHIFT), optlen < 8 ? p + 1 : p + 2, base);
                default:
                    // IPOPT_SEC, IPOPT_SID and unknown options are accepted on input.
                    break;
            }
            l -= optlen;
            p += optlen;
        }
        flags |= (srrOff << SRR_SHIFT) | (rrOff << RR_SHIFT) | (tsOff << TS_SHIFT);
        return new Compiled(flags, -1);
    }

    /** A parameter problem at p; IPCB's opt keeps what was compiled before it (icmp_send echoes that). */
    private static Compiled err(int flags, int p, int base) { return new Compiled(flags, p - base); }

    /** inet_addr_type(net, addr) == RTN_LOCAL, for the host's addresses. */
    static boolean isLocal(HostConfig host, int addr) {
        for (HostConfig.Interface i : host.interfaces()) {
            for (HostConfig.IfAddress a : i.addresses()) {
                if (a.address() == addr) return true;
            }
        }
        return Inet.isLoopback(addr);
    }

    /** The options of a reply: the bytes (padded to 4 with END), the packed flags, and the first hop of a source route. */
    public record Echo(byte[] data, int flags, int faddr) {
        public int optlen() { return data.length; }
    }

    /**
     * __ip_options_echo, net/ipv4/ip_options.c: the options a reply to (or an error about)
     * the received packet carries: its Record Route (one more slot to fill if any is left),
     * its Timestamp (likewise), its source route reversed (the reply goes to the last hop,
     * faddr). Returns null when Linux refuses (-EINVAL: no reply is sent), an empty Echo
     * when there is nothing to echo.
     *
     * @param b     the received packet's bytes, its IPv4 header at {@code base}
     * @param sopt  its IPCB opt (compiled on input)
     */
    public static Echo echo(HostConfig host, byte[] b, int base, int sopt) {
        int hlen = (b[base] & 0x0f) * 4;
        if (hlen <= 20) return new Echo(new byte[0], 0, 0);
        byte[] d = new byte[40];
        int n = 0;
        int dflags = 0;
        int faddr = 0;
        int saddr = Bytes.u32(b, base + 12);
        if (rr(sopt) != 0) {
            int s = base + rr(sopt);
            int optlen = b[s + 1] & 0xff;
            int soffset = b[s + 2] & 0xff;
            dflags |= (n + 20) << RR_SHIFT;
            System.arraycopy(b, s, d, n, optlen);
            if ((sopt & RR_NEEDADDR) != 0 && soffset <= optlen) {
                if (soffset + 3 > optlen) return null;
                d[n + 2] = (byte) (soffset + 4);
                dflags |= RR_NEEDADDR;
            }
            n += optlen;
        }
        if (ts(sopt) != 0) {
            int s = base + ts(sopt);
            int optlen = b[s + 1] & 0xff;
            int soffset = b[s + 2] & 0xff;
            dflags |= (n + 20) << TS_SHIFT;
            System.arraycopy(b, s, d, n, optlen);
            if (soffset <= optlen) {
                if ((sopt & TS_NEEDADDR) != 0) {
                    if (soffset + 3 > optlen) return null;
                    dflags |= TS_NEEDADDR;
                    soffset += 4;
                }
                if ((sopt & TS_NEEDTIME) != 0) {
                    if (soffset + 3 > optlen) return null;
                    if ((d[n + 3] & 0x0f) != IPOPT_TS_PRESPEC) {
                        dflags |= TS_NEEDTIME;
                        soffset += 4;
                    } else if (soffset + 7 <= optlen) {
                        int addr = Bytes.u32(d, n + soffset - 1);
                        if (!isLocal(host, addr)) {
                            dflags |= TS_NEEDTIME;
                            soffset += 8;
                        }
                    }
                }
                d[n + 2] = (byte) soffset;
            }
            n += optlen;
        }
        if (srr(sopt) != 0) {
            int start = base + srr(sopt);
            int optlen = b[start + 1] & 0xff;
            int soffset = b[start + 2] & 0xff;
            int doffset = 0;
            if (soffset > optlen) soffset = optlen + 1;
            soffset -= 4;
            if (soffset > 3) {
                faddr = Bytes.u32(b, start + soffset - 1);
                for (soffset -= 4, doffset = 4; soffset > 3; soffset -= 4, doffset += 4) {
                    System.arraycopy(b, start + soffset - 1, d, n + doffset - 1, 4);
                }
                // RFC 1812 requires to fix illegal source routes.
                if (Bytes.u32(b, start + soffset + 3) == saddr) doffset -= 4;
            }
            if (doffset > 3) {
                d[n] = b[start];
                d[n + 1] = (byte) (doffset + 3);
                d[n + 2] = 4;
                dflags |= (n + 20) << SRR_SHIFT;
                if ((sopt & IS_STRICTROUTE) != 0) dflags |= IS_STRICTROUTE;
                n += doffset + 3;
            } else {
                faddr = 0;
            }
        }
        while ((n & 3) != 0) d[n++] = IPOPT_END;
        byte[] out = new byte[n];
        System.arraycopy(d, 0, out, 0, n);
        return new Echo(out, dflags, faddr);
    }

    /**
     * ip_options_build, net/ipv4/ip_options.c: the reply options into the header at
     * {@code base} (after its 20 bytes): the final destination into the source route's last
     * slot, our source address into Record Route / TSANDADDR, the time into timestamps.
     */
    public static void build(byte[] b, int base, byte[] opt, int flags, int daddr, int saddr, int nowMs) {
        System.arraycopy(opt, 0, b, base + 20, opt.length);
        if (srr(flags) != 0) {
            int s = base + srr(flags);
            Bytes.put32(b, s + (b[s + 1] & 0xff) - 4, daddr);
        }
        if (rr(flags) != 0 && (flags & RR_NEEDADDR) != 0) {
            int s = base + rr(flags);
            Bytes.put32(b, s + (b[s + 2] & 0xff) - 5, saddr);
        }
        if (ts(flags) != 0) {
            int s = base + ts(flags);
            if ((flags & TS_NEEDADDR) != 0) Bytes.put32(b, s + (b[s + 2] & 0xff) - 9, saddr);
            if ((flags & TS_NEEDTIME) != 0) Bytes.put32(b, s + (b[s + 2] & 0xff) - 5, nowMs);
        }
    }

    /**
     * ip_forward_options, net/ipv4/ip_options.c: a forwarded packet's Record Route and
     * TSANDADDR slots get the output route's source address (ip_rt_get_source); the
     * checksum is recomputed if anything changed. Returns whether it did.
     */
    public static boolean forward(byte[] b, int base, int flags, int outSaddr) {
        boolean changed = (flags & IS_CHANGED) != 0;
        if (rr(flags) != 0 && (flags & RR_NEEDADDR) != 0) {
            int s = base + rr(flags);
            Bytes.put32(b, s + (b[s + 2] & 0xff) - 5, outSaddr);
            changed = true;
        }
        if (ts(flags) != 0 && (flags & TS_NEEDADDR) != 0) {
            int s = base + ts(flags);
            Bytes.put32(b, s + (b[s + 2] & 0xff) - 9, outSaddr);
            changed = true;
        }
        return changed;
    }
}
