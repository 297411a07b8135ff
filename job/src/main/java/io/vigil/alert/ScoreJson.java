package io.vigil.alert;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.sink.TopicRecords;
import io.vigil.threshold.ScoreRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Writes a {@link ScoreRecord} as one JSON object, the optional scores topic's format:
 *
 * <pre>{@code
 * {"stream":"sensors","key":"pump-17","event_time":"2026-11-22T10:00:00.123Z","score":0.31,
 *  "threshold":1.49,"alert":false,"events":1}
 * }</pre>
 *
 * Not thread-safe: one instance per operator instance, as {@link #kafkaSchema} does.
 */
public final class ScoreJson {

    private final ObjectMapper mapper = new ObjectMapper();

    public byte[] toJson(ScoreRecord score) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(192);
        try (JsonGenerator json = mapper.createGenerator(bytes)) {
            json.writeStartObject();
            json.writeStringField("stream", score.stream());
            json.writeStringField("key", score.key());
            json.writeStringField("event_time", AlertJson.EVENT_TIME.format(Instant.ofEpochMilli(score.eventTime())));
            json.writeNumberField("score", score.score());
            json.writeNumberField("threshold", score.threshold());
            json.writeBooleanField("alert", score.alert());
            json.writeNumberField("events", score.events());
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the score of key " + score.key() + " as JSON", e);
        }
        return bytes.toByteArray();
    }

    /** Kafka records for {@code topic}, keyed by entity key (one key's scores stay in order). */
    public static TopicRecords<ScoreRecord> kafkaSchema(String topic) {
        return new KafkaSchema(topic);
    }

    private static final class KafkaSchema extends TopicRecords<ScoreRecord> {
        private static final long serialVersionUID = 1L;

        private transient ScoreJson json;

        KafkaSchema(String topic) {
            super(topic);
        }

        @Override
        protected byte[] key(ScoreRecord score) {
            return score.key().getBytes(StandardCharsets.UTF_8);
        }

        @Override
        protected byte[] value(ScoreRecord score) {
            if (json == null) {
                json = new ScoreJson();
            }
            return json.toJson(score);
        }
    }
}
