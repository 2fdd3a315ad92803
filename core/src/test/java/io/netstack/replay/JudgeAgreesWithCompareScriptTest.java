package io.netstack.replay;

import io.netstack.replay.judge.CompareScriptJudge;
import io.netstack.replay.judge.FrameDecoder;
import io.netstack.replay.judge.JsonValues;
import io.netstack.replay.judge.ResultComparison;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Holds the built-in judge to the reference one, the public corpus's compare.py
 * (../shared/conformance beside the repository, or -Dnetstack.conformance): for every scenario
 * of conformance/public and conformance/recorded, both judge (a) the scenario's expected.json
 * against itself, (b) the in-process replay's result, and (c) candidates made wrong on purpose
 * (a counter, a byte of a frame's Ethernet source, the last byte of a frame, a missing and an
 * extra frame, a link statistic, a socket's data). They must print the same lines, so the same
 * verdict. Skipped, saying why, without compare.py or python3: the judge's own rules are
 * checked without them by ResultComparisonTest and FrameDecoderTest.
 *
 * <p>compare.py's compare() runs in one python3 process for all the pairs (a process per pair
 * would take minutes); one pair also goes through the command line ({@link CompareScriptJudge}).
 */
class JudgeAgreesWithCompareScriptTest {

    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    /** Judges every pair given in a JSON file with compare.compare(); one JSON result per pair. */
    private static final String DRIVER = String.join("\n",
            "import json, sys",
            "sys.path.insert(0, sys.argv[1])",
            "import compare",
            "results = []",
            "for ref, cand in json.load(open(sys.argv[2])):",
            "    try:",
            "        results.append({'differences': compare.compare(compare.load(ref), compare.load(cand))})",
            "    except Exception as e:",
            "        results.append({'error': repr(e)})",
            "json.dump(results, open(sys.argv[3], 'w'))");

    record Pair(String what, Path reference, Path candidate, boolean mustDiffer) {}

    @Test
    void theBuiltInJudgeAgreesWithCompareScriptOnEveryScenario() throws Exception {
        Path shared = ConformanceInProcessTest.outsideCorpus();
        CompareScriptJudge reference = Judge.compareScript(shared);
        Assumptions.assumeTrue(Files.isRegularFile(reference.compareScript()),
                "no compare.py at " + shared + ": the built-in judge is NOT cross-checked against it");
        Assumptions.assumeTrue(reference.available(), "python3 does not run: the built-in judge is NOT cross-checked against compare.py");

        Path repo = ConformanceInProcessTest.repoRoot();
        List<Path> dirs = new ArrayList<>(ConformanceInProcessTest.scenarioDirs(repo.resolve("conformance/public")));
        dirs.addAll(ConformanceInProcessTest.scenarioDirs(repo.resolve("conformance/recorded")));
        assertThat(dirs).hasSizeGreaterThan(26);
        Path work = Paths.get("target", "judge-agreement").toAbsolutePath();

        List<Pair> pairs = new ArrayList<>();
        for (Path dir : dirs) {
            String name = dir.getParent().getFileName() + "/" + dir.getFileName();
            Path out = work.resolve(name);
            pairs.add(new Pair(name + " expected.json itself", dir, dir.resolve("expected.json"), false));
            ConformanceInProcessTest.replayAndJudge(dir, out, Judge.builtIn());
            pairs.add(new Pair(name + " in-process replay", dir, out.resolve("result.json"), false));
            Map<String, Object> expected = ResultComparison.load(dir);
            for (Map.Entry<String, Map<String, Object>> m : mutations(expected).entrySet()) {
                Path candidate = out.resolve("mutated-" + m.getKey() + ".json");
                Files.writeString(candidate, MAPPER.writeValueAsString(m.getValue()));
                pairs.add(new Pair(name + " " + m.getKey(), dir, candidate, true));
            }
        }

        List<Map<String, Object>> theirs = compareAll(shared, pairs, work);
        List<String> disagreements = new ArrayList<>();
        int differing = 0;
        for (int i = 0; i < pairs.size(); i++) {
            Pair p = pairs.get(i);
            Object ours;
            try {
                ours = ResultComparison.differences(ResultComparison.load(p.reference()), ResultComparison.load(p.candidate()));
            } catch (IOException | IllegalArgumentException e) {
                ours = "error: " + e.getMessage();
            }
            Object reference_ = theirs.get(i).containsKey("error") ? "error: " + theirs.get(i).get("error")
                    : theirs.get(i).get("differences");
            boolean bothErred = ours instanceof String && reference_ instanceof String;
            if (!bothErred && !ours.equals(reference_)) {
                disagreements.add(p.what() + ":\n    compare.py:    " + reference_ + "\n    built-in judge: " + ours);
            }
            if (ours instanceof List<?> l && !l.isEmpty()) differing++;
            if (p.mustDiffer() && ours instanceof List<?> l && l.isEmpty()) {
                disagreements.add(p.what() + ": a candidate made wrong on purpose passed");
            }
        }
        System.out.printf("[judge-agreement] %d scenario(s), %d pair(s) judged by both judges, %d with differences%n",
                dirs.size(), pairs.size(), differing);
        assertThat(disagreements).as("pairs on which the built-in judge and compare.py disagree").isEmpty();

        // The command line once, both verdicts: exit 0 for the same file, 1 for a changed counter.
        Pair same = pairs.get(0);
        Pair counter = pairs.stream().filter(p -> p.what().endsWith(" counter")).findFirst().orElseThrow();
        assertThat(reference.judge(same.reference(), same.candidate()).status()).isEqualTo(Judge.Status.PASS);
        Judge.Verdict fail = reference.judge(counter.reference(), counter.candidate());
        assertThat(fail.status()).isEqualTo(Judge.Status.FAIL);
        assertThat(fail.differences()).isEqualTo(Judge.builtIn().judge(counter.reference(), counter.candidate()).differences());
    }

