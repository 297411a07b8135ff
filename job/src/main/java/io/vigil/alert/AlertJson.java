package io.vigil.alert;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.sink.TopicRecords;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Writes an {@link Alert} as one JSON object, the alerts topic's format:
 *
 * <pre>{@code
 * {"alert_id":"…","stream":"sensors","key":"pump-17","event_time":"2026-11-22T10:00:00.123Z",
 *  "score":1.234,"threshold":0.456,"severity":43,"method":"sigma",
 *  "incident_id":"…","incident":"start","incident_start":"2026-11-22T10:00:00.123Z","incident_anomalies":1,
 *  "model":{"name":"…","version":"…"},
 *  "top_features":[{"feature":"temperature","observed":71.2,"expected":60.1,"error":12.3}]}
 * }</pre>
 *
 * Not thread-safe: one instance per operator instance, as {@link #kafkaSchema} does.
 */
public final class AlertJson {

    /** ISO-8601 UTC with exactly three fraction digits, so every timestamp has the same shape. */
    static final DateTimeFormatter EVENT_TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final ObjectMapper mapper = new ObjectMapper();

    public byte[] toJson(Alert alert) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
        try (JsonGenerator json = mapper.createGenerator(bytes)) {
            json.writeStartObject();
            json.writeStringField("alert_id", alert.alertId());
            json.writeStringField("stream", alert.stream());
            json.writeStringField("key", alert.key());
            json.writeStringField("event_time", EVENT_TIME.format(Instant.ofEpochMilli(alert.eventTime())));
            json.writeNumberField("score", alert.score());
            json.writeNumberField("threshold", alert.threshold());
            json.writeNumberField("severity", alert.severity());
            json.writeStringField("method", alert.method());
            json.writeStringField("incident_id", alert.incidentId());
            json.writeStringField("incident", alert.phase().json());
            json.writeStringField("incident_start", EVENT_TIME.format(Instant.ofEpochMilli(alert.incidentStart())));
            json.writeNumberField("incident_anomalies", alert.incidentAnomalies());
            json.writeObjectFieldStart("model");
            json.writeStringField("name", alert.model());
            json.writeStringField("version", alert.modelVersion());
            json.writeEndObject();
            json.writeArrayFieldStart("top_features");
            for (FeatureContribution feature : alert.topFeatures()) {
                json.writeStartObject();
                json.writeStringField("feature", feature.feature());
                // The values come from float32 model tensors: written at float precision, 71.2
                // reads 71.2 and not 71.19999694824219.
                json.writeNumberField("observed", (float) feature.observed());
                json.writeNumberField("expected", (float) feature.expected());
                json.writeNumberField("error", (float) feature.error());
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write alert " + alert.alertId() + " as JSON", e);
        }
        return bytes.toByteArray();
    }

    /**
     * Kafka records for {@code topic}: the entity key is the record key, so the default partitioner
     * puts all alerts of a key in one partition, in order. The record timestamp is the time of
     * writing ({@link TopicRecords}); event time is in the JSON.
     */
    public static TopicRecords<Alert> kafkaSchema(String topic) {
        return new KafkaSchema(topic);
    }

    private static final class KafkaSchema extends TopicRecords<Alert> {
        private static final long serialVersionUID = 1L;

        private transient AlertJson json;

        KafkaSchema(String topic) {
            super(topic);
        }

        @Override
        protected byte[] key(Alert alert) {
            return alert.key().getBytes(StandardCharsets.UTF_8);
        }

        @Override
        protected byte[] value(Alert alert) {
            if (json == null) {
                json = new AlertJson();
            }
            return json.toJson(alert);
        }
    }
}
