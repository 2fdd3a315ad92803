package io.netstack.replay.judge;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON values as the judge holds them (maps in key order, lists, Long or BigInteger for
 * integers, Double, String, Boolean, null) and how a difference shows them. The wording of a
 * difference is the one conformance/README.md gives, the wording the reference judge
 * compare.py prints, so that a line reads the same whichever judge wrote it:
 * {@link #dumps} writes a value as JSON with ", " and ": " between items and non-ASCII
 * escaped; {@link #str} writes a counter's value as a Python program prints it (7, 1.5, True,
 * None).
 */
public final class JsonValues {
    private JsonValues() {}

    /** Integers as Long (BigInteger past its range), nested maps and lists copied in order. */
    static Object normalize(Object v) {
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        if (v instanceof BigInteger b) return b.bitLength() < 64 ? (Object) b.longValue() : b;
        if (v instanceof Float f) return f.doubleValue();
        if (v instanceof BigDecimal d) return d.doubleValue();
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(String.valueOf(k), normalize(x)));
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object x : l) out.add(normalize(x));
            return out;
        }
        return v;
    }

    private static boolean isInteger(Object v) {
        return v instanceof Long || v instanceof BigInteger;
    }

    /** Equal and of the same JSON kind: 1 is not 1.0, true is not 1 (a leaf of the field-by-field comparison). */
    static boolean sameValue(Object a, Object b) {
        if (a == null || b == null) return a == b;
        if (isInteger(a) && isInteger(b)) return new BigInteger(a.toString()).equals(new BigInteger(b.toString()));
        if (a.getClass() != b.getClass()) return false;
        if (a instanceof Double x) return x.doubleValue() == (Double) b;
        return a.equals(b);
    }

    /** Equal as numbers may be across kinds (1 == 1.0, true == 1): how counters and link statistics compare. */
    static boolean numericallyEqual(Object a, Object b) {
        BigDecimal x = asNumber(a);
        BigDecimal y = asNumber(b);
        if (x != null && y != null) return x.compareTo(y) == 0;
        if (a instanceof Map<?, ?> || a instanceof List<?>) return deepEqual(a, b);
        return a == null ? b == null : a.equals(b);
    }

    private static boolean deepEqual(Object a, Object b) {
        if (a instanceof Map<?, ?> m && b instanceof Map<?, ?> n) {
            if (!m.keySet().equals(n.keySet())) return false;
            for (Object k : m.keySet()) if (!numericallyEqual(m.get(k), n.get(k))) return false;
            return true;
        }
        if (a instanceof List<?> l && b instanceof List<?> r) {
            if (l.size() != r.size()) return false;
            for (int i = 0; i < l.size(); i++) if (!numericallyEqual(l.get(i), r.get(i))) return false;
            return true;
        }
        return false;
    }

    private static BigDecimal asNumber(Object v) {
        if (v instanceof Boolean b) return b ? BigDecimal.ONE : BigDecimal.ZERO;
        if (v instanceof Long || v instanceof BigInteger) return new BigDecimal(v.toString());
        if (v instanceof Double d && !d.isNaN() && !d.isInfinite()) return new BigDecimal(d);
        return null;
    }

    /** The value as JSON: {"a": 1, "b": [true, null]}, strings with non-ASCII and control characters escaped. */
    public static String dumps(Object v) {
        StringBuilder s = new StringBuilder();
        dumps(v, s);
        return s.toString();
    }

    private static void dumps(Object v, StringBuilder s) {
        if (v == null) {
            s.append("null");
        } else if (v instanceof Boolean b) {
            s.append(b ? "true" : "false");
        } else if (v instanceof String str) {
            quote(str, s);
        } else if (v instanceof Double d) {
            s.append(d.isNaN() ? "NaN" : d.isInfinite() ? (d > 0 ? "Infinity" : "-Infinity") : floatRepr(d));
        } else if (v instanceof Number n) {
            s.append(n);
        } else if (v instanceof Map<?, ?> m) {
            s.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) s.append(", ");
                first = false;
                quote(String.valueOf(e.getKey()), s);
                s.append(": ");
                dumps(e.getValue(), s);
            }
            s.append('}');
        } else if (v instanceof List<?> l) {
            s.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) s.append(", ");
                dumps(l.get(i), s);
            }
            s.append(']');
        } else {
            quote(v.toString(), s);
        }
    }

    private static void quote(String str, StringBuilder s) {
        s.append('"');
        for (int i = 0; i < str.length(); i++) {
            char c = str.charAt(i);
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                case '\b' -> s.append("\\b");
                case '\f' -> s.append("\\f");
                default -> {
                    if (c < 0x20 || c > 0x7e) s.append(String.format("\\u%04x", (int) c));
                    else s.append(c);
                }
            }
        }
        s.append('"');
    }

    /** A scalar as Python's str() prints it (True, None, 1.5); a map or list as its repr. */
    static String str(Object v) {
        if (v instanceof String s) return s;
        return repr(v);
    }

    private static String repr(Object v) {
        if (v == null) return "None";
        if (v instanceof Boolean b) return b ? "True" : "False";
        if (v instanceof Double d) return d.isNaN() ? "nan" : d.isInfinite() ? (d > 0 ? "inf" : "-inf") : floatRepr(d);
        if (v instanceof Number n) return n.toString();
        if (v instanceof String s) {
            boolean useDouble = s.contains("'") && !s.contains("\"");
            char q = useDouble ? '"' : '\'';
            StringBuilder out = new StringBuilder().append(q);
            for (char c : s.toCharArray()) {
                if (c == q || c == '\\') out.append('\\').append(c);
                else if (c == '\n') out.append("\\n");
                else if (c == '\r') out.append("\\r");
                else if (c == '\t') out.append("\\t");
                else if (c < 0x20 || c == 0x7f) out.append(String.format("\\x%02x", (int) c));
                else out.append(c);
            }
            return out.append(q).toString();
        }
        if (v instanceof Map<?, ?> m) {
            List<String> items = new ArrayList<>();
            m.forEach((k, x) -> items.add(repr(k) + ": " + repr(x)));
            return "{" + String.join(", ", items) + "}";
        }
        if (v instanceof List<?> l) {
            List<String> items = new ArrayList<>();
            for (Object x : l) items.add(repr(x));
            return "[" + String.join(", ", items) + "]";
        }
        return v.toString();
    }

    /** A float as Python's repr writes it: the shortest digits, 1.0, 1e+16, 1e-05. */
    static String floatRepr(double d) {
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        BigDecimal bd = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = bd.unscaledValue().abs().toString();
        int exp = digits.length() - 1 - bd.scale(); // the decimal exponent of the first digit
        String sign = d < 0 ? "-" : "";
        if (exp >= -4 && exp < 16) {
            String plain = bd.abs().toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
    }
}
