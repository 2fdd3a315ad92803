package io.netstack.wire;

import java.util.Optional;

/**
 * struct vlan_hdr, include/linux/if_vlan.h: the four bytes that follow an 802.1Q (0x8100) or
 * 802.1ad (0x88a8) TPID in h_proto. As in the kernel, the view starts after the TPID: at
 * skb->data once eth_type_trans has pulled the Ethernet header.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | PCP |D|         VID           |  encapsulated proto           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   h_vlan_TCI (IEEE 802.1Q-2018 9.6)  h_vlan_encapsulated_proto
 * </pre>
 */
public final class VlanHeader {

    public static final int TCI = 0;
    public static final int ENCAPSULATED_PROTO = 2;
    /** VLAN_HLEN */
    public static final int LENGTH = 4;
    /** VLAN_VID_MASK */
    public static final int VID_MASK = 0x0fff;
    /** VLAN_CFI_MASK (the DEI bit) */
    public static final int DEI_MASK = 0x1000;
    /** VLAN_PRIO_SHIFT */
    public static final int PRIO_SHIFT = 13;

    private final byte[] buf;
    private final int off;

    private VlanHeader(byte[] buf, int off) {
        this.buf = buf;
        this.off = off;
    }

    /** The tag at {@code off}, if the {@code len} bytes from there hold all 4 bytes of it. */
    public static Optional<VlanHeader> checked(byte[] buf, int off, int len) {
        if (off < 0 || len < LENGTH || off + LENGTH > buf.length) return Optional.empty();
        return Optional.of(new VlanHeader(buf, off));
    }

    public static VlanHeader unchecked(byte[] buf, int off) {
        return new VlanHeader(buf, off);
    }

    /** h_vlan_TCI */
    public int tci() { return Bytes.u16(buf, off + TCI); }

    /** Priority code point: skb_vlan_tag_get_prio. */
    public int pcp() { return tci() >>> PRIO_SHIFT; }

    /** Drop eligible indicator (formerly CFI). */
    public boolean dei() { return (tci() & DEI_MASK) != 0; }

    /** VLAN id: skb_vlan_tag_get_id. */
    public int vid() { return tci() & VID_MASK; }

    /** h_vlan_encapsulated_proto: the EtherType (or 802.3 length) after the tag. */
    public int encapsulatedProto() { return Bytes.u16(buf, off + ENCAPSULATED_PROTO); }

    /** The 4 tag bytes, built. */
    public static byte[] build(int pcp, boolean dei, int vid, int encapsulatedProto) {
        if (pcp < 0 || pcp > 7) throw new IllegalArgumentException("pcp " + pcp);
        if (vid < 0 || vid > VID_MASK) throw new IllegalArgumentException("vid " + vid);
        byte[] b = new byte[LENGTH];
        Bytes.put16(b, TCI, (pcp << PRIO_SHIFT) | (dei ? DEI_MASK : 0) | vid);
        Bytes.put16(b, ENCAPSULATED_PROTO, encapsulatedProto);
        return b;
    }

    @Override
    public String toString() {
        return String.format("vlan %d, p %d%s, ethertype 0x%04x", vid(), pcp(), dei() ? ", DEI" : "", encapsulatedProto());
    }
}
