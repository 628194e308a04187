package io.pledge.k8s;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The manifests of {@code k8s/}, read the way {@code kubectl apply -k} would see them, each document also bound to
 * the fabric8 Kubernetes model class of its apiVersion and kind.
 */
final class Manifests {

  /** One YAML document of one file. */
  record Doc(Path file, JsonNode tree, HasMetadata resource) {
    String describe() {
      return file.getFileName() + ": " + resource.getKind() + " " + resource.getMetadata().getName();
    }
  }

  /** Strict YAML: a key given twice is an error, not "the last one wins". */
  static final ObjectMapper YAML = YAMLMapper.builder(new YAMLFactory())
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
      .build();

  static final ObjectMapper JSON = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
      .build();

  /** The k8s module (surefire runs in it). */
  static final Path DIR = Path.of("").toAbsolutePath();
  /** The repository root. */
  static final Path ROOT = DIR.getParent();

  private Manifests() {}

  /** Files of k8s/ that belong to the deployment: all but the build, the docs and the test itself. */
  static List<Path> deploymentFiles() {
    try (Stream<Path> files = Files.list(DIR)) {
      return files.filter(Files::isRegularFile).map(DIR::relativize)
          .filter(p -> !List.of("pom.xml", "README.md").contains(p.toString()))
          .sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static boolean isYaml(Path p) {
    String name = p.getFileName().toString();
    return name.endsWith(".yaml") || name.endsWith(".yml");
  }

  static JsonNode kustomization() {
    return readTrees(DIR.resolve("kustomization.yaml")).get(0);
  }

  /** Every document of every manifest file (all YAML files but the kustomization), bound to its model class. */
  static List<Doc> load() {
    List<Doc> docs = new ArrayList<>();
    for (Path file : deploymentFiles()) {
      if (!isYaml(file) || file.toString().equals("kustomization.yaml")) {
        continue;
      }
      for (JsonNode tree : readTrees(DIR.resolve(file))) {
        docs.add(new Doc(file, tree, bind(file, tree)));
      }
    }
    return docs;
  }

  static List<JsonNode> readTrees(Path file) {
    List<JsonNode> trees = new ArrayList<>();
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
      while (it.hasNext()) {
        JsonNode tree = it.next();
        if (tree != null && !tree.isNull() && !tree.isMissingNode() && !tree.isEmpty()) {
          trees.add(tree);
        }
      }
    } catch (IOException e) {
      throw new AssertionError(file.getFileName() + " is not valid YAML: " + e.getMessage(), e);
    }
    return trees;
  }

  /**
   * The model class is chosen by apiVersion and kind ({@link KubernetesResource}'s deserializer); a pair the model
   * does not know ends up as a {@link GenericKubernetesResource}, which is refused here: a misspelt kind or group
   * fails. A misspelt field does not fail Jackson by itself, because every model class keeps unknown fields in an
   * {@code additionalProperties} map: {@link #unknownFields} finds them.
   */
  static HasMetadata bind(Path file, JsonNode tree) {
    String where = file.getFileName() + " (" + tree.path("kind").asText("?") + " "
        + tree.path("metadata").path("name").asText("?") + ")";
    KubernetesResource resource;
    try {
      resource = YAML.treeToValue(tree, KubernetesResource.class);
    } catch (IOException | IllegalArgumentException e) {
      throw new AssertionError(where + " does not fit the Kubernetes model: " + e.getMessage(), e);
    }
    if (resource instanceof GenericKubernetesResource || !(resource instanceof HasMetadata typed)) {
      throw new AssertionError(where + ": apiVersion " + tree.path("apiVersion").asText() + " kind "
          + tree.path("kind").asText() + " is not a kind the Kubernetes model knows");
    }
    List<String> unknown = unknownFields(typed);
    if (!unknown.isEmpty()) {
      throw new AssertionError(where + " has fields the Kubernetes API does not define: " + unknown);
    }
    return typed;
  }

  /** Paths of every field that landed in a model object's {@code additionalProperties}. */
  static List<String> unknownFields(Object model) {
    List<String> found = new ArrayList<>();
    walk(model, "", found);
    return found;
  }

  private static void walk(Object value, String path, List<String> found) {
    if (value instanceof Collection<?> list) {
      int i = 0;
      for (Object item : list) {
        walk(item, path + "[" + i++ + "]", found);
      }
      return;
    }
    if (value instanceof Map<?, ?> map) {
      map.forEach((k, v) -> walk(v, path + "." + k, found));
      return;
    }
    if (value == null || !value.getClass().getName().startsWith("io.fabric8.")) {
      return;
    }
    for (Class<?> c = value.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field field : c.getDeclaredFields()) {
        if (Modifier.isStatic(field.getModifiers()) || field.isSynthetic()) {
          continue;
        }
        Object fieldValue = read(field, value);
        if (field.getName().equals("additionalProperties") && fieldValue instanceof Map<?, ?> extra) {
          extra.keySet().forEach(k -> found.add(path + "." + k));
        } else {
          walk(fieldValue, path + "." + field.getName(), found);
        }
      }
    }
  }

  private static Object read(Field field, Object owner) {
    try {
      field.setAccessible(true);
      return field.get(owner);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read " + field, e);
    }
  }
}
