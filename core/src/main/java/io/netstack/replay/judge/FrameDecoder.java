package io.netstack.replay.judge;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes Ethernet frames into the {@code decoded} layout of expected.json
 * (conformance/README.md "decoded"): Ethernet, VLAN tags, ARP, IPv4 with options, ICMP with
 * the quoted packet of an error, UDP, TCP with options, IPv6 with its extension headers,
 * ICMPv6 (errors, echo, MLD, neighbour discovery with options). The judge compares two frames
 * by comparing their decodings, so that a difference is named by the field it is in.
 *
 * <p>Every byte of a frame ends up in some field (what no layer describes as {@code payload},
 * bytes past the IPv4 total length, the IPv6 payload length or the ARP body as
 * {@code padding}, a header cut short as {@code truncated}): two frames that decode equal are
 * equal. The decoder never throws on malformed bytes; it describes what is there.
 *
 * <p>A decoding is a tree of {@link LinkedHashMap} (keys in frame order), {@link List},
 * {@link Long}, {@link String}, {@link Boolean} and null, the shape JSON has, so that a
 * difference can be printed as JSON. It is written for the judge alone and shares no code
 * with the emulated stack (ArchitectureTest): a judge that parsed headers with the stack's
 * own code would agree with the stack's own mistakes.
 */
public final class FrameDecoder {
    private FrameDecoder() {}

    static final int ETH_P_IP = 0x0800;
    static final int ETH_P_ARP = 0x0806;
    static final int ETH_P_IPV6 = 0x86DD;
    static final int ETH_P_8021Q = 0x8100;
    static final int ETH_P_8021AD = 0x88A8;
    private static final String TCP_FLAG_LETTERS = "FSRPAUEC";
    private static final HexFormat HEX = HexFormat.of();

    /**
     * Decodes a list of frames in transmit order. The transport checksum of a fragmented
     * datagram whose fragments are all among the frames is checked over the reassembled
     * datagram and stored in its first fragment; otherwise a fragment's checksum_valid is null.
     */
    public static List<Map<String, Object>> decodeFrames(List<byte[]> frames) {
        List<Map<String, Object>> out = new ArrayList<>();
        List<Fragment4> fragments4 = new ArrayList<>();
        List<Fragment6> fragments6 = new ArrayList<>();
        for (int idx = 0; idx < frames.size(); idx++) {
            byte[] fr = frames.get(idx);
            Fragment6[] frag6 = new Fragment6[1];
            Map<String, Object> d = decodeFrame(fr, frag6);
            if (frag6[0] != null) fragments6.add(frag6[0].at(idx));
            if (d.get("ipv4") instanceof Map<?, ?> ip && ip.get("checksum_valid") != null && isFragment(ip)) {
                int off = 14 + 4 * (d.get("vlan") instanceof List<?> tags ? tags.size() : 0);
                int hl = (int) num(ip, "ihl") * 4;
                int totalLength = (int) num(ip, "total_length");
                byte[] l3Payload = slice(fr, off + hl, off + Math.min(totalLength, fr.length - off));
                fragments4.add(new Fragment4(idx, (String) ip.get("src"), (String) ip.get("dst"), num(ip, "protocol"),
                        num(ip, "id"), num(ip, "frag_offset") * 8, num(ip, "mf") != 0, l3Payload));
            }
            out.add(d);
        }
        checkReassembled4(out, fragments4);
        checkReassembled6(out, fragments6);
        return out;
    }

    /** One frame on its own (a fragment's transport checksum_valid stays null). */
    public static Map<String, Object> decodeFrame(byte[] frame) {
        return decodeFrame(frame, new Fragment6[1]);
    }

    private static Map<String, Object> decodeFrame(byte[] frame, Fragment6[] frag6) {
        Map<String, Object> d = new LinkedHashMap<>();
        if (frame.length < 14) {
            d.put("truncated", hex(frame));
            return d;
        }
        Map<String, Object> eth = new LinkedHashMap<>();
        eth.put("dst", mac(frame, 0));
        eth.put("src", mac(frame, 6));
        eth.put("type", (long) u16(frame, 12));
        d.put("eth", eth);
        int etype = u16(frame, 12);
        int off = 14;
        while ((etype == ETH_P_8021Q || etype == ETH_P_8021AD) && frame.length >= off + 4) {
            int tci = u16(frame, off);
            int inner = u16(frame, off + 2);
            @SuppressWarnings("unchecked")
            List<Object> tags = (List<Object>) d.computeIfAbsent("vlan", k -> new ArrayList<>());
            tags.add(map("pcp", (long) (tci >> 13), "dei", (long) ((tci >> 12) & 1), "vid", (long) (tci & 0x0FFF),
                    "type", (long) inner));
            etype = inner;
            off += 4;
        }
        byte[] rest = slice(frame, off, frame.length);
        if (etype == ETH_P_ARP && rest.length >= 8) {
            int hlen = u8(rest, 4);
            int plen = u8(rest, 5);
            if (hlen == 6 && plen == 4 && rest.length >= 28) {
                Map<String, Object> arp = new LinkedHashMap<>();
                arp.put("htype", (long) u16(rest, 0));
                arp.put("ptype", (long) u16(rest, 2));
                arp.put("hlen", (long) hlen);
                arp.put("plen", (long) plen);
                arp.put("op", (long) u16(rest, 6));
                arp.put("sha", mac(rest, 8));
                arp.put("spa", ip4(rest, 14));
                arp.put("tha", mac(rest, 18));
                arp.put("tpa", ip4(rest, 24));
                d.put("arp", arp);
                if (rest.length > 28) d.put("padding", hex(slice(rest, 28, rest.length)));
            } else {
                d.put("payload", hex(rest));
            }
        } else if (etype == ETH_P_IP) {
            d.putAll(decodeIpv4(rest));
        } else if (etype == ETH_P_IPV6) {
            d.putAll(decodeIpv6(rest, false, frag6));
        } else if (rest.length > 0) {
            d.put("payload", hex(rest));
        }
        return d;
    }

