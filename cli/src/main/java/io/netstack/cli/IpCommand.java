package io.netstack.cli;

import io.netstack.config.HostConfig;
import io.netstack.config.IpShow;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * `netstack ip --netns HOST route|neigh|addr add|del|replace|show ...`: iproute2's syntax, applied
 * to the running host through the configuration topic. {@code route show} and {@code addr show}
 * print the configuration; {@code neigh show} prints the l3 instance's live table (learned
 * entries and their NUD states; {@code --config} for host.yaml's entries).
 */
@Command(name = "ip", mixinStandardHelpOptions = true,
        description = {"Change or show a running host's routes, neighbours and addresses, as iproute2's ip does.",
                "  netstack ip --netns r route add 203.0.113.0/24 via 192.0.2.2 dev eth0",
                "  netstack ip --netns r neigh show"})
public final class IpCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    HostTarget target;

    @Option(names = "--config", description = "neigh show: the neighbours host.yaml configures, not the l3 table")
    boolean fromConfig;

    @Parameters(paramLabel = "OBJECT COMMAND ARGS", arity = "1..*", description = "route|neigh|addr, then add|del|replace|show and iproute2's arguments")
    List<String> words = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String object = objectName(words.get(0));
        String verb = words.size() > 1 ? words.get(1) : "show";
        List<String> args = words.size() > 2 ? words.subList(2, words.size()) : List.of();
        if (object == null) {
            err.println("Object \"" + words.get(0) + "\" is unknown, try \"ip help\" (here: route, neigh, addr).");
            return 1;
        }
        if (verb.equals("show") || verb.equals("list") || verb.equals("ls")) return show(object, out, err);
        switch (object + " " + verb) {
            case "route add": return target.change(err, e -> e.routeAdd(args));
            case "route replace": return target.change(err, e -> e.routeReplace(args));
            case "route del", "route delete": return target.change(err, e -> e.routeDel(args));
            case "neigh add": return target.change(err, e -> e.neighAdd(args, false));
            case "neigh replace": return target.change(err, e -> e.neighAdd(args, true));
            case "neigh del", "neigh delete": return target.change(err, e -> e.neighDel(args));
            case "addr add": return target.change(err, e -> e.addrAdd(args));
            case "addr del", "addr delete": return target.change(err, e -> e.addrDel(args));
            default:
                err.println("Command \"" + verb + "\" is unknown, try \"ip " + object + " help\".");
                return 1;
        }
    }

    static String objectName(String w) {
        if ("route".startsWith(w) && w.startsWith("r")) return "route";
        if (w.equals("neigh") || w.equals("neighbour") || w.equals("neighbor") || w.equals("n")) return "neigh";
        if (w.equals("addr") || w.equals("address") || w.equals("a")) return "addr";
        return null;
    }

    private int show(String object, PrintWriter out, PrintWriter err) {
        try (HostTarget.Store store = target.store()) {
            if (object.equals("neigh") && !fromConfig) {
                for (String body : store.inspect("/netstack/neigh?netns=" + HostTarget.q(target.netns))) out.print(body);
                out.flush();
                return 0;
            }
            HostConfig host = target.config(store);
            out.print(switch (object) {
                case "route" -> IpShow.routes(host);
                case "neigh" -> IpShow.neighbours(host);
                default -> IpShow.addresses(host);
            });
            out.flush();
            return 0;
        } catch (HostTarget.Failure | java.io.IOException e) {
            err.println("netstack: " + e.getMessage());
            return 1;
        }
    }
}
