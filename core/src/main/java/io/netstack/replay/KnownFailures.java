package io.netstack.replay;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * conformance/known-failures.txt: the scenarios that do not pass yet, one name a line,
 * {@code #} comments. The rule keeps the list honest and shrinking: a failing scenario not on
 * the list fails the build (a regression, or a new scenario), and so does a listed scenario
 * that now passes (take it off the list).
 */
public record KnownFailures(Set<String> names) {

    public enum Outcome {
        /** Passes and is not listed. */
        PASS,
        /** Fails and is listed: tolerated. */
        KNOWN_FAILURE,
        /** Fails and is not listed. */
        NEW_FAILURE,
        /** Passes but is listed: remove it from the list. */
        NOW_PASSES
    }

    public static KnownFailures parse(String text) {
        Set<String> names = new LinkedHashSet<>();
        for (String line : text.split("\n", -1)) {
            int hash = line.indexOf('#');
            String name = (hash >= 0 ? line.substring(0, hash) : line).trim();
            if (!name.isEmpty()) names.add(name);
        }
        return new KnownFailures(Set.copyOf(names));
    }

    /** The list from {@code file}; an absent file lists nothing. */
    public static KnownFailures read(Path file) throws IOException {
        return Files.isRegularFile(file) ? parse(Files.readString(file)) : new KnownFailures(Set.of());
    }

    public boolean contains(String scenario) {
        return names.contains(scenario);
    }

    public Outcome outcome(String scenario, boolean passed) {
        boolean listed = contains(scenario);
        if (passed) return listed ? Outcome.NOW_PASSES : Outcome.PASS;
        return listed ? Outcome.KNOWN_FAILURE : Outcome.NEW_FAILURE;
    }
}
