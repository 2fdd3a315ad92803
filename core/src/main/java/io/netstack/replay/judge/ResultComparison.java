package io.netstack.replay.judge;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The comparison a replay is held to (conformance/README.md "Judging"): a candidate result
 * against the reference expected.json of what Linux did.
 * <ul>
 *   <li>transmitted: the same number of frames on the same interfaces in the same order; each
 *       pair decoded again from {@code hex} ({@link FrameDecoder}; a candidate needs no
 *       {@code decoded}) and compared field by field except the paths the reference lists in
 *       {@code volatile}; every {@code checksum_valid} is a field, so it must equal the
 *       reference's also in a frame with volatile fields;</li>
 *   <li>counters: exactly, a counter missing on one side being 0;</li>
 *   <li>links: exactly, per interface and statistic (missing is 0);</li>
 *   <li>sockets: exactly, the same sockets with the same data from the same sources.</li>
 * </ul>
 * Each difference is one line naming its path ({@code counters.UdpNoPorts: reference 1 !=
 * candidate 0}), worded as the corpus's reference judge compare.py words it; no line means the
 * candidate passes.
 */
public final class ResultComparison {
    private ResultComparison() {}

    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    /** expected.json (or result.json) as a tree of maps in key order; a directory means its expected.json. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> load(Path fileOrScenarioDir) throws IOException {
        Path file = Files.isDirectory(fileOrScenarioDir) ? fileOrScenarioDir.resolve("expected.json") : fileOrScenarioDir;
        Object tree;
        try {
            tree = MAPPER.readValue(Files.readString(file), Object.class);
        } catch (JacksonException e) {
            throw new IOException(file + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (!(tree instanceof Map<?, ?>)) throw new IOException(file + " holds no JSON object");
        return (Map<String, Object>) JsonValues.normalize(tree);
    }

    /**
     * Every difference between the reference and the candidate, in the order: transmitted,
     * counters, links, sockets. Empty: the candidate passes.
     *
     * @throws IllegalArgumentException when a side cannot be judged (a frame without iface or
     *                                  hex, hex that is not hex): not a difference, no verdict
     */
    public static List<String> differences(Map<String, Object> reference, Map<String, Object> candidate) {
        List<String> out = new ArrayList<>();
        Set<String> volatilePaths = new HashSet<>();
        for (Object v : list(reference, "volatile")) volatilePaths.add(String.valueOf(v));
        compareTransmitted(list(reference, "transmitted"), list(candidate, "transmitted"), volatilePaths, out);
        compareCounters(map(reference, "counters"), map(candidate, "counters"), out);
        compareLinks(map(reference, "links"), map(candidate, "links"), out);
        diffTree(reference.getOrDefault("sockets", List.of()), candidate.getOrDefault("sockets", List.of()),
                "sockets", Set.of(), out);
        return out;
    }

    private static void compareTransmitted(List<Object> rt, List<Object> ct, Set<String> volatilePaths, List<String> out) {
        if (rt.size() != ct.size()) {
            out.add("transmitted: reference has " + rt.size() + " frame(s), candidate " + ct.size());
        }
        List<Map<String, Object>> rdec = FrameDecoder.decodeFrames(frames(rt, "reference"));
        List<Map<String, Object>> cdec = FrameDecoder.decodeFrames(frames(ct, "candidate"));
        for (int i = 0; i < Math.min(rt.size(), ct.size()); i++) {
            String base = "transmitted[" + i + "]";
            Map<?, ?> r = (Map<?, ?>) rt.get(i);
            Map<?, ?> c = (Map<?, ?>) ct.get(i);
            if (!JsonValues.numericallyEqual(r.get("iface"), c.get("iface"))) {
                out.add(base + ".iface: reference " + JsonValues.str(r.get("iface")) + " != candidate "
                        + JsonValues.str(c.get("iface")));
            }
            int before = out.size();
            diffTree(rdec.get(i), cdec.get(i), base + ".decoded", volatilePaths, out);
            // Equal decodings come from equal frames; the raw text is compared only as a last word
            // and only where no field is volatile.
            if (out.size() == before && volatilePaths.stream().noneMatch(v -> v.startsWith(base + "."))
                    && !JsonValues.numericallyEqual(r.get("hex"), c.get("hex"))) {
                out.add(base + ".hex: frames differ (" + JsonValues.str(r.get("hex")) + " != " + JsonValues.str(c.get("hex")) + ")");
            }
        }
        for (int i = ct.size(); i < rt.size(); i++) {
            Map<?, ?> r = (Map<?, ?>) rt.get(i);
            out.add("transmitted[" + i + "]: missing in candidate (" + JsonValues.str(r.get("iface")) + ": "
                    + JsonValues.str(r.get("hex")) + ")");
        }
        for (int i = rt.size(); i < ct.size(); i++) {
            Map<?, ?> c = (Map<?, ?>) ct.get(i);
            out.add("transmitted[" + i + "]: extra in candidate (" + JsonValues.str(c.get("iface")) + ": "
                    + JsonValues.str(c.get("hex")) + ")");
        }
    }

