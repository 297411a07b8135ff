package io.vigil.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The FlinkDeployment manifests of deploy/k8s against the schema the Flink Kubernetes Operator
 * installs for them (its CRD, carried by its API jar), read as strictly as {@code kubectl apply}
 * reads them by default: a field the schema does not know is an error, not silently pruned.
 */
class KubernetesManifestsTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Path MANIFESTS = Path.of("../deploy/k8s");
    private static final String CRD = "META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml";
    /**
     * The operator API on hand (1.10) predates Flink 2; later operator releases add Flink 2's
     * versions to this enum, and the manifests name Flink 2.2.
     */
    private static final List<String> FLINK_2_VERSIONS = List.of("v2_0", "v2_1", "v2_2");

    static Stream<Path> manifests() throws IOException {
        try (Stream<Path> files = Files.list(MANIFESTS)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".yaml")).sorted().toList().stream();
        }
    }

    @Test
    void bothManifestsAreChecked() throws IOException {
        assertEquals(List.of("flinkdeployment-gpu.yaml", "flinkdeployment.yaml"),
                manifests().map(f -> f.getFileName().toString()).toList());
    }

    @ParameterizedTest
    @MethodSource("manifests")
    void manifestMatchesTheOperatorsFlinkDeploymentSchema(Path manifest) throws IOException {
        JsonNode document = YAML.readTree(manifest.toFile());
        assertEquals("FlinkDeployment", document.path("kind").asText(), manifest + ": kind");
        List<Error> errors = schemaFor(document.path("apiVersion").asText()).validate(document);
        assertTrue(errors.isEmpty(), manifest + " does not match the FlinkDeployment schema: " + errors);
    }

    @Test
    void aMisspelledFieldOrAValueOfTheWrongTypeIsCaught() throws IOException {
        ObjectNode document = (ObjectNode) YAML.readTree(MANIFESTS.resolve("flinkdeployment.yaml").toFile());
        ObjectNode spec = (ObjectNode) document.get("spec");
        spec.set("taskManger", spec.get("taskManager"));
        ((ObjectNode) spec.get("jobManager")).put("replicas", "two");
        List<Error> errors = schemaFor(document.path("apiVersion").asText()).validate(document);
        String all = errors.toString();
        assertTrue(all.contains("taskManger"), "the unknown field is named: " + all);
        assertTrue(all.contains("replicas"), "the wrong type is named: " + all);
        assertFalse(errors.isEmpty());
    }

    /** The CRD's schema of {@code apiVersion} (flink.apache.org/VERSION), strict about unknown fields. */
    private static Schema schemaFor(String apiVersion) throws IOException {
        JsonNode crd;
        try (InputStream in = KubernetesManifestsTest.class.getClassLoader().getResourceAsStream(CRD)) {
            if (in == null) {
                throw new IllegalStateException(CRD + " is not on the class path (flink-kubernetes-operator-api)");
            }
            crd = YAML.readTree(in);
        }
        String version = apiVersion.substring(apiVersion.indexOf('/') + 1);
        for (JsonNode served : crd.path("spec").path("versions")) {
            if (served.path("name").asText().equals(version)) {
                ObjectNode schema = (ObjectNode) served.path("schema").path("openAPIV3Schema").deepCopy();
                // apiVersion, kind and metadata are the API server's to check; spec is the CRD's.
                rejectUnknownFields(schema.at("/properties/spec"));
                ArrayNode flinkVersions = (ArrayNode) schema.at("/properties/spec/properties/flinkVersion/enum");
                FLINK_2_VERSIONS.forEach(flinkVersions::add);
                return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4).getSchema(schema);
            }
        }
        throw new IllegalArgumentException("the operator's CRD serves no " + apiVersion);
    }

    /**
     * Closes every object the schema describes field by field, unless the schema keeps its unknown
     * fields (free-form maps such as flinkConfiguration declare additionalProperties themselves).
     * Kubernetes' own keywords (x-kubernetes-…) are read here and then dropped: JSON Schema has no
     * meaning for them, and int-or-string fields say the same with anyOf.
     */
    private static void rejectUnknownFields(JsonNode schema) {
        if (schema instanceof ObjectNode object) {
            if (object.has("properties") && !object.has("additionalProperties")
                    && !object.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
                object.put("additionalProperties", false);
            }
            object.properties().removeIf(field -> field.getKey().startsWith("x-kubernetes-"));
            for (Map.Entry<String, JsonNode> field : object.properties()) {
                rejectUnknownFields(field.getValue());
            }
        } else if (schema instanceof ArrayNode array) {
            array.forEach(KubernetesManifestsTest::rejectUnknownFields);
        }
    }
}
