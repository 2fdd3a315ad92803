package io.netstack.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The host's sysctls under their Linux names ("net.ipv4.ip_forward",
 * "net.ipv4.conf.eth0.rp_filter"). A key that is not set reads as the default the
 * caller passes, which must be Linux's default.
 */
public final class Sysctls {

    private final Map<String, String> values;

    public Sysctls(Map<String, String> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public static Sysctls empty() { return new Sysctls(Map.of()); }

    public Map<String, String> asMap() { return values; }

    public boolean has(String key) { return values.containsKey(key); }

    public String get(String key, String dflt) { return values.getOrDefault(key, dflt); }

    public int getInt(String key, int dflt) {
        String v = values.get(key);
        if (v == null) return dflt;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException("sysctl", 0, key + " = '" + v + "' is not an integer");
        }
    }

    /** A sysctl holding several integers ("4096 131072 33554432"). */
    public int[] getInts(String key, int... dflt) {
        String v = values.get(key);
        if (v == null) return dflt;
        String[] parts = v.trim().split("\\s+");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) out[i] = Integer.parseInt(parts[i]);
        return out;
    }

    /** net.ipv4.conf.&lt;dev&gt;.&lt;key&gt;, falling back to net.ipv4.conf.default.&lt;key&gt;, then dflt. */
    public int conf(String dev, String key, int dflt) {
        return getInt("net.ipv4.conf." + dev + "." + key, getInt("net.ipv4.conf.default." + key, dflt));
    }

    /** net.ipv4.conf.all.&lt;key&gt; */
    public int confAll(String key, int dflt) { return getInt("net.ipv4.conf.all." + key, dflt); }

    /** IN_DEV_MAXCONF: the larger of all and the device's value (rp_filter, arp_ignore, arp_announce). */
    public int confMax(String dev, String key, int dflt) { return Math.max(confAll(key, dflt), conf(dev, key, dflt)); }

    /** IN_DEV_ORCONF: set if either all or the device's value is set (accept_local, route_localnet, arp_filter...). */
    public boolean confOr(String dev, String key) { return confAll(key, 0) != 0 || conf(dev, key, 0) != 0; }

    /** IN_DEV_ANDCONF: set only if both all and the device's value are set (shared_media, proxy_arp is OR...). */
    public boolean confAnd(String dev, String key) { return confAll(key, 0) != 0 && conf(dev, key, 0) != 0; }

    /** net.ipv4.neigh.&lt;dev&gt;.&lt;key&gt;, falling back to net.ipv4.neigh.default.&lt;key&gt;, then dflt. */
    public int neigh(String dev, String key, int dflt) {
        return getInt("net.ipv4.neigh." + dev + "." + key, getInt("net.ipv4.neigh.default." + key, dflt));
    }
}