    // ------------------------------------------------------------------ IPv4

    /** An IPv4 packet as layers: ipv4, then icmp / udp / tcp / payload, then padding. */
    static Map<String, Object> decodeIpv4(byte[] b) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (b.length < 20) {
            out.put("payload", hex(b));
            return out;
        }
        int version = u8(b, 0) >> 4;
        int ihl = u8(b, 0) & 0x0F;
        int tlen = u16(b, 2);
        int frag = u16(b, 6);
        int proto = u8(b, 9);
        Map<String, Object> ip = new LinkedHashMap<>();
        ip.put("version", (long) version);
        ip.put("ihl", (long) ihl);
        ip.put("tos", (long) u8(b, 1));
        ip.put("total_length", (long) tlen);
        ip.put("id", (long) u16(b, 4));
        ip.put("rf", (long) ((frag >> 15) & 1));
        ip.put("df", (long) ((frag >> 14) & 1));
        ip.put("mf", (long) ((frag >> 13) & 1));
        ip.put("frag_offset", (long) (frag & 0x1FFF));
        ip.put("ttl", (long) u8(b, 8));
        ip.put("protocol", (long) proto);
        ip.put("checksum", (long) u16(b, 10));
        int hl = ihl * 4;
        if (version != 4 || ihl < 5 || hl > b.length) {
            ip.put("checksum_valid", null);
            ip.put("src", ip4(b, 12));
            ip.put("dst", ip4(b, 16));
            out.put("ipv4", ip);
            out.put("payload", hex(slice(b, 20, b.length)));
            return out;
        }
        ip.put("checksum_valid", onesSumOk(slice(b, 0, hl)));
        ip.put("src", ip4(b, 12));
        ip.put("dst", ip4(b, 16));
        if (ihl > 5) ip.put("options", hex(slice(b, 20, hl)));
        out.put("ipv4", ip);
        int end = tlen >= hl ? Math.min(tlen, b.length) : b.length;
        byte[] body = slice(b, hl, end);
        boolean complete = tlen >= hl && tlen <= b.length;
        boolean fragment = isFragment(ip);
        byte[] src = slice(b, 12, 16);
        byte[] dst = slice(b, 16, 20);
        if ((frag & 0x1FFF) != 0) {
            out.put("payload", hex(body));
        } else if (proto == 1) {
            out.put("icmp", decodeIcmp(body, complete && !fragment));
        } else if (proto == 17) {
            out.put("udp", decodeUdp(body, src, dst, complete && !fragment));
        } else if (proto == 6) {
            out.put("tcp", decodeTcp(body, src, dst, complete && !fragment));
        } else {
            out.put("payload", hex(body));
        }
        if (tlen >= hl && b.length > tlen) out.put("padding", hex(slice(b, tlen, b.length)));
        return out;
    }

    static Map<String, Object> decodeIcmp(byte[] seg, boolean complete) {
        Map<String, Object> d = new LinkedHashMap<>();
        if (seg.length < 4) {
            d.put("truncated", hex(seg));
            return d;
        }
        int type = u8(seg, 0);
        d.put("type", (long) type);
        d.put("code", (long) u8(seg, 1));
        d.put("checksum", (long) u16(seg, 2));
        d.put("checksum_valid", complete ? onesSumOk(seg) : null);
        if (seg.length < 8) {
            d.put("rest", hex(slice(seg, 4, seg.length)));
            return d;
        }
        byte[] body = slice(seg, 8, seg.length);
        if (type == 0 || type == 8) {
            d.put("id", (long) u16(seg, 4));
            d.put("seq", (long) u16(seg, 6));
            d.put("data", hex(body));
        } else if ((type == 13 || type == 14) && seg.length >= 20) {
            d.put("id", (long) u16(seg, 4));
            d.put("seq", (long) u16(seg, 6));
            d.put("originate", u32(seg, 8));
            d.put("receive", u32(seg, 12));
            d.put("transmit", u32(seg, 16));
            d.put("data", hex(slice(seg, 20, seg.length)));
        } else if (type == 3 || type == 4 || type == 5 || type == 11 || type == 12) {
            if (type == 3) {
                d.put("unused", (long) u16(seg, 4));
                d.put("next_hop_mtu", (long) u16(seg, 6));
            } else if (type == 5) {
                d.put("gateway", ip4(seg, 4));
            } else if (type == 12) {
                d.put("pointer", (long) u8(seg, 4));
                d.put("unused", (long) ((u8(seg, 5) << 16) | u16(seg, 6)));
            } else {
                d.put("unused", u32(seg, 4));
            }
            d.put("quoted", decodeIpv4(body));
        } else {
            d.put("rest_of_header", u32(seg, 4));
            d.put("data", hex(body));
        }
        return d;
    }

    // ------------------------------------------------------------------ UDP, TCP

    /** {@code complete}: seg holds the whole datagram, so its checksum can be checked. */
    static Map<String, Object> decodeUdp(byte[] seg, byte[] src, byte[] dst, boolean complete) {
        Map<String, Object> d = new LinkedHashMap<>();
        if (seg.length < 8) {
            d.put("truncated", hex(seg));
            return d;
        }
        int length = u16(seg, 4);
        int cks = u16(seg, 6);
        d.put("sport", (long) u16(seg, 0));
        d.put("dport", (long) u16(seg, 2));
        d.put("length", (long) length);
        d.put("checksum", (long) cks);
        if (cks == 0) {
            d.put("checksum_valid", src.length == 4); // no checksum: allowed over IPv4, not over IPv6
        } else if (complete && 8 <= length && length <= seg.length) {
            d.put("checksum_valid", onesSumOk(concat(pseudoHeader(src, dst, 17, length), slice(seg, 0, length))));
        } else {
            d.put("checksum_valid", null);
        }
        d.put("payload", hex(slice(seg, 8, seg.length)));
        return d;
    }

    static Map<String, Object> decodeTcp(byte[] seg, byte[] src, byte[] dst, boolean complete) {
        Map<String, Object> d = new LinkedHashMap<>();
        if (seg.length < 20) {
            int used = 0;
            if (seg.length >= 4) {
                d.put("sport", (long) u16(seg, 0));
                d.put("dport", (long) u16(seg, 2));
                used = 4;
            }
            if (seg.length >= 8) {
                d.put("seq", u32(seg, 4));
                used = 8;
            }
            d.put("truncated", hex(slice(seg, used, seg.length)));
            return d;
        }
        int doff = u8(seg, 12) >> 4;
        int flags = u8(seg, 13);
        StringBuilder letters = new StringBuilder();
        for (int bit = 0; bit < 8; bit++) {
            if ((flags & (1 << bit)) != 0) letters.append(TCP_FLAG_LETTERS.charAt(bit));
        }
        d.put("sport", (long) u16(seg, 0));
        d.put("dport", (long) u16(seg, 2));
        d.put("seq", u32(seg, 4));
        d.put("ack", u32(seg, 8));
        d.put("data_offset", (long) doff);
        d.put("reserved", (long) (u8(seg, 12) & 0x0F));
        d.put("flags", letters.toString());
        d.put("window", (long) u16(seg, 14));
        d.put("checksum", (long) u16(seg, 16));
        d.put("checksum_valid", complete ? onesSumOk(concat(pseudoHeader(src, dst, 6, seg.length), seg)) : null);
        d.put("urgent_ptr", (long) u16(seg, 18));
        int hl = doff * 4;
        if (hl < 20 || hl > seg.length) {
            d.put("options_raw", hex(slice(seg, 20, seg.length)));
            return d;
        }
        d.put("options", decodeTcpOptions(slice(seg, 20, hl)));
        d.put("payload", hex(slice(seg, hl, seg.length)));
        return d;
    }

    static List<Object> decodeTcpOptions(byte[] b) {
        List<Object> opts = new ArrayList<>();
        int i = 0;
        while (i < b.length) {
            int kind = u8(b, i);
            if (kind == 0) {
                Map<String, Object> o = map("kind", "EOL");
                byte[] rest = slice(b, i + 1, b.length);
                if (anyNonZero(rest)) o.put("rest", hex(rest));
                opts.add(o);
                break;
            }
            if (kind == 1) {
                opts.add(map("kind", "NOP"));
                i++;
                continue;
            }
            if (i + 1 >= b.length || u8(b, i + 1) < 2 || i + u8(b, i + 1) > b.length) {
                opts.add(map("kind", "malformed", "data", hex(slice(b, i, b.length))));
                break;
            }
            int len = u8(b, i + 1);
            byte[] body = slice(b, i + 2, i + len);
            if (kind == 2 && len == 4) {
                opts.add(map("kind", "MSS", "value", (long) u16(body, 0)));
            } else if (kind == 3 && len == 3) {
                opts.add(map("kind", "WScale", "value", (long) u8(body, 0)));
            } else if (kind == 4 && len == 2) {
                opts.add(map("kind", "SAckOK"));
            } else if (kind == 5 && (len - 2) % 8 == 0) {
                List<Object> blocks = new ArrayList<>();
                for (int j = 0; j < body.length; j += 8) blocks.add(new ArrayList<>(List.of(u32(body, j), u32(body, j + 4))));
                opts.add(map("kind", "SAck", "blocks", blocks));
            } else if (kind == 8 && len == 10) {
                opts.add(map("kind", "Timestamp", "tsval", u32(body, 0), "tsecr", u32(body, 4)));
            } else if (kind == 34) {
                opts.add(map("kind", "TFO", "cookie", hex(body)));
            } else {
                opts.add(map("kind", (long) kind, "data", hex(body)));
            }
            i += len;
        }
        return opts;
    }

    /** The pseudo header of the transport checksum: IPv4 (RFC 793) or IPv6 (RFC 8200 8.1). */
    static byte[] pseudoHeader(byte[] src, byte[] dst, int proto, int length) {
        if (src.length == 16) {
            return concat(src, dst, new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8),
                    (byte) length, 0, 0, 0, (byte) proto});
        }
        return concat(src, dst, new byte[] {0, (byte) proto, (byte) (length >>> 8), (byte) length});
    }

    // ------------------------------------------------------------------ IPv6

    private static final int EXT_HOPOPTS = 0;
    private static final int EXT_ROUTING = 43;
    private static final int EXT_FRAGMENT = 44;
    private static final int EXT_DSTOPTS = 60;

    private static String extName(int nh) {
        return switch (nh) {
            case EXT_HOPOPTS -> "hop-by-hop";
            case EXT_ROUTING -> "routing";
            case EXT_FRAGMENT -> "fragment";
            case EXT_DSTOPTS -> "destination";
            default -> null;
        };
    }

    /**
     * An IPv6 packet as layers: ipv6, ipv6_ext, then icmpv6 / udp / tcp / payload, then padding.
     *
     * @param quoted the packet inside an ICMPv6 error or a redirected header option (usually cut short)
     * @param frag6  receives what {@link #decodeFrames} needs to check a fragmented datagram's checksum
     */
    static Map<String, Object> decodeIpv6(byte[] b, boolean quoted, Fragment6[] frag6) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (b.length < 40) {
            out.put("payload", hex(b));
            return out;
        }
        long w = u32(b, 0);
        int plen = u16(b, 4);
        int nh = u8(b, 6);
        Map<String, Object> ip = new LinkedHashMap<>();
        ip.put("version", w >> 28);
        ip.put("traffic_class", (w >> 20) & 0xFF);
        ip.put("flow_label", w & 0xFFFFF);
        ip.put("payload_length", (long) plen);
        ip.put("next_header", (long) nh);
        ip.put("hop_limit", (long) u8(b, 7));
        ip.put("src", ip6(b, 8));
        ip.put("dst", ip6(b, 24));
        out.put("ipv6", ip);
        int end = 40 + plen;
        boolean complete = end <= b.length;
        byte[] body = slice(b, 40, Math.min(end, b.length));
        byte[] src = slice(b, 8, 24);
        byte[] dst = slice(b, 24, 40);
        if ((w >> 28) != 6) {
            out.put("payload", hex(body));
            if (complete && b.length > end) out.put("padding", hex(slice(b, end, b.length)));
            return out;
        }
        List<Object> exts = new ArrayList<>();
        int off = 0;
        Map<String, Object> frag = null;
        int fragEnd = 0;
        byte[] finalDst = dst;
        while (extName(nh) != null) {
            int hlen;
            if (nh == EXT_FRAGMENT) hlen = 8;
            else if (off + 2 <= body.length) hlen = 8 + 8 * u8(body, off + 1);
            else hlen = 8;
            if (off + hlen > body.length) break;
            byte[] h = slice(body, off, off + hlen);
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("header", extName(nh));
            e.put("next_header", (long) u8(h, 0));
            if (nh == EXT_FRAGMENT) {
                int fo = u16(h, 2);
                e.put("reserved", (long) u8(h, 1));
                e.put("frag_offset", (long) (fo >> 3));
                e.put("res", (long) ((fo >> 1) & 3));
                e.put("m", (long) (fo & 1));
                e.put("id", u32(h, 4));
                frag = e;
            } else if (nh == EXT_ROUTING) {
                e.put("hdr_ext_len", (long) u8(h, 1));
                e.put("routing_type", (long) u8(h, 2));
                e.put("segments_left", (long) u8(h, 3));
                if ((u8(h, 2) == 0 || u8(h, 2) == 2) && (hlen - 8) % 16 == 0) {
                    e.put("reserved", u32(h, 4));
                    List<Object> addresses = new ArrayList<>();
                    for (int j = 8; j < hlen; j += 16) addresses.add(ip6(h, j));
                    e.put("addresses", addresses);
                    // The pseudo header uses the final destination.
                    if (u8(h, 3) > 0 && !addresses.isEmpty()) finalDst = slice(h, hlen - 16, hlen);
                } else {
                    e.put("data", hex(slice(h, 4, h.length)));
                }
            } else {
                e.put("hdr_ext_len", (long) u8(h, 1));
                e.put("options", decodeTlvOptions(slice(h, 2, h.length)));
            }
            exts.add(e);
            nh = u8(h, 0);
            off += hlen;
            if (e == frag) {
                fragEnd = off;
                if (num(frag, "frag_offset") != 0) break; // a later fragment: the rest is data
            }
        }
        if (!exts.isEmpty()) out.put("ipv6_ext", exts);
        byte[] seg = slice(body, off, body.length);
        boolean isFrag = frag != null && (num(frag, "m") != 0 || num(frag, "frag_offset") != 0);
        boolean wholeOk = complete && !isFrag;
        if (frag != null && num(frag, "frag_offset") != 0) {
            out.put("payload", hex(seg));
        } else if (nh == 58) {
            out.put("icmpv6", decodeIcmpv6(seg, src, finalDst, wholeOk));
        } else if (nh == 17) {
            out.put("udp", decodeUdp(seg, src, finalDst, wholeOk));
        } else if (nh == 6) {
            out.put("tcp", decodeTcp(seg, src, finalDst, wholeOk));
        } else {
            out.put("payload", hex(seg)); // also an extension header cut short
        }
        if (frag != null && frag6 != null && !quoted) {
            frag6[0] = new Fragment6(-1, src, dst, finalDst, num(frag, "id"), num(frag, "frag_offset") * 8,
                    num(frag, "m") != 0, nh, slice(body, fragEnd, body.length), off - fragEnd);
        }
        if (complete && b.length > end) out.put("padding", hex(slice(b, end, b.length)));
        return out;
    }

    /** The options of a hop-by-hop or destination options header. */
    static List<Object> decodeTlvOptions(byte[] b) {
        List<Object> opts = new ArrayList<>();
        int i = 0;
        while (i < b.length) {
            int t = u8(b, i);
            if (t == 0) { // Pad1
                opts.add(map("type", 0L));
                i++;
                continue;
            }
            if (i + 2 > b.length || i + 2 + u8(b, i + 1) > b.length) {
                opts.add(map("type", (long) t, "malformed", hex(slice(b, i + 1, b.length))));
                break;
            }
            int len = u8(b, i + 1);
            byte[] data = slice(b, i + 2, i + 2 + len);
            if (t == 5 && len == 2) opts.add(map("type", (long) t, "value", (long) u16(data, 0)));        // router alert
            else if (t == 0xC2 && len == 4) opts.add(map("type", (long) t, "value", u32(data, 0)));      // jumbo payload
            else opts.add(map("type", (long) t, "data", hex(data)));
            i += 2 + len;
        }
        return opts;
    }

    /** Neighbour discovery options (RFC 4861 4.6). */
    static List<Object> decodeNdOptions(byte[] b) {
        List<Object> opts = new ArrayList<>();
        int i = 0;
        while (i < b.length) {
            int t = u8(b, i);
            if (i + 2 > b.length || u8(b, i + 1) == 0 || i + 8 * u8(b, i + 1) > b.length) {
                opts.add(map("type", (long) t, "malformed", hex(slice(b, i + 1, b.length))));
                break;
            }
            int len = u8(b, i + 1);
            byte[] data = slice(b, i + 2, i + 8 * len);
            Map<String, Object> o = map("type", (long) t, "length", (long) len);
            if ((t == 1 || t == 2) && len == 1) {
                o.put("lladdr", mac(data, 0));
            } else if (t == 3 && len == 4) {
                o.put("prefix_length", (long) u8(data, 0));
                o.put("flags", (long) u8(data, 1));
                o.put("valid_lifetime", u32(data, 2));
                o.put("preferred_lifetime", u32(data, 6));
                o.put("reserved2", u32(data, 10));
                o.put("prefix", ip6(data, 14));
            } else if (t == 4) {
                o.put("reserved", hex(slice(data, 0, 6)));
                o.put("quoted", decodeIpv6(slice(data, 6, data.length), true, null));
            } else if (t == 5 && len == 1) {
                o.put("reserved", (long) u16(data, 0));
                o.put("mtu", u32(data, 2));
            } else {
                o.put("data", hex(data));
            }
            opts.add(o);
            i += 8 * len;
        }
        return opts;
    }

    /** The length of each ICMPv6 type's fixed part; shorter is described as {@code rest}. */
    private static int icmpv6FixedLength(int type) {
        return switch (type) {
            case 130, 131, 132, 135, 136 -> 24;
            case 134 -> 16;
            case 137 -> 40;
            default -> 8;
        };
    }

    static Map<String, Object> decodeIcmpv6(byte[] seg, byte[] src, byte[] dst, boolean complete) {
        Map<String, Object> d = new LinkedHashMap<>();
        if (seg.length < 4) {
            d.put("truncated", hex(seg));
            return d;
        }
        int type = u8(seg, 0);
        d.put("type", (long) type);
        d.put("code", (long) u8(seg, 1));
        d.put("checksum", (long) u16(seg, 2));
        d.put("checksum_valid", complete ? onesSumOk(concat(pseudoHeader(src, dst, 58, seg.length), seg)) : null);
        if (seg.length < icmpv6FixedLength(type)) {
            d.put("rest", hex(slice(seg, 4, seg.length)));
            return d;
        }
        if (type >= 1 && type <= 4) {
            if (type == 2) d.put("mtu", u32(seg, 4));
            else if (type == 4) d.put("pointer", u32(seg, 4));
            else d.put("unused", u32(seg, 4));
            d.put("quoted", decodeIpv6(slice(seg, 8, seg.length), true, null));
        } else if (type == 128 || type == 129) {
            d.put("id", (long) u16(seg, 4));
            d.put("seq", (long) u16(seg, 6));
            d.put("data", hex(slice(seg, 8, seg.length)));
        } else if (type == 130 || type == 131 || type == 132) {
            d.put("max_response", (long) u16(seg, 4));
            d.put("reserved", (long) u16(seg, 6));
            d.put("group", ip6(seg, 8));
            byte[] rest = slice(seg, 24, seg.length);
            if (type == 130 && rest.length >= 4) { // MLDv2 query
                d.put("resv", (long) (u8(rest, 0) >> 4));
                d.put("s", (long) ((u8(rest, 0) >> 3) & 1));
                d.put("qrv", (long) (u8(rest, 0) & 7));
                d.put("qqic", (long) u8(rest, 1));
                int n = u16(rest, 2);
                d.put("num_sources", (long) n);
                byte[] srcs = slice(rest, 4, 4 + 16 * n);
                List<Object> sources = new ArrayList<>();
                for (int j = 0; j + 16 <= srcs.length; j += 16) sources.add(ip6(srcs, j));
                d.put("sources", sources);
                rest = slice(rest, 4 + 16 * sources.size(), rest.length);
            }
            if (rest.length > 0) d.put("data", hex(rest));
        } else if (type == 143) { // MLDv2 report
            int n = u16(seg, 6);
            d.put("reserved", (long) u16(seg, 4));
            d.put("num_records", (long) n);
            List<Object> records = new ArrayList<>();
            int j = 8;
            for (int r = 0; r < n; r++) {
                if (j + 20 > seg.length) break;
                int aux = u8(seg, j + 1);
                int ns = u16(seg, j + 2);
                int recEnd = j + 20 + 16 * ns + 4 * aux;
                if (recEnd > seg.length) break;
                List<Object> sources = new ArrayList<>();
                for (int k = j + 20; k < j + 20 + 16 * ns; k += 16) sources.add(ip6(seg, k));
                records.add(map("type", (long) u8(seg, j), "aux_len", (long) aux, "num_sources", (long) ns,
                        "group", ip6(seg, j + 4), "sources", sources, "aux", hex(slice(seg, j + 20 + 16 * ns, recEnd))));
                j = recEnd;
            }
            d.put("records", records);
            if (j < seg.length) d.put("data", hex(slice(seg, j, seg.length)));
        } else if (type == 133) { // router solicitation
            d.put("reserved", u32(seg, 4));
            d.put("options", decodeNdOptions(slice(seg, 8, seg.length)));
        } else if (type == 134) { // router advertisement
            d.put("cur_hop_limit", (long) u8(seg, 4));
            d.put("flags", (long) u8(seg, 5));
            d.put("router_lifetime", (long) u16(seg, 6));
            d.put("reachable_time", u32(seg, 8));
            d.put("retrans_timer", u32(seg, 12));
            d.put("options", decodeNdOptions(slice(seg, 16, seg.length)));
        } else if (type == 135) { // neighbour solicitation
            d.put("reserved", u32(seg, 4));
            d.put("target", ip6(seg, 8));
            d.put("options", decodeNdOptions(slice(seg, 24, seg.length)));
        } else if (type == 136) { // neighbour advertisement
            long w = u32(seg, 4);
            d.put("router", w >> 31);
            d.put("solicited", (w >> 30) & 1);
            d.put("override", (w >> 29) & 1);
            d.put("reserved", w & 0x1FFFFFFF);
            d.put("target", ip6(seg, 8));
            d.put("options", decodeNdOptions(slice(seg, 24, seg.length)));
        } else if (type == 137) { // redirect
            d.put("reserved", u32(seg, 4));
            d.put("target", ip6(seg, 8));
            d.put("destination", ip6(seg, 24));
            d.put("options", decodeNdOptions(slice(seg, 40, seg.length)));
        } else {
            d.put("rest_of_header", u32(seg, 4));
            d.put("data", hex(slice(seg, 8, seg.length)));
        }
        return d;
    }

    // ------------------------------------------------------------------ fragments

    /** An IPv4 fragment among the frames, with the bytes after its header. */
    private record Fragment4(int index, String src, String dst, long proto, long id, long offset, boolean more,
                             byte[] data) {}

    /** An IPv6 fragment among the frames: what follows its fragment header, where its L4 header starts. */
    private record Fragment6(int index, byte[] src, byte[] dst, byte[] finalDst, long id, long offset, boolean more,
                             int proto, byte[] data, int l4Offset) {
        Fragment6 at(int idx) {
            return new Fragment6(idx, src, dst, finalDst, id, offset, more, proto, data, l4Offset);
        }
    }

    /**
     * IPv4 fragments of the same source, destination, protocol and id that together make a
     * whole datagram: the transport checksum is checked over the reassembled datagram and
     * stored in the first fragment.
     */
    private static void checkReassembled4(List<Map<String, Object>> decoded, List<Fragment4> fragments) {
        Map<List<Object>, List<Fragment4>> groups = new LinkedHashMap<>();
        for (Fragment4 f : fragments) {
            if (!f.more() && f.offset() == 0) continue;
            groups.computeIfAbsent(List.of(f.src(), f.dst(), f.proto(), f.id()), k -> new ArrayList<>()).add(f);
        }
        for (List<Fragment4> group : groups.values()) {
            Integer first = null;
            Long lastEnd = null;
            List<Object[]> pieces = new ArrayList<>();
            for (Fragment4 f : group) {
                pieces.add(new Object[] {f.offset(), f.data()});
                if (!f.more()) lastEnd = f.offset() + f.data().length;
                if (f.offset() == 0) first = f.index();
            }
            if (first == null || lastEnd == null) continue;
            byte[] whole = reassemble(pieces, lastEnd);
            if (whole == null) continue;
            Map<String, Object> d = decoded.get(first);
            Map<String, Object> ip = child(d, "ipv4");
            byte[] s = ip4Bytes((String) ip.get("src"));
            byte[] t = ip4Bytes((String) ip.get("dst"));
            long proto = group.get(0).proto();
            Map<String, Object> l4;
            if (proto == 17 && (l4 = child(d, "udp")) != null && l4.containsKey("checksum")) {
                long ln = num(l4, "length");
                l4.put("checksum_valid", num(l4, "checksum") == 0 || (8 <= ln && ln <= whole.length
                        && onesSumOk(concat(pseudoHeader(s, t, 17, (int) ln), slice(whole, 0, (int) ln)))));
            } else if (proto == 6 && (l4 = child(d, "tcp")) != null && l4.containsKey("checksum")) {
                l4.put("checksum_valid", onesSumOk(concat(pseudoHeader(s, t, 6, whole.length), whole)));
            } else if (proto == 1 && (l4 = child(d, "icmp")) != null && l4.containsKey("checksum")) {
                l4.put("checksum_valid", onesSumOk(whole));
            }
        }
    }

    /** The same for IPv6 fragments (same source, destination and fragment id). */
    private static void checkReassembled6(List<Map<String, Object>> decoded, List<Fragment6> fragments) {
        Map<List<Object>, List<Fragment6>> groups = new LinkedHashMap<>();
        for (Fragment6 f : fragments) {
            if (!f.more() && f.offset() == 0) continue;
            groups.computeIfAbsent(List.of(HEX.formatHex(f.src()), HEX.formatHex(f.dst()), f.id()),
                    k -> new ArrayList<>()).add(f);
        }
        for (List<Fragment6> group : groups.values()) {
            Fragment6 first = null;
            Long lastEnd = null;
            List<Object[]> pieces = new ArrayList<>();
            for (Fragment6 f : group) {
                pieces.add(new Object[] {f.offset(), f.data()});
                if (!f.more()) lastEnd = f.offset() + f.data().length;
                if (f.offset() == 0) first = f;
            }
            if (first == null || lastEnd == null) continue;
            byte[] datagram = reassemble(pieces, lastEnd);
            if (datagram == null) continue;
            byte[] whole = slice(datagram, first.l4Offset(), datagram.length);
            byte[] s = first.src();
            byte[] t = first.finalDst();
            int proto = first.proto();
            Map<String, Object> d = decoded.get(first.index());
            boolean ok = onesSumOk(concat(pseudoHeader(s, t, proto, whole.length), whole));
            Map<String, Object> l4;
            if (proto == 17 && (l4 = child(d, "udp")) != null && l4.containsKey("checksum")) {
                long ln = num(l4, "length");
                l4.put("checksum_valid", num(l4, "checksum") != 0 && 8 <= ln && ln <= whole.length
                        && onesSumOk(concat(pseudoHeader(s, t, 17, (int) ln), slice(whole, 0, (int) ln))));
            } else if (proto == 6 && (l4 = child(d, "tcp")) != null && l4.containsKey("checksum")) {
                l4.put("checksum_valid", ok);
            } else if (proto == 58 && (l4 = child(d, "icmpv6")) != null && l4.containsKey("checksum")) {
                l4.put("checksum_valid", ok);
            }
        }
    }

    /**
     * The datagram of {@code lastEnd} bytes the pieces (offset, bytes) make, in order, a later
     * piece over an earlier one; null when a byte is missing. A piece that starts past the end
     * is inserted at its offset (as a slice assignment past the end does), so the result may be
     * longer than {@code lastEnd}: the reference judge reassembles that way.
     */
    static byte[] reassemble(List<Object[]> pieces, long lastEnd) {
        List<Byte> buf = new ArrayList<>(Collections.nCopies((int) lastEnd, (byte) 0));
        boolean[] have = new boolean[(int) lastEnd];
        for (Object[] p : pieces) {
            int off = (int) (long) (Long) p[0];
            byte[] raw = (byte[]) p[1];
            int end = (int) Math.min(off + (long) raw.length, lastEnd);
            // buf[off:end] = raw[:end - off]
            int take = end - off >= 0 ? end - off : Math.max(0, raw.length + (end - off));
            int start = Math.min(off, buf.size());
            int stop = Math.max(start, Math.min(end, buf.size()));
            List<Byte> value = new ArrayList<>(take);
            for (int j = 0; j < take; j++) value.add(raw[j]);
            buf.subList(start, stop).clear();
            buf.addAll(start, value);
            for (int j = off; j < end; j++) have[j] = true;
        }
        for (boolean h : have) if (!h) return null;
        byte[] out = new byte[buf.size()];
        for (int j = 0; j < out.length; j++) out[j] = buf.get(j);
        return out;
    }

    // ------------------------------------------------------------------ bytes

    static boolean isFragment(Map<?, ?> ip) {
        return num(ip, "mf") != 0 || num(ip, "frag_offset") != 0;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> child(Map<String, Object> d, String key) {
        return d.get(key) instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
    }

    private static long num(Map<?, ?> m, String key) {
        return ((Number) m.get(key)).longValue();
    }

    /** The Internet checksum (RFC 1071) over data, the checksum field included, comes out as 0xffff. */
    static boolean onesSumOk(byte[] data) {
        long sum = 0;
        for (int i = 0; i + 1 < data.length; i += 2) sum += u16(data, i);
        if (data.length % 2 == 1) sum += u8(data, data.length - 1) << 8;
        while ((sum >> 16) != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return ((~sum) & 0xFFFF) == 0;
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    private static boolean anyNonZero(byte[] b) {
        for (byte x : b) if (x != 0) return true;
        return false;
    }

    /** b[from:to] with the clamping of a slice: never throws, empty when to &lt;= from. */
    static byte[] slice(byte[] b, int from, int to) {
        int f = Math.max(0, Math.min(from, b.length));
        int t = Math.max(f, Math.min(to, b.length));
        return Arrays.copyOfRange(b, f, t);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static int u8(byte[] b, int i) {
        return b[i] & 0xFF;
    }

    private static int u16(byte[] b, int i) {
        return (u8(b, i) << 8) | u8(b, i + 1);
    }

    private static long u32(byte[] b, int i) {
        return ((long) u16(b, i) << 16) | u16(b, i + 2);
    }

    static String hex(byte[] b) {
        return HEX.formatHex(b);
    }

    private static String mac(byte[] b, int at) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            if (i > 0) s.append(':');
            s.append(String.format("%02x", u8(b, at + i)));
        }
        return s.toString();
    }

    private static String ip4(byte[] b, int at) {
        return u8(b, at) + "." + u8(b, at + 1) + "." + u8(b, at + 2) + "." + u8(b, at + 3);
    }

    private static byte[] ip4Bytes(String dotted) {
        String[] p = dotted.split("\\.");
        return new byte[] {(byte) Integer.parseInt(p[0]), (byte) Integer.parseInt(p[1]), (byte) Integer.parseInt(p[2]),
                (byte) Integer.parseInt(p[3])};
    }

    /**
     * An IPv6 address as glibc's inet_ntop writes it: groups in lowercase hex without leading
     * zeros, the first longest run of two or more zero groups as "::", and the last 32 bits
     * dotted for IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) addresses.
     */
    static String ip6(byte[] b, int at) {
        int[] words = new int[8];
        for (int i = 0; i < 8; i++) words[i] = u16(b, at + 2 * i);
        int bestBase = -1;
        int bestLen = 0;
        int curBase = -1;
        int curLen = 0;
        for (int i = 0; i < 8; i++) {
            if (words[i] == 0) {
                if (curBase == -1) {
                    curBase = i;
                    curLen = 1;
                } else {
                    curLen++;
                }
            } else if (curBase != -1) {
                if (bestBase == -1 || curLen > bestLen) {
                    bestBase = curBase;
                    bestLen = curLen;
                }
                curBase = -1;
            }
        }
        if (curBase != -1 && (bestBase == -1 || curLen > bestLen)) {
            bestBase = curBase;
            bestLen = curLen;
        }
        if (bestBase != -1 && bestLen < 2) bestBase = -1;
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (bestBase != -1 && i >= bestBase && i < bestBase + bestLen) {
                if (i == bestBase) s.append(':');
                continue;
            }
            if (i != 0) s.append(':');
            if (i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && words[5] == 0xffff))) {
                s.append(ip4(b, at + 12));
                break;
            }
            s.append(Integer.toHexString(words[i]));
        }
        if (bestBase != -1 && bestBase + bestLen == 8) s.append(':');
        return s.toString();
    }
}
