package io.netstack.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The `netstack` command: replay conformance scenarios, run the demo, start/stop/trace a stack. */
@Command(name = "netstack", mixinStandardHelpOptions = true, version = "netstack 0.1.0",
        description = "The Linux IPv4 network stack, emulated as five layers (nic, softirq, l3, l4, socket).",
        subcommands = {
                ReplayCommand.class,
                DemoCommand.class,
                UpCommand.class,
                DownCommand.class,
                TraceCommand.class,
                TrafficCommand.class,
                TopCommand.class,
                NcCommand.class,
                WireCommand.class,
                BenchCommand.class,
                IpCommand.class,
                IptablesCommand.class,
                IptablesSaveCommand.class,
                IptablesRestoreCommand.class,
                SysctlCommand.class,
                ChaosCommand.class,
                CommandLine.HelpCommand.class})
public final class Netstack implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static CommandLine commandLine() {
        return new CommandLine(new Netstack());
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
