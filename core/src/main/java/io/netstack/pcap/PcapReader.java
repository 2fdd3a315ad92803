package io.netstack.pcap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads classic libpcap files (not pcapng) of LINKTYPE_ETHERNET, either byte order, micro- or
 * nanosecond timestamps. A damaged file is refused with the offset of the damage.
 */
public final class PcapReader {
    private PcapReader() {}

    public static final int MAGIC_MICROS = 0xa1b2c3d4;
    public static final int MAGIC_NANOS = 0xa1b23c4d;
    public static final int LINKTYPE_ETHERNET = 1;

    public static List<PcapRecord> read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new PcapException(file.toString(), 0, "cannot read: " + e.getMessage());
        }
        return read(bytes, file.toString());
    }

    public static List<PcapRecord> read(byte[] bytes, String name) {
        if (bytes.length < 24) throw new PcapException(name, 0, "shorter than the 24-byte pcap header");
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt(0);
        boolean nanos;
        if (magic == MAGIC_MICROS || magic == MAGIC_NANOS) {
            nanos = magic == MAGIC_NANOS;
        } else {
            b.order(ByteOrder.BIG_ENDIAN);
            magic = b.getInt(0);
            if (magic != MAGIC_MICROS && magic != MAGIC_NANOS) {
                throw new PcapException(name, 0, String.format("bad magic 0x%08x: not a classic pcap file (pcapng is not read)", b.order(ByteOrder.LITTLE_ENDIAN).getInt(0)));
            }
            nanos = magic == MAGIC_NANOS;
        }
        int snaplen = b.getInt(16);
        int linktype = b.getInt(20) & 0x0fffffff;
        if (linktype != LINKTYPE_ETHERNET) {
            throw new PcapException(name, 20, "link type " + linktype + ", only Ethernet (1) is read");
        }
        List<PcapRecord> out = new ArrayList<>();
        int off = 24;
        while (off < bytes.length) {
            if (bytes.length - off < 16) throw new PcapException(name, off, "record header cut short (" + (bytes.length - off) + " of 16 bytes)");
            long sec = b.getInt(off) & 0xffffffffL;
            long frac = b.getInt(off + 4) & 0xffffffffL;
            int incl = b.getInt(off + 8);
            int orig = b.getInt(off + 12);
            if (incl < 0 || (snaplen > 0 && incl > Math.max(snaplen, 262144))) {
                throw new PcapException(name, off + 8, "captured length " + Integer.toUnsignedString(incl) + " beyond the snap length " + snaplen);
            }
            if (bytes.length - off - 16 < incl) {
                throw new PcapException(name, off + 16, "frame cut short: " + incl + " bytes announced, " + (bytes.length - off - 16) + " present");
            }
            byte[] frame = new byte[incl];
            System.arraycopy(bytes, off + 16, frame, 0, incl);
            long t = sec * 1_000_000_000L + (nanos ? frac : frac * 1000);
            out.add(new PcapRecord(t, frame, orig));
            off += 16 + incl;
        }
        return out;
    }
}