    /** Decodes every list of frames given in a JSON file (hex) with decode.decode_frames(). */
    private static final String DECODE_DRIVER = String.join("\n",
            "import json, sys",
            "sys.path.insert(0, sys.argv[1])",
            "import decode",
            "lists = json.load(open(sys.argv[2]))",
            "json.dump([decode.decode_frames([bytes.fromhex(h) for h in l]) for l in lists], open(sys.argv[3], 'w'))");

    /**
     * IPv6 frames the corpus has none of (it is IPv4 only) yet decode.py decodes: neighbour
     * discovery with options, MLDv2, a router advertisement, extension headers (hop-by-hop,
     * routing type 0, fragments of one datagram), an ICMPv6 error quoting a packet, a redirect.
     */
    static final List<List<String>> IPV6_FRAMES = List.of(
            List.of("3333ff00000202000000009986dd6000000000203aff fe800000000000000000000000000099 ff0200000000000000000001ff000002"
                    + " 87000000 00000000 20010db8000000000000000000000002 0101020000000099"),
            List.of("333300000016020000000001 86dd 6000000000240001 fe8000000000000000000000fffe0001 ff020000000000000000000000000016"
                    + " 3a00 0502 0000 0100 8f000000 0000 0001 04000000 ff0200000000000000000000000000fb"),
            List.of("333300000001020000000099 86dd 6000000000403aff fe800000000000000000000000000099 ff020000000000000000000000000001"
                    + " 86000000 40c00708 00000000 00000000 0101020000000099 0304 40c0 00278d00 00093a80 00000000"
                    + " 20010db8000000000000000000000000 0501 0000 000005dc"),
            List.of("020000000001020000000099 86dd 60012345000c2b40 20010db8000000000000000000000001 20010db8000000000000000000000002"
                    + " 11000001 00000000", "020000000001020000000099 86dd 6000000000182b40 20010db8000000000000000000000001"
                    + " 20010db8000000000000000000000002 11020001 00000000 20010db8000000000000000000000009 9c400035000c0000 68656c6c"),
            List.of("020000000001020000000099 86dd 6000000000182c40 20010db8000000000000000000000001 20010db8000000000000000000000002"
                    + " 11000001 0000abcd 9c4000350018 0000 0011223344556677",
                    "020000000001020000000099 86dd 6000000000102c40 20010db8000000000000000000000001 20010db8000000000000000000000002"
                    + " 11000010 0000abcd 8899aabbccddeeff"),
            List.of("020000000099020000000001 86dd 6000000000303a40 20010db8000000000000000000000002 20010db8000000000000000000000001"
                    + " 01040000 00000000 6000000000091140 20010db8000000000000000000000001 20010db8000000000000000000000002"
                    + " 9c40270f00090000"),
            List.of("020000000099020000000001 86dd 6000000000383aff fe800000000000000000000000000001 20010db8000000000000000000000001"
                    + " 89000000 00000000 20010db8000000000000000000000003 20010db8000000000000000000000009"
                    + " 0401 000000000000 0101 020000000001"),
            List.of("020000000099020000000001 86dd 6000000000103a40 20010db8000000000000000000000002 0000000000000000000000000000ffff"
                    + "c0000201 8000 0000 0001 0001 6869 6a6b 6c6d 6e6f"));

