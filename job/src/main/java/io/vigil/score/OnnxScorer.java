package io.vigil.score;

import ai.onnxruntime.OrtException;
import io.vigil.model.ModelContract;
import io.vigil.window.ScoringRequest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Scores batches of windows with an {@link OnnxSession}: {@link ScoringRequest}s in, one
 * {@link ScoredWindow} per request out, in the same order. Keeps one direct, native-order input
 * buffer and one output buffer that ONNX Runtime reads and writes in place; they grow when a batch
 * is larger than any before. Not thread-safe: one scorer per operator instance, while the session
 * behind it may be shared.
 *
 * <p>Per window, with x the normalized input and y the reconstruction: score = mean over all
 * steps and columns of (x − y)²; {@code columnErrors[c]} = mean over steps of (x − y)²;
 * {@code observed} = the newest step's values as the request carries them, before normalization;
 * {@code expected} = the newest step's y de-normalized (y·std + mean).
 */
public final class OnnxScorer {

    private final OnnxSession session;
    private final int window;
    private final int columns;
    private final int rowValues;
    private final float[] mean;
    private final float[] std;
    private final double[] columnSums;
    private FloatBuffer input;
    private FloatBuffer output;

    /** @param expectedRows the usual largest batch; the buffers are sized for it up front */
    public OnnxScorer(OnnxSession session, int expectedRows) {
        if (expectedRows < 1) {
            throw new IllegalArgumentException("expected rows must be >= 1, got " + expectedRows);
        }
        ModelContract contract = session.contract();
        this.session = session;
        this.window = contract.windowSize();
        this.columns = contract.columnCount();
        this.rowValues = window * columns;
        this.mean = contract.normalization().mean().clone();
        this.std = contract.normalization().std().clone();
        this.columnSums = new double[columns];
        allocate(expectedRows);
    }

    /**
     * Scores {@code batch} with one run of the model.
     *
     * @throws IllegalArgumentException when a request's window does not hold window.size × columns values
     */
    public ScoredWindow[] score(List<ScoringRequest> batch) throws OrtException {
        int rows = batch.size();
        if (rows == 0) {
            return new ScoredWindow[0];
        }
        if ((long) rows * rowValues > input.capacity()) {
            allocate(Math.max(rows, 2 * input.capacity() / rowValues));
        }
        // Absolute puts are bounded by the limit, which the previous run narrowed to its batch.
        input.clear();
        for (int row = 0; row < rows; row++) {
            ScoringRequest request = batch.get(row);
            if (request.window().length != rowValues) {
                throw new IllegalArgumentException("window of key '" + request.key() + "' holds " + request.window().length
                        + " values but the model takes " + window + " steps × " + columns + " columns = " + rowValues);
            }
            input.put(row * rowValues, request.window());
        }
        session.run(input, output, rows);

        ScoredWindow[] scored = new ScoredWindow[rows];
        for (int row = 0; row < rows; row++) {
            scored[row] = scoreRow(batch.get(row), row * rowValues);
        }
        return scored;
    }

    private ScoredWindow scoreRow(ScoringRequest request, int offset) {
        float[] x = request.window();
        Arrays.fill(columnSums, 0.0);
        double total = 0.0;
        for (int i = 0; i < rowValues; i++) {
            double error = (double) x[i] - output.get(offset + i);
            double squared = error * error;
            total += squared;
            columnSums[i % columns] += squared;
        }
        float[] columnErrors = new float[columns];
        float[] expected = new float[columns];
        int newest = rowValues - columns;
        for (int c = 0; c < columns; c++) {
            columnErrors[c] = (float) (columnSums[c] / window);
            expected[c] = (float) ((double) output.get(offset + newest + c) * std[c] + mean[c]);
        }
        return new ScoredWindow(request.key(), request.timestamp(), request.tie(), total / rowValues, columnErrors, request.newest(), expected,
                request.events());
    }

    private void allocate(int rows) {
        int values = Math.multiplyExact(rows, rowValues);
        input = ByteBuffer.allocateDirect(Math.multiplyExact(values, Float.BYTES)).order(ByteOrder.nativeOrder()).asFloatBuffer();
        output = ByteBuffer.allocateDirect(Math.multiplyExact(values, Float.BYTES)).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
