#!/usr/bin/env python3
"""Writes a deterministic text corpus with a Zipf word distribution (needs numpy).

usage: gen_corpus.py OUT_DIR --mb 300 [--files 8] [--vocab 100000] [--zipf 1.0] [--seed 1]
                     [--format text|jsonl] [--doc-lines 6]
       gen_corpus.py OUT_DIR --unique 1e8 [--files 8] [--seed 1]

Words are made-up lowercase letter strings (English letter frequencies, 1-13 letters), drawn by
rank with weight 1/rank^zipf; 15% of lines start with a capitalised word, some words are followed
by a comma, some lines end with a full stop. The same arguments always give the same bytes
(numpy's PCG64 seeded with --seed), so every engine in scripts/bench.sh reads identical input.

--format jsonl writes documents instead, one a line: {"_id": N, "text": "...", "words": K},
the text being --doc-lines generated lines joined by spaces (for `aviary load` into MongoDB).

Unlike a pool of pre-drawn lines recombined, every word is drawn afresh, so a large --vocab
really yields that many distinct words (the distinct-key benchmarks rely on it).

--unique N writes N distinct words, each exactly once, ten to a line, in an order that is a
seeded affine permutation of their ranks; word r is r + 26^4 + 1 written in bijective base 26
(lowercase, 4-6 letters). It streams: nothing is held but one chunk, so N = 1e8 (690 MB of
text) needs no vocabulary in memory; --mb, --vocab and --zipf do not apply.
"""
import argparse
import os
import re

import numpy as np

LETTERS = np.frombuffer(b"etaoinshrdlcumwfgypbvkjxqz", dtype=np.uint8)
FREQ = np.array([12, 9, 8, 7.5, 7, 6.7, 6.3, 6, 5.9, 4.3, 4, 2.8, 2.8, 2.4, 2.4, 2.2, 2, 2, 1.9, 1.5, 1, 0.8,
                 0.2, 0.2, 0.1, 0.1])
MAX_LEN = 13
WORD = re.compile("[A-Za-z]+")


def vocabulary(rng, size):
    """`size` distinct lowercase words as (flat bytes, offsets, lengths), in random rank order."""
    p = FREQ / FREQ.sum()
    codes = np.empty(0, dtype=np.uint64)
    rows = np.empty((0, MAX_LEN), dtype=np.uint8)
    while len(codes) < size:
        n = int((size - len(codes)) * 1.3) + 1000
        lengths = np.clip(rng.normal(5, 2.5, n).astype(np.int64), 1, MAX_LEN)
        letters = rng.choice(len(LETTERS), size=(n, MAX_LEN), p=p).astype(np.uint8) + 1
        letters[np.arange(MAX_LEN)[None, :] >= lengths[:, None]] = 0
        # A word as a base-27 number (0 = no letter): distinct words, distinct numbers, so
        # de-duplicating is an integer sort. 27^13 < 2^64.
        cand = np.zeros(n, dtype=np.uint64)
        for j in range(MAX_LEN):
            cand = cand * np.uint64(27) + letters[:, j].astype(np.uint64)
        codes, first = np.unique(np.concatenate([codes, cand]), return_index=True)
        rows = np.concatenate([rows, letters])[first]
    # Sorted by code now; pick `size` at random, in random order, so rank is unrelated to spelling.
    pick = rng.permutation(len(codes))[:size]
    rows = rows[pick]
    lengths = (rows != 0).sum(axis=1).astype(np.int64)
    flat = LETTERS[rows[rows != 0] - 1]  # row-major: the words back to back
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return flat, offsets, lengths


class Corpus:
    """Draws lines chunk by chunk; each chunk is bytes of whole lines ending in '\\n'."""

    SEPS = [b" ", b", ", b"\n", b".\n"]

    def __init__(self, vocab, zipf, seed):
        self.rng = np.random.Generator(np.random.PCG64(seed))
        flat, offsets, lengths = vocabulary(self.rng, vocab)
        sep_flat = np.frombuffer(b"".join(self.SEPS), dtype=np.uint8)
        sep_len = np.array([len(s) for s in self.SEPS], dtype=np.int64)
        sep_off = len(flat) + np.concatenate([[0], np.cumsum(sep_len)[:-1]])
        self.vocab = vocab
        self.flat = np.concatenate([flat, sep_flat])
        self.offsets = np.concatenate([offsets, sep_off])
        self.lengths = np.concatenate([lengths, sep_len])
        cum = np.cumsum(1.0 / np.arange(1, vocab + 1, dtype=np.float64) ** zipf)
        self.cum = cum / cum[-1]

    def chunk(self, lines):
        rng = self.rng
        k = rng.integers(3, 19, lines)  # words per line
        n = int(k.sum())
        words = np.minimum(np.searchsorted(self.cum, rng.random(n), side="right"), self.vocab - 1)
        line_end = np.cumsum(k) - 1  # index of each line's last word
        seps = np.where(rng.random(n) < 0.12, 1, 0)  # ", " or " " after a word
        seps[line_end] = np.where(rng.random(lines) < 0.5, 3, 2)  # ".\n" or "\n"
        tokens = np.empty(2 * n, dtype=np.int64)
        tokens[0::2] = words
        tokens[1::2] = self.vocab + seps
        lens = self.lengths[tokens]
        ends = np.cumsum(lens)
        starts = ends - lens
        total = int(ends[-1])
        src = np.repeat(self.offsets[tokens] - starts, lens) + np.arange(total, dtype=np.int64)
        out = self.flat[src]
        first = np.concatenate([[0], line_end[:-1] + 1])  # first word of each line
        cap = first[rng.random(lines) < 0.15]
        out[starts[2 * cap]] -= 32  # capitalise: words are lowercase ASCII
        return out.tobytes()


