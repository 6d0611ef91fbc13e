package io.align4j.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.util.UserError;
import java.util.Locale;

/**
 * Where and in which floating-point type the library computes: the device every manager it
 * creates lives on (so every tensor made from one follows), and the dtype weights are loaded in.
 * Only the CPU build of libtorch ships with Align4j and only the CPU is tested; a GPU device
 * needs a CUDA libtorch on the class path.
 *
 * @param device {@code cpu} (default) or {@code gpu}, {@code gpu:1}, ... as DJL names devices
 * @param dtype  {@code FLOAT32} (default) or {@code FLOAT64}
 */
public record Compute(Device device, DataType dtype) {
    public static final Compute DEFAULT = new Compute(Device.cpu(), DataType.FLOAT32);

    public Compute {
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT64)
            throw new UserError("dtype " + dtype + ": models compute in float32 or float64");
    }

    /** Parses the flag or config values, e.g. {@code cpu} and {@code float32}; a bad value is one line naming it. */
    public static Compute parse(String device, String dtype) {
        DataType type = switch (dtype.toLowerCase(Locale.ROOT)) {
            case "float32", "fp32", "f32" -> DataType.FLOAT32;
            case "float64", "fp64", "f64", "double" -> DataType.FLOAT64;
            default -> throw new UserError("dtype '" + dtype + "': expected float32 or float64");
        };
        String d = device.toLowerCase(Locale.ROOT);
        if (!d.matches("cpu|gpu(:\\d+)?")) throw new UserError("device '" + device + "': expected cpu, gpu or gpu:N");
        return new Compute(Device.fromName(d), type);
    }

    /** A root manager on this device. */
    public NDManager newManager() { return NDManager.newBaseManager(device); }
}
