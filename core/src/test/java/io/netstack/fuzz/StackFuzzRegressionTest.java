package io.netstack.fuzz;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * Frames that once made the stack throw or lose an skb (from {@link StackFuzzTest}'s
 * failure messages), and the edge cases every parser has to survive. Each runs alone
 * through a fresh stack, then the timers run out, then the books must add up.
 */
class StackFuzzRegressionTest {

    /** A frame to replay: what it is (or the fuzz seed and frame number it came from) and its bytes. */
    record Case(String name, String dev, String hex) {}

    static final List<Case> CASES = List.of(
            // From fuzz failures (name them "seed=<seed> #<frame>"): none yet.

            // Edge cases.
            new Case("empty frame", "eth0", ""),
            new Case("13 bytes: one short of an Ethernet header", "eth0", "02000000000102000000009908"),
            new Case("Ethernet header only, IPv4", "eth0", "0200000000010200000000990800"),
            new Case("Ethernet header only, ARP", "eth0", "0200000000010200000000990806"),
            new Case("VLAN TPID with no tag", "eth0", "0200000000010200000000998100"),
            new Case("VLAN tag, nothing after it", "eth0", "02000000000102000000009981000005"),
            new Case("two priority tags then IPv4 header only", "eth0", "020000000001020000000099810000008100000008004500"),
            new Case("IPv4 IHL 15 in a 20-byte packet", "eth0",
                    "0200000000010200000000990800" + "4f000014123400004011" + "0000c0000201c0000202"),
            new Case("IPv4 total length 0", "eth0",
                    "0200000000010200000000990800" + "450000001234000040110000c0000201c0000202" + "9c4014e900080000"),
            new Case("IPv4 total length 65535 in a short frame", "eth0",
                    "0200000000010200000000990800" + "4500ffff1234000040110000c0000201c0000202" + "9c4014e900080000"),
            new Case("UDP length 0", "eth0",
                    "0200000000010200000000990800" + "4500001c1234000040110000c0000201c0000202" + "9c4014e900000000"),
            new Case("TCP data offset 15 in a 20-byte segment", "eth0",
                    "0200000000010200000000990800" + "450000281234000040060000c0000201c0000202"
                            + "9c400050" + "00000001" + "00000000" + "f002" + "0200" + "0000" + "0000"),
            new Case("ICMP header cut to 2 bytes", "eth0",
                    "0200000000010200000000990800" + "450000161234000040010000c0000201c0000202" + "0800"),
            new Case("fragment at the largest offset with MF", "eth0",
                    "0200000000010200000000990800" + "4500002412343fff40110000c0000201c0000202" + "0000000000000000000000000000000000"),
            new Case("ARP with hlen 255", "eth0",
                    "ffffffffffff0200000000990806" + "00010800ff040001020000000099c0000201000000000000c0000202"),
            new Case("frame to a device the host has not", "eth9",
                    "0200000000010200000000990800" + "450000141234000040110000c0000201c0000202"),
            new Case("1600 bytes of 0xff", "eth0", "ff".repeat(1600)));

    @TestFactory
    Stream<DynamicTest> eachFrameGetsOneFateAndTheBooksAddUp() {
        return CASES.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            byte[] frame = HexFormat.of().parseHex(c.hex());
            FuzzStack fs = new FuzzStack(null);
            assertThatCode(() -> {
                fs.inject(0, c.dev(), frame, c.name());
                fs.settle();
            }).as("frame %s", c.hex()).doesNotThrowAnyException();
            assertThat(fs.violations()).as("frame %s", c.hex()).isEmpty();
            assertThat(fs.ledger.fates).as("fates").isGreaterThanOrEqualTo(1);
        }));
    }

    @org.junit.jupiter.api.Test
    void fixturesParseAsTheirNamesSay() {
        // The IPv4 cases carry what their names claim (a fixture that lost a nibble would test nothing).
        byte[] ihl15 = HexFormat.of().parseHex(CASES.get(7).hex());
        assertThat(ihl15[14] & 0x0f).isEqualTo(15);
        byte[] tcp = HexFormat.of().parseHex(CASES.get(11).hex());
        assertThat(tcp).hasSize(14 + 20 + 20);
        assertThat((tcp[14 + 20 + 12] & 0xf0) >>> 4).isEqualTo(15);
        byte[] frag = HexFormat.of().parseHex(CASES.get(13).hex());
        assertThat(((frag[14 + 6] & 0xff) << 8 | (frag[14 + 7] & 0xff))).isEqualTo(0x3fff);
    }
}