def write_text(corpus, out, files, target):
    for i in range(files):
        with open(os.path.join(out, f"part-{i:03d}.txt"), "wb") as f:
            written = 0
            while written < target:
                lines = max(1, min(100_000, (target - written) // 90 + 1))  # lines average ~75 bytes
                data = corpus.chunk(lines)
                f.write(data)
                written += len(data)


def write_jsonl(corpus, out, files, target, doc_lines):
    doc_id = 0
    for i in range(files):
        with open(os.path.join(out, f"part-{i:03d}.jsonl"), "w") as f:
            written = 0
            while written < target:
                lines = corpus.chunk(doc_lines * 20_000).decode("ascii").split("\n")[:-1]
                parts = []
                for d in range(0, len(lines) - doc_lines + 1, doc_lines):
                    text = " ".join(lines[d:d + doc_lines])
                    words = len(WORD.findall(text))
                    parts.append(f'{{"_id": {doc_id}, "text": "{text}", "words": {words}}}\n')
                    doc_id += 1
                    written += len(parts[-1])
                    if written >= target:
                        break
                f.write("".join(parts))


def unique_words(ranks):
    """Rows of bytes, the word of each rank then a space, zero-padded to 8 bytes."""
    x = ranks.astype(np.uint64) + np.uint64(26 ** 4 + 1)
    digits = np.zeros((len(x), 7), dtype=np.uint8)  # least significant first, 0 = none
    for j in range(7):
        live = x > 0
        x = np.where(live, x - np.uint64(1), x)
        digits[:, j] = np.where(live, (x % np.uint64(26)).astype(np.uint8) + ord("a"), 0)
        x //= np.uint64(26)
    rows = np.zeros((len(x), 8), dtype=np.uint8)
    lengths = (digits != 0).sum(axis=1)
    for j in range(7):  # most significant first
        col = lengths - 1 - j
        has = col >= 0
        rows[has, j] = digits[np.arange(len(x))[has], col[has]]
    rows[np.arange(len(x)), lengths] = ord(" ")
    return rows


def write_unique(out, files, n, seed):
    rng = np.random.Generator(np.random.PCG64(seed))
    a = int(rng.integers(n // 3, n)) | 1
    while np.gcd(a, n) != 1:
        a += 2
    b = int(rng.integers(0, n))
    per_file = -(-n // files)
    chunk = 1 << 20
    for i in range(files):
        with open(os.path.join(out, f"part-{i:03d}.txt"), "wb") as f:
            for start in range(i * per_file, min(n, (i + 1) * per_file), chunk):
                idx = np.arange(start, min(n, (i + 1) * per_file, start + chunk), dtype=np.uint64)
                rows = unique_words((idx * np.uint64(a) + np.uint64(b)) % np.uint64(n))
                line_end = (idx % np.uint64(10)) == np.uint64(9)
                lengths = (rows != 0).sum(axis=1)
                rows[np.arange(len(idx))[line_end], lengths[line_end] - 1] = ord("\n")
                f.write(rows[rows != 0].tobytes())
            f.write(b"\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--mb", type=float, default=100, help="total size in MiB")
    p.add_argument("--files", type=int, default=8)
    p.add_argument("--vocab", type=int, default=100000, help="distinct words to draw from")
    p.add_argument("--zipf", type=float, default=1.0, help="Zipf exponent s (weight 1/rank^s)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--format", choices=["text", "jsonl"], default="text")
    p.add_argument("--doc-lines", type=int, default=6, help="lines of text per JSON document")
    p.add_argument("--unique", type=float, default=0, help="N distinct words, each once (see above)")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    if a.unique:
        write_unique(a.out, a.files, int(a.unique), a.seed)
        return
    corpus = Corpus(a.vocab, a.zipf, a.seed)
    target = int(a.mb * (1 << 20) / a.files)
    if a.format == "text":
        write_text(corpus, a.out, a.files, target)
    else:
        write_jsonl(corpus, a.out, a.files, target, a.doc_lines)


if __name__ == "__main__":
    main()
