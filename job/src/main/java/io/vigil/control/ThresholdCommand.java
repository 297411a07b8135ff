package io.vigil.control;

import java.util.Arrays;

/**
 * One control command as parsed from the control topic, before it is applied: what to do, to which
 * keys, with which parameters, and where it came from (so a command that cannot be applied is
 * dead-lettered with its original bytes). Also the value of the broadcast state, there without
 * its payload (see {@link ControlledThreshold}).
 *
 * <p>A POJO (public fields, no-argument constructor) so it crosses the broadcast and sits in
 * state without Kryo.
 */
public class ThresholdCommand {

    public static final String SET = "set";
    public static final String CLEAR = "clear";
    public static final String RESET = "reset";

    public static final String GLOBAL = "global";
    public static final String PREFIX = "prefix";
    public static final String KEY = "key";

    /** {@link #SET}, {@link #CLEAR} or {@link #RESET}. */
    public String command;
    /** The stream whose threshold operator applies it; null for every stream. */
    public String stream;
    /** {@link #GLOBAL}, {@link #PREFIX} or {@link #KEY}. */
    public String scope;
    /** The key prefix or the key; empty for the global scope. */
    public String target;
    /** Parameter names (as in {@code threshold.rules}: without {@code threshold.}), parallel to {@link #values}. */
    public String[] names;
    public String[] values;
    /** Where the command was read from, and its bytes; null payload once in state. */
    public String topic;
    public int partition;
    public long offset;
    public byte[] payload;

    public ThresholdCommand() {}

    public ThresholdCommand(String command, String stream, String scope, String target, String[] names, String[] values) {
        this.command = command;
        this.stream = stream;
        this.scope = scope;
        this.target = target == null ? "" : target;
        this.names = names;
        this.values = values;
    }

    /** The broadcast state's key of this command's scope: the same scope is one entry, later sets merge into it. */
    public String scopeId() {
        return scope + ":" + target;
    }

    /** Whether this command's scope covers {@code key}. */
    public boolean covers(String key) {
        return switch (scope) {
            case KEY -> key.equals(target);
            case PREFIX -> key.startsWith(target);
            default -> true;
        };
    }

    /** For logs: the command as a line. */
    public String describe() {
        StringBuilder out = new StringBuilder(command).append(' ').append(scope);
        if (!GLOBAL.equals(scope)) {
            out.append(" '").append(target).append('\'');
        }
        if (stream != null) {
            out.append(" of stream ").append(stream);
        }
        for (int i = 0; names != null && i < names.length; i++) {
            out.append(' ').append(names[i]).append('=').append(values[i]);
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return describe() + " (" + topic + "/" + partition + "@" + offset + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ThresholdCommand c && java.util.Objects.equals(command, c.command)
                && java.util.Objects.equals(stream, c.stream) && java.util.Objects.equals(scope, c.scope)
                && java.util.Objects.equals(target, c.target) && Arrays.equals(names, c.names) && Arrays.equals(values, c.values);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(command, stream, scope, target, Arrays.hashCode(names), Arrays.hashCode(values));
    }
}
