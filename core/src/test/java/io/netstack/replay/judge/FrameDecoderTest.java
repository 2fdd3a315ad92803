package io.netstack.replay.judge;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The decoder on hand-made frames: the layouts of conformance/README.md "decoded". */
class FrameDecoderTest {

    static final HexFormat HEX = HexFormat.of();

    static byte[] bytes(String hex) {
        return HEX.parseHex(hex.replace(" ", ""));
    }

    /** Writes the Internet checksum of b[from, to) at b[at] (the field zero before). */
    static void checksum(byte[] b, int from, int to, int at, byte[] pseudo) {
        long sum = 0;
        byte[] all = new byte[pseudo.length + (to - from)];
        System.arraycopy(pseudo, 0, all, 0, pseudo.length);
        System.arraycopy(b, from, all, pseudo.length, to - from);
        for (int i = 0; i < all.length; i += 2) sum += ((all[i] & 0xff) << 8) | (i + 1 < all.length ? all[i + 1] & 0xff : 0);
        while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
        int c = (int) (~sum & 0xffff);
        b[at] = (byte) (c >> 8);
        b[at + 1] = (byte) c;
    }

    @Test
    void anArpRequestWithPaddingKeepsEveryByte() {
        Map<String, Object> d = FrameDecoder.decodeFrame(bytes("ffffffffffff 020000000099 0806 0001 0800 06 04 0001"
                + " 020000000099 c0000201 000000000000 c0000202 0000"));
        assertThat(d.keySet()).containsExactly("eth", "arp", "padding");
        assertThat(d.get("arp")).isEqualTo(Map.of("htype", 1L, "ptype", 2048L, "hlen", 6L, "plen", 4L, "op", 1L,
                "sha", "02:00:00:00:00:99", "spa", "192.0.2.1", "tha", "00:00:00:00:00:00", "tpa", "192.0.2.2"));
        assertThat(d.get("padding")).isEqualTo("0000");
    }

    @Test
    void vlanTagsAreListedAndTheFrameUnderThemDecoded() {
        Map<String, Object> d = FrameDecoder.decodeFrame(bytes("020000000001 020000000099 8100 a00a 88b5 0102"));
        assertThat(d.get("vlan")).isEqualTo(List.of(Map.of("pcp", 5L, "dei", 0L, "vid", 10L, "type", 0x88b5L)));
        assertThat(d.get("payload")).isEqualTo("0102");
        assertThat(FrameDecoder.decodeFrame(bytes("0200000000")).get("truncated")).isEqualTo("0200000000");
    }

    @Test
    void aTcpSynAckHasItsOptionsByKindAndItsChecksumChecked() {
        byte[] f = bytes("020000000099 020000000001 0800"
                + " 4500 0040 0000 4000 4006 0000 c0000202 c0000201"
                + " 0050 9c40 00000064 000003e9 b0 12 faf0 0000 0000"
                + " 020405b4 0402 080a 0000000a 00000005 01 030307 00000000");
        checksum(f, 14, 34, 24, new byte[0]);
        checksum(f, 34, f.length, 50, bytes("c0000202 c0000201 0006 002c"));
        Map<?, ?> tcp = (Map<?, ?>) FrameDecoder.decodeFrame(f).get("tcp");
        assertThat(tcp.get("flags")).isEqualTo("SA");
        assertThat(tcp.get("checksum_valid")).isEqualTo(true);
        assertThat(tcp.get("options")).isEqualTo(List.of(Map.of("kind", "MSS", "value", 1460L), Map.of("kind", "SAckOK"),
                Map.of("kind", "Timestamp", "tsval", 10L, "tsecr", 5L), Map.of("kind", "NOP"),
                Map.of("kind", "WScale", "value", 7L), Map.of("kind", "EOL")));
        assertThat(tcp.get("payload")).isEqualTo("");
        f[f.length - 3] = 1; // a byte after EOL: kept as the option's rest, and the checksum no longer holds
        Map<?, ?> changed = (Map<?, ?>) FrameDecoder.decodeFrame(f).get("tcp");
        assertThat(changed.get("checksum_valid")).isEqualTo(false);
        assertThat(((List<?>) changed.get("options")).get(5)).isEqualTo(Map.of("kind", "EOL", "rest", "010000"));
    }

