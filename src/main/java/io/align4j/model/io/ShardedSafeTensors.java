package io.align4j.model.io;

import io.align4j.safetensors.SafeTensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The weights of a Hugging Face folder as {@code save_pretrained} lays them out: one
 * {@value HfCheckpoint#WEIGHTS}, or shards {@code model-00001-of-0000N.safetensors} listed by
 * {@value HfCheckpoint#WEIGHTS_INDEX} ({@code weight_map}: tensor name to shard file).
 */
final class ShardedSafeTensors {
    private ShardedSafeTensors() {}

    /** The folder's weight files, and the file that lists them (the index, or the single file) for messages. */
    record WeightFiles(Path listing, List<Path> shards) {}

    static WeightFiles of(Path folder) {
        Path index = folder.resolve(HfCheckpoint.WEIGHTS_INDEX);
        Path single = folder.resolve(HfCheckpoint.WEIGHTS);
        return Files.exists(index) ? new WeightFiles(index, shardFiles(folder, index)) : new WeightFiles(single, List.of(single));
    }

    private static List<Path> shardFiles(Path folder, Path index) {
        JsonNode weightMap = HfConfigJson.readJson(index).get("weight_map");
        if (weightMap == null || !weightMap.isObject())
            throw new UserError(index + ": missing field weight_map");
        Set<Path> files = new LinkedHashSet<>();
        weightMap.fields().forEachRemaining(e -> files.add(folder.resolve(e.getValue().asText())));
        return new ArrayList<>(files);
    }

    /**
     * Writes {@code params} into {@code dir}: one file when they fit in {@code maxShardBytes},
     * else shards filled in iteration order up to that size (a larger tensor gets a shard of its
     * own) and the index.
     */
    static void write(Path dir, Map<String, NDArray> params, DataType storeAs, long maxShardBytes) throws IOException {
        long width = storeAs.getNumOfBytes();
        List<Map<String, NDArray>> shards = new ArrayList<>();
        Map<String, NDArray> current = new LinkedHashMap<>();
        long currentBytes = 0, total = 0;
        for (Map.Entry<String, NDArray> p : params.entrySet()) {
            long bytes = p.getValue().getShape().size() * width;
            if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
                shards.add(current);
                current = new LinkedHashMap<>();
                currentBytes = 0;
            }
            current.put(p.getKey(), p.getValue());
            currentBytes += bytes;
            total += bytes;
        }
        shards.add(current);
        if (shards.size() == 1) {
            SafeTensors.write(dir.resolve(HfCheckpoint.WEIGHTS), params, storeAs);
            return;
        }
        Map<String, String> weightMap = new TreeMap<>();
        for (int i = 0; i < shards.size(); i++) {
            String file = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            SafeTensors.write(dir.resolve(file), shards.get(i), storeAs);
            for (String name : shards.get(i).keySet()) weightMap.put(name, file);
        }
        ObjectNode index = HfConfigJson.newObject();
        index.putObject("metadata").put("total_size", total);
        ObjectNode map = index.putObject("weight_map");
        weightMap.forEach(map::put);
        HfConfigJson.writeJson(dir.resolve(HfCheckpoint.WEIGHTS_INDEX), index);
    }
}
