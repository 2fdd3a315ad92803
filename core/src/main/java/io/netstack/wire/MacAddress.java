package io.netstack.wire;

import java.util.HexFormat;

/** A 48-bit Ethernet address. */
public record MacAddress(long value) implements java.io.Serializable {

    public static final MacAddress BROADCAST = new MacAddress(0xffff_ffff_ffffL);
    public static final MacAddress ZERO = new MacAddress(0);

    public MacAddress {
        if ((value & ~0xffff_ffff_ffffL) != 0) throw new IllegalArgumentException("MAC out of range");
    }

    /** "02:00:00:00:00:01" */
    public static MacAddress parse(String s) {
        String[] p = s.trim().split(":", -1);
        if (p.length != 6) throw new IllegalArgumentException("not a MAC address: '" + s + "'");
        long v = 0;
        for (String b : p) {
            if (b.length() != 2) throw new IllegalArgumentException("not a MAC address: '" + s + "'");
            try {
                v = (v << 8) | Integer.parseInt(b, 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a MAC address: '" + s + "'");
            }
        }
        return new MacAddress(v);
    }

    public static MacAddress read(byte[] buf, int off) {
        long v = 0;
        for (int i = 0; i < 6; i++) v = (v << 8) | (buf[off + i] & 0xff);
        return new MacAddress(v);
    }

    public void write(byte[] buf, int off) {
        for (int i = 5; i >= 0; i--) buf[off + 5 - i] = (byte) (value >>> (8 * i));
    }

    public byte[] bytes() {
        byte[] b = new byte[6];
        write(b, 0);
        return b;
    }

    /** is_multicast_ether_addr: the group bit of the first octet (broadcast included). */
    public boolean isMulticast() { return (value & 0x0100_0000_0000L) != 0; }

    public boolean isBroadcast() { return value == BROADCAST.value; }

    @Override
    public String toString() {
        String h = HexFormat.of().formatHex(bytes());
        StringBuilder sb = new StringBuilder(17);
        for (int i = 0; i < 12; i += 2) {
            if (i > 0) sb.append(':');
            sb.append(h, i, i + 2);
        }
        return sb.toString();
    }
}
