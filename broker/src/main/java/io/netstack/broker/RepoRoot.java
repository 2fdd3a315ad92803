package io.netstack.broker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the repository root: the directory whose pom.xml is netstack-parent. */
public final class RepoRoot {
    private RepoRoot() {}

    /** System property {@code netstack.repo}, else the first parent of the working directory holding the root pom. */
    public static Path find() {
        String p = System.getProperty("netstack.repo");
        if (p != null && !p.isBlank()) return Path.of(p).toAbsolutePath().normalize();
        return findFrom(Path.of("").toAbsolutePath());
    }

    public static Path findFrom(Path start) {
        for (Path d = start.toAbsolutePath().normalize(); d != null; d = d.getParent()) {
            Path pom = d.resolve("pom.xml");
            try {
                if (Files.isRegularFile(pom) && Files.readString(pom).contains("<artifactId>netstack-parent</artifactId>")
                        && Files.isDirectory(d.resolve("broker"))) {
                    return d;
                }
            } catch (IOException e) {
                // unreadable pom: keep walking up
            }
        }
        throw new IllegalStateException("no netstack repository root (pom.xml of netstack-parent) above " + start
                + "; set -Dnetstack.repo=/path/to/repo");
    }
}
