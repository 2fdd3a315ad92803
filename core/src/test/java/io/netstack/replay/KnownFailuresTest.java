package io.netstack.replay;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class KnownFailuresTest {

    private static final String LIST = """
            # scenarios not passing yet
            icmp-echo-request
              udp-bad-checksum   # trailing comment

            """;

    @Test
    void parsesNamesSkippingCommentsAndBlankLines() {
        assertThat(KnownFailures.parse(LIST).names()).containsExactlyInAnyOrder("icmp-echo-request", "udp-bad-checksum");
    }

    @Test
    void theListOnlyShrinks() {
        KnownFailures k = KnownFailures.parse(LIST);
        assertThat(k.outcome("arp-request-for-our-address", true)).isEqualTo(KnownFailures.Outcome.PASS);
        assertThat(k.outcome("arp-request-for-our-address", false)).isEqualTo(KnownFailures.Outcome.NEW_FAILURE);
        assertThat(k.outcome("icmp-echo-request", false)).isEqualTo(KnownFailures.Outcome.KNOWN_FAILURE);
        assertThat(k.outcome("icmp-echo-request", true)).isEqualTo(KnownFailures.Outcome.NOW_PASSES);
    }
}
