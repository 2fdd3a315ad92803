package io.netstack.net.core;

import io.netstack.net.ethernet.Eth;
import io.netstack.skb.SkBuff;
import io.netstack.stack.LayerContext;
import io.netstack.wire.EthernetHeader;
import io.netstack.wire.VlanHeader;

/** net/core/skbuff.c and include/linux/if_vlan.h: the sk_buff operations the link layer needs. */
public final class Skbuff {
    private Skbuff() {}

    /** No tag could be taken off: the skb must be freed (skb_vlan_untag returned NULL). */
    public static final int UNTAG_FAILED = -1;

    /** ETH_TLEN: the length of h_proto. */
    private static final int ETH_TLEN = 2;

    /**
     * The time a per-packet decision reads (rate limits: icmp_global_allow, inet_peer_xrlim_allow,
     * ip_rt_send_redirect): skb->tstamp, when the frame arrived at the NIC. A real host decides
     * microseconds after arrival; the distributed stack tens of milliseconds later, so the
     * arrival time, not the visit's clock, keeps the decision the same. The visit's clock for
     * an skb with no stamp (one the stack built itself).
     */
    public static long arrivalNanos(SkBuff skb, LayerContext ctx) {
        return skb.tstamp() != 0 ? skb.tstamp() : ctx.nowNanos();
    }

    /**
     * skb_vlan_untag, net/core/skbuff.c: takes the 802.1Q/802.1ad tag at skb->data out of the
     * packet into the skb's tag (here: the return value, the TCI), as hardware VLAN
     * stripping would have.
     *
     * <ol>
     * <li>pskb_may_pull(VLAN_HLEN + 2): the tag and the two bytes after it
     *     (vlan_set_encap_proto may read them), else the skb is freed.
     * <li>The TCI is kept (__vlan_hwaccel_put_tag), the tag pulled (skb_pull_rcsum).
     * <li>vlan_set_encap_proto: skb->protocol becomes the encapsulated protocol.
     * <li>skb_reorder_vlan_header: the MAC addresses move 4 bytes up onto the tag, so the
     *     bytes at the new mac_header read as an untagged frame.
     * <li>network (and, if unset, transport) header reset to data.
     * </ol>
     *
     * @return the TCI (0..0xffff), or {@link #UNTAG_FAILED}
     */
    public static int skbVlanUntag(SkBuff skb) {
        // 1.
        if (!skb.mayPull(VlanHeader.LENGTH + 2)) return UNTAG_FAILED;
        // 2.
        VlanHeader vhdr = VlanHeader.unchecked(skb.head(), skb.data());
        int tci = vhdr.tci();
        int encapsulated = vhdr.encapsulatedProto();
        skb.pull(VlanHeader.LENGTH);
        // 3.
        skb.setProtocol(vlanSetEncapProto(skb, encapsulated));
        // 4.
        skbReorderVlanHeader(skb);
        // 5.
        skb.resetNetworkHeader();
        if (skb.transportHeader() < 0) skb.resetTransportHeader();
        return tci;
    }

    /** vlan_set_encap_proto, include/linux/if_vlan.h: the protocol after a tag, with eth_type_trans's 802.3 rules. */
    static int vlanSetEncapProto(SkBuff skb, int encapsulated) {
        if (Eth.ethProtoIs8023(encapsulated)) return encapsulated;
        // skb->data is past the tag now: a raw 802.3 frame starts 0xFFFF, else 802.2 LLC.
        return skb.u16(skb.data()) == 0xFFFF ? Eth.ETH_P_802_3 : Eth.ETH_P_802_2;
    }

    /**
     * skb_reorder_vlan_header, net/core/skbuff.c: moves the destination and source MAC up by
     * VLAN_HLEN over the tag and advances mac_header, leaving [dst][src][inner type] in front
     * of the data.
     */
    static void skbReorderVlanHeader(SkBuff skb) {
        int mac = skb.macHeader();
        int macLen = skb.data() - mac;
        if (macLen > VlanHeader.LENGTH + ETH_TLEN) {
            byte[] h = skb.head();
            System.arraycopy(h, mac, h, mac + VlanHeader.LENGTH, macLen - VlanHeader.LENGTH - ETH_TLEN);
        }
        skb.setMacHeader(mac + VlanHeader.LENGTH);
        assert skb.data() - skb.macHeader() <= EthernetHeader.LENGTH;
    }
}