    /**
     * The judge's decoder against decode.py, field for field and in key order, on every frame of
     * both corpora (inputs and outputs, each scenario's outputs as one list, for fragments), the
     * IPv6 frames above, and mutants of each: cut at random lengths, a random byte changed.
     */
    @Test
    void theDecoderAgreesWithDecodePyOnEveryFrameAndItsMutants() throws Exception {
        Path shared = ConformanceInProcessTest.outsideCorpus();
        CompareScriptJudge reference = Judge.compareScript(shared);
        Assumptions.assumeTrue(Files.isRegularFile(shared.resolve("decode.py")),
                "no decode.py at " + shared + ": the decoder is NOT cross-checked against it");
        Assumptions.assumeTrue(reference.available(), "python3 does not run: the decoder is NOT cross-checked against decode.py");

        Path repo = ConformanceInProcessTest.repoRoot();
        List<List<byte[]>> lists = new ArrayList<>();
        HexFormat hex = HexFormat.of();
        for (String corpus : List.of("conformance/public", "conformance/recorded")) {
            for (Path dir : ConformanceInProcessTest.scenarioDirs(repo.resolve(corpus))) {
                Scenario s = Scenario.load(dir);
                lists.add(s.frames().stream().map(Scenario.Frame::bytes).toList());
                @SuppressWarnings("unchecked")
                List<Object> tx = (List<Object>) ResultComparison.load(dir).getOrDefault("transmitted", List.of());
                lists.add(tx.stream().map(f -> hex.parseHex((String) ((Map<?, ?>) f).get("hex"))).toList());
            }
        }
        for (List<String> l : IPV6_FRAMES) lists.add(l.stream().map(h -> hex.parseHex(h.replace(" ", ""))).toList());
        java.util.Random random = new java.util.Random(20261207);
        List<List<byte[]>> mutants = new ArrayList<>();
        for (List<byte[]> l : lists) {
            for (byte[] f : l) {
                for (int k = 0; k < 4; k++) {
                    mutants.add(List.of(java.util.Arrays.copyOf(f, random.nextInt(f.length + 1))));
                    byte[] changed = f.clone();
                    if (changed.length > 0) changed[random.nextInt(changed.length)] = (byte) random.nextInt(256);
                    mutants.add(List.of(changed));
                }
            }
        }
        lists.addAll(mutants);

        Path work = Files.createDirectories(Paths.get("target", "judge-agreement").toAbsolutePath());
        Path input = work.resolve("frames.json");
        Path output = work.resolve("decode-py-results.json");
        Files.writeString(input, MAPPER.writeValueAsString(lists.stream().map(l -> l.stream().map(hex::formatHex).toList()).toList()));
        String python = System.getenv().getOrDefault("NETSTACK_PYTHON", "python3");
        Process proc = new ProcessBuilder(python, "-c", DECODE_DRIVER, shared.toString(), input.toString(), output.toString())
                .redirectErrorStream(true).start();
        String log = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(proc.waitFor(10, TimeUnit.MINUTES)).as("decode.py finished").isTrue();
        assertThat(proc.exitValue()).as(log).isZero();
        List<?> theirs = MAPPER.readValue(Files.readString(output), List.class);
        assertThat(theirs).hasSameSizeAs(lists);

        List<String> disagreements = new ArrayList<>();
        int frames = 0;
        for (int i = 0; i < lists.size(); i++) {
            String ref = JsonValues.dumps(theirs.get(i));
            String mine = JsonValues.dumps(FrameDecoder.decodeFrames(lists.get(i)));
            frames += lists.get(i).size();
            if (!mine.equals(ref) && disagreements.size() < 20) {
                disagreements.add(lists.get(i).stream().map(hex::formatHex).toList() + "\n    decode.py: " + ref
                        + "\n    ours:      " + mine);
            }
        }
        System.out.printf("[judge-agreement] %d frame(s) in %d list(s) decoded by both decoders%n", frames, lists.size());
        assertThat(disagreements).as("frames the built-in decoder and decode.py decode differently").isEmpty();
    }

    /** compare.compare() of every pair, in one python3 process. */
    private static List<Map<String, Object>> compareAll(Path compareDir, List<Pair> pairs, Path work) throws Exception {
        Path input = work.resolve("pairs.json");
        Path output = work.resolve("compare-py-results.json");
        List<List<String>> files = pairs.stream().map(p -> List.of(p.reference().toString(), p.candidate().toString())).toList();
        Files.writeString(input, MAPPER.writeValueAsString(files));
        String python = System.getenv().getOrDefault("NETSTACK_PYTHON", "python3");
        Process proc = new ProcessBuilder(python, "-c", DRIVER, compareDir.toString(), input.toString(), output.toString())
                .redirectErrorStream(true).start();
        String log = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(proc.waitFor(10, TimeUnit.MINUTES)).as("compare.py finished").isTrue();
        assertThat(proc.exitValue()).as(log).isZero();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> results = MAPPER.readValue(Files.readString(output), List.class);
        assertThat(results).hasSameSizeAs(pairs);
        return results;
    }

