package io.vigil.generator;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One injected anomaly: which key, what kind, and the event times of its first and last affected
 * events (epoch ms, inclusive). Every event of the key in {@code [start, end]} belongs to it, and
 * the anomalies of a key never overlap. Written as one JSON line to {@code labels.jsonl}.
 *
 * <p>A model that scores windows also raises alerts for windows that merely contain an affected
 * event: an alert on a window whose newest event is up to {@code window size − 1} events after
 * {@code end} is still about this anomaly.
 *
 * @param channel the sensor channel it affects; null where it does not apply (transactions, or a
 *     noise burst on all channels)
 */
@JsonPropertyOrder({"stream", "key", "kind", "start", "end", "channel"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AnomalyLabel(String stream, String key, AnomalyKind kind, long start, long end, String channel) {

    /** Whether {@code timestamp} lies in this anomaly's interval. */
    public boolean covers(long timestamp) {
        return timestamp >= start && timestamp <= end;
    }

    /** Reads a labels file as written by {@link JsonLinesSink} or {@link KafkaEventSink}. */
    public static List<AnomalyLabel> readAll(Path file) {
        List<AnomalyLabel> labels = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file)) {
                if (!line.isBlank()) {
                    labels.add(EventEncoder.JSON.readValue(line, AnomalyLabel.class));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read labels from " + file, e);
        }
        return labels;
    }
}
