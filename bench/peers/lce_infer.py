"""lfc (784-1024-1024-1024-10) inference in Larq Compute Engine, for bench/int-infer.ts.

The network is written in Larq and converted with LCE's converter
(larq_compute_engine.convert_keras_model), then run by LCE's interpreter, one thread
(bnnc's integer engine is single-threaded). LCE has no binary fully-connected operator
(larq/compute-engine#53: "use an equivalent 1x1 binary convolution"), so each dense
layer is the 1x1 QuantConv2D LCE's guide prescribes, on a 1x1 image with the features as
channels; the converter then makes the hidden layers binary convolutions (LceBconv2d)
with the batch norm and the sign folded into them (bit-packed outputs), as it does for
any BinaryNet. The first layer takes the float input x = 2p/255 - 1 with +-1 weights
(a float convolution in LCE, as in BinaryNet), the last outputs the float scores.
LCE's interpreter says of itself that it is optimized for ARM v8 and that on x86 it runs
portable kernels "not optimized for speed": on this x86 machine the figure is LCE's x86
speed, not what it reaches on a phone or a Raspberry Pi.
Weights are random (speed does not depend on their values, as in bench/int-infer.ts).

  python lce_infer.py BATCH DATA_FILE
    DATA_FILE: n*784 pixel bytes (MNIST test images, written by bench/int-infer.ts).
    Converts the model for a fixed batch of BATCH images, warms up, then reads lines
    from stdin: each line "SECONDS" runs batches over the images for at least that long
    and answers one JSON line {"imagesPerSecond", "images", "seconds"}; end of input
    ends it. bench/int-infer.ts alternates these runs with its own.
"""
import os
import sys
from peer_common import serve_inference

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import larq as lq  # noqa: E402
import larq_compute_engine as lce  # noqa: E402
from larq_compute_engine.tflite.python.interpreter import Interpreter  # noqa: E402

keras = tf.keras


def lfc(batch):
    sizes = [784, 1024, 1024, 1024, 10]
    x = inp = keras.Input(shape=(1, 1, 784), batch_size=batch)
    rng = np.random.default_rng(1)
    for i in range(4):
        x = lq.layers.QuantConv2D(
            sizes[i + 1],
            1,
            input_quantizer=None if i == 0 else "ste_sign",
            kernel_quantizer="ste_sign",
            kernel_constraint="weight_clip",
            use_bias=False,
            name=f"fc{i}",
        )(x)
        bn = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-4, name=f"bn{i}")
        x = bn(x)
        m = sizes[i + 1]
        # Random batch norms (not the identity, so the converter folds real thresholds).
        bn.set_weights([rng.normal(size=m), 0.1 * rng.normal(size=m), rng.normal(size=m), rng.uniform(0.5, 2, size=m)])
    return keras.Model(inp, keras.layers.Flatten()(x))


def main():
    batch, data_file = int(sys.argv[1]), sys.argv[2]
    raw = np.fromfile(data_file, dtype=np.uint8)
    n = raw.size // 784
    images = (raw[: n * 784].reshape(n, 1, 1, 784).astype(np.float32) * (2.0 / 255.0) - 1.0)
    flatbuffer = lce.convert_keras_model(lfc(batch))
    # The hidden layers must have become LCE's binary convolution, else this is no binary peer.
    if b"LceBconv2d" not in flatbuffer:
        raise SystemExit("lce_infer: the converted model has no LceBconv2d")
    interpreter = Interpreter(flatbuffer, num_threads=1)
    batches = [images[i : i + batch] for i in range(0, n - batch + 1, batch)]

    def infer_batch(k):
        # The wrapper's own predict: Interpreter.predict splits its input into single
        # examples, which a model converted for a batch of 100 does not take.
        interpreter.interpreter.predict([batches[k]])[0].argmax(-1)

    serve_inference(infer_batch, len(batches), batch, {"lce": lce.__version__, "tensorflow": tf.__version__, "larq": lq.__version__})


if __name__ == "__main__":
    main()
