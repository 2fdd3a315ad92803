package io.netstack.fuzz;

import io.netstack.pcap.PcapReader;
import io.netstack.pcap.PcapRecord;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.netstack.fuzz.Frames.*;

/**
 * The valid frames the mutations start from: every in-*.pcap frame of the conformance
 * scenarios, and frames built here for the host of fuzz/host.yaml (each kind the stack has a
 * path for: ARP, ICMP echo and errors, UDP, TCP, fragments, IP options, VLAN tags).
 */
final class SeedFrames {
    private SeedFrames() {}

    /** A seed frame and where it came from (printed with a failure). */
    record Seed(String name, byte[] frame) {}

    /**
     * The scenarios directory: -Dfuzz.scenarios, else the repository's conformance/public (the
     * public scenarios, in the clone) above the working directory.
     */
    static Path scenariosDir() {
        String prop = System.getProperty("fuzz.scenarios");
        if (prop != null && !prop.isBlank()) return Path.of(prop);
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path d = p.resolve("conformance/public");
            if (Files.isDirectory(d)) return d;
        }
        return null;
    }

    /** Every frame of every scenario's in-*.pcap; empty (with a line on System.out) if the directory is missing. */
    static List<Seed> fromScenarios(Path dir) {
        List<Seed> out = new ArrayList<>();
        if (dir == null || !Files.isDirectory(dir)) {
            System.out.println("[fuzz] scenario pcaps SKIPPED: no conformance/public directory found"
                    + " (set -Dfuzz.scenarios=<dir>); mutating built frames only");
            return out;
        }
        List<Path> pcaps;
        try (Stream<Path> s = Files.walk(dir, 2)) {
            pcaps = s.filter(p -> p.getFileName().toString().matches("in-.*\\.pcap")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + dir, e);
        }
        for (Path p : pcaps) {
            List<PcapRecord> records = PcapReader.read(p);
            for (int i = 0; i < records.size(); i++) {
                out.add(new Seed(dir.relativize(p) + "#" + i, records.get(i).frame()));
            }
        }
        System.out.println("[fuzz] " + out.size() + " seed frames from " + pcaps.size() + " scenario pcaps in " + dir);
        return out;
    }

    /** Frames built for the fuzz host, one or more of every kind. */
    static List<Seed> built() {
        List<Seed> s = new ArrayList<>();
        // ARP
        s.add(new Seed("arp-request-for-us", eth(BROADCAST_MAC, PEER_MAC, ETH_P_ARP,
                arp(1, PEER_MAC, PEER_IP, ZERO_MAC, OUR_IP))));
        s.add(new Seed("arp-reply-updates-stale", eth(OUR_MAC, OTHER_MAC, ETH_P_ARP,
                arp(2, OTHER_MAC, STALE_IP, OUR_MAC, OUR_IP))));
        s.add(new Seed("arp-gratuitous", eth(BROADCAST_MAC, OTHER_MAC, ETH_P_ARP,
                arp(1, OTHER_MAC, 0xc0000232, ZERO_MAC, 0xc0000232))));
        s.add(new Seed("arp-request-for-other", eth(BROADCAST_MAC, PEER_MAC, ETH_P_ARP,
                arp(1, PEER_MAC, PEER_IP, ZERO_MAC, 0xc0000263))));
        // ICMP
        byte[] ping = bytes(56, 0x10);
        s.add(new Seed("icmp-echo", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_ICMP, icmp(8, 0, 0x00420001, ping)))));
        s.add(new Seed("icmp-echo-broadcast", ipFrame(BROADCAST_MAC, ipv4(PEER_IP, SUBNET_BCAST, IPPROTO_ICMP, icmp(8, 0, 0x00430001, ping)))));
        s.add(new Seed("icmp-echo-offlink-src", ipFrame(OUR_MAC, ipv4(OFFLINK_IP, OUR_IP, IPPROTO_ICMP, icmp(8, 0, 0x00440002, new byte[0])))));
        s.add(new Seed("icmp-timestamp", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_ICMP, icmp(13, 0, 0x00450001, new byte[12])))));
        s.add(new Seed("icmp-echo-reply", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_ICMP, icmp(0, 0, 0x00460001, ping)))));
        byte[] ourUdp = ipv4(OUR_IP, PEER_IP, IPPROTO_UDP, udp(OUR_IP, PEER_IP, UDP_PORT, 40000, bytes(8, 0x61)));
        s.add(new Seed("icmp-port-unreachable-quoting-ours", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_ICMP,
                icmp(3, 3, 0, java.util.Arrays.copyOf(ourUdp, 28))))));
        byte[] ourTcp = ipv4(OUR_IP, OFFLINK_IP, IPPROTO_TCP, 0, IP_DF, 64, new byte[0],
                tcp(OUR_IP, OFFLINK_IP, TCP_PORT, 40001, 1000, 2000, TCP_ACK, 502, new byte[0], bytes(100, 0)));
        s.add(new Seed("icmp-frag-needed-quoting-ours", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_ICMP,
                icmp(3, 4, 576, java.util.Arrays.copyOf(ourTcp, 48))))));
        s.add(new Seed("icmp-time-exceeded", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_ICMP,
                icmp(11, 0, 0, java.util.Arrays.copyOf(ourUdp, 28))))));
        s.add(new Seed("icmp-redirect", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_ICMP,
                icmp(5, 1, STALE_IP, java.util.Arrays.copyOf(ourTcp, 28))))));
        s.add(new Seed("icmp-unknown-type", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_ICMP, icmp(42, 0, 0, bytes(8, 0))))));
        // UDP
        s.add(new Seed("udp-bound", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_UDP, udp(PEER_IP, OUR_IP, 40000, UDP_PORT, bytes(5, 0x68))))));
        s.add(new Seed("udp-unbound", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_UDP, udp(PEER_IP, OUR_IP, 40000, 9, bytes(5, 0x68))))));
        s.add(new Seed("udp-broadcast", ipFrame(BROADCAST_MAC, ipv4(PEER_IP, SUBNET_BCAST, IPPROTO_UDP, udp(PEER_IP, SUBNET_BCAST, 40000, UDP_PORT, bytes(5, 0x68))))));
        s.add(new Seed("udp-limited-broadcast", ipFrame(BROADCAST_MAC, ipv4(PEER_IP, 0xffffffff, IPPROTO_UDP, udp(PEER_IP, 0xffffffff, 68, 67, bytes(20, 0))))));
        byte[] noCsum = udp(PEER_IP, OUR_IP, 40000, UDP_PORT, bytes(3, 0x30));
        noCsum[6] = 0;
        noCsum[7] = 0;
        s.add(new Seed("udp-no-checksum", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_UDP, noCsum))));
        s.add(new Seed("udp-full-mtu", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_UDP, udp(PEER_IP, OUR_IP, 40000, UDP_PORT, bytes(1472, 7))))));
        s.add(new Seed("udp-multicast", eth(new byte[]{0x01, 0x00, 0x5e, 0, 0, (byte) 0xfb}, PEER_MAC, ETH_P_IP,
                ipv4(PEER_IP, 0xe00000fb, IPPROTO_UDP, udp(PEER_IP, 0xe00000fb, UDP_PORT, UDP_PORT, bytes(12, 0))))));
        // TCP
        s.add(new Seed("tcp-syn-listening", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_TCP, 0x0001, IP_DF, 64, new byte[0],
                tcp(PEER_IP, OUR_IP, 40000, TCP_PORT, 0x11223344, 0, TCP_SYN, 64240, SYN_OPTIONS, new byte[0])))));
        s.add(new Seed("tcp-syn-no-options", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_TCP,
                tcp(PEER_IP, OUR_IP, 40002, TCP_PORT, 7, 0, TCP_SYN, 1024, new byte[0], new byte[0])))));
        s.add(new Seed("tcp-syn-closed", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_TCP,
                tcp(PEER_IP, OUR_IP, 40003, 81, 0x55667788, 0, TCP_SYN, 64240, SYN_OPTIONS, new byte[0])))));
        s.add(new Seed("tcp-ack-no-connection", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_TCP,
                tcp(PEER_IP, OUR_IP, 40004, TCP_PORT, 1000, 5000, TCP_ACK, 502, new byte[0], new byte[0])))));
        s.add(new Seed("tcp-data-no-connection", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_TCP,
                tcp(PEER_IP, OUR_IP, 40005, TCP_PORT, 1000, 5000, TCP_ACK | TCP_PSH, 502, new byte[0], bytes(10, 0x41))))));
        s.add(new Seed("tcp-rst", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_TCP,
                tcp(PEER_IP, OUR_IP, 40006, TCP_PORT, 1000, 0, TCP_RST, 0, new byte[0], new byte[0])))));
        s.add(new Seed("tcp-fin-ack", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_TCP,
                tcp(PEER_IP, OUR_IP, 40007, TCP_PORT, 1000, 1, TCP_FIN | TCP_ACK, 502, new byte[0], new byte[0])))));
        s.add(new Seed("tcp-syn-fin", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_TCP,
                tcp(PEER_IP, OUR_IP, 40008, TCP_PORT, 1000, 0, TCP_SYN | TCP_FIN, 502, new byte[0], new byte[0])))));
        s.add(new Seed("tcp-syn-broadcast", ipFrame(BROADCAST_MAC, ipv4(PEER_IP, SUBNET_BCAST, IPPROTO_TCP,
                tcp(PEER_IP, SUBNET_BCAST, 40009, TCP_PORT, 1000, 0, TCP_SYN, 502, new byte[0], new byte[0])))));
        // fragments: a 3000-byte UDP datagram to the bound port, a 2000-byte echo, one out of order
        byte[] bigUdp = ipv4(PEER_IP, OUR_IP, IPPROTO_UDP, 0x7001, 0, 64, new byte[0],
                udp(PEER_IP, OUR_IP, 40010, UDP_PORT, bytes(3000, 3)));
        List<byte[]> udpFrags = fragment(bigUdp, 1480);
        for (int i = 0; i < udpFrags.size(); i++) s.add(new Seed("udp-frag-" + i, ipFrame(OUR_MAC, udpFrags.get(i))));
        byte[] bigPing = ipv4(PEER_IP, OUR_IP, IPPROTO_ICMP, 0x7002, 0, 64, new byte[0], icmp(8, 0, 0x00470001, bytes(2000, 9)));
        List<byte[]> pingFrags = fragment(bigPing, 1480);
        for (int i = pingFrags.size() - 1; i >= 0; i--) s.add(new Seed("icmp-frag-" + i, ipFrame(OUR_MAC, pingFrags.get(i))));
        List<byte[]> tiny = fragment(ipv4(PEER_IP, OUR_IP, IPPROTO_TCP, 0x7003, 0, 64, new byte[0],
                tcp(PEER_IP, OUR_IP, 40011, TCP_PORT, 1, 0, TCP_SYN, 502, SYN_OPTIONS, new byte[0])), 8);
        for (int i = 0; i < tiny.size(); i++) s.add(new Seed("tcp-tiny-frag-" + i, ipFrame(OUR_MAC, tiny.get(i))));
        s.add(new Seed("frag-last-at-max-offset", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_UDP, 0x7004, 0x1fff, 64,
                new byte[0], bytes(16, 0)))));
        // IP options: record route, router alert, timestamp, loose source route, garbage
        s.add(new Seed("ip-opt-record-route", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_ICMP, 0x7101, 0, 64,
                new byte[]{7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0}, icmp(8, 0, 0x00480001, ping)))));
        s.add(new Seed("ip-opt-router-alert", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_UDP, 0x7102, 0, 1,
                new byte[]{(byte) 148, 4, 0, 0}, udp(PEER_IP, OUR_IP, 40012, UDP_PORT, bytes(4, 0))))));
        s.add(new Seed("ip-opt-timestamp", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_ICMP, 0x7103, 0, 64,
                new byte[]{68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0}, icmp(8, 0, 0x00490001, ping)))));
        s.add(new Seed("ip-opt-lsrr", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_UDP, 0x7104, 0, 64,
                new byte[]{(byte) 131, 7, 4, (byte) 198, 51, 100, 7, 0}, udp(PEER_IP, OUR_IP, 40013, UDP_PORT, bytes(4, 0))))));
        s.add(new Seed("ip-opt-bad-length", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_UDP, 0x7105, 0, 64,
                new byte[]{7, (byte) 200, 4, 0}, udp(PEER_IP, OUR_IP, 40014, UDP_PORT, bytes(4, 0))))));
        // VLAN: a priority tag, a tag for a VLAN the host has not, QinQ
        byte[] udpBound = ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_UDP, udp(PEER_IP, OUR_IP, 40015, UDP_PORT, bytes(5, 0x68))));
        s.add(new Seed("vlan-priority-tag", tag(udpBound, ETH_P_8021Q, 0x6000)));
        s.add(new Seed("vlan-5", tag(udpBound, ETH_P_8021Q, 5)));
        s.add(new Seed("vlan-qinq", tag(tag(udpBound, ETH_P_8021Q, 7), ETH_P_8021AD, 100)));
        s.add(new Seed("vlan-priority-arp", tag(eth(BROADCAST_MAC, PEER_MAC, ETH_P_ARP, arp(1, PEER_MAC, PEER_IP, ZERO_MAC, OUR_IP)), ETH_P_8021Q, 0)));
        // other protocols and addresses
        s.add(new Seed("ipv6", eth(OUR_MAC, PEER_MAC, ETH_P_IPV6, concat(new byte[]{0x60, 0, 0, 0, 0, 8, 17, 64}, new byte[32], bytes(8, 0)))));
        s.add(new Seed("ip-igmp", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_IGMP, icmp(0x11, 100, 0, new byte[0])))));
        s.add(new Seed("ip-gre", ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, 47, bytes(24, 0)))));
        s.add(new Seed("ip-not-ours", ipFrame(OUR_MAC, ipv4(PEER_IP, OFFLINK_IP, IPPROTO_UDP, udp(PEER_IP, OFFLINK_IP, 40016, 53, bytes(8, 0))))));
        s.add(new Seed("ip-from-ourselves", ipFrame(OUR_MAC, ipv4(OUR_IP, OUR_IP, IPPROTO_UDP, udp(OUR_IP, OUR_IP, 40017, UDP_PORT, bytes(8, 0))))));
        s.add(new Seed("ip-from-loopback", ipFrame(OUR_MAC, ipv4(0x7f000001, OUR_IP, IPPROTO_UDP, udp(0x7f000001, OUR_IP, 40018, UDP_PORT, bytes(8, 0))))));
        s.add(new Seed("ip-to-loopback", ipFrame(OUR_MAC, ipv4(PEER_IP, 0x7f000001, IPPROTO_UDP, udp(PEER_IP, 0x7f000001, 40019, UDP_PORT, bytes(8, 0))))));
        s.add(new Seed("ip-ttl-1-not-ours", ipFrame(OUR_MAC, ipv4(PEER_IP, OFFLINK_IP, IPPROTO_ICMP, 0x7201, 0, 1, new byte[0], icmp(8, 0, 1, ping)))));
        s.add(new Seed("ip-padded", concat(ipFrame(OUR_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_UDP, udp(PEER_IP, OUR_IP, 40020, UDP_PORT, new byte[0]))), new byte[14])));
        s.add(new Seed("other-mac", ipFrame(OTHER_MAC, ipv4(PEER_IP, OUR_IP, IPPROTO_ICMP, icmp(8, 0, 0x004a0001, ping)))));
        s.add(new Seed("unknown-ethertype", eth(OUR_MAC, PEER_MAC, 0x88b5, bytes(46, 0))));
        s.add(new Seed("ieee8023-length", eth(OUR_MAC, PEER_MAC, 46, concat(new byte[]{(byte) 0xaa, (byte) 0xaa, 3, 0, 0, 0, 0x08, 0}, bytes(38, 0)))));
        return s;
    }
}
