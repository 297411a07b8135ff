package io.vigil.model;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A model ready to ship with the job graph: its contract and the bytes of its ONNX graph, whose
 * sha256 was checked against the contract. Loading happens once, at submission, so that a missing
 * file or a mismatched hash stops the job before it starts; the TaskManagers then need no access
 * to the model directory.
 */
public record LoadedModel(ModelContract contract, byte[] onnxBytes) implements Serializable {

    public static LoadedModel load(Path dir) {
        ModelContract contract = ModelContract.load(dir);
        Path onnx = dir.resolve(contract.onnx().file());
        if (!Files.isRegularFile(onnx)) {
            throw new IllegalArgumentException("model file not found: " + onnx.toAbsolutePath()
                    + " (named by " + dir.resolve("model.json").toAbsolutePath() + ")");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(onnx);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read model file " + onnx.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        String actual = sha256(bytes);
        if (!actual.equalsIgnoreCase(contract.onnx().sha256())) {
            throw new IllegalArgumentException("model file " + onnx.toAbsolutePath() + " has sha256 " + actual
                    + " but model.json expects " + contract.onnx().sha256() + ": the file and its contract do not belong together");
        }
        return new LoadedModel(contract, bytes);
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
