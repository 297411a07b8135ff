package io.vigil.threshold;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Threshold settings per key: the job's settings, overridden for keys that start with a rule's
 * prefix (the longest matching prefix wins), and for single keys (an exact key beats every
 * prefix). Read from {@code threshold.rules} by {@link io.vigil.config.JobSettings}; changed at
 * runtime only through control commands ({@code io.vigil.control}), which build a new instance.
 */
public final class ThresholdRules implements Serializable {

    private static final long serialVersionUID = 2L;

    /**
     * One override: keys starting with {@code prefix} use {@code settings}.
     *
     * @param parameters the rule's own {@code name=value} pairs (names without {@code threshold.}),
     *     so the rule can be laid again over changed job-wide settings; null when the rule was built
     *     from settings alone and stays as it is
     */
    public record Rule(String prefix, ThresholdSettings settings, Map<String, String> parameters) implements Serializable {

        public Rule(String prefix, ThresholdSettings settings) {
            this(prefix, settings, null);
        }
    }

    private final ThresholdSettings defaults;
    /** Longest prefix first, so the first match is the most specific. */
    private final List<Rule> rules;
    /** Overrides of single keys, after the prefix rules in {@link #all()}. */
    private final List<Rule> keyRules;
    private final Map<String, Integer> keyIndex = new HashMap<>();

    public ThresholdRules(ThresholdSettings defaults, List<Rule> rules) {
        this(defaults, rules, List.of());
    }

    /** @param keyRules overrides whose {@link Rule#prefix()} is one exact key */
    public ThresholdRules(ThresholdSettings defaults, List<Rule> rules, List<Rule> keyRules) {
        this.defaults = defaults;
        List<Rule> sorted = new ArrayList<>(rules);
        sorted.sort(Comparator.comparingInt((Rule r) -> r.prefix().length()).reversed());
        this.rules = List.copyOf(sorted);
        this.keyRules = List.copyOf(keyRules);
        for (int i = 0; i < this.keyRules.size(); i++) {
            keyIndex.put(this.keyRules.get(i).prefix(), 1 + this.rules.size() + i);
        }
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

    public List<Rule> keyRules() {
        return keyRules;
    }

    /**
     * Index into {@link #all()} of the settings for {@code key}: 0 the defaults, i + 1 prefix rule
     * i, then the key rules.
     */
    int indexFor(String key) {
        Integer exact = keyIndex.get(key);
        if (exact != null) {
            return exact;
        }
        return prefixIndexFor(key);
    }

    private int prefixIndexFor(String key) {
        for (int i = 0; i < rules.size(); i++) {
            if (key.startsWith(rules.get(i).prefix())) {
                return i + 1;
            }
        }
        return 0;
    }

    /** The defaults, then each prefix rule's settings, longest prefix first, then each key rule's. */
    public List<ThresholdSettings> all() {
        List<ThresholdSettings> all = new ArrayList<>();
        all.add(defaults);
        rules.forEach(r -> all.add(r.settings()));
        keyRules.forEach(r -> all.add(r.settings()));
        return all;
    }

    public ThresholdSettings settingsFor(String key) {
        return all().get(indexFor(key));
    }

    /** The settings {@code key} gets from the defaults and the prefix rules, ignoring key rules. */
    public ThresholdSettings prefixSettingsFor(String key) {
        return all().get(prefixIndexFor(key));
    }
}