    /** Candidates made wrong on purpose from a scenario's expected.json, by what was changed. */
    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> mutations(Map<String, Object> expected) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        HexFormat hex = HexFormat.of();

        Map<String, Object> m = copy(expected);
        Map<String, Object> counters = (Map<String, Object>) m.computeIfAbsent("counters", k -> new LinkedHashMap<>());
        String counter = counters.isEmpty() ? "IpInReceives" : counters.keySet().iterator().next();
        counters.put(counter, ((Number) counters.getOrDefault(counter, 0L)).longValue() + 1);
        out.put("counter", m);

        List<Object> tx = (List<Object>) expected.getOrDefault("transmitted", List.of());
        if (!tx.isEmpty()) {
            m = copy(expected);
            byte[] f = frameOf(m, 0);
            f[11] ^= 0x01; // the Ethernet source's last byte: never volatile
            setFrame(m, 0, hex.formatHex(f));
            out.put("frame-byte", m);

            m = copy(expected);
            int last = tx.size() - 1;
            f = frameOf(m, last);
            f[f.length - 1] ^= (byte) 0xff; // the last byte: payload, padding or a header, and a checksum then
            setFrame(m, last, hex.formatHex(f));
            out.put("frame-last-byte", m);

            m = copy(expected);
            ((List<Object>) m.get("transmitted")).remove(last);
            out.put("missing-frame", m);

            m = copy(expected);
            List<Object> frames = (List<Object>) m.get("transmitted");
            frames.add(copy((Map<String, Object>) frames.get(0)));
            out.put("extra-frame", m);
        }

        Map<String, Object> links = (Map<String, Object>) expected.getOrDefault("links", Map.of());
        if (!links.isEmpty()) {
            m = copy(expected);
            Map<String, Object> stats = (Map<String, Object>) ((Map<String, Object>) m.get("links")).values().iterator().next();
            stats.put("rx_packets", ((Number) stats.getOrDefault("rx_packets", 0L)).longValue() + 1);
            out.put("link", m);
        }

        m = copy(expected);
        if (changeSocketData((List<Object>) m.getOrDefault("sockets", List.of()))) out.put("socket-data", m);
        return out;
    }

    /** The first byte a socket received, changed; or, for a socket that received nothing, a datagram or data it never had. */
    @SuppressWarnings("unchecked")
    private static boolean changeSocketData(List<Object> sockets) {
        for (Object o : sockets) {
            Map<String, Object> s = (Map<String, Object>) o;
            for (String key : List.of("received", "connections")) {
                for (Object item : (List<Object>) s.getOrDefault(key, List.of())) {
                    Map<String, Object> data = (Map<String, Object>) item;
                    String h = (String) data.get("hex");
                    if (h != null && h.length() >= 2) {
                        data.put("hex", (h.startsWith("00") ? "01" : "00") + h.substring(2));
                        return true;
                    }
                }
            }
        }
        for (Object o : sockets) {
            Map<String, Object> s = (Map<String, Object>) o;
            if (s.get("received") instanceof List<?> l) {
                ((List<Object>) l).add(new LinkedHashMap<>(Map.of("from", "192.0.2.1:40000", "hex", "00")));
                return true;
            }
        }
        return false;
    }

    @SuppressWarnings("unchecked")
    private static byte[] frameOf(Map<String, Object> result, int i) {
        Map<String, Object> f = (Map<String, Object>) ((List<Object>) result.get("transmitted")).get(i);
        return HexFormat.of().parseHex((String) f.get("hex"));
    }

    @SuppressWarnings("unchecked")
    private static void setFrame(Map<String, Object> result, int i, String hex) {
        ((Map<String, Object>) ((List<Object>) result.get("transmitted")).get(i)).put("hex", hex);
    }

    /** A deep copy of a JSON tree. */
    @SuppressWarnings("unchecked")
    private static <T> T copy(T tree) {
        if (tree instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put((String) k, copy(v)));
            return (T) out;
        }
        if (tree instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            for (Object v : l) out.add(copy(v));
            return (T) out;
        }
        return tree;
    }
}
