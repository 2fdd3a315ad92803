package io.netstack.launcher.chaos;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * chaos.png: events per second of each layer over the run (1 s buckets, from the report), with
 * every fault marked by a red band from its start to the instance being back and its label.
 * Headless java.awt: no display needed, no dependency beyond the JDK.
 */
public final class ChaosChart {

    static final int W = 1400;
    static final int H = 600;
    static final int LEFT = 70;
    static final int RIGHT = 150;
    static final int TOP = 40;
    static final int BOTTOM = 60;
    static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0x9467bd), new Color(0x8c564b)};

    private ChaosChart() {}

    public static void write(ChaosReport r, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        long minB = 0;
        long maxB = (long) Math.ceil(r.durationSeconds());
        long maxV = 1;
        for (TreeMap<Long, Long> s : r.throughput().values()) {
            if (s.isEmpty()) continue;
            minB = Math.min(minB, Math.max(s.firstKey(), -10));
            maxB = Math.max(maxB, s.lastKey());
            for (long v : s.values()) maxV = Math.max(maxV, v);
        }
        long span = Math.max(1, maxB - minB + 1);
        double xs = (double) (W - LEFT - RIGHT) / span;
        double ys = (double) (H - TOP - BOTTOM) / (maxV * 1.1);
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, W, H);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            // Faults: a band from start to back, a line at the start, a label.
            int labelRow = 0;
            for (ChaosReport.FaultResult f : r.faults()) {
                double x0 = LEFT + (f.atSeconds() - minB) * xs;
                double x1 = LEFT + (f.atSeconds() + f.backMillis() / 1000.0 - minB) * xs;
                g.setColor(new Color(255, 0, 0, 40));
                g.fillRect((int) x0, TOP, Math.max(1, (int) (x1 - x0)), H - TOP - BOTTOM);
                g.setColor(Color.RED);
                g.drawLine((int) x0, TOP, (int) x0, H - BOTTOM);
                g.drawString(f.fault().describe(), (int) x0 + 3, TOP + 14 + 14 * (labelRow++ % 4));
            }
            // Axes.
            g.setColor(Color.BLACK);
            g.drawLine(LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM);
            g.drawLine(LEFT, TOP, LEFT, H - BOTTOM);
            long yStep = niceStep(maxV * 1.1 / 6);
            for (long v = 0; v <= maxV * 1.1; v += yStep) {
                int y = (int) (H - BOTTOM - v * ys);
                g.setColor(new Color(230, 230, 230));
                g.drawLine(LEFT + 1, y, W - RIGHT, y);
                g.setColor(Color.BLACK);
                g.drawString(Long.toString(v), 5, y + 4);
            }
            long xStep = niceStep(span / 12.0);
            for (long b = (long) Math.ceil((double) minB / xStep) * xStep; b <= maxB; b += xStep) {
                int x = (int) (LEFT + (b - minB) * xs);
                g.drawLine(x, H - BOTTOM, x, H - BOTTOM + 4);
                g.drawString(b + " s", x - 10, H - BOTTOM + 18);
            }
            g.drawString("events per second per layer (1 s buckets); red: faults, from the signal to the instance back",
                    LEFT, H - 15);
            g.drawString("netstack chaos, seed " + r.seed() + ": lost " + r.lost() + ", duplicated " + r.duplicated()
                    + ", TCP connections surviving " + r.tcpSurvived() + " of " + r.tcpConnections()
                    + (r.ok() ? "" : "  -- FAILED"), LEFT, 20);
            // Series.
            g.setStroke(new BasicStroke(1.6f));
            int i = 0;
            for (Map.Entry<String, TreeMap<Long, Long>> e : r.throughput().entrySet()) {
                Color c = COLORS[i % COLORS.length];
                g.setColor(c);
                int px = -1;
                int py = -1;
                for (long b = minB; b <= maxB; b++) {
                    int x = (int) (LEFT + (b - minB + 0.5) * xs);
                    int y = (int) (H - BOTTOM - e.getValue().getOrDefault(b, 0L) * ys);
                    if (px >= 0) g.drawLine(px, py, x, y);
                    px = x;
                    py = y;
                }
                g.fillRect(W - RIGHT + 15, TOP + 20 * i, 14, 10);
                g.setColor(Color.BLACK);
                g.drawString(e.getKey(), W - RIGHT + 35, TOP + 20 * i + 10);
                i++;
            }
        } finally {
            g.dispose();
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        ImageIO.write(img, "png", file.toFile());
    }

    static long niceStep(double raw) {
        if (raw <= 1) return 1;
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        double m = raw / p;
        double n = m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10;
        return Math.max(1, (long) (n * p));
    }
}
