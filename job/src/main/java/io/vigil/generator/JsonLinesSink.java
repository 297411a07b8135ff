package io.vigil.generator;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes each stream's records to {@code DIR/<stream>.jsonl}, one payload per line exactly as it
 * would go to Kafka (broken ones included: a line can hold bytes that are not UTF-8), and the
 * labels to {@code DIR/labels.jsonl}. A stream's file is created with its first record.
 */
public final class JsonLinesSink implements EventSink {

    public static final String LABELS_FILE = "labels.jsonl";

    private final Path dir;
    private final Map<String, OutputStream> files = new LinkedHashMap<>();
    private final LabelWriter labels;

    public JsonLinesSink(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.labels = new LabelWriter(dir.resolve(LABELS_FILE));
    }

    /** The file of one stream's records: {@code DIR/sensors.jsonl}, {@code DIR/transactions.jsonl}. */
    public static Path eventsFile(Path dir, String stream) {
        return dir.resolve(stream + ".jsonl");
    }

    @Override
    public void event(GeneratedEvent event) throws IOException {
        OutputStream out = files.get(event.stream());
        if (out == null) {
            out = new BufferedOutputStream(Files.newOutputStream(eventsFile(dir, event.stream())), 1 << 20);
            files.put(event.stream(), out);
        }
        out.write(event.payload());
        out.write('\n');
    }

    @Override
    public void label(AnomalyLabel label) throws IOException {
        labels.write(label);
    }

    @Override
    public void close() throws IOException {
        IOException failure = null;
        for (OutputStream out : files.values()) {
            try {
                out.close();
            } catch (IOException e) {
                failure = e;
            }
        }
        labels.close();
        if (failure != null) {
            throw failure;
        }
    }
}
