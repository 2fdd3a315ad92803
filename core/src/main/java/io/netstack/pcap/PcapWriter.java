package io.netstack.pcap;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Writes classic little-endian microsecond pcap files of LINKTYPE_ETHERNET, as tcpdump does. */
public final class PcapWriter {
    private PcapWriter() {}

    public static byte[] toBytes(List<PcapRecord> records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(PcapReader.MAGIC_MICROS).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
                .putInt(262144).putInt(PcapReader.LINKTYPE_ETHERNET);
        out.writeBytes(h.array());
        for (PcapRecord r : records) {
            ByteBuffer rh = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            rh.putInt((int) (r.timeNanos() / 1_000_000_000L)).putInt((int) (r.timeNanos() % 1_000_000_000L / 1000))
                    .putInt(r.frame().length).putInt(Math.max(r.origLen(), r.frame().length));
            out.writeBytes(rh.array());
            out.writeBytes(r.frame());
        }
        return out.toByteArray();
    }

    public static void write(Path file, List<PcapRecord> records) throws IOException {
        Files.write(file, toBytes(records));
    }
}