    private static void compareCounters(Map<String, Object> rc, Map<String, Object> cc, List<String> out) {
        for (String k : keysOfBoth(rc, cc)) {
            Object a = rc.getOrDefault(k, 0L);
            Object b = cc.getOrDefault(k, 0L);
            if (!JsonValues.numericallyEqual(a, b)) {
                out.add("counters." + k + ": reference " + JsonValues.str(a) + " != candidate " + JsonValues.str(b));
            }
        }
    }

    private static void compareLinks(Map<String, Object> rl, Map<String, Object> cl, List<String> out) {
        for (String itf : keysOfBoth(rl, cl)) {
            if (!cl.containsKey(itf)) {
                out.add("links." + itf + ": missing in candidate");
                continue;
            }
            if (!rl.containsKey(itf)) {
                out.add("links." + itf + ": not in reference");
                continue;
            }
            Map<String, Object> a = map(rl, itf);
            Map<String, Object> b = map(cl, itf);
            for (String k : keysOfBoth(a, b)) {
                Object x = a.getOrDefault(k, 0L);
                Object y = b.getOrDefault(k, 0L);
                if (!JsonValues.numericallyEqual(x, y)) {
                    out.add("links." + itf + "." + k + ": reference " + JsonValues.str(x) + " != candidate " + JsonValues.str(y));
                }
            }
        }
    }

    /**
     * The field-by-field comparison: maps key by key (the reference's keys first, then the
     * candidate's others), lists item by item, leaves by value and JSON kind; nothing at or
     * under a volatile path.
     */
    static void diffTree(Object a, Object b, String path, Set<String> volatilePaths, List<String> out) {
        if (volatilePaths.contains(path)) return;
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            List<Object> keys = new ArrayList<>(ma.keySet());
            for (Object k : mb.keySet()) if (!ma.containsKey(k)) keys.add(k);
            for (Object k : keys) {
                String p = path + "." + k;
                if (!ma.containsKey(k)) {
                    if (!volatilePaths.contains(p)) {
                        out.add(p + ": missing in reference, candidate has " + JsonValues.dumps(mb.get(k)));
                    }
                } else if (!mb.containsKey(k)) {
                    if (!volatilePaths.contains(p)) {
                        out.add(p + ": reference " + JsonValues.dumps(ma.get(k)) + ", missing in candidate");
                    }
                } else {
                    diffTree(ma.get(k), mb.get(k), p, volatilePaths, out);
                }
            }
        } else if (a instanceof List<?> la && b instanceof List<?> lb) {
            for (int i = 0; i < Math.max(la.size(), lb.size()); i++) {
                String p = path + "[" + i + "]";
                if (i >= la.size()) out.add(p + ": extra in candidate: " + JsonValues.dumps(lb.get(i)));
                else if (i >= lb.size()) out.add(p + ": missing in candidate (reference " + JsonValues.dumps(la.get(i)) + ")");
                else diffTree(la.get(i), lb.get(i), p, volatilePaths, out);
            }
        } else if (!JsonValues.sameValue(a, b)) {
            out.add(path + ": reference " + JsonValues.dumps(a) + " != candidate " + JsonValues.dumps(b));
        }
    }

    /** The frames' bytes from their hex (whitespace between digits allowed, as in a hand-written file). */
    private static List<byte[]> frames(List<Object> transmitted, String side) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < transmitted.size(); i++) {
            if (!(transmitted.get(i) instanceof Map<?, ?> f) || !(f.get("hex") instanceof String hex) || !f.containsKey("iface")) {
                throw new IllegalArgumentException(side + " transmitted[" + i + "] is not {\"iface\": ..., \"hex\": \"...\"}");
            }
            out.add(parseHex(hex, side + " transmitted[" + i + "].hex"));
        }
        return out;
    }

    static byte[] parseHex(String hex, String what) {
        String digits = hex.replaceAll("[ \\t\\n\\r\\x0b\\f]", "");
        if (digits.length() % 2 != 0 || !digits.matches("[0-9a-fA-F]*")) {
            throw new IllegalArgumentException(what + " is not hex: " + (hex.length() > 40 ? hex.substring(0, 40) + "..." : hex));
        }
        byte[] b = new byte[digits.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(digits.substring(2 * i, 2 * i + 2), 16);
        return b;
    }

    private static List<String> keysOfBoth(Map<String, Object> a, Map<String, Object> b) {
        List<String> keys = new ArrayList<>(a.keySet());
        for (String k : b.keySet()) if (!a.containsKey(k)) keys.add(k);
        return keys;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null && !m.containsKey(key)) return List.of();
        if (v instanceof List<?> l) return (List<Object>) l;
        throw new IllegalArgumentException("\"" + key + "\" is not a list");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null && !m.containsKey(key)) return new LinkedHashMap<>();
        if (v instanceof Map<?, ?> x) return (Map<String, Object>) x;
        throw new IllegalArgumentException("\"" + key + "\" is not an object");
    }
}
