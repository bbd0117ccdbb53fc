"""The BinaryNet MLPs of bnnc's trainer in Larq (Keras), for bench/train.ts.

The same network and step as bench/peers/binarynet_torch.py, written the way Larq's own
BinaryNet examples write it:
  - QuantDense layers without bias; the kernel quantizer is ste_sign (sign with
    sign(0) = +1) and the kernel constraint weight_clip (latent weights clipped to
    [-1, 1] after each step); hidden layers also quantize their input with ste_sign,
    whose gradient is larq's default clip_value=1.0: passed where |x| <= 1, the hard-tanh
    cancellation of BinaryNet. On a clipped kernel that clip passes every gradient, so
    the kernel's estimator is the plain straight-through one, as in bnnc;
  - BatchNormalization after every dense layer, epsilon 1e-4, Keras momentum 0.9 (the
    running average keeps 0.9 of itself: PyTorch's momentum 0.1);
  - first layer input x = 2p/255 - 1 (not binarized); the last layer's batch-norm
    outputs are the class scores;
  - squared hinge loss (Keras SquaredHinge: mean over classes and examples, targets +-1);
  - Adam (beta 0.9 / 0.999, epsilon 1e-8) with the Glorot learning-rate scale: Keras
    has no per-variable learning rate and Adam is invariant to a scaled gradient, so
    the scale is expressed with larq's CaseOptimizer, one Adam per binary kernel at
    lr * 1/sqrt(1.5/(fan_in+fan_out)) and one Adam at lr for the batch-norm variables;
  - dropout off, batch 100, training with Model.train_on_batch (one compiled step per
    batch, as model.fit runs it).

  python binarynet_larq.py ARCH THREADS BATCHES DATA_FILE
    ARCH sfc | lfc; DATA_FILE as for binarynet_torch.py (n*784 pixel bytes then n label
    bytes). Runs 3 warm-up batches, then BATCHES timed ones, and prints one JSON line
    in the form of binarynet_torch.py.

Threads: TensorFlow's intra-op pool gets THREADS threads and its inter-op pool one (the
network is a chain: there is no independent op to run beside another).
"""
import math
import os
import sys
import time
from peer_common import report_training

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# larq 0.13 is written against Keras 2; TensorFlow 2.16's tf.keras is Keras 3 unless this
# is set (with the tf-keras package installed, which the bench's set-up pins).
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import larq as lq  # noqa: E402
from larq.optimizers import _var_key  # noqa: E402

tf.get_logger().setLevel("ERROR")  # AutoGraph's notes about larq's QuantizedVariable

keras = tf.keras
BATCH = 100
WARMUP = 3
HIDDEN = {"sfc": 256, "lfc": 1024}


def build(arch):
    if arch not in HIDDEN:
        raise SystemExit(f"binarynet_larq: unknown arch {arch!r} (sfc, lfc)")
    h = HIDDEN[arch]
    sizes = [784, h, h, h, 10]
    model = keras.Sequential(name=f"{arch}_larq")
    model.add(keras.Input(shape=(784,), batch_size=BATCH))
    for i in range(4):
        fan_in, fan_out = sizes[i], sizes[i + 1]
        limit = min(1.0, math.sqrt(6.0 / (fan_in + fan_out)))
        model.add(
            lq.layers.QuantDense(
                fan_out,
                input_quantizer=None if i == 0 else "ste_sign",
                kernel_quantizer="ste_sign",
                kernel_constraint="weight_clip",
                kernel_initializer=keras.initializers.RandomUniform(-limit, limit, seed=i + 1),
                use_bias=False,
                name=f"fc{i}",
            )
        )
        model.add(keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-4, name=f"bn{i}"))
    return model, sizes


def optimizer(model, sizes, lr):
    cases = []
    for i in range(4):
        scale = 1.0 / math.sqrt(1.5 / (sizes[i] + sizes[i + 1]))
        kernel = model.get_layer(f"fc{i}").kernel
        # Bind the name now: the predicate is called per variable at apply time.
        cases.append((lambda v, name=kernel.name: v.name == name, keras.optimizers.legacy.Adam(lr * scale, beta_1=0.9, beta_2=0.999, epsilon=1e-8)))
    return lq.optimizers.CaseOptimizer(*cases, default_optimizer=keras.optimizers.legacy.Adam(lr, beta_1=0.9, beta_2=0.999, epsilon=1e-8))


def main():
    arch, threads, batches, data_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.random.set_seed(1)
    raw = np.fromfile(data_file, dtype=np.uint8)
    n = raw.size // 785
    pixels = raw[: n * 784].reshape(n, 784)
    labels = raw[n * 784 : n * 785].astype(np.int64)

    model, sizes = build(arch)
    model.compile(optimizer=optimizer(model, sizes, 3e-3), loss=keras.losses.SquaredHinge())

    def step(b):
        i = (b * BATCH) % (n - BATCH + 1)
        x = pixels[i : i + BATCH].astype(np.float32) * (2.0 / 255.0) - 1.0
        t = np.full((BATCH, 10), -1.0, dtype=np.float32)
        t[np.arange(BATCH), labels[i : i + BATCH]] = 1.0
        return float(model.train_on_batch(x, t))

    for b in range(WARMUP):
        step(b)
    # Each binary kernel went to its own Adam (a predicate that matched nothing would
    # silently leave it to the default one, without the Glorot scale).
    mapping = model.optimizer.var_opt_mapping
    for i in range(4):
        got = mapping.get(_var_key(model.get_layer(f"fc{i}").kernel))
        if got != i:
            raise SystemExit(f"binarynet_larq: fc{i}'s kernel is trained by optimizer {got}, not {i}")
    report_training(f"larq-{threads}t", arch, lambda b: step(WARMUP + b), 0, batches, BATCH, f"larq {lq.__version__}, tensorflow {tf.__version__}, {threads} intra-op threads")


if __name__ == "__main__":
    main()