    @Test
    void anIcmpErrorQuotesThePacketItIsAbout() {
        byte[] f = bytes("020000000099 020000000001 0800"
                + " 4500 0039 0000 0000 4001 0000 c0000202 c0000201"
                + " 0303 0000 00000000"
                + " 4500 0021 0001 0000 4011 0000 c0000201 c0000202 9c40 270f 000d 0000 68");
        checksum(f, 14, 34, 24, new byte[0]);
        checksum(f, 34, f.length, 36, new byte[0]);
        Map<?, ?> icmp = (Map<?, ?>) FrameDecoder.decodeFrame(f).get("icmp");
        assertThat(icmp.get("checksum_valid")).isEqualTo(true);
        assertThat(icmp.get("next_hop_mtu")).isEqualTo(0L);
        Map<?, ?> quoted = (Map<?, ?>) icmp.get("quoted");
        assertThat(((Map<?, ?>) quoted.get("ipv4")).get("checksum_valid")).isEqualTo(false);
        assertThat(((Map<?, ?>) quoted.get("udp")).get("dport")).isEqualTo(9999L);
        assertThat(((Map<?, ?>) quoted.get("udp")).get("checksum_valid")).as("a UDP checksum of 0 over IPv4 is none").isEqualTo(true);
    }

    @Test
    void aFragmentedDatagramIsCheckedOverItsReassembledBytes() {
        // UDP 192.0.2.1:1 -> 192.0.2.2:2, 16 bytes of data, in two fragments of 16 and 8 bytes.
        byte[] udp = bytes("0001 0002 0018 0000 00112233445566778899aabbccddeeff");
        checksum(udp, 0, udp.length, 6, bytes("c0000201 c0000202 0011 0018"));
        byte[] first = frag(udp, 0, 16, true);
        byte[] second = frag(udp, 16, 24, false);
        List<Map<String, Object>> d = FrameDecoder.decodeFrames(List.of(first, second));
        assertThat(((Map<?, ?>) d.get(0).get("udp")).get("checksum_valid")).isEqualTo(true);
        assertThat(d.get(1).get("payload")).isEqualTo("8899aabbccddeeff");
        assertThat(((Map<?, ?>) FrameDecoder.decodeFrames(List.of(first)).get(0).get("udp")).get("checksum_valid"))
                .as("alone, the first fragment cannot prove its checksum").isNull();
    }

    private static byte[] frag(byte[] payload, int from, int to, boolean more) {
        byte[] f = new byte[14 + 20 + (to - from)];
        System.arraycopy(bytes("020000000099 020000000001 0800"), 0, f, 0, 14);
        int frag = (more ? 0x2000 : 0) | (from / 8);
        System.arraycopy(bytes("4500" + String.format("%04x", 20 + to - from) + "0007" + String.format("%04x", frag)
                + "4011 0000 c0000201 c0000202"), 0, f, 14, 20);
        checksum(f, 14, 34, 24, new byte[0]);
        System.arraycopy(payload, from, f, 34, to - from);
        return f;
    }

    @Test
    void anIpv6NeighbourSolicitationHasItsTargetAndOptions() {
        byte[] f = bytes("3333ff000002 020000000099 86dd"
                + " 6000 0000 0020 3a ff fe800000000000000000000000000099 ff0200000000000000000001ff000002"
                + " 8700 0000 00000000 20010db8000000000000000000000002 0101 020000000099");
        checksum(f, 54, f.length, 56, bytes("fe800000000000000000000000000099 ff0200000000000000000001ff000002 00000020 0000003a"));
        Map<String, Object> d = FrameDecoder.decodeFrame(f);
        assertThat(((Map<?, ?>) d.get("ipv6")).get("src")).isEqualTo("fe80::99");
        assertThat(((Map<?, ?>) d.get("ipv6")).get("dst")).isEqualTo("ff02::1:ff00:2");
        Map<?, ?> icmp = (Map<?, ?>) d.get("icmpv6");
        assertThat(icmp.get("checksum_valid")).isEqualTo(true);
        assertThat(icmp.get("target")).isEqualTo("2001:db8::2");
        assertThat(icmp.get("options")).isEqualTo(List.of(Map.of("type", 1L, "length", 1L, "lladdr", "02:00:00:00:00:99")));
    }

    @Test
    void ipv6AddressesAreWrittenAsInetNtopWritesThem() {
        assertThat(ip6("00000000000000000000000000000000")).isEqualTo("::");
        assertThat(ip6("00000000000000000000000000000001")).isEqualTo("::1");
        assertThat(ip6("00000000000000000000ffffc0000201")).isEqualTo("::ffff:192.0.2.1");
        assertThat(ip6("000000000000000000000000c0000201")).isEqualTo("::192.0.2.1");
        assertThat(ip6("20010db8000000010000000000000001")).isEqualTo("2001:db8:0:1::1");
        assertThat(ip6("20010db8000000000001000000000001")).as("the first of two equal runs").isEqualTo("2001:db8::1:0:0:1");
        assertThat(ip6("20010db8000100010001000100010001")).isEqualTo("2001:db8:1:1:1:1:1:1");
        assertThat(ip6("20010db8000000010001000100010000")).as("one zero group is not compressed").isEqualTo("2001:db8:0:1:1:1:1:0");
        assertThat(ip6("fe800000000000000000000000000000")).isEqualTo("fe80::");
    }

    private static String ip6(String hex) {
        return FrameDecoder.ip6(bytes(hex), 0);
    }
}
