#!/usr/bin/env python3
"""Word count in PySpark, the way its documentation writes it: RDD flatMap + reduceByKey.

usage: spark_wordcount.py INPUT_DIR OUTPUT_DIR [--master local[2]] [--partitions 2]

Same word definition as Aviary's wordcount and bench/wc_reference: maximal runs of ASCII letters
([A-Za-z]+), case kept. Writes "word<TAB>count" lines to OUTPUT_DIR/part-*.
"""
import argparse
import os
import re
import sys
import time

from pyspark import SparkConf, SparkContext


def main():
    p = argparse.ArgumentParser()
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--master", default="local[2]")
    p.add_argument("--partitions", type=int, default=2, help="reduce partitions (Aviary runs one per slot)")
    p.add_argument("--driver-memory", default="2g")
    a = p.parse_args()
    conf = (SparkConf().setMaster(a.master).setAppName("wordcount")
            .set("spark.ui.enabled", "false")
            .set("spark.driver.memory", a.driver_memory)
            .set("spark.ui.showConsoleProgress", "false"))
    # Python workers run this interpreter (the venv's), not whatever `python3` is on the PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    t0 = time.monotonic()
    sc = SparkContext(conf=conf)
    sc.setLogLevel("ERROR")
    t1 = time.monotonic()
    word = re.compile(r"[A-Za-z]+")
    (sc.textFile(os.path.join(os.path.abspath(a.input), "*"))
       .flatMap(word.findall)
       .map(lambda w: (w, 1))
       .reduceByKey(lambda x, y: x + y, numPartitions=a.partitions)
       .map(lambda kv: f"{kv[0]}\t{kv[1]}")
       .saveAsTextFile(os.path.abspath(a.output)))
    t2 = time.monotonic()
    sc.stop()
    print(f'{{"startup_s": {t1 - t0:.3f}, "job_s": {t2 - t1:.3f}}}', flush=True)


if __name__ == "__main__":
    main()
