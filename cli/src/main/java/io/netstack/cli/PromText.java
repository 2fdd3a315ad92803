package io.netstack.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The Prometheus text exposition format, read into samples (name, labels, value); comments skipped. */
final class PromText {
    private PromText() {}

    record Sample(String name, Map<String, String> labels, double value) {
        String label(String k) { return labels.getOrDefault(k, ""); }
    }

    static List<Sample> parse(String text) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            try {
                out.add(sample(line));
            } catch (RuntimeException e) {
                // a line we cannot read is skipped: top shows what it can
            }
        }
        return out;
    }

    static Sample sample(String line) {
        int brace = line.indexOf('{');
        int space = line.indexOf(' ');
        Map<String, String> labels = new LinkedHashMap<>();
        String name;
        int rest;
        if (brace >= 0 && (space < 0 || brace < space)) {
            name = line.substring(0, brace);
            int i = brace + 1;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                String k = line.substring(i, eq).strip();
                i = eq + 2; // past ="
                StringBuilder v = new StringBuilder();
                while (line.charAt(i) != '"') {
                    char c = line.charAt(i++);
                    if (c == '\\') {
                        char e = line.charAt(i++);
                        v.append(e == 'n' ? '\n' : e);
                    } else {
                        v.append(c);
                    }
                }
                i++;
                labels.put(k, v.toString());
                if (line.charAt(i) == ',') i++;
            }
            rest = i + 1;
        } else {
            name = line.substring(0, space);
            rest = space;
        }
        String[] parts = line.substring(rest).strip().split("\\s+");
        return new Sample(name, labels, Double.parseDouble(parts[0]));
    }
}
