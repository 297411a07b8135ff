package io.vigil.threshold;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Threshold settings per key: the job's settings, overridden for keys that start with a rule's
 * prefix (the longest matching prefix wins). Read from {@code threshold.rules} by
 * {@link io.vigil.config.JobSettings}; fixed for the job's run.
 */
public final class ThresholdRules implements Serializable {

    private static final long serialVersionUID = 1L;

    /** One override: keys starting with {@code prefix} use {@code settings}. */
    public record Rule(String prefix, ThresholdSettings settings) implements Serializable {}

    private final ThresholdSettings defaults;
    /** Longest prefix first, so the first match is the most specific. */
    private final List<Rule> rules;

    public ThresholdRules(ThresholdSettings defaults, List<Rule> rules) {
        this.defaults = defaults;
        List<Rule> sorted = new ArrayList<>(rules);
        sorted.sort(Comparator.comparingInt((Rule r) -> r.prefix().length()).reversed());
        this.rules = List.copyOf(sorted);
    }

    public static ThresholdRules none(ThresholdSettings defaults) {
        return new ThresholdRules(defaults, List.of());
    }

    public ThresholdSettings defaults() {
        return defaults;
    }

    public List<Rule> rules() {
        return rules;
    }

    /** Index into {@link #all()} of the settings for {@code key}: 0 the defaults, i + 1 rule i. */
    int indexFor(String key) {
        for (int i = 0; i < rules.size(); i++) {
            if (key.startsWith(rules.get(i).prefix())) {
                return i + 1;
            }
        }
        return 0;
    }

    /** The defaults, then each rule's settings, longest prefix first. */
    public List<ThresholdSettings> all() {
        List<ThresholdSettings> all = new ArrayList<>();
        all.add(defaults);
        rules.forEach(r -> all.add(r.settings()));
        return all;
    }

    public ThresholdSettings settingsFor(String key) {
        return all().get(indexFor(key));
    }
}
