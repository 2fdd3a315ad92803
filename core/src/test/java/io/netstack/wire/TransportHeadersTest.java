package io.netstack.wire;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Byte-literal tests of the ICMP, UDP and TCP header views (fixtures from the conformance frames). */
class TransportHeadersTest {

    static byte[] hex(String h) { return HexFormat.of().parseHex(h); }

    static final int PEER = Inet.parse("192.0.2.1");
    static final int US = Inet.parse("192.0.2.2");

    /** The echo reply of scenario icmp-echo-request (ICMP part). */
    static final byte[] ECHO_REPLY = hex("0000087500770001000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637");
    /** The UDP datagram of scenario udp-delivered-bound-port. */
    static final byte[] UDP_HELLO = hex("9c4014e9000d86d468656c6c6f");
    /** The SYN of scenario tcp-syn-listening-port-synack. */
    static final byte[] TCP_SYN = hex("9c400050000003e800000000a002faf024ab0000020405b40402080a000003e80000000001030307");

    @Test
    void icmpDeconstructAndChecksum() {
        IcmpHeader h = new IcmpHeader(ECHO_REPLY, 0);
        assertThat(h.type()).isEqualTo(IcmpHeader.ICMP_ECHOREPLY);
        assertThat(h.code()).isZero();
        assertThat(h.checksum()).isEqualTo(0x0875);
        assertThat(h.id()).isEqualTo(0x77);
        assertThat(h.sequence()).isEqualTo(1);
        byte[] copy = ECHO_REPLY.clone();
        new IcmpHeader(copy, 0).fillChecksum(copy.length);
        assertThat(copy).isEqualTo(ECHO_REPLY);
    }

    /** icmp_pointers[].error */
    @Test
    void icmpErrorTypes() {
        assertThat(List.of(0, 8, 13, 14, 15, 16, 17, 18)).allMatch(t -> !IcmpHeader.isError(t));
        assertThat(List.of(1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 19, 99)).allMatch(IcmpHeader::isError);
    }

    @Test
    void udpDeconstructAndChecksum() {
        UdpHeader h = new UdpHeader(UDP_HELLO, 0);
        assertThat(h.source()).isEqualTo(40000);
        assertThat(h.dest()).isEqualTo(5353);
        assertThat(h.length()).isEqualTo(13);
        assertThat(h.check()).isEqualTo(0x86d4);
        assertThat(h.checksumOk(PEER, US, 13)).isTrue();
        assertThat(h.checksumOk(PEER, Inet.parse("192.0.2.3"), 13)).isFalse();
        byte[] copy = UDP_HELLO.clone();
        new UdpHeader(copy, 0).fillChecksum(PEER, US, 13);
        assertThat(copy).isEqualTo(UDP_HELLO);
        // A zero checksum means none (RFC 768).
        byte[] none = UDP_HELLO.clone();
        new UdpHeader(none, 0).setCheck(0);
        assertThat(new UdpHeader(none, 0).checksumOk(PEER, US, 13)).isTrue();
    }

    @Test
    void tcpDeconstruct() {
        TcpHeader h = new TcpHeader(TCP_SYN, 0);
        assertThat(h.source()).isEqualTo(40000);
        assertThat(h.dest()).isEqualTo(80);
        assertThat(h.seq()).isEqualTo(1000);
        assertThat(h.ackSeq()).isZero();
        assertThat(h.doff()).isEqualTo(10);
        assertThat(h.syn()).isTrue();
        assertThat(h.ack() || h.rst() || h.fin()).isFalse();
        assertThat(h.window()).isEqualTo(64240);
        assertThat(InetChecksum.transport(PEER, US, 6, TCP_SYN, 0, TCP_SYN.length)).isZero();
    }

    @Test
    void tcpOptionsParse() {
        List<TcpHeader.Option> o = new TcpHeader(TCP_SYN, 0).options();
        assertThat(o).extracting(TcpHeader.Option::kind).containsExactly(2, 4, 8, 1, 3);
        assertThat(o.get(0).data()).isEqualTo(hex("05b4"));
        assertThat(o.get(2).data()).isEqualTo(hex("000003e800000000"));
        assertThat(o.get(4).data()).isEqualTo(hex("07"));
    }

    /** tcp_parse_options stops at a length below 2 or past the header. */
    @Test
    void tcpOptionsMalformed() {
        byte[] b = TCP_SYN.clone();
        b[21] = 1; // MSS with length 1
        assertThat(new TcpHeader(b, 0).options()).isEmpty();
        byte[] c = TCP_SYN.clone();
        c[38] = 9; // WScale length running past the header
        assertThat(new TcpHeader(c, 0).options()).extracting(TcpHeader.Option::kind).containsExactly(2, 4, 8, 1);
    }

    @Test
    void tcpConstruct() {
        byte[] b = new byte[20];
        TcpHeader h = new TcpHeader(b, 0);
        h.setSource(80);
        h.setDest(40000);
        h.setSeq(0xbde31);
        h.setDoff(5);
        h.setFlags(TcpHeader.RST);
        h.fillChecksum(US, PEER, 20);
        // The RST of scenario tcp-ack-no-connection-rst.
        assertThat(b).isEqualTo(hex("00509c40000bde310000000050040000b10f0000"));
    }
}
