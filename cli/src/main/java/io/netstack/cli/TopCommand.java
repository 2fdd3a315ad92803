package io.netstack.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * `netstack top`: the overview dashboard in the terminal. Reads the services of a stack started by
 * `netstack up` from .netstack/stack.json (or takes --url), scrapes each one's /actuator/prometheus
 * every interval and prints per layer the rates in/out/dropped, queue depth, hop and end-to-end
 * latency, then the drops by kernel reason and the deepest queues.
 */
@Command(name = "top", mixinStandardHelpOptions = true,
        description = "Live per-layer rates, drops by reason, queue depth and latency of a running stack.")
public final class TopCommand implements Callable<Integer> {

    @Option(names = "--state", paramLabel = "FILE", description = "the stack's state file (default: .netstack/stack.json)")
    Path state = StackFile.DEFAULT;

    @Option(names = "--url", paramLabel = "LAYER=URL",
            description = "a service to scrape instead of the state file, e.g. l3=http://127.0.0.1:8083 (repeatable)")
    List<String> urls = new ArrayList<>();

    @Option(names = {"-i", "--interval"}, paramLabel = "SECONDS", defaultValue = "2",
            description = "seconds between screens (default: ${DEFAULT-VALUE})")
    double interval;

    @Option(names = {"-n", "--iterations"}, paramLabel = "N", defaultValue = "0",
            description = "screens to print, then exit (0: until Ctrl-C)")
    int iterations;

    @Option(names = "--once", description = "print one screen (over one interval) without clearing the terminal, then exit")
    boolean once;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<StackFile.Service> services = new ArrayList<>();
        String bootstrap = "?";
        if (urls.isEmpty()) {
            StackFile s = StackFile.read(state);
            services.addAll(s.services());
            if (s.bootstrap() != null) bootstrap = s.bootstrap();
        } else {
            for (String u : urls) {
                String[] lu = u.split("=", 2);
                if (lu.length != 2) throw new CommandLine.ParameterException(spec.commandLine(), "--url wants LAYER=URL: " + u);
                services.add(new StackFile.Service(lu[0], lu[0], lu[1].replaceAll("/+$", ""), -1));
            }
        }
        if (services.isEmpty()) {
            spec.commandLine().getErr().println("netstack top: no services in " + state);
            return 1;
        }
        long sleep = Math.max(100, (long) (interval * 1000));
        int screens = once ? 1 : iterations;
        List<TopView.Scrape> before = scrapeAll(services);
        long t0 = System.nanoTime();
        for (int n = 0; screens == 0 || n < screens; n++) {
            Thread.sleep(sleep);
            List<TopView.Scrape> now = scrapeAll(services);
            long t1 = System.nanoTime();
            String header = "netstack top   " + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss"))
                    + "   bootstrap " + bootstrap;
            String screen = TopView.render(before, now, (t1 - t0) / 1e9, header);
            if (!once) out.print("\033[H\033[2J");
            out.print(screen);
            out.flush();
            before = now;
            t0 = t1;
        }
        return 0;
    }

    private List<TopView.Scrape> scrapeAll(List<StackFile.Service> services) {
        List<TopView.Scrape> out = new ArrayList<>();
        for (StackFile.Service s : services) out.add(new TopView.Scrape(s, scrape(s.url())));
        return out;
    }

    private List<PromText.Sample> scrape(String url) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/actuator/prometheus"))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? PromText.parse(r.body()) : null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            return null;
        }
    }
}
