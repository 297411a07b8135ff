package io.vigil.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.description.HtmlFormatter;
import org.apache.flink.util.TimeUtils;

/** Prints the job's parameters, generated from {@link JobOptions} so that the two never disagree. */
public final class Help {

    private Help() {}

    public static String text() {
        StringBuilder out = new StringBuilder();
        out.append("Vigil: scores keyed JSON events from Kafka with an ONNX autoencoder and writes alerts to Kafka.\n\n")
                .append("Usage: DetectionJob --streams NAME[,NAME...] --stream.NAME.model DIR --stream.NAME.topics TOPIC ")
                .append("--kafka.bootstrap-servers HOST:PORT [parameters]\n\nParameters:\n");
        for (ConfigOption<?> option : JobOptions.ALL) {
            out.append("  --").append(option.key());
            String shown = defaultText(option);
            if (shown != null) {
                out.append("  (default: ").append(shown).append(')');
            }
            out.append("\n      ").append(description(option)).append('\n');
        }
        return out.toString();
    }

    static String description(ConfigOption<?> option) {
        return new HtmlFormatter().format(option.description())
                .replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&");
    }

    static <E extends Enum<E>> String enumValues(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).map(Help::spell).collect(Collectors.joining(", "));
    }

    private static String defaultText(ConfigOption<?> option) {
        if (!option.hasDefaultValue()) {
            return null;
        }
        Object value = option.defaultValue();
        if (value instanceof Duration duration) {
            return TimeUtils.formatWithHighestUnit(duration);
        } else if (value instanceof Enum<?> e) {
            return spell(e) + "; one of " + Arrays.stream(e.getDeclaringClass().getEnumConstants())
                    .map(Help::spell).collect(Collectors.joining(", "));
        } else if (value instanceof List<?> list) {
            return String.join(",", list.stream().map(String::valueOf).toList());
        }
        return String.valueOf(value);
    }

    private static String spell(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
