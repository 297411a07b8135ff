package io.vigil.testing;

import io.vigil.model.ModelContract;
import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * The small contract the parse and window tests share ({@code src/test/resources/contracts/tiny}):
 * columns temperature (numeric, at values.temperature), amount (log1p, at the pointer /amount),
 * channel=pos and channel=online (onehot), gap (seconds_since_previous, log1p) and hour:sin,
 * hour:cos (hour_of_day, cyclic, period 24); window size 3, stride 1.
 */
public final class TestContracts {

    public static final int TEMPERATURE = 0;
    public static final int AMOUNT = 1;
    public static final int CHANNEL_POS = 2;
    public static final int CHANNEL_ONLINE = 3;
    public static final int GAP = 4;
    public static final int HOUR_SIN = 5;
    public static final int HOUR_COS = 6;
    public static final int COLUMNS = 7;

    private TestContracts() {}

    public static ModelContract tiny() {
        try {
            return ModelContract.load(Path.of(TestContracts.class.getResource("/contracts/tiny").toURI()));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The tiny contract with another window size and stride. */
    public static ModelContract tiny(int size, int stride) {
        ModelContract c = tiny();
        return new ModelContract(c.name(), c.version(), c.stream(), c.kind(), c.onnx(), c.key(), c.timestamp(),
                c.features(), c.columns(), new ModelContract.Window(size, stride), c.normalization(), c.score(),
                c.calibration());
    }

    /** The tiny contract with another normalization. */
    public static ModelContract tiny(float[] mean, float[] std) {
        ModelContract c = tiny();
        return new ModelContract(c.name(), c.version(), c.stream(), c.kind(), c.onnx(), c.key(), c.timestamp(),
                c.features(), c.columns(), c.window(), new ModelContract.Normalization(mean, std), c.score(),
                c.calibration());
    }
}
