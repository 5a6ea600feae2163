#!/usr/bin/env python3
"""Writes a deterministic text corpus with a Zipf-like word distribution.

usage: gen_corpus.py OUT_DIR --mb 300 [--files 8] [--vocab 100000] [--seed 1]
Words are made-up lowercase/capitalised letter strings; line lengths vary like prose."""
import argparse
import os
import random


def vocabulary(rng, size):
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    weights = [12, 9, 8, 7.5, 7, 6.7, 6.3, 6, 5.9, 4.3, 4, 2.8, 2.8, 2.4, 2.4, 2.2, 2, 2, 1.9, 1.5, 1, 0.8, 0.2, 0.2, 0.1, 0.1]
    words = set()
    while len(words) < size:
        n = max(1, min(14, int(rng.gauss(5, 2.5))))
        words.add("".join(rng.choices(letters, weights, k=n)))
    return sorted(words)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--mb", type=float, default=100)
    p.add_argument("--files", type=int, default=8)
    p.add_argument("--vocab", type=int, default=100000)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rng = random.Random(a.seed)
    words = vocabulary(rng, a.vocab)
    rng.shuffle(words)
    # Zipf(s=1): weight 1/rank. Pre-draw a pool of lines and recombine them for speed.
    cum = []
    total = 0.0
    for r in range(1, len(words) + 1):
        total += 1.0 / r
        cum.append(total)
    pool = []
    for _ in range(20000):
        k = rng.randint(3, 18)
        line = rng.choices(words, cum_weights=cum, k=k)
        if rng.random() < 0.15:
            line[0] = line[0].capitalize()
        sep = ", " if rng.random() < 0.2 else " "
        pool.append(sep.join(line) + (".\n" if rng.random() < 0.5 else "\n"))
    os.makedirs(a.out, exist_ok=True)
    target = int(a.mb * (1 << 20) / a.files)
    for i in range(a.files):
        with open(os.path.join(a.out, f"part-{i:03d}.txt"), "w") as f:
            written = 0
            while written < target:
                chunk = "".join(rng.choices(pool, k=2000))
                f.write(chunk)
                written += len(chunk)


if __name__ == "__main__":
    main()
