package io.netstack.net.ethernet;

import io.netstack.config.HostConfig;
import io.netstack.skb.PktType;
import io.netstack.skb.SkBuff;
import io.netstack.wire.EthernetHeader;
import io.netstack.wire.MacAddress;

/**
 * net/ethernet/eth.c: the Ethernet part of receiving a frame, and the EtherTypes of
 * include/uapi/linux/if_ether.h that the stack dispatches on.
 */
public final class Eth {
    private Eth() {}

    /** ETH_P_802_3: the "protocol" of a Novell raw 802.3 frame (payload starts 0xFFFF). */
    public static final int ETH_P_802_3 = 0x0001;
    /** ETH_P_802_2: the "protocol" of an 802.3 frame with an 802.2 LLC header. */
    public static final int ETH_P_802_2 = 0x0004;
    public static final int ETH_P_IP = 0x0800;
    public static final int ETH_P_ARP = 0x0806;
    public static final int ETH_P_8021Q = 0x8100;
    public static final int ETH_P_IPV6 = 0x86DD;
    public static final int ETH_P_8021AD = 0x88A8;
    /** ETH_P_802_3_MIN: h_proto values below this are 802.3 lengths. */
    public static final int ETH_P_802_3_MIN = 0x0600;

    /** eth_proto_is_802_3, include/linux/etherdevice.h: is h_proto an EtherType (not a length)? */
    public static boolean ethProtoIs8023(int proto) {
        // The kernel compares only the high byte: (proto & 0xFF00) >= 0x0600.
        return (proto & 0xff00) >= ETH_P_802_3_MIN;
    }

    /** eth_type_vlan, include/linux/if_vlan.h: 802.1Q or 802.1ad TPID. */
    public static boolean ethTypeVlan(int proto) {
        return proto == ETH_P_8021Q || proto == ETH_P_8021AD;
    }

    /**
     * eth_type_trans, net/ethernet/eth.c: sets skb->dev, resets the MAC header, pulls the
     * 14-byte Ethernet header, classifies pkt_type from the destination MAC and returns the
     * protocol. The caller has made sure 14 bytes are there (veth_xmit's pskb_may_pull).
     *
     * <p>IFF_PROMISC plays no part here: the kernel classifies a frame for another unicast
     * MAC as PACKET_OTHERHOST whether or not the device is promiscuous (promiscuity only
     * opens a hardware MAC filter, which veth does not have), and ip_rcv_core then drops it.
     */
    public static int ethTypeTrans(SkBuff skb, HostConfig.Interface dev) {
        skb.setDev(dev.name());
        skb.resetMacHeader();
        // 1. eth_skb_pull_mac: the header is behind data from here on (mac_header points at it).
        skb.pull(EthernetHeader.LENGTH);
        EthernetHeader eth = EthernetHeader.unchecked(skb.head(), skb.macHeader());
        // 2. eth_skb_pkt_type: only a frame not for our address is reclassified.
        skb.setPktType(ethSkbPktType(eth.dst(), dev.mac()));
        // 3. (netdev_uses_dsa: no DSA switch here.) An EtherType is the protocol as it is.
        int proto = eth.proto();
        if (ethProtoIs8023(proto)) return proto;
        // 4. An 802.3 length: a raw 802.3 (Novell IPX) frame starts with 0xFFFF, which no
        //    802.2 LLC SAP uses; anything else is taken as 802.2 LLC. skb_header_pointer
        //    fails on fewer than 2 bytes, which then counts as LLC as well.
        if (skb.len() >= 2 && skb.u16(skb.data()) == 0xFFFF) return ETH_P_802_3;
        return ETH_P_802_2;
    }

    /** eth_skb_pkt_type, include/linux/etherdevice.h: PACKET_HOST unless the frame is not for dev_addr. */
    public static PktType ethSkbPktType(MacAddress dst, MacAddress devAddr) {
        if (dst.equals(devAddr)) return PktType.PACKET_HOST;
        if (dst.isMulticast()) {
            // dev->broadcast is ff:ff:ff:ff:ff:ff on Ethernet (ether_setup).
            return dst.isBroadcast() ? PktType.PACKET_BROADCAST : PktType.PACKET_MULTICAST;
        }
        return PktType.PACKET_OTHERHOST;
    }
}
