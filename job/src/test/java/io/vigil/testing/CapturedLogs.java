package io.vigil.testing;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

/**
 * Collects every line logged at INFO and above by every logger of the JVM (Flink, the Kafka
 * clients, the job), with stack traces, while open; the console keeps its usual WARN level.
 * Tests use it to prove that a secret never reaches a log.
 */
public final class CapturedLogs implements AutoCloseable {

    /** Loggers the test configuration quiets below INFO, and which print the client settings at INFO. */
    private static final List<String> RAISED = List.of("org.apache.kafka", "kafka", "org.apache.flink");

    private final LoggerContext context = (LoggerContext) LogManager.getContext(false);
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Map<String, Level> previous = new HashMap<>();
    private final AbstractAppender appender;
    private final Appender console;

    public CapturedLogs() {
        Configuration config = context.getConfiguration();
        appender = new AbstractAppender("captured-all", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                StringBuilder line = new StringBuilder(event.getLoggerName()).append(' ').append(event.getMessage().getFormattedMessage());
                if (event.getThrown() != null) {
                    StringWriter trace = new StringWriter();
                    event.getThrown().printStackTrace(new PrintWriter(trace));
                    line.append('\n').append(trace);
                }
                lines.add(line.toString());
            }
        };
        appender.start();
        LoggerConfig root = config.getRootLogger();
        console = root.getAppenders().get("Console");
        previous.put("", root.getLevel());
        if (console != null) {
            // Events of every logger reach the root's appenders; the console keeps showing WARN only.
            root.removeAppender(console.getName());
            root.addAppender(console, Level.WARN, null);
        }
        root.addAppender(appender, Level.INFO, null);
        root.setLevel(Level.INFO);
        for (String name : RAISED) {
            LoggerConfig logger = config.getLoggers().get(name);
            if (logger != null && logger.getName().equals(name)) {
                previous.put(name, logger.getLevel());
                logger.setLevel(Level.INFO);
            }
        }
        context.updateLoggers();
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    @Override
    public void close() {
        Configuration config = context.getConfiguration();
        LoggerConfig root = config.getRootLogger();
        root.removeAppender(appender.getName());
        if (console != null) {
            root.removeAppender(console.getName());
            root.addAppender(console, null, null);
        }
        previous.forEach((name, level) -> (name.isEmpty() ? root : config.getLoggers().get(name)).setLevel(level));
        context.updateLoggers();
        appender.stop();
    }
}
