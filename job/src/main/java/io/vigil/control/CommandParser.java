package io.vigil.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.deadletter.DeadLetter;
import io.vigil.deadletter.DeadLetterReason;
import io.vigil.ingest.RawEvent;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Parses control commands. In: raw records of the control topic. Out: {@link ThresholdCommand}s
 * whose shape is right (known command, scope and parameter names); on {@link #DEAD_LETTERS} every
 * record that is not, with reason {@code invalid_command} and the original bytes. Whether the values
 * are in range is decided where the command is applied ({@link ControlledThreshold}), against the
 * settings in force then. Keeps no state.
 */
public class CommandParser extends ProcessFunction<RawEvent, ThresholdCommand> {

    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("control-dead-letters", TypeInformation.of(DeadLetter.class));

    private final TreeSet<String> parameterNames;
    private final TreeSet<String> streams;
    private final int maxPayloadBytes;
    private transient ObjectMapper json;
    private transient Counter invalid;

    /**
     * @param parameterNames the threshold parameters a command may set, without {@code threshold.}
     * @param streams the job's streams, which a command may name
     */
    public CommandParser(Set<String> parameterNames, List<String> streams, int maxPayloadBytes) {
        this.parameterNames = new TreeSet<>(parameterNames);
        this.streams = new TreeSet<>(streams);
        this.maxPayloadBytes = maxPayloadBytes;
    }

    @Override
    public void open(OpenContext openContext) {
        json = new ObjectMapper();
        invalid = getRuntimeContext().getMetricGroup().counter("deadLetters." + DeadLetterReason.INVALID_COMMAND.code());
    }

    @Override
    public void processElement(RawEvent raw, Context ctx, Collector<ThresholdCommand> out) {
        try {
            ThresholdCommand command = parse(raw);
            command.topic = raw.topic();
            command.partition = raw.partition();
            command.offset = raw.offset();
            command.payload = raw.payload();
            out.collect(command);
        } catch (IllegalArgumentException e) {
            invalid.inc();
            ctx.output(DEAD_LETTERS, DeadLetter.of(DeadLetterReason.INVALID_COMMAND, e.getMessage(), raw));
        }
    }

    /** Throws IllegalArgumentException saying what is wrong. */
    ThresholdCommand parse(RawEvent raw) {
        if (raw.payload() == null || raw.payload().length > maxPayloadBytes) {
            throw new IllegalArgumentException("command is empty or larger than " + maxPayloadBytes + " bytes");
        }
        JsonNode root;
        try {
            root = json.readTree(raw.payload());
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("a command is a JSON object");
        }
        for (Iterator<String> fields = root.fieldNames(); fields.hasNext(); ) {
            String field = fields.next();
            if (!Set.of("command", "stream", "scope", "parameters").contains(field)) {
                throw new IllegalArgumentException("unknown field '" + field + "': allowed are command, stream, scope, parameters");
            }
        }
        String command = root.path("command").asText("");
        if (!List.of(ThresholdCommand.SET, ThresholdCommand.CLEAR, ThresholdCommand.RESET).contains(command)) {
            throw new IllegalArgumentException("command '" + command + "': must be set, clear or reset");
        }
        JsonNode streamNode = root.get("stream");
        // A misspelt stream would otherwise be ignored by every stream without a word.
        if (streamNode != null && !(streamNode.isTextual() && streams.contains(streamNode.asText()))) {
            throw new IllegalArgumentException("stream " + streamNode + ": must be one of " + streams);
        }
        String scope;
        String target = "";
        JsonNode scopeNode = root.get("scope");
        if (scopeNode == null || (scopeNode.isTextual() && scopeNode.asText().equals(ThresholdCommand.GLOBAL))) {
            scope = ThresholdCommand.GLOBAL;
        } else if (scopeNode.isObject() && scopeNode.size() == 1
                && (scopeNode.has(ThresholdCommand.PREFIX) || scopeNode.has(ThresholdCommand.KEY))) {
            scope = scopeNode.has(ThresholdCommand.PREFIX) ? ThresholdCommand.PREFIX : ThresholdCommand.KEY;
            JsonNode value = scopeNode.get(scope);
            // An empty prefix would be a second way to say global, with different precedence.
            if (!value.isTextual() || value.asText().isEmpty()) {
                throw new IllegalArgumentException("scope " + scope + " must be a non-empty string");
            }
            target = value.asText();
        } else {
            throw new IllegalArgumentException("scope must be \"global\", {\"prefix\": \"...\"} or {\"key\": \"...\"}");
        }
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        JsonNode parameters = root.get("parameters");
        if (command.equals(ThresholdCommand.SET)) {
            if (parameters == null || !parameters.isObject() || parameters.isEmpty()) {
                throw new IllegalArgumentException("set needs \"parameters\": an object of threshold parameters, e.g. {\"threshold.k\": \"5\"}");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = parameters.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                String name = entry.getKey().startsWith("threshold.") ? entry.getKey().substring("threshold.".length()) : entry.getKey();
                if (!parameterNames.contains(name)) {
                    throw new IllegalArgumentException("parameter '" + entry.getKey() + "' cannot be set: allowed are "
                            + parameterNames + " (with or without 'threshold.')");
                }
                if (!entry.getValue().isValueNode() || entry.getValue().isNull()) {
                    throw new IllegalArgumentException("parameter '" + entry.getKey() + "' must be a string, number or boolean");
                }
                if (names.contains(name)) {
                    throw new IllegalArgumentException("parameter '" + name + "' is given twice");
                }
                names.add(name);
                values.add(entry.getValue().asText());
            }
        } else if (parameters != null) {
            throw new IllegalArgumentException(command + " takes no parameters");
        }
        return new ThresholdCommand(command, streamNode == null ? null : streamNode.asText(), scope, target,
                names.toArray(new String[0]), values.toArray(new String[0]));
    }
}
