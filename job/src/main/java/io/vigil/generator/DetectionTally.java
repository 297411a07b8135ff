package io.vigil.generator;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Compares what the job flagged with what the generator injected. An alert catches a labelled
 * anomaly when it is for the same stream and key and its event time falls in the anomaly's
 * interval extended by the stream's {@code slack}: a window stays anomalous for as long as the
 * anomalous events are inside it, so a sensor alert may come up to one window after the anomaly.
 * Alerts that catch nothing are false alerts. Add each alert and each scored window once, then read
 * the totals.
 */
public final class DetectionTally {

    /** An alert or a score as seen on the output topics. */
    public record Flag(String stream, String key, long eventTime) {}

    private final Map<String, List<AnomalyLabel>> labelsByKey = new HashMap<>();
    private final Map<String, Long> slackMsByStream;
    private final Map<AnomalyLabel, Boolean> caught = new HashMap<>();
    private int labels;
    private long alerts;
    private long falseAlerts;
    private long normalWindows;

    public DetectionTally(List<AnomalyLabel> injected, Map<String, Long> slackMsByStream) {
        this.slackMsByStream = Map.copyOf(slackMsByStream);
        for (AnomalyLabel label : injected) {
            labelsByKey.computeIfAbsent(label.stream() + "/" + label.key(), k -> new ArrayList<>()).add(label);
            caught.put(label, false);
        }
        labels = injected.size();
    }

    public void alert(Flag alert) {
        alerts++;
        List<AnomalyLabel> matches = matching(alert);
        if (matches.isEmpty()) {
            falseAlerts++;
        }
        matches.forEach(label -> caught.put(label, true));
    }

    /** A scored window; those outside every anomaly are the normal windows false alerts are counted against. */
    public void score(Flag score) {
        if (matching(score).isEmpty()) {
            normalWindows++;
        }
    }

    private List<AnomalyLabel> matching(Flag flag) {
        long slack = slackMsByStream.getOrDefault(flag.stream(), 0L);
        return labelsByKey.getOrDefault(flag.stream() + "/" + flag.key(), List.of()).stream()
                .filter(l -> flag.eventTime() >= l.start() && flag.eventTime() <= l.end() + slack)
                .toList();
    }

    public int injected() {
        return labels;
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

    /** Caught anomalies of one kind over injected ones of that kind. */
    public Map<AnomalyKind, double[]> recallByKind() {
        Map<AnomalyKind, double[]> counts = new HashMap<>();
        caught.forEach((label, hit) -> {
            double[] c = counts.computeIfAbsent(label.kind(), k -> new double[2]);
            c[0] += hit ? 1 : 0;
            c[1] += 1;
        });
        return counts;
    }

    public double recall() {
        return labels == 0 ? 1.0 : (double) caught() / labels;
    }

    /** False alerts per normal window. */
    public double falseAlertRate() {
        return normalWindows == 0 ? 0.0 : (double) falseAlerts / normalWindows;
    }

    public List<AnomalyLabel> missed() {
        return caught.entrySet().stream().filter(e -> !e.getValue()).map(Map.Entry::getKey).toList();
    }
}
