package io.vigil.control;

import io.vigil.alert.Alert;
import io.vigil.config.JobSettings;
import io.vigil.deadletter.DeadLetter;
import io.vigil.deadletter.DeadLetterReason;
import io.vigil.score.ScoredWindow;
import io.vigil.threshold.AdaptiveThreshold;
import io.vigil.threshold.ThresholdRules;
import io.vigil.threshold.ThresholdSettings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threshold operator of a job with a control topic: {@link AdaptiveThreshold}'s judging, with
 * its rules changed at runtime by {@link ThresholdCommand}s broadcast to every parallel instance.
 *
 * <p>In: {@link ScoredWindow}s keyed by entity key, and commands (broadcast). Out: alerts, and on
 * {@link AdaptiveThreshold#SCORES} every score, as {@link AdaptiveThreshold}; on
 * {@link #DEAD_LETTERS} each command that cannot be applied (reason {@code invalid_command}, the
 * original bytes), written by subtask 0 only, so once per stream.
 *
 * <p>State: the keyed states of {@link AdaptiveThreshold} (every method's registered, since a
 * command may switch methods), and broadcast state {@value #COMMANDS_STATE_NAME}: one entry per
 * scope (global, a prefix, a key) with the merged parameters of every {@code set} to it. It is
 * checkpointed with the operator, so commands survive restarts; it is bounded by the number of
 * scopes commands name, and a {@code clear} removes an entry.
 *
 * <p>Applying a command is atomic: the new rules are built and checked in full, then swapped in
 * between two scores; a command that fails leaves the rules and the state as they were. Every
 * instance reaches the same verdict, since it depends only on the commands, in the same order on
 * each. Commands take effect from when they are processed, in processing time: a score already
 * judged is not judged again, and a command does not wait for the watermark.
 *
 * <p>Metrics (subtask 0, so that sums over subtasks count each command once): counters
 * {@code commandsApplied}, {@code commandsRejected}.
 */
public class ControlledThreshold extends KeyedBroadcastProcessFunction<String, ScoredWindow, ThresholdCommand, Alert> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ControlledThreshold.class);

    /** Part of the savepoint format, like the keyed states' names. */
    public static final String COMMANDS_STATE_NAME = "threshold-commands";
    public static final MapStateDescriptor<String, ThresholdCommand> COMMANDS = new MapStateDescriptor<>(
            COMMANDS_STATE_NAME, Types.STRING, TypeInformation.of(ThresholdCommand.class));

    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("command-dead-letters", TypeInformation.of(DeadLetter.class));

    private final String stream;
    private final AdaptiveThreshold threshold;
    private transient boolean loaded;
    private transient boolean reporter;
    private transient Counter applied;
    private transient Counter rejected;

    /** @param threshold the operator's judging, with the job's initial rules */
    public ControlledThreshold(String stream, AdaptiveThreshold threshold) {
        this.stream = stream;
        this.threshold = threshold.registeringAllStates();
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        threshold.setRuntimeContext(getRuntimeContext());
        threshold.open(openContext);
        reporter = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0;
        applied = getRuntimeContext().getMetricGroup().counter("commandsApplied");
        rejected = getRuntimeContext().getMetricGroup().counter("commandsRejected");
    }

    @Override
    public void close() throws Exception {
        threshold.close();
    }

    @Override
    public void processElement(ScoredWindow window, ReadOnlyContext ctx, Collector<Alert> out) throws Exception {
        if (!loaded) {
            load(ctx.getBroadcastState(COMMANDS).immutableEntries());
        }
        threshold.process(window, ctx.timerService(), r -> ctx.output(AdaptiveThreshold.SCORES, r), out);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Alert> out) throws Exception {
        if (!loaded) {
            load(ctx.getBroadcastState(COMMANDS).immutableEntries());
        }
        threshold.fire(timestamp, ctx.getCurrentKey(), ctx.timerService(), out);
    }

    /** After a restore the rules are rebuilt once from the broadcast state, before the first score. */
    private void load(Iterable<Map.Entry<String, ThresholdCommand>> entries) {
        if (loaded) {
            return;
        }
        List<ThresholdCommand> commands = new ArrayList<>();
        entries.forEach(e -> commands.add(e.getValue()));
        // Every entry in state was applied once; a failure here means the job's own rules changed
        // under it (another rules file at restart), which must not pass silently.
        threshold.useRules(rules(threshold.initialRules(), commands));
        loaded = true;
    }

    @Override
    public void processBroadcastElement(ThresholdCommand command, Context ctx, Collector<Alert> out) throws Exception {
        if (command.stream != null && !command.stream.equals(stream)) {
            return;
        }
        BroadcastState<String, ThresholdCommand> state = ctx.getBroadcastState(COMMANDS);
        load(state.immutableEntries());
        try {
            switch (command.command) {
                case ThresholdCommand.SET, ThresholdCommand.CLEAR -> {
                    Map<String, ThresholdCommand> next = new LinkedHashMap<>();
                    state.immutableEntries().forEach(e -> next.put(e.getKey(), e.getValue()));
                    if (command.command.equals(ThresholdCommand.SET)) {
                        next.put(command.scopeId(), merge(next.get(command.scopeId()), command));
                    } else {
                        next.remove(command.scopeId());
                    }
                    ThresholdRules rules = rules(threshold.initialRules(), new ArrayList<>(next.values()));
                    threshold.useRules(rules);
                    // Only now, with the rules in force, is the state changed: both or neither.
                    if (next.containsKey(command.scopeId())) {
                        state.put(command.scopeId(), next.get(command.scopeId()));
                    } else {
                        state.remove(command.scopeId());
                    }
                }
                case ThresholdCommand.RESET -> {
                    // Eager, over every key of this instance's state: a reset must also reach keys
                    // that score no more (a lazy reset would have to be remembered per key, in state,
                    // until each key's next score). The cost, one pass over the keys of three
                    // states, is paid once per reset command, which an operator sends by hand.
                    for (ValueStateDescriptor<?> descriptor : threshold.learnedStateDescriptors()) {
                        ctx.applyToKeyedState(descriptor, (key, keyState) -> {
                            if (command.covers(key)) {
                                keyState.clear();
                            }
                        });
                    }
                }
                default -> throw new IllegalArgumentException("command '" + command.command + "': must be set, clear or reset");
            }
        } catch (IllegalArgumentException e) {
            if (reporter) {
                rejected.inc();
                LOG.warn("stream {}: control command rejected, {}: {}", stream, command, e.getMessage());
                ctx.output(DEAD_LETTERS, new DeadLetter(DeadLetterReason.INVALID_COMMAND.code(),
                        "stream " + stream + ": " + e.getMessage(), command.topic, command.partition, command.offset, command.payload));
            }
            return;
        }
        if (reporter) {
            applied.inc();
            LOG.info("stream {}: control command applied, {}", stream, command);
        }
    }

    /** The scope's entry with {@code command}'s parameters laid over it; without payload, which state does not need. */
    private static ThresholdCommand merge(ThresholdCommand existing, ThresholdCommand command) {
        Map<String, String> pairs = new LinkedHashMap<>(existing == null ? Map.of() : pairs(existing));
        pairs.putAll(pairs(command));
        ThresholdCommand merged = new ThresholdCommand(ThresholdCommand.SET, command.stream, command.scope, command.target,
                pairs.keySet().toArray(new String[0]), pairs.values().toArray(new String[0]));
        merged.topic = command.topic;
        merged.partition = command.partition;
        merged.offset = command.offset;
        return merged;
    }

    private static Map<String, String> pairs(ThresholdCommand command) {
        Map<String, String> pairs = new LinkedHashMap<>();
        for (int i = 0; i < command.names.length; i++) {
            pairs.put(command.names[i], command.values[i]);
        }
        return pairs;
    }

    /**
     * The rules that {@code commands} (one {@code set} entry per scope) make of {@code initial}, in
     * the model of {@code threshold.rules}, layer on layer:
     * <ol>
     *   <li>the global entry's parameters are laid over the command line's;
     *   <li>each rules-file line is laid again over that (what the line does not set comes from the
     *       command line as changed);
     *   <li>a prefix entry is laid over the file's line of the same prefix, or over the global
     *       settings when there is none; the longest matching prefix still wins;
     *   <li>a key entry is laid over what its key gets from the prefixes, and beats all of them.
     * </ol>
     * Throws IllegalArgumentException, naming the scope and parameter, when a value is out of range.
     */
    static ThresholdRules rules(ThresholdRules initial, List<ThresholdCommand> commands) {
        ThresholdSettings defaults = initial.defaults();
        for (ThresholdCommand c : commands) {
            if (c.scope.equals(ThresholdCommand.GLOBAL)) {
                defaults = overlay(defaults, c);
            }
        }
        Map<String, ThresholdRules.Rule> prefixes = new LinkedHashMap<>();
        for (ThresholdRules.Rule r : initial.rules()) {
            ThresholdSettings settings = r.parameters() == null ? r.settings()
                    : overlay(defaults, r.parameters(), "threshold.rules prefix '" + r.prefix() + "'");
            prefixes.put(r.prefix(), new ThresholdRules.Rule(r.prefix(), settings, r.parameters()));
        }
        for (ThresholdCommand c : commands) {
            if (c.scope.equals(ThresholdCommand.PREFIX)) {
                ThresholdRules.Rule file = prefixes.get(c.target);
                prefixes.put(c.target, new ThresholdRules.Rule(c.target, overlay(file == null ? defaults : file.settings(), c)));
            }
        }
        ThresholdRules byPrefix = new ThresholdRules(defaults, new ArrayList<>(prefixes.values()));
        Map<String, ThresholdRules.Rule> keys = new HashMap<>();
        for (ThresholdCommand c : commands) {
            if (c.scope.equals(ThresholdCommand.KEY)) {
                keys.put(c.target, new ThresholdRules.Rule(c.target, overlay(byPrefix.prefixSettingsFor(c.target), c)));
            }
        }
        return new ThresholdRules(defaults, byPrefix.rules(), new ArrayList<>(keys.values()));
    }

    private static ThresholdSettings overlay(ThresholdSettings base, ThresholdCommand command) {
        String where = command.scope + (command.target.isEmpty() ? "" : " '" + command.target + "'");
        return overlay(base, pairs(command), where);
    }

    private static ThresholdSettings overlay(ThresholdSettings base, Map<String, String> pairs, String where) {
        try {
            return JobSettings.overlayThreshold(base, pairs);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }
}
