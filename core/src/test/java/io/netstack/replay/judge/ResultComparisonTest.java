package io.netstack.replay.judge;

import io.netstack.replay.Judge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The built-in judge on small hand-made results: each rule of conformance/README.md "Judging"
 * and the wording of its lines. Needs nothing outside the repository.
 */
class ResultComparisonTest {

    /** The ICMP part of an echo reply: id 1, seq 1, 56 bytes of data 0x00..0x37, checksum valid. */
    private static String echoIcmp() {
        byte[] icmp = new byte[64];
        icmp[4] = 0;
        icmp[5] = 1;
        icmp[6] = 0;
        icmp[7] = 1;
        for (int i = 0; i < 56; i++) icmp[8 + i] = (byte) i;
        int sum = 0;
        for (int i = 0; i < icmp.length; i += 2) sum += ((icmp[i] & 0xff) << 8) | (icmp[i + 1] & 0xff);
        while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
        int cks = ~sum & 0xffff;
        icmp[2] = (byte) (cks >> 8);
        icmp[3] = (byte) cks;
        return java.util.HexFormat.of().formatHex(icmp);
    }

    static String ipv4Header(int id, boolean validChecksum) {
        byte[] h = java.util.HexFormat.of().parseHex("450000540000400040010000c0000202c0000201");
        h[4] = (byte) (id >> 8);
        h[5] = (byte) id;
        int sum = 0;
        for (int i = 0; i < 20; i += 2) sum += ((h[i] & 0xff) << 8) | (h[i + 1] & 0xff);
        while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
        int cks = (~sum & 0xffff) ^ (validChecksum ? 0 : 1);
        h[10] = (byte) (cks >> 8);
        h[11] = (byte) cks;
        return java.util.HexFormat.of().formatHex(h);
    }

    /** An echo reply from 192.0.2.2 to 192.0.2.1 with IPv4 id {@code id}, DF set. */
    static String echoReply(int id, boolean validChecksum) {
        return "020000000099" + "020000000001" + "0800" + ipv4Header(id, validChecksum) + echoIcmp();
    }

