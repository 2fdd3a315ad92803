package io.netstack.e2e;

import io.netstack.broker.RepoRoot;
import io.netstack.launcher.StackLauncher;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.nio.file.Path;

/**
 * One distributed stack (broker + five services) for every end-to-end test class of the run:
 * six JVMs take 10 to 40 s to start on two cores, so they start once. Kept in the root store,
 * so JUnit stops it (every process, by pid) when the whole run ends. A class gets it with
 * {@code @ExtendWith(SharedStack.class)} and {@link #get()}.
 */
public final class SharedStack implements BeforeAllCallback {

    private static volatile StackLauncher stack;

    /** The root store's value: closing it stops the stack. */
    private record Holder(StackLauncher launcher) implements AutoCloseable {
        @Override
        public void close() {
            launcher.stop();
            stack = null;
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .computeIfAbsent(SharedStack.class, k -> new Holder(start()), Holder.class);
    }

    /** The stack; only after the extension ran (in or after {@code @BeforeAll}). */
    public static StackLauncher get() {
        StackLauncher s = stack;
        if (s == null) throw new IllegalStateException("no shared stack: annotate the class with @ExtendWith(SharedStack.class)");
        return s;
    }

    private static StackLauncher start() {
        Path repo = RepoRoot.find();
        Path runDir = repo.resolve("e2e-tests/target/netstack-run-" + System.currentTimeMillis());
        StackLauncher s = StackLauncher.builder().repoRoot(repo).runDir(runDir)
                .delivery(System.getProperty("netstack.delivery", "exactly-once")).build().start();
        System.out.printf("stack up in %d ms (broker pid %d, %s), logs in %s%n", s.startupTime().toMillis(),
                s.broker().pid(), s.bootstrapServers(), runDir);
        for (StackLauncher.Service svc : s.services()) {
            System.out.printf("  %-10s pid %d port %d%n", svc.instance(), svc.pid(), svc.port());
        }
        stack = s;
        return s;
    }
}
