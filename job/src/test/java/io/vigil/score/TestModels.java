package io.vigil.score;

import io.vigil.model.LoadedModel;
import io.vigil.model.ModelContract;
import io.vigil.window.ScoringRequest;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/**
 * The models written by {@code src/test/resources/score/make_test_models.py}: three numeric
 * columns a, b, c with means 10, 20, 30 and stds 2, 4, 5, windows of 4 steps.
 */
final class TestModels {

    static final int WINDOW = 4;
    static final int COLUMNS = 3;
    /** The columns' normalization, as the models' contracts give it. */
    static final float[] MEAN = {10, 20, 30};
    static final float[] STD = {2, 4, 5};

    private TestModels() {}

    /** A dense autoencoder 12 → 6 → 12 with fixed random weights. */
    static LoadedModel dense() {
        return load("dense-w4c3");
    }

    /** Reconstruction = input / 2. */
    static LoadedModel halving() {
        return load("halving-w4c3");
    }

    static LoadedModel load(String name) {
        URL directory = TestModels.class.getResource("/score/" + name);
        if (directory == null) {
            throw new IllegalArgumentException("no test model " + name);
        }
        try {
            return LoadedModel.load(Path.of(directory.toURI()));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code model} with other input and output names in its contract. */
    static LoadedModel withTensorNames(LoadedModel model, String input, String output) {
        ModelContract c = model.contract();
        ModelContract.Onnx onnx = new ModelContract.Onnx(c.onnx().file(), c.onnx().sha256(), input, output, c.onnx().opset());
        return new LoadedModel(new ModelContract(c.name(), c.version(), c.stream(), c.kind(), onnx, c.key(), c.timestamp(),
                c.features(), c.columns(), c.window(), c.normalization(), c.score(), c.calibration()), model.onnxBytes());
    }

    /** {@code model} with other normalization means in its contract. */
    static LoadedModel withMeans(LoadedModel model, float... mean) {
        ModelContract c = model.contract();
        return new LoadedModel(new ModelContract(c.name(), c.version(), c.stream(), c.kind(), c.onnx(), c.key(), c.timestamp(),
                c.features(), c.columns(), c.window(), new ModelContract.Normalization(mean, c.normalization().std()),
                c.score(), c.calibration()), model.onnxBytes());
    }

    static ScoringRequest request(String key, long timestamp, float... window) {
        return new ScoringRequest(key, timestamp, 0, window, newestDenormalized(window), 1);
    }

    /** The newest step of a normalized window in the columns' units, as the window builder carries it. */
    static float[] newestDenormalized(float[] window) {
        float[] newest = new float[COLUMNS];
        for (int c = 0; c < COLUMNS; c++) {
            newest[c] = window[window.length - COLUMNS + c] * STD[c] + MEAN[c];
        }
        return newest;
    }

    /** A window whose values are {@code seed}, {@code seed + 0.1}, … in normalized units. */
    static ScoringRequest ramp(String key, long timestamp, float seed) {
        float[] window = new float[WINDOW * COLUMNS];
        for (int i = 0; i < window.length; i++) {
            window[i] = seed + 0.1f * i;
        }
        return request(key, timestamp, window);
    }
}
