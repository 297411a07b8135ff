package io.vigil.deadletter;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.sink.TopicRecords;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * Writes a {@link DeadLetter} as one JSON object, the dead-letter topic's format:
 *
 * <pre>{@code
 * {"reason":"malformed_json","detail":"…","topic":"sensors","partition":0,"offset":42,
 *  "payload":"{\"sensor_id\":","payload_encoding":"utf8","payload_bytes":13,"payload_truncated":false}
 * }</pre>
 *
 * <p>The payload is written as text when its bytes are valid UTF-8 ({@code "utf8"}), so a person can
 * read it, and as base64 otherwise ({@code "base64"}), so no byte is lost or replaced. A Kafka record
 * without a value (a tombstone) has {@code "payload":null} and {@code "payload_encoding":null}.
 *
 * <p>The payload is cut to {@code maxPayloadBytes} (at a character boundary) and
 * {@code payload_bytes} gives the original size: escaping and base64 make the dead letter larger
 * than the record it reports, and a dead letter above the producer's {@code max.request.size} would
 * fail the sink and, on every restart, fail it again on the same record.
 *
 * <p>Not thread-safe: one instance per operator instance, as {@link #kafkaSchema} does.
 */
public final class DeadLetterJson {

    /** A quarter of Kafka's default 1 MiB request limit, with room for JSON escaping (up to 6×). */
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 128 * 1024;

    private final ObjectMapper mapper = new ObjectMapper();
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final int maxPayloadBytes;

    public DeadLetterJson() {
        this(DEFAULT_MAX_PAYLOAD_BYTES);
    }

    public DeadLetterJson(int maxPayloadBytes) {
        if (maxPayloadBytes < 0) {
            throw new IllegalArgumentException("max dead-letter payload bytes = " + maxPayloadBytes + ": must be >= 0");
        }
        this.maxPayloadBytes = maxPayloadBytes;
    }

    public byte[] toJson(DeadLetter letter) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (JsonGenerator json = mapper.createGenerator(bytes)) {
            json.writeStartObject();
            json.writeStringField("reason", letter.reason());
            json.writeStringField("detail", letter.detail());
            json.writeStringField("topic", letter.topic());
            json.writeNumberField("partition", letter.partition());
            json.writeNumberField("offset", letter.offset());
            byte[] payload = letter.payload();
            if (payload == null) {
                json.writeNullField("payload");
                json.writeNullField("payload_encoding");
                json.writeNumberField("payload_bytes", 0);
                json.writeBooleanField("payload_truncated", false);
            } else {
                int length = cut(payload, maxPayloadBytes);
                String text = utf8OrNull(payload, length);
                if (text != null) {
                    json.writeStringField("payload", text);
                    json.writeStringField("payload_encoding", "utf8");
                } else {
                    json.writeFieldName("payload");
                    json.writeString(Base64.getEncoder().encodeToString(
                            length == payload.length ? payload : Arrays.copyOf(payload, length)));
                    json.writeStringField("payload_encoding", "base64");
                }
                json.writeNumberField("payload_bytes", payload.length);
                json.writeBooleanField("payload_truncated", length < payload.length);
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the dead letter of " + letter.topic() + "/"
                    + letter.partition() + "/" + letter.offset() + " as JSON", e);
        }
        return bytes.toByteArray();
    }

    /**
     * How many leading bytes to keep: at most {@code max}, moved back (at most three bytes) so as
     * not to split a UTF-8 sequence, which would turn a readable payload into base64.
     */
    static int cut(byte[] payload, int max) {
        if (payload.length <= max) {
            return payload.length;
        }
        int end = max;
        // A continuation byte (10xxxxxx) at the cut means the cut is inside a character.
        while (end > 0 && max - end < 3 && (payload[end] & 0xC0) == 0x80) {
            end--;
        }
        return (payload[end] & 0xC0) == 0x80 ? max : end;
    }

    /** The first {@code length} bytes as text when they are strictly valid UTF-8, else null. */
    private String utf8OrNull(byte[] payload, int length) {
        try {
            return utf8.decode(ByteBuffer.wrap(payload, 0, length)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /**
     * Kafka records for {@code topic} keyed by the source coordinates {@code topic/partition/offset}.
     * The key identifies the bad record, so a consumer (or a compacted topic) can drop the duplicate
     * a replay from an earlier offset produces; unique keys also spread dead letters over the
     * partitions, where their order does not matter. No timestamp is set: the producer's clock says
     * when the record was dead-lettered, which is what retention should count from.
     */
    public static TopicRecords<DeadLetter> kafkaSchema(String topic) {
        return kafkaSchema(topic, DEFAULT_MAX_PAYLOAD_BYTES);
    }

    public static TopicRecords<DeadLetter> kafkaSchema(String topic, int maxPayloadBytes) {
        return new KafkaSchema(topic, maxPayloadBytes);
    }

    /** The Kafka record key of a dead letter: where the bad record was read. */
    public static String key(DeadLetter letter) {
        return letter.topic() + "/" + letter.partition() + "/" + letter.offset();
    }

    private static final class KafkaSchema extends TopicRecords<DeadLetter> {
        private static final long serialVersionUID = 1L;

        private final int maxPayloadBytes;
        private transient DeadLetterJson json;

        KafkaSchema(String topic, int maxPayloadBytes) {
            super(topic);
            this.maxPayloadBytes = maxPayloadBytes;
        }

        @Override
        protected byte[] key(DeadLetter letter) {
            return DeadLetterJson.key(letter).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        protected byte[] value(DeadLetter letter) {
            if (json == null) {
                json = new DeadLetterJson(maxPayloadBytes);
            }
            return json.toJson(letter);
        }
    }
}
