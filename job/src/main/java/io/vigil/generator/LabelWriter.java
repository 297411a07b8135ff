package io.vigil.generator;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes labels as JSON lines, flushing each so that a live reader sees a label as soon as it is known. */
final class LabelWriter implements Closeable {

    private final BufferedWriter out;

    LabelWriter(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    }

    void write(AnomalyLabel label) throws IOException {
        out.write(EventEncoder.JSON.writeValueAsString(label));
        out.write('\n');
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
