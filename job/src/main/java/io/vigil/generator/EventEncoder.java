package io.vigil.generator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Random;

/**
 * Turns simulated events into JSON payloads, well-formed or broken in one of the
 * {@link Malformation} ways. Every payload is built as a Jackson tree and written by the one
 * generator-wide {@link #JSON} mapper; broken ones are built by changing the tree (a missing key,
 * a text where a number belongs) or, for faults JSON cannot express, its bytes.
 */
final class EventEncoder {

    static final ObjectMapper JSON = new ObjectMapper();

    /** Payload size of an {@link Malformation#OVERSIZED} record: 1 MiB + 1 KiB. */
    static final int OVERSIZED_BYTES = 1024 * 1024 + 1024;

    /** Always with milliseconds ({@code 2026-01-01T00:00:01.000Z}), unlike {@code Instant.toString()}. */
    private static final DateTimeFormatter ISO_MILLIS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private EventEncoder() {}

    static String isoTimestamp(long epochMillis) {
        return ISO_MILLIS.format(Instant.ofEpochMilli(epochMillis));
    }

    /** The event as JSON, its {@code ts} as an ISO-8601 string or as epoch milliseconds. */
    static byte[] encode(SimulatedEvent event, boolean epochMillis) {
        return write(tree(event, epochMillis));
    }

    /** The event broken in the given way; {@code random} picks among the variants of that way. */
    static byte[] encodeMalformed(SimulatedEvent event, boolean epochMillis, Malformation malformation, Random random) {
        ObjectNode tree = tree(event, epochMillis);
        String keyField = keyField(event);
        ObjectNode features = event instanceof SensorReading ? (ObjectNode) tree.get("values") : tree;
        String feature = event instanceof SensorReading reading
                ? SensorSimulator.CHANNELS.get(random.nextInt(reading.values().length))
                : "amount";
        switch (malformation) {
            case TRUNCATED_JSON -> {
                byte[] whole = write(tree);
                // any strict prefix of an object lacks its closing brace, so none of them is valid JSON
                return Arrays.copyOf(whole, Distributions.between(random, whole.length / 4, whole.length - 2));
            }
            case NOT_AN_OBJECT -> {
                return write(random.nextBoolean() ? valuesArray(event) : NODES.textNode(csvLine(event)));
            }
            case MISSING_KEY -> {
                switch (random.nextInt(3)) {
                    case 0 -> tree.remove(keyField);
                    case 1 -> tree.putNull(keyField);
                    default -> tree.put(keyField, "");
                }
            }
            case BAD_TIMESTAMP -> {
                switch (random.nextInt(3)) {
                    case 0 -> tree.remove("ts");
                    case 1 -> tree.putNull("ts");
                    default -> tree.put("ts", "yesterday noon");
                }
            }
            case MISSING_FEATURE -> features.remove(feature);
            case NON_NUMERIC_FEATURE -> {
                String text = random.nextBoolean() ? "NaN" : event instanceof SensorReading ? "hot" : "12,50";
                features.put(feature, text);
            }
            case NON_FINITE_FEATURE -> features.put(feature, new BigDecimal(random.nextBoolean() ? "1e999" : "-1e999"));
            case INVALID_UTF8 -> {
                return withInvalidUtf8(write(tree), event.key(), random);
            }
            case OVERSIZED -> {
                int size = write(tree).length;
                // "blob" and its quotes, colon and comma take 9 bytes
                tree.put("blob", "0123456789abcdef".repeat(OVERSIZED_BYTES / 16 + 1).substring(0, OVERSIZED_BYTES - size - 9));
            }
            default -> throw new IllegalStateException("unknown malformation " + malformation);
        }
        return write(tree);
    }

    private static ObjectNode tree(SimulatedEvent event, boolean epochMillis) {
        ObjectNode tree = NODES.objectNode();
        tree.put(keyField(event), event.key());
        if (epochMillis) {
            tree.put("ts", event.timestamp());
        } else {
            tree.put("ts", isoTimestamp(event.timestamp()));
        }
        if (event instanceof SensorReading reading) {
            ObjectNode values = tree.putObject("values");
            for (int c = 0; c < reading.values().length; c++) {
                values.put(SensorSimulator.CHANNELS.get(c), reading.values()[c]);
            }
        } else if (event instanceof Transaction payment) {
            tree.put("amount", payment.amount());
            tree.put("currency", payment.currency());
            tree.put("merchant_category", payment.merchantCategory());
            tree.put("channel", payment.channel());
            tree.put("merchant_id", payment.merchantId());
        }
        return tree;
    }

    static String keyField(SimulatedEvent event) {
        return event instanceof SensorReading ? "sensor_id" : "account_id";
    }

    /** What a confused producer sends instead of an object: the bare values. */
    private static ArrayNode valuesArray(SimulatedEvent event) {
        ArrayNode array = NODES.arrayNode();
        if (event instanceof SensorReading reading) {
            Arrays.stream(reading.values()).forEach(array::add);
        } else if (event instanceof Transaction payment) {
            array.add(payment.amount()).add(payment.currency());
        }
        return array;
    }

    /** What another confused producer sends: its CSV line, as a JSON string. */
    private static String csvLine(SimulatedEvent event) {
        StringBuilder line = new StringBuilder(event.key()).append(',').append(isoTimestamp(event.timestamp()));
        for (JsonNode value : valuesArray(event)) {
            line.append(',').append(value.asText());
        }
        return line.toString();
    }

    /**
     * Replaces the character after the key's prefix ({@code pump-}, {@code acc-}) with bytes that are
     * not UTF-8: a byte that never occurs in UTF-8, a lone continuation byte, or a lead byte
     * followed by a non-continuation byte. The key is the field every parser must decode.
     */
    private static byte[] withInvalidUtf8(byte[] json, String key, Random random) {
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        int at = indexOf(json, keyBytes) + key.indexOf('-');
        byte[][] invalid = {{(byte) 0xFF}, {(byte) 0x80}, {(byte) 0xC3, (byte) '-'}};
        byte[] replacement = invalid[random.nextInt(invalid.length)];
        ByteArrayOutputStream out = new ByteArrayOutputStream(json.length + 1);
        out.write(json, 0, at);
        out.write(replacement, 0, replacement.length);
        out.write(json, at + 1, json.length - at - 1);
        return out.toByteArray();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalStateException("key not found in its own payload");
    }

    private static byte[] write(Object tree) {
        try {
            return JSON.writeValueAsBytes(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a generated event as JSON", e);
        }
    }
}
