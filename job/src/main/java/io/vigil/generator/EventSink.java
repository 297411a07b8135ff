package io.vigil.generator;

import java.io.Closeable;
import java.io.IOException;

/** Where {@link Generator#run} puts the records and the labels of the injected anomalies. */
public interface EventSink extends Closeable {

    void event(GeneratedEvent event) throws IOException;

    void label(AnomalyLabel label) throws IOException;
}
