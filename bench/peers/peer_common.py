"""What every peer script of bench/ shares, in the standard library only (the PyTorch
and the Larq peers run in different virtual environments): timing a training run and
printing its one JSON line, and serving timed inference runs to bench/int-infer.ts."""
import json
import resource
import sys
import time


def report_training(impl, arch, step, warmup, batches, batch, notes):
    """Runs `warmup` untimed and `batches` timed training steps (step(b) returns the loss)
    and prints the figures bench/train.ts reads, as one JSON line."""
    for b in range(warmup):
        step(b)
    t0, c0 = time.perf_counter(), time.process_time()
    losses = [step(warmup + b) for b in range(batches)]
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    k = max(1, len(losses) // 4)
    print(
        json.dumps(
            {
                "impl": impl,
                "arch": arch,
                "samplesPerSecond": batches * batch / seconds,
                "samplesPerCpuSecond": batches * batch / cpu,
                "batches": batches,
                "maxRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "lossFirst": sum(losses[:k]) / k,
                "lossLast": sum(losses[-k:]) / k,
                "notes": notes,
            }
        )
    )


def serve_inference(infer_batch, n_batches, batch, ready):
    """Answers bench/int-infer.ts: after a warm-up, prints `ready` (a dict) as a JSON line,
    then for each line of stdin (seconds) runs infer_batch(k) over batches k = 0, 1, ...
    for that long and prints images/s, images and seconds."""

    def run(seconds):
        done, k = 0, 0
        t0 = time.perf_counter()
        while True:
            infer_batch(k % n_batches)
            k += 1
            done += batch
            elapsed = time.perf_counter() - t0
            if elapsed >= seconds:
                return {"imagesPerSecond": done / elapsed, "images": done, "seconds": elapsed}

    run(0.3)  # warm-up
    print(json.dumps({"ready": True, **ready}), flush=True)
    for line in sys.stdin:
        print(json.dumps(run(float(line))), flush=True)
