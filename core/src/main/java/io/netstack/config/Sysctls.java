package io.netstack.config;

import io.netstack.config.SysctlRegistry.Int;
import io.netstack.config.SysctlRegistry.Ints;
import io.netstack.config.SysctlRegistry.PerDev;
import io.netstack.config.SysctlRegistry.Str;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The host's sysctls under their Linux names ({@code net.ipv4.ip_forward},
 * {@code net.ipv4.conf.eth0.rp_filter}), read through {@link SysctlRegistry}'s typed keys: a key that
 * is not set reads as the registry's default, Linux's, so no caller writes a default.
 */
public final class Sysctls {

    private final Map<String, String> values;

    public Sysctls(Map<String, String> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public static Sysctls empty() { return new Sysctls(Map.of()); }

    public Map<String, String> asMap() { return values; }

    public boolean has(String key) { return values.containsKey(key); }

    /** The value host.yaml sets for {@code key} as written, or null: for showing, not for reading a sysctl. */
    public String raw(String key) { return values.get(key); }

    public int get(Int k) { return parseInt(k.name(), k.dflt()); }

    /** A sysctl holding several integers ("32768 60999"). */
    public int[] get(Ints k) {
        String v = values.get(k.name());
        if (v == null) return k.dfltArray();
        String[] parts = v.trim().split("\\s+");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) out[i] = Integer.parseInt(parts[i]);
        return out;
    }

    public String get(Str k) { return values.getOrDefault(k.name(), k.dflt()); }

    private int parseInt(String key, int dflt) {
        String v = values.get(key);
        if (v == null) return dflt;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException("sysctl", 0, key + " = '" + v + "' is not an integer");
        }
    }

    /** &lt;prefix&gt;.&lt;dev&gt;.&lt;key&gt;, falling back to &lt;prefix&gt;.default.&lt;key&gt;, then the registry's default. */
    public int conf(String dev, PerDev k) { return conf(dev, k, k.dflt()); }

    /**
     * &lt;prefix&gt;.&lt;dev&gt;.&lt;key&gt;, falling back to &lt;prefix&gt;.default.&lt;key&gt;, then
     * {@code unset}: for a key whose unset value follows another sysctl (forwarding follows ip_forward).
     */
    public int conf(String dev, PerDev k, int unset) {
        return parseInt(k.name(dev), parseInt(k.name("default"), unset));
    }

    /** &lt;prefix&gt;.all.&lt;key&gt; */
    public int confAll(PerDev k) { return parseInt(k.name("all"), k.allDflt()); }

    /** IN_DEV_MAXCONF: the larger of all and the device's value (rp_filter, arp_ignore, arp_announce). */
    public int confMax(String dev, PerDev k) { return Math.max(confAll(k), conf(dev, k)); }

    /** IN_DEV_ORCONF: set if either all or the device's value is set (accept_local, route_localnet, arp_filter...). */
    public boolean confOr(String dev, PerDev k) { return confAll(k) != 0 || conf(dev, k) != 0; }

    /** IN_DEV_ANDCONF: set only if both all and the device's value are set (accept_source_route, bc_forwarding). */
    public boolean confAnd(String dev, PerDev k) { return confAll(k) != 0 && conf(dev, k) != 0; }

    /** net.ipv4.neigh.&lt;dev&gt;.&lt;key&gt;, falling back to net.ipv4.neigh.default.&lt;key&gt;, then the registry's default. */
    public int neigh(String dev, PerDev k) { return conf(dev, k); }
}
