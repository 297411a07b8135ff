package io.vigil.generator;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Compares what the job flagged with what the generator injected. A window is anomalous while any
 * anomalous event is inside it: from the anomaly's first event until the (size − 1)-th window of
 * the key after its last event. An alert on an anomalous window catches that anomaly; an alert on
 * any other window is a false alert, counted against the normal windows (the scored windows that
 * are not anomalous).
 */
public final class DetectionTally {

    /** An alert or a score as seen on the output topics. */
    public record Flag(String stream, String key, long eventTime) {}

    private record Span(AnomalyLabel label, long start, long end) {}

    private final Map<String, List<Span>> spansByKey = new HashMap<>();
    private final Map<AnomalyLabel, Boolean> caught = new HashMap<>();
    private long alerts;
    private long falseAlerts;
    private long normalWindows;

    /**
     * @param windowSizeByStream the model's window size per stream
     * @param scores every scored window (the scores topic)
     */
    public DetectionTally(List<AnomalyLabel> injected, Map<String, Integer> windowSizeByStream, List<Flag> scores,
            List<Flag> alertsSeen) {
        Map<String, List<Long>> windowTimes = new HashMap<>();
        scores.forEach(s -> windowTimes.computeIfAbsent(s.stream() + "/" + s.key(), k -> new ArrayList<>()).add(s.eventTime()));
        windowTimes.values().forEach(times -> times.sort(Comparator.naturalOrder()));
        for (AnomalyLabel label : injected) {
            String key = label.stream() + "/" + label.key();
            List<Long> times = windowTimes.getOrDefault(key, List.of());
            int after = firstAfter(times, label.end());
            int lastAnomalous = after + windowSizeByStream.getOrDefault(label.stream(), 1) - 2;
            long end = lastAnomalous < after ? label.end()
                    : lastAnomalous < times.size() ? times.get(lastAnomalous) : Long.MAX_VALUE;
            spansByKey.computeIfAbsent(key, k -> new ArrayList<>()).add(new Span(label, label.start(), end));
            caught.put(label, false);
        }
        scores.forEach(s -> {
            if (matching(s).isEmpty()) {
                normalWindows++;
            }
        });
        alertsSeen.forEach(this::alert);
    }

    private static int firstAfter(List<Long> sorted, long time) {
        int low = 0;
        int high = sorted.size();
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (sorted.get(mid) <= time) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        return low;
    }

    private void alert(Flag alert) {
        alerts++;
        List<Span> matches = matching(alert);
        if (matches.isEmpty()) {
            falseAlerts++;
        }
        matches.forEach(span -> caught.put(span.label(), true));
    }

    private List<Span> matching(Flag flag) {
        return spansByKey.getOrDefault(flag.stream() + "/" + flag.key(), List.of()).stream()
                .filter(s -> flag.eventTime() >= s.start() && flag.eventTime() <= s.end())
                .toList();
    }

    public int injected() {
        return caught.size();
    }

    public int caught() {
        return (int) caught.values().stream().filter(c -> c).count();
    }

    public long alerts() {
        return alerts;
    }

    public long falseAlerts() {
        return falseAlerts;
    }

    public long normalWindows() {
        return normalWindows;
    }

    /** Per anomaly kind: {caught, injected}. */
    public Map<AnomalyKind, long[]> byKind() {
        Map<AnomalyKind, long[]> counts = new java.util.TreeMap<>();
        caught.forEach((label, hit) -> {
            long[] c = counts.computeIfAbsent(label.kind(), k -> new long[2]);
            c[0] += hit ? 1 : 0;
            c[1] += 1;
        });
        return counts;
    }

    public double recall() {
        return caught.isEmpty() ? 1.0 : (double) caught() / caught.size();
    }

    /** False alerts per normal window. */
    public double falseAlertRate() {
        return normalWindows == 0 ? 0.0 : (double) falseAlerts / normalWindows;
    }

    public List<AnomalyLabel> missed() {
        return caught.entrySet().stream().filter(e -> !e.getValue()).map(Map.Entry::getKey).toList();
    }
}
