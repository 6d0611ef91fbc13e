package io.align4j.model.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.align4j.model.CausalLM;
import io.align4j.model.ModelConfig;
import io.align4j.model.family.Models;
import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Converted and re-read models give the same logits as the originals. */
class ConversionLogitsTest {
    @TempDir Path dir;

    @Test
    void llama2cToHuggingFaceAndBackKeepsLogits() {
        Path bin = SharedData.require(DataPaths.STORIES260K_MODEL);
        Path tok = SharedData.require(DataPaths.STORIES260K_TOKENIZER);
        Path hf = dir.resolve("hf"), back = dir.resolve("back.bin");
        CheckpointConversion.convert(CheckpointConversion.Format.LLAMA2C, bin, CheckpointConversion.Format.HF, hf,
                DataType.FLOAT32, 5_000_000_000L, List.of(tok));
        CheckpointConversion.convert(CheckpointConversion.Format.HF, hf, CheckpointConversion.Format.LLAMA2C, back,
                DataType.FLOAT32, 5_000_000_000L, List.of());
        try (NDManager m = NDManager.newBaseManager()) {
            CausalLM original = Llama2cCheckpoint.read(bin, m);
            LoadedWeights w = HfCheckpoint.read(hf, m, DataType.FLOAT32);
            CausalLM converted = Models.create(w.config(), w.parameters(), m);
            CausalLM roundTrip = Llama2cCheckpoint.read(back, m);
            NDArray ids = m.create(new int[][] {{1, 403, 407, 261, 378, 426, 270, 395, 407, 261, 284, 414}});
            NDArray expected = original.forward(ids, null, null, null);
            assertEquals(0.0, maxAbsDiff(expected, converted.forward(ids, null, null, null)), 1e-5);
            assertEquals(0.0, maxAbsDiff(expected, roundTrip.forward(ids, null, null, null)), 1e-5);
        }
    }

    @Test
    void randomModelsSurviveTheHuggingFaceLayout() {
        ModelConfig gpt2 = ModelConfig.gpt2(32, 128, 2, 4, 97, 64, 1e-5, 0, 0);
        ModelConfig llama = ModelConfig.llama(32, 48, 2, 4, 2, 97, 64, 1e-5, 10000, false, 1, 2);
        for (ModelConfig config : new ModelConfig[] {gpt2, llama}) {
            try (NDManager m = NDManager.newBaseManager()) {
                CausalLM model = Models.randomInit(config, m, 11, DataType.FLOAT32);
                Path folder = dir.resolve(config.family());
                HfCheckpoint.write(folder, config, model.parameters(), DataType.FLOAT32);
                LoadedWeights w = HfCheckpoint.read(folder, m, DataType.FLOAT32);
                assertEquals(config, w.config());
                CausalLM reloaded = Models.create(w.config(), w.parameters(), m);
                NDArray ids = m.randomInteger(0, 97, new Shape(3, 17), DataType.INT32);
                assertEquals(0.0, maxAbsDiff(model.forward(ids, null, null, null), reloaded.forward(ids, null, null, null)), 0.0,
                        config.family() + " logits");
            }
        }
    }

    private static double maxAbsDiff(NDArray a, NDArray b) {
        return a.sub(b).abs().max().toType(DataType.FLOAT64, false).getDouble();
    }
}