    static Map<String, Object> json(String text) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) JsonValues.normalize(JsonMapper.builder().build().readValue(text, Object.class));
        return m;
    }

    static String result(String frameHex, String counters, String sockets, String extra) {
        return "{\"reference\": \"x\", \"transmitted\": [" + (frameHex == null ? "" : "{\"iface\": \"eth0\", \"hex\": \"" + frameHex + "\"}")
                + "], \"counters\": {" + counters + "}, \"links\": {\"eth0\": {\"rx_packets\": 1, \"tx_packets\": 1}},"
                + " \"sockets\": [" + sockets + "]" + extra + "}";
    }

    static final String VOLATILE = ", \"volatile\": [\"transmitted[0].decoded.ipv4.id\", \"transmitted[0].decoded.ipv4.checksum\"]";
    static final String UDP_SOCKET = "{\"proto\": \"udp\", \"bind\": \"0.0.0.0:7\", \"received\": [{\"from\": \"192.0.2.1:40000\", \"hex\": \"%s\"}]}";

    static List<String> diff(String reference, String candidate) {
        return ResultComparison.differences(json(reference), json(candidate));
    }

    @Test
    void aResultEqualToTheReferencePasses() {
        String r = result(echoReply(0x1234, true), "\"IcmpInEchos\": 1", String.format(UDP_SOCKET, "6869"), VOLATILE);
        assertThat(diff(r, r)).isEmpty();
    }

    @Test
    void aVolatileFieldMayDifferButItsChecksumMustStillBeValid() {
        String ref = result(echoReply(0x1234, true), "", "", VOLATILE);
        assertThat(diff(ref, result(echoReply(0x4321, true), "", "", ""))).isEmpty();
        assertThat(diff(ref, result(echoReply(0x4321, false), "", "", "")))
                .containsExactly("transmitted[0].decoded.ipv4.checksum_valid: reference true != candidate false");
    }

    @Test
    void withoutVolatileFieldsTheDifferingFieldIsNamed() {
        String ref = result(echoReply(0x1234, true), "", "", "");
        List<String> d = diff(ref, result(echoReply(0x1235, true), "", "", ""));
        assertThat(d).contains("transmitted[0].decoded.ipv4.id: reference 4660 != candidate 4661");
        assertThat(d).anyMatch(l -> l.startsWith("transmitted[0].decoded.ipv4.checksum: reference "));
    }

    @Test
    void aDifferentMacIsNamedAndTheInterfaceToo() {
        String ref = result(echoReply(0x1234, true), "", "", VOLATILE);
        String cand = result(echoReply(0x1234, true).replaceFirst("^020000000099", "020000000098"), "", "", "")
                .replace("\"iface\": \"eth0\"", "\"iface\": \"eth1\"");
        assertThat(diff(ref, cand)).containsExactly(
                "transmitted[0].iface: reference eth0 != candidate eth1",
                "transmitted[0].decoded.eth.dst: reference \"02:00:00:00:00:99\" != candidate \"02:00:00:00:00:98\"");
    }

    @Test
    void missingAndExtraFramesAreCountedAndShown() {
        String frame = echoReply(0x1234, true);
        String ref = result(frame, "", "", "");
        assertThat(diff(ref, result(null, "", "", ""))).containsExactly(
                "transmitted: reference has 1 frame(s), candidate 0",
                "transmitted[0]: missing in candidate (eth0: " + frame + ")");
        assertThat(diff(result(null, "", "", ""), ref)).containsExactly(
                "transmitted: reference has 0 frame(s), candidate 1",
                "transmitted[0]: extra in candidate (eth0: " + frame + ")");
    }

    @Test
    void countersAreExactAndAMissingCounterIsZero() {
        String ref = result(null, "\"UdpNoPorts\": 1, \"IpInReceives\": 0", "", "");
        assertThat(diff(ref, result(null, "\"UdpNoPorts\": 1", "", ""))).isEmpty();
        assertThat(diff(ref, result(null, "\"IpInReceives\": 2", "", ""))).containsExactly(
                "counters.UdpNoPorts: reference 1 != candidate 0",
                "counters.IpInReceives: reference 0 != candidate 2");
    }

    @Test
    void linksAreExactPerInterfaceAndStatistic() {
        String ref = result(null, "", "", "");
        String cand = ref.replace("\"tx_packets\": 1}", "\"tx_packets\": 2, \"rx_dropped\": 0}, \"eth1\": {}");
        assertThat(diff(ref, cand)).containsExactly(
                "links.eth0.tx_packets: reference 1 != candidate 2",
                "links.eth1: not in reference");
        assertThat(diff(cand, ref)).containsExactly(
                "links.eth0.tx_packets: reference 2 != candidate 1",
                "links.eth1: missing in candidate");
    }

    @Test
    void socketsAreExact() {
        String ref = result(null, "", String.format(UDP_SOCKET, "6869"), "");
        assertThat(diff(ref, result(null, "", String.format(UDP_SOCKET, "6870"), ""))).containsExactly(
                "sockets[0].received[0].hex: reference \"6869\" != candidate \"6870\"");
        assertThat(diff(ref, result(null, "", "", ""))).containsExactly(
                "sockets[0]: missing in candidate (reference {\"proto\": \"udp\", \"bind\": \"0.0.0.0:7\", \"received\":"
                        + " [{\"from\": \"192.0.2.1:40000\", \"hex\": \"6869\"}]})");
        String eof = "{\"proto\": \"tcp\", \"listen\": \"0.0.0.0:80\", \"backlog\": 128, \"connections\": [{\"from\": \"a\", \"hex\": \"\", \"eof\": %s}]}";
        assertThat(diff(result(null, "", String.format(eof, "true"), ""), result(null, "", String.format(eof, "1"), "")))
                .as("true is not 1").containsExactly("sockets[0].connections[0].eof: reference true != candidate 1");
    }

    @Test
    void hexThatDecodesTheSameButIsWrittenDifferentlyIsStillADifference() {
        String frame = echoReply(0x1234, true);
        assertThat(diff(result(frame, "", "", ""), result(frame.toUpperCase(), "", "", "")))
                .containsExactly("transmitted[0].hex: frames differ (" + frame + " != " + frame.toUpperCase() + ")");
    }

    @TempDir
    Path tmp;

    @Test
    void theBuiltInJudgeGivesAVerdictOrSaysWhyItCannot() throws IOException {
        Path scenario = Files.createDirectories(tmp.resolve("s"));
        Path candidate = tmp.resolve("result.json");
        Files.writeString(candidate, result(null, "\"UdpNoPorts\": 1", "", ""));
        assertThat(Judge.builtIn().judge(scenario, candidate).status()).isEqualTo(Judge.Status.ERROR);

        Files.writeString(scenario.resolve("expected.json"), result(null, "\"UdpNoPorts\": 1", "", ""));
        assertThat(Judge.builtIn().judge(scenario, candidate).passed()).isTrue();

        Files.writeString(candidate, result(null, "", "", ""));
        Judge.Verdict fail = Judge.builtIn().judge(scenario, candidate);
        assertThat(fail.status()).isEqualTo(Judge.Status.FAIL);
        assertThat(fail.differences()).containsExactly("counters.UdpNoPorts: reference 1 != candidate 0");

        Files.writeString(candidate, result("0200zz", "", "", ""));
        Judge.Verdict error = Judge.builtIn().judge(scenario, candidate);
        assertThat(error.status()).isEqualTo(Judge.Status.ERROR);
        assertThat(error.differences().get(0)).contains("is not hex");
    }

    @Test
    void jsonIsWrittenAsTheReferenceJudgeWritesIt() {
        assertThat(JsonValues.dumps(json("{\"a\": [1, 2.5, true, null, \"\\u00e9\\n\"], \"b\": {}}")))
                .isEqualTo("{\"a\": [1, 2.5, true, null, \"\\u00e9\\n\"], \"b\": {}}");
        assertThat(JsonValues.str(true)).isEqualTo("True");
        assertThat(JsonValues.str(null)).isEqualTo("None");
        assertThat(JsonValues.floatRepr(1e16)).isEqualTo("1e+16");
        assertThat(JsonValues.floatRepr(0.0001)).isEqualTo("0.0001");
        assertThat(JsonValues.floatRepr(0.00001)).isEqualTo("1e-05");
        assertThat(JsonValues.floatRepr(3.0)).isEqualTo("3.0");
    }
}
