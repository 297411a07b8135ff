package io.vigil.generator;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a run produced so far: records per stream (malformed ones included), malformed records per
 * kind, and labelled anomalies per kind.
 */
public record GeneratorSummary(
        Map<String, Long> eventsByStream, Map<Malformation, Long> malformedByKind, Map<AnomalyKind, Long> anomaliesByKind) {

    public GeneratorSummary {
        eventsByStream = Map.copyOf(eventsByStream);
        malformedByKind = Map.copyOf(malformedByKind);
        anomaliesByKind = Map.copyOf(anomaliesByKind);
    }

    public long events() {
        return eventsByStream.values().stream().mapToLong(Long::longValue).sum();
    }

    public long malformed() {
        return malformedByKind.values().stream().mapToLong(Long::longValue).sum();
    }

    public long anomalies() {
        return anomaliesByKind.values().stream().mapToLong(Long::longValue).sum();
    }

    @Override
    public String toString() {
        return events() + " events" + describe(eventsByStream) + "; " + malformed() + " malformed" + describe(malformedByKind)
                + "; " + anomalies() + " anomalies labelled" + describe(anomaliesByKind);
    }

    /** " (a 1, b 2)", or nothing when there are no counts. */
    private static String describe(Map<?, Long> counts) {
        if (counts.isEmpty()) {
            return "";
        }
        return counts.entrySet().stream()
                .sorted(Map.Entry.comparingByKey((a, b) -> a.toString().compareTo(b.toString())))
                .map(e -> (e.getKey() instanceof Malformation m ? m.code()
                        : e.getKey() instanceof AnomalyKind k ? k.code() : e.getKey()) + " " + e.getValue())
                .collect(Collectors.joining(", ", " (", ")"));
    }
}
