package io.netstack.cli;

import io.netstack.net.netfilter.IptablesEdit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * `netstack iptables-restore --netns HOST [-n] [FILE] &lt; rules`: loads iptables-save text into the
 * running host's firewall; each table it names is replaced (with -n, added to), the others stay.
 * A text that does not load is refused with its line, the host unchanged.
 */
@Command(name = "iptables-restore", mixinStandardHelpOptions = true,
        description = "Load iptables-save text (from FILE or standard input) into a running host's firewall.")
public final class IptablesRestoreCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    HostTarget target;

    @Option(names = {"-n", "--noflush"}, description = "do not flush the tables first: add to them")
    boolean noflush;

    @Parameters(arity = "0..1", paramLabel = "FILE", description = "the rules (default: standard input)")
    Path file;

    /** Tests replace standard input. */
    static java.util.function.Supplier<java.io.InputStream> stdin = () -> System.in;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        String text = file != null ? Files.readString(file)
                : new String(stdin.get().readAllBytes(), StandardCharsets.UTF_8);
        int rc = target.change(err, e -> e.firewall(IptablesEdit.of(e.firewall()).restore(text, noflush).save()));
        return rc == 0 ? 0 : 1;
    }
}
